package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/auth"
	"github.com/leadflow/leadflow/internal/httpapi"
	"github.com/leadflow/leadflow/internal/openapi"
)

// The security suite is table-driven over httpapi.Routes(): a route added to
// the table is covered here without editing this file, except for the two
// fixtures below, which the tests demand when a new route needs them.

// stackSecret and stackIssuer are what newStack signs its tokens with.
var (
	stackSecret = []byte(strings.Repeat("k", 40))
	stackIssuer = "leadflow-test"
)

// routeBodies is a valid body for each console route that takes one, so a
// refusal is about the caller, not the body. A new POST/PATCH/PUT route must
// add its body here (TestEveryConsoleRouteRefusesOtherTenantsAndBadTokens
// fails until it does).
var routeBodies = map[string]any{
	"PATCH /v1/leads/{id}":                 map[string]any{"rating": 5},
	"POST /v1/leads/{id}/notes":            map[string]any{"text": "intruso"},
	"PATCH /v1/leads/{id}/notes/{note_id}": map[string]any{"text": "intruso"},
	"POST /v1/leads/{id}/scheduled-changes": map[string]any{"state": "no_sale", "sub_state": "preco_alto",
		"at": time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)},
	"PUT /v1/assignment/rules":                      map[string]any{"rules": []any{map[string]any{"match": map[string]any{}, "strategy": "round_robin"}}},
	"POST /v1/assignment/reassign":                  map[string]any{"lead_ids": []string{"ld_x"}, "owner_id": "usr_agent"},
	"PATCH /v1/users/{id}":                          map[string]any{"away": true},
	"POST /v1/groups":                               map[string]any{"name": "Intrusos"},
	"POST /v1/saved-filters":                        map[string]any{"name": "Intruso", "filter": map[string]string{"state": "new"}},
	"PATCH /v1/saved-filters/{filter_id}":           map[string]any{"name": "Intruso 2"},
	"POST /v1/leads/bulk":                           map[string]any{"action": "add_tag", "ids": []string{"ld_x"}, "tag": "intruso"},
	"POST /v1/leads/{id}/restore":                   nil,
	"POST /v1/imports":                              "email,name\nintruso@example.com,Intruso\n",
	"POST /v1/imports/uploads":                      nil,
	"POST /v1/leads/{id}/tasks":                     map[string]any{"description": "intruso", "due_date": "2026-12-01"},
	"PATCH /v1/tasks/{task_id}":                     map[string]any{"done": true},
	"POST /v1/tasks/bulk":                           map[string]any{"action": "delete", "ids": []string{"tsk_x"}},
	"PUT /v1/task-types":                            map[string]any{"types": []any{map[string]any{"id": "intruso", "label": "Intruso"}}},
	"PUT /v1/task-presets":                          map[string]any{"presets": []any{map[string]any{"label": "Intruso", "description": "intruso"}}},
	"POST /v1/api-keys":                             map[string]any{"name": "Intruso", "scopes": []string{"leads:write"}},
	"PATCH /v1/account":                             map[string]any{"name": "Intruso"},
	"POST /v1/sites":                                map[string]any{"name": "Intruso"},
	"PATCH /v1/sites/{site_id}":                     map[string]any{"name": "Intruso"},
	"POST /v1/sites/{site_id}/rotate-key":           nil,
	"POST /v1/interactions/{interaction_id}/relate": map[string]any{"lead_id": "ld_x"},
	"POST /v1/leads/{id}/merge":                     map[string]any{"absorb": []string{"ld_x"}, "dry_run": true},
	"POST /v1/merges/{merge_id}/undo":               nil,
	"POST /v1/leads/{id}/erase":                     map[string]any{"confirm": "ld_not_this_one"},
	"PUT /v1/identity-keys":                         map[string]any{"kinds": []any{map[string]any{"name": "intruso", "label": "Intruso", "unique": true}}},
	"POST /v1/contacts/locate":                      map[string]any{"keys": map[string]any{"email": "intruso@example.com"}},
	"POST /v1/leads":                                map[string]any{"name": "Intruso"},
	"POST /v1/leads/{id}/keys":                      map[string]any{"add": map[string]any{"rg": "1234567"}},
}

