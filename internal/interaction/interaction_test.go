package interaction

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
)

var now = time.Date(2026, 11, 30, 14, 0, 0, 0, time.UTC)

var kinds = lead.NewKinds(account.Account{Country: "BR"})

func validInput() Input {
	return Input{
		Channel: "facebook", ExternalID: "fb-thread-1", Kind: "dm", Status: "answered", Priority: "high",
		AgentID: "usr_1", OpenedAt: "2026-11-30T10:00:00Z", AnsweredAt: "2026-11-30T10:05:00Z", Polarity: "positive",
		Tags: []string{"  Black  FRIDAY ", "black friday", "vip"},
		Attachments: []InputAttachment{
			{Name: "photo.jpg", ContentType: "IMAGE/JPEG", Size: 1234, URL: "https://cdn.example.com/p.jpg"},
			{Name: "invoice.pdf", Key: "attachments/acme/int/invoice.pdf"},
		},
		Events:   []InputEvent{{At: "2026-11-30T10:05:00Z", Type: "replied", Actor: "usr_1"}},
		Messages: []InputMessage{{From: "visitor", Text: "Oi!", At: "2026-11-30T10:00:00Z"}, {From: "agent", Text: "Olá", At: "2026-11-30T10:05:00Z"}},
		Profile:  InputProfile{Name: " Ana  Souza ", Email: "ANA@Example.com", Phone: "(11) 91234-5678", FacebookID: "100042", InstagramUsername: "@Ana.Souza"},
	}
}

func mustNormalize(t *testing.T, in Input) Interaction {
	t.Helper()
	i, err := Normalize("acme", in, kinds, now)
	if err != nil {
		t.Fatalf("normalize: %v", err)
	}
	return i
}

func TestNormalizeValid(t *testing.T) {
	i := mustNormalize(t, validInput())
	if i.Channel != ChannelFacebook || i.Kind != KindDM || i.Status != StatusAnswered || i.Priority != PriorityHigh || i.Polarity != PolarityPositive {
		t.Errorf("enums: %+v", i)
	}
	if !slices.Equal(i.Tags, []string{"black friday", "vip"}) {
		t.Errorf("tags = %q", i.Tags)
	}
	if i.Attachments[0].ContentType != "image/jpeg" || i.Attachments[1].Key == "" {
		t.Errorf("attachments = %+v", i.Attachments)
	}
	want := Profile{Name: "Ana Souza", Email: "ana@example.com", Phone: "+5511912345678", FacebookID: "100042", InstagramUsername: "ana.souza"}
	if i.Profile != want {
		t.Errorf("profile = %+v, want %+v", i.Profile, want)
	}
	keys := i.Profile.Keys()
	if len(keys) != 4 || keys[0].Kind != lead.KeyEmail || keys[1].Kind != lead.KeyPhone {
		t.Errorf("keys = %+v", keys)
	}
	if !i.OpenedAt.Equal(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)) || i.Fingerprint == "" {
		t.Errorf("opened %v fp %q", i.OpenedAt, i.Fingerprint)
	}
}

func TestNormalizeDefaults(t *testing.T) {
	i := mustNormalize(t, Input{Channel: "whatsapp", ExternalID: "w1", Kind: "chat"})
	if i.Status != StatusOpen || i.Priority != PriorityNormal || i.Polarity != PolarityNeutral || !i.OpenedAt.IsZero() {
		t.Errorf("defaults: %+v", i)
	}
}

