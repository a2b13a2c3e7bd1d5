package systemtest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Issue 10, finding 4: console writes follow the input-hygiene rule capture
// follows (internal/text): control characters removed, invalid UTF-8
// refused by field, blank text counted as empty.
func TestConsoleWritesFollowTheInputHygieneRule(t *testing.T) {
	s := newStack(t)
	id := s.newLead("hygiene@example.com")
	json := "application/json"

	l := s.expect(s.call("PATCH", "/v1/leads/"+id, s.admin, map[string]any{"name": "Ctrl\u0000Name\u0007\u001b[2J",
		"contact": map[string]any{"attributes": map[string]any{"empresa": "Acme\u0000\u001b"}}}), http.StatusOK).json(t)
	if l["name"] != "CtrlName[2J" || field(l, "contact.attributes.empresa") != "Acme" {
		t.Errorf("stored name %q, attribute %q; want control characters removed", l["name"], field(l, "contact.attributes.empresa"))
	}

	r := s.expect(s.call("PATCH", "/v1/leads/"+id, s.admin, "{\"name\": \"Ana \xff Souza\"}", "Content-Type: "+json), http.StatusBadRequest)
	if errs := fieldErrors(t, r); errs["name"] != "invalid" {
		t.Errorf("invalid UTF-8 name: errors %v, want name invalid", errs)
	}
	r = s.expect(s.call("PATCH", "/v1/leads/"+id, s.admin, `{"contact": {"attributes": {"x": "\udc00"}}}`, "Content-Type: "+json), http.StatusBadRequest)
	if errs := fieldErrors(t, r); errs["contact.attributes.x"] != "invalid" {
		t.Errorf("lone surrogate: errors %v, want contact.attributes.x invalid", errs)
	}
	r = s.expect(s.call("PATCH", "/v1/leads/"+id, s.admin, `{"rating": 3} {"rating": 4}`, "Content-Type: "+json), http.StatusBadRequest)
	if errs := fieldErrors(t, r); errs["body"] == "" {
		t.Errorf("trailing data: errors %v, want body", errs)
	}

	r = s.expect(s.call("POST", "/v1/leads/"+id+"/notes", s.admin, map[string]any{"text": "   \u0000 "}), http.StatusBadRequest)
	if errs := fieldErrors(t, r); errs["text"] != "required" {
		t.Errorf("blank note: errors %v, want text required", errs)
	}
	r = s.expect(s.call("POST", "/v1/leads/"+id+"/notes", s.admin, "{\"text\": \"bad \xfe\"}", "Content-Type: "+json), http.StatusBadRequest)
	if errs := fieldErrors(t, r); errs["text"] != "invalid" {
		t.Errorf("invalid UTF-8 note: errors %v, want text invalid", errs)
	}
	r = s.expect(s.call("POST", "/v1/leads/"+id+"/notes", s.admin, map[string]any{"text": "ok", "pinned": true}), http.StatusBadRequest)
	if errs := fieldErrors(t, r); errs["pinned"] != "unknown_field" {
		t.Errorf("unknown note field: errors %v, want pinned unknown_field", errs)
	}
	n := s.expect(s.call("POST", "/v1/leads/"+id+"/notes", s.admin, map[string]any{"text": " Ligar\u0000 amanhã\r\n\tàs 10h\u001b "}), http.StatusCreated).json(t)
	if n["text"] != "Ligar amanhã\n\tàs 10h" {
		t.Errorf("note text %q: want controls removed, newline and tab kept", n["text"])
	}

	r = s.expect(s.call("POST", "/v1/groups", s.admin, map[string]any{"name": " \u0000\u0007 "}), http.StatusBadRequest)
	if errs := fieldErrors(t, r); errs["name"] != "required" {
		t.Errorf("blank group name: errors %v", errs)
	}
	g := s.expect(s.call("POST", "/v1/groups", s.admin, map[string]any{"name": "VIP\u0000\u001b clientes"}), http.StatusCreated).json(t)
	if g["name"] != "VIP clientes" {
		t.Errorf("group name %q", g["name"])
	}
	r = s.expect(s.call("POST", "/v1/saved-filters", s.admin, map[string]any{"name": "x", "filter": map[string]any{}, "owner_id": "usr_agent"}), http.StatusBadRequest)
	if errs := fieldErrors(t, r); errs["owner_id"] != "unknown_field" {
		t.Errorf("saved filter with owner_id: errors %v", errs)
	}
	r = s.expect(s.call("PUT", "/v1/assignment/rules", s.admin, map[string]any{"rules": []any{
		map[string]any{"name": "Ctrl\u0000", "strategy": "round_robin", "match": map[string]any{"source": "google\u001b"}}}}), http.StatusOK)
	if rule := r.json(t)["rules"].([]any)[0].(map[string]any); rule["name"] != "Ctrl" || field(rule, "match.source") != "google" {
		t.Errorf("assignment rule stored as %v", rule)
	}
}

