package systemtest_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

func (s *stack) newLead(email string) string {
	s.t.Helper()
	r := s.expect(s.capture(chatbotBody("c-"+email, email)), http.StatusCreated)
	return r.json(s.t)["lead_id"].(string)
}

func TestPatchLeadWithOptimisticLocking(t *testing.T) {
	s := newStack(t)
	id := s.newLead("rate@example.com")

	r := s.expect(s.call("PATCH", "/v1/leads/"+id, s.agent, map[string]any{"rating": 4, "name": "Ana P. Souza"}, `If-Match: "1"`), http.StatusOK)
	if r.header.Get("ETag") != `"2"` {
		t.Errorf("ETag after patch = %q, want \"2\"", r.header.Get("ETag"))
	}
	if got := r.json(t)["rating"]; got != float64(4) {
		t.Errorf("rating = %v", got)
	}
	// A stale version is refused and changes nothing.
	s.expect(s.call("PATCH", "/v1/leads/"+id, s.agent, map[string]any{"rating": 1}, `If-Match: "1"`), http.StatusPreconditionFailed)

	// State with an account sub-state; a sub-state of another state is refused.
	s.expect(s.call("PATCH", "/v1/leads/"+id, s.agent, map[string]any{"state": "no_sale", "sub_state": "preco_alto"}, `If-Match: "2"`), http.StatusOK)
	bad := s.expect(s.call("PATCH", "/v1/leads/"+id, s.agent, map[string]any{"rating": 9, "state": "won", "sub_state": "x", "contact": map[string]any{"email": "nope"}}), http.StatusBadRequest)
	fe := fieldErrors(t, bad)
	for _, f := range []string{"rating", "contact.email"} {
		if fe[f] == "" {
			t.Errorf("no error named %s: %v", f, fe)
		}
	}

	// Contact edit is normalized.
	s.expect(s.call("PATCH", "/v1/leads/"+id, s.agent, map[string]any{"contact": map[string]any{"phone": "(11) 3456-7890", "attributes": map[string]any{"budget": nil, "segment": "varejo"}}}), http.StatusOK)

	lead := s.expect(s.call("GET", "/v1/leads/"+id, s.agent, nil), http.StatusOK).json(t)
	for path, w := range map[string]any{
		"rating": float64(4), "name": "Ana P. Souza", "state": "no_sale", "sub_state": "preco_alto",
		"contact.phone": "+551134567890", "contact.attributes.segment": "varejo", "contact.attributes.budget": nil,
		"version": float64(4),
	} {
		if got := field(lead, path); got != w {
			t.Errorf("%s = %#v, want %#v", path, got, w)
		}
	}
	// Each changed field is one history entry with actor, before and after.
	seen := map[string]map[string]any{}
	for _, h := range lead["history"].([]any) {
		e := h.(map[string]any)
		if f, _ := e["field"].(string); f != "" {
			seen[f] = e
		}
	}
	for _, f := range []string{"rating", "name", "state", "sub_state", "contact.phone", "contact.attributes.segment", "contact.attributes.budget"} {
		e, ok := seen[f]
		if !ok {
			t.Errorf("no history entry for %s", f)
			continue
		}
		if field(e, "actor.type") != "user" || field(e, "actor.id") != "usr_agent" {
			t.Errorf("%s entry actor = %v", f, e["actor"])
		}
	}
	if e := seen["rating"]; e != nil && (e["before"] != nil && e["before"] != float64(0) || e["after"] != float64(4)) {
		t.Errorf("rating entry before/after = %v/%v", e["before"], e["after"])
	}
}

func TestOnlyAdminsAssignOwners(t *testing.T) {
	s := newStack(t)
	id := s.newLead("owner@example.com")
	s.expect(s.call("PATCH", "/v1/leads/"+id, s.agent, map[string]any{"owner_id": "usr_agent"}), http.StatusForbidden)
	s.expect(s.call("PATCH", "/v1/leads/"+id, s.admin, map[string]any{"owner_id": "usr_nobody"}), http.StatusBadRequest)
	s.expect(s.call("PATCH", "/v1/leads/"+id, s.admin, map[string]any{"owner_id": "usr_gone"}), http.StatusBadRequest)
	r := s.expect(s.call("PATCH", "/v1/leads/"+id, s.admin, map[string]any{"owner_id": "usr_agent"}), http.StatusOK)
	if r.json(t)["owner_id"] != "usr_agent" {
		t.Errorf("owner not set: %s", r.body)
	}
}

