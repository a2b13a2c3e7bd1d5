package lead

import (
	"slices"
	"testing"
	"time"
)

func TestFoldAndSearch(t *testing.T) {
	if got := Fold("  João SILVA "); got != "joao silva" {
		t.Errorf("Fold = %q", got)
	}
	l := Lead{Name: "João Silva", Contact: Contact{Email: "Joao@Example.com", Phone: "+5511912345678"}}
	for _, q := range []string{"joao", "JOÃO", "sil", "joao sil", "joao@ex", "11 91234", "+55 11 9123", "912345"} {
		if !MatchesSearch(l, q) {
			t.Errorf("%q does not find %v (tokens %v)", q, l.Name, SearchTokens(l))
		}
	}
	for _, q := range []string{"maria", "joao maria", "ilva", "99999"} {
		if MatchesSearch(l, q) {
			t.Errorf("%q finds %v", q, l.Name)
		}
	}
	if p := SearchPrefix("jo silva"); p != "silva" {
		t.Errorf("SearchPrefix = %q, want the longest word", p)
	}
	if got := FirstSearchToken(l, "s"); got != "silva" {
		t.Errorf("FirstSearchToken = %q", got)
	}
}

func TestFilterMatches(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	l := Lead{
		Name: "Ana", State: StateInProgress, SubState: "proposta", OwnerID: "u1", Rating: 4,
		EntryMethod: EntryForm, SiteID: "s1", Classification: ClassCompany,
		Tags: []string{"vip"}, Groups: []string{"g1"}, CreatedAt: now,
		Contact:    Contact{CPF: "52998224725"},
		FirstTouch: Touch{UTMCampaign: "BF2026", UTMSource: "google", UTMMedium: "cpc"},
		LastTouch:  Touch{UTMCampaign: "natal"},
	}
	before, after := now.Add(-time.Hour), now.Add(time.Hour)
	yes := []Filter{
		{}, {State: StateInProgress, SubState: "proposta"}, {Owner: "u1"}, {RatingMin: 4},
		{Campaign: "bf2026"}, {Campaign: "Natal"}, {Source: "Google"}, {Medium: "cpc"},
		{EntryMethod: EntryForm}, {Site: "s1"}, {Classification: ClassCompany}, {Tag: " VIP "},
		{Group: "g1"}, {CPF: "52998224725"}, {Q: "an"}, {CreatedFrom: &before, CreatedTo: &after},
		{State: StateInProgress, Owner: "u1", RatingMin: 3, Campaign: "bf2026", Tag: "vip"},
	}
	for _, f := range yes {
		if !f.Matches(l) {
			t.Errorf("%+v does not match", f)
		}
	}
	no := []Filter{
		{State: StateNew}, {Owner: OwnerUnassigned}, {Owner: "u2"}, {RatingMin: 5}, {Campaign: "x"},
		{Classification: ClassPress}, {Tag: "x"}, {Group: "g2"}, {CPF: "1"}, {Q: "bia"},
		{CreatedFrom: &after}, {CreatedTo: &now}, {State: StateInProgress, Owner: "u2"},
	}
	for _, f := range no {
		if f.Matches(l) {
			t.Errorf("%+v matches", f)
		}
	}
	deleted := l
	deleted.DeletedAt = &now
	if (Filter{}).Matches(deleted) {
		t.Error("a deleted lead matches")
	}
}

func TestQueryValidate(t *testing.T) {
	from := time.Now()
	to := from.Add(-time.Hour)
	err := Query{Sort: "random", Filter: Filter{State: "won", RatingMin: 9, Classification: "robot", SubState: "x",
		EntryMethod: "fax", CreatedFrom: &from, CreatedTo: &to}}.Validate()
	inv, ok := err.(*InvalidError)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	var fields []string
	for _, e := range inv.Errors {
		fields = append(fields, e.Field)
	}
	for _, f := range []string{"sort", "state", "rating_min", "classification", "entry_method", "created_to"} {
		if !slices.Contains(fields, f) {
			t.Errorf("no error for %s: %v", f, fields)
		}
	}
	if err := (Query{Sort: SortName, Filter: Filter{State: StateNew}}).Validate(); err != nil {
		t.Errorf("valid query: %v", err)
	}
}

func TestPatchClassificationTagsGroups(t *testing.T) {
	now := time.Now()
	l := Lead{Tags: []string{"old"}}
	c := ClassPress
	events, err := l.Apply(Patch{Classification: &c, AddTags: []string{" Promoção ", "VIP", "vip"}, RemoveTags: []string{"OLD"},
		AddGroups: []string{"g2", "g1"}}, Actor{Type: ActorUser, ID: "u"}, testAccount, now)
	if err != nil {
		t.Fatal(err)
	}
	if l.Classification != ClassPress || !slices.Equal(l.Tags, []string{"promocao", "vip"}) || !slices.Equal(l.Groups, []string{"g1", "g2"}) {
		t.Errorf("lead = %+v", l)
	}
	got := map[string]bool{}
	for _, e := range events {
		got[e.Field] = true
	}
	if !got["classification"] || !got["tags"] || !got["groups"] || len(events) != 3 {
		t.Errorf("events = %+v", events)
	}
	// The same change again records nothing.
	events, err = l.Apply(Patch{Classification: &c, AddTags: []string{"vip"}}, Actor{}, testAccount, now)
	if err != nil || len(events) != 0 {
		t.Errorf("repeat: %v %v", events, err)
	}
	bad := Classification("robot")
	many := make([]string, MaxTags+1)
	for i := range many {
		many[i] = string(rune('a' + i))
	}
	before := l
	_, err = l.Apply(Patch{Classification: &bad, Tags: &many}, Actor{}, testAccount, now)
	inv, ok := err.(*InvalidError)
	if !ok || len(inv.Errors) != 2 {
		t.Fatalf("err = %v", err)
	}
	if l.Classification != before.Classification || !slices.Equal(l.Tags, before.Tags) {
		t.Error("an invalid patch changed the lead")
	}
	empty := Classification("")
	if _, err := l.Apply(Patch{Classification: &empty, Tags: &[]string{}}, Actor{}, testAccount, now); err != nil || l.Classification != "" || l.Tags != nil {
		t.Errorf("clear: %v %+v", err, l)
	}
}