// Issue 10, finding 7: unknown fields in console write bodies are refused
// by name, and wrong types name their field.
func TestUnknownFieldsInConsoleBodiesAreRefusedByName(t *testing.T) {
	s := newStack(t)
	id := s.newLead("unknown-fields@example.com")
	at := s.now.Add(time.Hour).Format(time.RFC3339)
	r := s.expect(s.call("POST", "/v1/leads/"+id+"/scheduled-changes", s.admin,
		map[string]any{"state": "in_progress", "at": at, "owner_id": "usr_agent"}), http.StatusBadRequest)
	if errs := fieldErrors(t, r); errs["owner_id"] != "unknown_field" {
		t.Errorf("scheduled change with owner_id: errors %v, want owner_id unknown_field", errs)
	}
	r = s.expect(s.call("POST", "/v1/leads/"+id+"/scheduled-changes", s.admin,
		map[string]any{"state": 3, "at": at}), http.StatusBadRequest)
	if errs := fieldErrors(t, r); errs["state"] != "invalid_type" {
		t.Errorf("scheduled change with a number state: errors %v, want state invalid_type", errs)
	}
	r = s.expect(s.call("POST", "/v1/leads/bulk", s.admin, map[string]any{"action": "add_tag", "tag": "x", "ids": []string{id}, "dry_run": true}), http.StatusBadRequest)
	if errs := fieldErrors(t, r); errs["dry_run"] != "unknown_field" {
		t.Errorf("bulk with dry_run: errors %v", errs)
	}
	r = s.expect(s.call("POST", "/v1/assignment/reassign", s.admin, map[string]any{"lead_ids": []string{id}, "owner_id": "usr_agent", "notify": true}), http.StatusBadRequest)
	if errs := fieldErrors(t, r); errs["notify"] != "unknown_field" {
		t.Errorf("reassign with notify: errors %v", errs)
	}
	// Nothing was changed by the refused requests.
	l := s.expect(s.call("GET", "/v1/leads/"+id, s.admin, nil), http.StatusOK).json(t)
	if l["scheduled_change"] != nil || l["owner_id"] != nil {
		t.Errorf("a refused request changed the lead: %v", l)
	}
}

// Issue 10, finding 3: a q longer than an index key allows was a 500 on
// the list, export and neighbors, and was accepted by bulk (a job stuck
// queued) and saved filters. Every entry point now answers 400 naming it.
func TestOverlongFiltersAreRefusedWhereTheyEnter(t *testing.T) {
	s := newStack(t)
	id := s.newLead("filters@example.com")
	long := strings.Repeat("x", 1021)
	for _, path := range []string{"/v1/leads", "/v1/leads/export", "/v1/leads/" + id + "/neighbors"} {
		for param, want := range map[string]string{"q": "too_long", "source": "too_long", "state": "not_allowed", "created_from": "invalid", "rating_min": "invalid"} {
			v := url.Values{param: {long}}
			if param == "rating_min" {
				v.Set(param, "9")
			}
			if param == "created_from" {
				v.Set(param, "yesterday")
			}
			r := s.expect(s.call("GET", path+"?"+v.Encode(), s.admin, nil), http.StatusBadRequest)
			if errs := fieldErrors(t, r); errs[param] != want {
				t.Errorf("GET %s ?%s=…: errors %v, want %s %s", path, param, errs, param, want)
			}
		}
		r := s.expect(s.call("GET", path+"?q=%ff%fe", s.admin, nil), http.StatusBadRequest)
		if errs := fieldErrors(t, r); errs["q"] != "invalid" {
			t.Errorf("GET %s with invalid UTF-8 q: errors %v", path, errs)
		}
	}
	r := s.expect(s.call("POST", "/v1/saved-filters", s.admin, map[string]any{"name": "long", "filter": map[string]any{"q": long}}), http.StatusBadRequest)
	if errs := fieldErrors(t, r); errs["filter.q"] != "too_long" {
		t.Errorf("saved filter: errors %v, want filter.q too_long", errs)
	}
	r = s.expect(s.call("POST", "/v1/leads/bulk", s.admin, map[string]any{"action": "add_tag", "tag": "x", "filter": map[string]any{"q": long}}), http.StatusBadRequest)
	if errs := fieldErrors(t, r); errs["filter.q"] != "too_long" {
		t.Errorf("bulk: errors %v, want filter.q too_long", errs)
	}
	r = s.expect(s.call("POST", "/v1/leads/bulk", s.admin, map[string]any{"action": "add_tag", "tag": "x", "ids": []string{"\u0000"}}), http.StatusBadRequest)
	if errs := fieldErrors(t, r); errs["ids"] != "required" {
		t.Errorf("bulk with a blank id: errors %v, want ids required", errs)
	}
	// A q at the cap still lists.
	s.expect(s.call("GET", "/v1/leads?q="+strings.Repeat("y", 200), s.admin, nil), http.StatusOK)
}
