// Package settings validates and applies the console's account and site
// settings (GET/PATCH /v1/account, /v1/sites): name, IANA timezone, ISO
// 3166-1 alpha-2 country, sub-states with labels, allowed origins and rate
// limits. Every applied change returns one history entry per changed field,
// which the store writes in the same transaction as the change. Pure: no
// storage, no HTTP.
package settings

import (
	"crypto/rand"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // IANA names resolve in Lambda images without /usr/share/zoneinfo
	"unicode/utf8"

	"golang.org/x/text/language"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
)

// Limits of the settings fields.
const (
	MaxName             = 100
	MaxSubStates        = 30
	MaxSubStateLabel    = 60
	MaxOrigins          = 20
	MaxRateLimitPerMin  = 10000
	MinRateLimitPerMin  = 1
	SitePrefix          = "site_"
	SiteKeyPrefix       = "pk_"
	ActionAccountUpdate = "account_updated"
	ActionSiteCreated   = "site_created"
	ActionSiteUpdated   = "site_updated"
	ActionKeyRotated    = "site_key_rotated"
)

// subStateID is a sub-state id: lower-case letters, digits and underscores.
var subStateID = regexp.MustCompile(`^[a-z0-9][a-z0-9_]{0,39}$`)

// SubState is one sub-state of a pipeline state as the API shows it.
type SubState struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// SubStates returns an account's sub-states per state with their labels,
// every state present (an empty list when it has none).
func SubStates(a account.Account) map[string][]SubState {
	out := make(map[string][]SubState, len(lead.States))
	for _, st := range lead.States {
		list := []SubState{}
		for _, id := range a.SubStates[string(st)] {
			label := a.SubStateLabels[string(st)][id]
			if label == "" {
				label = id
			}
			list = append(list, SubState{ID: id, Label: label})
		}
		out[string(st)] = list
	}
	return out
}

// AccountPatch is a PATCH /v1/account body: nil fields stay as they are.
type AccountPatch struct {
	Name      *string                `json:"name"`
	Timezone  *string                `json:"timezone"`
	Country   *string                `json:"country"`
	SubStates *map[string][]SubState `json:"sub_states"`
}

// Apply validates p (every bad field in one *lead.InvalidError) and applies
// it to a, returning one history entry per changed field.
func (p AccountPatch) Apply(a *account.Account, actor lead.Actor, now time.Time) ([]lead.Event, error) {
	c := changes{event: lead.Event{At: now, Actor: actor, Action: ActionAccountUpdate}}
	c.name(p.Name, &a.Name)
	if p.Timezone != nil {
		if tz := strings.TrimSpace(*p.Timezone); !ValidTimezone(tz) {
			c.bad.Add("timezone", "invalid", "Not an IANA time zone name, such as America/Sao_Paulo.")
		} else {
			c.set("timezone", &a.Timezone, tz)
		}
	}
	c.country(p.Country, &a.Country)
	if p.SubStates != nil {
		ids, labels, errs := validSubStates(*a, *p.SubStates)
		c.bad.Errors = append(c.bad.Errors, errs...)
		if len(errs) == 0 {
			before := SubStates(*a)
			a.SubStates, a.SubStateLabels = ids, labels
			after := SubStates(*a)
			for _, st := range lead.States {
				if !slices.Equal(before[string(st)], after[string(st)]) {
					c.changed("sub_states."+string(st), before[string(st)], after[string(st)])
				}
			}
		}
	}
	return c.result()
}

// changes collects the history entries and field errors of one settings
// change.
type changes struct {
	event lead.Event // time, actor and action of every entry
	evs   []lead.Event
	bad   lead.InvalidError
}

func (c *changes) changed(field string, before, after any) {
	ev := c.event
	ev.Field, ev.Before, ev.After = field, before, after
	c.evs = append(c.evs, ev)
}

