package systemtest_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

func (f *listFixture) list(query string) []string {
	got := f.names(f.s.expect(f.s.call("GET", "/v1/leads?"+query, f.s.admin, nil), http.StatusOK))
	slices.Sort(got)
	return got
}

func (f *listFixture) bulk(token string, body map[string]any) map[string]any {
	f.s.t.Helper()
	r := f.s.expect(f.s.call("POST", "/v1/leads/bulk", token, body), http.StatusAccepted)
	job := r.json(f.s.t)
	// The inline starter ran it; the job endpoint shows the same record.
	got := f.s.expect(f.s.call("GET", "/v1/jobs/"+job["id"].(string), token, nil), http.StatusOK).json(f.s.t)
	if got["status"] != "done" {
		f.s.t.Fatalf("job not done: %v", got)
	}
	return got
}

func TestBulkActionsOnIdsAndFilters(t *testing.T) {
	f := newListFixture(t)
	s := f.s
	// On ids: one unknown id fails alone, with its reason.
	job := f.bulk(s.agent, map[string]any{"action": "add_tag", "tag": "Quente", "ids": []string{f.ids["joao"], f.ids["ana"], "ld_nope"}})
	if job["done_count"] != float64(2) || job["failed_count"] != float64(1) || job["total"] != float64(3) {
		t.Errorf("job = %v", job)
	}
	if e := job["errors"].([]any); len(e) != 1 || e[0].(map[string]any)["id"] != "ld_nope" || e[0].(map[string]any)["reason"] != "not_found" {
		t.Errorf("errors = %v", e)
	}
	if got := f.list("tag=quente"); !slices.Equal(got, []string{"ana", "joao"}) {
		t.Errorf("tag=quente → %v", got)
	}
	// Each lead changed has its own history entry by the caller.
	d := s.expect(s.call("GET", "/v1/leads/"+f.ids["ana"], s.admin, nil), http.StatusOK).json(t)
	found := false
	for _, h := range d["history"].([]any) {
		e := h.(map[string]any)
		if e["field"] == "tags" && field(e, "actor.id") == "usr_agent" {
			found = true
		}
	}
	if !found {
		t.Errorf("no tags history entry on ana: %v", d["history"])
	}

	// On a filter: every matching lead, not one page.
	job = f.bulk(s.agent, map[string]any{"action": "classify", "classification": "company", "filter": map[string]string{"campaign": "bf2026"}})
	if job["done_count"] != float64(3) {
		t.Errorf("classify job = %v", job)
	}
	if got := f.list("classification=company"); !slices.Equal(got, []string{"ana", "joao", "maria", "zeca"}) {
		t.Errorf("classification=company → %v", got)
	}
	f.bulk(s.agent, map[string]any{"action": "add_group", "group_id": f.g1, "filter": map[string]string{"tag": "vip"}})
	if got := f.list("group=" + f.g1); !slices.Equal(got, []string{"joao", "maria", "pedro"}) {
		t.Errorf("group → %v", got)
	}
	f.bulk(s.agent, map[string]any{"action": "remove_group", "group_id": f.g1, "ids": []string{f.ids["pedro"]}})
	f.bulk(s.agent, map[string]any{"action": "remove_tag", "tag": "quente", "filter": map[string]string{}})
	if got := f.list("tag=quente"); len(got) != 0 {
		t.Errorf("tag removed from all, still %v", got)
	}
	f.bulk(s.agent, map[string]any{"action": "change_state", "state": "no_sale", "sub_state": "preco_alto", "filter": map[string]string{"state": "new"}})
	if got := f.list("state=no_sale&sub_state=preco_alto"); !slices.Equal(got, []string{"joao", "pedro"}) {
		t.Errorf("change_state → %v", got)
	}
	// Admin-only actions.
	s.expect(s.call("POST", "/v1/leads/bulk", s.agent, map[string]any{"action": "assign", "owner_id": "usr_agent", "filter": map[string]string{}}), http.StatusForbidden)
	s.expect(s.call("POST", "/v1/leads/bulk", s.agent, map[string]any{"action": "delete", "ids": []string{f.ids["pedro"]}}), http.StatusForbidden)
	f.bulk(s.admin, map[string]any{"action": "assign", "owner_id": "usr_admin", "filter": map[string]string{"owner": "unassigned"}})
	if got := f.list("owner=usr_admin"); !slices.Equal(got, []string{"ana", "maria", "pedro"}) {
		t.Errorf("assign → %v", got)
	}
	// Soft delete: gone from lists and detail; restored by an admin.
	f.bulk(s.admin, map[string]any{"action": "delete", "ids": []string{f.ids["pedro"]}})
	if got := f.list(""); slices.Contains(got, "pedro") || len(got) != 4 {
		t.Errorf("after delete → %v", got)
	}
	s.expect(s.call("GET", "/v1/leads/"+f.ids["pedro"], s.admin, nil), http.StatusNotFound)
	s.expect(s.call("PATCH", "/v1/leads/"+f.ids["pedro"], s.admin, map[string]any{"rating": 1}), http.StatusNotFound)
	for _, sub := range []string{"notes", "history", "conversation"} {
		s.expect(s.call("GET", "/v1/leads/"+f.ids["pedro"]+"/"+sub, s.admin, nil), http.StatusNotFound)
	}
	s.expect(s.call("POST", "/v1/leads/"+f.ids["pedro"]+"/restore", s.agent, nil), http.StatusForbidden)
	s.expect(s.call("POST", "/v1/leads/"+f.ids["pedro"]+"/restore", s.admin, nil), http.StatusOK)
	if got := f.list("group=" + f.g1 + "&owner=usr_admin"); !slices.Equal(got, []string{"maria"}) {
		t.Errorf("pedro left the group before: %v", got)
	}
	if got := f.list("owner=usr_admin"); !slices.Contains(got, "pedro") {
		t.Errorf("restored lead not listed: %v", got)
	}
	// Bad requests name the field; jobs of another tenant are invisible.
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"action": "explode", "ids": []string{"x"}}, "action"},
		{map[string]any{"action": "add_tag", "tag": "x"}, "ids"},
		{map[string]any{"action": "add_tag", "tag": "", "ids": []string{"x"}}, "tag"},
		{map[string]any{"action": "classify", "classification": "robot", "ids": []string{"x"}}, "classification"},
		{map[string]any{"action": "change_state", "state": "won", "ids": []string{"x"}}, "state"},
		{map[string]any{"action": "add_tag", "tag": "x", "filter": map[string]string{"color": "red"}}, "filter.color"},
		{map[string]any{"action": "add_group", "group_id": "grp_nope", "ids": []string{"x"}}, "group_id"},
	} {
		r := s.expect(s.call("POST", "/v1/leads/bulk", s.agent, c.body), http.StatusBadRequest)
		if fieldErrors(t, r)[c.field] == "" {
			t.Errorf("%v: no error named %s: %s", c.body, c.field, r.body)
		}
	}
	s.expect(s.call("GET", "/v1/jobs/"+job["id"].(string), s.other, nil), http.StatusNotFound)
}

func TestBulkJobRunsInChunks(t *testing.T) {
	f := newListFixture(t)
	ids := []string{f.ids["joao"], f.ids["maria"]}
	for i := range 248 {
		ids = append(ids, fmt.Sprintf("ld_missing%03d", i))
	}
	job := f.bulk(f.s.agent, map[string]any{"action": "add_tag", "tag": "lote", "ids": ids})
	if job["total"] != float64(250) || job["done_count"] != float64(2) || job["failed_count"] != float64(248) ||
		job["chunk"] != float64(3) || job["expected"] != float64(250) || len(job["errors"].([]any)) != 248 {
		t.Errorf("job = total %v done %v failed %v chunk %v errors %d", job["total"], job["done_count"], job["failed_count"], job["chunk"], len(job["errors"].([]any)))
	}
}
