// Package importer imports leads from CSV files. Parse (pure) reads a file
// whatever its encoding, delimiter and header language into rows of known
// fields; Runner (the worker's "import" job) stores them chunk by chunk
// through the same normalization and capture path as every other lead.
package importer

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/leadflow/leadflow/internal/lead"
)

// Limits.
const (
	// MaxFileBytes bounds a direct upload.
	MaxFileBytes = 5 << 20
	// MaxRowBytes bounds one row; a longer row is an error row and its
	// values are not kept.
	MaxRowBytes = 32 << 10
	// MaxRows bounds the rows of one file.
	MaxRows = 100000
)

// Fields a column can map to. Attribute columns map to "attributes.<key>";
// Ignore drops a column.
const (
	FieldName           = "name"
	FieldEmail          = "email"
	FieldPhone          = "phone"
	FieldWhatsApp       = "whatsapp"
	FieldCPF            = "cpf"
	FieldExternalID     = "external_id"
	FieldTags           = "tags"
	FieldGroups         = "groups"
	FieldClassification = "classification"
	FieldState          = "state"
	FieldSubState       = "sub_state"
	FieldRating         = "rating"
	FieldIP             = "ip"
	FieldCountry        = "country"
	FieldRegion         = "region"
	FieldCity           = "city"
	Ignore              = "ignore"
	AttrPrefix          = "attributes."
)

// navigation fields are imported into the lead's first touch.
var navFields = []string{"page_url", "landing_url", "generated_at_url", "referrer", "utm_source", "utm_medium",
	"utm_campaign", "utm_term", "utm_content", "gclid", "fbclid", "user_agent", "first_contact_at"}

// known maps folded header names (pt-BR, en, es) to fields.
var known = map[string]string{}

func init() {
	add := func(field string, names ...string) {
		for _, n := range names {
			known[foldHeader(n)] = field
		}
	}
	add(FieldName, "nome", "name", "nombre", "nome completo", "full name", "nombre completo", "contato", "contact")
	add(FieldEmail, "e-mail", "email", "correo", "correo electrónico", "correo electronico", "mail", "endereço de e-mail", "email address")
	add(FieldPhone, "telefone", "phone", "teléfono", "telefono", "celular", "fone", "mobile", "móvil", "movil", "phone number")
	add(FieldWhatsApp, "whatsapp", "whats", "wpp", "zap")
	add(FieldCPF, "cpf", "cnpj", "cpf/cnpj", "documento", "document", "cpf_cnpj", "rut", "dni")
	add(AttrPrefix+"company", "empresa", "company", "compañía", "compania", "organization", "organização")
	add("utm_source", "utm_source", "origem", "fuente", "source", "fonte")
	add("utm_medium", "utm_medium", "mídia", "midia", "medio", "medium")
	add("utm_campaign", "utm_campaign", "campanha", "campaña", "campaign")
	add("utm_term", "utm_term", "termo", "término")
	add("utm_content", "utm_content", "conteúdo", "contenido")
	add(FieldTags, "tags", "etiquetas", "tag", "marcadores")
	add(FieldGroups, "grupo", "group", "grupos", "groups")
	add(FieldClassification, "classificação", "classificacao", "classification", "clasificación", "clasificacion")
	add(FieldState, "estado", "state", "status", "situação", "situacao", "etapa")
	add(FieldSubState, "sub_state", "subestado", "sub-estado", "motivo")
	add(FieldRating, "rating", "nota", "avaliação", "avaliacao", "calificación", "calificacion", "estrelas")
	add(FieldExternalID, "external_id", "id externo", "id_externo")
	for _, f := range navFields {
		add(f, f)
	}
	add("page_url", "página", "pagina", "url")
	add("referrer", "referência", "referencia")
	add(FieldIP, "ip")
	add(FieldCountry, "country", "país", "pais")
	add(FieldRegion, "region", "região", "regiao", "uf")
	add(FieldCity, "city", "cidade", "ciudad")
	// Columns our export writes that describe the source account, not the
	// person: a new account assigns its own.
	add(Ignore, "id", "owner_id", "entry_method", "site_id", "interactions", "created_at", "updated_at",
		"last_utm_source", "last_utm_medium", "last_utm_campaign", "last_page_url", "last_touch_at")
}

