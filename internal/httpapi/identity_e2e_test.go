package httpapi_test

import (
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"testing"
)

// keysOf reads a lead's keys from a lead answer.
func keysOf(t *testing.T, r response) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	m, _ := r.json(t)["keys"].(map[string]any)
	for k, vs := range m {
		for _, v := range vs.([]any) {
			out[k] = append(out[k], v.(string))
		}
	}
	return out
}

// locate posts keys to /v1/contacts/locate and returns lead id → match.
func (s *stack) locate(token string, keys map[string]any) map[string]map[string]any {
	s.t.Helper()
	r := s.expect(s.call("POST", "/v1/contacts/locate", token, map[string]any{"keys": keys}), http.StatusOK)
	out := map[string]map[string]any{}
	for _, m := range r.json(s.t)["matches"].([]any) {
		mm := m.(map[string]any)
		out[mm["lead_id"].(string)] = mm
	}
	return out
}

func TestIdentityKeysLocateCreateAndChange(t *testing.T) {
	s := newStack(t)

	// Kinds: every role reads them; admins define the account's own,
	// sending the built-ins back as GET lists them.
	r := s.expect(s.call("GET", "/v1/identity-keys", s.agent, nil), http.StatusOK)
	kinds := r.json(t)["kinds"].([]any)
	if len(kinds) != 8 || r.header.Get("ETag") == "" {
		t.Fatalf("built-in kinds: %s", r.body)
	}
	put := append(kinds,
		map[string]any{"name": "member_no", "label": "Membership", "pattern": "[0-9]{6}", "unique": true},
		map[string]any{"name": "company_code", "label": "Company", "unique": false})
	s.expect(s.call("PUT", "/v1/identity-keys", s.agent, map[string]any{"kinds": put}), http.StatusForbidden)
	bad := s.expect(s.call("PUT", "/v1/identity-keys", s.admin, map[string]any{"kinds": []any{
		map[string]any{"name": "cpf", "label": "CPF", "unique": false},
		map[string]any{"name": "x", "label": "X", "pattern": "(", "unique": true},
	}}), http.StatusBadRequest)
	if got := fieldErrors(t, bad); got["kinds[0].name"] != "built_in" || got["kinds[1].pattern"] != "invalid_pattern" {
		t.Fatalf("bad kinds: %v", got)
	}
	s.expect(s.call("PUT", "/v1/identity-keys", s.admin, map[string]any{"kinds": put}, `If-Match: "999"`), http.StatusPreconditionFailed)
	r = s.expect(s.call("PUT", "/v1/identity-keys", s.admin, map[string]any{"kinds": put}, "If-Match: "+r.header.Get("ETag")), http.StatusOK)
	if n := len(r.json(t)["kinds"].([]any)); n != 10 {
		t.Fatalf("%d kinds after PUT: %s", n, r.body)
	}
	// Another tenant still has the built-ins only.
	if n := len(s.expect(s.call("GET", "/v1/identity-keys", s.other, nil), http.StatusOK).json(t)["kinds"].([]any)); n != 8 {
		t.Fatalf("other tenant sees %d kinds", n)
	}

	// A captured lead gains every kind of key.
	a := s.newLead("ana-id@example.com")
	add := map[string]any{
		"email": "Ana@Work.example.com", "phone": "+55 11 3333-4444", "whatsapp": "+55 11 98888-7777",
		"cpf": "529.982.247-25", "rg": "12.345.678-x", "facebook_id": "1000123", "x_id": "2000456",
		"instagram_username": "@Ana.Souza", "member_no": "123456", "company_code": "ACME",
	}
	r = s.expect(s.call("POST", "/v1/leads/"+a+"/keys", s.agent, map[string]any{"add": add}), http.StatusOK)
	want := map[string][]string{
		"email": {"ana-id@example.com", "ana@work.example.com"}, "phone": {"+5511912345678", "+551133334444"},
		"whatsapp": {"+5511912345678", "+5511988887777"}, "cpf": {"52998224725"}, "rg": {"12345678X"},
		"facebook_id": {"1000123"}, "x_id": {"2000456"}, "instagram_username": {"ana.souza"},
		"member_no": {"123456"}, "company_code": {"ACME"},
	}
	if got := keysOf(t, r); !reflect.DeepEqual(got, want) {
		t.Fatalf("keys\n %v\nwant\n %v", got, want)
	}
	if got := keysOf(t, s.expect(s.call("GET", "/v1/leads/"+a, s.agent, nil), http.StatusOK)); !reflect.DeepEqual(got, want) {
		t.Fatalf("detail keys %v", got)
	}
	hist := s.expect(s.call("GET", "/v1/leads/"+a+"/history?limit=50", s.agent, nil), http.StatusOK).json(t)["items"].([]any)
	added := 0
	for _, h := range hist {
		if h.(map[string]any)["action"] == "key_added" {
			added++
		}
	}
	if added != len(add) {
		t.Fatalf("%d key_added entries, want %d", added, len(add))
	}
	bad = s.expect(s.call("POST", "/v1/leads/"+a+"/keys", s.agent, map[string]any{"add": map[string]any{"cpf": []string{"1"}, "member_no": "12"}}), http.StatusBadRequest)
	if got := fieldErrors(t, bad); got["add.cpf[0]"] != "invalid_cpf" || got["add.member_no[0]"] != "invalid_key" {
		t.Fatalf("bad keys: %v", got)
	}

	// Every key, as typed, locates it.
	for kind, v := range add {
		m := s.locate(s.agent, map[string]any{kind: v})
		if len(m) != 1 || m[a] == nil || !reflect.DeepEqual(m[a]["matched"], []any{kind}) {
			t.Fatalf("locate %s: %v", kind, m)
		}
	}
	if m := s.locate(s.agent, map[string]any{"cpf": "11.222.333/0001-81"}); len(m) != 0 {
		t.Fatalf("unknown CPF located %v", m)
	}
	bad = s.expect(s.call("POST", "/v1/contacts/locate", s.agent, map[string]any{"keys": map[string]any{"cpf": "529.982.247-24"}}), http.StatusBadRequest)
	if got := fieldErrors(t, bad); got["keys.cpf[0]"] != "invalid_cpf" {
		t.Fatalf("bad locate: %v", got)
	}
	// Another tenant locates nothing and cannot touch the lead's keys.
	if m := s.locate(s.other, map[string]any{"email": "ana-id@example.com"}); len(m) != 0 {
		t.Fatalf("other tenant located %v", m)
	}
	s.expect(s.call("POST", "/v1/leads/"+a+"/keys", s.other, map[string]any{"remove": map[string]any{"cpf": "52998224725"}}), http.StatusNotFound)

	// Create: a unique key of A is a 409 naming A; a shared one is not.
	r = s.expect(s.call("POST", "/v1/leads", s.agent, map[string]any{"name": "Bia", "keys": map[string]any{"member_no": "123456"}}), http.StatusConflict)
	if j := r.json(t); j["lead_id"] != a || j["kind"] != "member_no" {
		t.Fatalf("409 body %s", r.body)
	}
	r = s.expect(s.call("POST", "/v1/leads", s.agent, map[string]any{"name": "Bia", "contact": map[string]any{"whatsapp": "11 98888-7777"}}), http.StatusConflict)
	if j := r.json(t); j["lead_id"] != a || j["kind"] != "whatsapp" {
		t.Fatalf("409 body %s", r.body)
	}
	s.expect(s.call("POST", "/v1/leads", s.agent, map[string]any{"name": "Bia", "owner_id": "usr_admin"}), http.StatusForbidden)
	bad = s.expect(s.call("POST", "/v1/leads", s.admin, map[string]any{"name": " ", "contact": map[string]any{"email": "bia@"},
		"keys": map[string]any{"x_id": "@bia"}, "owner_id": "usr_gone"}), http.StatusBadRequest)
	if got := fieldErrors(t, bad); got["name"] != "required" || got["contact.email"] != "invalid_email" ||
		got["keys.x_id[0]"] != "invalid_x_id" || got["owner_id"] != "invalid" {
		t.Fatalf("bad create: %v", got)
	}
	r = s.expect(s.call("POST", "/v1/leads", s.agent, map[string]any{"name": "  Bia  Lima ",
		"keys": map[string]any{"email": "bia@example.com", "company_code": "ACME", "rg": []string{"7654321"}}}), http.StatusCreated)
	b := r.json(t)
	if b["entry_method"] != "manual" || b["owner_id"] != "usr_agent" || b["name"] != "Bia Lima" ||
		field(b, "contact.email") != "bia@example.com" || r.header.Get("Location") != "/v1/leads/"+b["id"].(string) {
		t.Fatalf("created %s", r.body)
	}
	bID := b["id"].(string)
	// A lead created with every kind of key is located by each of them.
	caioKeys := map[string]any{
		"email": "Caio@Example.com", "phone": "+55 11 3333-5555", "whatsapp": "11 97777-6666",
		"cpf": "11.222.333/0001-81", "rg": "98.765.432-1", "facebook_id": "3000", "x_id": "4000",
		"instagram_username": "@Caio_X", "member_no": "654321", "company_code": "BETA",
	}
	r = s.expect(s.call("POST", "/v1/leads", s.admin, map[string]any{"name": "Caio", "owner_id": "usr_agent", "keys": caioKeys}), http.StatusCreated)
	caio := r.json(t)
	if caio["owner_id"] != "usr_agent" || field(caio, "contact.cpf") != "11222333000181" || len(keysOf(t, r)) != len(caioKeys) {
		t.Fatalf("admin's create: %s", r.body)
	}
	for kind, v := range caioKeys {
		if m := s.locate(s.agent, map[string]any{kind: v}); len(m) != 1 || m[caio["id"].(string)] == nil {
			t.Fatalf("locate created %s: %v", kind, m)
		}
	}
	// The non-unique key finds both; the CPF conflicts for Bia, who has none… of
	// A's kinds but an e-mail: given A's CPF and Bia's e-mail, A conflicts on e-mail.
	m := s.locate(s.agent, map[string]any{"company_code": "ACME"})
	if len(m) != 2 || m[a] == nil || m[bID] == nil {
		t.Fatalf("shared key: %v", m)
	}
	m = s.locate(s.agent, map[string]any{"cpf": "52998224725", "email": "bia@example.com"})
	if !reflect.DeepEqual(m[a]["matched"], []any{"cpf"}) || !reflect.DeepEqual(m[a]["conflicting"], []any{"email"}) ||
		!reflect.DeepEqual(m[bID]["matched"], []any{"email"}) || !reflect.DeepEqual(m[bID]["conflicting"], []any{}) {
		t.Fatalf("matched/conflicting: %v", m)
	}

	// Adding another lead's key is a 409 and writes nothing; removing frees it.
	r = s.expect(s.call("POST", "/v1/leads/"+bID+"/keys", s.agent, map[string]any{"add": map[string]any{"rg": "1111111", "cpf": "52998224725"}}), http.StatusConflict)
	if j := r.json(t); j["lead_id"] != a || j["kind"] != "cpf" {
		t.Fatalf("409 body %s", r.body)
	}
	if keysOf(t, s.expect(s.call("GET", "/v1/leads/"+bID, s.agent, nil), http.StatusOK))["rg"][0] != "7654321" {
		t.Fatal("a refused change wrote")
	}
	s.expect(s.call("POST", "/v1/leads/"+a+"/keys", s.agent, map[string]any{"remove": map[string]any{"cpf": "529.982.247-25", "email": "ana-id@example.com"}}), http.StatusOK)
	r = s.expect(s.call("POST", "/v1/leads/"+bID+"/keys", s.agent, map[string]any{"add": map[string]any{"cpf": "52998224725"}}, `If-Match: "2"`), http.StatusPreconditionFailed)
	r = s.expect(s.call("POST", "/v1/leads/"+bID+"/keys", s.agent, map[string]any{"add": map[string]any{"cpf": "52998224725", "email": "ana-id@example.com"}}), http.StatusOK)
	if k := keysOf(t, r); k["cpf"][0] != "52998224725" || len(k["email"]) != 2 {
		t.Fatalf("freed keys not taken: %v", k)
	}
	detailA := s.expect(s.call("GET", "/v1/leads/"+a, s.agent, nil), http.StatusOK).json(t)
	if field(detailA, "contact.email") != nil || detailA["keys"].(map[string]any)["cpf"] != nil {
		t.Fatalf("removed keys still on A: %v", detailA["keys"])
	}
}

