package lead

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadflow/leadflow/internal/account"
)

// Patch is a partial update from the console. nil = not given. For
// SubState, OwnerID and contact fields "" clears.
type Patch struct {
	Name     *string
	Rating   *int
	State    *State
	SubState *string
	OwnerID  *string
	// Contact fields are already normalized by the caller (E.164, lower-case
	// e-mail, CPF digits); "" clears.
	Email, Phone, WhatsApp, CPF *string
	// Attributes set or, with a nil (or empty) value, remove extra contact
	// attributes. Names are lower-cased.
	Attributes map[string]*string
	// Classification sets ("" clears) the classification.
	Classification *Classification
	// Tags replaces the tags; AddTags and RemoveTags change some (applied
	// after Tags). Tags are normalized with NormalizeTag.
	Tags                *[]string
	AddTags, RemoveTags []string
	// Groups replaces the group ids; AddGroups and RemoveGroups change some.
	// The caller checks the ids name groups of the account.
	Groups                  *[]string
	AddGroups, RemoveGroups []string
}

// Limits shared with capture.
const (
	maxNameLen      = 200
	maxAttrKeyLen   = 64
	maxAttrValueLen = 1024
)

var patchAttrKeyRE = regexp.MustCompile(`^[a-z0-9_.-]+$`)

// Empty reports whether p changes nothing at all.
func (p Patch) Empty() bool {
	return p.Name == nil && p.Rating == nil && p.State == nil && p.SubState == nil &&
		p.OwnerID == nil && p.Email == nil && p.Phone == nil && p.WhatsApp == nil &&
		p.CPF == nil && len(p.Attributes) == 0 && p.Classification == nil &&
		p.Tags == nil && len(p.AddTags) == 0 && len(p.RemoveTags) == 0 &&
		p.Groups == nil && len(p.AddGroups) == 0 && len(p.RemoveGroups) == 0
}

