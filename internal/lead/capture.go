package lead

import (
	"errors"
	"maps"
	"slices"
	"time"
)

// ErrIdentityTaken is returned when a change would give a lead an identity
// key (e-mail, phone, CPF) that already belongs to another lead.
var ErrIdentityTaken = errors.New("identity key belongs to another lead")

// Keys returns the identity keys of a capture, strongest first: the per-site
// external id, then CPF/CNPJ, e-mail and phone numbers. A repeat capture is
// attached to the lead owning the first key that already exists.
func (c Capture) Keys() []IdentityKey {
	var keys []IdentityKey
	if c.ExternalID != "" {
		keys = append(keys, ExternalKey(c.SiteID, c.ExternalID))
	}
	return append(keys, ContactKeys(c.Contact)...)
}

// ExternalKey is the identity key of an external id, scoped to its site.
func ExternalKey(siteID, externalID string) IdentityKey {
	return IdentityKey{Kind: "ext", Value: siteID + "#" + externalID}
}

// ContactKeys returns the identity keys contact data gives: CPF/CNPJ, e-mail,
// and phone numbers (phone and WhatsApp share the "phone" kind, so a person
// reached on either is the same person). Values must already be normalized.
func ContactKeys(c Contact) []IdentityKey {
	var keys []IdentityKey
	add := func(kind, v string) {
		if v == "" {
			return
		}
		k := IdentityKey{Kind: kind, Value: v}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	add("cpf", c.CPF)
	add("email", c.Email)
	add("phone", c.Phone)
	add("phone", c.WhatsApp)
	return keys
}

// Keys returns every identity key a stored lead holds.
func (l Lead) Keys() []IdentityKey {
	var keys []IdentityKey
	for _, ext := range l.ExternalIDs {
		keys = append(keys, IdentityKey{Kind: "ext", Value: ext})
	}
	return append(keys, ContactKeys(l.Contact)...)
}

// New builds the lead a first capture creates, and its "created" history
// entry. The capture's touch becomes both first and last touch.
func New(tenantID, leadID, contactID string, c Capture, now time.Time) (Lead, Event) {
	l := Lead{
		ID:           leadID,
		TenantID:     tenantID,
		ContactID:    contactID,
		Name:         c.Name,
		State:        StateNew,
		EntryMethod:  c.Touch.EntryMethod,
		SiteID:       c.SiteID,
		Contact:      c.Contact,
		FirstTouch:   c.Touch,
		LastTouch:    c.Touch,
		Interactions: 1,
		Test:         c.Test,
		Version:      1,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	l.Contact.Attributes = maps.Clone(c.Contact.Attributes)
	if c.ExternalID != "" {
		l.ExternalIDs = []string{ExternalKey(c.SiteID, c.ExternalID).Value}
	}
	ev := Event{
		ID:     NewID(PrefixEvent, now),
		At:     now,
		Actor:  Actor{Type: ActorSystem, ID: string(c.Touch.EntryMethod)},
		Action: ActionCreated,
		After:  c.Touch,
	}
	return l, ev
}

// Absorb merges a repeat capture of the same person into l. The first touch
// never changes; the capture becomes the last touch and is kept in history.
// Contact data the lead lacks is filled in (an agent's edits are never
// overwritten), bot-collected attributes are set, and each value that
// changed gets its own history entry.
//
// keyTaken reports whether an identity key already belongs to another lead;
// such a value is not copied onto l, so one person never steals another's
// e-mail or phone.
func (l *Lead) Absorb(c Capture, now time.Time, keyTaken func(IdentityKey) bool) []Event {
	actor := Actor{Type: ActorSystem, ID: string(c.Touch.EntryMethod)}
	events := []Event{{
		ID: NewID(PrefixEvent, now), At: now, Actor: actor,
		Action: ActionCaptured, After: c.Touch,
	}}
	change := func(field string, before, after any) {
		events = append(events, Event{
			ID: NewID(PrefixEvent, now), At: now, Actor: actor,
			Action: ActionUpdated, Field: field, Before: before, After: after,
		})
	}
	fill := func(field string, dst *string, v, kind string) {
		if v == "" || *dst != "" {
			return
		}
		if kind != "" && keyTaken != nil && keyTaken(IdentityKey{Kind: kind, Value: v}) {
			return
		}
		*dst = v
		change(field, nil, v)
	}
	fill("name", &l.Name, c.Name, "")
	fill("contact.email", &l.Contact.Email, c.Contact.Email, "email")
	fill("contact.phone", &l.Contact.Phone, c.Contact.Phone, "phone")
	fill("contact.whatsapp", &l.Contact.WhatsApp, c.Contact.WhatsApp, "phone")
	fill("contact.cpf", &l.Contact.CPF, c.Contact.CPF, "cpf")

	for _, k := range slices.Sorted(maps.Keys(c.Contact.Attributes)) {
		v := c.Contact.Attributes[k]
		old, had := l.Contact.Attributes[k]
		if had && old == v {
			continue
		}
		if l.Contact.Attributes == nil {
			l.Contact.Attributes = map[string]string{}
		}
		l.Contact.Attributes[k] = v
		if had {
			change("contact.attributes."+k, old, v)
		} else {
			change("contact.attributes."+k, nil, v)
		}
	}
	if c.ExternalID != "" {
		ext := ExternalKey(c.SiteID, c.ExternalID).Value
		if !slices.Contains(l.ExternalIDs, ext) {
			l.ExternalIDs = append(l.ExternalIDs, ext)
		}
	}
	if l.DeletedAt != nil {
		// The person came back: a soft-deleted lead reappears.
		l.DeletedAt = nil
		events = append(events, Event{ID: NewID(PrefixEvent, now), At: now, Actor: actor, Action: ActionRestored})
	}
	l.LastTouch = c.Touch
	l.Interactions++
	l.UpdatedAt = now
	return events
}
