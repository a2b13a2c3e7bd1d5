package capture

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/text"
)

// DecodeJSON reads the JSON body of POST /v1/capture/leads. Malformed JSON
// is reported on the field "body"; a value of the wrong type (or a string
// that is not valid UTF-8) on its JSON path ("contact.email",
// "conversation[2].at"), every one at once, as a *lead.InvalidError. Unknown
// fields are ignored so that clients may send more than this version knows.
// Keys match exactly (snake_case, as in api.md). Attribute values are
// decoded as string, json.Number, bool or nil; objects and arrays are kept
// for Normalize to refuse.
func DecodeJSON(body []byte) (Request, error) {
	var req Request
	d := &decoder{}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			d.add("body", codeInvalidType, "The body must be a JSON object.")
		} else {
			d.add("body", codeInvalid, "The body is not valid JSON.")
		}
		return req, d.errs.Err()
	}
	d.str(top, "source", "", &req.Source)
	d.str(top, "external_id", "", &req.ExternalID)

	if c := d.obj(top, "contact", ""); c != nil {
		const p = "contact."
		d.str(c, "name", p, &req.Contact.Name)
		d.str(c, "email", p, &req.Contact.Email)
		d.str(c, "phone", p, &req.Contact.Phone)
		d.str(c, "whatsapp", p, &req.Contact.WhatsApp)
		d.str(c, "cpf", p, &req.Contact.CPF)
		req.Contact.Attributes = d.attributes(c["attributes"])
	}
	if nv := d.obj(top, "navigation", ""); nv != nil {
		const p = "navigation."
		n := &req.Navigation
		for k, dst := range map[string]*string{
			"page_url": &n.PageURL, "landing_url": &n.LandingURL,
			"generated_at_url": &n.GeneratedAtURL, "referrer": &n.Referrer,
			"utm_source": &n.UTMSource, "utm_medium": &n.UTMMedium,
			"utm_campaign": &n.UTMCampaign, "utm_term": &n.UTMTerm,
			"utm_content": &n.UTMContent, "gclid": &n.GCLID, "fbclid": &n.FBCLID,
			"first_contact_at": &n.FirstContactAt, "user_agent": &n.UserAgent,
			"locale": &n.Locale,
		} {
			d.str(nv, k, p, dst)
		}
	}
	if raw, ok := top["conversation"]; ok && !isNull(raw) {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			d.add("conversation", codeInvalidType, "Must be an array of messages.")
		} else {
			req.Conversation = make([]RequestMessage, len(items))
			for i, item := range items {
				f := fmt.Sprintf("conversation[%d]", i)
				var m map[string]json.RawMessage
				if isNull(item) || json.Unmarshal(item, &m) != nil {
					d.add(f, codeInvalidType, "Must be an object with from, text and at.")
					continue
				}
				d.str(m, "from", f+".", &req.Conversation[i].From)
				d.str(m, "text", f+".", &req.Conversation[i].Text)
				d.str(m, "at", f+".", &req.Conversation[i].At)
			}
		}
	}
	if c := d.obj(top, "consent", ""); c != nil {
		const p = "consent."
		req.Consent = &RequestConsent{}
		d.str(c, "text", p, &req.Consent.Text)
		d.str(c, "at", p, &req.Consent.At)
		d.str(c, "page", p, &req.Consent.Page)
		if raw, ok := c["checked"]; ok && !isNull(raw) {
			if json.Unmarshal(raw, &req.Consent.Checked) != nil {
				d.add(p+"checked", codeInvalidType, "Must be true or false.")
			}
		}
	}
	if err := d.errs.Err(); err != nil {
		// Sort for stable output: map iteration above is random.
		sortFieldErrors(d.errs.Errors)
		return Request{}, err
	}
	return req, nil
}

func sortFieldErrors(errs []lead.FieldError) {
	slices.SortStableFunc(errs, func(a, b lead.FieldError) int { return cmp.Compare(a.Field, b.Field) })
}

type decoder struct{ errs lead.InvalidError }

func (d *decoder) add(field, code, detail string) { d.errs.Add(field, code, detail) }

func isNull(raw json.RawMessage) bool {
	return string(bytes.TrimSpace(raw)) == "null"
}

// obj returns the object under key in m, nil when absent or null.
func (d *decoder) obj(m map[string]json.RawMessage, key, prefix string) map[string]json.RawMessage {
	raw, ok := m[key]
	if !ok || isNull(raw) {
		return nil
	}
	var o map[string]json.RawMessage
	if err := json.Unmarshal(raw, &o); err != nil {
		d.add(prefix+key, codeInvalidType, "Must be an object.")
		return nil
	}
	return o
}

// str decodes the string under key in m into dst; absent and null leave
// dst alone.
func (d *decoder) str(m map[string]json.RawMessage, key, prefix string, dst *string) {
	raw, ok := m[key]
	if !ok || isNull(raw) {
		return
	}
	s, code := decodeString(raw)
	switch code {
	case codeInvalidType:
		d.add(prefix+key, code, "Must be a string.")
	case codeInvalid:
		d.add(prefix+key, code, "Must be valid UTF-8 text.")
	default:
		*dst = s
	}
}

