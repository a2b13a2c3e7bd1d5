package dynamo_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/account"
)

// Keys are stored by the hash of their secret (never the secret), found by
// it with no cache, listed per account, and once revoked not found at all.
// Their last use is recorded at most once a minute.
func TestAPIKeysAreHashedRevocableAndTouchedOncePerMinute(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	now := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	k, secret := account.NewAPIKey(tenant, "ak_1", "CRM", []account.Scope{account.ScopeLeadsWrite}, "usr_admin", now)
	if !strings.HasPrefix(secret, account.APIKeyPrefix) || len(secret) < 40 || strings.Contains(k.Hash, secret) || !strings.HasPrefix(secret, k.Prefix) {
		t.Fatalf("secret %q, hash %q, prefix %q", secret, k.Hash, k.Prefix)
	}
	must(t, e.store.CreateAPIKey(ctx, k))
	if err := e.store.CreateAPIKey(ctx, k); !errors.Is(err, account.ErrNameTaken) {
		t.Errorf("second create with the same id and hash: %v, want ErrNameTaken", err)
	}
	other := e.addTenant(t, uniqueName("other"))
	ok2, _ := account.NewAPIKey(other.TenantID, "ak_2", "Other", []account.Scope{account.ScopeLeadsRead}, "usr_admin", now)
	must(t, e.store.CreateAPIKey(ctx, ok2))

	got, err := e.store.APIKeyByHash(ctx, account.HashAPIKey(secret))
	if err != nil || got.ID != "ak_1" || got.TenantID != tenant || !got.Allows(account.ScopeLeadsWrite) || got.Allows(account.ScopeLeadsRead) {
		t.Fatalf("by hash: %+v %v", got, err)
	}
	if _, err := e.store.APIKeyByHash(ctx, account.HashAPIKey(secret+"x")); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("unknown secret: %v", err)
	}
	list, err := e.store.APIKeys(ctx, tenant)
	if err != nil || len(list) != 1 || list[0].ID != "ak_1" {
		t.Fatalf("list: %+v %v", list, err)
	}

	// Touch: recorded once, then not again within the minute.
	must(t, e.store.TouchAPIKey(ctx, got, now))
	got, _ = e.store.APIKeyByHash(ctx, k.Hash)
	if got.LastUsedAt == nil || !got.LastUsedAt.Equal(now) || got.NeedsTouch(now.Add(59*time.Second)) {
		t.Fatalf("after touch: last used %v", got.LastUsedAt)
	}
	stale := k // an instance that read the key before the touch
	must(t, e.store.TouchAPIKey(ctx, stale, now.Add(30*time.Second)))
	list, _ = e.store.APIKeys(ctx, tenant)
	if !list[0].LastUsedAt.Equal(now) {
		t.Errorf("touched twice within a minute: last used %v", list[0].LastUsedAt)
	}
	must(t, e.store.TouchAPIKey(ctx, got, now.Add(2*time.Minute)))
	list, _ = e.store.APIKeys(ctx, tenant)
	if !list[0].LastUsedAt.Equal(now.Add(2 * time.Minute)) {
		t.Errorf("not touched after two minutes: last used %v", list[0].LastUsedAt)
	}

	// Another account can't revoke it; revoking makes it unknown at once.
	if err := e.store.RevokeAPIKey(ctx, other.TenantID, "ak_1", now); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("revoke from another account: %v", err)
	}
	must(t, e.store.RevokeAPIKey(ctx, tenant, "ak_1", now))
	must(t, e.store.RevokeAPIKey(ctx, tenant, "ak_1", now)) // again: no change
	if _, err := e.store.APIKeyByHash(ctx, k.Hash); !errors.Is(err, account.ErrNotFound) {
		t.Errorf("revoked key found: %v", err)
	}
	list, _ = e.store.APIKeys(ctx, tenant)
	if len(list) != 1 || list[0].RevokedAt == nil {
		t.Errorf("revoked key not listed as revoked: %+v", list)
	}
	must(t, e.store.TouchAPIKey(ctx, got, now.Add(10*time.Minute)))
	list, _ = e.store.APIKeys(ctx, tenant)
	if !list[0].LastUsedAt.Equal(now.Add(2 * time.Minute)) {
		t.Errorf("a revoked key was touched: %v", list[0].LastUsedAt)
	}
}