// Twenty agents create a lead with one CPF at once: one lead, 19 × 409
// naming it.
func TestConcurrentCreatesWithOneCPF(t *testing.T) {
	s := newStack(t)
	const n = 20
	res := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res[i] = s.call("POST", "/v1/leads", s.agent, map[string]any{
				"name": fmt.Sprintf("Pessoa %d", i), "contact": map[string]any{"cpf": "529.982.247-25"},
				"keys": map[string]any{"email": fmt.Sprintf("p%d@example.com", i)}})
		})
	}
	wg.Wait()
	winner := ""
	for _, r := range res {
		if r.status == http.StatusCreated {
			if winner != "" {
				t.Fatalf("two leads created")
			}
			winner = r.json(t)["id"].(string)
		}
	}
	if winner == "" {
		t.Fatalf("no lead created: %d %s", res[0].status, res[0].body)
	}
	conflicts := 0
	for _, r := range res {
		if r.status == http.StatusConflict {
			if j := r.json(t); j["lead_id"] != winner || j["kind"] != "cpf" {
				t.Fatalf("409 body %s", r.body)
			}
			conflicts++
		}
	}
	if conflicts != n-1 {
		t.Fatalf("%d conflicts, want %d", conflicts, n-1)
	}
	// The losers' e-mails were written nowhere.
	for i := range n {
		m := s.locate(s.agent, map[string]any{"email": fmt.Sprintf("p%d@example.com", i)})
		if len(m) > 1 || len(m) == 1 && m[winner] == nil {
			t.Fatalf("p%d located %v", i, m)
		}
	}
	if m := s.locate(s.agent, map[string]any{"cpf": "52998224725"}); len(m) != 1 || m[winner] == nil {
		t.Fatalf("cpf located %v", m)
	}
}
