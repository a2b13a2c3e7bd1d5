// Package attribution turns pre-aggregated lead counters into campaign
// reports: leads, leads by pipeline state, sales and conversion rate per
// source / medium / campaign / site, by first or last touch, over a range of
// days (per day when asked).
//
// The counters themselves are written by the store in the same transaction
// as the capture or state change they count (see internal/dynamo), one
// counter per (touch, day, site, source, medium, campaign). A report reads
// O(days × groups) counters and never the leads. This package is pure.
//
// Counting rules (the contract the store keeps):
//
//   - A lead counts on the UTC day it was created, under both touches.
//     Days are UTC for every account: the capture path must not read the
//     account, and a timezone change must not invalidate stored counters.
//   - First-touch counters never move. Last-touch counters move when a
//     repeat capture changes the lead's last touch: the lead leaves the old
//     group and joins the new one (still on its creation day), so "last
//     touch" always means the lead's current last touch.
//   - A state change moves the lead between the by-state counts of both
//     touches; "sales" is the count of leads now in state sale.
//   - Test leads (Google's is_test) are never counted; a deleted lead is
//     subtracted (Delta with after = nil).
package attribution

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow/internal/lead"
)

// Touch names which touch of a lead a counter attributes it to.
type Touch string

const (
	First Touch = "first"
	Last  Touch = "last"
)

// Dimensions a report can group by.
const (
	DimSource   = "source"
	DimMedium   = "medium"
	DimCampaign = "campaign"
	DimSite     = "site"
)

// AllDimensions in their column order.
var AllDimensions = []string{DimSource, DimMedium, DimCampaign, DimSite}

// DayLayout formats counter days.
const DayLayout = "2006-01-02"

// MaxDays bounds one report's range.
const MaxDays = 400

// Dims are the values a lead is grouped by for one touch.
type Dims struct {
	Site     string `json:"site_id"`
	Source   string `json:"source"`
	Medium   string `json:"medium"`
	Campaign string `json:"campaign"`
}

// DimsOf returns the grouping values of a touch. Ads leads carry their
// platform's campaign name (or id when the name is unknown) in UTMCampaign.
func DimsOf(t lead.Touch) Dims {
	return Dims{Site: t.SiteID, Source: t.UTMSource, Medium: t.UTMMedium, Campaign: t.UTMCampaign}
}

func (d Dims) get(dim string) string {
	switch dim {
	case DimSource:
		return d.Source
	case DimMedium:
		return d.Medium
	case DimCampaign:
		return d.Campaign
	case DimSite:
		return d.Site
	}
	return ""
}

// Key identifies one counter.
type Key struct {
	Touch Touch
	Day   string // DayLayout, UTC
	Dims  Dims
}

// Counts are what one counter holds: leads and leads per current state.
type Counts struct {
	Leads   int64
	ByState map[lead.State]int64
}

func (c *Counts) add(o Counts) {
	c.Leads += o.Leads
	for s, n := range o.ByState {
		if c.ByState == nil {
			c.ByState = map[lead.State]int64{}
		}
		c.ByState[s] += n
	}
}

// Zero reports whether applying c changes nothing.
func (c Counts) Zero() bool {
	if c.Leads != 0 {
		return false
	}
	for _, n := range c.ByState {
		if n != 0 {
			return false
		}
	}
	return true
}

// Counted reports whether a lead counts in reports at all: test leads from
// ad platforms never do, and a soft-deleted lead stops counting until it is
// restored (so deleting and restoring move the counters like any change).
func Counted(l *lead.Lead) bool { return l != nil && !l.Test && l.DeletedAt == nil }

// Day is the UTC day a lead counts on.
func Day(l *lead.Lead) string { return l.CreatedAt.UTC().Format(DayLayout) }

// Delta returns the counter changes that take the reports from lead state
// before to lead state after (either may be nil: a new lead has no before,
// a deleted one no after). Counters that do not change are left out, so a
// change that moves nothing costs no writes.
func Delta(before, after *lead.Lead) map[Key]Counts {
	out := map[Key]Counts{}
	apply := func(l *lead.Lead, sign int64) {
		if !Counted(l) {
			return
		}
		for _, t := range []struct {
			touch Touch
			tc    lead.Touch
		}{{First, l.FirstTouch}, {Last, l.LastTouch}} {
			k := Key{Touch: t.touch, Day: Day(l), Dims: DimsOf(t.tc)}
			c := out[k]
			c.add(Counts{Leads: sign, ByState: map[lead.State]int64{l.State: sign}})
			out[k] = c
		}
	}
	apply(before, -1)
	apply(after, +1)
	for k, c := range out {
		if c.Zero() {
			delete(out, k)
		}
	}
	return out
}

