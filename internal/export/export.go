// Package export writes leads as CSV, XLSX or XML with contact, pipeline,
// navigation and attribution columns. CSV and XLSX cells that a
// spreadsheet would run as a formula are neutralized (OWASP CSV injection).
package export

import (
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/text"
)

// Formats.
const (
	CSV  = "csv"
	XLSX = "xlsx"
	XML  = "xml"
)

// ContentType returns the media type of a format.
func ContentType(format string) string {
	switch format {
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case XML:
		return "application/xml"
	default:
		return "text/csv; charset=utf-8"
	}
}

// column is one exported field. Names are the import's English headers.
type column struct {
	name string
	get  func(l lead.Lead) string
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func touch(name string, get func(lead.Touch) string, last bool) column {
	return column{name, func(l lead.Lead) string {
		if last {
			return get(l.LastTouch)
		}
		return get(l.FirstTouch)
	}}
}

var columns = []column{
	{"id", func(l lead.Lead) string { return l.ID }},
	{"name", func(l lead.Lead) string { return l.Name }},
	{"email", func(l lead.Lead) string { return l.Contact.Email }},
	{"phone", func(l lead.Lead) string { return l.Contact.Phone }},
	{"whatsapp", func(l lead.Lead) string { return l.Contact.WhatsApp }},
	{"cpf", func(l lead.Lead) string { return l.Contact.CPF }},
	{"state", func(l lead.Lead) string { return string(l.State) }},
	{"sub_state", func(l lead.Lead) string { return l.SubState }},
	{"owner_id", func(l lead.Lead) string { return l.OwnerID }},
	{"rating", func(l lead.Lead) string { return strconv.Itoa(l.Rating) }},
	{"classification", func(l lead.Lead) string { return string(l.Classification) }},
	{"tags", func(l lead.Lead) string { return strings.Join(l.Tags, ";") }},
	{"groups", func(l lead.Lead) string { return strings.Join(l.Groups, ";") }},
	{"entry_method", func(l lead.Lead) string { return string(l.EntryMethod) }},
	{"site_id", func(l lead.Lead) string { return l.SiteID }},
	{"interactions", func(l lead.Lead) string { return strconv.Itoa(l.Interactions) }},
	{"created_at", func(l lead.Lead) string { return ts(l.CreatedAt) }},
	{"updated_at", func(l lead.Lead) string { return ts(l.UpdatedAt) }},
	touch("page_url", func(t lead.Touch) string { return t.PageURL }, false),
	touch("landing_url", func(t lead.Touch) string { return t.LandingURL }, false),
	touch("generated_at_url", func(t lead.Touch) string { return t.GeneratedAtURL }, false),
	touch("referrer", func(t lead.Touch) string { return t.Referrer }, false),
	touch("utm_source", func(t lead.Touch) string { return t.UTMSource }, false),
	touch("utm_medium", func(t lead.Touch) string { return t.UTMMedium }, false),
	touch("utm_campaign", func(t lead.Touch) string { return t.UTMCampaign }, false),
	touch("utm_term", func(t lead.Touch) string { return t.UTMTerm }, false),
	touch("utm_content", func(t lead.Touch) string { return t.UTMContent }, false),
	touch("gclid", func(t lead.Touch) string { return t.GCLID }, false),
	touch("fbclid", func(t lead.Touch) string { return t.FBCLID }, false),
	touch("ip", func(t lead.Touch) string { return t.IP }, false),
	touch("country", func(t lead.Touch) string { return t.Country }, false),
	touch("region", func(t lead.Touch) string { return t.Region }, false),
	touch("city", func(t lead.Touch) string { return t.City }, false),
	touch("user_agent", func(t lead.Touch) string { return t.UserAgent }, false),
	touch("first_contact_at", func(t lead.Touch) string {
		if t.FirstContactAt == nil {
			return ""
		}
		return ts(*t.FirstContactAt)
	}, false),
	touch("last_utm_source", func(t lead.Touch) string { return t.UTMSource }, true),
	touch("last_utm_medium", func(t lead.Touch) string { return t.UTMMedium }, true),
	touch("last_utm_campaign", func(t lead.Touch) string { return t.UTMCampaign }, true),
	touch("last_page_url", func(t lead.Touch) string { return t.PageURL }, true),
	touch("last_touch_at", func(t lead.Touch) string { return ts(t.At) }, true),
}

// Header returns the column names.
func Header() []string {
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = c.name
	}
	return out
}

// Row returns a lead's values, unneutralized but sanitized: no control
// character other than tab and newline (no NUL, no ESC) and valid UTF-8,
// whatever was stored before the input-hygiene rule (internal/text).
func Row(l lead.Lead) []string {
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = text.Sanitize(c.get(l), true)
	}
	return out
}

