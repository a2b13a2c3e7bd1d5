package dynamo_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/lead"
)

// BenchmarkListFilters seeds the table up to each size in
// LEADFLOW_BENCH_LEADS (comma-separated, default 10000) in turn, and at
// each size reads the first list page (20) of every filter, reporting
// items read per item returned and the page latency next to the latency of
// the same first Query on the raw client. Sizes grow one table in one
// emulator process, so 10k and 100k are compared on the same run. Run with
// `make bench-list`; it is not part of `make test`.
func BenchmarkListFilters(b *testing.B) {
	sizes := []int{10000}
	if v := os.Getenv("LEADFLOW_BENCH_LEADS"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 || (len(sizes) > 0 && n <= sizes[len(sizes)-1]) {
				b.Fatalf("LEADFLOW_BENCH_LEADS=%q: want growing sizes like 10000,100000", v)
			}
			sizes = append(sizes, n)
		}
	}
	e := newEnv(b)
	tenant := e.site.TenantID
	seeded := 0
	for i, n := range sizes {
		start := time.Now()
		seedLeads(b, e, tenant, seeded, n)
		b.Logf("seeded %d more leads (%d in all) in %v", n-seeded, n, time.Since(start).Round(time.Second))
		seeded = n
		if i == 0 {
			// The emulator's JIT warms up on the first reads: without this
			// pass the first size measures a colder JVM than the next.
			b.Run("warmup", func(b *testing.B) { benchFilters(b, e, tenant) })
		}
		b.Run(fmt.Sprintf("leads=%d", n), func(b *testing.B) { benchFilters(b, e, tenant) })
	}
}