// Counter is one stored counter as the store reads it back.
type Counter struct {
	Key
	Counts
}

// Query is a parsed report request.
type Query struct {
	From, To time.Time // UTC days, inclusive
	Touch    Touch
	GroupBy  []string
	Daily    bool
}

// Days lists the query's days, oldest first.
func (q Query) Days() []string {
	var out []string
	for d := q.From; !d.After(q.To); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(DayLayout))
	}
	return out
}

// ParseQuery reads from, to (YYYY-MM-DD, UTC, inclusive; RFC 3339 times are
// cut to their UTC day), group_by (comma-separated dimensions; default
// source,medium,campaign), touch (first | last; default first) and interval
// (day, or empty for the whole range). Every bad parameter is reported.
func ParseQuery(get func(string) string, now time.Time) (Query, error) {
	var errs lead.InvalidError
	q := Query{Touch: First}
	day := func(name string) (time.Time, bool) {
		v := strings.TrimSpace(get(name))
		if v == "" {
			return time.Time{}, false
		}
		if t, err := time.Parse(DayLayout, v); err == nil {
			return t, true
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			u := t.UTC()
			return time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC), true
		}
		errs.Add(name, "invalid", "Must be a date such as 2026-11-20 (UTC) or an RFC 3339 time.")
		return time.Time{}, false
	}
	today := now.UTC().Truncate(24 * time.Hour)
	var okFrom, okTo bool
	q.From, okFrom = day("from")
	q.To, okTo = day("to")
	if !okTo && !errsHas(&errs, "to") {
		q.To = today
		okTo = true
	}
	if !okFrom && !errsHas(&errs, "from") {
		q.From = q.To.AddDate(0, 0, -29)
		okFrom = true
	}
	if okFrom && okTo {
		switch {
		case q.To.Before(q.From):
			errs.Add("to", "invalid", "Must not be before from.")
		case int(q.To.Sub(q.From).Hours()/24)+1 > MaxDays:
			errs.Add("to", "invalid", fmt.Sprintf("A report covers at most %d days.", MaxDays))
		}
	}
	switch t := Touch(strings.ToLower(strings.TrimSpace(get("touch")))); t {
	case "":
	case First, Last:
		q.Touch = t
	default:
		errs.Add("touch", "not_allowed", "Must be first or last.")
	}
	if g := strings.TrimSpace(get("group_by")); g == "" {
		q.GroupBy = []string{DimSource, DimMedium, DimCampaign}
	} else {
		for _, d := range strings.Split(g, ",") {
			d = strings.ToLower(strings.TrimSpace(d))
			if !slices.Contains(AllDimensions, d) {
				errs.Add("group_by", "not_allowed", "Dimensions are source, medium, campaign and site, comma-separated.")
				break
			}
			if !slices.Contains(q.GroupBy, d) {
				q.GroupBy = append(q.GroupBy, d)
			}
		}
	}
	// Keep the column order stable whatever order the caller used.
	slices.SortFunc(q.GroupBy, func(a, b string) int {
		return slices.Index(AllDimensions, a) - slices.Index(AllDimensions, b)
	})
	switch iv := strings.ToLower(strings.TrimSpace(get("interval"))); iv {
	case "", "total", "all":
	case "day":
		q.Daily = true
	default:
		errs.Add("interval", "not_allowed", "Must be day, or left out for one row per group over the whole range.")
	}
	if err := errs.Err(); err != nil {
		return Query{}, err
	}
	return q, nil
}

func errsHas(e *lead.InvalidError, field string) bool {
	for _, fe := range e.Errors {
		if fe.Field == field {
			return true
		}
	}
	return false
}

// Row is one group of a report.
type Row struct {
	Day            string           `json:"day,omitempty"`
	Source         *string          `json:"source,omitempty"`
	Medium         *string          `json:"medium,omitempty"`
	Campaign       *string          `json:"campaign,omitempty"`
	Site           *string          `json:"site_id,omitempty"`
	Leads          int64            `json:"leads"`
	ByState        map[string]int64 `json:"by_state"`
	Sales          int64            `json:"sales"`
	ConversionRate float64          `json:"conversion_rate"`
}

