package merge

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/leadflow/leadflow/internal/lead"
)

// Why a value won.
const (
	WhySame         = "same"          // every lead that has the field agrees
	WhyNonEmpty     = "non_empty"     // the only lead with a value
	WhyUserEdited   = "user_edited"   // a user typed it; the others were captured
	WhyNewer        = "newer"         // from the lead changed most recently
	WhySurvivor     = "survivor"      // a tie: the surviving lead keeps its own
	WhyEarliest     = "earliest"      // first touch, creation: the earliest
	WhyLatest       = "latest"        // last touch: the latest
	WhyMax          = "max"           // rating: the highest
	WhyUnion        = "union"         // tags, groups, external ids, consents: all of them
	WhySum          = "sum"           // interaction counts add up
	WhyMostAdvanced = "most_advanced" // pipeline state: the furthest along
)

// MaxAbsorb bounds the leads one merge absorbs.
const MaxAbsorb = 10

// Field is one field of the merged lead: the value it takes, the lead it
// comes from ("" when combined from several) and why.
type Field struct {
	Field string `json:"field"`
	Value any    `json:"value"`
	From  string `json:"from,omitempty"`
	Why   string `json:"why"`
}

// Plan is a merge decided: the surviving lead as it will be stored, each
// field with why, and the absorbed leads as tombstones.
type Plan struct {
	MergeID    string
	Result     lead.Lead
	Fields     []Field
	Tombstones []lead.Lead
	// Events are the history entries: Result's first, then one per tombstone.
	Events map[string]lead.Event
}

// ConflictError refuses a merge of leads whose strong keys differ.
type ConflictError struct {
	LeadID    string
	Conflicts []Conflict
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("lead %s holds a different %s: not the same person (an admin may force the merge)", e.LeadID, e.Conflicts[0].Kind)
}

// History actions of a merge.
const (
	ActionMerged     = "merged"      // on the survivor: After {merge_id, absorbed}
	ActionMergedInto = "merged_into" // on each absorbed lead: After {merge_id, lead_id}
)

// stateRank orders the pipeline by how far along a lead is.
func stateRank(s lead.State) int {
	switch s {
	case lead.StateSale:
		return 3
	case lead.StateNoSale:
		return 2
	case lead.StateInProgress:
		return 1
	}
	return 0
}

// Resolve merges absorbed into survivor. The survivor keeps its id,
// contact id and version history (its version goes up by one); the rules,
// field by field:
//
//   - Name, contact fields and attributes: a non-empty value beats an
//     empty one; a user-edited value beats a captured one; then the lead
//     changed most recently wins; a tie keeps the survivor's.
//   - First touch, entry method, site and created_at: the earliest lead's;
//     last touch: the latest.
//   - Rating: the highest. State (with its sub-state): the most advanced
//     (sale, no_sale, in_progress, new).
//   - Owner, classification, scheduled change: the survivor's, else the
//     first absorbed lead's that has one.
//   - Tags, groups, external ids, consents: the union (capped).
//     Interactions: the sum. Test: only when every lead is a test lead.
//
// Strong-key conflicts (two CPFs) refuse the merge with *ConflictError
// unless force. Deleted, merged or repeated leads are invalid input.
func Resolve(mergeID string, survivor lead.Lead, absorbed []lead.Lead, force bool, actor lead.Actor, now time.Time) (Plan, error) {
	bad := &lead.InvalidError{}
	switch {
	case len(absorbed) == 0:
		bad.Add("absorb", "required", "name at least one lead to absorb")
	case len(absorbed) > MaxAbsorb:
		bad.Add("absorb", "too_many", fmt.Sprintf("at most %d leads per merge", MaxAbsorb))
	}
	seen := map[string]bool{survivor.ID: true}
	for i, a := range absorbed {
		f := fmt.Sprintf("absorb[%d]", i)
		switch {
		case seen[a.ID]:
			bad.Add(f, "duplicate", "a lead may appear once, and not be the surviving lead")
		case a.DeletedAt != nil || a.MergedInto != "":
			bad.Add(f, "deleted", "lead "+a.ID+" is deleted or already merged")
		}
		seen[a.ID] = true
	}
	if survivor.DeletedAt != nil {
		bad.Add("id", "deleted", "the surviving lead is deleted")
	}
	if err := bad.Err(); err != nil {
		return Plan{}, err
	}
	if !force {
		for _, a := range absorbed {
			if c := Conflicts(survivor, a); len(c) > 0 {
				return Plan{}, &ConflictError{LeadID: a.ID, Conflicts: c}
			}
		}
	}
	all := append([]lead.Lead{survivor}, absorbed...)
	r := &resolver{all: all, out: clone(survivor)}
	r.resolve()
	res := r.out
	res.Version, res.UpdatedAt = survivor.Version+1, now
	p := Plan{MergeID: mergeID, Result: res, Fields: r.fields, Events: map[string]lead.Event{}}
	ids := make([]string, len(absorbed))
	for i, a := range absorbed {
		ids[i] = a.ID
		t := clone(a)
		at := now
		t.DeletedAt, t.MergedInto, t.MergeID = &at, survivor.ID, mergeID
		t.Version, t.UpdatedAt = a.Version+1, now
		p.Tombstones = append(p.Tombstones, t)
		p.Events[a.ID] = lead.Event{
			ID: lead.NewID(lead.PrefixEvent, now), At: now, Actor: actor, Action: ActionMergedInto,
			After: map[string]any{"merge_id": mergeID, "lead_id": survivor.ID},
		}
	}
	p.Events[survivor.ID] = lead.Event{
		ID: lead.NewID(lead.PrefixEvent, now), At: now, Actor: actor, Action: ActionMerged,
		After: map[string]any{"merge_id": mergeID, "absorbed": ids},
	}
	return p, nil
}

