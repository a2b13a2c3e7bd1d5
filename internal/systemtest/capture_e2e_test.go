package systemtest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/leadflow/leadflow/internal/account"
)

func TestCaptureChatbotLeadThenReadDetail(t *testing.T) {
	s := newStack(t)
	r := s.expect(s.capture(chatbotBody("conv-8f2c", "Ana@Example.com"),
		"CloudFront-Viewer-Country: BR", "CloudFront-Viewer-Country-Region: SP", "CloudFront-Viewer-City: S%C3%A3o%20Paulo",
		"X-Origin-Verify: "+testOriginSecret, "Origin: https://shop.example.com"), http.StatusCreated)
	created := r.json(t)
	if created["created"] != true || created["lead_id"] == "" || created["contact_id"] == "" {
		t.Fatalf("capture answer: %v", created)
	}

	d := s.expect(s.call("GET", "/v1/leads/"+created["lead_id"].(string), s.agent, nil), http.StatusOK)
	lead := d.json(t)
	want := map[string]any{
		"name":                               "Ana Souza",
		"state":                              "new",
		"rating":                             float64(0),
		"entry_method":                       "chatbot",
		"contact.email":                      "ana@example.com",
		"contact.phone":                      "+5511912345678",
		"contact.whatsapp":                   "+5511912345678",
		"contact.attributes.company":         "Acme",
		"navigation.utm_source":              "google",
		"navigation.utm_medium":              "cpc",
		"navigation.utm_campaign":            "bf2026",
		"navigation.utm_term":                "crm",
		"navigation.gclid":                   "abc",
		"navigation.referrer":                "https://www.google.com/",
		"navigation.ip":                      "127.0.0.1",
		"navigation.country":                 "BR",
		"navigation.region":                  "SP",
		"navigation.city":                    "São Paulo",
		"navigation.locale":                  "pt-BR",
		"navigation.first_contact_at":        "2026-11-20T14:03:00Z",
		"navigation.site_id":                 s.site.ID,
		"navigation.last_touch.utm_campaign": "bf2026",
	}
	for path, w := range want {
		if got := field(lead, path); got != w {
			t.Errorf("%s = %#v, want %#v", path, got, w)
		}
	}
	if d.header.Get("ETag") != `"1"` {
		t.Errorf("ETag = %q, want \"1\"", d.header.Get("ETag"))
	}
	conv := lead["conversation"].([]any)
	if len(conv) != 2 || conv[0].(map[string]any)["text"] != "Olá! Como posso ajudar?" {
		t.Errorf("conversation = %v", conv)
	}
	hist := lead["history"].([]any)
	if len(hist) != 1 || hist[0].(map[string]any)["action"] != "created" {
		t.Errorf("history = %v", hist)
	}
}

func TestRepeatCaptureAppendsWithoutDuplicating(t *testing.T) {
	s := newStack(t)
	first := s.expect(s.capture(chatbotBody("conv-1", "ana@example.com")), http.StatusCreated).json(t)
	id := first["lead_id"].(string)

	// Same transcript again under the same external id: a retry, nothing
	// new (not even a history entry or a touch).
	again := s.expect(s.capture(chatbotBody("conv-1", "ana@example.com")), http.StatusOK).json(t)
	if again["lead_id"] != id || again["created"] != false {
		t.Fatalf("replay answer: %v", again)
	}
	// The same person from another campaign, found by e-mail.
	body := chatbotBody("conv-2", "ANA@example.com")
	nav := body["navigation"].(map[string]any)
	nav["page_url"] = "https://shop.example.com/?utm_source=facebook&utm_medium=social&utm_campaign=verao"
	nav["landing_url"] = ""
	body["conversation"] = []map[string]any{{"from": "visitor", "text": "Voltei!", "at": "2026-11-21T10:00:00Z"}}
	byEmail := s.expect(s.capture(body), http.StatusOK).json(t)
	if byEmail["lead_id"] != id {
		t.Fatalf("capture by e-mail went to %v, want %s", byEmail["lead_id"], id)
	}

	lead := s.expect(s.call("GET", "/v1/leads/"+id, s.admin, nil), http.StatusOK).json(t)
	if got := field(lead, "navigation.first_touch.utm_campaign"); got != "bf2026" {
		t.Errorf("first touch changed: utm_campaign = %v", got)
	}
	if got := field(lead, "navigation.last_touch.utm_campaign"); got != "verao" {
		t.Errorf("last touch utm_campaign = %v, want verao", got)
	}
	if n := len(lead["conversation"].([]any)); n != 3 {
		t.Errorf("conversation has %d messages, want 3 (2 + 1 new, replay not duplicated)", n)
	}
	captured := 0
	for _, h := range lead["history"].([]any) {
		if h.(map[string]any)["action"] == "captured" {
			captured++
		}
	}
	if captured != 1 { // the capture by e-mail; the retry added nothing
		t.Errorf("history has %d captured entries, want 1", captured)
	}
}