// adminOnlyRoutes are console routes an agent token must get 403 from
// (assigning an owner through PATCH is admin-only too: see
// TestOnlyAdminsAssignOwners).
var adminOnlyRoutes = map[string]bool{
	"POST /v1/imports":                    true,
	"POST /v1/imports/uploads":            true,
	"GET /v1/assignment/rules":            true,
	"PUT /v1/assignment/rules":            true,
	"POST /v1/assignment/reassign":        true,
	"POST /v1/leads/{id}/restore":         true,
	"PUT /v1/task-types":                  true,
	"PUT /v1/task-presets":                true,
	"POST /v1/api-keys":                   true,
	"GET /v1/api-keys":                    true,
	"DELETE /v1/api-keys/{key_id}":        true,
	"PATCH /v1/account":                   true,
	"GET /v1/sites":                       true,
	"POST /v1/sites":                      true,
	"PATCH /v1/sites/{site_id}":           true,
	"POST /v1/sites/{site_id}/rotate-key": true,
	"GET /v1/leads/{id}/data-export":      true,
	"POST /v1/leads/{id}/erase":           true,
	"PUT /v1/identity-keys":               true,
}

// defaultParams fill path parameters a test does not care about; an id
// that names nothing is as good as any for a refusal.
var defaultParams = map[string]string{"change_id": "sc_missing", "filter_id": "sf_missing", "job_id": "jb_missing", "import_id": "imp_missing", "task_id": "tsk_missing", "key_id": "ak_missing", "site_id": "site_missing", "interaction_id": "int_missing", "merge_id": "mrg_missing"}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// consoleCall is one console route with its path parameters filled in.
type consoleCall struct {
	key, method, path string
	body              any
}

// consoleCalls returns every non-public route of httpapi.Routes() with
// {param} filled from params; it fails the test for a parameter it has no
// value for, or a body-taking route without a routeBodies entry.
func consoleCalls(t *testing.T, params map[string]string) []consoleCall {
	t.Helper()
	var out []consoleCall
	for _, rt := range httpapi.Routes() {
		if rt.Public {
			continue
		}
		key := rt.Method + " " + rt.Path
		var missing []string
		path := pathParam.ReplaceAllStringFunc(rt.Path, func(m string) string {
			name := m[1 : len(m)-1]
			v, ok := params[name]
			if !ok {
				v, ok = defaultParams[name]
			}
			if !ok {
				missing = append(missing, name)
			}
			return url.PathEscape(v)
		})
		if len(missing) > 0 {
			t.Fatalf("%s: no test value for path parameter(s) %v; add them to the params of this test", key, missing)
		}
		body, ok := routeBodies[key]
		if !ok && (rt.Method == "POST" || rt.Method == "PATCH" || rt.Method == "PUT") {
			t.Fatalf("%s takes a body: add a valid one to routeBodies", key)
		}
		out = append(out, consoleCall{key: key, method: rt.Method, path: path, body: body})
	}
	for k := range adminOnlyRoutes {
		if !isRoute(k) {
			t.Fatalf("adminOnlyRoutes names %q, which is not in httpapi.Routes()", k)
		}
	}
	for k := range routeBodies {
		if !isRoute(k) {
			t.Fatalf("routeBodies names %q, which is not in httpapi.Routes()", k)
		}
	}
	return out
}

func isRoute(key string) bool {
	for _, rt := range httpapi.Routes() {
		if rt.Method+" "+rt.Path == key {
			return true
		}
	}
	return false
}

func signed(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// badTokens are credentials that must never pass, each built for the
// stack's own tenant and admin so only the defect named makes it fail.
func badTokens(t *testing.T, s *stack) map[string]string {
	now := time.Now()
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": stackIssuer, "sub": "usr_admin", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
			auth.ClaimTenant: s.tenant, auth.ClaimRole: "admin"}
		if mod != nil {
			mod(c)
		}
		return c
	}
	enc := base64.RawURLEncoding.EncodeToString
	payload, _ := json.Marshal(claims(nil))
	none := enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(payload) + "."
	// The agent's signed token with its payload swapped for an admin one.
	parts := strings.Split(s.agent, ".")
	swapped := parts[0] + "." + enc(payload) + "." + parts[2]
	return map[string]string{
		"missing":          "",
		"alg none":         none,
		"alg none no dot":  strings.TrimSuffix(none, "."),
		"badly signed":     signed(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 40)), claims(nil)),
		"HS512 same key":   signed(t, jwt.SigningMethodHS512, stackSecret, claims(nil)),
		"expired":          signed(t, jwt.SigningMethodHS256, stackSecret, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() })),
		"not yet valid":    signed(t, jwt.SigningMethodHS256, stackSecret, claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() })),
		"wrong issuer":     signed(t, jwt.SigningMethodHS256, stackSecret, claims(func(c jwt.MapClaims) { c["iss"] = "elsewhere" })),
		"payload swapped":  swapped,
		"truncated":        s.admin[:len(s.admin)-4],
		"site key as JWT":  s.site.Key,
		"signature of JWT": parts[2],
		// Well signed, but the user is not a live user of the account.
		"sub no user":      signed(t, jwt.SigningMethodHS256, stackSecret, claims(func(c jwt.MapClaims) { c["sub"] = "usr_ghost" })),
		"deactivated user": signed(t, jwt.SigningMethodHS256, stackSecret, claims(func(c jwt.MapClaims) { c["sub"] = "usr_gone"; c[auth.ClaimRole] = "agent" })),
		"other tenant sub": signed(t, jwt.SigningMethodHS256, stackSecret, claims(func(c jwt.MapClaims) { c[auth.ClaimTenant] = s.tenant + "x" })),
		"iat a year ahead": signed(t, jwt.SigningMethodHS256, stackSecret, claims(func(c jwt.MapClaims) { c["iat"] = now.AddDate(1, 0, 0).Unix() })),
		"API key":          s.apiKey,
	}
}

