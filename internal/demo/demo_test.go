package demo_test

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/attribution"
	"github.com/leadflow/leadflow/internal/auth"
	"github.com/leadflow/leadflow/internal/capture"
	"github.com/leadflow/leadflow/internal/demo"
	"github.com/leadflow/leadflow/internal/interaction"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/task"
	"github.com/leadflow/leadflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Seeding runs on every `make dev`: it must work on an empty table, be a
// no-op the second time, and leave credentials that actually work.
func TestSeedIsIdempotentAndItsCredentialsWork(t *testing.T) {
	ctx := context.Background()
	st := testenv.Store(t)
	envPath := filepath.Join(t.TempDir(), "demo.env")
	secrets, err := demo.LoadSecrets(envPath)
	if err != nil {
		t.Fatal(err)
	}
	secrets.Ensure()
	hm, err := auth.NewHMAC([]byte(secrets[demo.EnvJWTSecret]), "leadflow-local")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for range 2 {
		if err := demo.Seed(ctx, st, hm, secrets, now); err != nil {
			t.Fatal(err)
		}
		if err := demo.SeedTasks(ctx, st, now); err != nil {
			t.Fatal(err)
		}
	}
	// Each demo user has records to see (an agent: overdue, today and
	// later), the presets are there, and seeding again added none.
	for user, want := range map[string][]string{demo.AgentID: {"overdue", "today", "later"}, demo.Agent2ID: {"overdue", "later"}, demo.AdminID: {"today"}} {
		got := map[string]int{}
		ts, _, err := st.Agenda(ctx, demo.TenantID, task.Query{Assignee: user, Status: task.StatusPending, Now: now, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		today := now.In(mustLoc(t, "America/Sao_Paulo")).Format(task.DateLayout)
		for _, x := range ts {
			switch {
			case x.Overdue(now):
				got["overdue"]++
			case x.DueDate == today:
				got["today"]++
			default:
				got["later"]++
			}
		}
		for _, w := range want {
			if got[w] != 1 {
				t.Errorf("%s: records %v, want one %s (after two seeds)", user, got, w)
			}
		}
	}
	if ps, err := st.TaskPresets(ctx, demo.TenantID); err != nil || len(ps) != len(demo.Presets()) {
		t.Errorf("presets %v %v", ps, err)
	}
	if err := secrets.Write(envPath); err != nil {
		t.Fatal(err)
	}
	reread, err := demo.LoadSecrets(envPath)
	if err != nil || reread[demo.EnvSiteKey] != secrets[demo.EnvSiteKey] || reread[demo.EnvAdminToken] == "" {
		t.Fatalf("demo.env round trip: %v %v", reread, err)
	}

	site, err := st.SiteByKey(ctx, reread[demo.EnvSiteKey])
	if err != nil || site.TenantID != demo.TenantID {
		t.Fatalf("site key from demo.env: %+v %v", site, err)
	}
	for key, role := range map[string]account.Role{demo.EnvAdminToken: account.RoleAdmin, demo.EnvAgentToken: account.RoleAgent} {
		r, _ := http.NewRequest("GET", "/v1/me", nil)
		r.Header.Set("Authorization", "Bearer "+reread[key])
		p, err := hm.Authenticate(r)
		if err != nil || p.Role != role || p.TenantID != demo.TenantID {
			t.Errorf("%s: %+v %v", key, p, err)
		}
	}
	// The API key in demo.env is stored (hashed), live, with every scope.
	k, err := st.APIKeyByHash(ctx, account.HashAPIKey(reread[demo.EnvAPIKey]))
	if err != nil || k.TenantID != demo.TenantID || !k.Allows(account.ScopeLeadsWrite) || !k.Allows(account.ScopeLeadsRead) || !k.Allows(account.ScopeInteractionsWrite) {
		t.Errorf("%s: %+v %v", demo.EnvAPIKey, k, err)
	}
	if keys, err := st.APIKeys(ctx, demo.TenantID); err != nil || len(keys) != 1 {
		t.Errorf("after two seeds: %d keys, %v; want one", len(keys), err)
	}
	// Every demo lead exists exactly once: capturing it again is a repeat.
	for i, dl := range demo.Leads(now) {
		c, err := capture.Normalize(site, dl.Request, capture.Meta{IP: "10.0.0.1", Now: now})
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.Capture(ctx, site, c)
		if err != nil || res.Created {
			t.Errorf("demo lead %d: created=%v err=%v, want an existing lead", i, res.Created, err)
		}
		d, err := st.Detail(ctx, demo.TenantID, res.LeadID)
		if err != nil || d.Lead.FirstTouch.At.After(now) {
			t.Errorf("demo lead %d detail: %v", i, err)
		}
		if i == 0 { // Ana Souza: her timeline spans six channels, seeded once
			tl, err := st.Timeline(ctx, demo.TenantID, res.LeadID, "", "", 50)
			channels := map[interaction.Channel]int{}
			for _, it := range tl.Items {
				channels[it.Channel]++
			}
			if err != nil || len(channels) != 6 || channels[interaction.ChannelWhatsApp] != 1 || d.Lead.Sentiment == nil {
				t.Errorf("Ana's timeline: %v %v (sentiment %v)", channels, err, d.Lead.Sentiment)
			}
		}
	}
	// The duplicate pair stays two leads (no shared key), each seeded once.
	ids := map[string]bool{}
	for i, dl := range demo.DuplicatePair(now) {
		c, err := capture.Normalize(site, dl.Request, capture.Meta{IP: "10.0.0.1", Now: now})
		if err != nil {
			t.Fatal(err)
		}
		res, err := st.Capture(ctx, site, c)
		if err != nil || res.Created {
			t.Errorf("duplicate %d: created=%v err=%v, want an existing lead", i, res.Created, err)
		}
		ids[res.LeadID] = true
	}
	if len(ids) != 2 {
		t.Errorf("the duplicate pair is %d lead(s), want two", len(ids))
	}
}

// The demo account looks like a real one: at least 300 leads over the last
// 60 days across every entry method, both sites, every state, the three
// owners and every rating, with transcripts, notes, history and a few
// pending scheduled changes; the attribution report sees the spread; and
// seeding again (every restart) adds nothing.
func TestSeedHasTwoMonthsOfLeadsWorthLookingAt(t *testing.T) {
	ctx := context.Background()
	st := testenv.Store(t)
	secrets := demo.Secrets{}
	secrets.Ensure()
	hm, err := auth.NewHMAC([]byte(secrets[demo.EnvJWTSecret]), "leadflow-local")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	start := time.Now()
	if err := demo.Seed(ctx, st, hm, secrets, now); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded %d + %d leads in %v", len(demo.Leads(now)), demo.HistoryLeads, time.Since(start).Round(time.Millisecond))

	all := func() []lead.Lead {
		var out []lead.Lead
		cursor := ""
		for {
			pg, err := st.List(ctx, demo.TenantID, lead.Query{}, cursor, 100)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, pg.Items...)
			if pg.NextCursor == "" {
				return out
			}
			cursor = pg.NextCursor
		}
	}
	leads := all()
	if len(leads) < 300 {
		t.Fatalf("%d demo leads, want at least 300", len(leads))
	}
	methods, sites, states, owners, ratings, days := map[lead.EntryMethod]int{}, map[string]int{}, map[lead.State]int{}, map[string]int{}, map[int]int{}, map[string]int{}
	var oldest time.Time = now
	for _, l := range leads {
		methods[l.EntryMethod]++
		sites[l.SiteID]++
		states[l.State]++
		owners[l.OwnerID]++
		ratings[l.Rating]++
		days[l.CreatedAt.UTC().Format("2006-01-02")]++
		if l.CreatedAt.Before(oldest) {
			oldest = l.CreatedAt
		}
		if l.CreatedAt.After(now) || l.CreatedAt.Before(now.AddDate(0, 0, -demo.HistoryDays-1)) {
			t.Errorf("lead %s created %v, outside the last %d days", l.ID, l.CreatedAt, demo.HistoryDays)
		}
	}
	for _, m := range []lead.EntryMethod{lead.EntryChatbot, lead.EntryForm, lead.EntryAPI, lead.EntryMetaLeadAds, lead.EntryGoogleAds, lead.EntryImport} {
		if methods[m] == 0 {
			t.Errorf("no %s leads: %v", m, methods)
		}
	}
	for _, s := range lead.States {
		if states[s] == 0 {
			t.Errorf("no leads in %s: %v", s, states)
		}
	}
	for _, o := range []string{demo.AdminID, demo.AgentID, demo.Agent2ID, ""} {
		if owners[o] == 0 {
			t.Errorf("no leads owned by %q: %v", o, owners)
		}
	}
	if len(ratings) != 6 || len(sites) != 2 || len(days) < 40 || now.Sub(oldest) < 50*24*time.Hour {
		t.Errorf("ratings %v, sites %v, %d distinct days, oldest %v", ratings, sites, len(days), oldest)
	}

	// Transcripts, notes, history and pending changes are there.
	var withChat, withNotes, withHistory, scheduled int
	for _, l := range leads {
		d, err := st.Detail(ctx, demo.TenantID, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Conversation.Items) > 0 {
			withChat++
		}
		if len(d.Notes.Items) > 0 {
			withNotes++
		}
		if len(d.History.Items) > 2 {
			withHistory++
		}
		if d.Lead.ScheduledChange != nil {
			scheduled++
		}
	}
	if withChat < 50 || withNotes < 30 || withHistory < 100 || scheduled < 3 {
		t.Errorf("%d with transcripts, %d with notes, %d with history, %d scheduled", withChat, withNotes, withHistory, scheduled)
	}

	// The attribution report counts the leads on the days they were created.
	counters, err := st.AttributionCounters(ctx, demo.TenantID, attribution.Query{
		From: now.AddDate(0, 0, -demo.HistoryDays-1).Truncate(24 * time.Hour), To: now.Truncate(24 * time.Hour), Touch: attribution.First, Daily: true})
	if err != nil {
		t.Fatal(err)
	}
	reported, reportDays := int64(0), map[string]bool{}
	for _, c := range counters {
		reported += c.Leads
		if c.Leads > 0 {
			reportDays[c.Day] = true
		}
	}
	if reported != int64(len(leads)) || len(reportDays) != len(days) {
		t.Errorf("attribution counts %d leads on %d days; the list has %d on %d days", reported, len(reportDays), len(leads), len(days))
	}

	// Seeding again at a later start (make dev on a persisted table) adds
	// nothing and changes no lead: not one more interaction of a demo
	// conversation whose times moved with the clock.
	if err := demo.Seed(ctx, st, hm, secrets, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	again := all()
	if len(again) != len(leads) {
		t.Errorf("second seed: %d leads, had %d", len(again), len(leads))
	}
	before := map[string]lead.Lead{}
	for _, l := range leads {
		before[l.ID] = l
	}
	for _, l := range again {
		if b := before[l.ID]; l.Version != b.Version || l.Interactions != b.Interactions {
			t.Errorf("second seed changed %s (%s): version %d → %d, interactions %d → %d", l.ID, l.Name, b.Version, l.Version, b.Interactions, l.Interactions)
		}
	}
}
