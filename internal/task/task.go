// Package task is the agenda's domain: follow-up records on a lead (a call
// to return, a visit booked), when each is due in the account's local time,
// and when it is overdue. It is pure: no AWS SDK, no I/O.
//
// A record's date and time are civil: "2026-03-08" and "10:00" in the
// timezone stored with the record (the account's when it was written). The
// instant is worked out from those three each time it is needed, so a
// daylight-saving change, or the account moving to another timezone later,
// never moves a record's wall-clock time. A date without a time is
// all-day: shown as 12:00, overdue only once that day has ended where the
// record lives, and reminded at the start of that day.
package task

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadflow/leadflow/internal/lead"
)

// PrefixTask starts every task id.
const PrefixTask = "tsk_"

// Limits of one record.
const (
	MaxDescription = 10000 // characters
	MaxType        = 64
	DateLayout     = "2006-01-02"
	TimeLayout     = "15:04"
)

// Task is one follow-up record on a lead.
type Task struct {
	ID          string     `json:"id"`
	LeadID      string     `json:"lead_id"`
	Description string     `json:"description"`
	DueDate     string     `json:"due_date,omitempty"` // YYYY-MM-DD, civil
	DueTime     string     `json:"due_time,omitempty"` // HH:MM, civil; empty with a date: all-day
	Timezone    string     `json:"timezone"`           // IANA zone the date and time are in
	Type        string     `json:"type,omitempty"`
	Done        bool       `json:"done"`
	DoneAt      *time.Time `json:"done_at,omitempty"`
	AssigneeID  string     `json:"assignee_id"`
	AuthorID    string     `json:"author_id"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	Version     int64      `json:"version"`
}

// AllDay reports a record with a date and no time.
func (t Task) AllDay() bool { return t.DueDate != "" && t.DueTime == "" }

func (t Task) location() *time.Location {
	if loc, err := time.LoadLocation(t.Timezone); err == nil && t.Timezone != "" {
		return loc
	}
	return time.UTC
}

// at is the instant of the due date plus days at hh:mm in the record's
// zone. A wall-clock time a spring-forward skips resolves as Go's time.Date
// does (after the gap); one a fall-back repeats, to its first occurrence.
func (t Task) at(days, h, m int) (time.Time, bool) {
	d, err := time.Parse(DateLayout, t.DueDate)
	if err != nil {
		return time.Time{}, false
	}
	return time.Date(d.Year(), d.Month(), d.Day()+days, h, m, 0, 0, t.location()), true
}

// civil is the instant of the due date at hh:mm ("" is 12:00).
func (t Task) civil(hhmm string) (time.Time, bool) {
	h, m := 12, 0
	if hhmm != "" {
		tm, err := time.Parse(TimeLayout, hhmm)
		if err != nil {
			return time.Time{}, false
		}
		h, m = tm.Hour(), tm.Minute()
	}
	return t.at(0, h, m)
}

// Due is when the record is shown as due: its time, or 12:00 on its day
// when it is all-day. False when it has no date.
func (t Task) Due() (time.Time, bool) { return t.civil(t.DueTime) }

// OverdueFrom is the instant from which a pending record is overdue: its
// due time, or the end of its day (the next day's midnight, where it
// lives) when it is all-day.
func (t Task) OverdueFrom() (time.Time, bool) {
	if !t.AllDay() {
		return t.Due()
	}
	return t.at(1, 0, 0)
}

// RemindAt is when a reminder falls due: the due time, or the start of the
// day for an all-day record. False when it has no date.
func (t Task) RemindAt() (time.Time, bool) {
	if !t.AllDay() {
		return t.Due()
	}
	return t.at(0, 0, 0)
}

// Overdue reports a pending record whose time has passed at now.
func (t Task) Overdue(now time.Time) bool {
	if t.Done {
		return false
	}
	from, ok := t.OverdueFrom()
	return ok && !now.Before(from)
}

// Status is a filter of "my tasks".
type Status string

const (
	StatusPending Status = "pending" // not done (overdue included)
	StatusOverdue Status = "overdue" // not done and past due
	StatusDone    Status = "done"
	StatusAll     Status = "all"
)

// Valid reports a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusOverdue, StatusDone, StatusAll:
		return true
	}
	return false
}

// Input is what a person sets on a record. Nil leaves a field as it is; a
// pointer to "" clears the date, time or type.
type Input struct {
	Description *string
	DueDate     *string
	DueTime     *string
	Type        *string
	Done        *bool
	AssigneeID  *string
}

// Apply validates in and applies it to t, naming every bad field, and
// returns the fields that changed (for history). types are the account's
// task types (empty: any type is accepted); now stamps done_at.
func (t *Task) Apply(in Input, types []string, now time.Time) ([]string, error) {
	bad := &lead.InvalidError{}
	next := *t
	if in.Description != nil {
		d := strings.TrimSpace(*in.Description)
		switch {
		case d == "":
			bad.Add("description", "required", "Write what the record is about.")
		case utf8.RuneCountInString(d) > MaxDescription:
			bad.Add("description", "too_long", "The description is longer than 10,000 characters.")
		}
		next.Description = d
	}
	if in.DueDate != nil {
		next.DueDate = strings.TrimSpace(*in.DueDate)
		if next.DueDate != "" {
			if _, err := time.Parse(DateLayout, next.DueDate); err != nil {
				bad.Add("due_date", "invalid", "Use a date such as 2026-12-01.")
			}
		}
	}
	if in.DueTime != nil {
		next.DueTime = strings.TrimSpace(*in.DueTime)
		if next.DueTime != "" {
			if _, err := time.Parse(TimeLayout, next.DueTime); err != nil || len(next.DueTime) != 5 {
				bad.Add("due_time", "invalid", "Use a 24-hour time such as 09:30.")
			}
		}
	}
	if next.DueTime != "" && next.DueDate == "" {
		bad.Add("due_time", "requires_date", "A time needs a date.")
	}
	if in.Type != nil {
		next.Type = strings.TrimSpace(*in.Type)
		switch {
		case utf8.RuneCountInString(next.Type) > MaxType:
			bad.Add("type", "too_long", "The type is longer than 64 characters.")
		case next.Type != "" && len(types) > 0 && !slices.Contains(types, next.Type):
			bad.Add("type", "unknown", "Pick one of the account's task types.")
		}
	}
	if in.AssigneeID != nil {
		next.AssigneeID = strings.TrimSpace(*in.AssigneeID)
		if next.AssigneeID == "" {
			bad.Add("assignee_id", "required", "A record needs someone to do it.")
		}
	}
	if in.Done != nil && *in.Done != next.Done {
		next.Done = *in.Done
		if next.Done {
			at := now.UTC()
			next.DoneAt = &at
		} else {
			next.DoneAt = nil
		}
	}
	if next.Description == "" && in.Description == nil {
		bad.Add("description", "required", "Write what the record is about.")
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	var changed []string
	add := func(f string, a, b any) {
		if a != b {
			changed = append(changed, f)
		}
	}
	add("description", t.Description, next.Description)
	add("due_date", t.DueDate, next.DueDate)
	add("due_time", t.DueTime, next.DueTime)
	add("type", t.Type, next.Type)
	add("done", t.Done, next.Done)
	add("assignee_id", t.AssigneeID, next.AssigneeID)
	*t = next
	return changed, nil
}

// Preset is a quick-entry template an admin defines.
type Preset struct {
	ID          string `json:"id"`
	Label       string `json:"label"`
	Description string `json:"description"`
	Type        string `json:"type,omitempty"`
	DueInDays   *int   `json:"due_in_days,omitempty"`
	DueTime     string `json:"due_time,omitempty"`
}

// TaskType is an account-defined kind of record.
type TaskType struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// DefaultTypes are the types of an account that has set none.
var DefaultTypes = []TaskType{
	{ID: "call_back", Label: "Retorno"},
	{ID: "visit", Label: "Visita agendada"},
	{ID: "won", Label: "Cliente ganho"},
}

// Input is what a preset fills in on day today (a time whose calendar day,
// in the account's zone, is today).
func (p Preset) Input(today time.Time) Input {
	in := Input{Description: &p.Description}
	if p.Type != "" {
		in.Type = &p.Type
	}
	if p.DueInDays != nil {
		d := today.AddDate(0, 0, *p.DueInDays).Format(DateLayout)
		in.DueDate = &d
		if p.DueTime != "" {
			in.DueTime = &p.DueTime
		}
	}
	return in
}

// Query asks for one assignee's records ("my tasks").
type Query struct {
	Assignee string
	Status   Status
	Type     string // only this type, when set
	From, To string // due dates (YYYY-MM-DD), inclusive, when set
	Now      time.Time
	Cursor   string
	Limit    int
}

// Reminder is a record's pending reminder: the assignee is told the record
// is due at At (RemindAt). A record has one while it is pending and dated.
type Reminder struct {
	TenantID   string    `json:"tenant_id"`
	LeadID     string    `json:"lead_id"`
	TaskID     string    `json:"task_id"`
	AssigneeID string    `json:"assignee_id"`
	At         time.Time `json:"at"`
}

// Reminder is t's pending reminder; false when t is done or undated.
func (t Task) Reminder(tenant string) (Reminder, bool) {
	at, ok := t.RemindAt()
	if t.Done || !ok {
		return Reminder{}, false
	}
	return Reminder{TenantID: tenant, LeadID: t.LeadID, TaskID: t.ID, AssigneeID: t.AssigneeID, At: at.UTC()}, true
}

// SameReminder reports whether before and after remind the same person at
// the same instant (or neither reminds): an edit that keeps it leaves a
// reminder that already fired alone, and one that changes it moves it.
func SameReminder(before, after Task) bool {
	b, bok := before.Reminder("")
	a, aok := after.Reminder("")
	return bok == aok && b.AssigneeID == a.AssigneeID && b.At.Equal(a.At)
}

// DueNow is a "due now" notification: a record of the user's fell due
// (its reminder fired) and is still pending. The console counts them.
type DueNow struct {
	TaskID      string    `json:"task_id"`
	LeadID      string    `json:"lead_id"`
	Description string    `json:"description"`
	DueAt       time.Time `json:"due_at"`
	AllDay      bool      `json:"all_day"`
	At          time.Time `json:"at"` // when the reminder fired
}
