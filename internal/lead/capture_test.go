package lead

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	t0 = time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Hour)
)

func firstCapture() Capture {
	return Capture{
		SiteID:     "site_1",
		ExternalID: "conv-1",
		Name:       "Ana Souza",
		Contact: Contact{
			Email: "ana@example.com", Phone: "+5511912345678",
			Attributes: map[string]string{"company": "Acme"},
		},
		Touch: Touch{At: t0, EntryMethod: EntryChatbot, SiteID: "site_1", UTMSource: "google", PageURL: "https://s.example/a"},
	}
}

func TestCaptureKeys(t *testing.T) {
	tests := []struct {
		name string
		c    Capture
		want []IdentityKey
	}{
		{"nothing", Capture{SiteID: "s"}, nil},
		{"strongest first", Capture{SiteID: "s", ExternalID: "x", Contact: Contact{
			Email: "a@b.co", Phone: "+551", WhatsApp: "+552", CPF: "52998224725"}},
			[]IdentityKey{{"ext", "s#x"}, {"cpf", "52998224725"}, {"email", "a@b.co"}, {"phone", "+551"}, {"phone", "+552"}}},
		{"phone and whatsapp equal give one key", Capture{SiteID: "s", Contact: Contact{Phone: "+551", WhatsApp: "+551"}},
			[]IdentityKey{{"phone", "+551"}}},
		{"whatsapp only", Capture{SiteID: "s", Contact: Contact{WhatsApp: "+552"}}, []IdentityKey{{"phone", "+552"}}},
		{"external id scoped to the site", Capture{SiteID: "other", ExternalID: "x"}, []IdentityKey{{"ext", "other#x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Keys(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Keys() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLeadKeys(t *testing.T) {
	l := Lead{ExternalIDs: []string{"s#1", "s#2"}, Contact: Contact{Email: "a@b.co", CPF: "1"}}
	want := []IdentityKey{{"ext", "s#1"}, {"ext", "s#2"}, {"cpf", "1"}, {"email", "a@b.co"}}
	if got := l.Keys(); !reflect.DeepEqual(got, want) {
		t.Errorf("Keys() = %v, want %v", got, want)
	}
	if got := (Lead{}).Keys(); got != nil {
		t.Errorf("empty lead keys %v", got)
	}
}

// A capture's keys and the lead it creates hold the same keys, so the store
// can find the lead again by any of them.
func TestNewLeadKeysMatchCapture(t *testing.T) {
	c := firstCapture()
	l, _ := New("t1", "ld_1", "ct_1", c, t0)
	if !reflect.DeepEqual(l.Keys(), c.Keys()) {
		t.Errorf("lead keys %v, capture keys %v", l.Keys(), c.Keys())
	}
}

func TestNew(t *testing.T) {
	c := firstCapture()
	l, evs := New("t1", "ld_1", "ct_1", c, t1)
	ev := evs[0]
	want := Lead{
		ID: "ld_1", TenantID: "t1", ContactID: "ct_1", Name: "Ana Souza", State: StateNew,
		EntryMethod: EntryChatbot, SiteID: "site_1", Contact: c.Contact,
		FirstTouch: c.Touch, LastTouch: c.Touch, ExternalIDs: []string{"site_1#conv-1"},
		Interactions: 1, Version: 1, CreatedAt: t1, UpdatedAt: t1,
	}
	if !reflect.DeepEqual(l, want) {
		t.Errorf("New lead\n got %+v\nwant %+v", l, want)
	}
	if ev.Action != ActionCreated || ev.At != t1 || ev.Actor != (Actor{Type: ActorSystem, ID: "chatbot"}) ||
		!reflect.DeepEqual(ev.After, c.Touch) || ev.Field != "" || !strings.HasPrefix(ev.ID, PrefixEvent) {
		t.Errorf("created event %+v", ev)
	}
	// The lead owns its attributes: changing the capture's map later does
	// not change the lead.
	c.Contact.Attributes["company"] = "Changed"
	if l.Contact.Attributes["company"] != "Acme" {
		t.Error("lead shares the capture's attribute map")
	}
}

func TestNewWithoutExternalID(t *testing.T) {
	c := firstCapture()
	c.ExternalID = ""
	c.Contact.Attributes = nil
	l, _ := New("t1", "ld_1", "ct_1", c, t0)
	if l.ExternalIDs != nil || l.Contact.Attributes != nil {
		t.Errorf("external ids %v, attributes %v", l.ExternalIDs, l.Contact.Attributes)
	}
}

type change struct {
	Field         string
	Before, After any
}

func changes(evs []Event) []change {
	var out []change
	for _, e := range evs {
		if e.Action == ActionUpdated {
			out = append(out, change{e.Field, e.Before, e.After})
		}
	}
	return out
}

func TestAbsorb(t *testing.T) {
	later := Touch{At: t1, EntryMethod: EntryForm, SiteID: "site_2", UTMSource: "newsletter", PageURL: "https://s.example/b"}
	tests := []struct {
		name     string
		c        Capture
		keyTaken func(IdentityKey) bool
		want     []change
		check    func(t *testing.T, l Lead)
	}{
		{
			name: "last touch updates, first touch never changes",
			c:    Capture{SiteID: "site_2", Touch: later},
			check: func(t *testing.T, l Lead) {
				if l.FirstTouch.UTMSource != "google" || l.FirstTouch.At != t0 || l.EntryMethod != EntryChatbot {
					t.Errorf("first touch changed: %+v", l.FirstTouch)
				}
				if !reflect.DeepEqual(l.LastTouch, later) {
					t.Errorf("last touch %+v", l.LastTouch)
				}
			},
		},
		{
			name: "contact is fill-only",
			c: Capture{SiteID: "site_1", Name: "Ana Maria", Touch: later, Contact: Contact{
				Email: "other@example.com", Phone: "+5511999999999", WhatsApp: "+5511912345678", CPF: "52998224725",
			}},
			want: []change{
				{"contact.whatsapp", nil, "+5511912345678"},
				{"contact.cpf", nil, "52998224725"},
			},
			check: func(t *testing.T, l Lead) {
				if l.Name != "Ana Souza" || l.Contact.Email != "ana@example.com" || l.Contact.Phone != "+5511912345678" {
					t.Errorf("existing values overwritten: %q %+v", l.Name, l.Contact)
				}
			},
		},
		{
			name: "empty name is filled",
			c:    Capture{SiteID: "site_1", Name: "Bia", Touch: later},
			want: []change{{"name", nil, "Bia"}},
		},
		{
			name: "attribute changes recorded, unchanged ones not",
			c: Capture{SiteID: "site_1", Touch: later, Contact: Contact{Attributes: map[string]string{
				"company": "Acme", "budget": "10k", "seats": "5",
			}}},
			want: []change{{"contact.attributes.budget", nil, "10k"}, {"contact.attributes.seats", nil, "5"}},
		},
		{
			name: "attribute overwritten with before and after",
			c: Capture{SiteID: "site_1", Touch: later, Contact: Contact{Attributes: map[string]string{
				"company": "Acme Ltda",
			}}},
			want: []change{{"contact.attributes.company", "Acme", "Acme Ltda"}},
		},
		{
			name: "keyTaken values are not copied",
			c: Capture{SiteID: "site_1", Touch: later, Contact: Contact{
				WhatsApp: "+5521988887777", CPF: "52998224725",
			}},
			keyTaken: func(k IdentityKey) bool { return k.Kind == "phone" },
			want:     []change{{"contact.cpf", nil, "52998224725"}},
			check: func(t *testing.T, l Lead) {
				if l.Contact.WhatsApp != "" {
					t.Errorf("whatsapp %q taken from another lead", l.Contact.WhatsApp)
				}
			},
		},
		{
			name: "external ids appended once",
			c:    Capture{SiteID: "site_2", ExternalID: "conv-2", Touch: later},
			check: func(t *testing.T, l Lead) {
				if !slices.Equal(l.ExternalIDs, []string{"site_1#conv-1", "site_2#conv-2"}) {
					t.Errorf("external ids %v", l.ExternalIDs)
				}
			},
		},
		{
			name: "known external id not duplicated",
			c:    Capture{SiteID: "site_1", ExternalID: "conv-1", Touch: later},
			check: func(t *testing.T, l Lead) {
				if !slices.Equal(l.ExternalIDs, []string{"site_1#conv-1"}) {
					t.Errorf("external ids %v", l.ExternalIDs)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := New("t1", "ld_1", "ct_1", firstCapture(), t0)
			if tt.name == "empty name is filled" {
				l.Name = ""
			}
			evs := l.Absorb(tt.c, t1, tt.keyTaken)
			if len(evs) == 0 || evs[0].Action != ActionCaptured || !reflect.DeepEqual(evs[0].After, tt.c.Touch) {
				t.Fatalf("first event must be the capture: %+v", evs)
			}
			for _, e := range evs {
				if e.At != t1 || e.Actor.Type != ActorSystem || e.Actor.ID != string(tt.c.Touch.EntryMethod) || e.ID == "" {
					t.Errorf("event %+v", e)
				}
			}
			if got := changes(evs); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("changes\n got %+v\nwant %+v", got, tt.want)
			}
			if l.Interactions != 2 || l.UpdatedAt != t1 || l.CreatedAt != t0 || l.Version != 1 {
				t.Errorf("interactions %d, updated %v, created %v, version %d", l.Interactions, l.UpdatedAt, l.CreatedAt, l.Version)
			}
			if tt.check != nil {
				tt.check(t, l)
			}
		})
	}
}

func TestAbsorbIntoLeadWithoutAttributes(t *testing.T) {
	l := Lead{}
	evs := l.Absorb(Capture{Contact: Contact{Attributes: map[string]string{"k": "v"}}}, t1, nil)
	if l.Contact.Attributes["k"] != "v" || len(changes(evs)) != 1 {
		t.Errorf("attributes %v, events %+v", l.Contact.Attributes, evs)
	}
}

func TestAbsorbSameCaptureTwiceChangesNothingTwice(t *testing.T) {
	l, _ := New("t1", "ld_1", "ct_1", firstCapture(), t0)
	c := firstCapture()
	c.Contact.CPF = "52998224725"
	c.Contact.Attributes = map[string]string{"company": "Acme", "x": "1"}
	if got := len(changes(l.Absorb(c, t1, nil))); got != 2 {
		t.Errorf("first absorb: %d changes, want 2", got)
	}
	if got := changes(l.Absorb(c, t1, nil)); len(got) != 0 {
		t.Errorf("second absorb: changes %+v", got)
	}
	if l.Interactions != 3 || len(l.ExternalIDs) != 1 {
		t.Errorf("interactions %d, external ids %v", l.Interactions, l.ExternalIDs)
	}
}
