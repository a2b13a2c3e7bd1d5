// Package capture turns a capture request (the JSON body of
// POST /v1/capture/leads, or a plain HTML form post) into a validated,
// normalized lead.Capture ready for the store.
//
// It is pure: no AWS SDK, no I/O. Every bad field of a request is reported
// at once in a *lead.InvalidError whose field names are JSON paths
// ("contact.email", "conversation[2].at") and whose codes are stable.
package capture

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/text"
)

// Field error codes. They are part of the HTTP contract: programs switch on
// them, so never rename one.
const (
	codeRequired     = "required"
	codeInvalid      = "invalid"
	codeInvalidEmail = "invalid_email"
	codeInvalidPhone = "invalid_phone"
	codeInvalidCPF   = "invalid_cpf"
	codeTooLong      = "too_long"
	codeTooMany      = "too_many"
	codeInvalidURL   = "invalid_url"
	codeInvalidTime  = "invalid_time"
	codeInvalidType  = "invalid_type"
	codeNotAllowed   = "not_allowed"
)

// Exported copies of the codes for handlers and tests.
const (
	CodeRequired     = codeRequired
	CodeInvalid      = codeInvalid
	CodeInvalidEmail = codeInvalidEmail
	CodeInvalidPhone = codeInvalidPhone
	CodeInvalidCPF   = codeInvalidCPF
	CodeTooLong      = codeTooLong
	CodeTooMany      = codeTooMany
	CodeInvalidURL   = codeInvalidURL
	CodeInvalidTime  = codeInvalidTime
	CodeInvalidType  = codeInvalidType
	CodeNotAllowed   = codeNotAllowed
)

// Request is the JSON body of POST /v1/capture/leads (api.md), also built
// from form posts by FromForm. Nothing in it is trusted: Normalize checks
// every field.
type Request struct {
	Source       string            `json:"source,omitempty"` // chatbot | form | api; default api
	ExternalID   string            `json:"external_id,omitempty"`
	Contact      RequestContact    `json:"contact"`
	Navigation   RequestNavigation `json:"navigation"`
	Conversation []RequestMessage  `json:"conversation,omitempty"`
	Consent      *RequestConsent   `json:"consent,omitempty"`
}

// RequestConsent is the "consent" object of a capture: the text the
// person was shown, whether they checked it, when (RFC 3339; missing means
// now) and on which page (missing means navigation.page_url).
type RequestConsent struct {
	Text    string `json:"text"`
	Checked bool   `json:"checked"`
	At      string `json:"at,omitempty"`
	Page    string `json:"page,omitempty"`
}

// RequestContact is the "contact" object of a capture request.
type RequestContact struct {
	Name     string `json:"name,omitempty"`
	Email    string `json:"email,omitempty"`
	Phone    string `json:"phone,omitempty"`
	WhatsApp string `json:"whatsapp,omitempty"`
	CPF      string `json:"cpf,omitempty"`
	// Attributes are extra values a bot or form collected. Values may be
	// strings, numbers (json.Number, float64, any Go integer), booleans or
	// nil (ignored); anything else is rejected by Normalize.
	Attributes map[string]any `json:"attributes,omitempty"`
}

// RequestNavigation is the "navigation" object of a capture request.
type RequestNavigation struct {
	PageURL        string `json:"page_url,omitempty"`
	LandingURL     string `json:"landing_url,omitempty"`
	GeneratedAtURL string `json:"generated_at_url,omitempty"`
	Referrer       string `json:"referrer,omitempty"`
	UTMSource      string `json:"utm_source,omitempty"`
	UTMMedium      string `json:"utm_medium,omitempty"`
	UTMCampaign    string `json:"utm_campaign,omitempty"`
	UTMTerm        string `json:"utm_term,omitempty"`
	UTMContent     string `json:"utm_content,omitempty"`
	GCLID          string `json:"gclid,omitempty"`
	FBCLID         string `json:"fbclid,omitempty"`
	FirstContactAt string `json:"first_contact_at,omitempty"` // RFC 3339
	UserAgent      string `json:"user_agent,omitempty"`
	Locale         string `json:"locale,omitempty"`
}

