package systemtest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/httpapi"
	"github.com/leadflow/leadflow/internal/interaction"
	"github.com/leadflow/leadflow/internal/s3store"
	"github.com/leadflow/leadflow/internal/testenv"
)

func postInteraction(s *stack, key string, body map[string]any) response {
	s.t.Helper()
	return s.call("POST", "/v1/capture/interactions", key, body)
}

// TestInteractionsThroughTheAPI: an integration posts, redelivers and
// updates interactions with its API key; the console reads the timeline,
// opens one interaction, relates another, and lists leads by their
// counters. Keys without interactions:write and other tenants are refused.
func TestInteractionsThroughTheAPI(t *testing.T) {
	s := newStack(t)
	email := "tl-" + s.tenant + "@example.com"
	leadID := s.newLead(email)

	// Credentials: only a live key with interactions:write posts.
	body := map[string]any{
		"channel": "instagram", "external_id": "ig-1", "kind": "dm", "polarity": "positive", "priority": "high",
		"opened_at": "2026-11-30T10:00:00Z", "tags": []string{"Promoção"},
		"attachments": []map[string]any{{"name": "foto.jpg", "content_type": "image/jpeg", "size": 2048, "url": "https://cdn.example.com/foto.jpg"}},
		"messages":    []map[string]any{{"from": "visitor", "text": "Quero saber o preço", "at": "2026-11-30T10:00:00Z"}},
		"events":      []map[string]any{{"at": "2026-11-30T10:00:00Z", "type": "tagged", "actor": "bot", "detail": "promocao"}},
		"profile":     map[string]any{"name": "Ana", "email": email, "instagram_username": "@ana.tl"},
	}
	leadsOnly := s.newAPIKey(s.tenant, account.ScopeLeadsWrite, account.ScopeLeadsRead)
	if r := postInteraction(s, leadsOnly, body); r.status != http.StatusForbidden || r.json(t)["code"] != "insufficient_scope" {
		t.Fatalf("key without interactions:write: %d %s", r.status, r.body)
	}
	if r := postInteraction(s, "lfk_"+s.tenant+"_nope", body); r.status != http.StatusUnauthorized {
		t.Fatalf("unknown key: %d %s", r.status, r.body)
	}
	if r := postInteraction(s, s.admin, body); r.status != http.StatusUnauthorized {
		t.Fatalf("a console token as the key: %d %s", r.status, r.body)
	}
	key := s.newAPIKey(s.tenant, account.ScopeInteractionsWrite)

	// Bad input names each field.
	bad := s.expect(postInteraction(s, key, map[string]any{"channel": "orkut", "external_id": "", "kind": "dm",
		"messages": []map[string]any{{"from": "visitor", "text": "oi"}}}), http.StatusBadRequest)
	errs := fieldErrors(t, bad)
	for _, f := range []string{"channel", "external_id", "messages[0].at"} {
		if errs[f] == "" {
			t.Errorf("no error for %s: %v", f, errs)
		}
	}
	if r := postInteraction(s, key, map[string]any{"channel": "x", "external_id": "1", "kind": "dm", "mood": "happy"}); r.status != http.StatusBadRequest || fieldErrors(t, r)["mood"] == "" {
		t.Errorf("unknown field: %d %s", r.status, r.body)
	}

	// New → 201 on the lead its e-mail names; the same body again → 200, unchanged.
	first := s.expect(postInteraction(s, key, body), http.StatusCreated).json(t)
	if first["lead_id"] != leadID || first["message_count"] != float64(1) || first["protocol"] == "" {
		t.Fatalf("first post: %v", first)
	}
	again := s.expect(postInteraction(s, key, body), http.StatusOK).json(t)
	if again["version"] != first["version"] || again["updated_at"] != first["updated_at"] || again["id"] != first["id"] {
		t.Errorf("redelivery changed the interaction: %v", again)
	}
	body["status"], body["answered_at"] = "answered", "2026-11-30T10:05:00Z"
	body["messages"] = append(body["messages"].([]map[string]any), map[string]any{"from": "agent", "text": "R$ 100", "at": "2026-11-30T10:05:00Z"})
	up := s.expect(postInteraction(s, key, body), http.StatusOK).json(t)
	if up["version"] != float64(2) || up["status"] != "answered" || up["message_count"] != float64(2) {
		t.Errorf("update: %v", up)
	}

	// Another integration's post without known keys: no lead until related.
	stray := s.expect(postInteraction(s, key, map[string]any{"channel": "facebook", "external_id": "fb-9", "kind": "comment",
		"polarity": "negative", "opened_at": "2026-11-30T09:00:00Z", "profile": map[string]any{"facebook_id": "100099"}}), http.StatusCreated).json(t)
	if stray["lead_id"] != nil {
		t.Fatalf("stray interaction matched a lead: %v", stray)
	}
	strayID := stray["id"].(string)
	rel := s.expect(s.call("POST", "/v1/interactions/"+strayID+"/relate", s.agent, map[string]any{"lead_id": leadID}), http.StatusOK).json(t)
	if rel["lead_id"] != leadID {
		t.Errorf("relate: %v", rel)
	}
	// Its Facebook id is now one of the lead's keys: the next post on that id finds the lead.
	next := s.expect(postInteraction(s, key, map[string]any{"channel": "facebook", "external_id": "fb-10", "kind": "dm",
		"opened_at": "2026-11-30T08:00:00Z", "profile": map[string]any{"facebook_id": "100099"}}), http.StatusCreated).json(t)
	if next["lead_id"] != leadID {
		t.Errorf("the joined key did not locate the lead: %v", next)
	}
	// A key of another lead: 409, nothing related.
	other := chatbotBody("c-other", "tl-other-"+s.tenant+"@example.com")
	delete(other["contact"].(map[string]any), "phone")
	delete(other["contact"].(map[string]any), "whatsapp")
	otherLead := s.expect(s.capture(other), http.StatusCreated).json(t)["lead_id"].(string)
	taken := s.expect(postInteraction(s, key, map[string]any{"channel": "email", "external_id": "mail-1", "kind": "email",
		"profile": map[string]any{"email": "tl-other-" + s.tenant + "@example.com", "x_id": "555"}}), http.StatusCreated).json(t)
	if taken["lead_id"] != otherLead {
		t.Fatalf("e-mail did not locate its lead: %v", taken)
	}
	conflict := s.expect(s.call("POST", "/v1/interactions/"+taken["id"].(string)+"/relate", s.admin, map[string]any{"lead_id": leadID}), http.StatusConflict).json(t)
	if conflict["lead_id"] != otherLead {
		t.Errorf("409 does not name the key's owner: %v", conflict)
	}
	if got := s.expect(s.call("GET", "/v1/interactions/"+taken["id"].(string), s.admin, nil), http.StatusOK).json(t); got["lead_id"] != otherLead {
		t.Errorf("a refused relate moved the interaction: %v", got["lead_id"])
	}
	s.expect(s.call("POST", "/v1/interactions/"+strayID+"/relate", s.admin, map[string]any{}), http.StatusBadRequest)
	s.expect(s.call("POST", "/v1/interactions/int_nope/relate", s.admin, map[string]any{"lead_id": leadID}), http.StatusNotFound)

	// The timeline: newest first (the capture, then 10:00, 09:00, 08:00), one channel, pages.
	tl := s.expect(s.call("GET", "/v1/leads/"+leadID+"/timeline", s.agent, nil), http.StatusOK).json(t)
	var channels []string
	for _, it := range tl["items"].([]any) {
		channels = append(channels, it.(map[string]any)["channel"].(string))
	}
	if want := []string{"chatbot", "instagram", "facebook", "facebook"}; !slices.Equal(channels, want) {
		t.Errorf("timeline channels %v, want %v", channels, want)
	}
	fb := s.expect(s.call("GET", "/v1/leads/"+leadID+"/timeline?channel=facebook&limit=1", s.agent, nil), http.StatusOK).json(t)
	if len(fb["items"].([]any)) != 1 || fb["next_cursor"] == nil {
		t.Fatalf("channel page: %v", fb)
	}
	fb2 := s.expect(s.call("GET", "/v1/leads/"+leadID+"/timeline?channel=facebook&limit=1&cursor="+fb["next_cursor"].(string), s.agent, nil), http.StatusOK).json(t)
	if items := fb2["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != next["id"] {
		t.Errorf("second page: %v", fb2)
	}
	s.expect(s.call("GET", "/v1/leads/"+leadID+"/timeline?channel=orkut", s.agent, nil), http.StatusBadRequest)

	// One interaction opens with its messages, tags, attachments and events.
	one := s.expect(s.call("GET", "/v1/interactions/"+first["id"].(string), s.agent, nil), http.StatusOK).json(t)
	if len(one["messages"].([]any)) != 2 || len(one["events"].([]any)) != 1 || one["tags"].([]any)[0] != "promocao" ||
		one["attachments"].([]any)[0].(map[string]any)["url"] != "https://cdn.example.com/foto.jpg" {
		t.Errorf("interaction: %v", one)
	}
	s.expect(s.call("GET", "/v1/interactions/"+first["id"].(string), s.other, nil), http.StatusNotFound)
	s.expect(s.call("GET", "/v1/leads/"+leadID+"/timeline", s.other, nil), http.StatusNotFound)

	// The lead carries its counters; lists filter and sort by them.
	l := s.expect(s.call("GET", "/v1/leads/"+leadID, s.agent, nil), http.StatusOK).json(t)
	if fmt.Sprint(l["occurrences"]) != "map[negative:1 neutral:2 positive:1]" || l["sentiment"] != float64(50) ||
		fmt.Sprint(l["tickets"]) != "map[answered:1 finished:1 open:2]" || l["interactions"] != float64(4) {
		t.Errorf("lead counters: occurrences %v sentiment %v tickets %v interactions %v", l["occurrences"], l["sentiment"], l["tickets"], l["interactions"])
	}
	ids := func(q string) []string {
		var out []string
		for _, it := range s.expect(s.call("GET", "/v1/leads?"+q, s.agent, nil), http.StatusOK).json(t)["items"].([]any) {
			out = append(out, it.(map[string]any)["id"].(string))
		}
		return out
	}
	if got := ids("sentiment=neutral"); !slices.Contains(got, leadID) {
		t.Errorf("sentiment=neutral: %v", got)
	}
	if got := ids("ticket_status=answered"); !slices.Equal(got, []string{leadID}) {
		t.Errorf("ticket_status=answered: %v", got)
	}
	if got := ids("sort=-occurrences"); len(got) < 2 || got[0] != leadID {
		t.Errorf("sort=-occurrences: %v", got)
	}
	if got := ids("sort=occurrences"); len(got) < 2 || got[len(got)-1] != leadID {
		t.Errorf("sort=occurrences: %v", got)
	}
	s.expect(s.call("GET", "/v1/leads?sentiment=happy", s.agent, nil), http.StatusBadRequest)
}

