package systemtest_test

import (
	"net/http"
	"testing"
)

// An admin reads and changes the account; If-Match guards the write; bad
// fields are named; the sub-states set here are the ones lead PATCH
// accepts; every change is an audit entry; agents get 403.
func TestAccountSettings(t *testing.T) {
	s := newStack(t)
	r := s.expect(s.call("GET", "/v1/account", s.admin, nil), http.StatusOK)
	a := r.json(t)
	if a["id"] != s.tenant || a["country"] != "BR" || r.header.Get("ETag") != `"1"` {
		t.Fatalf("account %v, ETag %s", a, r.header.Get("ETag"))
	}
	if got := field(a, "sub_states.no_sale").([]any); len(got) != 2 || got[0].(map[string]any)["id"] != "sem_interesse" {
		t.Errorf("sub_states.no_sale = %v", got)
	}
	if got := s.expect(s.call("GET", "/v1/account", s.agent, nil), http.StatusOK).json(t); got["timezone"] == nil {
		t.Errorf("an agent reads the account's timezone and sub-states: %v", got)
	}
	s.expect(s.call("PATCH", "/v1/account", s.agent, map[string]any{"name": "Agente"}), http.StatusForbidden)

	bad := s.expect(s.call("PATCH", "/v1/account", s.admin, map[string]any{
		"name": "", "timezone": "Mars/Olympus", "country": "XX",
		"sub_states": map[string]any{"sale": []any{map[string]any{"id": "Pago!", "label": "Pago"}}},
	}), http.StatusBadRequest)
	errs := fieldErrors(t, bad)
	for _, f := range []string{"name", "timezone", "country", "sub_states.sale[0].id"} {
		if errs[f] == "" {
			t.Errorf("no error names %s: %v", f, errs)
		}
	}
	if errs := fieldErrors(t, s.expect(s.call("PATCH", "/v1/account", s.admin, map[string]any{"nome": "x"}), http.StatusBadRequest)); errs["nome"] != "unknown_field" {
		t.Errorf("an unknown field was not refused: %v", errs)
	}

	r = s.expect(s.call("PATCH", "/v1/account", s.admin, map[string]any{
		"name": "Loja Nova", "timezone": "America/Manaus",
		"sub_states": map[string]any{"in_progress": []any{
			map[string]any{"id": "demo_agendada", "label": "Demonstração agendada"},
		}},
	}, `If-Match: "1"`), http.StatusOK)
	a = r.json(t)
	if a["name"] != "Loja Nova" || a["timezone"] != "America/Manaus" || a["version"] != float64(2) || r.header.Get("ETag") != `"2"` {
		t.Errorf("patched account %v, ETag %s", a, r.header.Get("ETag"))
	}
	if got := field(a, "sub_states.in_progress").([]any); len(got) != 1 || got[0].(map[string]any)["label"] != "Demonstração agendada" {
		t.Errorf("sub_states.in_progress = %v", got)
	}
	if got := field(a, "sub_states.no_sale").([]any); len(got) != 2 {
		t.Errorf("a state left out lost its sub-states: %v", got)
	}
	// Stale version: 412, nothing written.
	s.expect(s.call("PATCH", "/v1/account", s.admin, map[string]any{"name": "Velha"}, `If-Match: "1"`), http.StatusPreconditionFailed)
	if got := s.expect(s.call("GET", "/v1/account", s.admin, nil), http.StatusOK).json(t)["name"]; got != "Loja Nova" {
		t.Errorf("a stale PATCH wrote name %v", got)
	}

	// The new sub-state is what lead PATCH accepts now; the removed one is not.
	id := s.newLead("settings-" + s.tenant + "@example.com")
	s.expect(s.call("PATCH", "/v1/leads/"+id, s.agent, map[string]any{"state": "in_progress", "sub_state": "demo_agendada"}), http.StatusOK)
	s.expect(s.call("PATCH", "/v1/leads/"+id, s.agent, map[string]any{"state": "in_progress", "sub_state": "proposta_enviada"}), http.StatusBadRequest)

	audit, err := s.store.AuditLog(t.Context(), s.tenant)
	must(t, err)
	fields := map[string]bool{}
	for _, e := range audit {
		if e.Actor.ID != "usr_admin" || e.Action != "account_updated" {
			t.Errorf("audit entry %+v", e)
		}
		fields[e.Field] = true
	}
	if len(audit) != 3 || !fields["name"] || !fields["timezone"] || !fields["sub_states.in_progress"] {
		t.Errorf("audit has %d entries for %v, want name, timezone, sub_states.in_progress", len(audit), fields)
	}
	// The other tenant's account is untouched.
	if got := s.expect(s.call("GET", "/v1/account", s.other, nil), http.StatusOK).json(t); got["name"] == "Loja Nova" || got["id"] != s.otherTen {
		t.Errorf("other tenant sees %v", got)
	}
}