// Every console route refuses every bad credential with 401, answers
// another tenant's valid token with 404 or with none of this tenant's
// data, answers an agent with 403 where the route is admin-only, and none
// of these calls changes the lead.
func TestEveryConsoleRouteRefusesOtherTenantsAndBadTokens(t *testing.T) {
	s := newStack(t)
	s.enableUploads(nil, 0) // POST /v1/imports/uploads answers, not 503
	email := "sec-" + s.tenant + "@example.com"
	id := s.newLead(email)
	note := s.expect(s.call("POST", "/v1/leads/"+id+"/notes", s.admin, map[string]any{"text": "segredo da casa"}), http.StatusCreated).json(t)["id"].(string)
	interactionID := s.expect(s.call("POST", "/v1/capture/interactions", s.apiKey, map[string]any{
		"channel": "whatsapp", "external_id": "sec-1", "kind": "chat"}), http.StatusCreated).json(t)["id"].(string)
	calls := consoleCalls(t, map[string]string{"id": id, "note_id": note, "site_id": s.site.ID, "interaction_id": interactionID})
	if len(calls) < 9 {
		t.Fatalf("only %d console routes found", len(calls))
	}
	ours := []string{id, note, email, s.tenant, "segredo da casa", s.site.ID, interactionID}
	tokens := badTokens(t, s)

	for _, c := range calls {
		t.Run(c.key, func(t *testing.T) {
			for name, tok := range tokens {
				r := s.call(c.method, c.path, tok, c.body)
				if r.status != http.StatusUnauthorized {
					t.Errorf("%s token: status %d, want 401: %s", name, r.status, r.body)
				}
				if r.header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s token: 401 without WWW-Authenticate", name)
				}
			}
			// Scheme other than Bearer, with a valid token.
			if r := s.call(c.method, c.path, "", c.body, "Authorization: Basic "+s.admin); r.status != http.StatusUnauthorized {
				t.Errorf("Basic scheme: status %d, want 401", r.status)
			}

			r := s.call(c.method, c.path, s.other, c.body)
			switch {
			case r.status == http.StatusNotFound:
			case r.status >= 200 && r.status < 300:
				for _, v := range ours {
					if bytes.Contains(r.body, []byte(v)) {
						t.Errorf("other tenant got %d with this tenant's %q: %s", r.status, v, r.body)
					}
				}
			default:
				t.Errorf("other tenant: status %d, want 404 or no data: %s", r.status, r.body)
			}

			if adminOnlyRoutes[c.key] {
				if r := s.call(c.method, c.path, s.agent, c.body); r.status != http.StatusForbidden {
					t.Errorf("agent on an admin-only route: status %d, want 403", r.status)
				}
			}
		})
	}

	l := s.expect(s.call("GET", "/v1/leads/"+id, s.admin, nil), http.StatusOK).json(t)
	if l["version"] != float64(1) || l["rating"] != float64(0) || len(l["notes"].([]any)) != 1 || len(l["history"].([]any)) != 2 {
		t.Errorf("refused calls changed the lead: version %v rating %v notes %v history %d",
			l["version"], l["rating"], l["notes"], len(l["history"].([]any)))
	}
	// Nor the site: its key still captures, its name is unchanged.
	if r := s.capture(chatbotBody("sec-after", "sec-after-"+s.tenant+"@example.com")); r.status != http.StatusOK && r.status != http.StatusCreated {
		t.Errorf("the site key stopped capturing: %d %s", r.status, r.body)
	}
	if site, err := s.store.Site(t.Context(), s.tenant, s.site.ID); err != nil || site.Key != s.site.Key || site.Name != s.site.Name {
		t.Errorf("refused calls changed the site: %+v (%v)", site, err)
	}
}

