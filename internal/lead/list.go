package lead

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/leadflow/leadflow/internal/text"
)

// Classification says what kind of contact a lead is.
type Classification string

const (
	ClassMale    Classification = "male"
	ClassFemale  Classification = "female"
	ClassPress   Classification = "press"
	ClassCompany Classification = "company"
)

// Classifications lists the valid classifications.
var Classifications = []Classification{ClassMale, ClassFemale, ClassPress, ClassCompany}

// Valid reports whether c is a known classification ("" is not).
func (c Classification) Valid() bool { return slices.Contains(Classifications, c) }

// Limits on tags and groups: each one is an index entry written in the
// lead's transaction (100 actions at most), so they are bounded.
const (
	MaxTags      = 20
	MaxGroups    = 20
	MaxTagLen    = 50
	maxQueryToks = 8
	// MaxFilterLen caps every text filter (q included), in characters.
	MaxFilterLen = 200
)

// Sort is a list order.
type Sort string

const (
	SortNewest            Sort = "newest"
	SortOldest            Sort = "oldest"
	SortName              Sort = "name"
	SortMostInteractions  Sort = "most_interactions"
	SortLeastInteractions Sort = "least_interactions"
	// SortOccurrences and SortOccurrencesDesc are api.md's names for the
	// same orders: fewest and most interactions (occurrences of any
	// polarity) first.
	SortOccurrences     Sort = "occurrences"
	SortOccurrencesDesc Sort = "-occurrences"
)

// Sorts lists the valid orders; the first is the default.
var Sorts = []Sort{SortNewest, SortOldest, SortName, SortMostInteractions, SortLeastInteractions, SortOccurrences, SortOccurrencesDesc}

// Valid reports whether s is a known order.
func (s Sort) Valid() bool { return slices.Contains(Sorts, s) }

// OwnerUnassigned in Filter.Owner selects leads without an owner.
const OwnerUnassigned = "unassigned"

// Filter selects leads of a list. Empty fields do not filter. Text values
// are matched folded (case and accents ignored); source, medium and
// campaign match either the first or the last touch.
type Filter struct {
	CreatedFrom    *time.Time     `json:"created_from,omitempty"`
	CreatedTo      *time.Time     `json:"created_to,omitempty"` // exclusive
	EntryMethod    EntryMethod    `json:"entry_method,omitempty"`
	Site           string         `json:"site,omitempty"`
	Source         string         `json:"source,omitempty"`
	Medium         string         `json:"medium,omitempty"`
	Campaign       string         `json:"campaign,omitempty"`
	State          State          `json:"state,omitempty"`
	SubState       string         `json:"sub_state,omitempty"`
	Owner          string         `json:"owner,omitempty"` // user id or "unassigned"
	RatingMin      int            `json:"rating_min,omitempty"`
	Classification Classification `json:"classification,omitempty"`
	Group          string         `json:"group,omitempty"`
	Tag            string         `json:"tag,omitempty"`
	Q              string         `json:"q,omitempty"`
	CPF            string         `json:"cpf,omitempty"` // digits only
	// Sentiment is the dominant polarity (Occurrences.Dominant);
	// TicketStatus selects leads with at least one ticket in that status.
	Sentiment    string `json:"sentiment,omitempty"`
	TicketStatus string `json:"ticket_status,omitempty"`
}

// Query is a filter with its order: what a list, its neighbors, a bulk
// action on a filter and an export all take.
type Query struct {
	Filter Filter `json:"filter"`
	Sort   Sort   `json:"sort,omitempty"`
}