func TestConcurrentPatchesWithSameVersionOneWins(t *testing.T) {
	s := newStack(t)
	id := s.newLead("race@example.com")
	const n = 20
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = s.call("PATCH", "/v1/leads/"+id, s.agent, map[string]any{"rating": i%5 + 1, "name": fmt.Sprint("Nome ", i)}, `If-Match: "1"`).status
		}()
	}
	wg.Wait()
	won := 0
	for i, st := range statuses {
		switch st {
		case http.StatusOK:
			won++
		case http.StatusPreconditionFailed:
		default:
			t.Errorf("patch %d answered %d", i, st)
		}
	}
	if won != 1 {
		t.Fatalf("%d patches won, want exactly 1", won)
	}
	lead := s.expect(s.call("GET", "/v1/leads/"+id, s.agent, nil), http.StatusOK).json(t)
	if lead["version"] != float64(2) {
		t.Errorf("version = %v, want 2", lead["version"])
	}
	updates := 0
	for _, h := range lead["history"].([]any) {
		if h.(map[string]any)["action"] == "updated" {
			updates++
		}
	}
	if updates != 2 { // name and rating of the one winner
		t.Errorf("%d update entries, want 2", updates)
	}
}

func TestNotesLifecycle(t *testing.T) {
	s := newStack(t)
	id := s.newLead("notes@example.com")
	base := "/v1/leads/" + id + "/notes"

	s.expect(s.call("POST", base, s.agent, map[string]any{"text": "  "}), http.StatusBadRequest)
	agentNote := s.expect(s.call("POST", base, s.agent, map[string]any{"text": "Ligar amanhã às 10h"}), http.StatusCreated).json(t)
	adminNote := s.expect(s.call("POST", base, s.admin, map[string]any{"text": "Cliente VIP"}), http.StatusCreated).json(t)
	aid, mid := agentNote["id"].(string), adminNote["id"].(string)

	list := s.expect(s.call("GET", base, s.agent, nil), http.StatusOK).json(t)
	if items := list["items"].([]any); len(items) != 2 || items[0].(map[string]any)["id"] != mid {
		t.Errorf("notes list (newest first) = %v", items)
	}
	// Author edits; an agent may not touch the admin's note; admin may delete any.
	edited := s.expect(s.call("PATCH", base+"/"+aid, s.agent, map[string]any{"text": "Ligar amanhã às 11h"}), http.StatusOK).json(t)
	if edited["text"] != "Ligar amanhã às 11h" {
		t.Errorf("edited text = %v", edited["text"])
	}
	s.expect(s.call("PATCH", base+"/"+mid, s.agent, map[string]any{"text": "hack"}), http.StatusForbidden)
	s.expect(s.call("DELETE", base+"/"+mid, s.agent, nil), http.StatusForbidden)
	s.expect(s.call("DELETE", base+"/"+aid, s.admin, nil), http.StatusNoContent)
	s.expect(s.call("DELETE", base+"/"+aid, s.admin, nil), http.StatusNotFound)

	hist := s.expect(s.call("GET", "/v1/leads/"+id+"/history?limit=100", s.agent, nil), http.StatusOK).json(t)
	actions := map[string]int{}
	for _, h := range hist["items"].([]any) {
		actions[h.(map[string]any)["action"].(string)]++
	}
	if actions["note_added"] != 2 || actions["note_edited"] != 1 || actions["note_deleted"] != 1 {
		t.Errorf("history actions = %v", actions)
	}
}

func TestHistoryAndConversationPageWithCursors(t *testing.T) {
	s := newStack(t)
	id := s.newLead("pages@example.com")
	for i := range 5 {
		s.expect(s.call("PATCH", "/v1/leads/"+id, s.agent, map[string]any{"rating": i%5 + 1}), http.StatusOK)
	}
	var all []any
	cursor := ""
	for range 10 {
		r := s.expect(s.call("GET", "/v1/leads/"+id+"/history?limit=2&cursor="+cursor, s.agent, nil), http.StatusOK).json(t)
		all = append(all, r["items"].([]any)...)
		c, _ := r["next_cursor"].(string)
		if c == "" {
			break
		}
		cursor = c
	}
	if len(all) != 6 { // created + 5 rating changes
		t.Errorf("paged %d history entries, want 6", len(all))
	}
	s.expect(s.call("GET", "/v1/leads/"+id+"/history?cursor=garbage", s.agent, nil), http.StatusBadRequest)
	s.expect(s.call("GET", "/v1/leads/"+id+"/history?limit=500", s.agent, nil), http.StatusBadRequest)
	conv := s.expect(s.call("GET", "/v1/leads/"+id+"/conversation?limit=1", s.agent, nil), http.StatusOK).json(t)
	if len(conv["items"].([]any)) != 1 || conv["next_cursor"] == nil {
		t.Errorf("conversation page = %v", conv)
	}
}