// The ApiFunction trusts only claims API Gateway's authorizer put on the
// Lambda request context. A request without them (a route deployed without
// the authorizer) is refused on every console route, whatever bearer token
// it carries.
func TestAPIGatewayModeRefusesRequestsWithoutAuthorizerClaims(t *testing.T) {
	s := newStack(t)
	h := httpapi.NewAPI(httpapi.Deps{Sites: s.store, Captures: s.store, Accounts: s.store, Leads: s.store,
		Auth: auth.FromAuthorizer{}, OpenAPI: openapi.Document()})
	for _, c := range consoleCalls(t, map[string]string{"id": "ld_x", "note_id": "nt_x"}) {
		var body io.Reader
		if c.body != nil {
			b, _ := json.Marshal(c.body)
			body = bytes.NewReader(b)
		}
		req := httptest.NewRequest(c.method, c.path, body)
		req.Header.Set("Authorization", "Bearer "+s.admin)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("%s: status %d without authorizer claims, want 401", c.key, rec.Code)
		}
	}
}

// A site key reaches only its own account: captures land in the key's
// tenant, a key never works as a console credential, and a console token
// never works as a site key.
func TestSiteKeysAreNotConsoleCredentials(t *testing.T) {
	s := newStack(t)
	id := s.newLead("sk@example.com")
	for _, c := range consoleCalls(t, map[string]string{"id": id, "note_id": "nt_x"}) {
		if r := s.call(c.method, c.path, "", c.body, "X-Site-Key: "+s.site.Key); r.status != http.StatusUnauthorized {
			t.Errorf("%s with a site key: status %d, want 401", c.key, r.status)
		}
	}
	s.expect(s.call("POST", "/v1/capture/leads", "", chatbotBody("jwt", "jwt@example.com"), "X-Site-Key: "+s.admin), http.StatusUnauthorized)
	s.expect(s.call("POST", "/v1/capture/leads", s.admin, chatbotBody("jwt", "jwt@example.com")), http.StatusUnauthorized)
	// The other tenant's key with this tenant's person makes a separate lead
	// in the other tenant; this tenant's lead is untouched.
	r := s.expect(s.call("POST", "/v1/capture/leads", s.newAPIKey(s.otherTen, account.ScopeLeadsWrite), chatbotBody("c-sk@example.com", "sk@example.com"),
		"X-Site-Key: "+s.otherSite.Key), http.StatusCreated)
	if other := r.json(t)["lead_id"]; other == id {
		t.Fatalf("the other tenant's site key appended to this tenant's lead %s", id)
	}
	l := s.expect(s.call("GET", "/v1/leads/"+id, s.admin, nil), http.StatusOK).json(t)
	if l["interactions"] != float64(1) {
		t.Errorf("interactions = %v after another tenant's capture, want 1", l["interactions"])
	}
}

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// assertNoSecrets fails for every secret that appears in logs.
func assertNoSecrets(t *testing.T, logs string, secrets map[string]string) {
	t.Helper()
	if len(logs) == 0 {
		t.Fatal("no log output captured; the scan would prove nothing")
	}
	for name, v := range secrets {
		if v != "" && strings.Contains(logs, v) {
			t.Errorf("the logs contain the %s (%q)", name, v)
		}
	}
}