func clone(l lead.Lead) lead.Lead {
	l.Contact.Attributes = maps.Clone(l.Contact.Attributes)
	l.Provenance = maps.Clone(l.Provenance)
	l.ExternalIDs = slices.Clone(l.ExternalIDs)
	l.Tags = slices.Clone(l.Tags)
	l.Groups = slices.Clone(l.Groups)
	l.Consents = slices.Clone(l.Consents)
	l.ExtraKeys = lead.CloneKeys(l.ExtraKeys)
	l.SharedKeys = lead.CloneKeys(l.SharedKeys)
	return l
}

type resolver struct {
	all    []lead.Lead // survivor first
	out    lead.Lead
	fields []Field
}

func (r *resolver) note(field string, v any, from, why string) {
	r.fields = append(r.fields, Field{Field: field, Value: v, From: from, Why: why})
}

func (r *resolver) resolve() {
	r.text("name", func(l *lead.Lead) *string { return &l.Name })
	r.text("contact.email", func(l *lead.Lead) *string { return &l.Contact.Email })
	r.text("contact.phone", func(l *lead.Lead) *string { return &l.Contact.Phone })
	r.text("contact.whatsapp", func(l *lead.Lead) *string { return &l.Contact.WhatsApp })
	r.text("contact.cpf", func(l *lead.Lead) *string { return &l.Contact.CPF })
	var attrs []string
	for _, l := range r.all {
		for k := range l.Contact.Attributes {
			if !slices.Contains(attrs, k) {
				attrs = append(attrs, k)
			}
		}
	}
	slices.Sort(attrs)
	for _, k := range attrs {
		if len(r.out.Contact.Attributes) >= lead.MaxLeadAttributes && r.out.Contact.Attributes[k] == "" {
			continue
		}
		r.text("contact.attributes."+k, func(l *lead.Lead) *string {
			if l.Contact.Attributes == nil {
				l.Contact.Attributes = map[string]string{}
			}
			v := l.Contact.Attributes[k]
			return &v
		})
	}
	r.touches()
	r.rating()
	r.state()
	r.firstSet("owner_id", func(l *lead.Lead) *string { return &l.OwnerID })
	first := func(l *lead.Lead) *string { s := string(l.Classification); return &s }
	if i := r.firstWith(first); i >= 0 {
		r.out.Classification = r.all[i].Classification
		r.note("classification", string(r.out.Classification), r.all[i].ID, whyFirst(i))
	}
	if r.out.ScheduledChange == nil {
		for _, l := range r.all[1:] {
			if l.ScheduledChange != nil {
				c := *l.ScheduledChange
				r.out.ScheduledChange = &c
				r.note("scheduled_change", c, l.ID, WhyNonEmpty)
				break
			}
		}
	}
	r.unions()
}

// text resolves one string field; get returns a pointer into a lead (for
// attributes, a copy: the winner is written back through set).
func (r *resolver) text(field string, get func(*lead.Lead) *string) {
	type cand struct {
		i    int
		v    string
		user bool
		at   time.Time
	}
	var cs []cand
	for i := range r.all {
		l := r.all[i]
		if v := *get(&l); v != "" {
			cs = append(cs, cand{i, v, l.SetBy(field) == lead.ProvenanceUser, l.UpdatedAt})
		}
	}
	if len(cs) == 0 {
		return
	}
	distinct := false
	for _, c := range cs[1:] {
		distinct = distinct || c.v != cs[0].v
	}
	var win cand
	why := WhySame
	switch {
	case !distinct:
		win = cs[0]
		if len(cs) < len(r.all) {
			why = WhyNonEmpty
		}
	default:
		slices.SortStableFunc(cs, func(a, b cand) int {
			if a.user != b.user {
				if a.user {
					return -1
				}
				return 1
			}
			return cmp.Or(b.at.Compare(a.at), cmp.Compare(a.i, b.i))
		})
		win = cs[0]
		var next cand // the best value that lost
		for _, c := range cs[1:] {
			if c.v != win.v {
				next = c
				break
			}
		}
		switch {
		case win.user && !next.user:
			why = WhyUserEdited
		case win.at.After(next.at):
			why = WhyNewer
		default:
			why = WhySurvivor
		}
	}
	r.set(field, win.v, r.all[win.i].SetBy(field) == lead.ProvenanceUser)
	r.note(field, win.v, r.all[win.i].ID, why)
}