// Fields lists the fields a mapping may name (besides attributes.<key>).
func Fields() []string {
	out := []string{FieldName, FieldEmail, FieldPhone, FieldWhatsApp, FieldCPF, FieldExternalID, FieldTags, FieldGroups,
		FieldClassification, FieldState, FieldSubState, FieldRating, FieldIP, FieldCountry, FieldRegion, FieldCity, Ignore}
	return append(out, navFields...)
}

func validField(f string) bool {
	if k, ok := strings.CutPrefix(f, AttrPrefix); ok {
		return attrKeyRE.MatchString(k) && len(k) <= 64
	}
	for _, x := range Fields() {
		if x == f {
			return true
		}
	}
	return false
}

var attrKeyRE = regexp.MustCompile(`^[a-z0-9_.-]+$`)
var notAttr = regexp.MustCompile(`[^a-z0-9_.-]+`)

func foldHeader(h string) string {
	return strings.Join(strings.Fields(lead.Fold(h)), " ")
}

// attrKey turns an unknown header into an attribute name.
func attrKey(h string) string {
	k := strings.Trim(notAttr.ReplaceAllString(lead.Fold(h), "_"), "_")
	if len(k) > 64 {
		k = k[:64]
	}
	return k
}

// Row is one data row: its line in the file (1 is the header), the values
// by field, or why it cannot be imported.
type Row struct {
	Line   int               `json:"line"`
	Values map[string]string `json:"values,omitempty"`
	Err    string            `json:"err,omitempty"`
}

// File is a parsed upload.
type File struct {
	Encoding  string   `json:"encoding"`  // utf-8 | windows-1252
	Delimiter string   `json:"delimiter"` // "," ";" or "\t"
	Header    []string `json:"header"`
	// Columns maps each header (by position) to its field.
	Columns []string `json:"columns"`
	// Rows are the data rows (Parse); Count is how many there are (also
	// set by Stream, which keeps none).
	Rows  []Row `json:"-"`
	Count int   `json:"-"`
}

// Errors Parse returns for a file that cannot be imported at all.
var (
	ErrEmpty    = errors.New("the file has no header row")
	ErrNoRows   = errors.New("the file has a header but no rows")
	ErrNoKey    = errors.New("no column maps to e-mail, phone, WhatsApp, CPF/CNPJ or external_id")
	ErrTooMany  = fmt.Errorf("more than %d rows", MaxRows)
	ErrHeader   = errors.New("the header row cannot be read")
	ErrBadField = errors.New("mapping names an unknown field")
)

// CheckMapping reports whether every field a mapping names is known
// (ErrBadField otherwise), so an upload's options can be refused before
// its file is read.
func CheckMapping(mapping map[string]string) error {
	_, err := overrides(mapping)
	return err
}

// overrides folds a mapping's headers and checks its fields.
func overrides(mapping map[string]string) (map[string]string, error) {
	over := map[string]string{}
	for h, field := range mapping {
		field = strings.TrimSpace(strings.ToLower(field))
		if !validField(field) {
			return nil, fmt.Errorf("%w: %q for column %q", ErrBadField, field, h)
		}
		over[foldHeader(h)] = field
	}
	return over, nil
}