// An integration uploads an attachment to Leadflow's bucket: it asks for a
// presigned PUT (API key with interactions:write), PUTs the file, posts the
// interaction naming the key, and the console opens it through a presigned
// download URL. Bad requests name their field; a key without the scope, a
// console token and another account's key prefix are refused.
func TestInteractionAttachmentUpload(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	client := testenv.S3(t)
	bucket := strings.ToLower(testenv.UniqueName("files"))
	must(t, s3store.Create(ctx, client, bucket))
	files := s3store.NewAttachments(client, bucket)
	s.deps.AttachmentFiles, s.deps.AttachmentUploads = files, files
	s.srv.Close()
	s.srv = httptest.NewServer(httpapi.NewLocal(s.deps))
	t.Cleanup(s.srv.Close)
	const route = "/v1/capture/interactions/attachments"
	content := []byte("%PDF-1.4 recibo de teste")
	req := map[string]any{"name": "Recibo março.pdf", "content_type": "application/pdf", "size": len(content)}

	leadsOnly := s.newAPIKey(s.tenant, account.ScopeLeadsWrite)
	if r := s.call("POST", route, leadsOnly, req); r.status != http.StatusForbidden || r.json(t)["code"] != "insufficient_scope" {
		t.Fatalf("key without interactions:write: %d %s", r.status, r.body)
	}
	s.expect(s.call("POST", route, s.admin, req), http.StatusUnauthorized)
	bad := fieldErrors(t, s.expect(s.call("POST", route, s.apiKey, map[string]any{"name": "", "content_type": "text/html", "size": interaction.MaxUploadBytes + 1}), http.StatusBadRequest))
	for _, f := range []string{"name", "content_type", "size"} {
		if bad[f] == "" {
			t.Errorf("no error for %s: %v", f, bad)
		}
	}

	up := s.expect(s.call("POST", route, s.apiKey, req), http.StatusCreated).json(t)
	key, putURL := up["key"].(string), up["url"].(string)
	u, err := url.Parse(putURL)
	must(t, err)
	signed := u.Query().Get("X-Amz-SignedHeaders")
	if !interaction.ValidAttachmentKey(s.tenant, key) || !strings.HasSuffix(key, ".pdf") || up["method"] != "PUT" ||
		field(up, "headers.Content-Type") != "application/pdf" || !strings.Contains(signed, "content-length") ||
		!strings.Contains(signed, "content-type") || field(up, "attachment.key") != key {
		t.Fatalf("upload: %v (signed headers %q)", up, signed)
	}
	if again := s.expect(s.call("POST", route, s.apiKey, req), http.StatusCreated).json(t); again["key"] == key {
		t.Errorf("two uploads share the key %s", key)
	}
	putAs(t, putURL, "application/pdf", content)

	body := map[string]any{"channel": "email", "external_id": "mail-att", "kind": "email",
		"attachments": []any{up["attachment"]}}
	created := s.expect(postInteraction(s, s.apiKey, body), http.StatusCreated).json(t)
	got := s.expect(s.call("GET", "/v1/interactions/"+created["id"].(string), s.agent, nil), http.StatusOK).json(t)
	att := got["attachments"].([]any)[0].(map[string]any)
	dl, _ := att["url"].(string)
	if att["key"] != key || att["name"] != "Recibo março.pdf" || !strings.Contains(dl, "X-Amz-Signature") {
		t.Fatalf("attachment: %v", att)
	}
	resp, err := http.Get(dl)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(b, content) {
		t.Errorf("presigned URL: %d %q", resp.StatusCode, b)
	}
	// S3 answers with the signed disposition (the emulator ignores it).
	du, err := url.Parse(dl)
	must(t, err)
	disp := du.Query().Get("response-content-disposition")
	if kind, params, err := mime.ParseMediaType(disp); err != nil || kind != "attachment" || params["filename"] != "Recibo março.pdf" {
		t.Errorf("response-content-disposition %q: want a download under the attachment's name", disp)
	}

	// Another account's prefix names no file of this one.
	body["external_id"] = "mail-att-2"
	body["attachments"] = []map[string]any{{"name": "x.pdf", "key": strings.Replace(key, s.tenant, s.otherTen, 1)}}
	if r := postInteraction(s, s.apiKey, body); r.status != http.StatusBadRequest || fieldErrors(t, r)["attachments[0].key"] == "" {
		t.Errorf("another account's file: %d %s", r.status, r.body)
	}
}
