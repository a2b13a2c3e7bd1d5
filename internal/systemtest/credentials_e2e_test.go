package systemtest_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/auth"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/httpapi"
)

const acceptedBody = "{\"accepted\":true}\n"

// The public site key is no lookup oracle: a new person, a known person
// (by e-mail, phone, CPF or external id) and a honeypot hit all get the
// same status, the same headers and the same bytes, on the JSON route and
// on the form route.
func TestPublicCaptureAnswersTheSameForNewAndKnownPeople(t *testing.T) {
	s := newStack(t)
	known := chatbotBody("conv-known", "known@example.com")
	known["contact"].(map[string]any)["cpf"] = "529.982.247-25"
	s.expect(s.capture(known), http.StatusCreated)

	byEmail := map[string]any{"source": "chatbot", "contact": map[string]any{"email": "known@example.com"}}
	byCPF := map[string]any{"source": "chatbot", "contact": map[string]any{"email": "other@example.com", "cpf": "52998224725"}}
	answers := map[string]response{
		"new":         s.publicCapture(chatbotBody("conv-new", "new@example.com")),
		"known":       s.publicCapture(known),
		"by e-mail":   s.publicCapture(byEmail),
		"by CPF":      s.publicCapture(byCPF),
		"new, again":  s.publicCapture(map[string]any{"source": "chatbot", "contact": map[string]any{"email": "new2@example.com"}}),
		"form new":    s.postForm(url.Values{"email": {"form-new@example.com"}}),
		"form known":  s.postForm(url.Values{"email": {"known@example.com"}}),
		"form bot":    s.postForm(url.Values{"email": {"bot@example.com"}, "_hp": {"x"}}),
		"with origin": s.publicCapture(byEmail, "Origin: https://shop.example.com"),
	}
	want := answers["new"]
	if want.status != http.StatusAccepted || string(want.body) != acceptedBody {
		t.Fatalf("new person: %d %q, want 202 %q", want.status, want.body, acceptedBody)
	}
	for name, r := range answers {
		if r.status != want.status || !bytes.Equal(r.body, want.body) {
			t.Errorf("%s: %d %q, want the same as a new person: %d %q", name, r.status, r.body, want.status, want.body)
		}
		for _, h := range []string{"Content-Type", "Cache-Control", "Location", "ETag", "Retry-After"} {
			if r.header.Get(h) != want.header.Get(h) {
				t.Errorf("%s: header %s = %q, a new person's is %q", name, h, r.header.Get(h), want.header.Get(h))
			}
		}
	}
	// They were stored all the same (the honeypot excepted).
	lead := s.expect(s.capture(byEmail), http.StatusOK).json(t)
	d := s.expect(s.call("GET", "/v1/leads/"+lead["lead_id"].(string), s.admin, nil), http.StatusOK).json(t)
	if d["interactions"].(float64) < 5 {
		t.Errorf("known lead has %v interactions after 5 public captures and the server one", d["interactions"])
	}
	s.expect(s.capture(map[string]any{"source": "api", "contact": map[string]any{"email": "bot@example.com"}}), http.StatusCreated)
}

func (s *stack) postForm(v url.Values) response {
	s.t.Helper()
	return s.call("POST", "/v1/capture/forms/"+s.site.Key, "", v.Encode(), "Content-Type: application/x-www-form-urlencoded")
}

