package systemtest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/leadflow/leadflow/internal/testenv"
)

// noScan wraps a DynamoDB client so every Scan is counted; the stack's
// cleanup fails the test if any request path issued one.
func noScan(c *dynamodb.Client) (*dynamodb.Client, *atomic.Int64) {
	var scans atomic.Int64
	return dynamodb.New(c.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("countScans",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if _, ok := in.Parameters.(*dynamodb.ScanInput); ok {
						scans.Add(1)
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
		})
	}), &scans
}

func TestNoScanGuardSeesScans(t *testing.T) {
	c, n := noScan(testenv.DynamoDB(t))
	table := "no-such-table"
	_, _ = c.Scan(context.Background(), &dynamodb.ScanInput{TableName: &table})
	if n.Load() != 1 {
		t.Errorf("the guard counted %d scans, want 1", n.Load())
	}
}

// leadBody is a capture with its own e-mail and phone, so leads stay apart.
func leadBody(i int, name, source, campaign string) map[string]any {
	nav := map[string]any{"page_url": "https://shop.example.com/p"}
	if campaign != "" {
		nav["page_url"] = "https://shop.example.com/p?utm_source=google&utm_medium=cpc&utm_campaign=" + campaign
	}
	return map[string]any{
		"source": source,
		"contact": map[string]any{
			"name": name, "email": fmt.Sprintf("lead%d@example.com", i),
			"phone": fmt.Sprintf("+55 11 9%04d-%04d", 1000+i, 2000+i),
		},
		"navigation": nav,
	}
}

type listFixture struct {
	s   *stack
	ids map[string]string // short name → lead id
	g1  string
}

func (f *listFixture) names(r response) []string {
	f.s.t.Helper()
	byID := map[string]string{}
	for k, v := range f.ids {
		byID[v] = k
	}
	var out []string
	for _, it := range r.json(f.s.t)["items"].([]any) {
		out = append(out, byID[it.(map[string]any)["id"].(string)])
	}
	return out
}

func newListFixture(t *testing.T) *listFixture {
	s := newStack(t)
	f := &listFixture{s: s, ids: map[string]string{}}
	g := s.expect(s.call("POST", "/v1/groups", s.admin, map[string]any{"name": "Clientes VIP"}), http.StatusCreated).json(t)
	f.g1 = g["id"].(string)
	add := func(i int, short, name, source, campaign string, patch map[string]any) {
		id := s.expect(s.capture(leadBody(i, name, source, campaign)), http.StatusCreated).json(t)["lead_id"].(string)
		f.ids[short] = id
		s.expect(s.call("PATCH", "/v1/leads/"+id, s.admin, patch), http.StatusOK)
	}
	add(1, "joao", "João Silva", "chatbot", "bf2026", map[string]any{"owner_id": "usr_agent", "rating": 5, "classification": "male", "tags": []string{"VIP"}, "groups": []string{f.g1}})
	add(2, "maria", "Maria Souza", "form", "BF2026", map[string]any{"state": "in_progress", "rating": 4, "classification": "female", "tags": []string{"vip", "Promoção"}})
	add(3, "ana", "Ana Lima", "api", "natal", map[string]any{"state": "sale", "owner_id": "usr_admin", "rating": 2, "classification": "company", "contact": map[string]any{"cpf": "529.982.247-25"}})
	add(4, "pedro", "Pedro Álvares", "chatbot", "", map[string]any{"classification": "press", "groups": []string{f.g1}})
	add(5, "zeca", "Zeca Urubu", "chatbot", "bf2026", map[string]any{"state": "no_sale", "owner_id": "usr_agent", "rating": 3})
	// Repeat captures: maria has 3 interactions, ana 2.
	for _, i := range []int{2, 2, 3} {
		s.expect(s.capture(leadBody(i, "", "form", "")), http.StatusOK)
	}
	return f
}

