package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// The merge routes end to end: a duplicate found by name and a similar
// e-mail, the dry run's result equal to the merge's lead, the absorbed
// lead answering 404 with merged_into, the undo (once), and the person's
// data: consent shown, export and erasure for admins only, nothing for
// another account.
func TestMergeUndoExportEraseOverHTTP(t *testing.T) {
	s := newStack(t)
	a := chatbotBody("mrg-a", "ana.souza@example.com")
	delete(a["contact"].(map[string]any), "phone")
	delete(a["contact"].(map[string]any), "whatsapp")
	a["consent"] = map[string]any{"text": "Aceito ser contatada", "checked": true}
	b := chatbotBody("mrg-b", "anasouza@example.org")
	delete(b["contact"].(map[string]any), "phone")
	delete(b["contact"].(map[string]any), "whatsapp")
	ida := s.expect(s.capture(a), http.StatusCreated).json(t)["lead_id"].(string)
	idb := s.expect(s.capture(b), http.StatusCreated).json(t)["lead_id"].(string)

	d := s.expect(s.call("GET", "/v1/leads/"+ida, s.agent, nil), http.StatusOK).json(t)
	if c, _ := d["consents"].([]any); len(c) != 1 || field(c[0].(map[string]any), "text") != "Aceito ser contatada" {
		t.Errorf("consents in the detail: %v", d["consents"])
	}

	dup := s.expect(s.call("GET", "/v1/leads/"+ida+"/duplicates", s.agent, nil), http.StatusOK).json(t)
	items, _ := dup["items"].([]any)
	if len(items) != 1 || field(items[0].(map[string]any), "lead_id") != idb {
		t.Fatalf("duplicates: %s", mustJSON(dup))
	}
	if r := field(items[0].(map[string]any), "reasons").([]any)[0].(map[string]any); r["signal"] != "name+email" {
		t.Errorf("reason: %v", r)
	}
	s.expect(s.call("GET", "/v1/leads/"+ida+"/duplicates?force=true", s.agent, nil), http.StatusForbidden)
	s.expect(s.call("GET", "/v1/leads/"+ida+"/duplicates", s.other, nil), http.StatusNotFound)

	body := map[string]any{"absorb": []string{idb}, "dry_run": true}
	dry := s.expect(s.call("POST", "/v1/leads/"+ida+"/merge", s.agent, body), http.StatusOK).json(t)
	s.expect(s.call("POST", "/v1/leads/"+ida+"/merge", s.other, body), http.StatusNotFound)
	s.expect(s.call("POST", "/v1/leads/"+ida+"/merge", s.agent, map[string]any{"absorb": []string{idb}, "force": true}), http.StatusForbidden)
	body["dry_run"] = false
	done := s.expect(s.call("POST", "/v1/leads/"+ida+"/merge", s.agent, body), http.StatusOK).json(t)
	result, merged := dry["result"].(map[string]any), done["lead"].(map[string]any)
	delete(result, "updated_at") // the two requests ran at different times
	delete(merged, "updated_at")
	if mustJSON(result) != mustJSON(merged) {
		t.Errorf("dry run\n%s\nmerge\n%s", mustJSON(result), mustJSON(merged))
	}
	gone := s.expect(s.call("GET", "/v1/leads/"+idb, s.agent, nil), http.StatusNotFound).json(t)
	if gone["merged_into"] != ida {
		t.Errorf("the absorbed lead: %v", gone)
	}
	mid := done["merge_id"].(string)
	s.expect(s.call("POST", "/v1/merges/"+mid+"/undo", s.other, nil), http.StatusNotFound)
	s.expect(s.call("POST", "/v1/merges/"+mid+"/undo", s.agent, nil), http.StatusOK)
	s.expect(s.call("GET", "/v1/leads/"+idb, s.agent, nil), http.StatusOK)
	s.expect(s.call("POST", "/v1/merges/"+mid+"/undo", s.agent, nil), http.StatusConflict)

	s.expect(s.call("GET", "/v1/leads/"+ida+"/data-export", s.agent, nil), http.StatusForbidden)
	s.expect(s.call("GET", "/v1/leads/"+ida+"/data-export", s.other, nil), http.StatusNotFound)
	doc := s.expect(s.call("GET", "/v1/leads/"+ida+"/data-export", s.admin, nil), http.StatusOK).json(t)
	if field(doc, "lead.id") != ida || len(doc["conversation"].([]any)) != 2 || len(doc["identity_keys"].([]any)) != 2 {
		t.Errorf("export: %s", mustJSON(doc))
	}
	s.expect(s.call("POST", "/v1/leads/"+ida+"/erase", s.agent, map[string]any{"confirm": ida}), http.StatusForbidden)
	s.expect(s.call("POST", "/v1/leads/"+ida+"/erase", s.other, map[string]any{"confirm": ida}), http.StatusNotFound)
	if errs := fieldErrors(t, s.expect(s.call("POST", "/v1/leads/"+ida+"/erase", s.admin, map[string]any{"confirm": idb}), http.StatusBadRequest)); errs["confirm"] == "" {
		t.Errorf("a wrong confirmation: %v", errs)
	}
	s.expect(s.call("POST", "/v1/leads/"+ida+"/erase", s.admin, map[string]any{"confirm": ida}), http.StatusOK)
	s.expect(s.call("GET", "/v1/leads/"+ida, s.admin, nil), http.StatusNotFound)
	s.expect(s.call("GET", "/v1/leads/"+idb, s.admin, nil), http.StatusOK)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
