package importer

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
)

// A file uploaded to S3 (up to s3store.UploadMaxBytes) is read twice rather than
// held in memory: a first pass (SniffReader) learns its encoding — a single
// invalid UTF-8 byte anywhere makes the whole file Windows-1252, as in
// Parse — its delimiter and checksum; a second (Stream) parses it row by
// row. A 100 MB file would otherwise take ~400 MB of rows and strings.

var bom = []byte("\xef\xbb\xbf")

// ErrTooLarge says a file is over the limit it was read with.
var ErrTooLarge = errors.New("the file is too large")

// Sniff is what a first pass over a file learns.
type Sniff struct {
	Encoding  string // utf-8 | windows-1252
	Delimiter string
	Size      int64
	SHA256    string
}

// SniffReader reads r to its end, at most max bytes (ErrTooLarge past
// that).
func SniffReader(r io.Reader, max int64) (Sniff, error) {
	sum := sha256.New()
	u := &utf8Check{}
	d := &delimCheck{counts: map[byte]int{}}
	n, err := io.Copy(io.MultiWriter(sum, u, d), io.LimitReader(r, max+1))
	if err != nil {
		return Sniff{}, fmt.Errorf("read: %w", err)
	}
	if n > max {
		return Sniff{}, fmt.Errorf("%w: over %d bytes", ErrTooLarge, max)
	}
	sn := Sniff{Encoding: "utf-8", Delimiter: string(d.best()), Size: n, SHA256: hex.EncodeToString(sum.Sum(nil))}
	if !u.valid() {
		sn.Encoding = "windows-1252"
	}
	return sn, nil
}

// Stream parses the file r, which a first pass described as sn, calling
// emit with each row in file order; the File it returns has no Rows. The
// errors are Parse's; an error from emit stops it.
func Stream(r io.Reader, sn Sniff, mapping map[string]string, emit func(Row) error) (*File, error) {
	f := &File{Encoding: sn.Encoding, Delimiter: sn.Delimiter}
	if f.Delimiter == "" {
		f.Delimiter = ","
	}
	over, err := overrides(mapping)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(len(bom)); bytes.Equal(b, bom) {
		_, _ = br.Discard(len(bom))
	}
	var in io.Reader = br
	if f.Encoding == "windows-1252" {
		// Excel on Windows saves "CSV" as Windows-1252 (a superset of the
		// printable Latin-1): every byte decodes, so nothing is lost.
		in = transform.NewReader(br, charmap.Windows1252.NewDecoder())
	}

	cr := csv.NewReader(in)
	cr.Comma = rune(f.Delimiter[0])
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, ErrEmpty
	}
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return nil, fmt.Errorf("read csv: %w", err)
		}
		return nil, fmt.Errorf("%w: %v", ErrHeader, err)
	}
	f.Header = header
	hasKey := false
	for _, h := range header {
		h = unneutralize(strings.TrimSpace(h))
		field, ok := over[foldHeader(h)]
		if !ok {
			field, ok = known[foldHeader(h)]
		}
		if !ok {
			if k := attrKey(h); k != "" {
				field = AttrPrefix + k
			} else {
				field = Ignore
			}
		}
		switch field {
		case FieldEmail, FieldPhone, FieldWhatsApp, FieldCPF, FieldExternalID:
			hasKey = true
		}
		f.Columns = append(f.Columns, field)
	}
	if !hasKey {
		return nil, ErrNoKey
	}
	for {
		start := cr.InputOffset()
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		row := Row{Line: line}
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe):
			row.Line = pe.StartLine
			row.Err = "unreadable: " + pe.Err.Error()
		case err != nil:
			return nil, fmt.Errorf("read csv: %w", err)
		case cr.InputOffset()-start > MaxRowBytes:
			row.Err = fmt.Sprintf("row_too_long: the row is %d bytes; at most %d", cr.InputOffset()-start, MaxRowBytes)
		case len(rec) == 1 && strings.TrimSpace(rec[0]) == "" && len(header) > 1:
			continue // a blank line
		case len(rec) != len(header):
			row.Err = fmt.Sprintf("ragged: %d fields, the header has %d", len(rec), len(header))
		default:
			row.Values = values(f.Columns, rec)
		}
		f.Count++
		if f.Count > MaxRows {
			return nil, ErrTooMany
		}
		if err := emit(row); err != nil {
			return nil, err
		}
	}
	if f.Count == 0 {
		return nil, ErrNoRows
	}
	return f, nil
}

// utf8Check is utf8.Valid over a stream: a rune cut by a write boundary
// is carried into the next write.
type utf8Check struct {
	carry []byte
	bad   bool
}

func (c *utf8Check) Write(p []byte) (int, error) {
	if c.bad {
		return len(p), nil
	}
	b := make([]byte, 0, len(c.carry)+len(p))
	b = append(append(b, c.carry...), p...)
	cut := len(b)
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				cut = i
			}
			break
		}
	}
	c.bad = !utf8.Valid(b[:cut])
	c.carry = append(c.carry[:0], b[cut:]...)
	return len(p), nil
}

func (c *utf8Check) valid() bool { return !c.bad && len(c.carry) == 0 }

// delimCheck is delimiter over a stream: it counts in the first line.
type delimCheck struct {
	counts map[byte]int
	quoted bool
	done   bool
}

func (d *delimCheck) Write(p []byte) (int, error) {
	for _, b := range p {
		if d.done {
			break
		}
		if b == '"' {
			d.quoted = !d.quoted
		}
		if d.quoted {
			continue
		}
		if b == '\n' {
			d.done = true
			break
		}
		if b == ',' || b == ';' || b == '\t' {
			d.counts[b]++
		}
	}
	return len(p), nil
}

func (d *delimCheck) best() byte {
	best := byte(',')
	for _, c := range []byte{';', '\t'} {
		if d.counts[c] > d.counts[best] {
			best = c
		}
	}
	return best
}

// Chunker groups rows as Chunks does, one row at a time, so a streamed
// file is stored chunk by chunk.
type Chunker struct {
	cur  []Row
	size int
}

// Add adds r and returns the chunk r closed, if any.
func (c *Chunker) Add(r Row) []Row {
	n := 16 + len(r.Err)
	for k, v := range r.Values {
		n += len(k) + len(v) + 8
	}
	var full []Row
	if len(c.cur) > 0 && (len(c.cur) == ChunkRows || c.size+n > maxChunkBytes) {
		full, c.cur, c.size = c.cur, nil, 0
	}
	c.cur = append(c.cur, r)
	c.size += n
	return full
}

// Flush returns the last, partial chunk (nil when empty).
func (c *Chunker) Flush() []Row {
	out := c.cur
	c.cur, c.size = nil, 0
	return out
}