func TestListFiltersAlone(t *testing.T) {
	f := newListFixture(t)
	s := f.s
	cases := []struct {
		query string
		want  []string // newest first
	}{
		{"", []string{"zeca", "pedro", "ana", "maria", "joao"}},
		{"state=new", []string{"pedro", "joao"}},
		{"state=in_progress", []string{"maria"}},
		{"owner=usr_agent", []string{"zeca", "joao"}},
		{"owner=unassigned", []string{"pedro", "maria"}},
		{"campaign=bf2026", []string{"zeca", "maria", "joao"}},
		{"campaign=NATAL", []string{"ana"}},
		{"source=Google", []string{"zeca", "ana", "maria", "joao"}},
		{"medium=cpc", []string{"zeca", "ana", "maria", "joao"}},
		{"entry_method=chatbot", []string{"zeca", "pedro", "joao"}},
		{"channel=form", []string{"maria"}},
		{"site=" + s.site.ID, []string{"zeca", "pedro", "ana", "maria", "joao"}},
		{"site=other", nil},
		{"rating_min=4", []string{"maria", "joao"}},
		{"classification=female", []string{"maria"}},
		{"tag=vip", []string{"maria", "joao"}},
		{"tag=PROMOCAO", []string{"maria"}},
		{"group=" + f.g1, []string{"pedro", "joao"}},
		{"q=joao", []string{"joao"}},
		{"q=JOÃO+sil", []string{"joao"}},
		{"q=alvares", []string{"pedro"}},
		{"q=lead3%40exa", []string{"ana"}},
		{"q=91003", []string{"ana"}},
		{"q=z", []string{"zeca"}},
		{"q=souz", []string{"maria"}},
		{"q=souzax", nil},
		{"cpf=52998224725", []string{"ana"}},
		{"cpf=111.444.777-35", nil},
	}
	for _, c := range cases {
		r := s.expect(s.call("GET", "/v1/leads?"+c.query, s.admin, nil), http.StatusOK)
		got := f.names(r)
		if strings.HasPrefix(c.query, "q=") || strings.HasPrefix(c.query, "cpf=") {
			slices.Sort(got)
			slices.Sort(c.want)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s → %v, want %v", c.query, got, c.want)
		}
		// The console's "all N matching": the count of the same filter,
		// from the index alone (one indexed filter) or from the rows.
		cnt := s.expect(s.call("GET", "/v1/leads/count?"+c.query, s.admin, nil), http.StatusOK).json(t)
		if cnt["count"] != float64(len(c.want)) || cnt["exact"] != true {
			t.Errorf("count?%s → %v, want %d exact", c.query, cnt, len(c.want))
		}
	}
	for q, want := range map[string]float64{"state=new&rating_min=5": 1, "tag=vip&state=in_progress": 1, "owner=usr_agent&campaign=bf2026": 2} {
		if cnt := s.expect(s.call("GET", "/v1/leads/count?"+q, s.admin, nil), http.StatusOK).json(t); cnt["count"] != want {
			t.Errorf("count?%s → %v, want %v", q, cnt, want)
		}
	}
	if cnt := s.expect(s.call("GET", "/v1/leads/count", s.other, nil), http.StatusOK).json(t); cnt["count"] != float64(0) {
		t.Errorf("another tenant counts %v", cnt)
	}
	s.expect(s.call("GET", "/v1/leads/count?state=bogus", s.admin, nil), http.StatusBadRequest)
	// "mine" is the caller.
	if got := f.names(s.expect(s.call("GET", "/v1/leads?owner=mine", s.agent, nil), http.StatusOK)); !slices.Equal(got, []string{"zeca", "joao"}) {
		t.Errorf("owner=mine → %v", got)
	}
	// Created range: the second to the fourth lead.
	created := func(short string) string {
		return s.expect(s.call("GET", "/v1/leads/"+f.ids[short], s.admin, nil), http.StatusOK).json(t)["created_at"].(string)
	}
	q := "created_from=" + url.QueryEscape(created("maria")) + "&created_to=" + url.QueryEscape(created("pedro"))
	if got := f.names(s.expect(s.call("GET", "/v1/leads?"+q, s.admin, nil), http.StatusOK)); !slices.Equal(got, []string{"ana", "maria"}) {
		t.Errorf("%s → %v", q, got)
	}
	if cnt := s.expect(s.call("GET", "/v1/leads/count?"+q, s.admin, nil), http.StatusOK).json(t); cnt["count"] != float64(2) {
		t.Errorf("count?%s → %v", q, cnt)
	}
	// Another tenant sees none of it.
	if r := s.expect(s.call("GET", "/v1/leads", s.other, nil), http.StatusOK); len(r.json(t)["items"].([]any)) != 0 {
		t.Errorf("other tenant sees %s", r.body)
	}
	// Detail shows classification, tags and groups.
	d := s.expect(s.call("GET", "/v1/leads/"+f.ids["maria"], s.admin, nil), http.StatusOK).json(t)
	if d["classification"] != "female" || fmt.Sprint(d["tags"]) != "[promocao vip]" {
		t.Errorf("detail = %v %v", d["classification"], d["tags"])
	}
}

