// Package agenda is the agenda's use cases: what creating, editing,
// completing and deleting a follow-up record does (the rules from package
// task, the account's timezone and types, who may do what, the lead's
// history), "my tasks" and the statistics. The HTTP handlers call it; it
// calls the store through the small interface below.
package agenda

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/task"
)

// History actions of the agenda, on the lead's history.
const (
	ActionTaskCreated   = "task_created"
	ActionTaskEdited    = "task_edited"
	ActionTaskCompleted = "task_completed"
	ActionTaskReopened  = "task_reopened"
	ActionTaskDeleted   = "task_deleted"
)

// MaxBulk is the most records one bulk action takes.
const MaxBulk = 500

// Store is what the agenda needs from storage (internal/dynamo).
type Store interface {
	Account(ctx context.Context, tenantID string) (account.Account, error)
	User(ctx context.Context, tenantID, userID string) (account.User, error)
	CreateTask(ctx context.Context, tenant string, t task.Task, ev lead.Event) error
	Task(ctx context.Context, tenant, id string) (task.Task, error)
	UpdateTask(ctx context.Context, tenant, id string, version int64, change func(*task.Task) (lead.Event, error)) (task.Task, error)
	DeleteTask(ctx context.Context, tenant, id string, authorize func(task.Task) (lead.Event, error)) (task.Task, error)
	LeadTasks(ctx context.Context, tenant, leadID string) ([]task.Task, error)
	TasksCreated(ctx context.Context, tenant string, from, to time.Time) ([]task.Task, error)
	TaskTypes(ctx context.Context, tenant string) ([]task.TaskType, error)
}

// Service runs the agenda's use cases.
type Service struct {
	Store Store
	Now   lead.Clock // time.Now when nil
}

// View is a record as the API shows it: the record plus what is derived
// from it at the time of the answer.
type View struct {
	task.Task
	AllDay  bool       `json:"all_day"`
	Overdue bool       `json:"overdue"`
	DueAt   *time.Time `json:"due_at"` // the instant shown as due (12:00 local when all-day)
}

// ViewOf derives a record's view at now.
func ViewOf(t task.Task, now time.Time) View {
	v := View{Task: t, AllDay: t.AllDay(), Overdue: t.Overdue(now)}
	if due, ok := t.Due(); ok {
		u := due.UTC()
		v.DueAt = &u
	}
	return v
}

func (s Service) typeIDs(ctx context.Context, tenant string) ([]string, error) {
	ts, err := s.Store.TaskTypes(ctx, tenant)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, t := range ts {
		ids = append(ids, t.ID, t.Label)
	}
	return ids, nil
}

// checkAssignee refuses an assignee who is not an active user of the
// account, and agents assigning records to someone else.
func (s Service) checkAssignee(ctx context.Context, p account.Principal, assignee string) error {
	if assignee == p.UserID {
		return nil
	}
	if !p.IsAdmin() {
		return lead.ErrForbidden
	}
	u, err := s.Store.User(ctx, p.TenantID, assignee)
	if errors.Is(err, account.ErrNotFound) || (err == nil && !u.Active) {
		bad := &lead.InvalidError{}
		bad.Add("assignee_id", "unknown", "Assign the record to an active user of the account.")
		return bad
	}
	return err
}

func event(p account.Principal, action string, now time.Time, before, after *task.Task, fields []string) lead.Event {
	ev := lead.Event{ID: lead.NewID(lead.PrefixEvent, now), At: now, Actor: lead.Actor{Type: lead.ActorUser, ID: p.UserID}, Action: action, Field: "task"}
	summary := func(t *task.Task) any {
		if t == nil {
			return nil
		}
		return map[string]any{"id": t.ID, "description": t.Description, "due_date": t.DueDate, "due_time": t.DueTime, "type": t.Type, "done": t.Done, "assignee_id": t.AssigneeID}
	}
	ev.Before, ev.After = summary(before), summary(after)
	if len(fields) == 1 {
		ev.Field = "task." + fields[0]
	}
	return ev
}

