package systemtest_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/leadflow/leadflow/internal/httpapi"
)

// agendaClock is a settable clock for the handlers.
type agendaClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *agendaClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *agendaClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func at(s string) time.Time            { t, _ := time.Parse(time.RFC3339, s); return t }
func (s *stack) withClock(c *agendaClock) {
	s.deps.Now = c.now
	s.srv = httptest.NewServer(httpapi.NewLocal(s.deps))
	s.t.Cleanup(s.srv.Close)
}

func (s *stack) setTimezone(tz string) {
	s.t.Helper()
	ctx := context.Background()
	a, err := s.store.Account(ctx, s.tenant)
	must(s.t, err)
	a.Timezone = tz
	must(s.t, s.store.PutAccount(ctx, a))
}

// A record's date and time are the account's timezone and stay its own:
// New York springs forward on 2026-03-08; the all-day record of that day is
// overdue only when it has ended there; a later timezone change of the
// account leaves the record's wall-clock time alone.
func TestAgendaRecordsThroughTheAPI(t *testing.T) {
	s := newStack(t)
	id := s.newLead("agenda@example.com")
	clk := &agendaClock{t: at("2026-03-07T20:00:00Z")}
	s.withClock(clk)
	s.setTimezone("America/New_York")

	timed := s.expect(s.call("POST", "/v1/leads/"+id+"/tasks", s.agent, map[string]any{
		"description": "Ligar de volta", "due_date": "2026-03-08", "due_time": "10:00", "type": "Retorno"}), http.StatusCreated).json(t)
	if timed["due_at"] != "2026-03-08T14:00:00Z" || timed["all_day"] != false || timed["timezone"] != "America/New_York" || timed["assignee_id"] != "usr_agent" {
		t.Errorf("timed record %v: 10:00 EDT is 14:00Z, assigned to its author", timed)
	}
	allDay := s.expect(s.call("POST", "/v1/leads/"+id+"/tasks", s.agent, map[string]any{
		"description": "Mandar proposta", "due_date": "2026-03-08"}), http.StatusCreated).json(t)
	if allDay["all_day"] != true || allDay["due_at"] != "2026-03-08T16:00:00Z" {
		t.Errorf("all-day record %v: shown 12:00 EDT = 16:00Z", allDay)
	}
	allDayID := allDay["id"].(string)

	// Only admins assign to someone else; an unknown type is named.
	s.expect(s.call("POST", "/v1/leads/"+id+"/tasks", s.agent, map[string]any{"description": "x", "assignee_id": "usr_admin"}), http.StatusForbidden)
	bad := s.expect(s.call("POST", "/v1/leads/"+id+"/tasks", s.agent, map[string]any{"description": "x", "type": "Festa", "due_time": "25:00"}), http.StatusBadRequest).json(t)
	if fields := fieldsOf(bad); !fields["type"] || !fields["due_time"] {
		t.Errorf("bad body named %v, want type and due_time", fields)
	}
	unknown := s.expect(s.call("POST", "/v1/leads/"+id+"/tasks", s.agent, map[string]any{"description": "x", "owner_id": "y"}), http.StatusBadRequest).json(t)
	if fields := fieldsOf(unknown); !fields["owner_id"] {
		t.Errorf("unknown field: named %v, want owner_id", fields)
	}
	s.expect(s.call("POST", "/v1/leads/"+id+"/tasks", s.admin, map[string]any{"description": "x", "assignee_id": "usr_gone"}), http.StatusBadRequest)

	// The end of the (23-hour) local day decides overdue for the all-day record.
	clk.set(at("2026-03-09T03:59:59Z"))
	if r := s.expect(s.call("GET", "/v1/tasks/"+allDayID, s.agent, nil), http.StatusOK).json(t); r["overdue"] != false {
		t.Error("all-day record overdue before its local day ended")
	}
	clk.set(at("2026-03-09T04:00:00Z"))
	if r := s.expect(s.call("GET", "/v1/tasks/"+allDayID, s.agent, nil), http.StatusOK).json(t); r["overdue"] != true {
		t.Error("all-day record not overdue once its local day ended")
	}
	my := s.expect(s.call("GET", "/v1/tasks?status=overdue", s.agent, nil), http.StatusOK).json(t)["items"].([]any)
	if len(my) != 2 || my[0].(map[string]any)["id"] != timed["id"] {
		t.Errorf("overdue: %v, want both, the earlier first", my)
	}
	if mine := s.expect(s.call("GET", "/v1/tasks", s.admin, nil), http.StatusOK).json(t)["items"].([]any); len(mine) != 0 {
		t.Errorf("the admin's own tasks: %v, want none", mine)
	}
	if theirs := s.expect(s.call("GET", "/v1/tasks?assignee=usr_agent", s.admin, nil), http.StatusOK).json(t)["items"].([]any); len(theirs) != 2 {
		t.Errorf("an admin sees an agent's tasks: %d, want 2", len(theirs))
	}
	s.expect(s.call("GET", "/v1/tasks?assignee=usr_admin", s.agent, nil), http.StatusForbidden)

	// Optimistic locking, completion, history.
	r := s.expect(s.call("PATCH", "/v1/tasks/"+allDayID, s.agent, map[string]any{"due_time": "15:30"}, `If-Match: "1"`), http.StatusOK)
	if r.header.Get("ETag") != `"2"` || r.json(t)["all_day"] != false {
		t.Errorf("edit: ETag %q %s", r.header.Get("ETag"), r.body)
	}
	s.expect(s.call("PATCH", "/v1/tasks/"+allDayID, s.agent, map[string]any{"done": true}, `If-Match: "1"`), http.StatusPreconditionFailed)
	s.expect(s.call("PATCH", "/v1/tasks/"+allDayID, s.agent, map[string]any{"done": true}, `If-Match: "2"`), http.StatusOK)
	if pend := s.expect(s.call("GET", "/v1/tasks", s.agent, nil), http.StatusOK).json(t)["items"].([]any); len(pend) != 1 {
		t.Errorf("pending after completing one: %d, want 1", len(pend))
	}
	if done := s.expect(s.call("GET", "/v1/tasks?status=done", s.agent, nil), http.StatusOK).json(t)["items"].([]any); len(done) != 1 {
		t.Errorf("done: %d, want 1", len(done))
	}
	if all := s.expect(s.call("GET", "/v1/leads/"+id+"/tasks", s.agent, nil), http.StatusOK).json(t)["items"].([]any); len(all) != 2 {
		t.Errorf("the lead keeps done records: %d, want 2", len(all))
	}
	hist := s.expect(s.call("GET", "/v1/leads/"+id+"/history?limit=100", s.agent, nil), http.StatusOK).json(t)["items"].([]any)
	actions := map[string]int{}
	for _, h := range hist {
		actions[h.(map[string]any)["action"].(string)]++
	}
	if actions["task_created"] != 2 || actions["task_edited"] != 1 || actions["task_completed"] != 1 {
		t.Errorf("history actions %v", actions)
	}

	// The account moves to São Paulo: the record written in New York keeps 10:00 there.
	s.setTimezone("America/Sao_Paulo")
	if again := s.expect(s.call("GET", "/v1/tasks/"+timed["id"].(string), s.agent, nil), http.StatusOK).json(t); again["due_at"] != "2026-03-08T14:00:00Z" || again["due_time"] != "10:00" {
		t.Errorf("after the account's timezone changed: %v", again)
	}

	// Delete is for good; another account sees nothing.
	s.expect(s.call("GET", "/v1/tasks/"+timed["id"].(string), s.other, nil), http.StatusNotFound)
	s.expect(s.call("DELETE", "/v1/tasks/"+timed["id"].(string), s.other, nil), http.StatusNotFound)
	s.expect(s.call("DELETE", "/v1/tasks/"+timed["id"].(string), s.agent, nil), http.StatusNoContent)
	s.expect(s.call("GET", "/v1/tasks/"+timed["id"].(string), s.agent, nil), http.StatusNotFound)
}

