package systemtest_test

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"net/http"
	"slices"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestExportCSVXLSXXMLWithFiltersAndNeutralization(t *testing.T) {
	f := newListFixture(t)
	s := f.s
	evil := s.expect(s.capture(leadBody(50, "=HYPERLINK(\"http://evil\")", "form", "bf2026")), http.StatusCreated).json(t)["lead_id"].(string)
	s.expect(s.call("PATCH", "/v1/leads/"+evil, s.admin, map[string]any{"tags": []string{"@risco"}}), http.StatusOK)

	r := s.expect(s.call("GET", "/v1/leads/export?format=csv&campaign=bf2026&sort=name", s.agent, nil), http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := rows[0]
	col := func(name string) int { return slices.Index(head, name) }
	for _, c := range []string{"id", "name", "email", "phone", "state", "tags", "utm_campaign", "page_url", "entry_method", "created_at", "last_utm_campaign"} {
		if col(c) < 0 {
			t.Errorf("no column %s in %v", c, head)
		}
	}
	var names []string
	for _, row := range rows[1:] {
		names = append(names, row[col("name")])
		if row[col("phone")][0] != '\'' {
			t.Errorf("phone not neutralized: %q", row[col("phone")])
		}
	}
	want := []string{"'=HYPERLINK(\"http://evil\")", "João Silva", "Maria Souza", "Zeca Urubu"}
	if !slices.Equal(names, want) {
		t.Errorf("csv names = %q, want %q", names, want)
	}
	if rows[1][col("tags")] != "'@risco" || rows[1][col("utm_campaign")] != "bf2026" {
		t.Errorf("evil row = %q", rows[1])
	}

	// XLSX: the same cells, as text.
	r = s.expect(s.call("GET", "/v1/leads/export?format=xlsx&campaign=bf2026&sort=name", s.agent, nil), http.StatusOK)
	x, err := excelize.OpenReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	xrows, err := x.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if len(xrows) != 5 || xrows[1][col("name")] != "'=HYPERLINK(\"http://evil\")" || xrows[2][col("name")] != "João Silva" {
		t.Errorf("xlsx rows = %q", xrows)
	}
	if formula, _ := x.GetCellFormula("Sheet1", "B2"); formula != "" {
		t.Errorf("xlsx cell has a formula: %q", formula)
	}

	// XML: values as escaped text, not neutralized (no formulas in XML).
	r = s.expect(s.call("GET", "/v1/leads/export?format=xml&tag=vip", s.agent, nil), http.StatusOK)
	var doc struct {
		Leads []struct {
			Fields []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:",chardata"`
			} `xml:"field"`
		} `xml:"lead"`
	}
	if err := xml.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("xml: %v\n%s", err, r.body)
	}
	if len(doc.Leads) != 2 {
		t.Fatalf("xml leads = %d", len(doc.Leads))
	}
	got := map[string]string{}
	for _, fl := range doc.Leads[0].Fields {
		got[fl.Name] = fl.Value
	}
	if got["name"] != "Maria Souza" || got["phone"] != "+5511910022002" || got["tags"] != "promocao;vip" {
		t.Errorf("xml lead = %v", got)
	}
	r = s.expect(s.call("GET", "/v1/leads/export?format=pdf", s.agent, nil), http.StatusBadRequest)
	if fieldErrors(t, r)["format"] == "" {
		t.Errorf("no format error: %s", r.body)
	}
}