// Create adds a record to a lead. The assignee defaults to the author; the
// record takes the account's timezone.
func (s Service) Create(ctx context.Context, p account.Principal, leadID string, in task.Input) (View, error) {
	now := s.Now.UTC()
	acct, err := s.Store.Account(ctx, p.TenantID)
	if err != nil {
		return View{}, err
	}
	types, err := s.typeIDs(ctx, p.TenantID)
	if err != nil {
		return View{}, err
	}
	t := task.Task{ID: lead.NewID(task.PrefixTask, now), LeadID: leadID, Timezone: zoneOf(acct), AuthorID: p.UserID,
		AssigneeID: p.UserID, CreatedAt: now, UpdatedAt: now}
	if in.Description == nil {
		in.Description = new(string)
	}
	if _, err := t.Apply(in, types, now); err != nil {
		return View{}, err
	}
	if err := s.checkAssignee(ctx, p, t.AssigneeID); err != nil {
		return View{}, err
	}
	t.Version = 1
	if err := s.Store.CreateTask(ctx, p.TenantID, t, event(p, ActionTaskCreated, now, nil, &t, nil)); err != nil {
		return View{}, err
	}
	return ViewOf(t, now), nil
}

func zoneOf(a account.Account) string {
	if _, err := time.LoadLocation(a.Timezone); err == nil && a.Timezone != "" {
		return a.Timezone
	}
	return "UTC"
}

// mayChange: an admin, the author or the assignee.
func mayChange(p account.Principal, t task.Task) error {
	if p.IsAdmin() || t.AuthorID == p.UserID || t.AssigneeID == p.UserID {
		return nil
	}
	return lead.ErrForbidden
}

// Update edits a record; version > 0 is the If-Match (lead.ErrVersionMismatch
// when stale).
func (s Service) Update(ctx context.Context, p account.Principal, id string, version int64, in task.Input) (View, error) {
	now := s.Now.UTC()
	types, err := s.typeIDs(ctx, p.TenantID)
	if err != nil {
		return View{}, err
	}
	t, err := s.Store.UpdateTask(ctx, p.TenantID, id, version, func(t *task.Task) (lead.Event, error) {
		if err := mayChange(p, *t); err != nil {
			return lead.Event{}, err
		}
		before := *t
		changed, err := t.Apply(in, types, now)
		if err != nil {
			return lead.Event{}, err
		}
		if t.AssigneeID != before.AssigneeID {
			if err := s.checkAssignee(ctx, p, t.AssigneeID); err != nil {
				return lead.Event{}, err
			}
		}
		t.UpdatedAt = now
		action := ActionTaskEdited
		switch {
		case len(changed) == 1 && changed[0] == "done" && t.Done:
			action = ActionTaskCompleted
		case len(changed) == 1 && changed[0] == "done":
			action = ActionTaskReopened
		}
		return event(p, action, now, &before, t, changed), nil
	})
	if err != nil {
		return View{}, err
	}
	return ViewOf(t, now), nil
}

// Delete removes a record for good (done is not delete).
func (s Service) Delete(ctx context.Context, p account.Principal, id string) error {
	now := s.Now.UTC()
	_, err := s.Store.DeleteTask(ctx, p.TenantID, id, func(t task.Task) (lead.Event, error) {
		if err := mayChange(p, t); err != nil {
			return lead.Event{}, err
		}
		return event(p, ActionTaskDeleted, now, &t, nil, nil), nil
	})
	return err
}

// Get reads one record.
func (s Service) Get(ctx context.Context, p account.Principal, id string) (View, error) {
	t, err := s.Store.Task(ctx, p.TenantID, id)
	if err != nil {
		return View{}, err
	}
	return ViewOf(t, s.Now.UTC()), nil
}