// Every console route, called with another tenant's token, answers 404 and
// changes nothing.
func TestTenantIsolationOnEveryLeadRoute(t *testing.T) {
	s := newStack(t)
	id := s.newLead("iso@example.com")
	note := s.expect(s.call("POST", "/v1/leads/"+id+"/notes", s.admin, map[string]any{"text": "segredo"}), http.StatusCreated).json(t)["id"].(string)
	routes := []struct {
		method, path string
		body         any
	}{
		{"GET", "/v1/leads/" + id, nil},
		{"PATCH", "/v1/leads/" + id, map[string]any{"rating": 5}},
		{"GET", "/v1/leads/" + id + "/history", nil},
		{"GET", "/v1/leads/" + id + "/conversation", nil},
		{"GET", "/v1/leads/" + id + "/notes", nil},
		{"POST", "/v1/leads/" + id + "/notes", map[string]any{"text": "intruso"}},
		{"PATCH", "/v1/leads/" + id + "/notes/" + note, map[string]any{"text": "intruso"}},
		{"DELETE", "/v1/leads/" + id + "/notes/" + note, nil},
	}
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			if r := s.call(rt.method, rt.path, s.other, rt.body); r.status != http.StatusNotFound {
				t.Errorf("other tenant got %d, want 404: %s", r.status, r.body)
			}
			if r := s.call(rt.method, rt.path, "", rt.body); r.status != http.StatusUnauthorized {
				t.Errorf("no token got %d, want 401", r.status)
			}
			if r := s.call(rt.method, rt.path, s.admin+"x", rt.body); r.status != http.StatusUnauthorized {
				t.Errorf("bad signature got %d, want 401", r.status)
			}
		})
	}
	lead := s.expect(s.call("GET", "/v1/leads/"+id, s.admin, nil), http.StatusOK).json(t)
	if lead["rating"] != float64(0) || len(lead["notes"].([]any)) != 1 || lead["version"] != float64(1) {
		t.Errorf("the other tenant changed the lead: %s", lead)
	}
}

func TestMeHealthAndUnknownRoutes(t *testing.T) {
	s := newStack(t)
	me := s.expect(s.call("GET", "/v1/me", s.agent, nil), http.StatusOK).json(t)
	if me["tenant_id"] != s.tenant || me["role"] != "agent" || me["name"] != "Rafael Lima" {
		t.Errorf("me = %v", me)
	}
	s.expect(s.call("GET", "/healthz", "", nil), http.StatusOK)
	s.expect(s.call("GET", "/v1/openapi.yaml", "", nil), http.StatusOK)
	s.expect(s.call("GET", "/v1/leads/ld_missing", s.agent, nil), http.StatusNotFound)
}

// A PATCH is one transaction with a history entry per change, so the
// attributes one request may change are bounded like a capture's.
func TestPatchBoundsAttributeChanges(t *testing.T) {
	s := newStack(t)
	id := s.newLead("many@example.com")
	attrs := map[string]any{}
	for i := range 51 {
		attrs[fmt.Sprintf("campo_%02d", i)] = "x"
	}
	r := s.expect(s.call("PATCH", "/v1/leads/"+id, s.agent, map[string]any{"contact": map[string]any{"attributes": attrs}}), http.StatusBadRequest)
	if fe := fieldErrors(t, r); fe["contact.attributes"] != "too_many" {
		t.Errorf("errors = %v", fe)
	}
	delete(attrs, "campo_50")
	s.expect(s.call("PATCH", "/v1/leads/"+id, s.agent, map[string]any{"contact": map[string]any{"attributes": attrs}}), http.StatusOK)
	lead := s.expect(s.call("GET", "/v1/leads/"+id, s.agent, nil), http.StatusOK).json(t)
	if n := len(lead["contact"].(map[string]any)["attributes"].(map[string]any)); n < 50 {
		t.Errorf("%d attributes after the patch, want at least 50", n)
	}
}
