package attribution_test

import (
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/leadflow/leadflow/internal/attribution"
	"github.com/leadflow/leadflow/internal/lead"
)

// The store keeps counters, not reports: every capture and state change
// adds attribution.Delta(before, after) to them in its own transaction. A
// report request is parsed with ParseQuery, the day counters of its range
// are read, and Build groups them; WriteCSV is the CSV download.
func ExampleBuild() {
	created := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	touch := func(source, campaign string) lead.Touch {
		return lead.Touch{SiteID: "site_1", UTMSource: source, UTMMedium: "cpc", UTMCampaign: campaign}
	}
	newLead := func(id string, t lead.Touch) *lead.Lead {
		return &lead.Lead{ID: id, State: lead.StateNew, CreatedAt: created, FirstTouch: t, LastTouch: t}
	}
	// What the store would have added up: three captures, then one sale.
	counts := map[attribution.Key]attribution.Counts{}
	add := func(before, after *lead.Lead) {
		for k, c := range attribution.Delta(before, after) {
			sum := counts[k]
			sum.Leads += c.Leads
			if sum.ByState == nil {
				sum.ByState = map[lead.State]int64{}
			}
			for s, n := range c.ByState {
				sum.ByState[s] += n
			}
			counts[k] = sum
		}
	}
	a, b, c := newLead("ld_a", touch("google", "spring")), newLead("ld_b", touch("google", "spring")), newLead("ld_c", touch("meta", "launch"))
	add(nil, a)
	add(nil, b)
	add(nil, c)
	sold := *a
	sold.State = lead.StateSale
	add(a, &sold)
	var counters []attribution.Counter
	for k, c := range counts {
		counters = append(counters, attribution.Counter{Key: k, Counts: c})
	}

	// GET /v1/reports/attribution?from=2026-03-01&to=2026-03-07&group_by=source,campaign
	params := url.Values{"from": {"2026-03-01"}, "to": {"2026-03-07"}, "group_by": {"campaign,source"}}
	q, err := attribution.ParseQuery(params.Get, time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := attribution.Build(q, counters)
	fmt.Println(r.Touch, r.GroupBy, r.Totals.Leads, r.Totals.Sales)
	if err := attribution.WriteCSV(os.Stdout, r); err != nil {
		fmt.Println(err)
	}
	// Output:
	// first [source campaign] 3 1
	// source,campaign,leads,new,in_progress,sale,no_sale,sales,conversion_rate
	// google,spring,2,1,0,1,0,1,0.5000
	// meta,launch,1,1,0,0,0,0,0.0000
}