// Apply validates p against the account's pipeline, changes l, and returns
// one history entry per changed field (Action "updated", Field "name",
// "rating", "state", "sub_state", "owner_id", "contact.email",
// "contact.phone", "contact.whatsapp", "contact.cpf" or
// "contact.attributes.<k>", Before/After the old/new values, nil for empty).
//
// It returns a *InvalidError, leaving l untouched, for an empty or too long
// name (codes required, too_long), a rating outside 0..5 (invalid), an
// unknown state (not_allowed), a sub-state not configured for the (new)
// state (not_allowed), or a bad attribute name or value. A state change
// without a sub-state clears the old sub-state (recorded). No-op fields
// produce no entry. UpdatedAt becomes now when anything changed; Version is
// left to the store. A state change by a user (ActorUser) also cancels the
// pending scheduled change, with a "change_cancelled" entry whose Reason is
// ReasonManualStateChange.
func (l *Lead) Apply(p Patch, actor Actor, acct account.Account, now time.Time) ([]Event, error) {
	var bad InvalidError

	var name string
	if p.Name != nil {
		name = strings.Join(strings.Fields(*p.Name), " ")
		switch {
		case !utf8.ValidString(name):
			bad.Add("name", "invalid", "Must be valid UTF-8 text.")
		case name == "":
			bad.Add("name", "required", "The name must not be empty.")
		case utf8.RuneCountInString(name) > maxNameLen:
			bad.Add("name", "too_long", fmt.Sprintf("Must be at most %d characters.", maxNameLen))
		}
	}
	if p.Rating != nil && (*p.Rating < 0 || *p.Rating > MaxRating) {
		bad.Add("rating", "invalid", fmt.Sprintf("Must be between 0 and %d.", MaxRating))
	}
	state := l.State
	if p.State != nil {
		if !p.State.Valid() {
			bad.Add("state", "not_allowed", "Must be one of new, in_progress, sale or no_sale.")
		} else {
			state = *p.State
		}
	}
	// The sub-state after the patch: given, or cleared by a state change.
	sub := l.SubState
	switch {
	case p.SubState != nil:
		sub = strings.TrimSpace(*p.SubState)
		if !acct.AllowsSubState(string(state), sub) {
			bad.Add("sub_state", "not_allowed", fmt.Sprintf("Sub-state %q is not configured for state %q.", sub, state))
		}
	case state != l.State:
		sub = ""
	}
	attrs := map[string]string{} // lower-cased name → new value ("" removes)
	for _, k := range slices.Sorted(maps.Keys(p.Attributes)) {
		lk := strings.ToLower(strings.TrimSpace(k))
		f := "contact.attributes." + k
		if len(lk) > maxAttrKeyLen || !patchAttrKeyRE.MatchString(lk) {
			bad.Add(f, "invalid", fmt.Sprintf("Attribute names are 1 to %d characters of letters, digits, '_', '.' or '-'.", maxAttrKeyLen))
			continue
		}
		var v string
		if pv := p.Attributes[k]; pv != nil {
			v = strings.TrimSpace(*pv)
		}
		if !utf8.ValidString(v) {
			bad.Add(f, "invalid", "Must be valid UTF-8 text.")
			continue
		}
		if utf8.RuneCountInString(v) > maxAttrValueLen {
			bad.Add(f, "too_long", fmt.Sprintf("Must be at most %d characters.", maxAttrValueLen))
			continue
		}
		attrs[lk] = v
	}
	checkAttributeCaps(&bad, l.Contact.Attributes, attrs)
	if p.Classification != nil && *p.Classification != "" && !p.Classification.Valid() {
		bad.Add("classification", "not_allowed", "Must be one of male, female, press or company (null clears).")
	}
	tags := setOps(&bad, "tags", l.Tags, p.Tags, p.AddTags, p.RemoveTags, MaxTags, NormalizeTag, ValidTag)
	groups := setOps(&bad, "groups", l.Groups, p.Groups, p.AddGroups, p.RemoveGroups, MaxGroups,
		strings.TrimSpace, func(g string) bool { return g != "" && !strings.Contains(g, "#") })
	if err := bad.Err(); err != nil {
		return nil, err
	}

	var events []Event
	record := func(field string, before, after any) {
		events = append(events, Event{
			ID: NewID(PrefixEvent, now), At: now, Actor: actor,
			Action: ActionUpdated, Field: field, Before: before, After: after,
		})
	}
	// A user's edit of the name or contact data marks the field, so
	// captures never overwrite it (see Absorb).
	byUser := actor.Type == ActorUser
	mark := func(field, v string) {
		if byUser && (field == "name" || strings.HasPrefix(field, "contact.")) {
			l.markUser(field, v)
		}
	}
	setString := func(field string, dst *string, v string) {
		if *dst == v {
			return
		}
		record(field, orNil(*dst), orNil(v))
		*dst = v
		mark(field, v)
	}
	if p.Name != nil {
		setString("name", &l.Name, name)
	}
	if p.Rating != nil && *p.Rating != l.Rating {
		record("rating", l.Rating, *p.Rating)
		l.Rating = *p.Rating
	}
	if state != l.State {
		record("state", orNil(string(l.State)), orNil(string(state)))
		l.State = state
		if actor.Type == ActorUser && l.ScheduledChange != nil {
			// A person decided: the change scheduled earlier must not
			// undo it later. Cancelled in the same write, with its entry.
			events = append(events, l.cancelScheduleFor(actor, now, ReasonManualStateChange))
		}
	}
	setString("sub_state", &l.SubState, sub)
	if p.OwnerID != nil {
		setString("owner_id", &l.OwnerID, strings.TrimSpace(*p.OwnerID))
	}
	for _, f := range []struct {
		field string
		dst   *string
		v     *string
	}{
		{"contact.email", &l.Contact.Email, p.Email},
		{"contact.phone", &l.Contact.Phone, p.Phone},
		{"contact.whatsapp", &l.Contact.WhatsApp, p.WhatsApp},
		{"contact.cpf", &l.Contact.CPF, p.CPF},
	} {
		if f.v != nil {
			setString(f.field, f.dst, strings.TrimSpace(*f.v))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		v := attrs[k]
		old := l.Contact.Attributes[k]
		if old == v {
			continue
		}
		record("contact.attributes."+k, orNil(old), orNil(v))
		mark("contact.attributes."+k, v)
		if v == "" {
			delete(l.Contact.Attributes, k)
			if len(l.Contact.Attributes) == 0 {
				l.Contact.Attributes = nil
			}
			continue
		}
		if l.Contact.Attributes == nil {
			l.Contact.Attributes = map[string]string{}
		}
		l.Contact.Attributes[k] = v
	}
	if p.Classification != nil && *p.Classification != l.Classification {
		record("classification", orNil(string(l.Classification)), orNil(string(*p.Classification)))
		l.Classification = *p.Classification
	}
	if !slices.Equal(tags, l.Tags) {
		record("tags", listOrNil(l.Tags), listOrNil(tags))
		l.Tags = tags
	}
	if !slices.Equal(groups, l.Groups) {
		record("groups", listOrNil(l.Groups), listOrNil(groups))
		l.Groups = groups
	}
	if len(events) > 0 {
		l.UpdatedAt = now
	}
	return events, nil
}

// checkAttributeCaps refuses a change of attributes (name → new value, ""
// removes) that takes the lead past MaxLeadAttributes or
// MaxLeadAttributeBytes. A lead already past a cap (stored before the caps
// existed) may still change as long as it does not grow.
func checkAttributeCaps(bad *InvalidError, cur, change map[string]string) {
	if len(change) == 0 {
		return
	}
	after := maps.Clone(cur)
	if after == nil {
		after = map[string]string{}
	}
	for k, v := range change {
		if v == "" {
			delete(after, k)
		} else {
			after[k] = v
		}
	}
	if n := len(after); n > MaxLeadAttributes && n > len(cur) {
		bad.Add("contact.attributes", "too_many", attributeCapDetail)
	} else if b := AttributeBytes(after); b > MaxLeadAttributeBytes && b > AttributeBytes(cur) {
		bad.Add("contact.attributes", "too_large", attributeCapDetail)
	}
}

// setOps computes a tag or group set: replaced by set (when given), then
// add, then remove; normalized, unique, sorted; nil when empty.
func setOps(bad *InvalidError, field string, cur []string, set *[]string, add, remove []string, max int,
	normalize func(string) string, valid func(string) bool) []string {
	out := slices.Clone(cur)
	if set != nil {
		out = nil
	}
	ok := true
	put := func(vs []string) {
		for _, v := range vs {
			v = normalize(v)
			if !valid(v) {
				bad.Add(field, "invalid", fmt.Sprintf("%q is not a valid value for %s.", v, field))
				ok = false
				continue
			}
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	if set != nil {
		put(*set)
	}
	put(add)
	for _, v := range remove {
		v = normalize(v)
		out = slices.DeleteFunc(out, func(x string) bool { return x == v })
	}
	if ok && len(out) > max {
		bad.Add(field, "too_many", fmt.Sprintf("A lead holds at most %d %s.", max, field))
	}
	slices.Sort(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

func listOrNil(v []string) any {
	if len(v) == 0 {
		return nil
	}
	return v
}

// orNil maps the empty string to nil, so history shows "no value" as null.
func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}
