package ads

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
)

func TestIDKeepsSixtyFourBitNumbers(t *testing.T) {
	var v struct{ A, B, C ID }
	if err := json.Unmarshal([]byte(`{"A": 9223372036854775807, "B": " 123 ", "C": null}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != "9223372036854775807" || v.B != "123" || v.C != "" {
		t.Errorf("%+v", v)
	}
	if err := json.Unmarshal([]byte(`{"A": {}}`), &v); err == nil {
		t.Error("an object id was accepted")
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"object":"page"}`)
	sig := Sign("s3cret", body)
	if !VerifySignature("s3cret", body, sig) {
		t.Fatal("own signature rejected")
	}
	for _, bad := range []struct{ secret, header string }{
		{"other", sig}, {"", sig}, {"s3cret", strings.TrimPrefix(sig, "sha256=")},
		{"s3cret", "sha1=" + strings.TrimPrefix(sig, "sha256=")}, {"s3cret", "sha256=nothex"}, {"s3cret", sig[:len(sig)-2]},
	} {
		if VerifySignature(bad.secret, body, bad.header) {
			t.Errorf("accepted secret %q header %q", bad.secret, bad.header)
		}
	}
	if VerifySignature("s3cret", append(body, ' '), sig) {
		t.Error("accepted a changed body")
	}
}

func TestParseMetaNotificationSkipsOtherFields(t *testing.T) {
	changes, err := ParseMetaNotification([]byte(`{"object":"page","entry":[{"id":"1","time":1,"changes":[
		{"field":"feed","value":{"item":"post"}},
		{"field":"leadgen","value":{"leadgen_id":"7","page_id":1,"form_id":2}}]}]}`))
	if err != nil || len(changes) != 1 || changes[0].LeadgenID != "7" || changes[0].FormID != "2" {
		t.Fatalf("%+v %v", changes, err)
	}
	if _, err := ParseMetaNotification([]byte(`{"object":"instagram","entry":[]}`)); !errors.Is(err, ErrNotLeadgen) {
		t.Errorf("instagram object: %v", err)
	}
	if _, err := ParseMetaNotification([]byte(`{"object":"page","entry":[{"changes":[{"field":"leadgen","value":{}}]}]}`)); err == nil || errors.Is(err, ErrNotLeadgen) {
		t.Errorf("leadgen without id: %v", err)
	}
}

// A stand-in for Secrets Manager's JSON 1.1 API: the SDK's real request
// and response handling, without AWS.
func TestSecretsManagerTokens(t *testing.T) {
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
	tok := &SecretsManagerTokens{Client: client, SecretID: "leadflow/prod/meta-page-tokens"}
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
	if _, err := tok.PageToken(ctx, "acme", "site_2"); !errors.Is(err, ErrNoPageToken) || strings.Contains(err.Error(), "EAAB") {
		t.Errorf("unknown site: %v", err)
	}
}