// Neutralize prefixes a cell a spreadsheet would read as a formula ("=",
// "+", "-", "@", tab or carriage return first) with a single quote, as
// OWASP recommends. Phone numbers ("+55...") are exported as "'+55...";
// the import strips the quote again.
func Neutralize(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// Writer writes leads in one format. Close finishes the file.
type Writer interface {
	Write(l lead.Lead) error
	Close() error
}

// NewWriter starts a file of format on w.
func NewWriter(format string, w io.Writer) (Writer, error) {
	switch format {
	case CSV, XML:
		if _, err := w.Write(Head(format)); err != nil {
			return nil, err
		}
		rw, err := NewRowWriter(format, w)
		if err != nil {
			return nil, err
		}
		return &framed{Writer: rw, w: w, tail: Tail(format)}, nil
	case XLSX:
		return NewXLSX(w)
	}
	return nil, fmt.Errorf("export: unknown format %q", format)
}

// Head is what a CSV or XML file starts with (the header row, the XML
// prolog and root), Tail what it ends with. A file written in pieces is
// Head, then rows from NewRowWriter, then Tail.
func Head(format string) []byte {
	switch format {
	case CSV:
		var b strings.Builder
		cw := csv.NewWriter(&b)
		_ = cw.Write(Header())
		cw.Flush()
		return []byte(b.String())
	case XML:
		return []byte(xml.Header + "<leads>\n")
	}
	return nil
}

// Tail is what a CSV or XML file ends with (see Head).
func Tail(format string) []byte {
	if format == XML {
		return []byte("</leads>\n")
	}
	return nil
}

// NewRowWriter writes CSV or XML rows only, without Head or Tail; Close
// flushes them.
func NewRowWriter(format string, w io.Writer) (Writer, error) {
	switch format {
	case CSV:
		return &csvWriter{csv.NewWriter(w)}, nil
	case XML:
		return &xmlWriter{enc: xml.NewEncoder(w), w: w}, nil
	}
	return nil, fmt.Errorf("export: no row writer for format %q", format)
}

// framed is a whole CSV or XML file: rows, then Tail on Close.
type framed struct {
	Writer
	w    io.Writer
	tail []byte
}

func (f *framed) Close() error {
	if err := f.Writer.Close(); err != nil {
		return err
	}
	_, err := f.w.Write(f.tail)
	return err
}

// MaxXLSXRows is the most rows an Excel sheet holds (the header included).
const MaxXLSXRows = 1_048_576

// Sheet writes an XLSX file row by row; the file's bytes reach w on Close.
type Sheet interface {
	Writer
	// WriteRow writes one row of Row values (neutralized here).
	WriteRow(vals []string) error
}

// NewXLSX starts an XLSX file with the lead export's header row.
func NewXLSX(w io.Writer) (Sheet, error) { return NewXLSXWith(w, Header()) }

// NewXLSXWith starts an XLSX file with the given header row.
func NewXLSXWith(w io.Writer, header []string) (Sheet, error) {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return nil, err
	}
	x := &xlsxWriter{f: f, sw: sw, w: w, row: 1}
	if err := x.WriteRow(header); err != nil {
		return nil, err
	}
	return x, nil
}

type csvWriter struct{ cw *csv.Writer }

func (c *csvWriter) Write(l lead.Lead) error {
	row := Row(l)
	for i := range row {
		row[i] = Neutralize(row[i])
	}
	return c.cw.Write(row)
}

func (c *csvWriter) Close() error { c.cw.Flush(); return c.cw.Error() }

type xlsxWriter struct {
	f   *excelize.File
	sw  *excelize.StreamWriter
	w   io.Writer
	row int
}

func (x *xlsxWriter) WriteRow(vals []string) error {
	cells := make([]any, len(vals))
	for i, v := range vals {
		cells[i] = Neutralize(v) // strings: never typed as formulas or numbers
	}
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	x.row++
	return x.sw.SetRow(cell, cells)
}

func (x *xlsxWriter) Write(l lead.Lead) error { return x.WriteRow(Row(l)) }

func (x *xlsxWriter) Close() error {
	if err := x.sw.Flush(); err != nil {
		return err
	}
	if _, err := x.f.WriteTo(x.w); err != nil {
		return err
	}
	return x.f.Close()
}

type xmlWriter struct {
	enc *xml.Encoder
	w   io.Writer
}

// xmlLead is <lead><field name="...">value</field>...</lead>: values are
// escaped text, so nothing in them can change the document.
type xmlLead struct {
	XMLName xml.Name   `xml:"lead"`
	Fields  []xmlField `xml:"field"`
}

type xmlField struct {
	Name  string `xml:"name,attr"`
	Value string `xml:",chardata"`
}

func (x *xmlWriter) Write(l lead.Lead) error {
	row := Row(l)
	xl := xmlLead{Fields: make([]xmlField, 0, len(row))}
	for i, v := range row {
		if v != "" {
			xl.Fields = append(xl.Fields, xmlField{Name: columns[i].name, Value: v})
		}
	}
	if err := x.enc.Encode(xl); err != nil {
		return err
	}
	_, err := io.WriteString(x.w, "\n")
	return err
}

func (x *xmlWriter) Close() error { return x.enc.Flush() }
