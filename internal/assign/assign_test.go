package assign

import (
	"errors"
	"testing"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
)

func users() []account.User {
	return []account.User{
		{ID: "u3", Role: account.RoleAgent, Active: true},
		{ID: "u1", Role: account.RoleAgent, Active: true},
		{ID: "admin", Role: account.RoleAdmin, Active: true},
		{ID: "away", Role: account.RoleAgent, Active: true, Away: true},
		{ID: "gone", Role: account.RoleAgent, Active: false},
		{ID: "u2", Role: account.RoleAgent, Active: true},
	}
}

func TestEligibleSkipsAwayInactiveAndAdmins(t *testing.T) {
	got := Eligible(Rule{}, users())
	var ids []string
	for _, u := range got {
		ids = append(ids, u.ID)
	}
	if want := "[u1 u2 u3]"; fmtIDs(ids) != want {
		t.Fatalf("eligible = %v, want %s", ids, want)
	}
	got = Eligible(Rule{Agents: []string{"u2", "away"}}, users())
	if len(got) != 1 || got[0].ID != "u2" {
		t.Fatalf("restricted eligible = %v", got)
	}
}

func fmtIDs(ids []string) string {
	s := "["
	for i, id := range ids {
		if i > 0 {
			s += " "
		}
		s += id
	}
	return s + "]"
}

func TestTurnCyclesFairly(t *testing.T) {
	c := Eligible(Rule{}, users())
	count := map[string]int{}
	for n := int64(1); n <= 50; n++ {
		count[Turn(c, n).ID]++
	}
	for _, u := range c {
		if count[u.ID] != 16 && count[u.ID] != 17 {
			t.Errorf("%s got %d of 50", u.ID, count[u.ID])
		}
	}
	if Turn(c, 1).ID != "u1" || Turn(c, 4).ID != "u1" || Turn(c, 0).ID != "u3" {
		t.Error("turn order is not by id")
	}
}

func TestLeast(t *testing.T) {
	c := Eligible(Rule{}, users())
	if got := Least(c, map[string]int64{"u1": 3, "u2": 1, "u3": 1}); got.ID != "u2" {
		t.Errorf("least = %s, want u2 (tie broken by id)", got.ID)
	}
	if got := Least(c, nil); got.ID != "u1" {
		t.Errorf("least with no loads = %s", got.ID)
	}
}

func TestFindFirstMatchWins(t *testing.T) {
	r := Rules{Rules: []Rule{
		{ID: "google", Match: Match{Source: "Google", Campaign: "bf2026"}, Strategy: LeastLoaded},
		{ID: "site", Match: Match{SiteID: "s1"}, Strategy: RoundRobin},
		{ID: "all", Strategy: RoundRobin},
	}}
	l := lead.Lead{SiteID: "s1", FirstTouch: lead.Touch{UTMSource: "google", UTMCampaign: "bf2026"}}
	if rule, _ := r.Find(l); rule.ID != "google" {
		t.Errorf("got %s, want google", rule.ID)
	}
	l.FirstTouch.UTMCampaign = "other"
	if rule, _ := r.Find(l); rule.ID != "site" {
		t.Errorf("got %s, want site", rule.ID)
	}
	l.SiteID = "s2"
	if rule, _ := r.Find(l); rule.ID != "all" {
		t.Errorf("got %s, want all", rule.ID)
	}
	if _, ok := (Rules{Rules: r.Rules[:2]}).Find(l); ok {
		t.Error("no rule should match")
	}
}

func TestValidate(t *testing.T) {
	r := Rules{Rules: []Rule{
		{Strategy: RoundRobin},
		{ID: "r1", Strategy: "random", Agents: []string{"nobody"}, Match: Match{EntryMethod: "fax"}},
	}}
	err := r.Validate(func(id string) bool { return id == "u1" })
	var inv *lead.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("err = %v", err)
	}
	fields := map[string]bool{}
	for _, e := range inv.Errors {
		fields[e.Field] = true
	}
	for _, f := range []string{"rules[1].id", "rules[1].strategy", "rules[1].agents[0]", "rules[1].match.entry_method"} {
		if !fields[f] {
			t.Errorf("no error for %s: %v", f, inv.Errors)
		}
	}
	if r.Rules[0].ID != "r1" {
		t.Errorf("missing id not filled: %q", r.Rules[0].ID)
	}
	ok := Rules{Rules: []Rule{{ID: "x", Strategy: LeastLoaded, Agents: []string{"u1"}}}}
	if err := ok.Validate(func(id string) bool { return id == "u1" }); err != nil {
		t.Errorf("valid rules refused: %v", err)
	}
}
