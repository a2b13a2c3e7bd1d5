package systemtest_test

import (
	"net/http"
	"testing"
)

func TestSavedFiltersPerUserAndShared(t *testing.T) {
	s := newStack(t)
	mine := s.expect(s.call("POST", "/v1/saved-filters", s.agent, map[string]any{
		"name": "Meus BF 4+", "filter": map[string]string{"owner": "mine", "campaign": "bf2026", "rating_min": "4"}, "sort": "name",
	}), http.StatusCreated).json(t)
	shared := s.expect(s.call("POST", "/v1/saved-filters", s.admin, map[string]any{
		"name": "Novos", "filter": map[string]string{"state": "new"}, "shared": true,
	}), http.StatusCreated).json(t)
	s.expect(s.call("POST", "/v1/saved-filters", s.admin, map[string]any{"name": "Privado", "filter": map[string]string{}}), http.StatusCreated)

	list := func(tok string) []string {
		var names []string
		for _, it := range s.expect(s.call("GET", "/v1/saved-filters", tok, nil), http.StatusOK).json(t)["items"].([]any) {
			names = append(names, it.(map[string]any)["name"].(string))
		}
		return names
	}
	if got := len(list(s.agent)); got != 2 { // own + shared, not the admin's private one
		t.Errorf("agent sees %v", list(s.agent))
	}
	if got := len(list(s.admin)); got != 2 { // own two; the agent's is private
		t.Errorf("admin sees %v", list(s.admin))
	}
	if got := list(s.other); len(got) != 0 {
		t.Errorf("other tenant sees %v", got)
	}
	// Rename own; a shared filter of someone else can be used, not changed.
	r := s.expect(s.call("PATCH", "/v1/saved-filters/"+mine["id"].(string), s.agent, map[string]any{"name": "BF quentes"}), http.StatusOK).json(t)
	if r["name"] != "BF quentes" || r["sort"] != "name" {
		t.Errorf("renamed = %v", r)
	}
	s.expect(s.call("PATCH", "/v1/saved-filters/"+shared["id"].(string), s.agent, map[string]any{"name": "x"}), http.StatusForbidden)
	s.expect(s.call("DELETE", "/v1/saved-filters/"+shared["id"].(string), s.agent, nil), http.StatusForbidden)
	s.expect(s.call("PATCH", "/v1/saved-filters/"+mine["id"].(string), s.admin, map[string]any{"name": "x"}), http.StatusNotFound)
	// Invalid filters are refused naming the field.
	bad := s.expect(s.call("POST", "/v1/saved-filters", s.agent, map[string]any{"name": "x", "filter": map[string]string{"state": "won", "color": "red"}, "sort": "random"}), http.StatusBadRequest)
	fe := fieldErrors(t, bad)
	for _, f := range []string{"filter.state", "filter.color", "sort"} {
		if fe[f] == "" {
			t.Errorf("no error for %s: %v", f, fe)
		}
	}
	s.expect(s.call("POST", "/v1/saved-filters", s.agent, map[string]any{"filter": map[string]string{}}), http.StatusBadRequest)
	s.expect(s.call("DELETE", "/v1/saved-filters/"+mine["id"].(string), s.agent, nil), http.StatusNoContent)
	s.expect(s.call("DELETE", "/v1/saved-filters/"+mine["id"].(string), s.agent, nil), http.StatusNotFound)
	if got := len(list(s.agent)); got != 1 {
		t.Errorf("after delete agent sees %v", list(s.agent))
	}
	// Groups: unique names per account.
	s.expect(s.call("POST", "/v1/groups", s.agent, map[string]any{"name": "Imprensa"}), http.StatusCreated)
	s.expect(s.call("POST", "/v1/groups", s.agent, map[string]any{"name": " imprensa "}), http.StatusConflict)
	s.expect(s.call("POST", "/v1/groups", s.other, map[string]any{"name": "Imprensa"}), http.StatusCreated)
	s.expect(s.call("PATCH", "/v1/leads/"+s.newLead("g@example.com"), s.agent, map[string]any{"groups": []string{"grp_nope"}}), http.StatusBadRequest)
}
