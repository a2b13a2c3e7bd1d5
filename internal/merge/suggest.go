// Package merge decides which leads are the same person and what one lead
// made of several looks like: duplicate suggestions with their reasons and
// a score, the strong keys that forbid a merge, the merged lead field by
// field (which value wins and why), and what a merge moves. The store
// (internal/dynamo/merge.go) writes what this package decides.
//
// This package is pure: no AWS SDK, no I/O.
package merge

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/leadflow/leadflow/internal/lead"
)

// Match says how a reason was found.
const (
	MatchKey      = "key"      // both leads hold the same identity key
	MatchRecorded = "recorded" // a capture's keys pointed at both leads (DUP#)
	MatchSimilar  = "similar"  // same name and a similar phone or e-mail
)

// Signals beyond the identity-key kinds.
const (
	SignalNamePhone = "name+phone"
	SignalNameEmail = "name+email"
)

// Reason is one signal that says two leads may be one person. Signal is an
// identity-key kind ("cpf", "email", …) or a similarity signal
// ("name+phone"); Value the value that matched; Strength how strongly it
// says so (0–100); Match how it was found.
type Reason struct {
	Signal   string `json:"signal"`
	Value    string `json:"value"`
	Strength int    `json:"strength"`
	Match    string `json:"match"`
}

// Conflict is a strong key both leads hold with different values: two
// CPFs are two people, whatever else matches.
type Conflict struct {
	Kind   string   `json:"kind"`
	Values []string `json:"values"` // the lead's, then the candidate's
}

// Suggestion is another lead that may be the same person.
type Suggestion struct {
	LeadID    string     `json:"lead_id"`
	Name      string     `json:"name"`
	Score     int        `json:"score"`
	Reasons   []Reason   `json:"reasons"`
	Conflicts []Conflict `json:"conflicts,omitempty"`
}

// Candidate is a lead the store found near the target (sharing a key, a
// recorded duplicate, the same name), with what the captures recorded
// about the pair.
type Candidate struct {
	Lead     lead.Lead
	Recorded []lead.DuplicateReason
}

// StrongKinds are the identity-key kinds one person holds one value of
// (documents): two leads with different values are two people.
var StrongKinds = []string{"cpf", "rg"}

// strength is how strongly a shared key of a kind says "same person".
func strength(kind string) int {
	switch kind {
	case "cpf", "rg":
		return 95
	case lead.KindExternal:
		return 90
	case "email":
		return 80
	case "phone", "whatsapp":
		return 70
	case "facebook_id", "x_id", "instagram_username":
		return 75
	}
	return 60 // an account-defined key
}

// KeysOf returns a lead's identity keys as kind → values (normalized as
// stored): every key of Lead.KeyMap, WhatsApp numbers also as phones (a
// person reached on either is one person), and the external ids.
func KeysOf(l lead.Lead) map[string][]string {
	out := lead.CloneKeys(l.KeyMap())
	for _, v := range out[lead.KeyWhatsApp] {
		if !slices.Contains(out[lead.KeyPhone], v) {
			out[lead.KeyPhone] = append(out[lead.KeyPhone], v)
		}
	}
	delete(out, lead.KeyWhatsApp)
	out[lead.KindExternal] = slices.Clone(l.ExternalIDs)
	return out
}

// Conflicts returns the strong keys a and b both hold with no value in
// common.
func Conflicts(a, b lead.Lead) []Conflict {
	ka, kb := KeysOf(a), KeysOf(b)
	var out []Conflict
	for _, kind := range StrongKinds {
		va, vb := ka[kind], kb[kind]
		if len(va) == 0 || len(vb) == 0 {
			continue
		}
		shared := false
		for _, v := range va {
			shared = shared || slices.Contains(vb, v)
		}
		if !shared {
			out = append(out, Conflict{Kind: kind, Values: append(slices.Clone(va), vb...)})
		}
	}
	return out
}