// RequestMessage is one element of the "conversation" array.
type RequestMessage struct {
	From string `json:"from"`         // bot | visitor | agent
	Text string `json:"text"`         // non-empty
	At   string `json:"at,omitempty"` // RFC 3339; missing means Meta.Now
}

// Meta is what the HTTP layer knows that the body must never override.
type Meta struct {
	// IP is the visitor address from the socket / API Gateway sourceIp.
	IP string
	// UserAgent is the User-Agent header, used when the body has none.
	UserAgent string
	// Country, Region and City come from the CloudFront-Viewer-* headers.
	Country, Region, City string
	// Now is the capture time; the zero value means time.Now().
	Now time.Time
	// EntryMethod, when set by a trusted caller (ads webhooks, CSV import),
	// replaces Request.Source: the public routes only accept chatbot, form
	// and api.
	EntryMethod lead.EntryMethod
}

var attrKeyRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// ValidAttributeKey reports whether k may name a contact attribute: 1 to 64
// characters of letters, digits, '_', '.' or '-' (stored lower-cased).
func ValidAttributeKey(k string) bool {
	return k != "" && len(k) <= MaxAttrKeyLen && attrKeyRE.MatchString(k)
}

// Normalize validates req and returns the capture to store for site. Touch
// time, site, IP and geolocation come from site and meta, never from the
// body. On bad input it returns a *lead.InvalidError listing every bad field.
func Normalize(site account.Site, req Request, meta Meta) (lead.Capture, error) {
	now := meta.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	n := &normalizer{now: now}
	c := lead.Capture{SiteID: site.ID}

	method := n.entryMethod(req.Source, meta.EntryMethod)
	c.ExternalID = n.externalID(req.ExternalID)
	c.Name = n.name(req.Contact.Name)
	c.Contact = n.contact(req.Contact, site.Country)
	if c.ExternalID == "" && c.Contact.Email == "" && c.Contact.Phone == "" &&
		c.Contact.WhatsApp == "" && c.Contact.CPF == "" &&
		!n.has("external_id", "contact.email", "contact.phone", "contact.whatsapp", "contact.cpf") {
		n.add("contact", codeRequired, "Give at least one of e-mail, phone, WhatsApp, CPF/CNPJ or external_id.")
	}
	c.Touch = n.touch(req.Navigation, meta, method, site.ID)
	c.Conversation = n.conversation(req.Conversation)
	c.Consent = n.consent(req.Consent, c.Touch.PageURL)

	if err := n.errs.Err(); err != nil {
		return lead.Capture{}, err
	}
	return c, nil
}

type normalizer struct {
	errs lead.InvalidError
	now  time.Time
}

func (n *normalizer) add(field, code, detail string) { n.errs.Add(field, code, detail) }

// has reports whether an error was recorded for one of fields.
func (n *normalizer) has(fields ...string) bool {
	for _, e := range n.errs.Errors {
		if slices.Contains(fields, e.Field) {
			return true
		}
	}
	return false
}

// text applies the input-hygiene rule (internal/text) to a single-line
// field: UTF-8 checked, control characters removed, trimmed, length capped
// (max 0: no cap). ok is false when an error was recorded.
func (n *normalizer) text(field, s string, max int) (string, bool) {
	return n.clean(field, s, text.Rule{Max: max})
}

// multiline is text for a field that may span lines (conversation
// messages, attribute values such as a form's message box).
func (n *normalizer) multiline(field, s string, max int) (string, bool) {
	return n.clean(field, s, text.Rule{Max: max, Multiline: true})
}

func (n *normalizer) clean(field, s string, r text.Rule) (string, bool) {
	s, fe := text.Clean(field, s, r)
	if fe != nil {
		n.add(fe.Field, fe.Code, fe.Detail)
		return "", false
	}
	return s, true
}