func TestListFiltersCombinedAndSorted(t *testing.T) {
	f := newListFixture(t)
	s := f.s
	cases := []struct {
		query string
		want  []string
	}{
		{"campaign=bf2026&state=new&rating_min=4", []string{"joao"}},
		{"tag=vip&owner=unassigned", []string{"maria"}},
		{"entry_method=chatbot&owner=usr_agent&rating_min=3&sort=oldest", []string{"joao", "zeca"}},
		{"group=" + f.g1 + "&classification=press", []string{"pedro"}},
		{"state=new&q=pe", []string{"pedro"}},
		{"campaign=bf2026&source=google&medium=cpc&tag=vip&classification=male&group=" + f.g1 + "&owner=usr_agent&state=new&entry_method=chatbot&rating_min=5&q=jo", []string{"joao"}},
		{"state=no_sale&sub_state=sem_interesse", nil},
		{"cpf=52998224725&state=new", nil},
		{"sort=oldest", []string{"joao", "maria", "ana", "pedro", "zeca"}},
		{"sort=name", []string{"ana", "joao", "maria", "pedro", "zeca"}},
		{"sort=name&campaign=bf2026", []string{"joao", "maria", "zeca"}},
		{"sort=most_interactions", []string{"maria", "ana", "zeca", "pedro", "joao"}},
		{"sort=least_interactions", []string{"joao", "pedro", "zeca", "ana", "maria"}},
		{"sort=most_interactions&tag=vip", []string{"maria", "joao"}},
	}
	for _, c := range cases {
		got := f.names(s.expect(s.call("GET", "/v1/leads?"+c.query, s.admin, nil), http.StatusOK))
		if !slices.Equal(got, c.want) {
			t.Errorf("%s → %v, want %v", c.query, got, c.want)
		}
	}
	for q, field := range map[string]string{
		"limit=10": "limit", "limit=abc": "limit", "sort=random": "sort", "state=won": "state", "rating_min=9": "rating_min",
		"classification=robot": "classification", "created_from=yesterday": "created_from", "cpf=123": "cpf", "cursor=%21%21": "cursor",
	} {
		r := s.expect(s.call("GET", "/v1/leads?"+q, s.admin, nil), http.StatusBadRequest)
		if fieldErrors(t, r)[field] == "" {
			t.Errorf("%s: no error named %s: %s", q, field, r.body)
		}
	}
}

