package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/auth"
	"github.com/leadflow/leadflow/internal/bulk"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/httpapi"
	"github.com/leadflow/leadflow/internal/importjob"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/openapi"
	"github.com/leadflow/leadflow/internal/openapi/validate"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// stack is one isolated Leadflow: a fresh table on DynamoDB Local, two
// tenants, and the local handler (every route) on an httptest server. Every
// response it sees is checked against the OpenAPI document.
type stack struct {
	t         *testing.T
	srv       *httptest.Server
	store     *dynamo.Store
	client    *dynamodb.Client
	table     string
	validator *validate.Validator
	tenant    string
	site      account.Site
	admin     string // tokens
	agent     string
	otherTen  string
	other     string // admin token of the other tenant
	otherSite account.Site
	apiKey    string // secret of an API key of the tenant with every scope
	now       time.Time
	jobs      *queue.Queue  // set by tests that post Meta webhooks
	logs      *lockedBuffer // everything the handlers log
	inline    *jobs.Inline  // runs jobs in process
	deps      httpapi.Deps
}

// Send forwards to the test's queue (Deps.Queue), failing without one.
func (s *stack) Send(ctx context.Context, job queue.Job, delay time.Duration) error {
	if s.jobs == nil {
		return errors.New("stack: no jobs queue")
	}
	return s.jobs.Send(ctx, job, delay)
}

var sharedValidator *validate.Validator

