package importer

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

func TestParseRecognizesHeadersInThreeLanguages(t *testing.T) {
	for _, header := range []string{
		"Nome,E-mail,Telefone,Empresa,Campanha,Etiquetas,Classificação,Situação",
		"name,EMAIL,phone,company,utm_campaign,tags,classification,status",
		"Nombre,Correo,Teléfono,Empresa,Campaña,Etiquetas,Clasificación,Estado",
	} {
		f, err := Parse([]byte(header+"\nAna,ana@example.com,+5511912345678,Padaria,bf,vip,female,new\n"), nil)
		if err != nil {
			t.Fatalf("%s: %v", header, err)
		}
		want := []string{FieldName, FieldEmail, FieldPhone, AttrPrefix + "company", "utm_campaign", FieldTags, FieldClassification, FieldState}
		if strings.Join(f.Columns, ",") != strings.Join(want, ",") {
			t.Errorf("%s → %v", header, f.Columns)
		}
		if v := f.Rows[0].Values; v[FieldEmail] != "ana@example.com" || v[AttrPrefix+"company"] != "Padaria" {
			t.Errorf("values %v", v)
		}
	}
}

func TestParseEncodingsDelimitersAndBadRows(t *testing.T) {
	latin1, _ := charmap.Windows1252.NewEncoder().String("nome;email;cidade natal\nJoão Ávila;joao@example.com;São Paulo\n")
	f, err := Parse([]byte(latin1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.Encoding != "windows-1252" || f.Delimiter != ";" || f.Rows[0].Values[FieldName] != "João Ávila" ||
		f.Rows[0].Values[AttrPrefix+"cidade_natal"] != "São Paulo" {
		t.Errorf("latin-1: %+v %v", f, f.Rows[0])
	}

	long := strings.Repeat("x", MaxRowBytes+10)
	in := "\xef\xbb\xbfemail,name\n" +
		"a@example.com,Ana\n" +
		"b@example.com\n" + // short
		"c@example.com,Caio,extra\n" + // long
		"d@example.com," + long + "\n" +
		"\n" +
		"'=cmd@example.com,'+Eva\n" +
		"e@example.com,\"Eli \"\"Q\"\" Sá\"\n"
	f, err = Parse([]byte(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.Encoding != "utf-8" || f.Header[0] != "email" {
		t.Errorf("BOM not stripped: %q", f.Header)
	}
	type want struct {
		line int
		err  string
		name string
	}
	wants := []want{{2, "", "Ana"}, {3, "ragged", ""}, {4, "ragged", ""}, {5, "row_too_long", ""}, {7, "", "+Eva"}, {8, "", `Eli "Q" Sá`}}
	if len(f.Rows) != len(wants) {
		t.Fatalf("%d rows: %+v", len(f.Rows), f.Rows)
	}
	for i, w := range wants {
		r := f.Rows[i]
		if r.Line != w.line || !strings.HasPrefix(r.Err, w.err) || (w.err == "" && r.Err != "") || r.Values[FieldName] != w.name {
			t.Errorf("row %d = %+v, want %+v", i, r, w)
		}
	}
	if f.Rows[4].Values[FieldEmail] != "=cmd@example.com" {
		t.Errorf("neutralizing quote kept: %v", f.Rows[4].Values)
	}
}

func TestParseMappingAndRefusals(t *testing.T) {
	f, err := Parse([]byte("Contato Principal,Coluna X,Obs\nana@example.com,1,y\n"), map[string]string{"contato principal": "email", "Coluna X": "ignore", "obs": "attributes.nota"})
	if err != nil {
		t.Fatal(err)
	}
	if v := f.Rows[0].Values; v[FieldEmail] != "ana@example.com" || len(v) != 2 || v[AttrPrefix+"nota"] != "y" {
		t.Errorf("mapped values %v", v)
	}
	for in, want := range map[string]error{"": ErrEmpty, "email\n": ErrNoRows, "nome,cidade\nAna,Rio\n": ErrNoKey} {
		if _, err := Parse([]byte(in), nil); err != want {
			t.Errorf("%q: %v, want %v", in, err, want)
		}
	}
	if _, err := Parse([]byte("a\nb\n"), map[string]string{"a": "telepathy"}); err == nil || !strings.Contains(err.Error(), "unknown field") {
		t.Errorf("bad mapping: %v", err)
	}
}

func TestChunksBoundRowsAndBytes(t *testing.T) {
	var rows []Row
	for i := range 450 {
		rows = append(rows, Row{Line: i + 2, Values: map[string]string{"name": strings.Repeat("n", 2000)}})
	}
	cs := Chunks(rows)
	n := 0
	for _, c := range cs {
		if len(c) > ChunkRows {
			t.Errorf("chunk of %d rows", len(c))
		}
		n += len(c)
	}
	if n != 450 || len(cs) < 3 {
		t.Errorf("%d chunks, %d rows", len(cs), n)
	}
}

// FuzzImportCSV: whatever the bytes, Parse returns a file or an error
// (never panics), every row is either values or an error, and values are
// valid UTF-8 under their size bound.
func FuzzImportCSV(f *testing.F) {
	f.Add([]byte("nome;e-mail\nAna;ana@example.com\n"), `{}`)
	f.Fuzz(func(t *testing.T, data []byte, mapping string) {
		m := map[string]string{}
		for _, kv := range strings.Split(mapping, ",") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				m[k] = v
			}
		}
		file, err := Parse(data, m)
		if err != nil {
			return
		}
		if len(file.Columns) != len(file.Header) || len(file.Rows) == 0 {
			t.Fatalf("columns %d header %d rows %d", len(file.Columns), len(file.Header), len(file.Rows))
		}
		for _, r := range file.Rows {
			if (r.Err == "") == (r.Values == nil) {
				t.Fatalf("row %+v", r)
			}
			for k, v := range r.Values {
				if len(v) > MaxRowBytes*2 || !validField(k) {
					t.Fatalf("value %q=%d bytes", k, len(v))
				}
			}
		}
		_ = Chunks(file.Rows)
	})
}
