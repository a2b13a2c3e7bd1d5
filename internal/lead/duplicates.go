package lead

import "time"

// KindExternal is the identity-key kind of a per-site external id.
const KindExternal = "ext"

// DuplicateReason is one identity key that suggests two leads are one
// person: Signal is the key kind ("cpf", "email", "phone"), Value the
// normalized value.
type DuplicateReason struct {
	Signal string `json:"signal"`
	Value  string `json:"value"`
}

// DuplicateCandidate is another lead that may be the same person, with the
// keys that say so. A capture whose keys point to different leads records
// each other lead as a candidate of the one it joined (and the other way
// round), for a merge to offer later.
type DuplicateCandidate struct {
	LeadID  string            `json:"lead_id"`
	Reasons []DuplicateReason `json:"reasons"`
	At      time.Time         `json:"at"`
}

// Conflicts returns the leads other than leadID that keys point to
// (owners maps a key to the lead holding it), one candidate per lead in
// key order (strongest first), each with the keys it holds.
func Conflicts(keys []IdentityKey, owners map[IdentityKey]string, leadID string, now time.Time) []DuplicateCandidate {
	var out []DuplicateCandidate
	at := map[string]int{}
	for _, k := range keys {
		o := owners[k]
		if o == "" || o == leadID {
			continue
		}
		i, ok := at[o]
		if !ok {
			i = len(out)
			at[o] = i
			out = append(out, DuplicateCandidate{LeadID: o, At: now})
		}
		out[i].Reasons = append(out[i].Reasons, DuplicateReason{Signal: k.Kind, Value: k.Value})
	}
	return out
}
