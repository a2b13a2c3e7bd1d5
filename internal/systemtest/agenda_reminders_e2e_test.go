package systemtest_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/dispatcher"
	"github.com/leadflow/leadflow/internal/outbox"
	"github.com/leadflow/leadflow/internal/sweeper"
)

// dueNowCount is GET /v1/tasks/due-now's count for token.
func (s *stack) dueNowCount(token string) float64 {
	s.t.Helper()
	return s.expect(s.call("GET", "/v1/tasks/due-now", token, nil), http.StatusOK).json(s.t)["count"].(float64)
}

// Reminders go through the outbox exactly once: in an account on
// America/New_York across the spring-forward of 2026-03-08, a timed record
// fires at its time and an all-day one at the start of its local day, each
// as one task.due event however many sweeps run at once; the dispatcher
// turns each into one due-now notification, and a replay of the whole
// stream neither duplicates one nor brings back one whose record was
// completed. Completing, deleting or moving a record before its time
// cancels or moves its reminder. A soft-deleted lead's records do not
// remind (nor show as due now) while it is in the bin; restored, its
// reminders still in the future fire on time.
func TestAgendaRemindersFireOnceThroughTheOutbox(t *testing.T) {
	s := newStack(t)
	id := s.newLead("reminders@example.com")
	binned := s.apiLead("binned@example.com", nil)
	clk := &agendaClock{t: at("2026-03-07T20:00:00Z")}
	s.withClock(clk)
	s.setTimezone("America/New_York")
	var taskDue atomic.Int64
	dispatcherOf := func() *dispatcher.Dispatcher {
		deliver := dispatcher.TaskDue(s.store, clk.now)
		return &dispatcher.Dispatcher{Consumers: map[string][]dispatcher.Consumer{outbox.TypeTaskDue: {
			func(ctx context.Context, e outbox.Event) error { taskDue.Add(1); return deliver(ctx, e) },
		}}}
	}
	first := runDispatcher(t, s.store, dispatcherOf())
	createOn := func(lead string, body map[string]any) string {
		return s.expect(s.call("POST", "/v1/leads/"+lead+"/tasks", s.agent, body), http.StatusCreated).json(t)["id"].(string)
	}
	create := func(body map[string]any) string { return createOn(id, body) }
	timed := create(map[string]any{"description": "Ligar de volta", "due_date": "2026-03-08", "due_time": "10:00"}) // 14:00Z (EDT)
	create(map[string]any{"description": "Mandar proposta", "due_date": "2026-03-08"})                              // all-day: 05:00Z (EST)
	completed := create(map[string]any{"description": "Completed before its time", "due_date": "2026-03-08", "due_time": "09:00"})
	moved := create(map[string]any{"description": "Moved to the next day", "due_date": "2026-03-08", "due_time": "09:30"})
	deleted := create(map[string]any{"description": "Deleted before its time", "due_date": "2026-03-08", "due_time": "09:45"})
	create(map[string]any{"description": "Undated: never reminded"})

	sweep := func(n int) int64 {
		var fired atomic.Int64
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sw := &sweeper.Sweeper{Reminders: s.store, Now: clk.now}
				k, err := sw.SweepReminders(context.Background())
				must(t, err)
				fired.Add(int64(k))
			}()
		}
		wg.Wait()
		return fired.Load()
	}
	clk.set(at("2026-03-08T04:59:59Z"))
	if n := sweep(1); n != 0 {
		t.Fatalf("%d reminders fired before the first was due", n)
	}
	s.expect(s.call("PATCH", "/v1/tasks/"+completed, s.agent, map[string]any{"done": true}), http.StatusOK)
	s.expect(s.call("PATCH", "/v1/tasks/"+moved, s.agent, map[string]any{"due_date": "2026-03-09"}), http.StatusOK) // 09:30 EDT = 13:30Z
	s.expect(s.call("DELETE", "/v1/tasks/"+deleted, s.agent, nil), http.StatusNoContent)

	clk.set(at("2026-03-08T14:00:00Z"))
	if n := sweep(4); n != 2 {
		t.Fatalf("four concurrent sweeps fired %d reminders, want 2 (the timed and the all-day record)", n)
	}
	waitFor(t, 20*time.Second, "two due-now notifications", func() bool { return s.dueNowCount(s.agent) == 2 })
	if n := s.dueNowCount(s.admin); n != 0 {
		t.Errorf("the admin has %v notifications of the agent's records", n)
	}
	s.expect(s.call("GET", "/v1/tasks/due-now?assignee=usr_admin", s.agent, nil), http.StatusForbidden)
	s.expect(s.call("GET", "/v1/tasks/due-now?assignee=usr_agent", s.admin, nil), http.StatusOK)

	// Done leaves the badge; a replay of the whole stream delivers each
	// task.due once more and changes nothing.
	s.expect(s.call("PATCH", "/v1/tasks/"+timed, s.agent, map[string]any{"done": true}), http.StatusOK)
	if n := s.dueNowCount(s.agent); n != 1 {
		t.Fatalf("due now after completing one: %v, want 1", n)
	}
	if n := sweep(2); n != 0 {
		t.Fatalf("sweeping again fired %d reminders", n)
	}
	first.stop()
	delivered := first.delivered.Load()
	taskDue.Store(0)
	replay := runDispatcher(t, s.store, dispatcherOf())
	waitFor(t, 20*time.Second, "the replay of every outbox event", func() bool { return replay.delivered.Load() >= delivered })
	if n := taskDue.Load(); n != 2 {
		t.Errorf("the stream holds %d task.due events, want 2 (one per reminder)", n)
	}
	if n := s.dueNowCount(s.agent); n != 1 {
		t.Errorf("due now after the replay: %v, want 1", n)
	}

	// The moved record fires on its new day.
	clk.set(at("2026-03-09T13:30:00Z"))
	if n := sweep(2); n != 1 {
		t.Fatalf("the moved record's reminder: %d fired, want 1", n)
	}
	waitFor(t, 20*time.Second, "the moved record's notification", func() bool { return s.dueNowCount(s.agent) == 2 })

	// A lead in the bin: its notification recorded before is hidden, a
	// reminder falling due meanwhile is dropped (no event), and an event
	// written before the deletion records nothing; restored, the hidden
	// notification shows again and a later reminder fires on time.
	createOn(binned, map[string]any{"description": "Fired before the bin", "due_date": "2026-03-10", "due_time": "09:00"}) // 13:00Z
	createOn(binned, map[string]any{"description": "Due while in the bin", "due_date": "2026-03-10", "due_time": "10:00"}) // 14:00Z
	later := createOn(binned, map[string]any{"description": "Due after the restore", "due_date": "2026-03-12", "due_time": "09:00"})
	clk.set(at("2026-03-10T13:00:00Z"))
	if n := sweep(1); n != 1 {
		t.Fatalf("before the bin: %d fired, want 1", n)
	}
	waitFor(t, 20*time.Second, "the binned lead's first notification", func() bool { return s.dueNowCount(s.agent) == 3 })
	s.expect(s.call("POST", "/v1/leads/bulk", s.admin, map[string]any{"action": "delete", "ids": []string{binned}}), http.StatusAccepted)
	if n := s.dueNowCount(s.agent); n != 2 {
		t.Errorf("due now with the lead in the bin: %v, want 2", n)
	}
	clk.set(at("2026-03-10T14:00:00Z"))
	if n := sweep(2); n != 0 {
		t.Errorf("a reminder on a lead in the bin fired (%d)", n)
	}
	ok, err := s.store.RecordDueNow(context.Background(), s.tenant, outbox.TaskDue{TaskID: later, LeadID: binned, AssigneeID: "usr_agent",
		RemindAt: at("2026-03-12T13:00:00Z"), DueAt: at("2026-03-12T13:00:00Z"), Description: "Due after the restore"}, clk.now())
	must(t, err)
	if ok {
		t.Errorf("a task.due delivered after its lead went to the bin was recorded")
	}
	clk.set(at("2026-03-10T14:30:00Z"))
	s.expect(s.call("POST", "/v1/leads/"+binned+"/restore", s.admin, nil), http.StatusOK)
	if n := s.dueNowCount(s.agent); n != 3 {
		t.Errorf("due now after the restore: %v, want 3", n)
	}
	if n := sweep(1); n != 0 {
		t.Errorf("the reminder due while in the bin fired after the restore (%d)", n)
	}
	clk.set(at("2026-03-12T13:00:00Z"))
	if n := sweep(2); n != 1 {
		t.Fatalf("the restored lead's later reminder: %d fired, want 1", n)
	}
	waitFor(t, 20*time.Second, "the restored lead's later notification", func() bool { return s.dueNowCount(s.agent) == 4 })
}
