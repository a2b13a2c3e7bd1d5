package interaction

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/text"
)

// Limits of one posted interaction. Messages and events beyond what one
// transaction holds are written in batches after it, so these bound the
// request, not the store.
const (
	MaxMessages       = 500
	MaxEvents         = 200
	MaxAttachments    = 20
	MaxMessageLen     = 10000
	MaxDetailLen      = 1000
	MaxExternalIDLen  = 200
	MaxURLLen         = 2048
	MaxAttachmentSize = 1 << 40
	// MaxFutureSkew is how far in the future a time may be (clock drift).
	MaxFutureSkew = 5 * time.Minute
)

// Input is the body of POST /v1/capture/interactions as it arrives
// (api.md § Contacts, interactions and merges). Times are strings so a bad
// one is named rather than failing the whole decode.
type Input struct {
	Channel     string            `json:"channel"`
	ExternalID  string            `json:"external_id"`
	Kind        string            `json:"kind"`
	Status      string            `json:"status"`
	Priority    string            `json:"priority"`
	AgentID     string            `json:"agent_id"`
	OpenedAt    string            `json:"opened_at"`
	AnsweredAt  string            `json:"answered_at"`
	FinishedAt  string            `json:"finished_at"`
	Polarity    string            `json:"polarity"`
	Tags        []string          `json:"tags"`
	Attachments []InputAttachment `json:"attachments"`
	Events      []InputEvent      `json:"events"`
	Messages    []InputMessage    `json:"messages"`
	Profile     InputProfile      `json:"profile"`
}

// InputAttachment is one attachment as posted: a URL, or the key of a file
// in Leadflow's bucket.
type InputAttachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	URL         string `json:"url"`
	Key         string `json:"key"`
}

// InputEvent is one event as posted.
type InputEvent struct {
	At     string `json:"at"`
	Type   string `json:"type"`
	Actor  string `json:"actor"`
	Detail string `json:"detail"`
}

// InputMessage is one message as posted.
type InputMessage struct {
	From string `json:"from"`
	Text string `json:"text"`
	At   string `json:"at"`
}

// InputProfile is the profile as posted.
type InputProfile struct {
	Name              string `json:"name"`
	Email             string `json:"email"`
	Phone             string `json:"phone"`
	FacebookID        string `json:"facebook_id"`
	XID               string `json:"x_id"`
	InstagramUsername string `json:"instagram_username"`
}

