package lead

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/leadflow/leadflow/internal/account"
)

// maxCapture is the largest capture internal/capture accepts, in bytes:
// 50 attributes of 1,024 four-byte characters, URLs of 2,048 four-byte
// characters, a new external id each time.
func maxCapture(attacker, i int) Capture {
	big := func(n int) string { return strings.Repeat("𝄞", n) } // 4 bytes each
	attrs := map[string]string{}
	for j := range 50 {
		attrs[fmt.Sprintf("a%d_%d_%d_%s", attacker, i, j, strings.Repeat("k", 40))] = big(1024)
	}
	url := "https://evil.example/" + big(2000)
	return Capture{
		SiteID:     "site_1",
		ExternalID: fmt.Sprintf("attacker-%d-%d-%s", attacker, i, big(100)),
		Name:       big(200),
		Contact:    Contact{Email: "ana@example.com", Attributes: attrs},
		Touch: Touch{At: t1, EntryMethod: EntryAPI, SiteID: "site_1", PageURL: url, LandingURL: url,
			GeneratedAtURL: url, Referrer: url, UTMSource: big(512), UTMMedium: big(512), UTMCampaign: big(512),
			UTMTerm: big(512), UTMContent: big(512), GCLID: big(512), FBCLID: big(512), UserAgent: big(1024),
			IP: big(256), Country: big(256), Region: big(256), City: big(256), Locale: strings.Repeat("x", 35)},
	}
}

func chatbotCapture() Capture {
	return Capture{
		SiteID: "site_1", ExternalID: "conv-real", Name: "Ana Souza",
		Contact:      Contact{Email: "ana@example.com", Attributes: map[string]string{"interest": "pricing"}},
		Touch:        Touch{At: t1, EntryMethod: EntryChatbot, SiteID: "site_1", PageURL: "https://shop.example/pricing"},
		Conversation: []Message{{From: SpeakerVisitor, Text: "Quero um orçamento", At: t1}},
	}
}

// leadSize is the JSON size of a lead, a close upper bound of its DynamoDB
// item (attribute names plus values, without JSON's quotes and braces).
func leadSize(t *testing.T, l Lead) int {
	t.Helper()
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

// Finding 1: a thousand maximum-size captures of one person from several
// attackers leave the lead small, and a genuine capture afterwards is
// absorbed with its attribute, touch and history.
func TestThousandMaximumCapturesLeaveTheLeadBounded(t *testing.T) {
	l, _ := New("t1", "ld_1", "ct_1", chatbotCapture(), t0)
	l.Contact.Attributes = nil // make room for the attackers first
	for i := range 1000 {
		evs := l.Absorb(maxCapture(i%7, i), t1, nil)
		// captured, 5 contact fills, attribute changes, not applied, restored
		if len(evs) > 1+5+maxAttributeEvents+2 {
			t.Fatalf("capture %d: %d history entries", i, len(evs))
		}
	}
	if n := len(l.Contact.Attributes); n > MaxLeadAttributes {
		t.Errorf("%d attributes", n)
	}
	if b := AttributeBytes(l.Contact.Attributes); b > MaxLeadAttributeBytes {
		t.Errorf("%d attribute bytes", b)
	}
	if n := len(l.ExternalIDs); n != MaxLeadExternalIDs {
		t.Errorf("%d external ids, want the cap %d", n, MaxLeadExternalIDs)
	}
	if size := leadSize(t, l); size > 100_000 {
		t.Errorf("lead is %d bytes after 1,000 maximum captures", size)
	} else {
		t.Logf("lead is %d bytes after 1,000 maximum captures", size)
	}

	real := chatbotCapture()
	real.ExternalID = "conv-next" // a new conversation of the same person
	real.Contact.Attributes = map[string]string{"a": "b"}
	evs := l.Absorb(real, t1.Add(time.Minute), nil)
	if evs[0].Action != ActionCaptured || l.LastTouch.PageURL != real.Touch.PageURL {
		t.Errorf("genuine capture not absorbed: %+v, last touch %+v", evs[0], l.LastTouch)
	}
	if l.Interactions != 1002 {
		t.Errorf("interactions %d", l.Interactions)
	}
	// Its small attribute still fits; its external id does not (the
	// attackers used up the cap): history says so, and why.
	if l.Contact.Attributes["a"] != "b" {
		t.Errorf("genuine attribute not stored: %q", l.Contact.Attributes["a"])
	}
	last := evs[len(evs)-1]
	na, _ := last.After.(map[string]NotApplied)
	if last.Action != ActionCaptureNotApplied || na["external_id"].Reason != NotAppliedLeadLimit || na["external_id"].Detail == "" {
		t.Errorf("last entry %+v", last)
	}
	// A big attribute does not fit the attribute bytes: dropped, named.
	real.Contact.Attributes = map[string]string{"notes": strings.Repeat("x", 1024), "more": strings.Repeat("y", 1024), "even_more": strings.Repeat("z", 1024), "yet_more": strings.Repeat("w", 1024)}
	evs = l.Absorb(real, t1.Add(2*time.Minute), nil)
	last = evs[len(evs)-1]
	if na, _ := last.After.(map[string]NotApplied); na["contact.attributes.yet_more"].Reason != NotAppliedLeadLimit {
		t.Errorf("last entry %+v", last)
	}
}

// Everything that grows inside the lead at its caps at once, set by
// captures and by users, stays far below DynamoDB's 400 KB item limit.
func TestWorstCaseLeadStaysBounded(t *testing.T) {
	l, _ := New("t1", "ld_1", "ct_1", maxCapture(0, 0), t0)
	actor := Actor{Type: ActorUser, ID: "u1"}
	// A user fills the attributes with short values up to the count cap
	// (longest names, so provenance marks are as large as they get).
	l.Contact.Attributes = nil
	attrs := map[string]*string{}
	for i := range MaxLeadAttributes {
		v := "v"
		attrs[fmt.Sprintf("%03d%s", i, strings.Repeat("k", 61))] = &v
	}
	tags, groups := []string{}, []string{}
	for i := range MaxTags {
		tags = append(tags, fmt.Sprintf("%02d%s", i, strings.Repeat("t", MaxTagLen-2)))
	}
	for i := range MaxGroups {
		groups = append(groups, fmt.Sprintf("grp_%02d_%s", i, strings.Repeat("g", 26)))
	}
	name := strings.Repeat("𝄢", 200)
	if _, err := l.Apply(Patch{Name: &name, Attributes: attrs, Tags: &tags, Groups: &groups}, actor, account.Account{}, t1); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		l.Absorb(maxCapture(1, i), t1, nil)
	}
	if len(l.Provenance) != MaxLeadAttributes+1 {
		t.Errorf("%d provenance marks", len(l.Provenance))
	}
	size := leadSize(t, l)
	t.Logf("worst-case lead: %d bytes", size)
	if size > 100_000 {
		t.Errorf("worst-case lead is %d bytes", size)
	}
}

