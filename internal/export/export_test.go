package export

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/leadflow/leadflow/internal/lead"
)

func TestNeutralize(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+5511912345678": "'+5511912345678", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)",
		"\tx": "'\tx", "\rx": "'\rx", "Ana": "Ana", "": "", "a=b": "a=b",
	} {
		if got := Neutralize(in); got != want {
			t.Errorf("Neutralize(%q) = %q, want %q", in, got, want)
		}
	}
}

// A file written in pieces (Head, rows from any number of row writers,
// Tail) is the file NewWriter writes in one go.
func TestPiecesMakeTheWholeFile(t *testing.T) {
	leads := []lead.Lead{
		{ID: "ld_1", Name: "=cmd", Contact: lead.Contact{Phone: "+5511912345678"}, Tags: []string{"a", "b"}},
		{ID: "ld_2", Name: "Ana \"Sá\"\r\nlinha", FirstTouch: lead.Touch{PageURL: "https://x.example/?a=1&b=<2>"}},
		{ID: "ld_3", Name: "Zé"},
	}
	for _, format := range []string{CSV, XML} {
		var whole, pieces bytes.Buffer
		w, err := NewWriter(format, &whole)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range leads {
			if err := w.Write(l); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		pieces.Write(Head(format))
		for _, part := range [][]lead.Lead{leads[:1], nil, leads[1:]} {
			rw, err := NewRowWriter(format, &pieces)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range part {
				if err := rw.Write(l); err != nil {
					t.Fatal(err)
				}
			}
			if err := rw.Close(); err != nil {
				t.Fatal(err)
			}
		}
		pieces.Write(Tail(format))
		if !bytes.Equal(whole.Bytes(), pieces.Bytes()) {
			t.Errorf("%s: pieces\n%s\nwhole\n%s", format, pieces.Bytes(), whole.Bytes())
		}
	}
	if got := string(Head(CSV)); !strings.HasPrefix(got, "id,name,email,") || !strings.HasSuffix(got, "last_touch_at\n") {
		t.Errorf("csv head %q", got)
	}
	if !strings.HasSuffix(string(Head(XML)), "<leads>\n") || string(Tail(XML)) != "</leads>\n" || Tail(CSV) != nil {
		t.Errorf("xml head %q tail %q", Head(XML), Tail(XML))
	}
	if _, err := NewRowWriter(XLSX, &bytes.Buffer{}); err == nil {
		t.Error("xlsx has no row writer: it cannot be appended to")
	}
}

// Sheet.WriteRow neutralizes like Write.
func TestSheetRowsAreNeutralized(t *testing.T) {
	var b bytes.Buffer
	s, err := NewXLSX(&b)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteRow([]string{"ld_1", "=1+1", "@x"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("Sheet1")
	if err != nil || len(rows) != 2 || rows[0][0] != "id" || rows[1][1] != "'=1+1" || rows[1][2] != "'@x" {
		t.Errorf("rows %q (%v)", rows, err)
	}
}

// BenchmarkSheetRows measures the XLSX assemble step: rows of a typical
// lead's 41 columns through the stream writer into a file.
func BenchmarkSheetRows(b *testing.B) {
	row := Row(lead.Lead{ID: "ld_01JABCDEFGHJKMNPQRSTVWXYZ0", Name: "João da Silva", Contact: lead.Contact{Email: "joao@example.com", Phone: "+5511912345678"},
		State: "new", Tags: []string{"vip"}, FirstTouch: lead.Touch{PageURL: "https://shop.example.com/p?utm_source=google", UTMSource: "google",
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36", IP: "203.0.113.9", Country: "BR"}})
	b.ReportAllocs()
	s, err := NewXLSX(io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := s.WriteRow(row); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
}

// Stored text written before the input-hygiene rule never reaches a file
// with its control characters or invalid UTF-8.
func TestRowsCarryNoControlCharacters(t *testing.T) {
	l := lead.Lead{ID: "ld_1", Name: "Ctrl\x00Name\x07\x1b[2J\xff", Contact: lead.Contact{
		Attributes: map[string]string{"msg": "line one\r\nline\x00 two"}}}
	for _, format := range []string{CSV, XML} {
		var buf bytes.Buffer
		w, err := NewWriter(format, &buf)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(l); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.ContainsAny(out, "\x00\x07\x1b") || strings.Contains(out, "\xff") {
			t.Errorf("%s file carries control characters or invalid UTF-8: %q", format, out)
		}
		if !strings.Contains(out, "CtrlName[2J") {
			t.Errorf("%s file lost the cleaned name: %q", format, out)
		}
	}
}