// Normalize validates and normalizes a posted interaction for tenant:
// every bad field is named (a *lead.InvalidError). ks are the account's
// key kinds (its country reads phone numbers without a country code). The
// result has no id, lead, protocol or version yet (see Upsert); OpenedAt
// is zero when the body gave none.
func Normalize(tenant string, in Input, ks lead.Kinds, now time.Time) (Interaction, error) {
	bad := &lead.InvalidError{}
	clean := func(field, s string, r text.Rule) string {
		v, fe := text.Clean(field, s, r)
		if fe != nil {
			bad.Add(fe.Field, fe.Code, fe.Detail)
		}
		return v
	}
	oneOf := func(field, s string, allowed []string, def string) string {
		v := strings.ToLower(clean(field, s, text.Line))
		if v == "" && def != "" {
			return def
		}
		if v == "" {
			bad.Add(field, text.CodeRequired, "Must be one of "+strings.Join(allowed, ", ")+".")
		} else if !slices.Contains(allowed, v) {
			bad.Add(field, "not_allowed", "Must be one of "+strings.Join(allowed, ", ")+".")
		}
		return v
	}
	when := func(field, s string, required bool) *time.Time {
		s = clean(field, s, text.Line)
		if s == "" {
			if required {
				bad.Add(field, text.CodeRequired, "Must be an RFC 3339 time such as 2026-11-20T14:03:00Z.")
			}
			return nil
		}
		t, err := time.Parse(time.RFC3339, s)
		switch {
		case err != nil:
			bad.Add(field, "invalid_time", "Must be an RFC 3339 time such as 2026-11-20T14:03:00Z.")
		case t.After(now.Add(MaxFutureSkew)):
			bad.Add(field, "invalid_time", "Must not be more than 5 minutes in the future.")
		case t.Before(time.Unix(0, 0)):
			bad.Add(field, "invalid_time", "Must not be before 1970.")
		default:
			u := t.UTC()
			return &u
		}
		return nil
	}

	var out Interaction
	out.Channel = Channel(oneOf("channel", in.Channel, names(Channels), ""))
	out.ExternalID = clean("external_id", in.ExternalID, text.Rule{Max: MaxExternalIDLen, Required: true})
	out.Kind = Kind(oneOf("kind", in.Kind, names(Kinds), ""))
	out.Status = Status(oneOf("status", in.Status, names(Statuses), string(StatusOpen)))
	out.Priority = Priority(oneOf("priority", in.Priority, names(Priorities), string(PriorityNormal)))
	out.Polarity = Polarity(oneOf("polarity", in.Polarity, names(Polarities), string(PolarityNeutral)))
	out.AgentID = clean("agent_id", in.AgentID, text.Line)
	if t := when("opened_at", in.OpenedAt, false); t != nil {
		out.OpenedAt = *t
	}
	out.AnsweredAt = when("answered_at", in.AnsweredAt, false)
	out.FinishedAt = when("finished_at", in.FinishedAt, false)
	for _, f := range []struct {
		name string
		t    *time.Time
	}{{"answered_at", out.AnsweredAt}, {"finished_at", out.FinishedAt}} {
		if f.t != nil && !out.OpenedAt.IsZero() && f.t.Before(out.OpenedAt) {
			bad.Add(f.name, "before_opened", f.name+" must not be before opened_at.")
		}
	}

	if len(in.Tags) > lead.MaxTags {
		bad.Add("tags", "too_many", fmt.Sprintf("At most %d tags.", lead.MaxTags))
	} else {
		for i, t := range in.Tags {
			f := fmt.Sprintf("tags[%d]", i)
			n := lead.NormalizeTag(clean(f, t, text.Line))
			if !lead.ValidTag(n) {
				bad.Add(f, "invalid", fmt.Sprintf("A tag is 1 to %d characters without #.", lead.MaxTagLen))
			} else if !slices.Contains(out.Tags, n) {
				out.Tags = append(out.Tags, n)
			}
		}
	}

	if len(in.Attachments) > MaxAttachments {
		bad.Add("attachments", "too_many", fmt.Sprintf("At most %d attachments.", MaxAttachments))
	} else {
		for i, a := range in.Attachments {
			f := fmt.Sprintf("attachments[%d]", i)
			att := Attachment{
				Name:        clean(f+".name", a.Name, text.Rule{Max: text.MaxShort, Required: true}),
				ContentType: strings.ToLower(clean(f+".content_type", a.ContentType, text.Rule{Max: 100})),
				Size:        a.Size,
				URL:         clean(f+".url", a.URL, text.Rule{Max: MaxURLLen}),
				Key:         clean(f+".key", a.Key, text.Rule{Max: 1024}),
			}
			if a.Size < 0 || a.Size > MaxAttachmentSize {
				bad.Add(f+".size", "invalid", "Must be the file's size in bytes.")
			}
			switch {
			case att.URL == "" && att.Key == "":
				bad.Add(f+".url", text.CodeRequired, "Give the file's url (or the key of a file uploaded to Leadflow).")
			case att.URL != "" && att.Key != "":
				bad.Add(f+".key", "not_allowed", "Give either url or key, not both.")
			case att.URL != "" && !httpURL(att.URL):
				bad.Add(f+".url", "invalid_url", "Must be an absolute http or https URL.")
			case att.Key != "" && !ValidAttachmentKey(tenant, att.Key):
				bad.Add(f+".key", "invalid", "Must name a file under "+AttachmentPrefix(tenant)+".")
			}
			out.Attachments = append(out.Attachments, att)
		}
	}

	if len(in.Events) > MaxEvents {
		bad.Add("events", "too_many", fmt.Sprintf("At most %d events per post.", MaxEvents))
	} else {
		for i, e := range in.Events {
			f := fmt.Sprintf("events[%d]", i)
			ev := Event{
				Type:   EventType(oneOf(f+".type", e.Type, names(EventTypes), "")),
				Actor:  clean(f+".actor", e.Actor, text.Line),
				Detail: clean(f+".detail", e.Detail, text.Rule{Max: MaxDetailLen, Multiline: true}),
			}
			if t := when(f+".at", e.At, true); t != nil {
				ev.At = *t
			}
			out.Events = append(out.Events, ev)
		}
	}

	if len(in.Messages) > MaxMessages {
		bad.Add("messages", "too_many", fmt.Sprintf("At most %d messages per post.", MaxMessages))
	} else {
		speakers := []string{string(lead.SpeakerBot), string(lead.SpeakerVisitor), string(lead.SpeakerAgent)}
		for i, m := range in.Messages {
			f := fmt.Sprintf("messages[%d]", i)
			msg := lead.Message{
				From: lead.Speaker(oneOf(f+".from", m.From, speakers, "")),
				Text: clean(f+".text", m.Text, text.Rule{Max: MaxMessageLen, Multiline: true, Required: true}),
			}
			if t := when(f+".at", m.At, true); t != nil {
				msg.At = *t
			}
			out.Messages = append(out.Messages, msg)
		}
	}

	out.Profile = normalizeProfile(in.Profile, ks, clean, bad)
	if err := bad.Err(); err != nil {
		return Interaction{}, err
	}
	out.Fingerprint = Fingerprint(out)
	return out, nil
}

