package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/auth"
	"github.com/leadflow/leadflow/internal/httpapi"
	"github.com/leadflow/leadflow/internal/lead"
)

// noIO is a store double for CPU and allocation benchmarks only: it answers
// from memory so the handler's own cost can be measured without the
// store's I/O. It is not a DynamoDB imitation and no test relies on it
// for behaviour.
type noIO struct {
	httpapi.Leads // methods the benchmarks don't call
	site          account.Site
	detail        lead.Detail
}

func (n *noIO) SiteByKey(context.Context, string) (account.Site, error) { return n.site, nil }

func (n *noIO) Capture(context.Context, account.Site, lead.Capture) (lead.CaptureResult, error) {
	return lead.CaptureResult{LeadID: "ld_01jd3k7q9m2x4v6b8n0p2r4t6w", ContactID: "ct_01jd3k7q9m2x4v6b8n0p2r4t6w", Created: true}, nil
}

func (n *noIO) Detail(context.Context, string, string) (lead.Detail, error) { return n.detail, nil }

func (n *noIO) Account(_ context.Context, tenantID string) (account.Account, error) {
	return account.Account{ID: tenantID}, nil
}

// User answers the token's user as active (the per-request user check).
func (n *noIO) User(_ context.Context, tenantID, userID string) (account.User, error) {
	return account.User{ID: userID, TenantID: tenantID, Role: account.RoleAdmin, Active: true}, nil
}

func benchHandler(b *testing.B) (http.Handler, string, *noIO) {
	hm, err := auth.NewHMAC([]byte(strings.Repeat("k", 40)), "bench")
	if err != nil {
		b.Fatal(err)
	}
	tok, _ := hm.Issue(account.Principal{TenantID: "acme", UserID: "usr_1", Role: account.RoleAdmin}, time.Hour)
	now := time.Now().UTC()
	st := &noIO{site: account.Site{ID: "site_1", TenantID: "acme", Key: "pk_1", Country: "BR", CreatedAt: now}}
	l := lead.Lead{ID: "ld_1", ContactID: "ct_1", TenantID: "acme", Name: "Ana Souza", State: lead.State("new"), Version: 3,
		Contact:   lead.Contact{Email: "ana@example.com", Phone: "+5511912345678", Attributes: map[string]string{"company": "Acme"}},
		CreatedAt: now, UpdatedAt: now}
	st.detail.Lead = l
	for i := range 20 {
		st.detail.Notes.Items = append(st.detail.Notes.Items, lead.Note{ID: fmt.Sprint("nt_", i), Text: "ligar amanhã às 10h", AuthorID: "usr_1", CreatedAt: now, UpdatedAt: now})
	}
	for i := range 40 {
		st.detail.History.Items = append(st.detail.History.Items, lead.Event{ID: fmt.Sprint("ev_", i), At: now, Action: "field_changed", Field: "rating", Before: 1, After: 2})
		st.detail.Conversation.Items = append(st.detail.Conversation.Items, lead.Message{From: "visitor", Text: "Quero um orçamento", At: now})
	}
	h := httpapi.NewLocal(httpapi.Deps{Sites: st, Captures: st, Leads: st, Accounts: st, Auth: hm})
	return h, tok, st
}

// BenchmarkHandlerCapture: one chatbot capture through the whole handler
// (routing, site check, decode, normalize, answer), store I/O excluded.
func BenchmarkHandlerCapture(b *testing.B) {
	h, _, _ := benchHandler(b)
	body := `{"source":"chatbot","external_id":"c1","contact":{"name":"Ana Souza","email":"ana@example.com","phone":"+55 11 91234-5678",` +
		`"attributes":{"company":"Acme"}},"navigation":{"page_url":"https://shop.example.com/?utm_source=google&utm_campaign=bf"},` +
		`"conversation":[{"from":"bot","text":"Olá!","at":"2026-11-20T14:03:01Z"},{"from":"visitor","text":"Quero um orçamento","at":"2026-11-20T14:03:09Z"}]}`
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v1/capture/leads", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Site-Key", "pk_1")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted { // a site-key capture: 202, no ids
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkHandlerDetail: one lead detail (20 notes, 40 history entries,
// 40 messages) through the handler, token verification included.
func BenchmarkHandlerDetail(b *testing.B) {
	h, tok, _ := benchHandler(b)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", "/v1/leads/ld_1", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