// setField stores v in *cur, recording the change when it is one.
func setField[T comparable](c *changes, field string, cur *T, v T) {
	if v != *cur {
		c.changed(field, *cur, v)
		*cur = v
	}
}

func (c *changes) set(field string, cur *string, v string) { setField(c, field, cur, v) }

// name sets a cleaned name (1 to MaxName characters).
func (c *changes) name(in *string, cur *string) {
	if in == nil {
		return
	}
	if name, ok := cleanName(*in); !ok {
		c.bad.Add("name", "invalid", "A name is 1 to 100 characters.")
	} else {
		c.set("name", cur, name)
	}
}

// country sets an ISO 3166-1 alpha-2 code.
func (c *changes) country(in *string, cur *string) {
	if in == nil {
		return
	}
	if code, ok := Country(*in); !ok {
		c.bad.Add("country", "invalid", "Not an ISO 3166-1 alpha-2 country code, such as BR.")
	} else {
		c.set("country", cur, code)
	}
}

func (c *changes) result() ([]lead.Event, error) {
	if err := c.bad.Err(); err != nil {
		return nil, err
	}
	return c.evs, nil
}

// validSubStates returns a's sub-states with the states in replaced (the
// states in leaves out keep theirs).
func validSubStates(a account.Account, in map[string][]SubState) (map[string][]string, map[string]map[string]string, []lead.FieldError) {
	var bad lead.InvalidError
	ids := map[string][]string{}
	labels := map[string]map[string]string{}
	for state, list := range a.SubStates {
		if _, replaced := in[state]; !replaced {
			ids[state] = list
			labels[state] = a.SubStateLabels[state]
		}
	}
	for state, list := range in {
		field := "sub_states." + state
		if !lead.State(state).Valid() {
			bad.Add(field, "invalid", "Not a pipeline state: new, in_progress, sale or no_sale.")
			continue
		}
		if len(list) > MaxSubStates {
			bad.Add(field, "too_many", "At most 30 sub-states per state.")
			continue
		}
		for i, ss := range list {
			f := field + "[" + strconv.Itoa(i) + "]"
			id := strings.TrimSpace(ss.ID)
			label, ok := cleanName(ss.Label)
			switch {
			case !subStateID.MatchString(id):
				bad.Add(f+".id", "invalid", "A sub-state id is 1 to 40 lower-case letters, digits or underscores.")
			case slices.Contains(ids[state], id):
				bad.Add(f+".id", "duplicate", "This id is already a sub-state of "+state+".")
			case !ok || utf8.RuneCountInString(label) > MaxSubStateLabel:
				bad.Add(f+".label", "invalid", "A label is 1 to 60 characters.")
			default:
				ids[state] = append(ids[state], id)
				if labels[state] == nil {
					labels[state] = map[string]string{}
				}
				labels[state][id] = label
			}
		}
	}
	return ids, labels, bad.Errors
}

// ValidTimezone reports whether tz is an IANA zone name ("UTC" included).
func ValidTimezone(tz string) bool {
	if tz == "" || tz == "Local" || strings.HasPrefix(tz, "/") || strings.Contains(tz, "..") {
		return false
	}
	_, err := time.LoadLocation(tz)
	return err == nil
}

// Country returns the upper-cased ISO 3166-1 alpha-2 code c, and whether it
// is one (assigned to a country; not "EU", "ZZ" or a numeric area).
func Country(c string) (string, bool) {
	c = strings.ToUpper(strings.TrimSpace(c))
	if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
		return "", false
	}
	r, err := language.ParseRegion(c)
	if err != nil || !r.IsCountry() || r.String() != c {
		return "", false
	}
	return c, true
}

// Origin normalizes a browser origin: scheme http or https, a host, an
// optional port, nothing else ("https://shop.example.com"); ok is false for
// anything that is not an origin.
func Origin(o string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(o))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" ||
		strings.HasSuffix(u.Host, ":") || strings.ContainsAny(u.Host, " *") {
		return "", false
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", false
		}
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