// OfLead lists a lead's records, pending first by due, then done.
func (s Service) OfLead(ctx context.Context, p account.Principal, leadID string) ([]View, error) {
	ts, err := s.Store.LeadTasks(ctx, p.TenantID, leadID)
	if err != nil {
		return nil, err
	}
	now := s.Now.UTC()
	out := make([]View, 0, len(ts))
	for _, t := range ts {
		out = append(out, ViewOf(t, now))
	}
	return out, nil
}

// BulkResult says what happened to each record of a bulk action.
type BulkResult struct {
	Done   []string          `json:"done"`
	Failed map[string]string `json:"failed"` // id → reason
}

// Bulk completes or deletes many records, a few at a time; each record is
// its own transaction, so one refusal does not stop the others.
func (s Service) Bulk(ctx context.Context, p account.Principal, action string, ids []string) (BulkResult, error) {
	bad := &lead.InvalidError{}
	if action != "delete" && action != "complete" {
		bad.Add("action", "invalid", `Use "delete" or "complete".`)
	}
	if len(ids) == 0 || len(ids) > MaxBulk {
		bad.Add("ids", "invalid", fmt.Sprintf("Send 1 to %d record ids.", MaxBulk))
	}
	if err := bad.Err(); err != nil {
		return BulkResult{}, err
	}
	res := BulkResult{Done: []string{}, Failed: map[string]string{}}
	var mu sync.Mutex
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	yes := true
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var err error
			if action == "delete" {
				err = s.Delete(ctx, p, id)
			} else {
				_, err = s.Update(ctx, p, id, 0, task.Input{Done: &yes})
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				res.Done = append(res.Done, id)
			case errors.Is(err, lead.ErrNotFound):
				res.Failed[id] = "not_found"
			case errors.Is(err, lead.ErrForbidden):
				res.Failed[id] = "forbidden"
			default:
				res.Failed[id] = "error"
			}
		}()
	}
	wg.Wait()
	return res, nil
}

// StatsRange reads from and to (YYYY-MM-DD, inclusive, in the account's
// timezone) into instants, naming bad fields.
func StatsRange(from, to string, loc *time.Location) (time.Time, time.Time, error) {
	bad := &lead.InvalidError{}
	f, err1 := time.ParseInLocation(task.DateLayout, from, loc)
	if err1 != nil {
		bad.Add("from", "invalid", "Use a date such as 2026-12-01.")
	}
	t, err2 := time.ParseInLocation(task.DateLayout, to, loc)
	if err2 != nil {
		bad.Add("to", "invalid", "Use a date such as 2026-12-31.")
	}
	if err1 == nil && err2 == nil && t.Before(f) {
		bad.Add("to", "before_from", "The range ends before it starts.")
	}
	if err1 == nil && err2 == nil && t.Sub(f) > 366*24*time.Hour {
		bad.Add("to", "too_long", "A range covers at most a year.")
	}
	if err := bad.Err(); err != nil {
		return time.Time{}, time.Time{}, err
	}
	return f, t.AddDate(0, 0, 1), nil
}

// Stats counts the records created in [from, to], dates in the account's
// timezone; without them, this month so far.
func (s Service) Stats(ctx context.Context, p account.Principal, from, to string) (task.Stats, error) {
	acct, err := s.Store.Account(ctx, p.TenantID)
	if err != nil {
		return task.Stats{}, err
	}
	loc, _ := time.LoadLocation(zoneOf(acct))
	today := s.Now.UTC().In(loc)
	if from == "" {
		from = time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, loc).Format(task.DateLayout)
	}
	if to == "" {
		to = today.Format(task.DateLayout)
	}
	f, t, err := StatsRange(from, to, loc)
	if err != nil {
		return task.Stats{}, err
	}
	records, err := s.Store.TasksCreated(ctx, p.TenantID, f, t)
	if err != nil {
		return task.Stats{}, err
	}
	return task.Summarize(from, to, records, s.Now.UTC()), nil
}