// Finding 2: an agent's value is never overwritten by a capture; the
// captured value goes into history instead. Captured values may be
// replaced by later captures, and a field the user cleared may be filled.
func TestAbsorbNeverOverwritesWhatAUserEdited(t *testing.T) {
	l, _ := New("t1", "ld_1", "ct_1", firstCapture(), t0) // company=Acme, captured
	agent := Actor{Type: ActorUser, ID: "agent_1"}
	set := "AgentSet"
	if _, err := l.Apply(Patch{Attributes: map[string]*string{"company": &set}}, agent, account.Account{}, t1); err != nil {
		t.Fatal(err)
	}
	if l.SetBy("contact.attributes.company") != ProvenanceUser || l.SetBy("contact.attributes.budget") != ProvenanceCapture {
		t.Fatalf("provenance %v", l.Provenance)
	}
	c := firstCapture()
	c.Contact.Attributes = map[string]string{"company": "Hacked2", "budget": "10k"}
	evs := l.Absorb(c, t1, nil)
	if got := l.Contact.Attributes["company"]; got != "AgentSet" {
		t.Errorf("company = %q, want AgentSet", got)
	}
	if got := l.Contact.Attributes["budget"]; got != "10k" {
		t.Errorf("budget = %q: a captured attribute must be set", got)
	}
	last := evs[len(evs)-1]
	if na, _ := last.After.(map[string]NotApplied); last.Action != ActionCaptureNotApplied ||
		na["contact.attributes.company"] != (NotApplied{Value: "Hacked2", Reason: NotAppliedUserEdited}) {
		t.Errorf("last history entry %+v", last)
	}

	// A captured attribute is replaced by a later capture.
	c.Contact.Attributes = map[string]string{"budget": "20k"}
	if l.Absorb(c, t1, nil); l.Contact.Attributes["budget"] != "20k" {
		t.Errorf("captured budget not replaced: %q", l.Contact.Attributes["budget"])
	}
	// A user clears the company: the mark goes, a capture may fill it.
	if _, err := l.Apply(Patch{Attributes: map[string]*string{"company": nil}}, agent, account.Account{}, t1); err != nil {
		t.Fatal(err)
	}
	c.Contact.Attributes = map[string]string{"company": "Acme"}
	if l.Absorb(c, t1, nil); l.Contact.Attributes["company"] != "Acme" || l.Provenance != nil {
		t.Errorf("company %q, provenance %v", l.Contact.Attributes["company"], l.Provenance)
	}
	// Workers and the system do not mark fields as a user's.
	other := "x"
	if _, err := l.Apply(Patch{Attributes: map[string]*string{"seats": &other}}, Actor{Type: ActorWorker}, account.Account{}, t1); err != nil {
		t.Fatal(err)
	}
	if l.SetBy("contact.attributes.seats") != ProvenanceCapture {
		t.Errorf("a worker's change marked as a user's: %v", l.Provenance)
	}
}

