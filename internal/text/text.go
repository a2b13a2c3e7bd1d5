// Package text is Leadflow's one input-hygiene rule for text fields, on
// every route (public capture and console writes alike):
//
//   - text that is not valid UTF-8 is refused (code "invalid"), never
//     repaired into U+FFFD;
//   - control characters (Unicode Cc) are removed; tab and newline are kept
//     only in multi-line text (notes, conversation messages, descriptions),
//     where "\r\n" and a lone "\r" become "\n";
//   - leading and trailing white space is trimmed, so text that is only
//     white space (and control characters) counts as empty (code "required"
//     when the field needs text);
//   - the length, in characters (runes) after cleaning, is capped (code
//     "too_long").
//
// The package is pure and imports nothing of Leadflow, so domain packages,
// the capture normalizer and the HTTP layer all share it.
package text

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error codes, the same ones the API documents for every field.
const (
	CodeInvalid  = "invalid"
	CodeRequired = "required"
	CodeTooLong  = "too_long"
)

// Caps shared by several console fields (characters). Fields with a cap of
// their own (a note, a name) keep it next to the field.
const (
	MaxShort = 200   // names of things: groups, saved filters, rules, ids
	MaxLong  = 10000 // multi-line text: notes, descriptions
)

// Rule says how one field is cleaned.
type Rule struct {
	// Max caps the cleaned length in characters; 0 leaves it uncapped.
	Max int
	// Multiline keeps tab and newline.
	Multiline bool
	// Collapse turns every run of white space, tab and newline included,
	// into one space (names).
	Collapse bool
	// Required refuses text that is empty once cleaned.
	Required bool
}

// Line is a single-line field capped at MaxShort characters.
var Line = Rule{Max: MaxShort}

// FieldError names the field that broke the rule and why.
type FieldError struct {
	Field  string
	Code   string
	Detail string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Detail }

// Clean applies the rule r to the value s of field: it returns the cleaned
// text, or a *FieldError naming field.
func Clean(field, s string, r Rule) (string, *FieldError) {
	if !utf8.ValidString(s) {
		return "", &FieldError{Field: field, Code: CodeInvalid, Detail: "Must be valid UTF-8 text."}
	}
	// A collapsed field keeps tab and newline until they become spaces.
	s = Strip(s, r.Multiline || r.Collapse)
	if r.Collapse {
		s = strings.Join(strings.Fields(s), " ")
	} else {
		s = strings.TrimSpace(s)
	}
	if r.Required && s == "" {
		return "", &FieldError{Field: field, Code: CodeRequired, Detail: "Must not be empty."}
	}
	if r.Max > 0 && utf8.RuneCountInString(s) > r.Max {
		return "", &FieldError{Field: field, Code: CodeTooLong, Detail: fmt.Sprintf("Must be at most %d characters.", r.Max)}
	}
	return s, nil
}

// Strip removes control characters from s; with multiline, tab and newline
// stay and carriage returns become newlines. It does not trim and does not
// check UTF-8 (invalid bytes are kept as they are).
func Strip(s string, multiline bool) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	if multiline {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	return strings.Map(func(r rune) rune {
		switch {
		case !unicode.IsControl(r):
			return r
		case multiline && (r == '\n' || r == '\t'):
			return r
		case multiline && r == '\r':
			return '\n'
		}
		return -1
	}, s)
}

// Sanitize repairs rather than refuses: invalid UTF-8 is dropped, control
// characters removed (tab and newline kept with multiline). It is for text
// Leadflow writes out (CSV cells, values read from headers), not for input.
func Sanitize(s string, multiline bool) string {
	return Strip(strings.ToValidUTF8(s, ""), multiline)
}

// Errors of UnquoteJSON.
var (
	ErrNotString   = errors.New("not a JSON string")
	ErrInvalidUTF8 = errors.New("not valid UTF-8")
)

// UnquoteJSON decodes one JSON string value and refuses invalid UTF-8,
// including lone UTF-16 surrogates written as \u escapes, both of which
// encoding/json silently turns into U+FFFD.
func UnquoteJSON(raw []byte) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return "", ErrNotString
	}
	if !utf8.Valid(raw) {
		return "", ErrInvalidUTF8
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", ErrNotString
	}
	if n := strings.Count(s, "\uFFFD"); n > 0 {
		given := bytes.Count(raw, []byte("\uFFFD")) + bytes.Count(bytes.ToLower(raw), []byte(`\ufffd`))
		if n > given {
			return "", ErrInvalidUTF8
		}
	}
	return s, nil
}

// InvalidJSONText finds the first string (value or object key) in the JSON
// document raw that is not valid UTF-8 and returns its path ("contact.name",
// "items[2]"; "" for the document itself), with ok false when every string
// is valid or raw is not JSON (the caller's decoder reports that). Keys are
// visited in the order they appear.
func InvalidJSONText(raw []byte) (path string, found bool) {
	if utf8.Valid(raw) && !hasSurrogateEscape(raw) {
		return "", false // the common case: nothing to look for
	}
	return walk(raw, "", 0)
}

// maxWalkDepth bounds the search: each level re-reads what is below it, so
// a deeply nested document would cost quadratic time. Below it, the bad
// text is reported at the deepest path reached.
const maxWalkDepth = 32

// hasSurrogateEscape reports whether raw has a \uD800–\uDFFF escape.
func hasSurrogateEscape(raw []byte) bool {
	for i := 0; i+5 < len(raw); i++ {
		if raw[i] == '\\' && raw[i+1] == 'u' && (raw[i+2] == 'd' || raw[i+2] == 'D') {
			switch raw[i+3] {
			case '8', '9', 'a', 'b', 'c', 'd', 'e', 'f', 'A', 'B', 'C', 'D', 'E', 'F':
				return true
			}
		}
	}
	return false
}

func walk(raw []byte, path string, depth int) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	if depth > maxWalkDepth {
		return path, !utf8.Valid(raw) || hasSurrogateEscape(raw)
	}
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch raw[0] {
	case '"':
		if _, err := UnquoteJSON(raw); errors.Is(err, ErrInvalidUTF8) {
			return path, true
		}
	case '{':
		dec := json.NewDecoder(bytes.NewReader(raw))
		if _, err := dec.Token(); err != nil {
			return "", false
		}
		for dec.More() {
			start := dec.InputOffset()
			tok, err := dec.Token()
			if err != nil {
				return "", false
			}
			key, _ := tok.(string)
			keyRaw := bytes.TrimLeft(raw[start:dec.InputOffset()], " \t\r\n,")
			if _, err := UnquoteJSON(keyRaw); errors.Is(err, ErrInvalidUTF8) {
				return join(strings.ReplaceAll(key, "\uFFFD", "")), true
			}
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				return "", false
			}
			if p, ok := walk(v, join(key), depth+1); ok {
				return p, true
			}
		}
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return "", false
		}
		for i, it := range items {
			if p, ok := walk(it, fmt.Sprintf("%s[%d]", path, i), depth+1); ok {
				return p, true
			}
		}
	}
	return "", false
}

// Truncate cuts s to at most max characters (runes), dropping invalid
// UTF-8 first.
func Truncate(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max])
}
