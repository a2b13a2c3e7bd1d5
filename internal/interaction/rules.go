package interaction

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"time"

	"github.com/leadflow/leadflow/internal/lead"
)

// MessageID is the deterministic id of a message: the same speaker, text
// and time always give the same id, so a redelivered message is stored once.
func MessageID(m lead.Message) string {
	return lead.PrefixMessage + hash12(string(m.From), m.Text, m.At.UTC().Format(time.RFC3339Nano))
}

// EventID is the deterministic id of an event (type, actor, detail, time).
func EventID(e Event) string {
	return "iev_" + hash12(string(e.Type), e.Actor, e.Detail, e.At.UTC().Format(time.RFC3339Nano))
}

func hash12(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// Stored says which messages and events of an interaction are stored
// already (by MessageID / EventID).
type Stored struct {
	Messages map[string]bool
	Events   map[string]bool
}

// Upsert applies a normalized post (see Normalize) to the stored
// interaction old (nil when the channel and external id are new) and
// returns what to store. changed is false when the post says nothing new:
// then next is old, unchanged, version and updated_at included.
//
// The rule: the header (kind, status, priority, agent, times, polarity,
// tags, attachments) is the post's; a post without opened_at keeps the
// stored one (a new interaction opens now). The profile takes the post's
// non-empty values. Messages and events accumulate: next.Messages and
// next.Events hold only those not stored yet, and MessageCount counts
// every distinct message stored and posted. The id, protocol, lead and
// creation time never change here.
func Upsert(old *Interaction, in Interaction, stored Stored, now time.Time) (next Interaction, changed bool) {
	now = now.UTC()
	next = in
	next.Messages, next.Events = nil, nil
	seenMsg, seenEvt := map[string]bool{}, map[string]bool{}
	for id := range stored.Messages {
		seenMsg[id] = true
	}
	for id := range stored.Events {
		seenEvt[id] = true
	}
	for _, m := range in.Messages {
		id := MessageID(m)
		if !seenMsg[id] {
			seenMsg[id] = true
			m.ID = id
			next.Messages = append(next.Messages, m)
		}
	}
	for _, e := range in.Events {
		id := EventID(e)
		if !seenEvt[id] {
			seenEvt[id] = true
			e.ID = id
			next.Events = append(next.Events, e)
		}
	}
	next.MessageCount = len(seenMsg)
	if old == nil {
		if next.OpenedAt.IsZero() {
			next.OpenedAt = now
		}
		next.Version, next.CreatedAt, next.UpdatedAt = 1, now, now
		return next, true
	}
	if old.Fingerprint != "" && old.Fingerprint == in.Fingerprint {
		return *old, false
	}
	next.ID, next.LeadID, next.Protocol, next.CreatedAt = old.ID, old.LeadID, old.Protocol, old.CreatedAt
	next.Channel, next.ExternalID = old.Channel, old.ExternalID
	if next.OpenedAt.IsZero() {
		next.OpenedAt = old.OpenedAt
	}
	next.Profile = mergeProfile(old.Profile, in.Profile)
	next.MessageCount = max(next.MessageCount, old.MessageCount)
	if len(next.Messages) == 0 && len(next.Events) == 0 && sameHeader(*old, next) {
		return *old, false
	}
	next.Version, next.UpdatedAt = old.Version+1, now
	return next, true
}

func mergeProfile(old, in Profile) Profile {
	for _, f := range []struct{ dst, src *string }{
		{&old.Name, &in.Name}, {&old.Email, &in.Email}, {&old.Phone, &in.Phone},
		{&old.FacebookID, &in.FacebookID}, {&old.XID, &in.XID}, {&old.InstagramUsername, &in.InstagramUsername},
	} {
		if *f.src != "" {
			*f.dst = *f.src
		}
	}
	return old
}

// sameHeader compares what Upsert may change, ignoring bookkeeping.
func sameHeader(a, b Interaction) bool {
	strip := func(i Interaction) []byte {
		i.Version, i.UpdatedAt, i.Fingerprint, i.Messages, i.Events = 0, time.Time{}, "", nil, nil
		if len(i.Tags) == 0 {
			i.Tags = nil
		}
		if len(i.Attachments) == 0 {
			i.Attachments = nil
		}
		b, _ := json.Marshal(i)
		return b
	}
	return string(strip(a)) == string(strip(b))
}

// Contribution is what one interaction adds to its lead's counters: one
// occurrence of its polarity (neutral when it has none), one ticket of its
// status, one interaction. An interaction of no lead contributes nothing.
func Contribution(i *Interaction) lead.CounterDelta {
	var d lead.CounterDelta
	if i == nil || i.LeadID == "" {
		return d
	}
	d.Interactions = 1
	switch i.Polarity {
	case PolarityPositive:
		d.Occurrences.Positive = 1
	case PolarityNegative:
		d.Occurrences.Negative = 1
	default:
		d.Occurrences.Neutral = 1
	}
	switch i.Status {
	case StatusAnswered:
		d.Tickets.Answered = 1
	case StatusFinished:
		d.Tickets.Finished = 1
	default:
		d.Tickets.Open = 1
	}
	return d
}

// Deltas is the counters rule: what changing an interaction from old to
// next (either nil: created or gone) does to each lead's counters, by lead
// id. A lead whose counters do not move is absent, so a change that
// touches neither polarity, status nor lead updates no lead at all.
func Deltas(old, next *Interaction) map[string]lead.CounterDelta {
	out := map[string]lead.CounterDelta{}
	if old != nil && old.LeadID != "" {
		out[old.LeadID] = out[old.LeadID].Add(negate(Contribution(old)))
	}
	if next != nil && next.LeadID != "" {
		out[next.LeadID] = out[next.LeadID].Add(Contribution(next))
	}
	for id, d := range out {
		if d.Zero() {
			delete(out, id)
		}
	}
	return out
}

func negate(d lead.CounterDelta) lead.CounterDelta {
	return lead.CounterDelta{}.Add(lead.CounterDelta{
		Occurrences:  lead.Occurrences{Positive: -d.Occurrences.Positive, Neutral: -d.Occurrences.Neutral, Negative: -d.Occurrences.Negative},
		Tickets:      lead.Tickets{Open: -d.Tickets.Open, Answered: -d.Tickets.Answered, Finished: -d.Tickets.Finished},
		Interactions: -d.Interactions,
	})
}

// Protocols are "<YYYYMMDD>-<8 base32 characters>": the day the
// interaction was opened (UTC) and 40 random bits, unique per account
// without a counter item every post would contend on. The store puts a
// protocol key with a condition and draws again on the (rare) collision.
var protocolEnc = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

var protocolRE = regexp.MustCompile(`^[0-9]{8}-[0-9A-HJKMNP-TV-Z]{8}$`)

// NewProtocol draws a protocol number for an interaction opened at t.
func NewProtocol(t time.Time) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return t.UTC().Format("20060102") + "-" + protocolEnc.EncodeToString(b[:])
}