func TestNormalizeNamesEveryBadField(t *testing.T) {
	in := Input{
		Channel: "myspace", Kind: "", Status: "closed", Priority: "asap", Polarity: "angry",
		OpenedAt: "yesterday", FinishedAt: "2026-11-29T00:00:00Z",
		Tags:        []string{"a#b"},
		Attachments: []InputAttachment{{Name: "", URL: "ftp://x"}, {Name: "x", Key: "attachments/other/x.pdf"}, {Name: "y"}},
		Events:      []InputEvent{{Type: "liked"}},
		Messages:    []InputMessage{{From: "robot", Text: " "}},
		Profile:     InputProfile{Email: "not-an-email", FacebookID: "abc"},
	}
	_, err := Normalize("acme", in, kinds, now)
	bad, ok := err.(*lead.InvalidError)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	var fields []string
	for _, e := range bad.Errors {
		fields = append(fields, e.Field)
	}
	for _, f := range []string{"channel", "external_id", "kind", "status", "priority", "polarity", "opened_at", "tags[0]",
		"attachments[0].name", "attachments[0].url", "attachments[1].key", "attachments[2].url",
		"events[0].type", "events[0].at", "messages[0].from", "messages[0].text", "messages[0].at",
		"profile.email", "profile.facebook_id"} {
		if !slices.Contains(fields, f) {
			t.Errorf("no error for %s (got %v)", f, fields)
		}
	}
	// finished before opened is named once opened_at is readable
	_, err = Normalize("acme", Input{Channel: "x", ExternalID: "1", Kind: "mention", OpenedAt: "2026-11-30T10:00:00Z", FinishedAt: "2026-11-30T09:00:00Z"}, kinds, now)
	if err == nil || !strings.Contains(err.Error(), "finished_at") {
		t.Errorf("finished before opened: %v", err)
	}
	// too far in the future
	_, err = Normalize("acme", Input{Channel: "x", ExternalID: "1", Kind: "mention", OpenedAt: now.Add(time.Hour).Format(time.RFC3339)}, kinds, now)
	if err == nil || !strings.Contains(err.Error(), "opened_at") {
		t.Errorf("future opened_at: %v", err)
	}
}

func TestUpsertRule(t *testing.T) {
	in := mustNormalize(t, validInput())
	first, changed := Upsert(nil, in, Stored{}, now)
	if !changed || first.Version != 1 || first.MessageCount != 2 || len(first.Messages) != 2 || len(first.Events) != 1 {
		t.Fatalf("new: changed=%v %+v", changed, first)
	}
	first.ID, first.Protocol, first.LeadID = "int_1", "20261130-AAAAAAAA", "ld_1"
	stored := Stored{Messages: map[string]bool{}, Events: map[string]bool{}}
	for _, m := range first.Messages {
		stored.Messages[m.ID] = true
	}
	for _, e := range first.Events {
		stored.Events[e.ID] = true
	}

	// An identical redelivery changes nothing, not even version or updated_at.
	again, changed := Upsert(&first, mustNormalize(t, validInput()), stored, now.Add(time.Hour))
	if changed || again.Version != 1 || !again.UpdatedAt.Equal(first.UpdatedAt) {
		t.Errorf("redelivery changed: %v %+v", changed, again)
	}

	// A post that only repeats stored messages in another order changes nothing either.
	re := validInput()
	slices.Reverse(re.Messages)
	if _, changed := Upsert(&first, mustNormalize(t, re), stored, now.Add(time.Hour)); changed {
		t.Error("reordered messages counted as a change")
	}

	// A status change with one more message: header replaced, messages accumulate.
	up := validInput()
	up.Status, up.FinishedAt, up.OpenedAt = "finished", "2026-11-30T11:00:00Z", ""
	up.Messages = []InputMessage{{From: "agent", Text: "Resolvido", At: "2026-11-30T11:00:00Z"}}
	up.Profile = InputProfile{XID: "777"}
	next, changed := Upsert(&first, mustNormalize(t, up), stored, now.Add(time.Hour))
	if !changed || next.Version != 2 || next.Status != StatusFinished || next.MessageCount != 3 || len(next.Messages) != 1 {
		t.Fatalf("update: changed=%v %+v", changed, next)
	}
	if next.ID != "int_1" || next.Protocol != first.Protocol || next.LeadID != "ld_1" || !next.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("identity moved: %+v", next)
	}
	if !next.OpenedAt.Equal(first.OpenedAt) {
		t.Errorf("opened_at without a value moved: %v", next.OpenedAt)
	}
	if next.Profile.Email != "ana@example.com" || next.Profile.XID != "777" {
		t.Errorf("profile merge: %+v", next.Profile)
	}
	if !next.UpdatedAt.Equal(now.Add(time.Hour)) {
		t.Errorf("updated_at = %v", next.UpdatedAt)
	}
}