// A server capture needs a live key of the site's account with
// leads:write: an unknown or revoked key is 401, a key without the scope
// or of another account 403, and none of them stores anything. A good key
// skips the browser origin check and gets the lead's ids.
func TestAPIKeyCaptureRefusesWrongScopeRevokedAndForeignKeys(t *testing.T) {
	s := newStack(t)
	body := func(email string) map[string]any {
		return map[string]any{"source": "api", "external_id": "ext-" + email, "contact": map[string]any{"email": email}}
	}
	capture := func(key, siteKey, email string, headers ...string) response {
		return s.call("POST", "/v1/capture/leads", key, body(email), append([]string{"X-Site-Key: " + siteKey}, headers...)...)
	}
	readOnly := s.newAPIKey(s.tenant, account.ScopeLeadsRead, account.ScopeInteractionsWrite)
	foreign := s.newAPIKey(s.otherTen, account.Scopes...)

	created := s.expect(s.call("POST", "/v1/api-keys", s.admin, map[string]any{"name": "ERP", "scopes": []string{"leads:write"}}), http.StatusCreated).json(t)
	revoked := created["key"].(string)
	s.expect(capture(revoked, s.site.Key, "before-revoke@example.com"), http.StatusCreated)
	s.expect(s.call("DELETE", "/v1/api-keys/"+created["id"].(string), s.admin, nil), http.StatusNoContent)

	refusals := []struct {
		name, key, site string
		status          int
	}{
		{"wrong scope", readOnly, s.site.Key, http.StatusForbidden},
		{"revoked", revoked, s.site.Key, http.StatusUnauthorized},
		{"another account's key", foreign, s.site.Key, http.StatusForbidden},
		{"key for another account's site", s.apiKey, s.otherSite.Key, http.StatusForbidden},
		{"unknown key", s.apiKey[:len(s.apiKey)-2] + "zz", s.site.Key, http.StatusUnauthorized},
		{"console token", s.admin, s.site.Key, http.StatusUnauthorized},
		{"site key as bearer", s.site.Key, s.site.Key, http.StatusUnauthorized},
		{"no site key", s.apiKey, "", http.StatusUnauthorized},
	}
	for i, c := range refusals {
		email := fmt.Sprintf("refused%d@example.com", i)
		if r := capture(c.key, c.site, email); r.status != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, r.status, c.status, r.body)
		}
	}
	// Nothing was stored in either account: each person is new now.
	for i := range refusals {
		email := fmt.Sprintf("refused%d@example.com", i)
		s.expect(capture(s.apiKey, s.site.Key, email), http.StatusCreated)
		s.expect(capture(foreign, s.otherSite.Key, email), http.StatusCreated)
	}
	// A good key from a browser origin the site does not allow: servers
	// are not browsers, the origin check is the site key's.
	r := s.expect(capture(s.apiKey, s.site.Key, "origin@example.com", "Origin: https://evil.example.net"), http.StatusCreated)
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("API-key capture answered CORS headers: %v", r.header)
	}
	again := s.expect(capture(s.apiKey, s.site.Key, "origin@example.com"), http.StatusOK).json(t)
	if again["created"] != false || again["lead_id"] != r.json(t)["lead_id"] {
		t.Errorf("repeat: %v", again)
	}
}

// Admins create, list and revoke keys; the secret is in the create answer
// only (never listed, never its hash), the list shows the last use, and a
// key id of another account is 404.
func TestAPIKeyRoutes(t *testing.T) {
	s := newStack(t)
	r := s.expect(s.call("POST", "/v1/api-keys", s.admin, map[string]any{"name": "  Site\u0000 server ", "scopes": []string{"leads:write", "leads:read", "leads:write"}}), http.StatusCreated).json(t)
	secret, id := r["key"].(string), r["id"].(string)
	if !strings.HasPrefix(secret, "lfk_") || !strings.HasPrefix(secret, r["prefix"].(string)) || r["name"] != "Site server" || r["created_by"] != "usr_admin" {
		t.Fatalf("create answer: %v", r)
	}
	if sc := r["scopes"].([]any); len(sc) != 2 {
		t.Errorf("scopes = %v, want the two distinct ones", sc)
	}
	list := s.expect(s.call("GET", "/v1/api-keys", s.admin, nil), http.StatusOK)
	for _, leak := range []string{secret, account.HashAPIKey(secret)} {
		if bytes.Contains(list.body, []byte(leak)) {
			t.Fatalf("the list shows the secret or its hash: %s", list.body)
		}
	}
	items := list.json(t)["items"].([]any)
	mine := func() map[string]any {
		for _, it := range s.expect(s.call("GET", "/v1/api-keys", s.admin, nil), http.StatusOK).json(t)["items"].([]any) {
			if m := it.(map[string]any); m["id"] == id {
				return m
			}
		}
		t.Fatalf("key %s not listed", id)
		return nil
	}
	if len(items) != 2 || mine()["last_used_at"] != nil { // the stack's key and this one
		t.Fatalf("list: %s", list.body)
	}
	s.expect(s.call("POST", "/v1/capture/leads", secret, map[string]any{"source": "api", "contact": map[string]any{"email": "used@example.com"}},
		"X-Site-Key: "+s.site.Key), http.StatusCreated)
	if mine()["last_used_at"] == nil {
		t.Error("last_used_at not set after a capture")
	}

	for name, body := range map[string]any{
		"name":      map[string]any{"name": " \u0000 ", "scopes": []string{"leads:write"}},
		"scopes[1]": map[string]any{"name": "x", "scopes": []string{"leads:write", "admin"}},
		"scopes":    map[string]any{"name": "x", "scopes": []string{}},
		"body":      map[string]any{"name": "x", "scopes": []string{"leads:write"}, "owner_id": "usr_agent"},
	} {
		if fe := fieldErrors(t, s.expect(s.call("POST", "/v1/api-keys", s.admin, body), http.StatusBadRequest)); fe[name] == "" {
			t.Errorf("bad %s not named: %v", name, fe)
		}
	}
	s.expect(s.call("DELETE", "/v1/api-keys/"+id, s.other, nil), http.StatusNotFound)
	s.expect(s.call("DELETE", "/v1/api-keys/ak_nope", s.admin, nil), http.StatusNotFound)
	s.expect(s.call("DELETE", "/v1/api-keys/"+id, s.agent, nil), http.StatusForbidden)
	s.expect(s.call("DELETE", "/v1/api-keys/"+id, s.admin, nil), http.StatusNoContent)
	if mine()["revoked_at"] == nil {
		t.Error("revoked key not shown as revoked")
	}
	s.expect(s.call("POST", "/v1/capture/leads", secret, map[string]any{"source": "api", "contact": map[string]any{"email": "used@example.com"}},
		"X-Site-Key: "+s.site.Key), http.StatusUnauthorized)
}