// Parse reads a CSV file. mapping (header → field) overrides the
// recognized names; headers are matched case- and accent-insensitively.
// Bad rows (ragged, too long, unreadable) become error rows; the rest are
// kept.
func Parse(data []byte, mapping map[string]string) (*File, error) {
	sn := Sniff{Encoding: "utf-8", Delimiter: string(delimiter(bytes.TrimPrefix(data, bom))), Size: int64(len(data))}
	if !utf8.Valid(bytes.TrimPrefix(data, bom)) {
		sn.Encoding = "windows-1252"
	}
	var rows []Row
	f, err := Stream(bytes.NewReader(data), sn, mapping, func(r Row) error {
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	f.Rows = rows
	return f, nil
}

func values(cols, rec []string) map[string]string {
	out := map[string]string{}
	for i, v := range rec {
		if cols[i] == Ignore {
			continue
		}
		v = unneutralize(strings.TrimSpace(v))
		if v == "" {
			continue
		}
		if old, ok := out[cols[i]]; ok { // two columns of one field: keep both
			if cols[i] == FieldTags || cols[i] == FieldGroups {
				v = old + ";" + v
			} else {
				continue
			}
		}
		out[cols[i]] = v
	}
	return out
}

// unneutralize strips the quote our export (OWASP) puts before a cell a
// spreadsheet would read as a formula, so export → import round-trips.
func unneutralize(v string) string {
	if len(v) > 1 && v[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(v[1])) {
		return v[1:]
	}
	return v
}

// delimiter picks ',', ';' or tab: whichever appears most in the first
// line outside quotes (Excel in pt-BR and es saves with ';').
func delimiter(data []byte) byte {
	counts := map[byte]int{}
	quoted := false
	for _, b := range data {
		if b == '"' {
			quoted = !quoted
		}
		if quoted {
			continue
		}
		if b == '\n' {
			break
		}
		if b == ',' || b == ';' || b == '\t' {
			counts[b]++
		}
	}
	best := byte(',')
	for _, d := range []byte{';', '\t'} {
		if counts[d] > counts[best] {
			best = d
		}
	}
	return best
}

// SplitList splits a tags/groups cell: ';', ',' or '|' separated.
func SplitList(v string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' || r == '|' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Dedupe policies: what a row does to the lead already holding one of its
// identity keys.
const (
	PolicySkip        = "skip"         // leave it alone (default)
	PolicyUpdateEmpty = "update_empty" // fill its empty fields
	PolicyOverwrite   = "overwrite"    // the file's non-empty cells win
)

// Policies lists the dedupe policies.
var Policies = []string{PolicySkip, PolicyUpdateEmpty, PolicyOverwrite}

// Row statuses in the report.
const (
	StatusCreated = "created"
	StatusUpdated = "updated"
	StatusSkipped = "skipped"
	StatusError   = "error"
)

// Result is one row of the report.
type Result struct {
	Line   int    `json:"row"`
	Status string `json:"status"`
	LeadID string `json:"lead_id,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Meta describes a stored import.
type Meta struct {
	ID        string            `json:"id"`
	SiteID    string            `json:"site_id"`
	Policy    string            `json:"policy"`
	FileName  string            `json:"file_name,omitempty"`
	SHA256    string            `json:"sha256"`
	Encoding  string            `json:"encoding"`
	Delimiter string            `json:"delimiter"`
	Columns   map[string]string `json:"columns"` // header → field
	Rows      int               `json:"rows"`
	Chunks    int               `json:"chunks"`
	// Upload is the upload id of a file uploaded to S3 (POST
	// /v1/imports/uploads); its Mapping is applied when the worker parses
	// it. Until then Rows and Chunks are 0.
	Upload  string            `json:"upload_id,omitempty"`
	Mapping map[string]string `json:"mapping,omitempty"`
}

// ChunkRows is how many rows one queue message imports.
const ChunkRows = 200

// maxChunkBytes keeps a stored chunk well under DynamoDB's 400 KB item.
const maxChunkBytes = 300 << 10

// Chunks splits rows into chunks of at most ChunkRows rows and about
// 300 KB each.
func Chunks(rows []Row) [][]Row {
	var out [][]Row
	var c Chunker
	for _, r := range rows {
		if full := c.Add(r); full != nil {
			out = append(out, full)
		}
	}
	if last := c.Flush(); last != nil {
		out = append(out, last)
	}
	return out
}