// decodeString decodes a JSON string with text.UnquoteJSON, which refuses
// invalid UTF-8 (and lone surrogates) that encoding/json would silently
// turn into U+FFFD. The second result is the field error code, if any.
func decodeString(raw json.RawMessage) (string, string) {
	s, err := text.UnquoteJSON(raw)
	switch {
	case errors.Is(err, text.ErrInvalidUTF8):
		return "", codeInvalid
	case err != nil:
		return "", codeInvalidType
	}
	return s, ""
}

// attributes decodes the attributes object: string values are checked for
// UTF-8 like every string, numbers kept as json.Number.
func (d *decoder) attributes(raw json.RawMessage) map[string]any {
	const field = "contact.attributes"
	if raw == nil || isNull(raw) {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		d.add(field, codeInvalidType, "Must be an object of names to values.")
		return nil
	}
	out := make(map[string]any, len(m))
	allValid := true
	for k, v := range m {
		f := field + "." + k
		v = bytes.TrimSpace(v)
		if !utf8.Valid(v) {
			allValid = false
		}
		switch {
		case len(v) > 0 && v[0] == '"':
			s, code := decodeString(v)
			if code != "" {
				d.add(f, code, "Must be valid UTF-8 text.")
				continue
			}
			out[k] = s
		default:
			dec := json.NewDecoder(bytes.NewReader(v))
			dec.UseNumber()
			var x any
			if err := dec.Decode(&x); err != nil {
				d.add(f, codeInvalidType, "Must be a string, number, boolean or null.")
				continue
			}
			out[k] = x
		}
	}
	if allValid && !utf8.Valid(raw) {
		// The bad bytes are in a name, which encoding/json has replaced.
		d.add(field, codeInvalid, "Attribute names must be valid UTF-8 text.")
	}
	return out
}

// FromForm builds a request from a plain HTML form post. The known fields
// name, email, phone, whatsapp, cpf, external_id, utm_source, utm_medium,
// utm_campaign, utm_term, utm_content, gclid, fbclid, page_url, landing_url,
// generated_at_url, referrer and locale map onto the request (first non-empty
// value); a non-empty honeypot field _hp sets honeypot; _redirect is returned
// as is (the caller checks it against the site's origins); other fields
// starting with "_" are ignored, and every other field with a non-blank
// value becomes a contact attribute (several values joined with ", ").
// Source is "form". A consent_text field with a consent checkbox makes a
// consent record (see RequestConsent).
func FromForm(v url.Values) (req Request, honeypot bool, redirect string) {
	req.Source = string(lead.EntryForm)
	first := func(k string) string {
		for _, s := range v[k] {
			if strings.TrimSpace(s) != "" {
				return s
			}
		}
		return ""
	}
	n := &req.Navigation
	known := map[string]*string{
		"name": &req.Contact.Name, "email": &req.Contact.Email,
		"phone": &req.Contact.Phone, "whatsapp": &req.Contact.WhatsApp,
		"cpf": &req.Contact.CPF, "external_id": &req.ExternalID,
		"utm_source": &n.UTMSource, "utm_medium": &n.UTMMedium,
		"utm_campaign": &n.UTMCampaign, "utm_term": &n.UTMTerm,
		"utm_content": &n.UTMContent, "gclid": &n.GCLID, "fbclid": &n.FBCLID,
		"page_url": &n.PageURL, "landing_url": &n.LandingURL,
		"generated_at_url": &n.GeneratedAtURL, "referrer": &n.Referrer,
		"locale": &n.Locale,
	}
	if text := first("consent_text"); text != "" {
		// A checkbox named consent (checked: any value but false/off/0)
		// beside the text the form showed, in a field named consent_text.
		c := strings.ToLower(strings.TrimSpace(first("consent")))
		req.Consent = &RequestConsent{Text: text, Checked: c != "" && c != "false" && c != "off" && c != "0"}
	}
	for k := range v {
		if k == "consent" || k == "consent_text" {
			continue
		}
		if dst, ok := known[k]; ok {
			*dst = first(k)
			continue
		}
		switch {
		case k == "_hp":
			honeypot = first(k) != ""
		case k == "_redirect":
			redirect = strings.TrimSpace(first(k))
		case strings.HasPrefix(k, "_"):
		default:
			var vals []string
			for _, s := range v[k] {
				if s = strings.TrimSpace(s); s != "" {
					vals = append(vals, s)
				}
			}
			if len(vals) == 0 {
				continue
			}
			if req.Contact.Attributes == nil {
				req.Contact.Attributes = map[string]any{}
			}
			req.Contact.Attributes[k] = strings.Join(vals, ", ")
		}
	}
	return req, honeypot, redirect
}