func (n *normalizer) entryMethod(source string, trusted lead.EntryMethod) lead.EntryMethod {
	if trusted != "" {
		switch trusted {
		case lead.EntryChatbot, lead.EntryForm, lead.EntryAPI, lead.EntryMetaLeadAds,
			lead.EntryGoogleAds, lead.EntryImport:
			return trusted
		}
		n.add("source", codeNotAllowed, "Unknown entry method.")
		return ""
	}
	s, ok := n.text("source", source, 0)
	if !ok {
		return ""
	}
	switch m := lead.EntryMethod(strings.ToLower(s)); m {
	case "":
		return lead.EntryAPI
	case lead.EntryChatbot, lead.EntryForm, lead.EntryAPI:
		return m
	}
	n.add("source", codeNotAllowed, "Must be one of chatbot, form or api.")
	return ""
}

func (n *normalizer) externalID(s string) string {
	const field = "external_id"
	if !utf8.ValidString(s) {
		n.add(field, codeInvalid, "Must be valid UTF-8 text.")
		return ""
	}
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > MaxExternalIDLen {
		n.add(field, codeTooLong, fmt.Sprintf("Must be at most %d characters.", MaxExternalIDLen))
		return ""
	}
	if strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		n.add(field, codeInvalid, "Must contain printable characters only.")
		return ""
	}
	return s
}

func (n *normalizer) name(s string) string {
	s, _ = n.clean("contact.name", s, text.Rule{Max: MaxNameLen, Collapse: true})
	return s
}

func (n *normalizer) contact(rc RequestContact, region string) lead.Contact {
	var c lead.Contact
	if s, ok := n.text("contact.email", rc.Email, 0); ok && s != "" {
		v, err := NormalizeEmail(s)
		if err != nil {
			n.add("contact.email", codeInvalidEmail, "Must be an e-mail address such as ana@example.com.")
		}
		c.Email = v
	}
	phone := func(field, raw string) string {
		s, ok := n.text(field, raw, 0)
		if !ok || s == "" {
			return ""
		}
		v, err := NormalizePhone(s, region)
		if err != nil {
			n.add(field, codeInvalidPhone, "Must be a phone number with country code (+55 11 91234-5678) or a valid number for the site's country.")
		}
		return v
	}
	c.Phone = phone("contact.phone", rc.Phone)
	c.WhatsApp = phone("contact.whatsapp", rc.WhatsApp)
	if s, ok := n.text("contact.cpf", rc.CPF, 0); ok && s != "" {
		v, err := NormalizeCPF(s)
		if err != nil {
			n.add("contact.cpf", codeInvalidCPF, "Must be a CPF (11 digits) or CNPJ (14 digits) with valid check digits.")
		}
		c.CPF = v
	}
	c.Attributes = n.attributes(rc.Attributes)
	return c
}

func (n *normalizer) attributes(in map[string]any) map[string]string {
	const field = "contact.attributes"
	count := 0
	for _, v := range in {
		if v != nil {
			count++
		}
	}
	if count > MaxAttributes {
		n.add(field, codeTooMany, fmt.Sprintf("At most %d attributes per capture.", MaxAttributes))
		return nil
	}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out map[string]string
	seen := map[string]string{}
	for _, k := range keys {
		if !utf8.ValidString(k) {
			n.add(field, codeInvalid, "Attribute names must be valid UTF-8 text.")
			continue
		}
		f := field + "." + k
		if !ValidAttributeKey(k) {
			n.add(f, codeInvalid, fmt.Sprintf("Attribute names are 1 to %d characters of letters, digits, '_', '.' or '-'.", MaxAttrKeyLen))
			continue
		}
		lk := strings.ToLower(k)
		v, ok := n.attrValue(f, in[k])
		if !ok || v == "" {
			continue
		}
		if other, dup := seen[lk]; dup {
			n.add(f, codeInvalid, fmt.Sprintf("Attribute names are case-insensitive; %q is given twice.", other))
			continue
		}
		seen[lk] = k
		if out == nil {
			out = map[string]string{}
		}
		out[lk] = v
	}
	return out
}

