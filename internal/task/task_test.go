package task_test

import (
	"errors"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/task"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// An all-day record is overdue only once its day has ended where it lives.
func TestAllDayRecordIsOverdueAfterItsLocalDayEnds(t *testing.T) {
	// São Paulo is UTC−3 all year (no daylight saving since 2019).
	r := task.Task{DueDate: "2026-12-01", Timezone: "America/Sao_Paulo"}
	if !r.AllDay() {
		t.Fatal("a date without a time is all-day")
	}
	if due, _ := r.Due(); !due.Equal(utc("2026-12-01T15:00:00Z")) {
		t.Errorf("shown due %v, want 12:00 local = 15:00Z", due)
	}
	if r.Overdue(utc("2026-12-02T02:59:59Z")) {
		t.Error("overdue at 23:59:59 local on its own day")
	}
	if !r.Overdue(utc("2026-12-02T03:00:00Z")) {
		t.Error("not overdue at 00:00 local the next day")
	}
	if at, _ := r.RemindAt(); !at.Equal(utc("2026-12-01T03:00:00Z")) {
		t.Errorf("reminder %v, want the start of its day (03:00Z)", at)
	}
	r.Done = true
	if r.Overdue(utc("2027-01-01T00:00:00Z")) {
		t.Error("a done record is never overdue")
	}
}

// New York springs forward on 2026-03-08 (02:00 → 03:00) and falls back on
// 2026-11-01: the wall-clock time holds, the instant moves with the offset.
func TestTimedRecordKeepsItsWallClockAcrossDaylightSaving(t *testing.T) {
	cases := []struct {
		date, time, want string
	}{
		{"2026-03-07", "10:00", "2026-03-07T15:00:00Z"}, // EST, UTC−5
		{"2026-03-08", "10:00", "2026-03-08T14:00:00Z"}, // EDT, UTC−4
		{"2026-10-31", "10:00", "2026-10-31T14:00:00Z"}, // EDT
		{"2026-11-01", "10:00", "2026-11-01T15:00:00Z"}, // EST again
	}
	for _, c := range cases {
		r := task.Task{DueDate: c.date, DueTime: c.time, Timezone: "America/New_York"}
		due, ok := r.Due()
		if !ok || !due.Equal(utc(c.want)) {
			t.Errorf("%s %s New York: due %v, want %s", c.date, c.time, due, c.want)
		}
		if r.Overdue(due.Add(-time.Second)) || !r.Overdue(due) {
			t.Errorf("%s %s: overdue must start exactly at its time", c.date, c.time)
		}
	}
	// The all-day record of the spring-forward day is a 23-hour day.
	r := task.Task{DueDate: "2026-03-08", Timezone: "America/New_York"}
	start, _ := r.RemindAt()
	end, _ := r.OverdueFrom()
	if !start.Equal(utc("2026-03-08T05:00:00Z")) || !end.Equal(utc("2026-03-09T04:00:00Z")) || end.Sub(start) != 23*time.Hour {
		t.Errorf("2026-03-08 in New York runs %v → %v, want 05:00Z → 04:00Z next day (23 h)", start, end)
	}
}

func TestApplyNamesEveryBadField(t *testing.T) {
	str := func(s string) *string { return &s }
	r := task.Task{}
	_, err := r.Apply(task.Input{Description: str("  "), DueDate: str("2026-13-01"), DueTime: str("25:00"), Type: str("Nope")}, []string{"Retorno"}, time.Now())
	var inv *lead.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("err = %v", err)
	}
	got := map[string]string{}
	for _, e := range inv.Errors {
		got[e.Field] = e.Code
	}
	want := map[string]string{"description": "required", "due_date": "invalid", "due_time": "invalid", "type": "unknown"}
	for f, c := range want {
		if got[f] != c {
			t.Errorf("%s: code %q, want %q (all: %v)", f, got[f], c, got)
		}
	}
	r = task.Task{}
	if _, err := r.Apply(task.Input{Description: str("ligar"), DueTime: str("10:00")}, nil, time.Now()); err == nil {
		t.Error("a time without a date was accepted")
	}
}

