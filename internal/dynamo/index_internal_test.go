package dynamo

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/lead"
)

// Issue 13: a change rewrites only the index entries whose keys it moves.
func TestIndexWritesOnlyMovedEntries(t *testing.T) {
	st := New(nil, "t")
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	base := lead.Lead{ID: "ld_01", TenantID: "acme", Name: "Ana Souza", State: lead.StateNew, SiteID: "site_1",
		EntryMethod: lead.EntryForm, Interactions: 1, CreatedAt: at, Tags: []string{"vip"},
		Contact: lead.Contact{Email: "ana@example.com"}}
	count := func(before *lead.Lead, after lead.Lead) (puts, dels []string) {
		t.Helper()
		ws, err := st.indexWrites(before, after)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range ws {
			if w.Put != nil {
				puts = append(puts, str(w.Put.Item, AttrSK))
			} else {
				dels = append(dels, str(w.Delete.Key, AttrSK))
			}
		}
		return puts, dels
	}
	all, _ := count(nil, base)
	if len(all) != len(indexKeys(base))+len(searchKeys(base)) {
		t.Fatalf("new lead: %d puts, want one per entry", len(all))
	}
	for _, sk := range all {
		if !strings.HasPrefix(sk, skEntries) {
			t.Errorf("entry %q does not sort after the lead's other items", sk)
		}
	}

	rated := base
	rated.Rating = 5
	rated.Contact.Attributes = map[string]string{"empresa": "Acme"}
	if p, d := count(&base, rated); len(p)+len(d) != 0 {
		t.Errorf("rating and attribute change wrote entries: puts %v, deletes %v", p, d)
	}

	owned := base
	owned.OwnerID = "usr_1"
	if p, d := count(&base, owned); len(p) != 1 || p[0] != skIndex+"owner#usr_1" || len(d) != 1 || d[0] != skIndex+"owner#-" {
		t.Errorf("assignment: puts %v, deletes %v; want owner#- moved to owner#usr_1", p, d)
	}

	repeat := base
	repeat.Interactions = 2
	p, d := count(&base, repeat)
	if len(p) != 1 || p[0] != skIndex+"all" || len(d) != 0 {
		t.Errorf("interaction count: puts %v, deletes %v; want only the unfiltered entry (the one in the interaction order)", p, d)
	}

	renamed := base
	renamed.Name = "Ana Lima"
	p, _ = count(&base, renamed)
	for _, k := range indexKeys(base) {
		if !slices.Contains(p, skIndex+k) {
			t.Errorf("rename: puts %v, want %s (every entry is in the name order)", p, k)
		}
	}
}

// Issue 13: which entries are in which order, and the two values left to
// the unfiltered partition.
func TestIndexEntriesOrdersAndUnindexedValues(t *testing.T) {
	l := lead.Lead{ID: "ld_02", TenantID: "acme", Name: "Bia", State: lead.StateNew, CreatedAt: time.Now(),
		Tags: []string{"vip"}, Occurrences: lead.Occurrences{Neutral: 3}, Tickets: lead.Tickets{Open: 1, Finished: 2}}
	es := indexEntries(l)
	for sk, e := range es {
		if !strings.HasPrefix(sk, skIndex) {
			continue
		}
		k := strings.TrimPrefix(sk, skIndex)
		_, name := e[AttrGSI4PK]
		_, inter := e[AttrGSI5PK]
		if _, created := e[AttrGSI3PK]; !created {
			t.Errorf("%s: not in the created order", k)
		}
		if !name {
			t.Errorf("%s: not in the name order", k)
		}
		if want := k == "all" || strings.HasPrefix(k, "sentiment#") || strings.HasPrefix(k, "ticket#"); inter != want {
			t.Errorf("%s: in the interaction order = %v, want %v", k, inter, want)
		}
	}
	for _, k := range []string{"sentiment#neutral", "ticket#finished"} {
		if _, ok := es[skIndex+k]; ok {
			t.Errorf("%s has an entry; it is left to the unfiltered partition", k)
		}
	}
	if _, ok := es[skIndex+"ticket#open"]; !ok {
		t.Error("ticket#open has no entry")
	}

	plans := []struct {
		q    lead.Query
		want string
	}{
		{lead.Query{Filter: lead.Filter{Tag: "vip"}}, "tag#vip"},
		{lead.Query{Filter: lead.Filter{Tag: "vip"}, Sort: lead.SortName}, "tag#vip"},
		{lead.Query{Filter: lead.Filter{Tag: "vip", State: lead.StateNew}, Sort: lead.SortMostInteractions}, "all"},
		{lead.Query{Filter: lead.Filter{TicketStatus: lead.TicketOpen, State: lead.StateNew}, Sort: lead.SortOccurrencesDesc}, "ticket#open"},
		{lead.Query{Filter: lead.Filter{Sentiment: lead.PolarityNeutral}}, "all"},
		{lead.Query{Filter: lead.Filter{TicketStatus: lead.TicketFinished, State: lead.StateSale}}, "state#sale"},
	}
	for _, c := range plans {
		if got := planFor("acme", c.q).pks[0]; got != ixPK("acme", c.want, 0) {
			t.Errorf("plan %+v reads %s, want the %s partition", c.q, got, c.want)
		}
	}
	if indexDecides(lead.Filter{Sentiment: lead.PolarityNeutral}) {
		t.Error("a neutral-sentiment count is decided by the index, which has no such partition")
	}
}