// A user-edited name or e-mail is kept, and the captured value is named in
// history with its reason.
func TestAbsorbRecordsIdentityValuesItDidNotApply(t *testing.T) {
	l, _ := New("t1", "ld_1", "ct_1", firstCapture(), t0)
	agent := Actor{Type: ActorUser, ID: "agent_1"}
	name := "Ana Maria Souza"
	if _, err := l.Apply(Patch{Name: &name}, agent, account.Account{}, t1); err != nil {
		t.Fatal(err)
	}
	c := firstCapture()
	c.Name, c.Contact.Email, c.Contact.CPF = "Hacker", "other@example.com", "52998224725"
	evs := l.Absorb(c, t1, func(k IdentityKey) bool { return k.Kind == "cpf" })
	if l.Name != name || l.Contact.Email != "ana@example.com" || l.Contact.CPF != "" {
		t.Errorf("lead changed: %q %+v", l.Name, l.Contact)
	}
	want := map[string]NotApplied{
		"name":          {Value: "Hacker", Reason: NotAppliedUserEdited},
		"contact.email": {Value: "other@example.com", Reason: NotAppliedKeptExisting},
		"contact.cpf":   {Value: "52998224725", Reason: NotAppliedOtherLead},
	}
	last := evs[len(evs)-1]
	if got, _ := last.After.(map[string]NotApplied); last.Action != ActionCaptureNotApplied || !maps.Equal(got, want) {
		t.Errorf("not applied %+v, want %+v", last.After, want)
	}
}

func TestAbsorbFoldsManyAttributeChangesIntoOneEntry(t *testing.T) {
	l, _ := New("t1", "ld_1", "ct_1", firstCapture(), t0)
	c := firstCapture()
	c.Contact.Attributes = map[string]string{}
	for i := range 30 {
		c.Contact.Attributes[fmt.Sprintf("k%02d", i)] = "v"
	}
	got := changes(l.Absorb(c, t1, nil))
	if len(got) != 1 || got[0].Field != "contact.attributes" {
		t.Fatalf("changes %+v", got)
	}
	if after := got[0].After.(map[string]any); len(after) != 30 || after["k07"] != "v" {
		t.Errorf("after %v", after)
	}
	if len(l.Contact.Attributes) != 31 {
		t.Errorf("%d attributes", len(l.Contact.Attributes))
	}
}

// A first capture is capped like a repeat one.
func TestNewCapsAttributes(t *testing.T) {
	l, evs := New("t1", "ld_1", "ct_1", maxCapture(0, 0), t0)
	if b := AttributeBytes(l.Contact.Attributes); b > MaxLeadAttributeBytes || len(l.Contact.Attributes) == 0 {
		t.Errorf("%d attributes, %d bytes", len(l.Contact.Attributes), b)
	}
	if len(evs) != 2 || evs[0].Action != ActionCreated || evs[1].Action != ActionCaptureNotApplied {
		t.Fatalf("events %+v", evs)
	}
	if n := len(evs[1].After.(map[string]NotApplied)) + len(l.Contact.Attributes); n != 50 {
		t.Errorf("%d attributes kept or named as dropped, want 50", n)
	}
}

