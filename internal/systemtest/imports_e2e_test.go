package systemtest_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

// upload posts a CSV as multipart/form-data with extra form fields.
func (s *stack) upload(token string, csvData []byte, fields map[string]string) response {
	s.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		must(s.t, mw.WriteField(k, v))
	}
	fw, err := mw.CreateFormFile("file", "leads.csv")
	must(s.t, err)
	_, _ = fw.Write(csvData)
	must(s.t, mw.Close())
	return s.call("POST", "/v1/imports", token, buf.Bytes(), "Content-Type: "+mw.FormDataContentType())
}

// importDone uploads, expects the (inline) job done, and returns the
// import and its report rows by line.
func (s *stack) importDone(token string, csvData []byte, fields map[string]string) (map[string]any, map[string][]string) {
	s.t.Helper()
	up := s.upload(token, csvData, fields)
	if up.status != http.StatusAccepted {
		s.t.Log(s.logs.String())
	}
	imp := s.expect(up, http.StatusAccepted).json(s.t)
	id := imp["id"].(string)
	got := s.expect(s.call("GET", "/v1/imports/"+id, token, nil), http.StatusOK).json(s.t)
	if got["status"] != "done" {
		s.t.Fatalf("import not done: %v", got)
	}
	return got, s.report(token, id)
}

func (s *stack) report(token, id string) map[string][]string {
	s.t.Helper()
	r := s.expect(s.call("GET", "/v1/imports/"+id+"/report.csv", token, nil), http.StatusOK)
	recs, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	must(s.t, err)
	if strings.Join(recs[0], ",") != "row,status,lead_id,reason" {
		s.t.Fatalf("report header %v", recs[0])
	}
	out := map[string][]string{}
	for _, rec := range recs[1:] {
		out[rec[0]] = rec[1:]
	}
	return out
}

func counts(imp map[string]any) string {
	c := imp["counts"].(map[string]any)
	return fmt.Sprintf("created=%v updated=%v skipped=%v error=%v", c["created"], c["updated"], c["skipped"], c["error"])
}

// exportRows exports a tenant's leads as CSV and returns the rows by
// e-mail, as column → value.
func (s *stack) exportRows(token string) (map[string]map[string]string, []byte) {
	s.t.Helper()
	r := s.expect(s.call("GET", "/v1/leads/export?format=csv", token, nil), http.StatusOK)
	recs, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	must(s.t, err)
	out := map[string]map[string]string{}
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = rec[i]
		}
		out[m["email"]] = m
	}
	return out, r.body
}

