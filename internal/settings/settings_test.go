package settings

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
)

var (
	actor = lead.Actor{Type: lead.ActorUser, ID: "usr_admin"}
	now   = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
)

func ptr[T any](v T) *T { return &v }

func fields(t *testing.T, err error) []string {
	t.Helper()
	var inv *lead.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("want *lead.InvalidError, got %v", err)
	}
	var out []string
	for _, e := range inv.Errors {
		out = append(out, e.Field)
	}
	slices.Sort(out)
	return out
}

func TestAccountPatchNamesEveryBadField(t *testing.T) {
	a := account.Account{ID: "demo", Name: "Loja", Timezone: "UTC", Country: "BR"}
	p := AccountPatch{
		Name: ptr("  "), Timezone: ptr("America/Nowhere"), Country: ptr("XX"),
		SubStates: &map[string][]SubState{
			"in_progress": {{ID: "Bad Id", Label: "x"}, {ID: "ok", Label: ""}},
			"lost":        {{ID: "a", Label: "A"}},
		},
	}
	_, err := p.Apply(&a, actor, now)
	got := fields(t, err)
	want := []string{"country", "name", "sub_states.in_progress[0].id", "sub_states.in_progress[1].label", "sub_states.lost", "timezone"}
	if !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
	if a.Name != "Loja" || a.Timezone != "UTC" || a.Country != "BR" {
		t.Errorf("a rejected patch changed the account: %+v", a)
	}
}

func TestAccountPatchAppliesAndRecordsChanges(t *testing.T) {
	a := account.Account{ID: "demo", Name: "Loja", Timezone: "UTC", Country: "BR",
		SubStates: map[string][]string{"sale": {"pago"}}}
	evs, err := AccountPatch{
		Name: ptr(" Loja   Demo "), Timezone: ptr("America/Sao_Paulo"), Country: ptr("pt"),
		SubStates: &map[string][]SubState{
			"sale":        {{ID: "pago", Label: "Pago"}},
			"in_progress": {{ID: "proposta", Label: "Proposta enviada"}},
		},
	}.Apply(&a, actor, now)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "Loja Demo" || a.Timezone != "America/Sao_Paulo" || a.Country != "PT" {
		t.Errorf("account %+v", a)
	}
	if !a.AllowsSubState("in_progress", "proposta") || a.AllowsSubState("sale", "proposta") {
		t.Errorf("sub-states %v", a.SubStates)
	}
	ss := SubStates(a)
	if ss["in_progress"][0] != (SubState{ID: "proposta", Label: "Proposta enviada"}) || len(ss["new"]) != 0 || ss["new"] == nil {
		t.Errorf("view %v", ss)
	}
	var changed []string
	for _, e := range evs {
		changed = append(changed, e.Field)
		if e.Actor != actor || e.Action != ActionAccountUpdate {
			t.Errorf("event %+v", e)
		}
	}
	want := []string{"name", "timezone", "country", "sub_states.in_progress", "sub_states.sale"}
	if !slices.Equal(changed, want) {
		t.Errorf("events for %v, want %v", changed, want)
	}
	// The same patch again changes nothing.
	evs, err = AccountPatch{Name: ptr("Loja Demo"), Country: ptr("PT")}.Apply(&a, actor, now)
	if err != nil || len(evs) != 0 {
		t.Errorf("no-op patch: %v, %v", evs, err)
	}
}

func TestDuplicateSubStateID(t *testing.T) {
	a := account.Account{}
	_, err := AccountPatch{SubStates: &map[string][]SubState{"no_sale": {{ID: "x", Label: "X"}, {ID: "x", Label: "Y"}}}}.Apply(&a, actor, now)
	if got := fields(t, err); !slices.Equal(got, []string{"sub_states.no_sale[1].id"}) {
		t.Errorf("fields %v", got)
	}
}

func TestTimezoneAndCountry(t *testing.T) {
	for tz, ok := range map[string]bool{"America/Sao_Paulo": true, "UTC": true, "Europe/Lisbon": true,
		"": false, "Local": false, "America/Atlantis": false, "../../etc/passwd": false, "/etc/localtime": false} {
		if ValidTimezone(tz) != ok {
			t.Errorf("ValidTimezone(%q) = %v", tz, !ok)
		}
	}
	for c, want := range map[string]string{"BR": "BR", "br": "BR", " us ": "US", "XX": "", "ZZ": "", "EU": "", "BRA": "", "076": "", "B1": ""} {
		got, ok := Country(c)
		if got != want || ok != (want != "") {
			t.Errorf("Country(%q) = %q, %v", c, got, ok)
		}
	}
}

func TestOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://Shop.Example.com":        "https://shop.example.com",
		"https://shop.example.com/":       "https://shop.example.com",
		"http://localhost:5173":           "http://localhost:5173",
		"https://shop.example.com/precos": "", "ftp://x.com": "", "shop.example.com": "", "https://": "",
		"https://u:p@x.com": "", "https://x.com?a=1": "", "https://x.com:99999": "", "https://*.x.com": "", "javascript:alert(1)": "",
	} {
		got, ok := Origin(in)
		if got != want || ok != (want != "") {
			t.Errorf("Origin(%q) = %q, %v", in, got, ok)
		}
	}
}

func TestSites(t *testing.T) {
	acct := account.Account{ID: "demo", Country: "BR"}
	if _, _, err := NewSite(SiteInput{}, acct, actor, now); !slices.Equal(fields(t, err), []string{"name"}) {
		t.Error("a site without a name was accepted")
	}
	site, evs, err := NewSite(SiteInput{Name: ptr("Loja"), AllowedOrigins: &[]string{"https://a.com", "https://A.com/"}}, acct, actor, now)
	if err != nil {
		t.Fatal(err)
	}
	if site.TenantID != "demo" || site.Country != "BR" || site.RateLimitPerMinute != account.DefaultRateLimitPerMinute ||
		!slices.Equal(site.AllowedOrigins, []string{"https://a.com"}) || len(site.Key) < 20 || len(evs) != 1 {
		t.Errorf("site %+v, events %v", site, evs)
	}
	_, err = SiteInput{Name: ptr(""), AllowedOrigins: &[]string{"https://ok.com", "nope"}, RateLimitPerMinute: ptr(0), Country: ptr("Brasil")}.Apply(&site, actor, now)
	if got := fields(t, err); !slices.Equal(got, []string{"allowed_origins[1]", "country", "name", "rate_limit_per_minute"}) {
		t.Errorf("fields %v", got)
	}
	old := site.Key
	ev := RotateKey(&site, actor, now)
	if site.Key == old || ev.Before != nil || ev.After != nil || ev.Action != ActionKeyRotated {
		t.Errorf("rotate: key %q → %q, event %+v", old, site.Key, ev)
	}
}

func TestStatesLeftOutKeepTheirSubStates(t *testing.T) {
	a := account.Account{SubStates: map[string][]string{"sale": {"pago"}, "no_sale": {"caro"}},
		SubStateLabels: map[string]map[string]string{"sale": {"pago": "Pago"}}}
	evs, err := AccountPatch{SubStates: &map[string][]SubState{"no_sale": {}}}.Apply(&a, actor, now)
	if err != nil {
		t.Fatal(err)
	}
	if !a.AllowsSubState("sale", "pago") || SubStates(a)["sale"][0].Label != "Pago" || a.AllowsSubState("no_sale", "caro") {
		t.Errorf("sub-states %v labels %v", a.SubStates, a.SubStateLabels)
	}
	if len(evs) != 1 || evs[0].Field != "sub_states.no_sale" {
		t.Errorf("events %+v", evs)
	}
}