func TestDeltas(t *testing.T) {
	open := Interaction{LeadID: "a", Status: StatusOpen, Polarity: PolarityNegative}
	answered := open
	answered.Status = StatusAnswered
	moved := answered
	moved.LeadID = "b"
	positive := moved
	positive.Polarity = PolarityPositive
	unrelated := Interaction{Status: StatusOpen}

	cases := []struct {
		name      string
		old, next *Interaction
		want      map[string]lead.CounterDelta
	}{
		{"new on a lead", nil, &open, map[string]lead.CounterDelta{"a": {Occurrences: lead.Occurrences{Negative: 1}, Tickets: lead.Tickets{Open: 1}, Interactions: 1}}},
		{"new without a lead", nil, &unrelated, map[string]lead.CounterDelta{}},
		{"same", &open, &open, map[string]lead.CounterDelta{}},
		{"status", &open, &answered, map[string]lead.CounterDelta{"a": {Tickets: lead.Tickets{Open: -1, Answered: 1}}}},
		{"moved", &answered, &moved, map[string]lead.CounterDelta{
			"a": {Occurrences: lead.Occurrences{Negative: -1}, Tickets: lead.Tickets{Answered: -1}, Interactions: -1},
			"b": {Occurrences: lead.Occurrences{Negative: 1}, Tickets: lead.Tickets{Answered: 1}, Interactions: 1}}},
		{"polarized", &moved, &positive, map[string]lead.CounterDelta{"b": {Occurrences: lead.Occurrences{Negative: -1, Positive: 1}}}},
		{"related", &unrelated, &open, map[string]lead.CounterDelta{"a": {Occurrences: lead.Occurrences{Negative: 1}, Tickets: lead.Tickets{Open: 1}, Interactions: 1}}},
	}
	for _, c := range cases {
		got := Deltas(c.old, c.next)
		if len(got) != len(c.want) {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
			continue
		}
		for id, d := range c.want {
			if got[id] != d {
				t.Errorf("%s: lead %s: %+v, want %+v", c.name, id, got[id], d)
			}
		}
	}
}

func TestProtocol(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		p := NewProtocol(now)
		if !ValidProtocol(p) || !strings.HasPrefix(p, "20261130-") {
			t.Fatalf("protocol %q", p)
		}
		if seen[p] {
			t.Fatalf("protocol %q drawn twice in 1000", p)
		}
		seen[p] = true
	}
	if ValidProtocol("20261130-ILOU0000") || ValidProtocol("2026113-AAAAAAAA") {
		t.Error("invalid protocol accepted")
	}
}

func TestForCapture(t *testing.T) {
	c := lead.Capture{Name: "Ana", Contact: lead.Contact{Email: "ana@example.com", WhatsApp: "+5511912345678"},
		Touch:        lead.Touch{EntryMethod: lead.EntryAPI},
		Conversation: []lead.Message{{From: lead.SpeakerBot, Text: "Oi", At: now}, {From: lead.SpeakerBot, Text: "Oi", At: now}}}
	i := ForCapture(c, "ld_1", now)
	if i.Channel != ChannelChatbot || i.Kind != KindChat || i.MessageCount != 1 || i.Status != StatusFinished || i.LeadID != "ld_1" {
		t.Errorf("api capture with a conversation: %+v", i)
	}
	if i.Profile.Phone != "+5511912345678" || !ValidProtocol(i.Protocol) {
		t.Errorf("profile/protocol: %+v", i)
	}
	for m, want := range map[lead.EntryMethod][2]string{
		lead.EntryForm: {"form", "form"}, lead.EntryMetaLeadAds: {"meta_lead_ads", "form"},
		lead.EntryGoogleAds: {"google_ads", "form"}, lead.EntryImport: {"import", "form"}, lead.EntryAPI: {"form", "form"},
	} {
		i := ForCapture(lead.Capture{Touch: lead.Touch{EntryMethod: m}}, "ld_1", now)
		if string(i.Channel) != want[0] || string(i.Kind) != want[1] {
			t.Errorf("%s: %s/%s, want %v", m, i.Channel, i.Kind, want)
		}
	}
}