func TestNeighborsAtListEdges(t *testing.T) {
	f := newListFixture(t)
	s := f.s
	nb := func(short, query string) (string, string) {
		m := s.expect(s.call("GET", "/v1/leads/"+f.ids[short]+"/neighbors?"+query, s.agent, nil), http.StatusOK).json(t)
		name := func(v any) string {
			for k, id := range f.ids {
				if id == v {
					return k
				}
			}
			return fmt.Sprint(v)
		}
		return name(m["prev_id"]), name(m["next_id"])
	}
	for _, c := range []struct{ lead, query, prev, next string }{
		{"ana", "sort=name", "<nil>", "joao"},
		{"joao", "sort=name", "ana", "maria"},
		{"zeca", "sort=name", "pedro", "<nil>"},
		{"zeca", "", "<nil>", "pedro"},
		{"joao", "", "maria", "<nil>"},
		{"pedro", "state=new", "<nil>", "joao"},
		{"joao", "state=new", "pedro", "<nil>"},
		{"maria", "sort=most_interactions", "<nil>", "ana"},
		{"maria", "tag=vip&sort=oldest", "joao", "<nil>"},
		{"ana", "state=new", "<nil>", "<nil>"}, // not in the list: neighbors by position
	} {
		prev, next := nb(c.lead, c.query)
		if c.lead == "ana" && c.query == "state=new" {
			// ana (created third) sits between joao and pedro by time.
			if prev != "pedro" || next != "joao" {
				t.Errorf("%s %s → %s, %s", c.lead, c.query, prev, next)
			}
			continue
		}
		if prev != c.prev || next != c.next {
			t.Errorf("%s %s → prev %s next %s, want %s %s", c.lead, c.query, prev, next, c.prev, c.next)
		}
	}
	s.expect(s.call("GET", "/v1/leads/ld_nope/neighbors", s.agent, nil), http.StatusNotFound)
	s.expect(s.call("GET", "/v1/leads/"+f.ids["ana"]+"/neighbors", s.other, nil), http.StatusNotFound)
}

func TestListPagingAcrossPagesStableUnderInserts(t *testing.T) {
	s := newStack(t)
	for i := range 45 {
		s.expect(s.capture(leadBody(100+i, fmt.Sprintf("Pessoa %02d", i), "form", "bf2026")), http.StatusCreated)
	}
	for _, sort := range []string{"newest", "oldest", "name", "most_interactions"} {
		seen := map[string]bool{}
		var order []string
		cursor := ""
		for page := 0; ; page++ {
			r := s.expect(s.call("GET", "/v1/leads?limit=20&campaign=bf2026&sort="+sort+"&cursor="+url.QueryEscape(cursor), s.admin, nil), http.StatusOK).json(t)
			items := r["items"].([]any)
			for _, it := range items {
				m := it.(map[string]any)
				id := m["id"].(string)
				if seen[id] {
					t.Fatalf("%s: %s listed twice", sort, id)
				}
				seen[id] = true
				order = append(order, m["name"].(string))
			}
			if page == 0 && sort == "newest" {
				// A lead captured while paging appears on top, not in later pages.
				s.expect(s.capture(leadBody(999, "Recém Chegado", "form", "bf2026")), http.StatusCreated)
			}
			next, _ := r["next_cursor"].(string)
			if next == "" {
				break
			}
			if len(items) != 20 {
				t.Errorf("%s: a page with a next cursor has %d items", sort, len(items))
			}
			cursor = next
		}
		want := 45
		if sort != "newest" {
			want = 46
		}
		if len(seen) != want {
			t.Errorf("%s: %d leads over all pages, want %d", sort, len(seen), want)
		}
		if sort == "name" && !slices.IsSorted(order) {
			t.Errorf("name order: %v", order)
		}
	}
	// A cursor only continues its own list.
	r := s.expect(s.call("GET", "/v1/leads?limit=20", s.admin, nil), http.StatusOK).json(t)
	cur := url.QueryEscape(r["next_cursor"].(string))
	s.expect(s.call("GET", "/v1/leads?limit=20&sort=name&cursor="+cur, s.admin, nil), http.StatusBadRequest)
	s.expect(s.call("GET", "/v1/leads?limit=20&cursor="+cur, s.other, nil), http.StatusBadRequest)
	s.expect(s.call("GET", "/v1/leads?limit=20&cursor="+cur, s.admin, nil), http.StatusOK)
}