// attrValue stringifies one attribute value. "" with ok means "ignore".
func (n *normalizer) attrValue(field string, v any) (string, bool) {
	var s string
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		s = x
	case json.Number:
		s = x.String()
	case bool:
		s = strconv.FormatBool(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			n.add(field, codeInvalid, "Must be a finite number.")
			return "", false
		}
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return n.attrValue(field, float64(x))
	case int:
		s = strconv.FormatInt(int64(x), 10)
	case int8:
		s = strconv.FormatInt(int64(x), 10)
	case int16:
		s = strconv.FormatInt(int64(x), 10)
	case int32:
		s = strconv.FormatInt(int64(x), 10)
	case int64:
		s = strconv.FormatInt(x, 10)
	case uint:
		s = strconv.FormatUint(uint64(x), 10)
	case uint8:
		s = strconv.FormatUint(uint64(x), 10)
	case uint16:
		s = strconv.FormatUint(uint64(x), 10)
	case uint32:
		s = strconv.FormatUint(uint64(x), 10)
	case uint64:
		s = strconv.FormatUint(x, 10)
	default:
		n.add(field, codeInvalidType, "Must be a string, number, boolean or null, not an object or array.")
		return "", false
	}
	return n.multiline(field, s, MaxAttrValueLen)
}

func (n *normalizer) url(field, s string) string {
	s, ok := n.text(field, s, 0)
	if !ok || s == "" {
		return ""
	}
	if code, detail := checkURL(s); code != "" {
		n.add(field, code, detail)
		return ""
	}
	return s
}

// timestamp parses an RFC 3339 time no later than MaxFutureSkew after now and
// no earlier than the Unix epoch, and returns it in UTC.
func (n *normalizer) timestamp(field, s string) (time.Time, bool) {
	s, ok := n.text(field, s, 0)
	if !ok || s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		n.add(field, codeInvalidTime, "Must be an RFC 3339 time such as 2026-11-20T14:03:00Z.")
		return time.Time{}, false
	}
	if t.After(n.now.Add(MaxFutureSkew)) {
		n.add(field, codeInvalidTime, "Must not be more than 5 minutes in the future.")
		return time.Time{}, false
	}
	if t.Before(time.Unix(0, 0)) {
		n.add(field, codeInvalidTime, "Must not be before 1970.")
		return time.Time{}, false
	}
	return t.UTC(), true
}

func (n *normalizer) touch(nav RequestNavigation, meta Meta, method lead.EntryMethod, siteID string) lead.Touch {
	t := lead.Touch{At: n.now, EntryMethod: method, SiteID: siteID}
	t.PageURL = n.url("navigation.page_url", nav.PageURL)
	t.LandingURL = n.url("navigation.landing_url", nav.LandingURL)
	t.GeneratedAtURL = n.url("navigation.generated_at_url", nav.GeneratedAtURL)
	t.Referrer = n.url("navigation.referrer", nav.Referrer)

	t.UTMSource, _ = n.text("navigation.utm_source", nav.UTMSource, MaxUTMLen)
	t.UTMMedium, _ = n.text("navigation.utm_medium", nav.UTMMedium, MaxUTMLen)
	t.UTMCampaign, _ = n.text("navigation.utm_campaign", nav.UTMCampaign, MaxUTMLen)
	t.UTMTerm, _ = n.text("navigation.utm_term", nav.UTMTerm, MaxUTMLen)
	t.UTMContent, _ = n.text("navigation.utm_content", nav.UTMContent, MaxUTMLen)
	t.GCLID, _ = n.text("navigation.gclid", nav.GCLID, MaxUTMLen)
	t.FBCLID, _ = n.text("navigation.fbclid", nav.FBCLID, MaxUTMLen)
	// Parameters missing from the body come from page_url, then landing_url,
	// one parameter at a time.
	for _, u := range []string{t.PageURL, t.LandingURL} {
		if u == "" {
			continue
		}
		p := ParseURLParams(u)
		fill(&t.UTMSource, p.UTMSource)
		fill(&t.UTMMedium, p.UTMMedium)
		fill(&t.UTMCampaign, p.UTMCampaign)
		fill(&t.UTMTerm, p.UTMTerm)
		fill(&t.UTMContent, p.UTMContent)
		fill(&t.GCLID, p.GCLID)
		fill(&t.FBCLID, p.FBCLID)
	}

	if at, ok := n.timestamp("navigation.first_contact_at", nav.FirstContactAt); ok {
		t.FirstContactAt = &at
	}
	if ua, ok := n.text("navigation.user_agent", nav.UserAgent, MaxUserAgentLen); ok && ua != "" {
		t.UserAgent = ua
	} else if ok {
		t.UserAgent = sanitizeMeta(meta.UserAgent, MaxUserAgentLen)
	}
	if loc, ok := n.text("navigation.locale", nav.Locale, MaxLocaleLen); ok && loc != "" {
		if strings.ContainsFunc(loc, func(r rune) bool {
			return !(r == '-' || r == '_' || r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)))
		}) {
			n.add("navigation.locale", codeInvalid, "Must be a language tag such as pt-BR.")
		} else {
			t.Locale = loc
		}
	}

	t.IP = sanitizeMeta(meta.IP, maxGenericMetaLen)
	t.Country = sanitizeMeta(meta.Country, maxGenericMetaLen)
	t.Region = sanitizeMeta(meta.Region, maxGenericMetaLen)
	t.City = sanitizeMeta(meta.City, maxGenericMetaLen)
	return t
}

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// sanitizeMeta cleans a value the HTTP layer read from headers: it is not
// the client's body, so it is repaired and cut rather than refused.
func sanitizeMeta(s string, max int) string {
	s = strings.TrimSpace(text.Sanitize(s, false))
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max])
	}
	return s
}