// Suggest scores each candidate against target: shared keys, recorded
// duplicates and name-plus-similar-contact signals, combined so that
// independent signals add up without passing 100. A candidate with a
// strong-key conflict is left out unless force is set (an admin looking
// anyway), in which case its conflicts are listed. Candidates without a
// reason, target itself and deleted leads are left out. Best first.
func Suggest(target lead.Lead, cands []Candidate, force bool) []Suggestion {
	var out []Suggestion
	seen := map[string]bool{target.ID: true}
	for _, c := range cands {
		if seen[c.Lead.ID] || c.Lead.DeletedAt != nil {
			continue
		}
		seen[c.Lead.ID] = true
		conflicts := Conflicts(target, c.Lead)
		if len(conflicts) > 0 && !force {
			continue
		}
		reasons := reasonsFor(target, c)
		if len(reasons) == 0 {
			continue
		}
		out = append(out, Suggestion{
			LeadID: c.Lead.ID, Name: c.Lead.Name, Score: score(reasons),
			Reasons: reasons, Conflicts: conflicts,
		})
	}
	slices.SortStableFunc(out, func(a, b Suggestion) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.LeadID, b.LeadID))
	})
	return out
}

func reasonsFor(target lead.Lead, c Candidate) []Reason {
	var out []Reason
	add := func(r Reason) {
		for _, o := range out {
			if o.Signal == r.Signal && o.Value == r.Value {
				return
			}
		}
		out = append(out, r)
	}
	kt, kc := KeysOf(target), KeysOf(c.Lead)
	for _, kind := range sortedKinds(kt) {
		for _, v := range kt[kind] {
			if slices.Contains(kc[kind], v) {
				add(Reason{Signal: kind, Value: v, Strength: strength(kind), Match: MatchKey})
			}
		}
	}
	for _, r := range c.Recorded {
		add(Reason{Signal: r.Signal, Value: r.Value, Strength: strength(r.Signal), Match: MatchRecorded})
	}
	if sameName(target.Name, c.Lead.Name) {
		if v, ok := similarPhone(target.Contact, c.Lead.Contact); ok {
			add(Reason{Signal: SignalNamePhone, Value: v, Strength: 60, Match: MatchSimilar})
		}
		if v, ok := similarEmail(target.Contact.Email, c.Lead.Contact.Email); ok {
			add(Reason{Signal: SignalNameEmail, Value: v, Strength: 55, Match: MatchSimilar})
		}
	}
	return out
}

func sortedKinds(m map[string][]string) []string {
	kinds := make([]string, 0, len(m))
	for k := range m {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return kinds
}

// score combines independent reasons: 100 × (1 − Π(1 − strength/100)).
func score(rs []Reason) int {
	miss := 1.0
	for _, r := range rs {
		miss *= 1 - float64(min(max(r.Strength, 0), 100))/100
	}
	return int(math.Round(100 * (1 - miss)))
}

// sameName reports two names that are the same words, folded (accents,
// case, spacing), in any order: "Ana Souza" and "souza  ana".
func sameName(a, b string) bool {
	wa, wb := strings.Fields(lead.Fold(a)), strings.Fields(lead.Fold(b))
	if len(wa) < 2 || len(wa) != len(wb) {
		return false // a first name alone says little
	}
	slices.Sort(wa)
	slices.Sort(wb)
	return slices.Equal(wa, wb)
}

// similarPhone reports phones that differ only in what Brazilian numbers
// gain and lose (country code, area code, the mobile ninth digit): the
// last eight digits agree. It answers the candidate's number.
func similarPhone(a, b lead.Contact) (string, bool) {
	for _, x := range []string{a.Phone, a.WhatsApp} {
		for _, y := range []string{b.Phone, b.WhatsApp} {
			dx, dy := digitsOf(x), digitsOf(y)
			if len(dx) >= 8 && len(dy) >= 8 && dx[len(dx)-8:] == dy[len(dy)-8:] {
				return y, true
			}
		}
	}
	return "", false
}

// similarEmail reports addresses with the same mailbox once dots and
// "+tags" are ignored (Gmail's rules, common elsewhere), at any domain.
func similarEmail(a, b string) (string, bool) {
	la, lb := mailbox(a), mailbox(b)
	if la == "" || lb == "" || len(la) < 4 {
		return "", false
	}
	return b, la == lb
}

func mailbox(e string) string {
	local, _, ok := strings.Cut(strings.ToLower(e), "@")
	if !ok {
		return ""
	}
	local, _, _ = strings.Cut(local, "+")
	return strings.ReplaceAll(local, ".", "")
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