// Validate checks the values a caller gave; field names are the list's
// query parameters.
func (q Query) Validate() error {
	var bad InvalidError
	f := q.Filter
	if q.Sort != "" && !q.Sort.Valid() {
		bad.Add("sort", "not_allowed", "sort must be one of newest, oldest, name, most_interactions, least_interactions, occurrences, -occurrences.")
	}
	if f.Sentiment != "" && !slices.Contains([]string{PolarityPositive, PolarityNeutral, PolarityNegative}, f.Sentiment) {
		bad.Add("sentiment", "not_allowed", "sentiment must be one of positive, neutral, negative.")
	}
	if f.TicketStatus != "" && !slices.Contains([]string{TicketOpen, TicketAnswered, TicketFinished}, f.TicketStatus) {
		bad.Add("ticket_status", "not_allowed", "ticket_status must be one of open, answered, finished.")
	}
	if f.EntryMethod != "" && !slices.Contains([]EntryMethod{EntryChatbot, EntryForm, EntryAPI, EntryMetaLeadAds, EntryGoogleAds, EntryImport, EntryManual}, f.EntryMethod) {
		bad.Add("entry_method", "not_allowed", "entry_method must be one of chatbot, form, api, meta_lead_ads, google_ads, import.")
	}
	if f.State != "" && !f.State.Valid() {
		bad.Add("state", "not_allowed", "state must be one of new, in_progress, sale, no_sale.")
	}
	if f.SubState != "" && f.State == "" {
		bad.Add("sub_state", "requires_state", "sub_state filters within a state; give state too.")
	}
	if f.RatingMin < 0 || f.RatingMin > MaxRating {
		bad.Add("rating_min", "invalid", fmt.Sprintf("rating_min must be between 0 and %d.", MaxRating))
	}
	if f.Classification != "" && !f.Classification.Valid() {
		bad.Add("classification", "not_allowed", "classification must be one of male, female, press, company.")
	}
	if f.CreatedFrom != nil && f.CreatedTo != nil && !f.CreatedFrom.Before(*f.CreatedTo) {
		bad.Add("created_to", "invalid", "created_to must be after created_from.")
	}
	// Text values end up in index sort keys (DynamoDB allows 1,024 bytes):
	// each is capped, in characters, well below that.
	for _, t := range []struct{ field, v string }{
		{"q", f.Q}, {"source", f.Source}, {"medium", f.Medium}, {"campaign", f.Campaign}, {"site", f.Site},
		{"sub_state", f.SubState}, {"owner", f.Owner}, {"group", f.Group}, {"tag", f.Tag}, {"cpf", f.CPF},
	} {
		if clean, fe := text.Clean(t.field, t.v, text.Rule{Max: MaxFilterLen}); fe != nil {
			bad.Add(fe.Field, fe.Code, fe.Detail)
		} else if clean != t.v {
			bad.Add(t.field, "invalid", "Must not hold control characters or surrounding spaces.")
		}
	}
	if len(QueryTokens(f.Q)) > maxQueryToks {
		bad.Add("q", "too_long", fmt.Sprintf("q takes at most %d words.", maxQueryToks))
	}
	return bad.Err()
}

// SortOrDefault returns the order, newest when none was given.
func (q Query) SortOrDefault() Sort {
	if q.Sort == "" {
		return SortNewest
	}
	return q.Sort
}

// Matches reports whether l passes every condition of f. Deleted leads
// never match.
func (f Filter) Matches(l Lead) bool {
	if l.DeletedAt != nil {
		return false
	}
	if f.CreatedFrom != nil && l.CreatedAt.Before(*f.CreatedFrom) {
		return false
	}
	if f.CreatedTo != nil && !l.CreatedAt.Before(*f.CreatedTo) {
		return false
	}
	if f.EntryMethod != "" && l.EntryMethod != f.EntryMethod {
		return false
	}
	if f.Site != "" && l.SiteID != f.Site {
		return false
	}
	touch := func(want string, get func(Touch) string) bool {
		w := Fold(want)
		return Fold(get(l.FirstTouch)) == w || Fold(get(l.LastTouch)) == w
	}
	if f.Source != "" && !touch(f.Source, func(t Touch) string { return t.UTMSource }) {
		return false
	}
	if f.Medium != "" && !touch(f.Medium, func(t Touch) string { return t.UTMMedium }) {
		return false
	}
	if f.Campaign != "" && !touch(f.Campaign, func(t Touch) string { return t.UTMCampaign }) {
		return false
	}
	if f.State != "" && l.State != f.State {
		return false
	}
	if f.SubState != "" && l.SubState != f.SubState {
		return false
	}
	switch {
	case f.Owner == OwnerUnassigned:
		if l.OwnerID != "" {
			return false
		}
	case f.Owner != "":
		if l.OwnerID != f.Owner {
			return false
		}
	}
	if f.RatingMin > 0 && l.Rating < f.RatingMin {
		return false
	}
	if f.Classification != "" && l.Classification != f.Classification {
		return false
	}
	if f.Group != "" && !slices.Contains(l.Groups, f.Group) {
		return false
	}
	if f.Tag != "" && !slices.Contains(l.Tags, NormalizeTag(f.Tag)) {
		return false
	}
	if f.CPF != "" && l.Contact.CPF != f.CPF {
		return false
	}
	if f.Sentiment != "" && l.Occurrences.Dominant() != f.Sentiment {
		return false
	}
	if f.TicketStatus != "" && !slices.Contains(l.Tickets.Statuses(), f.TicketStatus) {
		return false
	}
	if f.Q != "" && !MatchesSearch(l, f.Q) {
		return false
	}
	return true
}

// Fold lower-cases s, strips accents (NFD, drop combining marks) and trims
// it: "  João " → "joao". Search keys, tags and folded index values use it.
func Fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(strings.TrimSpace(out))
}

