package merge

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/lead"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func mk(id, name string, c lead.Contact, created time.Time) lead.Lead {
	return lead.Lead{
		ID: id, ContactID: "ct_" + id, Name: name, Contact: c, State: lead.StateNew, Version: 3,
		CreatedAt: created, UpdatedAt: created, Interactions: 1,
		FirstTouch:  lead.Touch{At: created, EntryMethod: lead.EntryForm, SiteID: "s1", UTMSource: "src-" + id},
		LastTouch:   lead.Touch{At: created, EntryMethod: lead.EntryForm, SiteID: "s1", UTMSource: "src-" + id},
		EntryMethod: lead.EntryForm, SiteID: "s1",
	}
}

func field(p Plan, name string) Field {
	for _, f := range p.Fields {
		if f.Field == name {
			return f
		}
	}
	return Field{}
}

func TestSuggestReasonsScoresAndStrongConflicts(t *testing.T) {
	target := mk("ld_a", "Ana Souza", lead.Contact{Email: "ana.souza@gmail.com", Phone: "+5511912345678", CPF: "52998224725"}, t0)
	sameCPF := mk("ld_b", "A. Souza", lead.Contact{CPF: "52998224725"}, t0)
	similar := mk("ld_c", "souza ana", lead.Contact{Phone: "+551112345678", Email: "anasouza+news@work.com"}, t0)
	otherCPF := mk("ld_d", "Ana Souza", lead.Contact{CPF: "11144477735", Phone: "+5511912345678"}, t0)
	recorded := mk("ld_e", "Someone Else", lead.Contact{}, t0)
	nothing := mk("ld_f", "Ana", lead.Contact{Phone: "+5521912345678"}, t0) // first name alone, similar phone
	cands := []Candidate{
		{Lead: sameCPF}, {Lead: similar}, {Lead: otherCPF}, {Lead: nothing},
		{Lead: recorded, Recorded: []lead.DuplicateReason{{Signal: "email", Value: "ana.souza@gmail.com"}}},
		{Lead: target}, // the lead itself never suggests itself
	}
	got := Suggest(target, cands, false)
	ids := []string{}
	for _, s := range got {
		ids = append(ids, s.LeadID)
	}
	if want := []string{"ld_b", "ld_c", "ld_e"}; !slices.Equal(ids, want) {
		t.Fatalf("suggested %v, want %v (best first; different CPF and name-only left out)", ids, want)
	}
	if got[0].Score != 95 || got[0].Reasons[0].Signal != "cpf" || got[0].Reasons[0].Match != MatchKey {
		t.Errorf("same CPF: %+v", got[0])
	}
	// name + similar phone (60) and name + similar e-mail (55) combine: 1-(.4*.45) = 82.
	if got[1].Score != 82 || len(got[1].Reasons) != 2 || got[1].Reasons[0].Signal != SignalNamePhone {
		t.Errorf("similar: %+v", got[1])
	}
	if got[2].Reasons[0].Match != MatchRecorded || got[2].Score != 80 {
		t.Errorf("recorded: %+v", got[2])
	}

	forced := Suggest(target, cands, true)
	var d *Suggestion
	for i := range forced {
		if forced[i].LeadID == "ld_d" {
			d = &forced[i]
		}
	}
	if d == nil || len(d.Conflicts) != 1 || d.Conflicts[0].Kind != "cpf" || d.Conflicts[0].Values[1] != "11144477735" {
		t.Fatalf("forced: the CPF conflict is listed: %+v", forced)
	}
}