func TestApplyRefusesAttributesPastTheLeadCaps(t *testing.T) {
	actor := Actor{Type: ActorUser, ID: "u"}
	full := Lead{Contact: Contact{Attributes: map[string]string{}}}
	for i := range MaxLeadAttributes {
		full.Contact.Attributes[fmt.Sprintf("k%03d", i)] = "v"
	}
	v, long := "v", strings.Repeat("x", 1000)
	tests := []struct {
		name  string
		lead  Lead
		attrs map[string]*string
		code  string
	}{
		{"one more than the count", full, map[string]*string{"extra": &v}, "too_many"},
		{"replacing one is fine", full, map[string]*string{"k001": &long}, ""},
		{"removing one and adding one is fine", full, map[string]*string{"k001": nil, "extra": &v}, ""},
		{"too many bytes", Lead{}, func() map[string]*string {
			m := map[string]*string{}
			for i := range 17 {
				m[fmt.Sprintf("b%02d", i)] = &long
			}
			return m
		}(), "too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.lead
			l.Contact.Attributes = maps.Clone(l.Contact.Attributes)
			_, err := l.Apply(Patch{Attributes: tt.attrs}, actor, account.Account{}, t1)
			var invalid *InvalidError
			switch {
			case tt.code == "" && err != nil:
				t.Errorf("err %v", err)
			case tt.code != "" && (!errors.As(err, &invalid) || invalid.Errors[0].Field != "contact.attributes" || invalid.Errors[0].Code != tt.code):
				t.Errorf("err %v, want contact.attributes %s", err, tt.code)
			}
		})
	}
	// A lead stored past the caps before they existed may still shrink.
	legacy := Lead{Contact: Contact{Attributes: map[string]string{}}}
	for i := range MaxLeadAttributes + 20 {
		legacy.Contact.Attributes[fmt.Sprintf("k%03d", i)] = "v"
	}
	if _, err := legacy.Apply(Patch{Attributes: map[string]*string{"k000": nil}}, actor, account.Account{}, t1); err != nil {
		t.Errorf("shrinking a legacy lead: %v", err)
	}
}

func TestTouchClippedKeepsValidText(t *testing.T) {
	tc := maxCapture(0, 0).Touch
	c := tc.Clipped()
	for _, s := range []string{c.PageURL, c.UTMSource, c.UserAgent, c.City} {
		if !utf8.ValidString(s) || len(s) == 0 {
			t.Errorf("clipped to %d bytes, valid %v", len(s), utf8.ValidString(s))
		}
	}
	if len(c.PageURL) > maxTouchURLBytes || len(c.UTMTerm) > maxTouchTextBytes || len(c.UserAgent) > maxTouchAgentBytes ||
		len(c.UTMCampaign) > maxTouchDimensionBytes {
		t.Errorf("not clipped: %d %d %d %d", len(c.PageURL), len(c.UTMTerm), len(c.UserAgent), len(c.UTMCampaign))
	}
	small := firstCapture().Touch
	if small.Clipped() != small {
		t.Error("a normal touch changed")
	}
}

func TestFingerprint(t *testing.T) {
	a := chatbotCapture()
	b := chatbotCapture()
	b.Touch.At, b.Touch.IP, b.Touch.City = t1.Add(time.Hour), "203.0.113.9", "Recife"
	b.Conversation[0].At = b.Conversation[0].At.In(time.FixedZone("BRT", -3*3600))
	if a.Fingerprint() != b.Fingerprint() {
		t.Error("a retry of the same body from elsewhere has another fingerprint")
	}
	for name, change := range map[string]func(*Capture){
		"message": func(c *Capture) {
			c.Conversation = append(c.Conversation, Message{From: SpeakerBot, Text: "Oi", At: t1})
		},
		"attribute": func(c *Capture) { c.Contact.Attributes = map[string]string{"interest": "other"} },
		"page":      func(c *Capture) { c.Touch.PageURL += "?x=1" },
		"site":      func(c *Capture) { c.SiteID = "site_2" },
	} {
		c := chatbotCapture()
		change(&c)
		if c.Fingerprint() == a.Fingerprint() {
			t.Errorf("%s: same fingerprint", name)
		}
	}
}

func TestConflicts(t *testing.T) {
	keys := []IdentityKey{{"ext", "s#1"}, {"cpf", "52998224725"}, {"email", "a@b.co"}, {"phone", "+551"}, {"phone", "+552"}}
	owners := map[IdentityKey]string{
		keys[1]: "ld_y", keys[2]: "ld_x", keys[3]: "ld_x", keys[4]: "",
	}
	got := Conflicts(keys, owners, "ld_y", t1)
	want := []DuplicateCandidate{{LeadID: "ld_x", At: t1, Reasons: []DuplicateReason{{"email", "a@b.co"}, {"phone", "+551"}}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Conflicts = %+v, want %+v", got, want)
	}
	if got := Conflicts(keys, map[IdentityKey]string{keys[1]: "ld_y"}, "ld_y", t1); got != nil {
		t.Errorf("no conflict: %+v", got)
	}
}