func TestApplyReportsChangesAndStampsDone(t *testing.T) {
	str := func(s string) *string { return &s }
	yes := true
	now := utc("2026-11-30T12:00:00Z")
	r := task.Task{Description: "ligar", AssigneeID: "usr_a", DueDate: "2026-12-01"}
	changed, err := r.Apply(task.Input{Done: &yes, DueTime: str("10:00"), Description: str("ligar")}, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 2 || changed[0] != "due_time" || changed[1] != "done" {
		t.Errorf("changed %v, want [due_time done]", changed)
	}
	if r.DoneAt == nil || !r.DoneAt.Equal(now) {
		t.Errorf("done_at %v", r.DoneAt)
	}
	no := false
	if _, err := r.Apply(task.Input{Done: &no}, nil, now); err != nil || r.DoneAt != nil || r.Done {
		t.Errorf("back to pending: %+v %v", r, err)
	}
}

func TestPresetFillsTheForm(t *testing.T) {
	days := 2
	p := task.Preset{Label: "Retornar em 2 dias", Description: "Retornar a ligação", Type: "Retorno", DueInDays: &days, DueTime: "10:00"}
	in := p.Input(utc("2026-11-30T12:00:00Z"))
	if *in.Description != "Retornar a ligação" || *in.Type != "Retorno" || *in.DueDate != "2026-12-02" || *in.DueTime != "10:00" {
		t.Errorf("preset input %+v", in)
	}
}

func TestSummarizeCountsByTypeAssigneeAndStatus(t *testing.T) {
	now := utc("2026-12-10T12:00:00Z")
	rs := []task.Task{
		{Type: "Retorno", AssigneeID: "a", DueDate: "2026-12-01", Timezone: "UTC", CreatedAt: utc("2026-12-01T10:00:00Z")},
		{Type: "Retorno", AssigneeID: "b", DueDate: "2026-12-20", Timezone: "UTC", CreatedAt: utc("2026-12-01T09:00:00Z")},
		{Type: "Visita", AssigneeID: "a", Done: true, CreatedAt: utc("2026-12-02T10:00:00Z")},
	}
	st := task.Summarize("2026-12-01", "2026-12-31", rs, now)
	if st.Total != 3 || st.ByType["Retorno"] != 2 || st.ByAssignee["a"] != 2 ||
		st.ByStatus[task.StatusOverdue] != 1 || st.ByStatus[task.StatusPending] != 1 || st.ByStatus[task.StatusDone] != 1 {
		t.Errorf("stats %+v", st)
	}
	if !st.Records[0].CreatedAt.Equal(utc("2026-12-01T09:00:00Z")) {
		t.Error("records are listed oldest first")
	}
}

// A reminder exists while a record is pending and dated; only a change of
// assignee, due instant or done moves it.
func TestReminderMovesOnlyWithItsTimeAssigneeOrDone(t *testing.T) {
	base := task.Task{ID: "tsk_1", LeadID: "ld_1", Description: "x", DueDate: "2026-03-08", DueTime: "10:00", Timezone: "America/New_York", AssigneeID: "u1"}
	r, ok := base.Reminder("t1")
	if !ok || !r.At.Equal(time.Date(2026, 3, 8, 14, 0, 0, 0, time.UTC)) || r.AssigneeID != "u1" || r.TenantID != "t1" {
		t.Fatalf("reminder %+v %v, want 14:00Z for u1", r, ok)
	}
	allDay := base
	allDay.DueTime = ""
	if r, _ := allDay.Reminder("t1"); !r.At.Equal(time.Date(2026, 3, 8, 5, 0, 0, 0, time.UTC)) {
		t.Errorf("all-day reminder at %v, want the local day's start (05:00Z)", r.At)
	}
	edited := base
	edited.Description = "y"
	if !task.SameReminder(base, edited) {
		t.Error("a description edit moved the reminder")
	}
	for name, f := range map[string]func(*task.Task){
		"time":     func(x *task.Task) { x.DueTime = "11:00" },
		"assignee": func(x *task.Task) { x.AssigneeID = "u2" },
		"done":     func(x *task.Task) { x.Done = true },
		"undated":  func(x *task.Task) { x.DueDate, x.DueTime = "", "" },
	} {
		next := base
		f(&next)
		if task.SameReminder(base, next) {
			t.Errorf("%s: reminder unchanged", name)
		}
	}
	undated := task.Task{ID: "tsk_2"}
	if _, ok := undated.Reminder("t1"); ok || !task.SameReminder(undated, undated) {
		t.Error("an undated record has no reminder")
	}
}
