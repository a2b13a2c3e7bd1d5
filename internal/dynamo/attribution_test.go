package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/attribution"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/lead"
)

// clock is a settable store clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func touched(email, source, medium, campaign string) lead.Capture {
	c := capture(email)
	c.Touch.UTMSource, c.Touch.UTMMedium, c.Touch.UTMCampaign = source, medium, campaign
	return c
}

func setState(t *testing.T, e *env, id string, s lead.State) {
	t.Helper()
	_, err := e.store.Update(context.Background(), e.site.TenantID, id, 0, func(l *lead.Lead) ([]lead.Event, error) {
		before := l.State
		l.State = s
		return []lead.Event{{Action: lead.ActionUpdated, Field: "state", Before: before, After: s}}, nil
	})
	if err != nil {
		t.Fatalf("update %s: %v", id, err)
	}
}

type cell struct {
	leads   int64
	byState map[string]int64
}

// expected counts the leads themselves, the slow way the counters replace.
// deletedLeads are soft-deleted by the test; the store no longer shows them.
var deletedLeads = map[string]bool{}

// softDelete and restore go through Update like the bulk actions do.
func softDelete(t *testing.T, e *env, id string) {
	t.Helper()
	if _, err := e.store.Update(context.Background(), e.site.TenantID, id, 0, func(l *lead.Lead) ([]lead.Event, error) {
		return l.SoftDelete(lead.Actor{Type: lead.ActorUser, ID: "usr_admin"}, time.Now()), nil
	}); err != nil {
		t.Fatalf("delete %s: %v", id, err)
	}
	deletedLeads[id] = true
}

func restore(t *testing.T, e *env, id string) {
	t.Helper()
	ctx := lead.WithDeleted(context.Background())
	if _, err := e.store.Update(ctx, e.site.TenantID, id, 0, func(l *lead.Lead) ([]lead.Event, error) {
		return l.Restore(lead.Actor{Type: lead.ActorUser, ID: "usr_admin"}, time.Now())
	}); err != nil {
		t.Fatalf("restore %s: %v", id, err)
	}
	delete(deletedLeads, id)
}

func expected(t *testing.T, e *env, ids []string, touch attribution.Touch) map[string]cell {
	t.Helper()
	out := map[string]cell{}
	for _, id := range ids {
		if deletedLeads[id] {
			continue // gone from the reports as from the lists
		}
		l := mustDetail(t, e, e.site.TenantID, id).Lead
		if l.Test {
			continue
		}
		tc := l.FirstTouch
		if touch == attribution.Last {
			tc = l.LastTouch
		}
		d := attribution.DimsOf(tc)
		k := fmt.Sprintf("%s|%s|%s|%s|%s", attribution.Day(&l), d.Source, d.Medium, d.Campaign, d.Site)
		c := out[k]
		if c.byState == nil {
			c.byState = map[string]int64{}
		}
		c.leads++
		c.byState[string(l.State)]++
		out[k] = c
	}
	return out
}

func reported(t *testing.T, e *env, q attribution.Query) map[string]cell {
	t.Helper()
	counters, err := e.store.AttributionCounters(context.Background(), e.site.TenantID, q)
	if err != nil {
		t.Fatal(err)
	}
	r := attribution.Build(q, counters)
	out := map[string]cell{}
	for _, row := range r.Rows {
		k := fmt.Sprintf("%s|%s|%s|%s|%s", row.Day, *row.Source, *row.Medium, *row.Campaign, *row.Site)
		bs := map[string]int64{}
		for s, n := range row.ByState {
			if n != 0 {
				bs[s] = n
			}
		}
		out[k] = cell{leads: row.Leads, byState: bs}
	}
	return out
}