// Sites: create (key shown once), list (key hidden), patch origins and rate
// limit (which captures obey), rotate the key (old key refused at once, new
// key captures), other tenants and agents refused.
func TestSiteSettings(t *testing.T) {
	s := newStack(t)
	created := s.expect(s.call("POST", "/v1/sites", s.admin, map[string]any{
		"name": "Landing BF", "allowed_origins": []string{"https://LP.example.com/"}, "rate_limit_per_minute": 10,
	}), http.StatusCreated).json(t)
	siteID, key := created["id"].(string), created["key"].(string)
	if key == "" || created["country"] != "BR" || field(created, "allowed_origins").([]any)[0] != "https://lp.example.com" {
		t.Fatalf("created %v", created)
	}
	errs := fieldErrors(t, s.expect(s.call("POST", "/v1/sites", s.admin, map[string]any{
		"allowed_origins": []string{"https://ok.example.com", "lp.example.com/path"}, "rate_limit_per_minute": 0,
	}), http.StatusBadRequest))
	for _, f := range []string{"name", "allowed_origins[1]", "rate_limit_per_minute"} {
		if errs[f] == "" {
			t.Errorf("no error names %s: %v", f, errs)
		}
	}

	list := s.expect(s.call("GET", "/v1/sites", s.admin, nil), http.StatusOK)
	items := list.json(t)["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("%d sites listed, want 2", len(items))
	}
	for _, it := range items {
		if it.(map[string]any)["key"] != nil || it.(map[string]any)["key_hint"] == "" {
			t.Errorf("the list shows a key: %v", it)
		}
	}
	if other := s.expect(s.call("GET", "/v1/sites", s.other, nil), http.StatusOK).json(t)["items"].([]any); len(other) != 1 || other[0].(map[string]any)["id"] == siteID {
		t.Errorf("other tenant lists %v", other)
	}
	s.expect(s.call("GET", "/v1/sites", s.agent, nil), http.StatusForbidden)

	// The new key captures from its origin, and the rate limit holds.
	body := func(ext string) map[string]any { return chatbotBody(ext, ext+"@example.com") }
	capture := func(k, origin, ext string) int {
		st := s.call("POST", "/v1/capture/leads", "", body(ext), "X-Site-Key: "+k, "Origin: "+origin).status
		if st == http.StatusAccepted { // a site-key capture: stored, no ids
			st = http.StatusCreated
		}
		return st
	}
	if st := capture(key, "https://lp.example.com", "s1"); st != http.StatusCreated {
		t.Fatalf("capture with the new site's key: %d", st)
	}
	if st := capture(key, "https://evil.example.com", "s2"); st != http.StatusForbidden {
		t.Errorf("capture from another origin: %d, want 403", st)
	}
	s.expect(s.call("PATCH", "/v1/sites/"+siteID, s.admin, map[string]any{"allowed_origins": []string{"https://evil.example.com"}, "name": "Landing"}), http.StatusOK)
	if st := capture(key, "https://evil.example.com", "s3"); st != http.StatusCreated {
		t.Errorf("capture after allowing the origin: %d", st)
	}
	s.expect(s.call("PATCH", "/v1/sites/"+siteID, s.other, map[string]any{"name": "Intruso"}), http.StatusNotFound)
	s.expect(s.call("PATCH", "/v1/sites/"+siteID, s.admin, map[string]any{"country": "Brasil"}), http.StatusBadRequest)

	rotated := s.expect(s.call("POST", "/v1/sites/"+siteID+"/rotate-key", s.admin, nil), http.StatusOK).json(t)
	newKey := rotated["key"].(string)
	if newKey == "" || newKey == key || rotated["name"] != "Landing" {
		t.Fatalf("rotated %v", rotated)
	}
	if st := capture(key, "https://evil.example.com", "s4"); st != http.StatusUnauthorized {
		t.Errorf("capture with the old key after rotation: %d, want 401", st)
	}
	if st := capture(newKey, "https://evil.example.com", "s5"); st != http.StatusCreated {
		t.Errorf("capture with the new key: %d", st)
	}
	s.expect(s.call("POST", "/v1/sites/"+siteID+"/rotate-key", s.other, nil), http.StatusNotFound)
	s.expect(s.call("POST", "/v1/sites/"+siteID+"/rotate-key", s.agent, nil), http.StatusForbidden)

	audit, err := s.store.AuditLog(t.Context(), s.tenant)
	must(t, err)
	var actions []string
	for _, e := range audit {
		actions = append(actions, e.Action+":"+e.Field)
	}
	want := []string{"site_created:site", "site_updated:name", "site_updated:allowed_origins", "site_key_rotated:key"}
	if len(actions) != len(want) {
		t.Fatalf("audit %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Errorf("audit %v, want %v", actions, want)
			break
		}
	}
}
