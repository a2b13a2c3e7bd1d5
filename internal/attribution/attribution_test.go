package attribution

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/lead"
)

func sample(state lead.State, first, last string) *lead.Lead {
	return &lead.Lead{
		State: state, CreatedAt: time.Date(2026, 11, 20, 23, 0, 0, 0, time.FixedZone("BRT", -3*3600)),
		FirstTouch: lead.Touch{SiteID: "s1", UTMSource: first, UTMMedium: "cpc"},
		LastTouch:  lead.Touch{SiteID: "s1", UTMSource: last, UTMMedium: "cpc"},
	}
}

func TestDelta(t *testing.T) {
	l := sample(lead.StateNew, "google", "google")
	d := Delta(nil, l)
	if len(d) != 2 {
		t.Fatalf("new lead: %d counters, want first and last", len(d))
	}
	k := Key{Touch: First, Day: "2026-11-21", Dims: Dims{Site: "s1", Source: "google", Medium: "cpc"}}
	if c := d[k]; c.Leads != 1 || c.ByState[lead.StateNew] != 1 {
		t.Errorf("new lead first-touch counter %+v (the day is the UTC day)", c)
	}

	sold := *l
	sold.State = lead.StateSale
	d = Delta(l, &sold)
	if c := d[k]; len(d) != 2 || c.Leads != 0 || c.ByState[lead.StateNew] != -1 || c.ByState[lead.StateSale] != 1 {
		t.Errorf("state change: %+v", d)
	}

	moved := *l
	moved.LastTouch.UTMSource = "bing"
	d = Delta(l, &moved)
	if len(d) != 2 {
		t.Fatalf("moved last touch: %+v, want the old last group -1 and the new +1", d)
	}
	for k, c := range d {
		if k.Touch != Last {
			t.Errorf("first touch moved: %+v", k)
		}
		want := int64(1)
		if k.Dims.Source == "google" {
			want = -1
		}
		if c.Leads != want {
			t.Errorf("%+v: leads %d, want %d", k, c.Leads, want)
		}
	}

	if d := Delta(l, l); len(d) != 0 {
		t.Errorf("no change wrote %+v", d)
	}
	if d := Delta(&sold, nil); len(d) != 2 || d[Key{Touch: First, Day: "2026-11-21", Dims: k.Dims}].ByState[lead.StateSale] != -1 {
		t.Errorf("deletion must subtract the lead: %+v", d)
	}
	test := *l
	test.Test = true
	if d := Delta(nil, &test); len(d) != 0 {
		t.Errorf("test lead counted: %+v", d)
	}
}

func query(t *testing.T, raw string) (Query, error) {
	t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	return ParseQuery(v.Get, time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
}

func TestParseQuery(t *testing.T) {
	q, err := query(t, "from=2026-11-01&to=2026-11-20T23:00:00-03:00&group_by=site,campaign&touch=last&interval=day")
	if err != nil {
		t.Fatal(err)
	}
	if q.From.Format(DayLayout) != "2026-11-01" || q.To.Format(DayLayout) != "2026-11-21" || q.Touch != Last ||
		strings.Join(q.GroupBy, ",") != "campaign,site" || !q.Daily || len(q.Days()) != 21 {
		t.Errorf("parsed %+v", q)
	}
	q, err = query(t, "")
	if err != nil || q.Touch != First || len(q.Days()) != 30 || q.To.Format(DayLayout) != "2026-11-22" {
		t.Errorf("defaults %+v %v", q, err)
	}
	_, err = query(t, "from=yesterday&to=2026-11-01&touch=middle&group_by=source,color&interval=week")
	var inv *lead.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("err %v", err)
	}
	fields := map[string]bool{}
	for _, fe := range inv.Errors {
		fields[fe.Field] = true
	}
	for _, f := range []string{"from", "touch", "group_by", "interval"} {
		if !fields[f] {
			t.Errorf("no error for %s: %+v", f, inv.Errors)
		}
	}
	if _, err := query(t, "from=2026-11-20&to=2026-11-01"); err == nil {
		t.Error("to before from accepted")
	}
	if _, err := query(t, "from=2020-01-01&to=2026-11-01"); err == nil {
		t.Error("a range over MaxDays accepted")
	}
}

func TestBuildAndCSV(t *testing.T) {
	c := func(day, src, camp string, leads, sales int64) Counter {
		return Counter{
			Key:    Key{Touch: First, Day: day, Dims: Dims{Site: "s1", Source: src, Medium: "cpc", Campaign: camp}},
			Counts: Counts{Leads: leads, ByState: map[lead.State]int64{lead.StateNew: leads - sales, lead.StateSale: sales}},
		}
	}
	counters := []Counter{
		c("2026-11-20", "google", "bf", 3, 1), c("2026-11-21", "google", "bf", 1, 1),
		c("2026-11-21", "meta", "=HYPERLINK(\"x\")", 4, 0), c("2026-11-21", "zero", "z", 0, 0),
		{Key: Key{Touch: Last, Day: "2026-11-21", Dims: Dims{Source: "other"}}, Counts: Counts{Leads: 9}},
	}
	q := Query{From: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC), Touch: First, GroupBy: []string{DimSource}}
	r := Build(q, counters)
	if len(r.Rows) != 2 || *r.Rows[0].Source != "google" || r.Rows[0].Leads != 4 || r.Rows[0].Sales != 2 || r.Rows[0].ConversionRate != 0.5 {
		t.Errorf("rows %+v", r.Rows)
	}
	if r.Totals.Leads != 8 || r.Totals.Sales != 2 || r.Rows[0].Medium != nil {
		t.Errorf("totals %+v", r.Totals)
	}
	q.Daily, q.GroupBy = true, []string{DimSource, DimCampaign}
	r = Build(q, counters)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	want := "day,source,campaign,leads,new,in_progress,sale,no_sale,sales,conversion_rate\n" +
		"2026-11-20,google,bf,3,2,0,1,0,1,0.3333\n" +
		"2026-11-21,meta,\"'=HYPERLINK(\"\"x\"\")\",4,4,0,0,0,0,0.0000\n" +
		"2026-11-21,google,bf,1,0,0,1,0,1,1.0000\n"
	if buf.String() != want {
		t.Errorf("csv:\n%s\nwant:\n%s", buf.String(), want)
	}
}