func newStack(t *testing.T) *stack {
	t.Helper()
	ctx := context.Background()
	client, scans := noScan(testenv.DynamoDB(t))
	t.Cleanup(func() {
		if n := scans.Load(); n > 0 {
			t.Errorf("%d Scan calls reached DynamoDB; request paths must use Query/GetItem only", n)
		}
	})
	table := testenv.UniqueName("e2e")
	if err := dynamo.CreateTable(ctx, client, table, dynamo.WithoutStream()); err != nil {
		t.Fatalf("create table: %v", err)
	}
	if sharedValidator == nil {
		v, err := validate.NewValidator()
		if err != nil {
			t.Fatalf("openapi: %v", err)
		}
		sharedValidator = v
	}
	s := &stack{t: t, client: client, table: table, store: dynamo.New(client, table), validator: sharedValidator, now: time.Now().UTC(), logs: &lockedBuffer{}}
	hm, err := auth.NewHMAC([]byte(strings.Repeat("k", 40)), "leadflow-test")
	if err != nil {
		t.Fatal(err)
	}
	s.tenant = testenv.UniqueName("ta")
	s.otherTen = testenv.UniqueName("tb")
	s.site = s.seedTenant(s.tenant, "BR", []string{"https://shop.example.com"})
	s.otherSite = s.seedTenant(s.otherTen, "BR", nil)
	s.admin = issue(t, hm, s.tenant, "usr_admin", account.RoleAdmin)
	s.agent = issue(t, hm, s.tenant, "usr_agent", account.RoleAgent)
	s.other = issue(t, hm, s.otherTen, "usr_admin", account.RoleAdmin)
	s.apiKey = s.newAPIKey(s.tenant, account.Scopes...)

	inline := &jobs.Inline{Records: s.store}
	runner := &bulk.Runner{Leads: s.store, Jobs: s.store, Starter: inline}
	importer := &importjob.Runner{Store: s.store, Captures: s.store, Starter: inline}
	inline.Handlers = map[string]jobs.Handler{jobs.TypeBulk: runner.Handle, jobs.TypeImport: importer.Handle}
	s.inline = inline
	s.deps = httpapi.Deps{
		JobRecords: s.store, JobStarter: inline, Imports: s.store,
		Sites: s.store, Captures: s.store, Accounts: s.store, Leads: s.store, Lists: s.store, Groups: s.store, SavedFilters: s.store,
		Auth: hm, Health: []httpapi.Pinger{s.store}, OpenAPI: openapi.Document(),
		AdsSecrets: s.store, Reports: s.store, Queue: s, Assignment: s.store, Tasks: s.store, APIKeys: s.store, Settings: s.store, Identity: s.store, Merges: s.store,
		Interactions: s.store, KeyJoiner: s.store,
		OriginVerifySecret: testOriginSecret,
		Logger:             slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	s.srv = httptest.NewServer(httpapi.NewLocal(s.deps))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *stack) seedTenant(id, country string, origins []string) account.Site {
	ctx := context.Background()
	must(s.t, s.store.PutAccount(ctx, account.Account{ID: id, Name: "Conta " + id, Country: country,
		SubStates: map[string][]string{"no_sale": {"sem_interesse", "preco_alto"}, "in_progress": {"proposta_enviada"}}, CreatedAt: s.now}))
	for _, u := range []account.User{
		{ID: "usr_admin", TenantID: id, Name: "Carla Mendes", Role: account.RoleAdmin, Active: true, CreatedAt: s.now},
		{ID: "usr_agent", TenantID: id, Name: "Rafael Lima", Role: account.RoleAgent, Active: true, CreatedAt: s.now},
		{ID: "usr_gone", TenantID: id, Name: "Ex Agente", Role: account.RoleAgent, Active: false, CreatedAt: s.now},
	} {
		must(s.t, s.store.PutUser(ctx, u))
	}
	site := account.Site{ID: "site_" + id, TenantID: id, Name: "Loja", Key: testenv.UniqueName("pk"),
		AllowedOrigins: origins, Country: country, RateLimitPerMinute: 1000, CreatedAt: s.now}
	must(s.t, s.store.PutSite(ctx, site))
	return site
}

// newAPIKey stores an API key of tenant with scopes and returns its secret.
func (s *stack) newAPIKey(tenant string, scopes ...account.Scope) string {
	s.t.Helper()
	k, secret := account.NewAPIKey(tenant, testenv.UniqueName("ak"), "test", scopes, "usr_admin", s.now)
	must(s.t, s.store.CreateAPIKey(context.Background(), k))
	return secret
}

func issue(t *testing.T, hm *auth.HMAC, tenant, user string, role account.Role) string {
	t.Helper()
	tok, err := hm.Issue(account.Principal{TenantID: tenant, UserID: user, Role: role}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// response is a read, validated HTTP response.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// call sends a request; body may be nil, a string (sent as is) or any value
// (sent as JSON). headers are "Name: value" pairs.
func (s *stack) call(method, path, token string, body any, headers ...string) response {
	s.t.Helper()
	var rd io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		must(s.t, err)
		rd = bytes.NewReader(j)
		contentType = "application/json"
	}
	req, err := http.NewRequest(method, s.srv.URL+path, rd)
	must(s.t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	must(s.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(s.t, err)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	if err := s.validator.ValidateResponse(req, resp); err != nil {
		s.t.Errorf("%s %s → %d does not match the OpenAPI document: %v\n%s", method, path, resp.StatusCode, err, b)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (s *stack) expect(r response, status int) response {
	s.t.Helper()
	if r.status != status {
		s.t.Fatalf("status %d, want %d\n%s", r.status, status, r.body)
	}
	return r
}

// chatbotBody is the api.md example capture.
func chatbotBody(externalID, email string) map[string]any {
	return map[string]any{
		"source":      "chatbot",
		"external_id": externalID,
		"contact": map[string]any{
			"name": "  Ana   Souza ", "email": email,
			"phone": "+55 11 91234-5678", "whatsapp": "+5511912345678",
			"attributes": map[string]any{"company": "Acme", "budget": "10k"},
		},
		"navigation": map[string]any{
			"page_url":         "https://shop.example.com/pricing?utm_source=google&utm_medium=cpc&utm_campaign=bf2026",
			"landing_url":      "https://shop.example.com/?gclid=abc",
			"referrer":         "https://www.google.com/",
			"utm_term":         "crm",
			"fbclid":           nil,
			"first_contact_at": "2026-11-20T14:03:00Z",
			"user_agent":       "Mozilla/5.0 (test)", "locale": "pt-BR",
		},
		"conversation": []map[string]any{
			{"from": "bot", "text": "Olá! Como posso ajudar?", "at": "2026-11-20T14:03:01Z"},
			{"from": "visitor", "text": "Quero um orçamento", "at": "2026-11-20T14:03:09Z"},
		},
	}
}

// capture posts a server capture: the tenant's API key plus its site key,
// answered with the lead's ids (201 new, 200 known).
func (s *stack) capture(body any, headers ...string) response {
	s.t.Helper()
	return s.call("POST", "/v1/capture/leads", s.apiKey, body, append([]string{"X-Site-Key: " + s.site.Key}, headers...)...)
}

// publicCapture posts with the site key only, as a browser does: 202.
func (s *stack) publicCapture(body any, headers ...string) response {
	s.t.Helper()
	return s.call("POST", "/v1/capture/leads", "", body, append([]string{"X-Site-Key: " + s.site.Key}, headers...)...)
}

func field(m map[string]any, path string) any {
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

func fieldErrors(t *testing.T, r response) map[string]string {
	t.Helper()
	out := map[string]string{}
	errs, _ := r.json(t)["errors"].([]any)
	for _, e := range errs {
		m := e.(map[string]any)
		out[m["field"].(string)] = m["code"].(string)
	}
	return out
}

// testLogger sends server errors to the test log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelError}))
}

type tlogWriter struct{ t *testing.T }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
