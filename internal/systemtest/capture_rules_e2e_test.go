package systemtest_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// capturedLead posts a capture and returns the id of the lead holding
// email, from the answer or, when the answer carries no ids, the list.
func (s *stack) capturedLead(body map[string]any, email string) string {
	s.t.Helper()
	r := s.capture(body)
	if r.status/100 != 2 {
		s.t.Fatalf("capture: status %d\n%s", r.status, r.body)
	}
	if id, _ := r.json(s.t)["lead_id"].(string); id != "" {
		return id
	}
	items, _ := s.expect(s.call("GET", "/v1/leads?q="+url.QueryEscape(email), s.admin, nil), http.StatusOK).json(s.t)["items"].([]any)
	if len(items) != 1 {
		s.t.Fatalf("%d leads hold %s", len(items), email)
	}
	return items[0].(map[string]any)["id"].(string)
}

// Finding 2 over HTTP: an agent sets company=AgentSet; a public capture of
// the same person with company=Hacked2 leaves AgentSet, and history names
// the value it did not apply.
func TestCaptureKeepsWhatAnAgentEdited(t *testing.T) {
	s := newStack(t)
	body := chatbotBody("conv-1", "ana@example.com")
	body["contact"].(map[string]any)["attributes"] = map[string]any{"company": "Acme"}
	id := s.capturedLead(body, "ana@example.com")
	s.expect(s.call("PATCH", "/v1/leads/"+id, s.agent, map[string]any{"contact": map[string]any{"attributes": map[string]any{"company": "AgentSet"}}}), http.StatusOK)

	hack := map[string]any{"source": "api", "contact": map[string]any{"email": "ana@example.com", "attributes": map[string]any{"company": "Hacked2", "plan": "pro"}}}
	s.capturedLead(hack, "ana@example.com")
	l := s.expect(s.call("GET", "/v1/leads/"+id, s.agent, nil), http.StatusOK).json(t)
	if got := field(l, "contact.attributes.company"); got != "AgentSet" {
		t.Fatalf("company = %v, want AgentSet", got)
	}
	if got := field(l, "contact.attributes.plan"); got != "pro" {
		t.Errorf("plan = %v: a new attribute is still captured", got)
	}
	top := l["history"].([]any)[0].(map[string]any)
	after, _ := top["after"].(map[string]any)
	company, _ := after["contact.attributes.company"].(map[string]any)
	if top["action"] != "capture_not_applied" || company["value"] != "Hacked2" || company["reason"] != "user_edited" {
		t.Errorf("newest history entry = %v", top)
	}
}

// A PATCH that would grow a lead past its attribute cap is a 400 naming
// contact.attributes; within the cap it passes.
func TestPatchPastTheAttributeCapNamesTheField(t *testing.T) {
	s := newStack(t)
	id := s.capturedLead(chatbotBody("conv-1", "cap@example.com"), "cap@example.com")
	patch := func(prefix string, n, status int) response {
		attrs := map[string]any{}
		for i := range n {
			attrs[fmt.Sprintf("%s%02d", prefix, i)] = "v"
		}
		return s.expect(s.call("PATCH", "/v1/leads/"+id, s.agent, map[string]any{"contact": map[string]any{"attributes": attrs}}), status)
	}
	patch("a", 50, http.StatusOK) // a request changes at most 50
	patch("b", 40, http.StatusOK) // about 92 in all
	r := patch("c", 20, http.StatusBadRequest)
	if got := fieldErrors(t, r); got["contact.attributes"] != "too_many" {
		t.Fatalf("field errors %v", got)
	}
}