// A deactivated user is locked out at once, although their token is still
// valid; reactivated, the same token works again. A demoted role applies
// at once too (the stored role wins over the token's).
func TestDeactivatedUserIsLockedOutAtOnce(t *testing.T) {
	s := newStack(t)
	s.expect(s.call("GET", "/v1/me", s.agent, nil), http.StatusOK)
	s.expect(s.call("PATCH", "/v1/users/usr_agent", s.admin, map[string]any{"active": false}), http.StatusOK)
	r := s.expect(s.call("GET", "/v1/me", s.agent, nil), http.StatusUnauthorized)
	if r.header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	s.expect(s.call("GET", "/v1/leads", s.agent, nil), http.StatusUnauthorized)
	s.expect(s.call("PATCH", "/v1/users/usr_agent", s.admin, map[string]any{"active": true}), http.StatusOK)
	s.expect(s.call("GET", "/v1/me", s.agent, nil), http.StatusOK)

	// An agent holding a token that says admin gets the agent's rights.
	hm, err := auth.NewHMAC(stackSecret, stackIssuer)
	must(t, err)
	forged := issue(t, hm, s.tenant, "usr_agent", account.RoleAdmin)
	s.expect(s.call("GET", "/v1/api-keys", forged, nil), http.StatusForbidden)
	if me := s.expect(s.call("GET", "/v1/me", forged, nil), http.StatusOK).json(t); me["role"] != "agent" {
		t.Errorf("role = %v, want the stored agent", me["role"])
	}
}

// Through the whole handler with both clocks injected (the server's Now
// and the store's): the site key's limit per IP and an API key's limit
// per key slide across the minute boundary instead of resetting on it.
func TestCaptureRateLimitSlidesAcrossTheMinuteBoundary(t *testing.T) {
	s := newStack(t)
	now := time.Date(2026, 11, 20, 14, 0, 58, 0, time.UTC)
	clock := func() time.Time { return now }
	store := dynamo.New(s.client, s.table, dynamo.WithClock(clock))
	site := s.site
	site.Key = "pk_slide_" + s.tenant
	site.RateLimitPerMinute = 3
	must(t, store.PutSite(context.Background(), site))
	k, secret := account.NewAPIKey(s.tenant, "ak_slide", "slide", []account.Scope{account.ScopeLeadsWrite}, "usr_admin", now)
	k.RateLimitPerMinute = 2
	must(t, store.CreateAPIKey(context.Background(), k))
	d := s.deps
	d.Sites, d.Captures, d.APIKeys, d.Now = store, store, store, clock
	srv := httptest.NewServer(httpapi.NewLocal(d))
	defer srv.Close()
	s.srv = srv

	n := 0
	post := func(key string) response {
		n++
		return s.call("POST", "/v1/capture/leads", key, map[string]any{"source": "api", "contact": map[string]any{"email": fmt.Sprintf("slide%d@example.com", n)}},
			"X-Site-Key: "+site.Key)
	}
	for range 3 {
		s.expect(post(""), http.StatusAccepted)
	}
	for range 2 {
		s.expect(post(secret), http.StatusCreated)
	}
	s.expect(post(""), http.StatusTooManyRequests)
	s.expect(post(secret), http.StatusTooManyRequests)
	for _, after := range []time.Duration{2 * time.Second, 30 * time.Second, 58 * time.Second} {
		now = time.Date(2026, 11, 20, 14, 0, 58, 0, time.UTC).Add(after)
		for _, key := range []string{"", secret} {
			r := s.expect(post(key), http.StatusTooManyRequests)
			if ra := r.header.Get("Retry-After"); ra == "" || ra == "0" {
				t.Errorf("%v after the burst: Retry-After %q", after, ra)
			}
		}
	}
	now = time.Date(2026, 11, 20, 14, 2, 0, 0, time.UTC)
	s.expect(post(""), http.StatusAccepted)
	s.expect(post(secret), http.StatusCreated)
}