// ValidProtocol reports whether p has the protocol format.
func ValidProtocol(p string) bool { return protocolRE.MatchString(p) }

// ForCapture is the interaction a capture (chatbot, form, ads, import)
// puts on its lead's timeline: channel from the entry method (an API
// capture is a chatbot's when it carries a conversation, a form's
// otherwise), kind chat or form, the capture's messages, finished at once
// (a capture leaves no open ticket), neutral. Captures have no upsert key:
// each stored capture is one interaction.
func ForCapture(c lead.Capture, leadID string, now time.Time) Interaction {
	now = now.UTC()
	ch := Channel(c.Touch.EntryMethod)
	kind := KindForm
	if len(c.Conversation) > 0 {
		kind = KindChat
	}
	switch ch {
	case ChannelChatbot:
		kind = KindChat
	case ChannelForm, ChannelMetaLeadAds, ChannelGoogleAds, ChannelImport:
	default: // api, or anything newer
		ch = ChannelForm
		if kind == KindChat {
			ch = ChannelChatbot
		}
	}
	i := Interaction{
		ID: lead.NewID(lead.PrefixInteraction, now), LeadID: leadID, Protocol: NewProtocol(now),
		Channel: ch, ExternalID: c.ExternalID, Kind: kind, Status: StatusFinished, Priority: PriorityNormal,
		OpenedAt: now, FinishedAt: &now, Polarity: PolarityNeutral,
		Profile: Profile{Name: c.Name, Email: c.Contact.Email, Phone: c.Contact.Phone},
		Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	if i.Profile.Phone == "" {
		i.Profile.Phone = c.Contact.WhatsApp
	}
	seen := map[string]bool{}
	for _, m := range c.Conversation {
		m.ID, m.At = MessageID(m), m.At.UTC()
		if !seen[m.ID] {
			seen[m.ID] = true
			i.Messages = append(i.Messages, m)
		}
	}
	i.MessageCount = len(i.Messages)
	return i
}