func names[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Hostname() == "" {
		return false
	}
	sch := strings.ToLower(u.Scheme)
	return sch == "http" || sch == "https"
}

var keyRE = regexp.MustCompile(`^[A-Za-z0-9!_.*'()/-]+$`)

// ValidAttachmentKey reports whether key names a file of tenant in
// Leadflow's bucket: under AttachmentPrefix(tenant), no "..", plain
// characters only. Another tenant's files can't be named.
func ValidAttachmentKey(tenant, key string) bool {
	p := AttachmentPrefix(tenant)
	return strings.HasPrefix(key, p) && len(key) > len(p) && !strings.Contains(key, "..") &&
		!strings.Contains(key, "//") && keyRE.MatchString(key)
}

// normalizeProfile reads the profile's values as identity keys of their
// kinds (lead.Kinds.Normalize: e-mail lower-cased, phone E.164 in the
// account's country, numeric social ids, Instagram usernames).
func normalizeProfile(p InputProfile, ks lead.Kinds, clean func(string, string, text.Rule) string, bad *lead.InvalidError) Profile {
	out := Profile{Name: clean("profile.name", p.Name, text.Rule{Max: text.MaxShort, Collapse: true})}
	for _, f := range []struct {
		kind, v string
		dst     *string
	}{
		{lead.KeyEmail, p.Email, &out.Email}, {lead.KeyPhone, p.Phone, &out.Phone},
		{lead.KeyFacebook, p.FacebookID, &out.FacebookID}, {lead.KeyX, p.XID, &out.XID},
		{lead.KeyInstagram, p.InstagramUsername, &out.InstagramUsername},
	} {
		field := "profile." + f.kind
		v := clean(field, f.v, text.Line)
		if v == "" {
			continue
		}
		n, err := ks.Normalize(f.kind, v)
		if err != nil {
			bad.AddKey(field, f.kind, err)
			continue
		}
		*f.dst = n
	}
	return out
}

// Fingerprint is the hash of what a post says about an interaction (every
// normalized field, messages and events included): two posts with the
// same fingerprint say the same thing.
func Fingerprint(i Interaction) string {
	b, _ := json.Marshal(struct {
		I Interaction
		M []lead.Message
		E []Event
	}{i, i.Messages, i.Events})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}
