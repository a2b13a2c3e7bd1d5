package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/problem"
	"github.com/leadflow/leadflow/internal/text"
)

// Body size limits of console writes. Capture has its own (MaxCaptureBody).
const (
	// PATCH lead (50 attributes of 1,024 characters of up to 4 bytes each),
	// notes, groups, saved filters, scheduled changes, assignment rules…
	MaxConsoleBody = 256 << 10
	// Bulk: up to MaxBulkIDs ids of about 30 bytes each.
	MaxBulkBody = 512 << 10
)

// decodeBody is the one JSON body decoder of the console routes: it reads
// at most limit bytes (413 beyond), then decodes the body into v strictly
// and answers a 400 problem naming the field itself when it cannot:
// malformed JSON or a body that is not one JSON object ("body"), trailing
// data after it ("body"), a string that is not valid UTF-8 (its path), a
// value of the wrong type (its path) and an unknown field (its name).
// It returns false when it answered.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, limit int64) bool {
	body, ok := readBodyLimit(w, r, limit)
	if !ok {
		return false
	}
	if fe := decodeStrict(body, v); fe != nil {
		problem.Invalid(w, []lead.FieldError{*fe})
		return false
	}
	return true
}

// readBodyLimit reads the body, answering 413 beyond limit bytes.
func readBodyLimit(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if tooLarge(err) {
			problem.Write(w, problem.New(http.StatusRequestEntityTooLarge, "payload_too_large",
				fmt.Sprintf("The body is larger than %d KiB.", limit>>10)))
		} else {
			problem.Invalid(w, []lead.FieldError{{Field: "body", Code: "invalid", Detail: "The body could not be read."}})
		}
		return nil, false
	}
	return body, true
}

// checkJSONObject checks what every console body must be before its
// fields are read: one JSON object, nothing after it, and every string in
// it valid UTF-8 (encoding/json would silently turn bad bytes into U+FFFD).
func checkJSONObject(body []byte) *lead.FieldError {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return &lead.FieldError{Field: "body", Code: "invalid_type", Detail: "The body must be a JSON object."}
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return &lead.FieldError{Field: "body", Code: "invalid", Detail: "The body is not valid JSON."}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &lead.FieldError{Field: "body", Code: "invalid", Detail: "The body must hold one JSON object and nothing after it."}
	}
	if path, bad := text.InvalidJSONText(trimmed); bad {
		if path == "" {
			path = "body"
		}
		return &lead.FieldError{Field: path, Code: text.CodeInvalid, Detail: "Must be valid UTF-8 text."}
	}
	return nil
}

// decodeStrict decodes body into v (a pointer to a struct) after
// checkJSONObject, refusing unknown fields and wrong types by name.
func decodeStrict(body []byte, v any) *lead.FieldError {
	if fe := checkJSONObject(body); fe != nil {
		return fe
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return &lead.FieldError{Field: field, Code: "invalid_type", Detail: "Must be " + jsonKind(te.Type.Kind().String()) + "."}
	case strings.HasPrefix(err.Error(), `json: unknown field "`):
		name := strings.TrimSuffix(strings.TrimPrefix(err.Error(), `json: unknown field "`), `"`)
		if name == "" {
			name = "body"
		}
		return &lead.FieldError{Field: name, Code: "unknown_field", Detail: "This field does not exist here."}
	}
	return &lead.FieldError{Field: "body", Code: "invalid", Detail: "The body is not valid JSON."}
}

// jsonKind names a Go kind the way a JSON client knows it.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number"
	case "float32", "float64":
		return "a number"
	}
	return "of another type"
}

// cleanText applies the input-hygiene rule to *s in place (a nil s is
// left alone), recording a field error in bad.
func cleanText(bad *lead.InvalidError, field string, s *string, r text.Rule) {
	if s == nil {
		return
	}
	v, fe := text.Clean(field, *s, r)
	if fe != nil {
		bad.Add(fe.Field, fe.Code, fe.Detail)
		return
	}
	*s = v
}
