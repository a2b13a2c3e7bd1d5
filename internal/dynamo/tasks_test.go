package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/task"
)

func newTask(leadID, assignee, date, hhmm string, created time.Time) task.Task {
	return task.Task{
		ID: lead.NewID(task.PrefixTask, created), LeadID: leadID, Description: "ligar " + date + " " + hhmm,
		DueDate: date, DueTime: hhmm, Timezone: "America/Sao_Paulo", AssigneeID: assignee, AuthorID: assignee,
		CreatedAt: created, UpdatedAt: created,
	}
}

func taskEvent(action string, at time.Time) lead.Event {
	return lead.Event{ID: lead.NewID(lead.PrefixEvent, at), At: at, Actor: lead.Actor{Type: lead.ActorUser, ID: "usr_a"}, Action: action}
}

func TestAgendaRecordsOnTheEmulator(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	leadID := mustCapture(t, e, capture("agenda@example.com")).LeadID
	now := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC) // 12:00 in São Paulo
	mk := func(date, hhmm string, i int) task.Task {
		tk := newTask(leadID, "usr_a", date, hhmm, now.Add(time.Duration(i)*time.Second))
		if err := e.store.CreateTask(ctx, tenant, tk, taskEvent("task_created", tk.CreatedAt)); err != nil {
			t.Fatal(err)
		}
		return tk
	}
	later := mk("2026-12-03", "09:00", 1)
	today := mk("2026-12-01", "", 2)        // all-day today: not overdue yet
	overdue := mk("2026-12-01", "10:00", 3) // 10:00 local today: past
	undated := mk("", "", 4)
	yesterday := mk("2026-11-30", "", 5) // all-day yesterday: overdue
	other := newTask(leadID, "usr_b", "2026-11-01", "", now)
	if err := e.store.CreateTask(ctx, tenant, other, taskEvent("task_created", now)); err != nil {
		t.Fatal(err)
	}

	ids := func(ts []task.Task) []string {
		var out []string
		for _, x := range ts {
			out = append(out, x.ID)
		}
		return out
	}
	want := func(name string, got []task.Task, expect ...task.Task) {
		t.Helper()
		if fmt.Sprint(ids(got)) != fmt.Sprint(ids(expect)) {
			t.Errorf("%s: %v, want %v", name, ids(got), ids(expect))
		}
	}
	pending, _, err := e.store.Agenda(ctx, tenant, task.Query{Assignee: "usr_a", Status: task.StatusPending, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want("pending, overdue first then by due", pending, yesterday, overdue, today, later, undated)
	od, _, _ := e.store.Agenda(ctx, tenant, task.Query{Assignee: "usr_a", Status: task.StatusOverdue, Now: now})
	want("overdue", od, yesterday, overdue)
	page1, cur, _ := e.store.Agenda(ctx, tenant, task.Query{Assignee: "usr_a", Status: task.StatusPending, Now: now, Limit: 2})
	page2, _, err := e.store.Agenda(ctx, tenant, task.Query{Assignee: "usr_a", Status: task.StatusPending, Now: now, Limit: 2, Cursor: cur})
	if err != nil || cur == "" {
		t.Fatalf("paging: %v %q", err, cur)
	}
	want("page 1", page1, yesterday, overdue)
	want("page 2", page2, today, later)
	if _, _, err := e.store.Agenda(ctx, tenant, task.Query{Assignee: "usr_b", Status: task.StatusPending, Cursor: cur}); err == nil {
		t.Error("another assignee's cursor was accepted")
	}

	// Done moves a record out of pending, stays on the lead.
	yes := true
	done, err := e.store.UpdateTask(ctx, tenant, overdue.ID, 1, func(tk *task.Task) (lead.Event, error) {
		_, err := tk.Apply(task.Input{Done: &yes}, nil, now)
		return taskEvent("task_completed", now), err
	})
	if err != nil || !done.Done || done.Version != 2 {
		t.Fatalf("complete: %+v %v", done, err)
	}
	if _, err := e.store.UpdateTask(ctx, tenant, overdue.ID, 1, func(tk *task.Task) (lead.Event, error) { return taskEvent("x", now), nil }); !errors.Is(err, lead.ErrVersionMismatch) {
		t.Errorf("stale edit: %v, want version mismatch", err)
	}
	dn, _, _ := e.store.Agenda(ctx, tenant, task.Query{Assignee: "usr_a", Status: task.StatusDone, Now: now})
	want("done", dn, done)
	all, err := e.store.LeadTasks(ctx, tenant, leadID)
	if err != nil || len(all) != 6 {
		t.Errorf("lead tasks: %d %v", len(all), err)
	}

	// Delete takes the record and its pointer.
	if _, err := e.store.DeleteTask(ctx, tenant, later.ID, func(task.Task) (lead.Event, error) { return taskEvent("task_deleted", now), nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Task(ctx, tenant, later.ID); !errors.Is(err, lead.ErrNotFound) {
		t.Errorf("deleted record: %v", err)
	}
	// Another tenant cannot read a record by id.
	other2 := e.addTenant(t, uniqueName("other"))
	if _, err := e.store.Task(ctx, other2.TenantID, today.ID); !errors.Is(err, lead.ErrNotFound) {
		t.Errorf("cross-tenant read: %v", err)
	}
	// A record needs a live lead.
	if err := e.store.CreateTask(ctx, tenant, newTask("ld_nope", "usr_a", "", "", now), taskEvent("task_created", now)); !errors.Is(err, lead.ErrNotFound) {
		t.Errorf("record on a missing lead: %v", err)
	}
	// Statistics read the months the range covers.
	created, err := e.store.TasksCreated(ctx, tenant, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil || len(created) != 5 {
		t.Errorf("created in range: %d %v", len(created), err)
	}
	// History has one entry per change.
	d := mustDetail(t, e, tenant, leadID)
	n := 0
	for _, ev := range d.History.Items {
		if ev.Action == "task_created" || ev.Action == "task_completed" || ev.Action == "task_deleted" {
			n++
		}
	}
	if n != 8 {
		t.Errorf("%d task history entries, want 8 (6 created, 1 completed, 1 deleted)", n)
	}
}