// set writes a resolved text field and its provenance on the result.
func (r *resolver) set(field, v string, user bool) {
	o := &r.out
	switch field {
	case "name":
		o.Name = v
	case "contact.email":
		o.Contact.Email = v
	case "contact.phone":
		o.Contact.Phone = v
	case "contact.whatsapp":
		o.Contact.WhatsApp = v
	case "contact.cpf":
		o.Contact.CPF = v
	default:
		k, _ := strings.CutPrefix(field, "contact.attributes.")
		if o.Contact.Attributes == nil {
			o.Contact.Attributes = map[string]string{}
		}
		o.Contact.Attributes[k] = v
	}
	if user {
		if o.Provenance == nil {
			o.Provenance = map[string]string{}
		}
		o.Provenance[field] = lead.ProvenanceUser
	} else if o.Provenance != nil {
		delete(o.Provenance, field)
		if len(o.Provenance) == 0 {
			o.Provenance = nil
		}
	}
}

func (r *resolver) touches() {
	first, last := 0, 0
	for i, l := range r.all {
		if l.FirstTouch.At.Before(r.all[first].FirstTouch.At) {
			first = i
		}
		if l.LastTouch.At.After(r.all[last].LastTouch.At) {
			last = i
		}
	}
	created := 0
	for i, l := range r.all {
		if l.CreatedAt.Before(r.all[created].CreatedAt) {
			created = i
		}
	}
	f, l, c := r.all[first], r.all[last], r.all[created]
	r.out.FirstTouch, r.out.EntryMethod, r.out.SiteID = f.FirstTouch, f.EntryMethod, f.SiteID
	r.out.LastTouch = l.LastTouch
	r.out.CreatedAt = c.CreatedAt
	r.note("first_touch", f.FirstTouch, f.ID, WhyEarliest)
	r.note("last_touch", l.LastTouch, l.ID, WhyLatest)
	r.note("created_at", c.CreatedAt, c.ID, WhyEarliest)
}

func (r *resolver) rating() {
	best := 0
	for i, l := range r.all {
		if l.Rating > r.all[best].Rating {
			best = i
		}
	}
	r.out.Rating = r.all[best].Rating
	r.note("rating", r.out.Rating, r.all[best].ID, WhyMax)
}

func (r *resolver) state() {
	best := 0
	for i, l := range r.all {
		if stateRank(l.State) > stateRank(r.all[best].State) {
			best = i
		}
	}
	r.out.State, r.out.SubState = r.all[best].State, r.all[best].SubState
	r.note("state", r.out.State, r.all[best].ID, WhyMostAdvanced)
}

func (r *resolver) firstWith(get func(*lead.Lead) *string) int {
	for i := range r.all {
		l := r.all[i]
		if *get(&l) != "" {
			return i
		}
	}
	return -1
}

func (r *resolver) firstSet(field string, get func(*lead.Lead) *string) {
	if i := r.firstWith(get); i >= 0 {
		l := r.all[i]
		v := *get(&l)
		*get(&r.out) = v
		r.note(field, v, l.ID, whyFirst(i))
	}
}

func (r *resolver) unions() {
	var tags, groups, ext []string
	test := true
	sum := 0
	var consents []lead.Consent
	for _, l := range r.all {
		tags = appendNew(tags, l.Tags...)
		groups = appendNew(groups, l.Groups...)
		ext = appendNew(ext, l.ExternalIDs...)
		test = test && l.Test
		sum += l.Interactions
		consents = append(consents, l.Consents...)
	}
	o := &r.out
	o.Tags, o.Groups, o.ExternalIDs = capped(tags, lead.MaxTags), capped(groups, lead.MaxGroups), capped(ext, lead.MaxLeadExternalIDs)
	o.Test, o.Interactions = test, sum
	slices.SortStableFunc(consents, func(a, b lead.Consent) int { return a.At.Compare(b.At) })
	o.Consents = nil
	for _, c := range consents {
		o.AddConsent(c)
	}
	var c lead.CounterDelta
	for _, l := range r.all {
		c = c.Add(lead.CounterDelta{Occurrences: l.Occurrences, Tickets: l.Tickets})
	}
	o.Occurrences, o.Tickets = c.Occurrences, c.Tickets
	o.Sentiment = o.Occurrences.Sentiment()
	r.keys()
	r.note("tags", nonNil(o.Tags), "", WhyUnion)
	r.note("groups", nonNil(o.Groups), "", WhyUnion)
	r.note("interactions", sum, "", WhySum)
	if len(o.Consents) > 0 {
		r.note("consents", o.Consents, "", WhyUnion)
	}
}

