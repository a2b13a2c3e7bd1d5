// Package problem writes RFC 9457 problem details, the one error shape every
// Leadflow route answers with. Code is the stable, machine-readable reason;
// Detail is for people; Errors names each bad input field.
package problem

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/leadflow/leadflow/internal/lead"
)

// TypeBase prefixes every problem type URI.
const TypeBase = "https://leadflow.dev/problems/"

// Details is an RFC 9457 problem document with Leadflow's extensions.
type Details struct {
	Type   string            `json:"type"`
	Title  string            `json:"title"`
	Status int               `json:"status"`
	Detail string            `json:"detail,omitempty"`
	Code   string            `json:"code"`
	Errors []lead.FieldError `json:"errors,omitempty"`
}

// Stable codes and their titles.
var titles = map[string]string{
	"validation_failed":      "Invalid input",
	"malformed_body":         "Malformed request body",
	"unauthorized":           "Authentication required",
	"invalid_site_key":       "Unknown site key",
	"forbidden":              "Not allowed",
	"origin_not_allowed":     "Origin not allowed for this site",
	"not_found":              "Not found",
	"method_not_allowed":     "Method not allowed",
	"conflict":               "Conflict",
	"precondition_failed":    "Version mismatch",
	"payload_too_large":      "Request body too large",
	"unsupported_media_type": "Unsupported media type",
	"rate_limited":           "Too many requests",
	"internal":               "Internal error",
	"unavailable":            "Service unavailable",
}

// New builds a problem with the title registered for code.
func New(status int, code, detail string) Details {
	title, ok := titles[code]
	if !ok {
		title = http.StatusText(status)
	}
	return Details{Type: TypeBase + code, Title: title, Status: status, Detail: detail, Code: code}
}

// Write sends p as application/problem+json.
func Write(w http.ResponseWriter, p Details) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// Invalid sends a 400 listing every bad field.
func Invalid(w http.ResponseWriter, errs []lead.FieldError) {
	p := New(http.StatusBadRequest, "validation_failed", "One or more fields are invalid.")
	if len(errs) == 1 {
		p.Detail = errs[0].Field + ": " + errs[0].Detail
	}
	p.Errors = errs
	Write(w, p)
}

// RetryAfter sends a 429 or 503 with a Retry-After header in whole seconds.
func RetryAfter(w http.ResponseWriter, status int, code, detail string, after time.Duration) {
	secs := int((after + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	Write(w, New(status, code, detail))
}
