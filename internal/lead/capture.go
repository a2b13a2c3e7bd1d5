package lead

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
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
	return IdentityKey{Kind: KindExternal, Value: siteID + "#" + externalID}
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

// Keys returns every unique identity key a stored lead holds, as the
// store's key items name them (see ItemKind): external ids, the contact
// fields' keys, then ExtraKeys; each once. Keys of non-unique kinds are
// SharedKeyList.
func (l Lead) Keys() []IdentityKey {
	var keys []IdentityKey
	for _, ext := range l.ExternalIDs {
		keys = append(keys, IdentityKey{Kind: "ext", Value: ext})
	}
	keys = append(keys, ContactKeys(l.Contact)...)
	for _, k := range l.extraKeyList() {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// New builds the lead a first capture creates and its history: the
// "created" entry first, then, when the capture brought more than a lead
// holds (see MaxLeadAttributes), a capture_not_applied entry naming what
// was dropped. The capture's touch becomes both first and last touch.
func New(tenantID, leadID, contactID string, c Capture, now time.Time) (Lead, []Event) {
	l := Lead{
		ID:           leadID,
		TenantID:     tenantID,
		ContactID:    contactID,
		Name:         c.Name,
		State:        StateNew,
		EntryMethod:  c.Touch.EntryMethod,
		SiteID:       c.SiteID,
		Contact:      c.Contact,
		FirstTouch:   c.Touch.Clipped(),
		LastTouch:    c.Touch.Clipped(),
		Interactions: 1,
		Test:         c.Test,
		Version:      1,
		CreatedAt:    now,
		UpdatedAt:    now,
	}
	l.Contact.Attributes = nil
	if c.ExternalID != "" {
		l.ExternalIDs = []string{ExternalKey(c.SiteID, c.ExternalID).Value}
	}
	actor := Actor{Type: ActorSystem, ID: string(c.Touch.EntryMethod)}
	events := []Event{{
		ID:     NewID(PrefixEvent, now),
		At:     now,
		Actor:  actor,
		Action: ActionCreated,
		After:  c.Touch,
	}}
	if c.Consent != nil {
		l.AddConsent(*c.Consent)
	}
	a := absorber{l: &l}
	for _, k := range slices.Sorted(maps.Keys(c.Contact.Attributes)) {
		a.attribute(k, c.Contact.Attributes[k])
	}
	if len(a.notApplied) > 0 {
		events = append(events, a.notAppliedEvent(now, actor))
	}
	return l, events
}

// Absorb merges a repeat capture of the same person into l and returns its
// history: the "captured" entry (carrying the full touch) first, one
// "updated" entry per field it changed, and a capture_not_applied entry
// for the values it brought but did not apply. The rules (README, Capture):
//
//   - The first touch never changes; the capture becomes the last touch.
//   - Name, e-mail, phone, WhatsApp and CPF are filled only when empty.
//     An identity value that belongs to another lead (keyTaken) is never
//     copied, so one person never takes another's e-mail or phone.
//   - An attribute is set when the lead lacks it or a capture set it;
//     a user's value (Provenance) is never overwritten.
//   - Nothing grows past the per-lead caps (MaxLeadAttributes,
//     MaxLeadAttributeBytes, MaxLeadExternalIDs); what does not fit is
//     dropped and named in the capture_not_applied entry. The touch,
//     the conversation and the capture's own history entry always go in.
//
// More than maxAttributeEvents attribute changes become one "updated"
// entry for field "contact.attributes" (before and after maps of the
// changed names), so a capture's history stays a few items.
func (l *Lead) Absorb(c Capture, now time.Time, keyTaken func(IdentityKey) bool) []Event {
	actor := Actor{Type: ActorSystem, ID: string(c.Touch.EntryMethod)}
	events := []Event{{
		ID: NewID(PrefixEvent, now), At: now, Actor: actor,
		Action: ActionCaptured, After: c.Touch,
	}}
	a := absorber{l: l}
	fill := func(field string, dst *string, v, kind string) {
		switch {
		case v == "" || *dst == v:
		case kind != "" && keyTaken != nil && keyTaken(IdentityKey{Kind: kind, Value: v}):
			a.skip(field, NotApplied{Value: v, Reason: NotAppliedOtherLead})
		case *dst != "" && l.SetBy(field) == ProvenanceUser:
			a.skip(field, NotApplied{Value: v, Reason: NotAppliedUserEdited})
		case *dst != "":
			a.skip(field, NotApplied{Value: v, Reason: NotAppliedKeptExisting})
		default:
			*dst = v
			a.changed = append(a.changed, fieldChange{field, nil, v})
		}
	}
	fill("name", &l.Name, c.Name, "")
	fill("contact.email", &l.Contact.Email, c.Contact.Email, "email")
	fill("contact.phone", &l.Contact.Phone, c.Contact.Phone, "phone")
	fill("contact.whatsapp", &l.Contact.WhatsApp, c.Contact.WhatsApp, "phone")
	fill("contact.cpf", &l.Contact.CPF, c.Contact.CPF, "cpf")
	for _, k := range slices.Sorted(maps.Keys(c.Contact.Attributes)) {
		a.attribute(k, c.Contact.Attributes[k])
	}
	events = append(events, a.changeEvents(now, actor)...)

	if c.ExternalID != "" {
		ext := ExternalKey(c.SiteID, c.ExternalID).Value
		switch {
		case slices.Contains(l.ExternalIDs, ext):
		case len(l.ExternalIDs) >= MaxLeadExternalIDs:
			a.skip("external_id", NotApplied{Value: c.ExternalID, Reason: NotAppliedLeadLimit,
				Detail: fmt.Sprintf("A lead remembers at most %d external ids; this capture was attached by its contact data.", MaxLeadExternalIDs)})
		default:
			l.ExternalIDs = append(l.ExternalIDs, ext)
		}
	}
	if len(a.notApplied) > 0 {
		events = append(events, a.notAppliedEvent(now, actor))
	}
	if l.DeletedAt != nil {
		// The person came back: a soft-deleted lead reappears.
		l.DeletedAt = nil
		events = append(events, Event{ID: NewID(PrefixEvent, now), At: now, Actor: actor, Action: ActionRestored})
	}
	l.LastTouch = c.Touch.Clipped()
	if c.Consent != nil {
		l.AddConsent(*c.Consent)
	}
	l.Interactions++
	l.UpdatedAt = now
	return events
}

// maxAttributeEvents is how many attribute changes of one capture get an
// "updated" history entry each; more are recorded as one entry.
const maxAttributeEvents = 10

// absorber applies captured values to a lead within its caps, collecting
// what changed and what was not applied.
type absorber struct {
	l          *Lead
	changed    []fieldChange // name and contact fields, in order
	attrs      []fieldChange // attributes, in name order
	notApplied map[string]NotApplied
}

type fieldChange struct {
	field         string
	before, after any
}

func (a *absorber) skip(field string, n NotApplied) {
	if a.notApplied == nil {
		a.notApplied = map[string]NotApplied{}
	}
	a.notApplied[field] = n
}

// attribute sets attribute k to v unless a user set it or the lead's caps
// would be exceeded.
func (a *absorber) attribute(k, v string) {
	l := a.l
	field := "contact.attributes." + k
	old, had := l.Contact.Attributes[k]
	switch {
	case had && old == v:
		return
	case had && l.SetBy(field) == ProvenanceUser:
		a.skip(field, NotApplied{Value: v, Reason: NotAppliedUserEdited})
		return
	}
	count, size := len(l.Contact.Attributes), AttributeBytes(l.Contact.Attributes)+attributeSize(k, v)
	if had {
		size -= attributeSize(k, old)
	} else {
		count++
	}
	if count > MaxLeadAttributes || size > MaxLeadAttributeBytes {
		a.skip(field, NotApplied{Reason: NotAppliedLeadLimit, Detail: attributeCapDetail})
		return
	}
	if l.Contact.Attributes == nil {
		l.Contact.Attributes = map[string]string{}
	}
	l.Contact.Attributes[k] = v
	if had {
		a.attrs = append(a.attrs, fieldChange{field, old, v})
	} else {
		a.attrs = append(a.attrs, fieldChange{field, nil, v})
	}
}

// changeEvents returns one "updated" entry per change, attributes folded
// into one entry when there are more than maxAttributeEvents.
func (a *absorber) changeEvents(now time.Time, actor Actor) []Event {
	var events []Event
	add := func(field string, before, after any) {
		events = append(events, Event{
			ID: NewID(PrefixEvent, now), At: now, Actor: actor,
			Action: ActionUpdated, Field: field, Before: before, After: after,
		})
	}
	for _, c := range a.changed {
		add(c.field, c.before, c.after)
	}
	if len(a.attrs) <= maxAttributeEvents {
		for _, c := range a.attrs {
			add(c.field, c.before, c.after)
		}
		return events
	}
	before, after := map[string]any{}, map[string]any{}
	for _, c := range a.attrs {
		k := strings.TrimPrefix(c.field, "contact.attributes.")
		before[k], after[k] = c.before, c.after
	}
	add("contact.attributes", before, after)
	return events
}

func (a *absorber) notAppliedEvent(now time.Time, actor Actor) Event {
	return Event{
		ID: NewID(PrefixEvent, now), At: now, Actor: actor,
		Action: ActionCaptureNotApplied, After: a.notApplied,
	}
}
