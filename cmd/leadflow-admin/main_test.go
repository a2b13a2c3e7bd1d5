package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/config"
	"github.com/leadflow/leadflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestOnboardAnAccount(t *testing.T) {
	ctx := context.Background()
	st := testenv.Store(t)
	cfg := config.Config{JWTSecret: strings.Repeat("s", 32), JWTIssuer: "leadflow-local"}
	now := time.Now().UTC()
	cmd := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, st, cfg, &out, now)
		return out.String(), err
	}

	if _, err := cmd("site", "-tenant", "acme", "-name", "x"); err == nil {
		t.Fatal("a site for a missing account was accepted")
	}
	if _, err := cmd("account", "-id", "Acme Ltda", "-name", "Acme"); err == nil {
		t.Fatal("an invalid account id was accepted")
	}
	if _, err := cmd("account", "-id", "acme", "-name", "Acme Ltda"); err != nil {
		t.Fatal(err)
	}
	out, err := cmd("site", "-tenant", "acme", "-name", "acme.com.br", "-origin", "https://acme.com.br, https://www.acme.com.br", "-rate", "12")
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := strings.Cut(out, "site key: ")
	key = strings.TrimSpace(key)
	site, err := st.SiteByKey(ctx, key)
	if err != nil {
		t.Fatalf("printed key %q does not find the site: %v", key, err)
	}
	if site.TenantID != "acme" || site.RateLimitPerMinute != 12 || len(site.AllowedOrigins) != 2 || !site.OriginAllowed("https://www.acme.com.br") {
		t.Errorf("site = %+v", site)
	}
	if _, err := cmd("user", "-tenant", "acme", "-id", "usr_ana", "-name", "Ana", "-role", "owner"); err == nil {
		t.Error("an unknown role was accepted")
	}
	if _, err := cmd("user", "-tenant", "acme", "-id", "usr_ana", "-name", "Ana", "-email", "Ana@Acme.com.br", "-role", "admin"); err != nil {
		t.Fatal(err)
	}
	u, err := st.User(ctx, "acme", "usr_ana")
	if err != nil || u.Role != "admin" || !u.Active || u.Email != "ana@acme.com.br" {
		t.Errorf("user = %+v, %v", u, err)
	}
	tok, err := cmd("token", "-tenant", "acme", "-user", "usr_ana", "-role", "admin")
	if err != nil || strings.Count(tok, ".") != 2 {
		t.Errorf("token = %q, %v", tok, err)
	}
	if _, err := cmd("api-key", "-tenant", "acme", "-name", "ERP", "-scopes", "leads:write,root"); err == nil {
		t.Error("an unknown scope was accepted")
	}
	out, err = cmd("api-key", "-tenant", "acme", "-name", "ERP", "-scopes", "leads:write, leads:read")
	if err != nil {
		t.Fatal(err)
	}
	_, secret, _ := strings.Cut(out, "api key: ")
	k, err := st.APIKeyByHash(ctx, account.HashAPIKey(strings.TrimSpace(secret)))
	if err != nil || k.TenantID != "acme" || k.Name != "ERP" || !k.Allows(account.ScopeLeadsRead) || k.Allows(account.ScopeInteractionsWrite) {
		t.Errorf("printed api key %q: %+v %v", secret, k, err)
	}
}

func TestBackfillIndexCommand(t *testing.T) {
	st := testenv.Store(t)
	for range 2 {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"backfill-index", "-page", "50"}, st, config.Config{}, &out, time.Now()); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "done=true") {
			t.Errorf("backfill-index said %q, want done", out.String())
		}
	}
}