// Logs carry no secrets and no contact data: a debug-level handler serves
// captures (JSON and form), repeats, PATCHes, notes, refused tokens and bad
// input, and its whole output is scanned for the JWT secret, every token,
// both site keys and each contact's e-mail, phone and CPF.
func TestLogsNeverContainSecretsOrContactData(t *testing.T) {
	s := newStack(t)
	var logs syncBuffer
	hm, err := auth.NewHMAC(stackSecret, stackIssuer)
	must(t, err)
	h := httpapi.NewLocal(httpapi.Deps{
		Sites: s.store, Captures: s.store, Accounts: s.store, Leads: s.store, Auth: hm, APIKeys: s.store,
		Health: []httpapi.Pinger{s.store}, OpenAPI: openapi.Document(),
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	s.srv = srv // s.call now goes through the logged handler

	secrets := map[string]string{
		"JWT secret": string(stackSecret), "admin token": s.admin, "agent token": s.agent, "other token": s.other,
		"admin signature": strings.Split(s.admin, ".")[2],
		"site key":        s.site.Key, "other site key": s.otherSite.Key,
		"API key": s.apiKey, "API key hash": account.HashAPIKey(s.apiKey),
	}
	// A key created through the route: its secret passes through the
	// logged handler once, then authenticates captures.
	created := s.expect(s.call("POST", "/v1/api-keys", s.admin, map[string]any{"name": "logscan", "scopes": []string{"leads:write"}}), http.StatusCreated).json(t)
	secrets["created API key"] = created["key"].(string)
	s.expect(s.call("POST", "/v1/capture/leads", created["key"].(string), map[string]any{"source": "api", "contact": map[string]any{"email": "logscan-key@example.com"}},
		"X-Site-Key: "+s.site.Key), http.StatusCreated)
	secrets["e-mail via key"] = "logscan-key@example.com"
	for i := range 5 {
		email := fmt.Sprintf("logscan%d-%s@example.com", i, s.tenant)
		phone := fmt.Sprintf("+55 11 9%04d-%04d", i, 4321)
		cpf := []string{"529.982.247-25", "111.444.777-35", "935.411.347-80", "714.602.380-01", "123.456.789-09"}[i]
		digits := strings.NewReplacer(".", "", "-", "").Replace(cpf)
		secrets[fmt.Sprintf("e-mail %d", i)] = email
		secrets[fmt.Sprintf("phone %d", i)] = phone
		secrets[fmt.Sprintf("phone %d (E.164)", i)] = strings.NewReplacer(" ", "", "-", "").Replace(phone)
		secrets[fmt.Sprintf("CPF %d", i)] = digits

		body := map[string]any{"source": "chatbot", "contact": map[string]any{"name": "Log Scan", "email": email, "phone": phone, "cpf": cpf}}
		r := s.capture(body)
		if r.status != http.StatusCreated {
			t.Fatalf("capture %d: %d %s", i, r.status, r.body)
		}
		id := r.json(t)["lead_id"].(string)
		s.expect(s.capture(body), http.StatusOK) // repeat
		form := url.Values{"name": {"Log Scan"}, "email": {email}, "phone": {phone}}
		s.call("POST", "/v1/capture/forms/"+s.site.Key, "", form.Encode(), "Content-Type: application/x-www-form-urlencoded")
		s.expect(s.call("PATCH", "/v1/leads/"+id, s.admin, map[string]any{"rating": 3, "phone": phone}), http.StatusOK)
		s.expect(s.call("PATCH", "/v1/leads/"+id, s.agent, map[string]any{"rating": 4}, `If-Match: "1"`), http.StatusPreconditionFailed)
		s.call("PATCH", "/v1/leads/"+id, s.admin, map[string]any{"email": "not-an-email " + email})
		s.expect(s.call("POST", "/v1/leads/"+id+"/notes", s.agent, map[string]any{"text": "ligar para " + phone}), http.StatusCreated)
		s.expect(s.call("GET", "/v1/leads/"+id, s.other, nil), http.StatusNotFound)
		s.expect(s.call("GET", "/v1/leads/"+id, s.admin+"x", nil), http.StatusUnauthorized)
		s.expect(s.call("GET", "/v1/leads/"+id, s.admin, nil), http.StatusOK)
		s.call("POST", "/v1/capture/leads", "", `{"contact":{"email":"`+email+`"`, "X-Site-Key: "+s.site.Key)
		s.call("POST", "/v1/capture/leads", "", body, "X-Site-Key: "+s.site.Key+"x")
		// API-key captures refused and accepted (a new key each time, so
		// its first use is recorded and logged paths run).
		s.expect(s.call("POST", "/v1/capture/leads", s.apiKey+"x", body, "X-Site-Key: "+s.site.Key), http.StatusUnauthorized)
		s.expect(s.call("POST", "/v1/capture/leads", s.apiKey, body, "X-Site-Key: "+s.otherSite.Key), http.StatusForbidden)
		s.expect(s.publicCapture(body), http.StatusAccepted)
	}
	out := logs.String()
	if !strings.Contains(out, `"route"`) {
		t.Fatalf("no access-log lines captured:\n%s", out)
	}
	assertNoSecrets(t, out, secrets)
}
