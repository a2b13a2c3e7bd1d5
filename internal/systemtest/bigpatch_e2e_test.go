package systemtest_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// Issue 13: a PATCH of any size within the documented limits (20 tags, 20
// groups) succeeds or answers a 4xx naming the limit, never 500; and the
// lists follow it (entries of the old tags and groups gone, new ones there).
func TestBigPatchOfTagsAndGroups(t *testing.T) {
	s := newStack(t)
	id := s.newLead("bigpatch@example.com")
	groups := make([]string, 40)
	for i := range groups {
		g := s.expect(s.call("POST", "/v1/groups", s.admin, map[string]any{"name": fmt.Sprintf("Grupo %02d", i)}), http.StatusCreated).json(t)
		groups[i] = g["id"].(string)
	}
	tags := func(prefix string) []string {
		out := make([]string, 20)
		for i := range out {
			out[i] = fmt.Sprintf("%s%02d", prefix, i)
		}
		return out
	}
	listed := func(query string) bool {
		t.Helper()
		items, _ := s.expect(s.call("GET", "/v1/leads?limit=100&"+query, s.admin, nil), http.StatusOK).json(t)["items"].([]any)
		return slices.ContainsFunc(items, func(it any) bool { return it.(map[string]any)["id"] == id })
	}

	s.expect(s.call("PATCH", "/v1/leads/"+id, s.admin, map[string]any{"tags": tags("old"), "groups": groups[:20]}), http.StatusOK)
	// Every tag and group replaced at once, with the name and every contact
	// field: the largest change the limits allow.
	r := s.call("PATCH", "/v1/leads/"+id, s.admin, map[string]any{
		"tags": tags("new"), "groups": groups[20:], "name": "Beatriz Nova Pereira",
		"contact": map[string]any{"email": "bia.nova@example.com", "phone": "+55 11 98888-7777", "whatsapp": "+55 21 97777-6666"},
	})
	switch {
	case r.status == http.StatusOK:
		l := r.json(t)
		if got := l["tags"].([]any); len(got) != 20 || got[0] != "new00" {
			t.Errorf("tags after patch %v", got)
		}
	case r.status >= 400 && r.status < 500:
		errs := fieldErrors(t, r)
		if errs["tags"] != "too_many_changes" && errs["groups"] != "too_many_changes" {
			t.Fatalf("refused big patch: errors %v, want tags or groups too_many_changes", errs)
		}
		return
	default:
		t.Fatalf("big patch: status %d\n%s", r.status, r.body)
	}
	// A big change whose e-mail another lead holds: the split transaction
	// still names the identity conflict (409), and changes nothing.
	s.newLead("taken@example.com")
	r = s.expect(s.call("PATCH", "/v1/leads/"+id, s.admin, map[string]any{
		"tags": tags("old"), "groups": groups[:20], "name": "Outra Pessoa", "contact": map[string]any{"email": "taken@example.com"},
	}), http.StatusConflict)
	for _, c := range []struct {
		query string
		want  bool
	}{
		{"tag=new07", true}, {"tag=old07", false},
		{"group=" + groups[25], true}, {"group=" + groups[5], false},
		{"q=beatriz", true}, {"q=bigpatch", false}, {"q=bia.nova", true},
		{"tag=new19&sort=name", true}, {"tag=new19&sort=most_interactions", true},
	} {
		if got := listed(c.query); got != c.want {
			t.Errorf("list ?%s has the lead: %v, want %v", c.query, got, c.want)
		}
	}
}