func TestConcurrentCapturesOfOnePersonMakeOneLead(t *testing.T) {
	s := newStack(t)
	const n = 50 // issue 6: 50 captures of one person → one lead, all answered 2xx
	ids := make([]string, n)
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := chatbotBody(fmt.Sprintf("conv-%d", i), "same@example.com")
			r := s.capture(body)
			statuses[i] = r.status
			if r.status < 300 {
				ids[i], _ = r.json(t)["lead_id"].(string)
			}
		}()
	}
	wg.Wait()
	created := 0
	for i := range n {
		switch statuses[i] {
		case http.StatusCreated:
			created++
		case http.StatusOK:
		default:
			t.Errorf("capture %d answered %d", i, statuses[i])
		}
		if ids[i] != ids[0] {
			t.Errorf("capture %d went to lead %s, capture 0 to %s", i, ids[i], ids[0])
		}
	}
	if created != 1 {
		t.Errorf("%d captures answered 201, want exactly 1", created)
	}
}

func TestCaptureRejectsBadInputNamingEachField(t *testing.T) {
	s := newStack(t)
	body := chatbotBody("conv-bad", "not-an-email")
	body["source"] = "fax"
	c := body["contact"].(map[string]any)
	c["phone"] = "12"
	c["cpf"] = "111.111.111-12"
	body["navigation"].(map[string]any)["page_url"] = "javascript:alert(1)"
	r := s.expect(s.capture(body), http.StatusBadRequest)
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	got := fieldErrors(t, r)
	for _, f := range []string{"source", "contact.email", "contact.phone", "contact.cpf", "navigation.page_url"} {
		if got[f] == "" {
			t.Errorf("no error for %s; errors: %v", f, got)
		}
	}
	// Nothing was stored: the e-mail-less, phone-less person is unknown.
	if r.json(t)["code"] != "validation_failed" {
		t.Errorf("code = %v", r.json(t)["code"])
	}

	s.expect(s.capture(`{"contact": `), http.StatusBadRequest)
	s.expect(s.capture(map[string]any{"source": "api", "contact": map[string]any{"name": "Sem Contato"}}), http.StatusBadRequest)
}

func TestCaptureGuards(t *testing.T) {
	s := newStack(t)
	body := chatbotBody("g", "g@example.com")

	s.expect(s.call("POST", "/v1/capture/leads", "", body), http.StatusUnauthorized)
	s.expect(s.call("POST", "/v1/capture/leads", "", body, "X-Site-Key: pk_nope"), http.StatusUnauthorized)
	s.expect(s.publicCapture(body, "Origin: https://evil.example.net"), http.StatusForbidden)
	ok := s.expect(s.publicCapture(body, "Origin: https://shop.example.com"), http.StatusAccepted)
	if got := ok.header.Get("Access-Control-Allow-Origin"); got != "https://shop.example.com" {
		t.Errorf("CORS origin header = %q", got)
	}
	s.expect(s.call("POST", "/v1/capture/leads", "", "<xml/>", "X-Site-Key: "+s.site.Key, "Content-Type: application/xml"), http.StatusUnsupportedMediaType)
	big := `{"source":"api","external_id":"big","contact":{"name":"` + strings.Repeat("a", 300<<10) + `"}}`
	s.expect(s.call("POST", "/v1/capture/leads", "", big, "X-Site-Key: "+s.site.Key, "Content-Type: application/json"), http.StatusRequestEntityTooLarge)

	// Preflight: allowed origin with the key in the query, refused otherwise.
	ok = s.expect(s.call("OPTIONS", "/v1/capture/leads?site_key="+s.site.Key, "", nil,
		"Origin: https://shop.example.com", "Access-Control-Request-Method: POST"), http.StatusNoContent)
	if ok.header.Get("Access-Control-Allow-Origin") != "https://shop.example.com" {
		t.Errorf("preflight allow-origin = %q", ok.header.Get("Access-Control-Allow-Origin"))
	}
	s.expect(s.call("OPTIONS", "/v1/capture/leads?site_key="+s.site.Key, "", nil, "Origin: https://evil.example.net"), http.StatusForbidden)
	s.expect(s.call("OPTIONS", "/v1/capture/forms/"+s.site.Key, "", nil, "Origin: https://shop.example.com"), http.StatusNoContent)
}