func fieldsOf(problem map[string]any) map[string]bool {
	out := map[string]bool{}
	errs, _ := problem["errors"].([]any)
	for _, e := range errs {
		out[e.(map[string]any)["field"].(string)] = true
	}
	return out
}

// Bulk completion and deletion of 250 records, presets, and statistics
// that equal a recount, downloaded as an XLSX with the same rows.
func TestAgendaBulkPresetsAndStatistics(t *testing.T) {
	s := newStack(t)
	s.setTimezone("America/Sao_Paulo")
	id := s.newLead("bulk-agenda@example.com")

	s.expect(s.call("PUT", "/v1/task-presets", s.agent, map[string]any{"presets": []any{}}), http.StatusForbidden)
	ps := s.expect(s.call("PUT", "/v1/task-presets", s.admin, map[string]any{"presets": []any{
		map[string]any{"label": "Retorno em 2 dias", "description": "Retornar a ligação", "type": "call_back", "due_in_days": 2, "due_time": "10:00"},
	}}), http.StatusOK).json(t)["presets"].([]any)
	if len(ps) != 1 || ps[0].(map[string]any)["id"] == "" {
		t.Fatalf("presets %v", ps)
	}
	if got := s.expect(s.call("GET", "/v1/task-presets", s.agent, nil), http.StatusOK).json(t)["presets"].([]any); len(got) != 1 {
		t.Errorf("agents read presets: %v", got)
	}
	s.expect(s.call("PUT", "/v1/task-presets", s.admin, map[string]any{"presets": []any{map[string]any{"label": "x", "description": "y", "due_time": "10:00"}}}), http.StatusBadRequest)

	const n = 250
	ids := make([]string, n)
	types := []string{"call_back", "visit", "won"}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			body := map[string]any{"description": fmt.Sprintf("registro %d", i), "due_date": "2026-12-01", "type": types[i%3]}
			r := s.call("POST", "/v1/leads/"+id+"/tasks", s.agent, body)
			if r.status != http.StatusCreated {
				t.Errorf("create %d: %d %s", i, r.status, r.body)
				return
			}
			ids[i] = r.json(t)["id"].(string)
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	today := time.Now().In(mustLoc(t, "America/Sao_Paulo")).Format("2006-01-02")
	stats := s.expect(s.call("GET", "/v1/tasks/stats?from="+today+"&to="+today, s.agent, nil), http.StatusOK).json(t)
	byType := stats["by_type"].(map[string]any)
	if stats["total"] != float64(n) || byType["call_back"] != float64(84) || byType["visit"] != float64(83) || byType["won"] != float64(83) {
		t.Errorf("stats total %v by type %v, want 250 = 84 + 83 + 83", stats["total"], byType)
	}

	res := s.expect(s.call("POST", "/v1/tasks/bulk", s.agent, map[string]any{"action": "complete", "ids": ids[:125]}), http.StatusOK).json(t)
	if len(res["done"].([]any)) != 125 || len(res["failed"].(map[string]any)) != 0 {
		t.Errorf("bulk complete: %d done, failed %v", len(res["done"].([]any)), res["failed"])
	}
	res = s.expect(s.call("POST", "/v1/tasks/bulk", s.agent, map[string]any{"action": "delete", "ids": append(ids[125:], "tsk_missing")}), http.StatusOK).json(t)
	if len(res["done"].([]any)) != 125 || res["failed"].(map[string]any)["tsk_missing"] != "not_found" {
		t.Errorf("bulk delete: %d done, failed %v", len(res["done"].([]any)), res["failed"])
	}
	s.expect(s.call("POST", "/v1/tasks/bulk", s.agent, map[string]any{"action": "archive", "ids": ids[:1]}), http.StatusBadRequest)
	if left := s.expect(s.call("GET", "/v1/leads/"+id+"/tasks", s.agent, nil), http.StatusOK).json(t)["items"].([]any); len(left) != 125 {
		t.Errorf("%d records left on the lead, want the 125 done ones", len(left))
	}
	if pend := s.expect(s.call("GET", "/v1/tasks?status=pending", s.agent, nil), http.StatusOK).json(t)["items"].([]any); len(pend) != 0 {
		t.Errorf("%d pending, want 0", len(pend))
	}

	// Statistics: a recount of what is left, and the XLSX holds the same rows.
	stats = s.expect(s.call("GET", "/v1/tasks/stats?from="+today+"&to="+today, s.agent, nil), http.StatusOK).json(t)
	byStatus := stats["by_status"].(map[string]any)
	if stats["total"] != float64(125) || byStatus["done"] != float64(125) || len(stats["records"].([]any)) != 125 {
		t.Errorf("stats after bulk: total %v by status %v", stats["total"], byStatus)
	}
	x := s.expect(s.call("GET", "/v1/tasks/stats?format=xlsx&from="+today+"&to="+today, s.agent, nil), http.StatusOK)
	f, err := excelize.OpenReader(bytes.NewReader(x.body))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	rows, err := f.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 126 || rows[0][0] != "created_at" {
		t.Fatalf("xlsx has %d rows (header %v), want header + 125", len(rows), rows[0])
	}
	recs := stats["records"].([]any)
	for i, rec := range recs {
		if rows[i+1][2] != rec.(map[string]any)["id"] || rows[i+1][9] != "done" {
			t.Fatalf("xlsx row %d = %v, JSON record %v", i+1, rows[i+1], rec)
		}
	}
	s.expect(s.call("GET", "/v1/tasks/stats?from=2026-12-31&to=2026-01-01", s.agent, nil), http.StatusBadRequest)
}

func mustLoc(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
