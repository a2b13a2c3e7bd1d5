package lead

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// Per-lead caps. A capture is bounded on its own (internal/capture), but a
// lead absorbs captures forever, so everything that grows inside the lead's
// main item is capped here too: whatever is posted to a person, the item
// stays far below DynamoDB's 400 KB (worst case about 80 KB: see
// TestWorstCaseLeadStaysBounded), and the index copies of it stay within a
// transaction.
const (
	// MaxLeadAttributes is how many extra contact attributes one lead holds.
	MaxLeadAttributes = 100
	// MaxLeadAttributeBytes bounds the UTF-8 bytes of all attribute names
	// and values of one lead together.
	MaxLeadAttributeBytes = 16 << 10
	// MaxLeadExternalIDs is how many external ids (conversations, form
	// submissions with an id) one lead remembers; later ones still attach
	// by contact data but are not recorded as identity keys.
	MaxLeadExternalIDs = 20

	// Byte caps of the touch copies kept inline on the lead (first and last
	// touch). The full touch is kept in the capture's history entry.
	maxTouchURLBytes   = 2048
	maxTouchTextBytes  = 512
	maxTouchAgentBytes = 1024
	// UTM source, medium and campaign name list indexes and attribution
	// counters: their keys must stay within DynamoDB's 1,024-byte sort
	// keys, so these are cut shortest.
	maxTouchDimensionBytes = 100
)

// Why a captured value was not applied to the lead (the "reason" of a
// capture_not_applied history entry).
const (
	// NotAppliedUserEdited: a user set the field; captures never overwrite it.
	NotAppliedUserEdited = "user_edited"
	// NotAppliedKeptExisting: name and identity fields are fill-if-empty.
	NotAppliedKeptExisting = "kept_existing"
	// NotAppliedOtherLead: the identity key belongs to another lead (the
	// store records that lead as a duplicate candidate).
	NotAppliedOtherLead = "other_lead"
	// NotAppliedLeadLimit: the lead is at one of its caps.
	NotAppliedLeadLimit = "lead_limit"
)

// NotApplied is one captured value a capture did not apply; a
// capture_not_applied history entry carries them by field in After.
// Value is left out for values dropped at a cap (they may be large).
type NotApplied struct {
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// Field provenance: who last set a field (Lead.Provenance).
const (
	ProvenanceUser    = "user"
	ProvenanceCapture = "capture"
)

// SetBy says who last set field ("name", "contact.email",
// "contact.attributes.<k>" …): ProvenanceUser when a user edited it,
// ProvenanceCapture otherwise (captured, imported, or never set).
func (l Lead) SetBy(field string) string {
	if l.Provenance[field] == ProvenanceUser {
		return ProvenanceUser
	}
	return ProvenanceCapture
}

// markUser records that a user set field to v ("" clears the mark: an
// empty field may be filled by a capture again).
func (l *Lead) markUser(field, v string) {
	if v == "" {
		delete(l.Provenance, field)
		if len(l.Provenance) == 0 {
			l.Provenance = nil
		}
		return
	}
	if l.Provenance == nil {
		l.Provenance = map[string]string{}
	}
	l.Provenance[field] = ProvenanceUser
}

// attributeSize is the bytes one attribute counts against
// MaxLeadAttributeBytes.
func attributeSize(k, v string) int { return len(k) + len(v) }

// AttributeBytes is the size of attrs as counted against
// MaxLeadAttributeBytes.
func AttributeBytes(attrs map[string]string) int {
	n := 0
	for k, v := range attrs {
		n += attributeSize(k, v)
	}
	return n
}

// attributeCapDetail says what the attribute caps are, for history and
// field errors.
var attributeCapDetail = fmt.Sprintf("A lead holds at most %d attributes and %d KiB of attribute names and values.",
	MaxLeadAttributes, MaxLeadAttributeBytes>>10)

// Clipped returns t with every text field cut (at a character boundary)
// to the byte caps of the copies kept inline on the lead. Captures are
// validated in characters; this bounds the bytes whatever the input path.
func (t Touch) Clipped() Touch {
	for _, f := range []*string{&t.PageURL, &t.LandingURL, &t.GeneratedAtURL, &t.Referrer} {
		*f = clipBytes(*f, maxTouchURLBytes)
	}
	t.UserAgent = clipBytes(t.UserAgent, maxTouchAgentBytes)
	for _, f := range []*string{
		&t.UTMTerm, &t.UTMContent, &t.GCLID, &t.FBCLID,
		&t.IP, &t.Country, &t.Region, &t.City, &t.Locale, &t.SiteID,
		&t.AdPlatform, &t.CampaignID, &t.CampaignName, &t.AdGroupID, &t.AdGroupName, &t.AdID, &t.AdName, &t.FormID, &t.AdLeadID,
	} {
		*f = clipBytes(*f, maxTouchTextBytes)
	}
	for _, f := range []*string{&t.UTMSource, &t.UTMMedium, &t.UTMCampaign} {
		*f = clipBytes(*f, maxTouchDimensionBytes)
	}
	return t
}

// clipBytes cuts s to at most n bytes without splitting a character.
func clipBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Fingerprint identifies what a capture says, not when or from where it
// was sent: two posts of the same body to the same site give the same
// fingerprint (the touch's time, IP and edge geolocation are left out). The
// store keeps it on the external id's key item, so a retried capture is
// recognized and answered without writing anything.
func (c Capture) Fingerprint() string {
	t := c.Touch
	t.At, t.IP, t.Country, t.Region, t.City = time.Time{}, "", "", "", ""
	msgs := make([]Message, len(c.Conversation))
	for i, m := range c.Conversation {
		m.At = m.At.UTC()
		msgs[i] = m
	}
	b, err := json.Marshal(struct {
		SiteID       string    `json:"s"`
		ExternalID   string    `json:"x"`
		Name         string    `json:"n"`
		Contact      Contact   `json:"c"`
		Touch        Touch     `json:"t"`
		Conversation []Message `json:"m"`
		Test         bool      `json:"test"`
	}{c.SiteID, c.ExternalID, c.Name, c.Contact, t, msgs, c.Test})
	if err != nil { // only strings, times and a string map: cannot fail
		panic(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}