// benchFilters reads the first page of every filter.
func benchFilters(b *testing.B, e *env, tenant string) {
	ctx := context.Background()
	filters := []struct {
		name string
		q    lead.Query
	}{
		{"all_newest", lead.Query{}},
		{"all_name", lead.Query{Sort: lead.SortName}},
		{"all_most_interactions", lead.Query{Sort: lead.SortMostInteractions}},
		{"state", lead.Query{Filter: lead.Filter{State: lead.StateInProgress}}},
		{"owner", lead.Query{Filter: lead.Filter{Owner: "usr_3"}}},
		{"owner_name", lead.Query{Filter: lead.Filter{Owner: "usr_3"}, Sort: lead.SortName}},
		{"campaign_name", lead.Query{Filter: lead.Filter{Campaign: "camp7"}, Sort: lead.SortName}},
		{"campaign_most_interactions", lead.Query{Filter: lead.Filter{Campaign: "camp7"}, Sort: lead.SortMostInteractions}},
		{"unassigned", lead.Query{Filter: lead.Filter{Owner: lead.OwnerUnassigned}}},
		{"campaign", lead.Query{Filter: lead.Filter{Campaign: "camp7"}}},
		{"tag", lead.Query{Filter: lead.Filter{Tag: "vip"}}},
		{"classification", lead.Query{Filter: lead.Filter{Classification: lead.ClassPress}}},
		{"entry_method", lead.Query{Filter: lead.Filter{EntryMethod: lead.EntryForm}}},
		{"created_range", lead.Query{Filter: lead.Filter{CreatedFrom: ptrTime(time.Now().Add(-48 * time.Hour)), CreatedTo: ptrTime(time.Now().Add(-24 * time.Hour))}}},
		{"q_name_prefix", lead.Query{Filter: lead.Filter{Q: "mari"}}},
		{"rating_min_4", lead.Query{Filter: lead.Filter{RatingMin: 4}}},
		{"state+owner+rating", lead.Query{Filter: lead.Filter{State: lead.StateNew, Owner: "usr_3", RatingMin: 4}}},
		{"campaign+tag+state", lead.Query{Filter: lead.Filter{Campaign: "camp7", Tag: "vip", State: lead.StateNew}}},
	}
	for _, f := range filters {
		b.Run(f.name, func(b *testing.B) {
			var read, returned int
			var lat []time.Duration
			for b.Loop() {
				t0 := time.Now()
				_, st, err := e.store.ListWithStats(ctx, tenant, f.q, "", 20)
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				read += st.Read
				returned += st.Returned
			}
			// The same first read on the raw client, interleaved so both
			// see the same emulator load: what the emulator itself costs.
			raw := make([]time.Duration, 0, len(lat))
			in := dynamo.FirstListQuery(e.store, tenant, f.q, 20)
			for range len(lat) {
				t0 := time.Now()
				if _, err := e.client.Query(ctx, in); err != nil {
					b.Fatal(err)
				}
				raw = append(raw, time.Since(t0))
			}
			b.ReportMetric(float64(read)/float64(max(returned, 1)), "read/returned")
			b.ReportMetric(float64(returned)/float64(b.N), "returned/page")
			b.ReportMetric(p50ms(lat), "p50_ms")
			b.ReportMetric(p50ms(raw), "raw_p50_ms")
		})
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

func p50ms(d []time.Duration) float64 {
	d = slices.Clone(d)
	slices.Sort(d)
	return float64(d[len(d)/2].Microseconds()) / 1000
}

var firstNames = []string{"Ana", "Maria", "João", "José", "Pedro", "Paula", "Lucas", "Mariana", "Carla", "Rafael", "Bruno", "Juliana", "Fernanda", "Tiago", "Gabriel", "Beatriz"}
var lastNames = []string{"Silva", "Souza", "Oliveira", "Santos", "Lima", "Pereira", "Costa", "Rodrigues", "Almeida", "Nascimento", "Araújo", "Ribeiro"}

// seedLeads writes synthetic leads from..to-1 over the last 30 days, 8 writers in
// parallel. Distribution: 4 states, 10 owners + 20% unassigned, 50
// campaigns, 5% tagged vip, half classified, ratings 0–5.
func seedLeads(b *testing.B, e *env, tenant string, from, to int) {
	now := time.Now().UTC()
	r := rand.New(rand.NewPCG(uint64(from), 2))
	leads := make([]lead.Lead, to-from)
	for k := range leads {
		i := from + k
		created := now.Add(-time.Duration(r.Int64N(int64(30 * 24 * time.Hour))))
		l := lead.Lead{
			ID: lead.NewID(lead.PrefixLead, created), TenantID: tenant, ContactID: fmt.Sprintf("ct_%d", i),
			Name:        firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))],
			State:       lead.States[r.IntN(4)],
			Rating:      r.IntN(6),
			EntryMethod: []lead.EntryMethod{lead.EntryChatbot, lead.EntryForm, lead.EntryAPI}[r.IntN(3)],
			SiteID:      e.site.ID, Interactions: 1 + r.IntN(5), Version: 1, CreatedAt: created, UpdatedAt: created,
			Contact: lead.Contact{Email: fmt.Sprintf("p%d@example.com", i), Phone: fmt.Sprintf("+55119%08d", i)},
		}
		if r.IntN(5) > 0 {
			l.OwnerID = fmt.Sprintf("usr_%d", r.IntN(10))
		}
		l.FirstTouch = lead.Touch{At: created, EntryMethod: l.EntryMethod, SiteID: l.SiteID, UTMSource: "google", UTMMedium: "cpc", UTMCampaign: fmt.Sprintf("camp%d", r.IntN(50))}
		l.LastTouch = l.FirstTouch
		if r.IntN(20) == 0 {
			l.Tags = []string{"vip"}
		}
		if r.IntN(2) == 0 {
			l.Classification = lead.Classifications[r.IntN(4)]
		}
		leads[k] = l
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	n := len(leads)
	per := (n + 7) / 8
	for w := range 8 {
		lo, hi := min(w*per, n), min((w+1)*per, n)
		wg.Go(func() {
			for i := lo; i < hi; i += 200 {
				if err := e.store.SeedLeads(context.Background(), leads[i:min(i+200, hi)]); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}