func TestImportExportRoundTripIntoAFreshAccount(t *testing.T) {
	s := newStack(t)
	for i, p := range []map[string]any{
		{"contact": map[string]any{"name": "João da Silva", "email": "joao@example.com", "phone": "+5511912345678", "cpf": "529.982.247-25",
			"attributes": map[string]any{"empresa": "Padaria"}},
			"navigation": map[string]any{"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "bf2026", "gclid": "abc",
				"page_url": "https://shop.example.com/p?x=1", "landing_url": "https://shop.example.com/", "referrer": "https://www.google.com/"}},
		{"contact": map[string]any{"name": "=HYPERLINK(\"http://evil\")", "email": "maria@example.com", "whatsapp": "+5521987654321"},
			"navigation": map[string]any{"utm_source": "facebook", "utm_campaign": "verao"}},
		{"contact": map[string]any{"name": "Ana Sá", "email": "ana@example.com"}},
	} {
		p["source"] = "api"
		id := s.expect(s.capture(p), http.StatusCreated).json(t)["lead_id"].(string)
		if i < 2 {
			s.expect(s.call("PATCH", "/v1/leads/"+id, s.admin, map[string]any{"tags": []string{"vip", "Black Friday"}, "classification": "female", "rating": 4}), http.StatusOK)
		}
	}
	before, file := s.exportRows(s.admin)

	imp, rep := s.importDone(s.other, file, nil)
	if counts(imp) != "created=3 updated=0 skipped=0 error=0" {
		t.Fatalf("import: %v %v", imp, rep)
	}
	after, _ := s.exportRows(s.other)
	cols := []string{"name", "email", "phone", "whatsapp", "cpf", "rating", "classification", "tags", "state", "page_url", "landing_url",
		"referrer", "utm_source", "utm_medium", "utm_campaign", "gclid", "ip", "country"}
	for email, a := range before {
		b, ok := after[email]
		if !ok {
			t.Errorf("%s missing after import", email)
			continue
		}
		for _, c := range cols {
			if a[c] != b[c] {
				t.Errorf("%s %s: %q → %q", email, c, a[c], b[c])
			}
		}
		if b["entry_method"] != "import" || b["site_id"] != s.otherSite.ID || b["id"] == a["id"] {
			t.Errorf("%s: imported as %v", email, b)
		}
	}
	// The export's neutralizing quote is stripped on import: the stored
	// name is the original (and exported neutralized again).
	maria := s.expect(s.call("GET", "/v1/leads/"+after["maria@example.com"]["id"], s.other, nil), http.StatusOK).json(t)
	if maria["name"] != `=HYPERLINK("http://evil")` || after["maria@example.com"]["name"] != `'=HYPERLINK("http://evil")` {
		t.Errorf("formula name: stored %q, exported %q", maria["name"], after["maria@example.com"]["name"])
	}

	// Re-running the same file changes nothing: every row is skipped and
	// no lead gains a history entry.
	id := rep["2"][1]
	hist := len(s.expect(s.call("GET", "/v1/leads/"+id+"/history?limit=100", s.other, nil), http.StatusOK).json(t)["items"].([]any))
	for _, policy := range []string{"skip", "update_empty", "overwrite"} {
		imp, rep = s.importDone(s.other, file, map[string]string{"policy": policy})
		if counts(imp) != "created=0 updated=0 skipped=3 error=0" {
			t.Errorf("re-run with %s: %v %v", policy, counts(imp), rep)
		}
	}
	if n := len(s.expect(s.call("GET", "/v1/leads/"+id+"/history?limit=100", s.other, nil), http.StatusOK).json(t)["items"].([]any)); n != hist {
		t.Errorf("history %d → %d after re-runs", hist, n)
	}
}

func TestImportDedupePolicies(t *testing.T) {
	s := newStack(t)
	id := s.expect(s.capture(map[string]any{"source": "api", "contact": map[string]any{"name": "Carla", "email": "carla@example.com"}}), http.StatusCreated).json(t)["lead_id"].(string)
	file := []byte("nome;e-mail;celular;empresa;etiquetas;classificação\nCarla Mendes;CARLA@example.com;(11) 98888-7777;Acme;quente;female\n")

	_, rep := s.importDone(s.admin, file, nil)
	if rep["2"][0] != "skipped" || rep["2"][1] != id || !strings.Contains(rep["2"][2], "email") {
		t.Errorf("skip: %v", rep)
	}
	l := s.expect(s.call("GET", "/v1/leads/"+id, s.admin, nil), http.StatusOK).json(t)
	if l["name"] != "Carla" || field(l, "contact.phone") != nil || len(l["tags"].([]any)) != 0 {
		t.Errorf("skip changed the lead: %v", l)
	}

	_, rep = s.importDone(s.admin, file, map[string]string{"policy": "update_empty"})
	l = s.expect(s.call("GET", "/v1/leads/"+id, s.admin, nil), http.StatusOK).json(t)
	if rep["2"][0] != "updated" || l["name"] != "Carla" || field(l, "contact.phone") != "+5511988887777" ||
		field(l, "contact.attributes.company") != "Acme" || l["classification"] != "female" || fmt.Sprint(l["tags"]) != "[quente]" {
		t.Errorf("update_empty: %v %v", rep, l)
	}

	_, rep = s.importDone(s.admin, file, map[string]string{"policy": "overwrite"})
	l = s.expect(s.call("GET", "/v1/leads/"+id, s.admin, nil), http.StatusOK).json(t)
	if rep["2"][0] != "updated" || l["name"] != "Carla Mendes" {
		t.Errorf("overwrite: %v %v", rep, l)
	}
	// The import is recorded in history by the admin who ran it.
	found := false
	for _, h := range s.expect(s.call("GET", "/v1/leads/"+id+"/history?limit=100", s.admin, nil), http.StatusOK).json(t)["items"].([]any) {
		e := h.(map[string]any)
		if e["field"] == "name" && field(e, "actor.id") == "usr_admin" && e["after"] == "Carla Mendes" {
			found = true
		}
	}
	if !found {
		t.Error("no history entry for the overwritten name")
	}
}