func TestAttributionCountersEqualLeadCounts(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 20, 23, 59, 0, 0, time.UTC)}
	e := newEnv(t, dynamo.WithClock(clk.now))
	var ids []string
	add := func(c lead.Capture) lead.CaptureResult {
		res := mustCapture(t, e, c)
		if res.Created {
			ids = append(ids, res.LeadID)
		}
		return res
	}

	// Day 1: two real leads and a test lead.
	a := add(touched("a@example.com", "google", "cpc", "bf2026"))
	b := add(touched("b@example.com", "facebook", "social", "verao"))
	tc := touched("test@example.com", "google", "cpc", "bf2026")
	tc.Test = true
	add(tc)
	ext := touched("ext@example.com", "google", "cpc", "bf#2026%") // separators in values
	ext.ExternalID, ext.ReplayNoop = "lead-1", true
	x := add(ext)

	// Day 2: a new lead, a re-capture moving A's last touch, state changes,
	// and a replay that must change nothing.
	clk.set(time.Date(2026, 11, 21, 0, 0, 1, 0, time.UTC))
	d := add(touched("d@example.com", "linkedin", "paid", "b2b"))
	if res := mustCapture(t, e, touched("a@example.com", "bing", "organic", "")); res.Created || res.LeadID != a.LeadID {
		t.Fatalf("re-capture of A: %+v", res)
	}
	setState(t, e, b.LeadID, lead.StateSale)
	setState(t, e, d.LeadID, lead.StateInProgress)
	setState(t, e, d.LeadID, lead.StateNoSale)
	setState(t, e, a.LeadID, lead.StateSale)
	setState(t, e, a.LeadID, lead.StateSale) // no change: no history, no counter move
	if res := mustCapture(t, e, ext); res.Created || res.LeadID != x.LeadID {
		t.Fatalf("replay: %+v", res)
	}
	// A deleted lead leaves the reports; a restored one comes back.
	gone := add(touched("gone@example.com", "google", "cpc", "bf2026"))
	softDelete(t, e, gone.LeadID)
	back := add(touched("back@example.com", "facebook", "social", "verao"))
	softDelete(t, e, back.LeadID)
	restore(t, e, back.LeadID)
	if got := mustDetail(t, e, e.site.TenantID, x.LeadID).Lead.Interactions; got != 1 {
		t.Errorf("replay with ReplayNoop counted an interaction: %d", got)
	}

	q := attribution.Query{
		From: time.Date(2026, 11, 19, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC),
		GroupBy: attribution.AllDimensions, Daily: true,
	}
	for _, touch := range []attribution.Touch{attribution.First, attribution.Last} {
		q.Touch = touch
		want, got := expected(t, e, ids, touch), reported(t, e, q)
		if !maps.EqualFunc(want, got, func(a, b cell) bool { return a.leads == b.leads && maps.Equal(a.byState, b.byState) }) {
			t.Errorf("%s touch: report %v, leads say %v", touch, got, want)
		}
	}

	// Spot checks on the totals a marketer reads.
	q.Touch, q.Daily, q.GroupBy = attribution.Last, false, []string{attribution.DimSource}
	counters, err := e.store.AttributionCounters(context.Background(), e.site.TenantID, q)
	if err != nil {
		t.Fatal(err)
	}
	r := attribution.Build(q, counters)
	if r.Totals.Leads != 5 || r.Totals.Sales != 2 || r.Totals.ConversionRate != 0.4 {
		t.Errorf("totals %+v, want 5 leads (test and deleted leads left out, restored one in), 2 sales", r.Totals)
	}
	bySource := map[string]int64{}
	for _, row := range r.Rows {
		bySource[*row.Source] = row.Leads
	}
	if bySource["google"] != 1 || bySource["bing"] != 1 || bySource["facebook"] != 2 || bySource["linkedin"] != 1 {
		t.Errorf("last-touch leads by source %v: A must have moved from google to bing", bySource)
	}
	// A range that starts on day 2 leaves day-1 leads out.
	q.From = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	counters, _ = e.store.AttributionCounters(context.Background(), e.site.TenantID, q)
	if r := attribution.Build(q, counters); r.Totals.Leads != 2 {
		t.Errorf("day-2 leads %d, want 2 (D and the restored one)", r.Totals.Leads)
	}
}

