package account

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestNewAPIKeyKeepsOnlyTheHashAndAPrefix(t *testing.T) {
	now := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	k, secret := NewAPIKey("acme", "ak_1", "ERP", []Scope{ScopeLeadsWrite}, "usr_1", now)
	_, other := NewAPIKey("acme", "ak_2", "ERP", []Scope{ScopeLeadsWrite}, "usr_1", now)
	if secret == other || !LooksLikeAPIKey(secret) || len(secret) < len(APIKeyPrefix)+50 {
		t.Fatalf("secrets %q and %q", secret, other)
	}
	if k.Hash != HashAPIKey(secret) || k.Hash == HashAPIKey(other) || len(k.Hash) != 64 || strings.Contains(k.Hash, secret) {
		t.Errorf("hash %q", k.Hash)
	}
	if !strings.HasPrefix(secret, k.Prefix) || len(k.Prefix) != len(APIKeyPrefix)+8 {
		t.Errorf("prefix %q of %q", k.Prefix, secret)
	}
	// Printing or logging the key never shows the secret nor the hash.
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "key", k)
	for _, out := range []string{b.String(), fmt.Sprint(k), fmt.Sprintf("%#v", k)} {
		if strings.Contains(out, secret) || strings.Contains(out, k.Hash) {
			t.Errorf("log shows a secret: %s", out)
		}
	}
	if LooksLikeAPIKey("pk_site") || LooksLikeAPIKey("eyJhbGciOi.x.y") {
		t.Error("a site key or a JWT looks like an API key")
	}
}

func TestAPIKeyScopesRevocationAndTouch(t *testing.T) {
	now := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	k := APIKey{Scopes: []Scope{ScopeLeadsWrite, ScopeLeadsRead}}
	if !k.Allows(ScopeLeadsWrite) || !k.Allows(ScopeLeadsRead) || k.Allows(ScopeInteractionsWrite) || k.Allows("admin") {
		t.Error("scopes")
	}
	k.RevokedAt = &now
	if k.Allows(ScopeLeadsWrite) {
		t.Error("a revoked key allows a scope")
	}
	if !k.NeedsTouch(now) {
		t.Error("never used, no touch needed")
	}
	k.LastUsedAt = &now
	if k.NeedsTouch(now.Add(59*time.Second)) || !k.NeedsTouch(now.Add(time.Minute)) {
		t.Error("touch at most once a minute")
	}
	if k.Limit() != DefaultAPIKeyRateLimitPerMinute || (APIKey{RateLimitPerMinute: 7}).Limit() != 7 {
		t.Error("limit")
	}
	for _, s := range Scopes {
		if !ValidScope(s) {
			t.Errorf("%s invalid", s)
		}
	}
	if ValidScope("leads:delete") {
		t.Error("unknown scope valid")
	}
}