// NormalizeTag is the stored form of a tag: folded (lower case, no
// accents), inner whitespace collapsed to one space. "  Black  FRIDAY "
// and "black friday" are the same tag; so are "promoção" and "promocao".
func NormalizeTag(s string) string {
	return strings.Join(strings.Fields(Fold(s)), " ")
}

// ValidTag reports whether a normalized tag may be stored.
func ValidTag(t string) bool {
	if t == "" || len([]rune(t)) > MaxTagLen {
		return false
	}
	for _, r := range t {
		if r == '#' || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// SearchTokens are the folded words a lead is found by with q: the words
// of its name, its e-mail (whole), and its phone numbers as digits (with
// and without the country code). Sorted and unique.
func SearchTokens(l Lead) []string {
	var toks []string
	add := func(t string) {
		if t != "" && !slices.Contains(toks, t) && len(toks) < 2*maxQueryToks {
			toks = append(toks, t)
		}
	}
	for _, w := range nameWords(l.Name) {
		add(w)
	}
	add(Fold(l.Contact.Email))
	for _, p := range []string{l.Contact.Phone, l.Contact.WhatsApp} {
		d := digits(p)
		add(d)
		if len(d) > 11 { // national number without the country code
			add(d[len(d)-11:])
		}
		if len(d) > 9 {
			add(d[len(d)-9:]) // subscriber number without the area code
		}
	}
	slices.Sort(toks)
	return toks
}

func nameWords(name string) []string {
	return strings.FieldsFunc(Fold(name), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '-'
	})
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// QueryTokens splits a search into folded prefixes: an e-mail stays whole,
// a phone-like string ("(11) 91234-5678") becomes its digits, anything
// else splits into words.
func QueryTokens(q string) []string {
	q = Fold(q)
	if q == "" {
		return nil
	}
	if strings.Contains(q, "@") {
		return []string{strings.Join(strings.Fields(q), "")}
	}
	if d := digits(q); len(d) >= 3 && strings.Trim(q, "0123456789 +-().") == "" {
		return []string{d}
	}
	return nameWords(q)
}

// SearchPrefix is the query token read from the search index: the longest
// one, as the most selective.
func SearchPrefix(q string) string {
	var best string
	for _, t := range QueryTokens(q) {
		if len(t) > len(best) {
			best = t
		}
	}
	return best
}

// MatchesSearch reports whether every query token prefixes one of the
// lead's search tokens.
func MatchesSearch(l Lead, q string) bool {
	toks := SearchTokens(l)
	for _, qt := range QueryTokens(q) {
		if !slices.ContainsFunc(toks, func(t string) bool { return strings.HasPrefix(t, qt) }) {
			return false
		}
	}
	return true
}

// FirstSearchToken is the first of l's search tokens with prefix p. A lead
// appears once per search token in the search index; a read keeps only the
// entry of this token, so no lead is listed twice.
func FirstSearchToken(l Lead, p string) string {
	for _, t := range SearchTokens(l) {
		if strings.HasPrefix(t, p) {
			return t
		}
	}
	return ""
}

type deletedKey struct{}

// WithDeleted marks ctx as allowed to change soft-deleted leads (restore);
// without it a store treats them as not found.
func WithDeleted(ctx context.Context) context.Context {
	return context.WithValue(ctx, deletedKey{}, true)
}

// DeletedAllowed reports whether ctx came from WithDeleted.
func DeletedAllowed(ctx context.Context) bool {
	v, _ := ctx.Value(deletedKey{}).(bool)
	return v
}

// SoftDelete hides l from lists and detail; Restore brings it back within
// RestoreWindow. Identity keys stay with the lead, so a new capture of the
// same person finds (and restores) it instead of creating a duplicate.
func (l *Lead) SoftDelete(actor Actor, now time.Time) []Event {
	if l.DeletedAt != nil {
		return nil
	}
	t := now
	l.DeletedAt, l.UpdatedAt = &t, now
	return []Event{{ID: NewID(PrefixEvent, now), At: now, Actor: actor, Action: ActionDeleted}}
}

// Restore undoes a soft delete; ErrNotFound once RestoreWindow has passed.
func (l *Lead) Restore(actor Actor, now time.Time) ([]Event, error) {
	if l.DeletedAt == nil {
		return nil, nil
	}
	if l.MergedInto != "" {
		// A merge's tombstone comes back only with the merge's undo.
		return nil, &MergedError{ID: l.ID, Into: l.MergedInto}
	}
	if now.Sub(*l.DeletedAt) > RestoreWindow {
		return nil, ErrNotFound
	}
	l.DeletedAt, l.UpdatedAt = nil, now
	return []Event{{ID: NewID(PrefixEvent, now), At: now, Actor: actor, Action: ActionRestored}}, nil
}