func TestResolveFieldByField(t *testing.T) {
	s := mk("ld_s", "Ana", lead.Contact{Email: "ana@x.com", Attributes: map[string]string{"company": "Acme"}}, t0.Add(48*time.Hour))
	s.Rating, s.OwnerID, s.Tags = 2, "usr_1", []string{"vip"}
	s.UpdatedAt = t0.Add(50 * time.Hour)
	a := mk("ld_a", "Ana Maria Souza", lead.Contact{Email: "ana@y.com", Phone: "+5511912345678", Attributes: map[string]string{"company": "Acme Ltda", "budget": "10k"}}, t0)
	a.Provenance = map[string]string{"name": lead.ProvenanceUser}
	a.Rating, a.State, a.SubState, a.Tags = 4, lead.StateSale, "won", []string{"hot", "vip"}
	a.UpdatedAt = t0.Add(10 * time.Hour)
	a.Consents = []lead.Consent{{Text: "I agree", Checked: true, At: t0}}
	now := t0.Add(100 * time.Hour)
	actor := lead.Actor{Type: lead.ActorUser, ID: "usr_1"}

	p, err := Resolve("mrg_1", s, []lead.Lead{a}, false, actor, now)
	if err != nil {
		t.Fatal(err)
	}
	r := p.Result
	checks := []struct {
		field, from, why string
		ok               bool
	}{
		{"name", "ld_a", WhyUserEdited, r.Name == "Ana Maria Souza" && r.SetBy("name") == lead.ProvenanceUser},
		{"contact.email", "ld_s", WhyNewer, r.Contact.Email == "ana@x.com"},
		{"contact.phone", "ld_a", WhyNonEmpty, r.Contact.Phone == "+5511912345678"},
		{"contact.attributes.company", "ld_s", WhyNewer, r.Contact.Attributes["company"] == "Acme"},
		{"contact.attributes.budget", "ld_a", WhyNonEmpty, r.Contact.Attributes["budget"] == "10k"},
		{"first_touch", "ld_a", WhyEarliest, r.FirstTouch.UTMSource == "src-ld_a" && r.CreatedAt.Equal(t0)},
		{"last_touch", "ld_s", WhyLatest, r.LastTouch.UTMSource == "src-ld_s"},
		{"rating", "ld_a", WhyMax, r.Rating == 4},
		{"state", "ld_a", WhyMostAdvanced, r.State == lead.StateSale && r.SubState == "won"},
		{"owner_id", "ld_s", WhySurvivor, r.OwnerID == "usr_1"},
		{"tags", "", WhyUnion, slices.Equal(r.Tags, []string{"vip", "hot"})},
		{"interactions", "", WhySum, r.Interactions == 2},
	}
	for _, c := range checks {
		f := field(p, c.field)
		if !c.ok || f.From != c.from || f.Why != c.why {
			t.Errorf("%s: value ok=%v, from %q why %q; want from %q why %q", c.field, c.ok, f.From, f.Why, c.from, c.why)
		}
	}
	if r.ID != "ld_s" || r.ContactID != "ct_ld_s" || r.Version != 4 || !r.UpdatedAt.Equal(now) || len(r.Consents) != 1 {
		t.Errorf("survivor identity: %+v", r)
	}
	if len(p.Tombstones) != 1 || p.Tombstones[0].MergedInto != "ld_s" || p.Tombstones[0].DeletedAt == nil || p.Tombstones[0].MergeID != "mrg_1" {
		t.Errorf("tombstone: %+v", p.Tombstones)
	}
	if p.Events["ld_s"].Action != ActionMerged || p.Events["ld_a"].Action != ActionMergedInto {
		t.Errorf("events: %+v", p.Events)
	}
	// The inputs are untouched (the store compares them with what it wrote).
	if s.Contact.Attributes["budget"] != "" || len(s.Tags) != 1 {
		t.Errorf("survivor input changed: %+v", s)
	}
}

func TestResolveRefusals(t *testing.T) {
	s := mk("ld_s", "Ana", lead.Contact{CPF: "52998224725"}, t0)
	b := mk("ld_b", "Ana", lead.Contact{CPF: "11144477735"}, t0)
	actor := lead.Actor{Type: lead.ActorUser, ID: "u"}
	_, err := Resolve("m", s, []lead.Lead{b}, false, actor, t0)
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.LeadID != "ld_b" || ce.Conflicts[0].Kind != "cpf" {
		t.Fatalf("two CPFs: %v", err)
	}
	if _, err := Resolve("m", s, []lead.Lead{b}, true, actor, t0); err != nil {
		t.Fatalf("forced: %v", err)
	}
	del := b
	del.DeletedAt = &t0
	for name, abs := range map[string][]lead.Lead{"none": nil, "self": {s}, "twice": {b, b}, "deleted": {del}} {
		var inv *lead.InvalidError
		if _, err := Resolve("m", s, abs, true, actor, t0); !errors.As(err, &inv) {
			t.Errorf("%s: %v, want invalid input", name, err)
		}
	}
}