func TestCaptureRateLimitHoldsInTheStore(t *testing.T) {
	s := newStack(t)
	site := s.site
	site.Key = "pk_limited_" + s.tenant
	site.RateLimitPerMinute = 3
	must(t, s.store.PutSite(context.Background(), site))
	person := func(i int) map[string]any { // a different person each time
		b := chatbotBody(fmt.Sprint("rl", i), fmt.Sprintf("rl%d@example.com", i))
		c := b["contact"].(map[string]any)
		delete(c, "phone")
		delete(c, "whatsapp")
		return b
	}
	for i := range 3 {
		s.expect(s.call("POST", "/v1/capture/leads", "", person(i), "X-Site-Key: "+site.Key), http.StatusAccepted)
	}
	r := s.expect(s.call("POST", "/v1/capture/leads", "", person(9), "X-Site-Key: "+site.Key), http.StatusTooManyRequests)
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}

func TestFormCapture(t *testing.T) {
	s := newStack(t)
	form := url.Values{
		"name": {"Bruno Oliveira"}, "email": {"bruno@example.com"}, "phone": {"(21) 99876-5432"},
		"utm_source": {"facebook"}, "page_url": {"https://shop.example.com/contato?utm_campaign=verao"},
		"empresa": {"Oliveira & Filhos"},
	}
	post := func(v url.Values, headers ...string) response {
		return s.call("POST", "/v1/capture/forms/"+s.site.Key, "", v.Encode(),
			append([]string{"Content-Type: application/x-www-form-urlencoded"}, headers...)...)
	}
	if r := s.expect(post(form), http.StatusAccepted); string(r.body) != acceptedBody {
		t.Errorf("form answer = %q", r.body)
	}
	// The lead's id, from a server capture of the same person.
	created := s.expect(s.capture(map[string]any{"source": "api", "contact": map[string]any{"email": "bruno@example.com"}}), http.StatusOK).json(t)
	lead := s.expect(s.call("GET", "/v1/leads/"+created["lead_id"].(string), s.admin, nil), http.StatusOK).json(t)
	for path, w := range map[string]any{
		"entry_method": "form", "contact.phone": "+5521998765432", "contact.attributes.empresa": "Oliveira & Filhos",
		"navigation.utm_source": "facebook", "navigation.utm_campaign": "verao",
	} {
		if got := field(lead, path); got != w {
			t.Errorf("%s = %#v, want %#v", path, got, w)
		}
	}

	// Honeypot: the same answer as a real capture, stores nothing (the
	// person is new to a server capture afterwards).
	bot := url.Values{"name": {"Bot"}, "email": {"bot@example.com"}, "_hp": {"gotcha"}}
	if r := s.expect(post(bot), http.StatusAccepted); string(r.body) != acceptedBody {
		t.Errorf("honeypot answer = %q", r.body)
	}
	s.expect(s.capture(map[string]any{"source": "api", "contact": map[string]any{"email": "bot@example.com"}}), http.StatusCreated)

	// Redirect to an allowed origin → 303; elsewhere → 400.
	form.Set("_redirect", "https://shop.example.com/obrigado")
	r := s.expect(post(form), http.StatusSeeOther)
	if r.header.Get("Location") != "https://shop.example.com/obrigado" {
		t.Errorf("Location = %q", r.header.Get("Location"))
	}
	form.Set("_redirect", "https://evil.example.net/")
	if fe := fieldErrors(t, s.expect(post(form), http.StatusBadRequest)); fe["_redirect"] == "" {
		t.Errorf("bad redirect not named: %v", fe)
	}
}

func TestTenantSiteKeysOnlyReachTheirOwnAccount(t *testing.T) {
	s := newStack(t)
	r := s.expect(s.call("POST", "/v1/capture/leads", s.newAPIKey(s.otherTen, account.ScopeLeadsWrite), chatbotBody("x", "b@example.com"),
		"X-Site-Key: "+s.otherSite.Key), http.StatusCreated)
	id := r.json(t)["lead_id"].(string)
	s.expect(s.call("GET", "/v1/leads/"+id, s.other, nil), http.StatusOK)
	s.expect(s.call("GET", "/v1/leads/"+id, s.admin, nil), http.StatusNotFound)
}
