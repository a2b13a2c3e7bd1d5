package dynamo_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/lead"
)

// Issue 13: a table whose leads have old-shape index entries (full copies,
// unsharded partitions) is upgraded by BackfillIndex: resumable from its
// progress item, idempotent (a second run changes nothing), and the lists
// answer as they did before the old shape was written.
func TestBackfillIndexUpgradesOldShape(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	now := time.Now().UTC().Truncate(time.Second)
	names := []string{"Mariana Costa", "Pedro Lima", "Maria Souza", "Ana Ribeiro", "Bruno Alves", "Carla Dias", "Mário Reis"}
	var leads []lead.Lead
	for i, name := range names {
		at := now.Add(-time.Duration(i) * time.Hour)
		l := lead.Lead{
			ID: lead.NewID(lead.PrefixLead, at), TenantID: tenant, ContactID: fmt.Sprintf("ct_%d", i), Name: name,
			State: lead.States[i%2], EntryMethod: lead.EntryForm, SiteID: e.site.ID, Interactions: 1 + i%3,
			Version: 1, CreatedAt: at, UpdatedAt: at,
			Contact: lead.Contact{Email: fmt.Sprintf("p%d@example.com", i), Phone: fmt.Sprintf("+55119%08d", i)},
		}
		if i%3 == 0 {
			l.Tags = []string{"vip"}
		}
		leads = append(leads, l)
	}
	if err := e.store.SeedLeads(ctx, leads); err != nil {
		t.Fatal(err)
	}
	queries := []lead.Query{
		{}, {Sort: lead.SortName}, {Sort: lead.SortMostInteractions},
		{Filter: lead.Filter{Tag: "vip"}}, {Filter: lead.Filter{State: lead.States[1]}}, {Filter: lead.Filter{Q: "mari"}},
	}
	lists := func() [][]string {
		t.Helper()
		var out [][]string
		for _, q := range queries {
			var ids []string
			cursor := ""
			for {
				// Pages of 2, so the cursors across shards are part of it.
				p, err := e.store.List(ctx, tenant, q, cursor, 2)
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range p.Items {
					ids = append(ids, l.ID)
				}
				if cursor = p.NextCursor; cursor == "" {
					break
				}
			}
			out = append(out, ids)
		}
		return out
	}
	want := lists()
	if len(want[0]) != len(names) || len(want[3]) != 3 || len(want[5]) != 3 {
		t.Fatalf("lists before: %v", want)
	}
	for _, l := range leads {
		if err := dynamo.WriteOldShapeIndex(ctx, e.store, l); err != nil {
			t.Fatal(err)
		}
	}
	if got := lists(); len(got[0]) != 0 {
		t.Fatalf("old-shape entries already listed (%v): the test would show nothing", got[0])
	}

	// A first run stopped after one small page leaves progress, not done.
	r, err := e.store.BackfillIndex(ctx, dynamo.BackfillOptions{PageSize: 3, MaxPages: 1})
	if err != nil || r.Done {
		t.Fatalf("first page: %+v, %v; want not done", r, err)
	}
	first := r.Leads
	r, err = e.store.BackfillIndex(ctx, dynamo.BackfillOptions{PageSize: 3})
	if err != nil || !r.Done || first+r.Leads != len(names) || r.Changed != r.Leads {
		t.Fatalf("resumed run: %+v (first page %d leads), %v; want done with every lead rewritten once", r, first, err)
	}
	if got := lists(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("lists after backfill %v, want %v", got, want)
	}
	if done, err := e.store.IndexBackfillDone(ctx); err != nil || !done {
		t.Errorf("backfill done = %v, %v", done, err)
	}

	// Done is recorded; a restarted run walks everything and changes nothing.
	r, err = e.store.BackfillIndex(ctx, dynamo.BackfillOptions{Restart: true})
	if err != nil || !r.Done || r.Leads != len(names) || r.Changed != 0 {
		t.Fatalf("second run: %+v, %v; want every lead checked, none changed", r, err)
	}
	if got := lists(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("lists after second run %v, want %v", got, want)
	}
}

// Issue 13: a table a v2 backfill finished (every entry in all three
// orders, neutral-sentiment and finished-ticket entries) walks again under
// v3 and ends with exactly the entries index.go writes today.
func TestBackfillIndexUpgradesV2Entries(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	var leads []lead.Lead
	for i, name := range []string{"Ana Lima", "Bruno Reis", "Carla Dias"} {
		at := now.Add(-time.Duration(i) * time.Minute)
		leads = append(leads, lead.Lead{
			ID: lead.NewID(lead.PrefixLead, at), TenantID: e.site.TenantID, ContactID: fmt.Sprintf("ct_v2_%d", i), Name: name,
			State: lead.StateNew, EntryMethod: lead.EntryChatbot, SiteID: e.site.ID, Interactions: 1 + i, Tags: []string{"vip"},
			Occurrences: lead.Occurrences{Neutral: 1 + i}, Tickets: lead.Tickets{Finished: 1, Open: i % 2},
			Version: 1, CreatedAt: at, UpdatedAt: at,
		})
	}
	if err := e.store.SeedLeads(ctx, leads); err != nil {
		t.Fatal(err)
	}
	for _, l := range leads {
		if err := dynamo.WriteV2ShapeIndex(ctx, e.store, l); err != nil {
			t.Fatal(err)
		}
		if cur, err := dynamo.IndexEntriesCurrent(ctx, e.store, l); err != nil || cur {
			t.Fatalf("v2 entries of %s read as current (%v, %v): the test would show nothing", l.Name, cur, err)
		}
	}
	r, err := e.store.BackfillIndex(ctx, dynamo.BackfillOptions{Restart: true})
	if err != nil || !r.Done || r.Changed < len(leads) {
		t.Fatalf("backfill: %+v, %v; want the %d leads rewritten", r, err, len(leads))
	}
	for _, l := range leads {
		if cur, err := dynamo.IndexEntriesCurrent(ctx, e.store, l); err != nil || !cur {
			t.Errorf("%s after the backfill: entries current = %v, %v", l.Name, cur, err)
		}
	}
	p, err := e.store.List(ctx, e.site.TenantID, lead.Query{Filter: lead.Filter{Tag: "vip", Sentiment: lead.PolarityNeutral}, Sort: lead.SortName}, "", 20)
	if err != nil || len(p.Items) != 3 || p.Items[0].Name != "Ana Lima" || p.Items[2].Name != "Carla Dias" {
		t.Errorf("vip, neutral, by name after the backfill: %v, %v", p.Items, err)
	}
}