// The counters are written in the same transaction as the change: an
// Update that fails writes no counter either.
func TestAttributionFailedUpdateCountsNothing(t *testing.T) {
	e := newEnv(t)
	res := mustCapture(t, e, touched("f@example.com", "google", "cpc", "x"))
	_, err := e.store.Update(context.Background(), e.site.TenantID, res.LeadID, 99, func(l *lead.Lead) ([]lead.Event, error) {
		l.State = lead.StateSale
		return []lead.Event{{Action: lead.ActionUpdated, Field: "state"}}, nil
	})
	if err == nil {
		t.Fatal("stale update succeeded")
	}
	now := time.Now().UTC().Truncate(24 * time.Hour)
	q := attribution.Query{From: now.AddDate(0, 0, -1), To: now.AddDate(0, 0, 1), Touch: attribution.First, GroupBy: []string{attribution.DimSource}}
	counters, err := e.store.AttributionCounters(context.Background(), e.site.TenantID, q)
	if err != nil {
		t.Fatal(err)
	}
	if r := attribution.Build(q, counters); r.Totals.Leads != 1 || r.Totals.Sales != 0 || r.Totals.ByState["new"] != 1 {
		t.Errorf("totals %+v, want the one new lead and no sale", r.Totals)
	}
}

// 200 concurrent captures of one campaign on one day: the counters are
// sharded by lead, so they do not queue on one item, and the report still
// equals a count of the leads.
func TestAttributionCountersUnderConcurrentCapturesOfOneCampaign(t *testing.T) {
	e := newEnv(t)
	const leads, workers = 200, 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ids []string
	jobs := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				c := touched(fmt.Sprintf("c%d@example.com", i), "google", "cpc", "tv-spot")
				c.SiteID, c.Touch.SiteID = e.site.ID, e.site.ID
				var res lead.CaptureResult
				var err error
				for try := 0; try < 5; try++ { // a client retries a 503, as the capture route asks
					if res, err = e.store.Capture(context.Background(), e.site, c); !errors.Is(err, dynamo.ErrContention) {
						break
					}
				}
				if err != nil {
					t.Errorf("capture %d: %v", i, err)
					continue
				}
				mu.Lock()
				ids = append(ids, res.LeadID)
				mu.Unlock()
			}
		}()
	}
	for i := range leads {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if len(ids) != leads {
		t.Fatalf("%d leads stored, want %d", len(ids), leads)
	}
	now := time.Now().UTC()
	q := attribution.Query{From: now.AddDate(0, 0, -1), To: now.AddDate(0, 0, 1), GroupBy: attribution.AllDimensions, Daily: true}
	for _, touch := range []attribution.Touch{attribution.First, attribution.Last} {
		q.Touch = touch
		want, got := expected(t, e, ids, touch), reported(t, e, q)
		if !maps.EqualFunc(want, got, func(a, b cell) bool { return a.leads == b.leads && maps.Equal(a.byState, b.byState) }) {
			t.Errorf("%s touch: report %v, leads say %v", touch, got, want)
		}
	}
	// The leads spread over the shards: no one counter item took them all.
	shards := map[string]bool{}
	for _, id := range ids {
		shards[dynamo.AttrShardOf(id)] = true
	}
	if len(shards) < 4 {
		t.Errorf("200 leads fell in %d counter shards, want them spread", len(shards))
	}
}

// An agent's open-lead count is kept in shards by lead: 40 concurrent
// assignments to one agent spread over several partitions and still add up.
func TestOpenLeadCountsAreShardedAndAddUp(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var ids []string
	for i := range 40 {
		ids = append(ids, mustCapture(t, e, capture(fmt.Sprintf("load%d@example.com", i))).LeadID)
	}
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.store.Update(ctx, e.site.TenantID, id, 0, func(l *lead.Lead) ([]lead.Event, error) {
				l.OwnerID = "usr_busy"
				return []lead.Event{{Action: lead.ActionUpdated, Field: "owner_id", After: "usr_busy"}}, nil
			})
			if err != nil {
				t.Errorf("assign %s: %v", id, err)
			}
		}()
	}
	wg.Wait()
	setState(t, e, ids[0], lead.StateSale) // a closed lead leaves the count
	open, err := e.store.OpenLeads(ctx, e.site.TenantID)
	if err != nil {
		t.Fatal(err)
	}
	if open["usr_busy"] != 39 {
		t.Errorf("open leads %v, want usr_busy 39", open)
	}
	if n, err := dynamo.LoadShards(ctx, e.store, e.site.TenantID, "usr_busy"); err != nil || n < 4 {
		t.Errorf("usr_busy's count lives in %d partitions (%v), want it spread", n, err)
	}
}