func TestImportMalformedRowsReportedOneByOne(t *testing.T) {
	s := newStack(t)
	long := strings.Repeat("y", 40<<10)
	body := "Nome;E-mail;Telefone;Cidade Natal\n" +
		"João Ávila;joao@example.com;11 91234-5678;São Paulo\n" + // 2 ok (Windows-1252 below)
		"Sem Email;not-an-email;;Rio\n" + // 3 invalid e-mail
		"Fone Ruim;;12;Recife\n" + // 4 invalid phone
		"Curta;curta@example.com\n" + // 5 short
		"Longa;longa@example.com;;x;extra\n" + // 6 long
		"Enorme;enorme@example.com;;" + long + "\n" + // 7 too long
		"Ninguém;;;Natal\n" + // 8 no contact
		"Última;ultima@example.com;;Belém\n" // 9 ok
	enc, err := charmap.Windows1252.NewEncoder().String(body)
	must(t, err)
	imp, rep := s.importDone(s.admin, []byte(enc), nil)
	if imp["encoding"] != "windows-1252" || imp["delimiter"] != ";" || counts(imp) != "created=2 updated=0 skipped=0 error=6" {
		t.Fatalf("import %v", imp)
	}
	want := map[string]string{"2": "created", "3": "error", "4": "error", "5": "error", "6": "error", "7": "error", "8": "error", "9": "created"}
	reasons := map[string]string{"3": "E-mail: invalid_email", "4": "Telefone: invalid_phone", "5": "ragged", "6": "ragged", "7": "row_too_long", "8": "contact: required"}
	for line, st := range want {
		if rep[line][0] != st || !strings.Contains(rep[line][2], reasons[line]) {
			t.Errorf("row %s = %v, want %s %q", line, rep[line], st, reasons[line])
		}
	}
	l := s.expect(s.call("GET", "/v1/leads/"+rep["2"][1], s.admin, nil), http.StatusOK).json(t)
	if l["name"] != "João Ávila" || field(l, "contact.attributes.cidade_natal") != "São Paulo" || l["entry_method"] != "import" {
		t.Errorf("latin-1 lead %v", l)
	}
	if errs := imp["errors"].([]any); len(errs) != 6 {
		t.Errorf("errors %v", errs)
	}

	// A 10 MB line is refused whole: the upload cap is 5 MB.
	huge := "email,name\na@example.com," + strings.Repeat("z", 10<<20) + "\n"
	s.expect(s.upload(s.admin, []byte(huge), nil), http.StatusRequestEntityTooLarge)
	s.expect(s.call("POST", "/v1/imports", s.admin, huge, "Content-Type: text/csv"), http.StatusRequestEntityTooLarge)
	// A file that names no identity column, a bad policy, an unknown mapping field.
	r := s.expect(s.upload(s.admin, []byte("nome\nAna\n"), nil), http.StatusBadRequest)
	if !strings.Contains(string(r.body), `"file"`) {
		t.Errorf("no key column: %s", r.body)
	}
	s.expect(s.upload(s.admin, []byte("email\na@example.com\n"), map[string]string{"policy": "merge"}), http.StatusBadRequest)
	s.expect(s.upload(s.admin, []byte("email\na@example.com\n"), map[string]string{"mapping": `{"email":"telepathy"}`}), http.StatusBadRequest)
	// Agents may not import.
	s.expect(s.upload(s.agent, []byte("email\na@example.com\n"), nil), http.StatusForbidden)
	// A raw text/csv body works as well as multipart; an unknown import is 404.
	s.expect(s.call("POST", "/v1/imports?policy=skip", s.admin, "email,tags,grupo\nraw@example.com,a|b,Clientes VIP\n", "Content-Type: text/csv"), http.StatusAccepted)
	groups := s.expect(s.call("GET", "/v1/groups", s.admin, nil), http.StatusOK).json(t)
	if !strings.Contains(fmt.Sprint(groups), "Clientes VIP") {
		t.Errorf("group not created from the column: %v", groups)
	}
	s.expect(s.call("GET", "/v1/imports/imp_nope", s.admin, nil), http.StatusNotFound)
}
