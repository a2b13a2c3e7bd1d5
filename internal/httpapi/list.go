package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/capture"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/problem"
	"github.com/leadflow/leadflow/internal/text"
)

// PageSizes are the list page sizes the console offers.
var PageSizes = []int{20, 50, 100}

type listJSON struct {
	Items      []leadJSON `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// parseQuery reads list filters and sort from URL parameters. "mine" as
// owner is the caller; dates are RFC 3339 or YYYY-MM-DD (UTC; created_to
// is exclusive, a date meaning "up to the end of that day").
func parseQuery(v url.Values, p account.Principal) (lead.Query, []lead.FieldError) {
	var q lead.Query
	bad := &lead.InvalidError{}
	f := &q.Filter
	// Every value follows the input-hygiene rule; the caps are the
	// domain's (lead.Query.Validate).
	get := func(k string) string {
		s, fe := text.Clean(k, v.Get(k), text.Rule{})
		if fe != nil {
			bad.Add(fe.Field, fe.Code, fe.Detail)
		}
		return s
	}
	f.State = lead.State(get("state"))
	f.SubState = get("sub_state")
	f.Owner = get("owner")
	if f.Owner == "mine" {
		f.Owner = p.UserID
	}
	f.Source, f.Medium, f.Campaign, f.Site = get("source"), get("medium"), get("campaign"), get("site")
	f.EntryMethod = lead.EntryMethod(get("entry_method"))
	if c := get("channel"); c != "" && f.EntryMethod == "" {
		f.EntryMethod = lead.EntryMethod(c)
	}
	f.Classification = lead.Classification(get("classification"))
	f.Group, f.Tag, f.Q = get("group"), get("tag"), get("q")
	f.Sentiment, f.TicketStatus = get("sentiment"), get("ticket_status")
	if s := get("rating_min"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			bad.Add("rating_min", "invalid", "rating_min must be a whole number from 0 to 5.")
		}
		f.RatingMin = n
	}
	if s := get("cpf"); s != "" {
		n, err := capture.NormalizeCPF(s)
		if err != nil {
			bad.Add("cpf", "invalid_cpf", err.Error())
		}
		f.CPF = n
	}
	for _, d := range []struct {
		name  string
		dst   **time.Time
		isEnd bool
	}{{"created_from", &f.CreatedFrom, false}, {"created_to", &f.CreatedTo, true}} {
		s := get(d.name)
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			day, derr := time.Parse(time.DateOnly, s)
			if derr != nil {
				bad.Add(d.name, "invalid", d.name+" must be an RFC 3339 time or a YYYY-MM-DD date.")
				continue
			}
			t = day
			if d.isEnd {
				t = day.AddDate(0, 0, 1)
			}
		}
		t = t.UTC()
		*d.dst = &t
	}
	q.Sort = lead.Sort(get("sort"))
	if err := q.Validate(); err != nil {
		bad.Errors = append(bad.Errors, err.(*lead.InvalidError).Errors...)
	}
	return q, bad.Errors
}

func parsePageSize(v url.Values) (int, *lead.FieldError) {
	s := v.Get("limit")
	if s == "" {
		return PageSizes[0], nil
	}
	n, err := strconv.Atoi(s)
	if err == nil {
		for _, ok := range PageSizes {
			if n == ok {
				return n, nil
			}
		}
	}
	return 0, &lead.FieldError{Field: "limit", Code: "not_allowed", Detail: "limit must be 20, 50 or 100."}
}

func (s *server) leadList(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	q, errs := parseQuery(r.URL.Query(), p)
	limit, lerr := parsePageSize(r.URL.Query())
	if lerr != nil {
		errs = append(errs, *lerr)
	}
	if len(errs) > 0 {
		problem.Invalid(w, errs)
		return
	}
	page, err := s.Lists.List(r.Context(), p.TenantID, q, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := listJSON{Items: []leadJSON{}, NextCursor: page.NextCursor}
	for _, l := range page.Items {
		out.Items = append(out.Items, toLeadJSON(l))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) leadNeighbors(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	q, errs := parseQuery(r.URL.Query(), p)
	if len(errs) > 0 {
		problem.Invalid(w, errs)
		return
	}
	prev, next, err := s.Lists.Neighbors(r.Context(), p.TenantID, r.PathValue("id"), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	orNull := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	writeJSON(w, http.StatusOK, map[string]any{"prev_id": orNull(prev), "next_id": orNull(next)})
}
