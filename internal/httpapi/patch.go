package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/capture"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/text"
)

// readOnlyLeadFields may come back from a console that PATCHes the object it
// read; they are ignored rather than refused.
var readOnlyLeadFields = map[string]bool{
	"id": true, "contact_id": true, "version": true, "created_at": true, "updated_at": true,
	"entry_method": true, "site_id": true, "interactions": true, "navigation": true,
	"scheduled_change": true, "notes": true, "history": true, "conversation": true,
}

// contactFields may be sent inside "contact" or at the top level.
var contactFields = map[string]bool{"email": true, "phone": true, "whatsapp": true, "cpf": true, "attributes": true}

// decodePatch reads a PATCH /v1/leads/{id} body into a lead.Patch,
// normalizing contact data as capture does. JSON null clears a field. It
// returns every bad field it finds; a body that is not a JSON object is the
// single error on field "body".
func decodePatch(body []byte, acct account.Account) (lead.Patch, []lead.FieldError) {
	var p lead.Patch
	bad := &lead.InvalidError{}
	// The decoder's strictness (one object, nothing after it, UTF-8 named
	// by field) without its struct: null clears and absent leaves, so the
	// fields are read one by one below, and unknown ones refused by name.
	if fe := checkJSONObject(body); fe != nil {
		return p, []lead.FieldError{*fe}
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		bad.Add("body", "invalid", "The body must be a JSON object.")
		return p, bad.Errors
	}
	contact := map[string]json.RawMessage{}
	for k, v := range top {
		switch {
		case k == "contact":
			var c map[string]json.RawMessage
			if err := json.Unmarshal(v, &c); err != nil {
				bad.Add("contact", "invalid_type", "contact must be an object.")
				continue
			}
			for ck, cv := range c {
				if !contactFields[ck] && ck != "name" {
					bad.Add("contact."+ck, "unknown_field", "This field does not exist or cannot be changed.")
					continue
				}
				if ck == "name" { // a console may keep the name with the contact
					top["name"] = cv
					continue
				}
				contact[ck] = cv
			}
		case contactFields[k]:
			contact[k] = v
		case readOnlyLeadFields[k], k == "name", k == "rating", k == "state", k == "sub_state", k == "owner_id",
			k == "classification", k == "tags", k == "groups":
		case k == "": // found by FuzzDecodePatch: an error must name a field
			bad.Add("body", "unknown_field", "A field name is empty.")
		default:
			bad.Add(k, "unknown_field", "This field does not exist or cannot be changed.")
		}
	}

	if v, ok := top["name"]; ok {
		if s, ok := str(bad, "name", v, false); ok {
			// Collapsed to one line; empty and too long are Apply's to say.
			s, _ = text.Clean("name", s, text.Rule{Collapse: true})
			p.Name = &s
		}
	}
	if v, ok := top["rating"]; ok {
		var n int
		if err := json.Unmarshal(v, &n); err != nil {
			bad.Add("rating", "invalid_type", "rating must be a whole number from 0 to 5.")
		} else {
			p.Rating = &n
		}
	}
	if v, ok := top["state"]; ok {
		if s, ok := str(bad, "state", v, false); ok {
			st := lead.State(s)
			p.State = &st
		}
	}
	if v, ok := top["sub_state"]; ok {
		if s, ok := str(bad, "sub_state", v, true); ok {
			p.SubState = &s
		}
	}
	if v, ok := top["owner_id"]; ok {
		if s, ok := str(bad, "owner_id", v, true); ok {
			p.OwnerID = &s
		}
	}

	if v, ok := top["classification"]; ok {
		if s, ok := str(bad, "classification", v, true); ok {
			c := lead.Classification(s)
			p.Classification = &c
		}
	}
	for _, f := range []struct {
		name string
		dst  **[]string
	}{{"tags", &p.Tags}, {"groups", &p.Groups}} {
		v, ok := top[f.name]
		if !ok {
			continue
		}
		list := []string{}
		if string(bytes.TrimSpace(v)) != "null" {
			if err := json.Unmarshal(v, &list); err != nil {
				bad.Add(f.name, "invalid_type", f.name+" must be an array of strings (null clears).")
				continue
			}
		}
		for i := range list {
			cleanText(bad, fmt.Sprintf("%s[%d]", f.name, i), &list[i], text.Line)
		}
		*f.dst = &list
	}

	region := acct.Country
	if region == "" {
		region = "BR"
	}
	normalized := func(field string, norm func(string) (string, error), code string) *string {
		v, ok := contact[field]
		if !ok {
			return nil
		}
		s, ok := str(bad, "contact."+field, v, true)
		if !ok {
			return nil
		}
		if s == "" {
			return &s
		}
		n, err := norm(s)
		if err != nil {
			bad.Add("contact."+field, code, err.Error())
			return nil
		}
		return &n
	}
	p.Email = normalized("email", capture.NormalizeEmail, "invalid_email")
	phone := func(s string) (string, error) { return capture.NormalizePhone(s, region) }
	p.Phone = normalized("phone", phone, "invalid_phone")
	p.WhatsApp = normalized("whatsapp", phone, "invalid_phone")
	p.CPF = normalized("cpf", capture.NormalizeCPF, "invalid_cpf")

	if v, ok := contact["attributes"]; ok {
		var attrs map[string]*string
		if err := json.Unmarshal(v, &attrs); err != nil {
			bad.Add("contact.attributes", "invalid_type", "attributes must be an object of strings (null removes one).")
		} else if len(attrs) > capture.MaxAttributes {
			// Each change is a history entry in the update's one transaction.
			bad.Add("contact.attributes", "too_many", fmt.Sprintf("Change at most %d attributes per request.", capture.MaxAttributes))
		} else {
			p.Attributes = map[string]*string{}
			for k, v := range attrs {
				key := strings.ToLower(strings.TrimSpace(k))
				if !capture.ValidAttributeKey(key) {
					bad.Add("contact.attributes."+k, "invalid", "Attribute names are up to 64 letters, digits, _ . or -.")
					continue
				}
				if v != nil {
					c, fe := text.Clean("contact.attributes."+k, *v, text.Rule{Max: capture.MaxAttrValueLen, Multiline: true})
					if fe != nil {
						bad.Add(fe.Field, fe.Code, fe.Detail)
						continue
					}
					v = &c
				}
				p.Attributes[key] = v
			}
		}
	}
	return p, bad.Errors
}

// str decodes a JSON string and applies the single-line input-hygiene
// rule (checkJSONObject refused invalid UTF-8 already); null gives "" when
// nullable.
func str(bad *lead.InvalidError, field string, v json.RawMessage, nullable bool) (string, bool) {
	if string(bytes.TrimSpace(v)) == "null" {
		if nullable {
			return "", true
		}
		bad.Add(field, "required", field+" cannot be null.")
		return "", false
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		bad.Add(field, "invalid_type", field+" must be a string.")
		return "", false
	}
	// The widest single field is an e-mail (254); each field's own check
	// (name, phone, CPF, state, owner…) is tighter.
	s, fe := text.Clean(field, s, text.Rule{Max: capture.MaxEmailLen})
	if fe != nil {
		bad.Add(fe.Field, fe.Code, fe.Detail)
		return "", false
	}
	return s, true
}
