package demo_test

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/auth"
	"github.com/leadflow/leadflow/internal/capture"
	"github.com/leadflow/leadflow/internal/demo"
	"github.com/leadflow/leadflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Seeding runs on every `make dev`: it must work on an empty table, be a
// no-op the second time, and leave credentials that actually work.
func TestSeedIsIdempotentAndItsCredentialsWork(t *testing.T) {
	ctx := context.Background()
	st := testenv.Store(t)
	envPath := filepath.Join(t.TempDir(), "demo.env")
	secrets, err := demo.LoadSecrets(envPath)
	if err != nil {
		t.Fatal(err)
	}
	secrets.Ensure()
	hm, err := auth.NewHMAC([]byte(secrets[demo.EnvJWTSecret]), "leadflow-local")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for range 2 {
		if err := demo.Seed(ctx, st, hm, secrets, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := secrets.Write(envPath); err != nil {
		t.Fatal(err)
	}
	reread, err := demo.LoadSecrets(envPath)
	if err != nil || reread[demo.EnvSiteKey] != secrets[demo.EnvSiteKey] || reread[demo.EnvAdminToken] == "" {
		t.Fatalf("demo.env round trip: %v %v", reread, err)
	}

	site, err := st.SiteByKey(ctx, reread[demo.EnvSiteKey])
	if err != nil || site.TenantID != demo.TenantID {
		t.Fatalf("site key from demo.env: %+v %v", site, err)
	}
	for key, role := range map[string]account.Role{demo.EnvAdminToken: account.RoleAdmin, demo.EnvAgentToken: account.RoleAgent} {
		r, _ := http.NewRequest("GET", "/v1/me", nil)
		r.Header.Set("Authorization", "Bearer "+reread[key])
		p, err := hm.Authenticate(r)
		if err != nil || p.Role != role || p.TenantID != demo.TenantID {
			t.Errorf("%s: %+v %v", key, p, err)
		}
	}
	// The API key in demo.env is stored (hashed), live, with every scope.
	k, err := st.APIKeyByHash(ctx, account.HashAPIKey(reread[demo.EnvAPIKey]))
	if err != nil || k.TenantID != demo.TenantID || !k.Allows(account.ScopeLeadsWrite) || !k.Allows(account.ScopeLeadsRead) || !k.Allows(account.ScopeInteractionsWrite) {
		t.Errorf("%s: %+v %v", demo.EnvAPIKey, k, err)
	}
	if keys, err := st.APIKeys(ctx, demo.TenantID); err != nil || len(keys) != 1 {
		t.Errorf("after two seeds: %d keys, %v; want one", len(keys), err)
	}
	// Every demo lead exists exactly once: capturing it again is a repeat.
	for i, dl := range demo.Leads(now) {
		c, err := capture.Normalize(site, dl.Request, capture.Meta{IP: "10.0.0.1", Now: now})
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.Capture(ctx, site, c)
		if err != nil || res.Created {
			t.Errorf("demo lead %d: created=%v err=%v, want an existing lead", i, res.Created, err)
		}
		d, err := st.Detail(ctx, demo.TenantID, res.LeadID)
		if err != nil || d.Lead.FirstTouch.At.After(now) {
			t.Errorf("demo lead %d detail: %v", i, err)
		}
	}
}
