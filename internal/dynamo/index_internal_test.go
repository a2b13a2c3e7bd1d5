package dynamo

import (
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
	if len(p) != len(indexKeys(base)) || len(d) != 0 {
		t.Errorf("interaction count: puts %v, deletes %v; want every list entry (its GSI5 key) and no search entry", p, d)
	}
}
