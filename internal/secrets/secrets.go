// Package secrets is the AWS Secrets Manager adapter: the Meta page access
// tokens of internal/ads (ads.Tokens), read from one secret.
package secrets

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/leadflow/leadflow/internal/ads"
)

// PageTokens reads Meta page access tokens from one AWS Secrets
// Manager secret (declared in template.yaml as MetaPageTokensSecret): a JSON
// object mapping "<tenant_id>/<site_id>" to the site's page access token.
// One secret keeps the IAM policy to a single ARN; the value is cached for
// a few minutes so a burst of leads costs one read.
type PageTokens struct {
	Client   *secretsmanager.Client
	SecretID string
	TTL      time.Duration // 0 means 5 minutes

	mu      sync.Mutex
	tokens  map[string]string
	fetched time.Time
}

// PageToken implements ads.Tokens.
func (s *PageTokens) PageToken(ctx context.Context, tenantID, siteID string) (string, error) {
	ttl := s.TTL
	if ttl == 0 {
		ttl = 5 * time.Minute
	}
	k := tenantID + "/" + siteID
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok, ok := s.tokens[k]; ok && time.Since(s.fetched) < ttl {
		return tok, nil
	}
	// Missing or stale: read again (a token added a moment ago is found).
	out, err := s.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.SecretID)})
	if err != nil {
		return "", fmt.Errorf("read page tokens secret: %w", err)
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &m); err != nil {
		// Never wrap the JSON error: it could quote the secret's text.
		return "", fmt.Errorf("page tokens secret is not a JSON object of strings")
	}
	s.tokens, s.fetched = m, time.Now()
	tok := m[k]
	if tok == "" {
		return "", fmt.Errorf("%w (no %q in the secret)", ads.ErrNoPageToken, k)
	}
	return tok, nil
}
