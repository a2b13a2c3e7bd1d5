package validate_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"

	"github.com/leadflow/leadflow/internal/httpapi"
	"github.com/leadflow/leadflow/internal/openapi"
	"github.com/leadflow/leadflow/internal/openapi/validate"
)

func newValidator(t *testing.T) *validate.Validator {
	t.Helper()
	v, err := validate.NewValidator()
	if err != nil {
		t.Fatalf("NewValidator: %v", err)
	}
	return v
}

func TestOpenAPIDocumentIs31AndValid(t *testing.T) {
	doc, err := libopenapi.NewDocument(openapi.Document())
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if got := doc.GetSpecInfo().Version; got != "3.1.0" {
		t.Fatalf("openapi version = %q, want 3.1.0", got)
	}
	if _, err := doc.BuildV3Model(); err != nil {
		t.Fatalf("build v3 model: %v", err)
	}
	if err := newValidator(t).ValidateDocument(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenAPIDocumentIsACopy(t *testing.T) {
	a := openapi.Document()
	a[0] = 'X'
	if openapi.Document()[0] == 'X' {
		t.Fatal("Document returned the embedded bytes, not a copy")
	}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	documented := map[validate.Operation]bool{}
	for _, op := range newValidator(t).Operations() {
		documented[op] = true
	}
	routed := map[validate.Operation]bool{}
	for _, r := range httpapi.Routes() {
		op := validate.Operation{Method: r.Method, Path: r.Path}
		routed[op] = true
		if !documented[op] {
			t.Errorf("route %s %s is not in openapi.yaml", r.Method, r.Path)
		}
	}
	for op := range documented {
		if !routed[op] {
			t.Errorf("openapi.yaml documents %s %s, which httpapi.Routes() does not serve", op.Method, op.Path)
		}
	}
}

// respond builds a response the way a handler would write it.
func respond(status int, contentType string, body any, headers ...string) *http.Response {
	rec := httptest.NewRecorder()
	if contentType != "" {
		rec.Header().Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		rec.Header().Set(headers[i], headers[i+1])
	}
	rec.WriteHeader(status)
	switch b := body.(type) {
	case nil:
	case string:
		io.WriteString(rec, b)
	default:
		json.NewEncoder(rec).Encode(b)
	}
	return rec.Result()
}

func leadDetail() map[string]any {
	touch := map[string]any{
		"at":           "2026-11-20T14:03:10Z",
		"entry_method": "chatbot",
		"site_id":      "st_01",
		"page_url":     "https://loja.exemplo.com.br/precos",
		"utm_source":   "google",
		"country":      "BR",
	}
	nav := map[string]any{"first_touch": touch, "last_touch": touch}
	for k, v := range touch {
		nav[k] = v
	}
	return map[string]any{
		"id":           "ld_01jd3k7q9m2x4v6b8n0p2r4t6w",
		"contact_id":   "ct_01jd3k7q9m2x4v6b8n0p2r4t6x",
		"name":         "Ana Souza",
		"rating":       4,
		"state":        "in_progress",
		"sub_state":    "proposta_enviada",
		"entry_method": "chatbot",
		"site_id":      "st_01",
		"version":      3,
		"interactions": 2,
		"created_at":   "2026-11-20T14:03:10Z",
		"updated_at":   "2026-11-21T09:00:00Z",
		"contact": map[string]any{
			"email":      "ana.souza@example.com.br",
			"phone":      "+5511912345678",
			"attributes": map[string]string{"empresa": "Padaria Pão Quente"},
		},
		"navigation":       nav,
		"scheduled_change": nil,
		"notes": []any{map[string]any{
			"id": "nt_1", "text": "Ligar amanhã", "author_id": "u_1",
			"created_at": "2026-11-21T09:00:00Z", "updated_at": "2026-11-21T09:00:00Z",
		}},
		"history": []any{map[string]any{
			"id": "ev_1", "at": "2026-11-21T09:00:00Z",
			"actor":  map[string]any{"type": "user", "id": "u_1"},
			"action": "updated", "field": "rating", "before": 0, "after": 4,
		}},
		"history_next_cursor": "abc",
		"conversation": []any{map[string]any{
			"id": "msg_1", "from": "visitor", "text": "Quero um orçamento", "at": "2026-11-20T14:03:09Z",
		}},
	}
}

func TestOpenAPIValidateResponse(t *testing.T) {
	v := newValidator(t)
	lead := "/v1/leads/ld_01jd3k7q9m2x4v6b8n0p2r4t6w"
	problem := map[string]any{
		"type": "https://leadflow.dev/problems/not-found", "title": "Not Found",
		"status": 404, "detail": "lead not found", "code": "not_found",
	}
	wrongRating := leadDetail()
	wrongRating["rating"] = "four"
	badState := leadDetail()
	badState["state"] = "won"
	noNotes := leadDetail()
	delete(noNotes, "notes")
	badTime := leadDetail()
	badTime["created_at"] = "20/11/2026"

	cases := []struct {
		name    string
		method  string
		path    string
		resp    *http.Response
		wantErr string // "" means valid
	}{
		{"lead detail", "GET", lead, respond(200, "application/json", leadDetail(), "ETag", `"3"`), ""},
		{"not found problem", "GET", lead, respond(404, "application/problem+json", problem), ""},
		{"capture created", "POST", "/v1/capture/leads",
			respond(201, "application/json", map[string]any{"lead_id": "ld_1", "contact_id": "ct_1", "created": true}), ""},
		{"rate limited", "POST", "/v1/capture/leads",
			respond(429, "application/problem+json", map[string]any{
				"type": "about:blank", "title": "Too Many Requests", "status": 429,
				"detail": "slow down", "code": "rate_limited",
			}, "Retry-After", "30"), ""},
		{"form redirect", "POST", "/v1/capture/forms/demo-site-key",
			respond(303, "", nil, "Location", "https://loja.exemplo.com.br/obrigado"), ""},
		{"preflight", "OPTIONS", "/v1/capture/leads",
			respond(204, "", nil, "Access-Control-Allow-Origin", "https://loja.exemplo.com.br",
				"Access-Control-Allow-Methods", "POST, OPTIONS"), ""},
		{"delete note", "DELETE", lead + "/notes/nt_1", respond(204, "", nil), ""},
		{"healthz", "GET", "/healthz", respond(200, "application/json", map[string]string{"status": "ok"}), ""},
		{"openapi", "GET", "/v1/openapi.yaml", respond(200, "application/yaml", string(openapi.Document())), ""},

		{"wrong-typed field", "GET", lead, respond(200, "application/json", wrongRating, "ETag", `"3"`), "rating"},
		{"enum violation", "GET", lead, respond(200, "application/json", badState, "ETag", `"3"`), "state"},
		{"missing required", "GET", lead, respond(200, "application/json", noNotes, "ETag", `"3"`), "notes"},
		{"bad date-time", "GET", lead, respond(200, "application/json", badTime, "ETag", `"3"`), "created_at"},
		{"missing ETag", "GET", lead, respond(200, "application/json", leadDetail()), "ETag"},
		{"undocumented status", "GET", lead, respond(418, "application/problem+json", problem), "418"},
		{"error not problem+json", "GET", lead, respond(404, "application/json", problem), "application/json"},
		{"problem without code", "GET", lead, respond(404, "application/problem+json", map[string]any{
			"type": "about:blank", "title": "Not Found", "status": 404, "detail": "x"}), "code"},
		{"429 without Retry-After", "POST", "/v1/capture/leads",
			respond(429, "application/problem+json", map[string]any{
				"type": "about:blank", "title": "Too Many Requests", "status": 429,
				"detail": "slow down", "code": "rate_limited",
			}), "Retry-After"},
		{"undocumented route", "GET", "/v1/nope", respond(200, "application/json", map[string]any{}), "/v1/nope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "http://127.0.0.1:8080"+tc.path, nil)
			err := v.ValidateResponse(req, tc.resp)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want an error mentioning %q, got nil", tc.wantErr)
			}
			var re *validate.ResponseError
			if !errors.As(err, &re) {
				t.Fatalf("error is %T, want *validate.ResponseError", err)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error does not mention %q:\n%v", tc.wantErr, err)
			}
			if testing.Verbose() {
				t.Log(err)
			}
		})
	}
}

func TestOpenAPIValidateResponseKeepsBody(t *testing.T) {
	v := newValidator(t)
	req := httptest.NewRequest("GET", "/healthz", nil)
	resp := respond(200, "application/json", map[string]string{"status": "ok"})
	if err := v.ValidateResponse(req, resp); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil || !strings.Contains(string(b), `"ok"`) {
		t.Fatalf("body after validation = %q, %v", b, err)
	}
}

func TestOpenAPIValidatorConcurrent(t *testing.T) {
	v := newValidator(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := httptest.NewRequest("GET", "/v1/leads/ld_1", nil)
			body := leadDetail()
			if i%2 == 1 {
				body["rating"] = 9
			}
			err := v.ValidateResponse(req, respond(200, "application/json", body, "ETag", `"3"`))
			if (err != nil) != (i%2 == 1) {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("unexpected result: %v", err)
	}
}
