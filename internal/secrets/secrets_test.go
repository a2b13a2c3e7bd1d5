package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/leadflow/leadflow/internal/ads"
)

// A stand-in for Secrets Manager's JSON 1.1 API: the SDK's real request
// and response handling, without AWS.
func TestPageTokens(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
			http.Error(w, "unexpected target", http.StatusBadRequest)
			return
		}
		var in struct{ SecretId string }
		json.NewDecoder(r.Body).Decode(&in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fmt.Fprintf(w, `{"ARN":"arn:aws:secretsmanager:us-east-1:1:secret:%s","Name":%q,"SecretString":%q}`,
			in.SecretId, in.SecretId, `{"acme/site_1":"EAAB-token-1"}`)
	}))
	defer srv.Close()
	client := secretsmanager.New(secretsmanager.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
	tok := &PageTokens{Client: client, SecretID: "leadflow/prod/meta-page-tokens"}
	ctx := context.Background()
	for range 3 {
		got, err := tok.PageToken(ctx, "acme", "site_1")
		if err != nil || got != "EAAB-token-1" {
			t.Fatalf("token %q %v", got, err)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("%d reads of the secret, want 1 (cached)", calls.Load())
	}
	if _, err := tok.PageToken(ctx, "acme", "site_2"); !errors.Is(err, ads.ErrNoPageToken) || strings.Contains(err.Error(), "EAAB") {
		t.Errorf("unknown site: %v", err)
	}
}