// Report is a finished attribution report.
type Report struct {
	From     string   `json:"from"`
	To       string   `json:"to"`
	Touch    Touch    `json:"touch"`
	GroupBy  []string `json:"group_by"`
	Interval string   `json:"interval"` // "day" or "total"
	Timezone string   `json:"timezone"` // always UTC (see package doc)
	Totals   Row      `json:"totals"`
	Rows     []Row    `json:"rows"`
}

// Build aggregates counters into the report q asks for. Rows are ordered
// by day, then leads (most first), then group values; groups whose counts
// are all zero are left out.
func Build(q Query, counters []Counter) Report {
	r := Report{
		From: q.From.Format(DayLayout), To: q.To.Format(DayLayout), Touch: q.Touch,
		GroupBy: q.GroupBy, Interval: "total", Timezone: "UTC", Rows: []Row{},
	}
	if q.Daily {
		r.Interval = "day"
	}
	type groupKey struct {
		day  string
		vals [4]string
	}
	groups := map[groupKey]*Counts{}
	var total Counts
	for _, c := range counters {
		if c.Touch != q.Touch || c.Day < r.From || c.Day > r.To {
			continue
		}
		var gk groupKey
		if q.Daily {
			gk.day = c.Day
		}
		for i, d := range q.GroupBy {
			gk.vals[i] = c.Dims.get(d)
		}
		g := groups[gk]
		if g == nil {
			g = &Counts{}
			groups[gk] = g
		}
		g.add(c.Counts)
		total.add(c.Counts)
	}
	row := func(day string, vals [4]string, c Counts) Row {
		row := Row{Day: day, Leads: c.Leads, ByState: map[string]int64{}}
		for _, s := range lead.States {
			row.ByState[string(s)] = c.ByState[s]
		}
		row.Sales = c.ByState[lead.StateSale]
		if c.Leads > 0 {
			row.ConversionRate = float64(row.Sales) / float64(c.Leads)
		}
		for i, d := range q.GroupBy {
			v := vals[i]
			switch d {
			case DimSource:
				row.Source = &v
			case DimMedium:
				row.Medium = &v
			case DimCampaign:
				row.Campaign = &v
			case DimSite:
				row.Site = &v
			}
		}
		return row
	}
	keys := make([]groupKey, 0, len(groups))
	for k, c := range groups {
		if !c.Zero() {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b groupKey) int {
		if c := strings.Compare(a.day, b.day); c != 0 {
			return c
		}
		if la, lb := groups[a].Leads, groups[b].Leads; la != lb {
			if la > lb {
				return -1
			}
			return 1
		}
		for i := range a.vals {
			if c := strings.Compare(a.vals[i], b.vals[i]); c != 0 {
				return c
			}
		}
		return 0
	})
	for _, k := range keys {
		r.Rows = append(r.Rows, row(k.day, k.vals, *groups[k]))
	}
	r.Totals = row("", [4]string{}, total)
	r.Totals.Source, r.Totals.Medium, r.Totals.Campaign, r.Totals.Site = nil, nil, nil, nil
	return r
}

// WriteCSV writes the report's rows as CSV: day (when daily), the group
// columns, leads, one column per state, sales and conversion_rate.
func WriteCSV(w io.Writer, r Report) error {
	cw := csv.NewWriter(w)
	var head []string
	if r.Interval == "day" {
		head = append(head, "day")
	}
	for _, d := range r.GroupBy {
		if d == DimSite {
			head = append(head, "site_id")
		} else {
			head = append(head, d)
		}
	}
	head = append(head, "leads")
	for _, s := range lead.States {
		head = append(head, string(s))
	}
	head = append(head, "sales", "conversion_rate")
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, row := range r.Rows {
		var rec []string
		if r.Interval == "day" {
			rec = append(rec, row.Day)
		}
		for _, d := range r.GroupBy {
			var p *string
			switch d {
			case DimSource:
				p = row.Source
			case DimMedium:
				p = row.Medium
			case DimCampaign:
				p = row.Campaign
			case DimSite:
				p = row.Site
			}
			rec = append(rec, csvSafe(deref(p)))
		}
		rec = append(rec, strconv.FormatInt(row.Leads, 10))
		for _, s := range lead.States {
			rec = append(rec, strconv.FormatInt(row.ByState[string(s)], 10))
		}
		rec = append(rec, strconv.FormatInt(row.Sales, 10), strconv.FormatFloat(row.ConversionRate, 'f', 4, 64))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// csvSafe defuses spreadsheet formulas: UTM values come from visitors'
// URLs, and a cell starting with = + - @ would run in Excel or Sheets.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