func (n *normalizer) conversation(msgs []RequestMessage) []lead.Message {
	if len(msgs) > MaxMessages {
		n.add("conversation", codeTooMany, fmt.Sprintf(
			"At most %d messages per capture; send longer transcripts in several captures with the same external_id.", MaxMessages))
		return nil
	}
	var out []lead.Message
	for i, m := range msgs {
		f := fmt.Sprintf("conversation[%d]", i)
		msg := lead.Message{At: n.now}
		ok := true
		if from, good := n.text(f+".from", m.From, 0); !good {
			ok = false
		} else {
			switch sp := lead.Speaker(strings.ToLower(from)); sp {
			case lead.SpeakerBot, lead.SpeakerVisitor, lead.SpeakerAgent:
				msg.From = sp
			case "":
				n.add(f+".from", codeRequired, "Say who wrote the message: bot, visitor or agent.")
				ok = false
			default:
				n.add(f+".from", codeNotAllowed, "Must be one of bot, visitor or agent.")
				ok = false
			}
		}
		if text, good := n.multiline(f+".text", m.Text, MaxMessageLen); !good {
			ok = false
		} else if text == "" {
			n.add(f+".text", codeRequired, "Must not be empty.")
			ok = false
		} else {
			msg.Text = text
		}
		if !isBlank(m.At) {
			if at, good := n.timestamp(f+".at", m.At); good {
				msg.At = at
			} else {
				ok = false
			}
		}
		if ok {
			out = append(out, msg)
		}
	}
	return out
}

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

// consent checks a consent record: its text is required (what the person
// was shown is the record's point), its time defaults to the capture's and
// its page to the capture's page.
func (n *normalizer) consent(rc *RequestConsent, page string) *lead.Consent {
	if rc == nil {
		return nil
	}
	c := &lead.Consent{Checked: rc.Checked, At: n.now, Page: page}
	var ok bool
	if c.Text, ok = n.multiline("consent.text", rc.Text, lead.MaxConsentText); ok && c.Text == "" {
		n.add("consent.text", codeRequired, "The consent text shown to the person is required.")
	}
	if t, ok := n.timestamp("consent.at", rc.At); ok {
		c.At = t
	}
	if rc.Page != "" {
		if len(rc.Page) > lead.MaxConsentPage {
			n.add("consent.page", codeTooLong, fmt.Sprintf("At most %d characters.", lead.MaxConsentPage))
		} else if p := n.url("consent.page", rc.Page); p != "" {
			c.Page = p
		}
	}
	return c
}
