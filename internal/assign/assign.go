// Package assign decides who owns a new lead: an account's ordered rules
// (first match wins) each pick an agent by round robin or by least load
// among the active agents who are not away. It is pure; the worker reads the
// rules, users, loads and round-robin turns from the store.
package assign

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/text"
)

// Strategy is how a rule picks among its agents.
type Strategy string

const (
	RoundRobin  Strategy = "round_robin"  // take turns, by an atomic counter per rule
	LeastLoaded Strategy = "least_loaded" // fewest open (new, in progress) leads
)

// MaxRules bounds an account's rule list.
const MaxRules = 50

// Match selects leads by where they came from; empty fields match
// anything, and values compare case-insensitively against the first touch.
type Match struct {
	EntryMethod string `json:"entry_method,omitempty"`
	Source      string `json:"source,omitempty"`   // utm_source
	Campaign    string `json:"campaign,omitempty"` // utm_campaign
	SiteID      string `json:"site_id,omitempty"`
}

// Rule is one assignment rule.
type Rule struct {
	ID       string   `json:"id"`
	Name     string   `json:"name,omitempty"`
	Match    Match    `json:"match"`
	Strategy Strategy `json:"strategy"`
	// Agents restricts the rule to these users; empty means every agent.
	Agents []string `json:"agents,omitempty"`
}

// Rules is an account's ordered rule list.
type Rules struct {
	Rules     []Rule    `json:"rules"`
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// Matches reports whether the rule applies to l.
func (m Match) Matches(l lead.Lead) bool {
	eq := func(want, got string) bool { return want == "" || strings.EqualFold(want, got) }
	t := l.FirstTouch
	return eq(m.EntryMethod, string(l.EntryMethod)) && eq(m.Source, t.UTMSource) &&
		eq(m.Campaign, t.UTMCampaign) && eq(m.SiteID, l.SiteID)
}

// Find returns the first rule matching l.
func (r Rules) Find(l lead.Lead) (Rule, bool) {
	for _, rule := range r.Rules {
		if rule.Match.Matches(l) {
			return rule, true
		}
	}
	return Rule{}, false
}

// Validate checks a rule list an admin sent, filling missing ids
// ("r1", "r2", ...). known reports whether a user id exists in the account.
func (r *Rules) Validate(known func(userID string) bool) error {
	var bad lead.InvalidError
	if len(r.Rules) > MaxRules {
		bad.Add("rules", "too_many", fmt.Sprintf("At most %d rules.", MaxRules))
		return bad.Err()
	}
	seen := map[string]bool{}
	for i := range r.Rules {
		rule := &r.Rules[i]
		f := fmt.Sprintf("rules[%d]", i)
		for _, t := range []struct {
			field string
			dst   *string
		}{{".id", &rule.ID}, {".name", &rule.Name}, {".match.entry_method", &rule.Match.EntryMethod},
			{".match.source", &rule.Match.Source}, {".match.campaign", &rule.Match.Campaign}, {".match.site_id", &rule.Match.SiteID}} {
			v, fe := text.Clean(f+t.field, *t.dst, text.Line)
			if fe != nil {
				bad.Add(fe.Field, fe.Code, fe.Detail)
			}
			*t.dst = v
		}
		if rule.ID == "" {
			rule.ID = fmt.Sprintf("r%d", i+1)
		}
		if len(rule.ID) > 64 || strings.ContainsAny(rule.ID, "# ") {
			bad.Add(f+".id", "invalid", "Rule ids are up to 64 characters without spaces or '#'.")
		} else if seen[rule.ID] {
			bad.Add(f+".id", "duplicate", "Rule ids must be unique.")
		}
		seen[rule.ID] = true
		switch rule.Strategy {
		case RoundRobin, LeastLoaded:
		case "":
			bad.Add(f+".strategy", "required", "Choose round_robin or least_loaded.")
		default:
			bad.Add(f+".strategy", "not_allowed", "Must be round_robin or least_loaded.")
		}
		if m := rule.Match.EntryMethod; m != "" && !slices.Contains([]lead.EntryMethod{
			lead.EntryChatbot, lead.EntryForm, lead.EntryAPI, lead.EntryMetaLeadAds, lead.EntryGoogleAds, lead.EntryImport,
		}, lead.EntryMethod(m)) {
			bad.Add(f+".match.entry_method", "not_allowed", "Unknown entry method.")
		}
		for j, a := range rule.Agents {
			if !known(a) {
				bad.Add(fmt.Sprintf("%s.agents[%d]", f, j), "invalid", "No user of this account has this id.")
			}
		}
	}
	return bad.Err()
}

// Eligible returns the rule's candidates: active agents who are not away
// (and are listed, when the rule lists agents), ordered by id so every
// worker agrees on whose turn a counter value is.
func Eligible(rule Rule, users []account.User) []account.User {
	var out []account.User
	for _, u := range users {
		if u.Role != account.RoleAgent || !u.Active || u.Away {
			continue
		}
		if len(rule.Agents) > 0 && !slices.Contains(rule.Agents, u.ID) {
			continue
		}
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b account.User) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Turn picks the agent for round-robin turn n (1, 2, 3, ... as the
// rule's counter hands them out).
func Turn(candidates []account.User, n int64) account.User {
	i := (n - 1) % int64(len(candidates))
	if i < 0 {
		i += int64(len(candidates))
	}
	return candidates[i]
}

// Least picks the candidate with the fewest open leads (ties: lowest id).
func Least(candidates []account.User, open map[string]int64) account.User {
	best := candidates[0]
	for _, u := range candidates[1:] {
		if open[u.ID] < open[best.ID] {
			best = u
		}
	}
	return best
}
