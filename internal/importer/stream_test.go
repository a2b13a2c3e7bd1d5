package importer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/text/encoding/charmap"
)

// streamAll reads data as an uploaded file is read: a sniffing pass, then
// a streamed one, fed a byte at a time when tiny is set (every rune and
// every line cut by a read boundary).
func streamAll(t *testing.T, data []byte, tiny bool) (*File, []Row, Sniff) {
	t.Helper()
	rd := func() io.Reader {
		if tiny {
			return iotest.OneByteReader(bytes.NewReader(data))
		}
		return bytes.NewReader(data)
	}
	sn, err := SniffReader(rd(), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var rows []Row
	f, err := Stream(rd(), sn, nil, func(r Row) error { rows = append(rows, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return f, rows, sn
}

func TestStreamReadsWhatParseReads(t *testing.T) {
	latin1, _ := charmap.Windows1252.NewEncoder().String("nome;email;cidade natal\nJoão Ávila;joao@example.com;São Paulo\n\"a;b\";x@example.com\n")
	for name, data := range map[string]string{
		"utf-8 with BOM, tab": "\xef\xbb\xbfnome\temail\nJosé\tjose@example.com\n",
		"windows-1252":        latin1,
		// Valid UTF-8 up to the last byte: one bad byte makes the whole
		// file Windows-1252, even far from the start.
		"bad byte at the end": "nome,email\nJoão,joao@example.com\n" + strings.Repeat("Ana,ana@example.com\n", 5000) + "Zé\xe9,z@example.com\n",
		"ragged and quoted":   "name,email\n\"Silva, Ana\",ana@example.com\nonly one\n",
	} {
		want, err := Parse([]byte(data), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tiny := range []bool{false, true} {
			f, rows, sn := streamAll(t, []byte(data), tiny)
			if !reflect.DeepEqual(rows, want.Rows) || f.Encoding != want.Encoding || f.Delimiter != want.Delimiter ||
				!reflect.DeepEqual(f.Columns, want.Columns) || f.Count != len(want.Rows) {
				t.Errorf("%s (byte by byte %v): stream %+v %v, parse %+v %v", name, tiny, f, rows, want, want.Rows)
			}
			sum := sha256.Sum256([]byte(data))
			if sn.SHA256 != hex.EncodeToString(sum[:]) || sn.Size != int64(len(data)) {
				t.Errorf("%s: sniff %+v", name, sn)
			}
		}
	}
}

func TestSniffRefusesAFileOverTheLimit(t *testing.T) {
	data := []byte("email\na@example.com\n")
	if _, err := SniffReader(bytes.NewReader(data), int64(len(data))); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	if _, err := SniffReader(bytes.NewReader(data), int64(len(data)-1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("one byte over: %v", err)
	}
}

// An uploaded file may be far larger than a direct upload: Parse and
// Stream have no limit of their own but rows (MaxRows) and row length
// (MaxRowBytes). A 20 MB file with a 10 MB line keeps every other row.
func TestStreamTwentyMegabytesWithATenMegabyteLine(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("nome,email,observacoes\n")
	note := strings.Repeat("n", 250)
	for i := 0; b.Len() < 10<<20; i++ {
		fmt.Fprintf(&b, "Pessoa %d,p%d@example.com,%s\n", i, i, note)
	}
	before := bytes.Count(b.Bytes(), []byte("\n")) - 1
	fmt.Fprintf(&b, "Longa,longa@example.com,%s\n", strings.Repeat("L", 10<<20))
	b.WriteString("Depois,depois@example.com,fim\n")
	data := b.Bytes()
	if len(data) < 20<<20 {
		t.Fatalf("%d bytes", len(data))
	}
	f, rows, _ := streamAll(t, data, false)
	if f.Count != before+2 || len(rows) != before+2 {
		t.Fatalf("%d rows, want %d", f.Count, before+2)
	}
	long, last := rows[before], rows[before+1]
	if !strings.HasPrefix(long.Err, "row_too_long") || long.Values != nil || long.Line != before+2 {
		t.Errorf("the 10 MB row: line %d err %q", long.Line, long.Err)
	}
	if last.Err != "" || last.Values[FieldEmail] != "depois@example.com" || rows[0].Values[FieldEmail] != "p0@example.com" {
		t.Errorf("around it: %+v %+v", rows[0], last)
	}
	var c Chunker
	chunks := 0
	for _, r := range rows {
		if full := c.Add(r); full != nil {
			chunks++
		}
	}
	if c.Flush() != nil {
		chunks++
	}
	if want := len(Chunks(rows)); chunks != want || chunks < before/ChunkRows {
		t.Errorf("chunker made %d chunks, Chunks %d", chunks, want)
	}
}