func appendNew(dst []string, vs ...string) []string {
	for _, v := range vs {
		if !slices.Contains(dst, v) {
			dst = append(dst, v)
		}
	}
	return dst
}

func capped(v []string, n int) []string {
	if len(v) == 0 {
		return nil
	}
	return v[:min(len(v), n)]
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func whyFirst(i int) string {
	if i == 0 {
		return WhySurvivor
	}
	return WhyNonEmpty
}

// Moves counts what a merge moves to the survivor (or re-points at it),
// by kind, and what it drops.
type Moves struct {
	Notes        int `json:"notes"`
	History      int `json:"history"`
	Messages     int `json:"messages"`
	Tasks        int `json:"tasks"`
	Keys         int `json:"keys"`
	Interactions int `json:"interactions"`
	Duplicates   int `json:"duplicates"`
	// ScheduledChangesDropped are absorbed leads' pending changes that do
	// not survive (the survivor keeps its own, or the first absorbed one).
	ScheduledChangesDropped int         `json:"scheduled_changes_dropped"`
	Attribution             Attribution `json:"attribution"`
}

// Attribution says how reports change: the absorbed leads stop counting,
// the survivor counts from its (possibly earlier) first touch.
type Attribution struct {
	StopCounting   []string   `json:"stop_counting"`
	FirstTouchFrom string     `json:"first_touch_from"`
	FirstTouch     lead.Touch `json:"first_touch"`
	CountedOn      string     `json:"counted_on"` // the UTC day the survivor counts on
}

// PrefixMerge prefixes merge ids.
const PrefixMerge = "mrg_"

// UndoWindow is how long a merge can be undone.
const UndoWindow = 30 * 24 * time.Hour

// Request asks for a merge of Absorb into Survivor (DryRun: decide and
// show, write nothing; Force: merge despite strong-key conflicts, admins).
type Request struct {
	Survivor string
	Absorb   []string
	Force    bool
	DryRun   bool
	Actor    lead.Actor
}

// Outcome is a merge decided (dry run) or done.
type Outcome struct {
	MergeID string
	Lead    lead.Lead
	Fields  []Field
	Moves   Moves
}

// Change is one thing that changed since a merge, which its undo would
// overwrite.
type Change struct {
	LeadID string `json:"lead_id,omitempty"`
	Item   string `json:"item"`   // "lead", "note nt_…", "key email:…", …
	Change string `json:"change"` // edited, added, deleted
	Detail string `json:"detail"`
}

// UndoConflictError refuses an undo: things changed since the merge.
type UndoConflictError struct{ Changes []Change }

func (e *UndoConflictError) Error() string {
	return fmt.Sprintf("%d item(s) changed since the merge, first: %s", len(e.Changes), e.Changes[0].Detail)
}

// UndoStateError refuses an undo of a merge already undone or past its window.
type UndoStateError struct{ Reason string }

func (e *UndoStateError) Error() string { return e.Reason }

// keys gives the result every identity key of every lead: the contact
// fields hold the values that won, every other value of a unique kind
// goes to ExtraKeys and of a non-unique (account) kind to SharedKeys, so
// the merged lead's keys are the union and every key item the merge
// re-points is named by it.
func (r *resolver) keys() {
	o := &r.out
	shared := map[string]bool{}
	for _, l := range r.all {
		for kind := range l.SharedKeys {
			shared[kind] = true
		}
	}
	contact := map[string]string{lead.KeyEmail: o.Contact.Email, lead.KeyPhone: o.Contact.Phone, lead.KeyWhatsApp: o.Contact.WhatsApp, lead.KeyCPF: o.Contact.CPF}
	o.ExtraKeys, o.SharedKeys = nil, nil
	add := func(m *map[string][]string, kind, v string) {
		if *m == nil {
			*m = map[string][]string{}
		}
		if !slices.Contains((*m)[kind], v) {
			(*m)[kind] = append((*m)[kind], v)
		}
	}
	n := 0
	for _, l := range r.all {
		km := l.KeyMap()
		for _, kind := range slices.Sorted(maps.Keys(km)) {
			for _, v := range km[kind] {
				switch {
				case contact[kind] == v:
				case shared[kind] && slices.Contains(l.SharedKeys[kind], v):
					add(&o.SharedKeys, kind, v)
				default:
					add(&o.ExtraKeys, kind, v)
				}
				n++
			}
		}
	}
	if n > 0 {
		r.note("keys", o.KeyMap(), "", WhyUnion)
	}
}