// SiteInput is a POST /v1/sites or PATCH /v1/sites/{id} body.
type SiteInput struct {
	Name               *string   `json:"name"`
	AllowedOrigins     *[]string `json:"allowed_origins"`
	RateLimitPerMinute *int      `json:"rate_limit_per_minute"`
	Country            *string   `json:"country"`
}

// NewSite validates in as a new site of acct (name required; country
// defaults to the account's, the rate limit to the default) and returns it
// with a fresh id and key, and its history entry.
func NewSite(in SiteInput, acct account.Account, actor lead.Actor, now time.Time) (account.Site, []lead.Event, error) {
	site := account.Site{
		ID: lead.NewID(SitePrefix, now), TenantID: acct.ID, Key: NewSiteKey(),
		Country: acct.Country, RateLimitPerMinute: account.DefaultRateLimitPerMinute, AllowedOrigins: []string{},
		CreatedAt: now, Version: 1,
	}
	var bad lead.InvalidError
	if in.Name == nil {
		bad.Add("name", "required", "A site needs a name.")
	}
	if _, err := in.Apply(&site, actor, now); err != nil {
		var inv *lead.InvalidError
		if !errors.As(err, &inv) {
			return site, nil, err
		}
		bad.Errors = append(bad.Errors, inv.Errors...)
	}
	if err := bad.Err(); err != nil {
		return site, nil, err
	}
	if site.Country == "" {
		site.Country = "BR"
	}
	return site, []lead.Event{{At: now, Actor: actor, Action: ActionSiteCreated, Field: "site", After: site.ID}}, nil
}

// Apply validates in and applies it to site, returning one history entry
// per changed field.
func (in SiteInput) Apply(site *account.Site, actor lead.Actor, now time.Time) ([]lead.Event, error) {
	c := changes{event: lead.Event{At: now, Actor: actor, Action: ActionSiteUpdated}}
	c.name(in.Name, &site.Name)
	if in.AllowedOrigins != nil {
		origins := []string{}
		ok := true
		if len(*in.AllowedOrigins) > MaxOrigins {
			c.bad.Add("allowed_origins", "too_many", "At most 20 origins.")
			ok = false
		}
		for i, o := range *in.AllowedOrigins {
			norm, valid := Origin(o)
			if !valid {
				c.bad.Add("allowed_origins["+strconv.Itoa(i)+"]", "invalid", "An origin is scheme://host[:port], such as https://shop.example.com.")
				ok = false
				continue
			}
			if !slices.Contains(origins, norm) {
				origins = append(origins, norm)
			}
		}
		if ok && !slices.Equal(origins, site.AllowedOrigins) {
			c.changed("allowed_origins", site.AllowedOrigins, origins)
			site.AllowedOrigins = origins
		}
	}
	if in.RateLimitPerMinute != nil {
		if n := *in.RateLimitPerMinute; n < MinRateLimitPerMin || n > MaxRateLimitPerMin {
			c.bad.Add("rate_limit_per_minute", "invalid", "Captures per visitor per minute: 1 to 10000.")
		} else {
			setField(&c, "rate_limit_per_minute", &site.RateLimitPerMinute, n)
		}
	}
	c.country(in.Country, &site.Country)
	return c.result()
}

// RotateKey gives site a new public key and returns its history entry (the
// keys themselves are not recorded).
func RotateKey(site *account.Site, actor lead.Actor, now time.Time) lead.Event {
	site.Key = NewSiteKey()
	return lead.Event{At: now, Actor: actor, Action: ActionKeyRotated, Field: "key"}
}

// NewSiteKey returns a random public site key.
func NewSiteKey() string { return SiteKeyPrefix + strings.ToLower(rand.Text()) }

// cleanName collapses spaces; ok when 1 to MaxName characters remain.
func cleanName(s string) (string, bool) {
	n := strings.Join(strings.Fields(s), " ")
	return n, n != "" && utf8.RuneCountInString(n) <= MaxName
}
