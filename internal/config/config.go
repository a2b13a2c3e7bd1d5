// Package config reads Leadflow's settings from the environment, the same way
// in Lambda and on a laptop. AWS endpoints follow the SDK's own variables
// (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SQS), so pointing the code at
// the local emulators needs no Leadflow-specific switch.
package config

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

// Auth modes.
const (
	AuthAPIGateway = "apigateway" // trust claims verified by the HTTP API's JWT authorizer
	AuthHMAC       = "hmac"       // verify HS256 tokens with LEADFLOW_JWT_SECRET (local server)
)

// Config is every setting a Leadflow function or the local server reads.
type Config struct {
	Table        string // LEADFLOW_TABLE
	JobsQueueURL string // LEADFLOW_JOBS_QUEUE_URL
	Auth         string // LEADFLOW_AUTH: apigateway (default in Lambda) or hmac
	JWTSecret    string // LEADFLOW_JWT_SECRET, hmac mode only
	JWTIssuer    string // LEADFLOW_JWT_ISSUER
	LogLevel     slog.Level

	// GraphURL is the Meta Graph API base (LEADFLOW_GRAPH_URL).
	GraphURL string
	// MetaTokensSecret names the Secrets Manager secret holding Meta page
	// access tokens (LEADFLOW_META_TOKENS_SECRET); empty reads them from
	// the sites' ads secrets items (local setup).
	MetaTokensSecret string
	// ExportsBucket holds async export files (LEADFLOW_EXPORTS_BUCKET);
	// empty turns async exports off.
	ExportsBucket string
	// OriginVerifySecret (LEADFLOW_ORIGIN_VERIFY_SECRET) is the header value
	// CloudFront adds to API requests; captures read geo headers only from
	// requests carrying it. Empty: geo headers are never trusted.
	OriginVerifySecret string
}

// FromEnv reads the configuration and says which variable is missing.
func FromEnv() (Config, error) {
	c := Config{
		Table:        getenv("LEADFLOW_TABLE", "leadflow"),
		JobsQueueURL: os.Getenv("LEADFLOW_JOBS_QUEUE_URL"),
		Auth:         getenv("LEADFLOW_AUTH", AuthAPIGateway),
		JWTSecret:    os.Getenv("LEADFLOW_JWT_SECRET"),
		JWTIssuer:    getenv("LEADFLOW_JWT_ISSUER", "leadflow-local"),
	}
	c.GraphURL = getenv("LEADFLOW_GRAPH_URL", "https://graph.facebook.com/v21.0")
	c.MetaTokensSecret = os.Getenv("LEADFLOW_META_TOKENS_SECRET")
	c.ExportsBucket = os.Getenv("LEADFLOW_EXPORTS_BUCKET")
	c.OriginVerifySecret = os.Getenv("LEADFLOW_ORIGIN_VERIFY_SECRET")
	if err := c.LogLevel.UnmarshalText([]byte(getenv("LOG_LEVEL", "INFO"))); err != nil {
		return c, fmt.Errorf("config: LOG_LEVEL: %w", err)
	}
	switch c.Auth {
	case AuthAPIGateway:
	case AuthHMAC:
		if len(c.JWTSecret) < 32 {
			return c, fmt.Errorf("config: LEADFLOW_JWT_SECRET must be at least 32 bytes when LEADFLOW_AUTH=hmac")
		}
	default:
		return c, fmt.Errorf("config: LEADFLOW_AUTH must be %q or %q, not %q", AuthAPIGateway, AuthHMAC, c.Auth)
	}
	return c, nil
}

// AWS loads the SDK configuration (region, credentials, endpoint overrides).
func AWS(ctx context.Context) (aws.Config, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return cfg, fmt.Errorf("config: load AWS config: %w", err)
	}
	return cfg, nil
}

// Logger returns the JSON logger every function writes to CloudWatch with.
func (c Config) Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: c.LogLevel}))
}

func getenv(k, def string) string {
	if v := strings.TrimSpace(os.Getenv(k)); v != "" {
		return v
	}
	return def
}
