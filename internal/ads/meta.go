// Package ads receives leads from ad platforms: Meta Lead Ads (a signed
// webhook that names the lead, then a Graph API read in a worker job) and
// Google Ads lead forms (a webhook carrying the lead, authenticated by a
// per-site key). Both end as a normal capture through capture.Normalize
// with a trusted entry method, so ads leads merge with the same person's
// chatbot and form captures.
package ads

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
)

// ID is a platform object id. Meta and Google send 64-bit ids, sometimes as
// JSON numbers; decoding them through float64 would corrupt them, so they
// are kept as their decimal text.
type ID string

// UnmarshalJSON accepts a JSON string or number (kept exactly) or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*id = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(strings.TrimSpace(s))
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("id must be a string or a number: %w", err)
		}
		*id = ID(n.String())
	}
	return nil
}

// maxIDLen bounds a platform id (Meta's are 64-bit: at most 20 digits).
const maxIDLen = 20

// Numeric reports whether id is a platform object id: 1 to 20 ASCII digits.
func (id ID) Numeric() bool {
	if id == "" || len(id) > maxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}

// SignatureHeader carries Meta's HMAC of the raw body.
const SignatureHeader = "X-Hub-Signature-256"

// VerifySignature reports whether header ("sha256=<hex>") is the
// HMAC-SHA256 of the raw body under the app secret. The comparison is
// constant-time; an empty secret never verifies.
func VerifySignature(appSecret string, body []byte, header string) bool {
	if appSecret == "" {
		return false
	}
	hexSum, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// Sign returns the X-Hub-Signature-256 value Meta would send for body
// (tests and the README use it to post like Meta).
func Sign(appSecret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// MetaNotification is Meta's webhook body for the page object.
type MetaNotification struct {
	Object string `json:"object"`
	Entry  []struct {
		ID      ID    `json:"id"`
		Time    int64 `json:"time"`
		Changes []struct {
			Field string          `json:"field"`
			Value json.RawMessage `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

// MetaLeadgen is the value of one leadgen change: ids only, no lead data.
type MetaLeadgen struct {
	LeadgenID   ID    `json:"leadgen_id"`
	PageID      ID    `json:"page_id"`
	FormID      ID    `json:"form_id"`
	AdgroupID   ID    `json:"adgroup_id,omitempty"`
	AdID        ID    `json:"ad_id,omitempty"`
	CreatedTime int64 `json:"created_time,omitempty"` // Unix seconds
}

// ErrNotLeadgen is returned for a well-formed notification about something
// other than page leadgen changes; it is acknowledged and ignored.
var ErrNotLeadgen = errors.New("not a page leadgen notification")

// ParseMetaNotification returns the leadgen changes of a webhook body,
// skipping other fields. Unknown fields are ignored.
func ParseMetaNotification(body []byte) ([]MetaLeadgen, error) {
	var n MetaNotification
	if err := json.Unmarshal(body, &n); err != nil {
		return nil, fmt.Errorf("meta webhook: %w", err)
	}
	if n.Object != "page" {
		return nil, ErrNotLeadgen
	}
	var out []MetaLeadgen
	for i, e := range n.Entry {
		for j, ch := range e.Changes {
			if ch.Field != "leadgen" {
				continue
			}
			var v MetaLeadgen
			if err := json.Unmarshal(ch.Value, &v); err != nil {
				return nil, fmt.Errorf("meta webhook: leadgen value: %w", err)
			}
			if v.LeadgenID == "" {
				return nil, errors.New("meta webhook: leadgen change without leadgen_id")
			}
			if !v.LeadgenID.Numeric() {
				// It goes into a Graph API URL path: only a real id may.
				return nil, &lead.InvalidError{Errors: []lead.FieldError{{
					Field: fmt.Sprintf("entry[%d].changes[%d].value.leadgen_id", i, j), Code: "invalid",
					Detail: "A leadgen_id is a Meta object id: digits only."}}}
			}
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil, ErrNotLeadgen
	}
	return out, nil
}

// MetaJob is the payload of the fetch_meta_lead job of one leadgen change
// of a site (jobs.FetchMetaLead sends it).
func MetaJob(siteID string, ch MetaLeadgen) jobs.FetchMetaLeadPayload {
	return jobs.FetchMetaLeadPayload{SiteID: siteID, LeadgenID: string(ch.LeadgenID), PageID: string(ch.PageID), FormID: string(ch.FormID),
		AdgroupID: string(ch.AdgroupID), AdID: string(ch.AdID), CreatedTime: ch.CreatedTime}
}

// metaLeadgen is the leadgen change a fetch_meta_lead payload carries.
func metaLeadgen(p jobs.FetchMetaLeadPayload) MetaLeadgen {
	return MetaLeadgen{LeadgenID: ID(p.LeadgenID), PageID: ID(p.PageID), FormID: ID(p.FormID),
		AdgroupID: ID(p.AdgroupID), AdID: ID(p.AdID), CreatedTime: p.CreatedTime}
}
