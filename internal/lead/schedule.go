package lead

import (
	"fmt"
	"strings"
	"time"

	"github.com/leadflow/leadflow/internal/account"
)

// PrefixScheduledChange starts the id of a scheduled state change.
const PrefixScheduledChange = "sc_"

// MaxScheduleAhead bounds how far ahead a change may be scheduled.
const MaxScheduleAhead = 365 * 24 * time.Hour

// History actions of scheduled changes. Field is "scheduled_change".
const (
	ActionChangeScheduled   = "change_scheduled"
	ActionChangeRescheduled = "change_rescheduled"
	ActionChangeCancelled   = "change_cancelled"
	ActionChangeApplied     = "change_applied"
	// ActionAssigned is the worker's assignment of a new lead; Field is
	// "owner_id" and Rule names the rule that chose the owner.
	ActionAssigned = "assigned"
)

// ScheduledChange is a pending state change that the worker applies at At.
// A lead has at most one; scheduling another replaces it (a new id), so a
// delivery of the old one finds nothing to apply.
type ScheduledChange struct {
	ID        string    `json:"id"`
	State     State     `json:"state"`
	SubState  string    `json:"sub_state,omitempty"`
	At        time.Time `json:"at"`
	CreatedBy Actor     `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// DueChange locates a scheduled change found by its due time.
type DueChange struct {
	TenantID string
	LeadID   string
	ChangeID string
	At       time.Time
}

// NewScheduledChange validates a scheduling request against the account's
// pipeline: state known, sub_state configured for it, at an RFC 3339 time
// after now and at most MaxScheduleAhead later. Each bad field is named.
func NewScheduledChange(state, subState, at string, acct account.Account, actor Actor, now time.Time) (ScheduledChange, error) {
	var bad InvalidError
	st := State(strings.TrimSpace(state))
	switch {
	case st == "":
		bad.Add("state", "required", "Name the state to change to.")
	case !st.Valid():
		bad.Add("state", "not_allowed", "Must be one of new, in_progress, sale or no_sale.")
	}
	sub := strings.TrimSpace(subState)
	if st.Valid() && !acct.AllowsSubState(string(st), sub) {
		bad.Add("sub_state", "not_allowed", fmt.Sprintf("Sub-state %q is not configured for state %q.", sub, st))
	}
	var when time.Time
	if strings.TrimSpace(at) == "" {
		bad.Add("at", "required", "Give the time to apply the change (RFC 3339).")
	} else if t, err := time.Parse(time.RFC3339, strings.TrimSpace(at)); err != nil {
		bad.Add("at", "invalid", "Must be an RFC 3339 time such as 2026-12-05T09:00:00-03:00.")
	} else if !t.After(now) {
		bad.Add("at", "not_in_future", "Must be in the future.")
	} else if t.Sub(now) > MaxScheduleAhead {
		bad.Add("at", "too_far", "Must be at most one year ahead.")
	} else {
		when = t.UTC()
	}
	if err := bad.Err(); err != nil {
		return ScheduledChange{}, err
	}
	return ScheduledChange{
		ID: NewID(PrefixScheduledChange, now), State: st, SubState: sub, At: when,
		CreatedBy: actor, CreatedAt: now.UTC(),
	}, nil
}

// Schedule makes c the lead's pending change, replacing any other, and
// returns the history entry (scheduled, or rescheduled with the old change
// as Before).
func (l *Lead) Schedule(c ScheduledChange, now time.Time) Event {
	ev := Event{ID: NewID(PrefixEvent, now), At: now, Actor: c.CreatedBy,
		Action: ActionChangeScheduled, Field: "scheduled_change", After: c}
	if old := l.ScheduledChange; old != nil {
		ev.Action, ev.Before = ActionChangeRescheduled, *old
	}
	l.ScheduledChange = &c
	l.UpdatedAt = now
	return ev
}

// CancelSchedule removes the pending change id; ErrNotFound when it is not
// the lead's pending change (already applied, replaced or cancelled).
func (l *Lead) CancelSchedule(id string, actor Actor, now time.Time) (Event, error) {
	if l.ScheduledChange == nil || l.ScheduledChange.ID != id {
		return Event{}, ErrNotFound
	}
	return l.cancelScheduleFor(actor, now, ""), nil
}

// ReasonManualStateChange is the reason of a scheduled change cancelled
// because a user changed the lead's state by hand (Apply).
const ReasonManualStateChange = "manual state change"

// cancelScheduleFor removes the pending change (there must be one) and
// returns its "change_cancelled" entry with reason.
func (l *Lead) cancelScheduleFor(actor Actor, now time.Time, reason string) Event {
	ev := Event{ID: NewID(PrefixEvent, now), At: now, Actor: actor,
		Action: ActionChangeCancelled, Field: "scheduled_change", Before: *l.ScheduledChange, Reason: reason}
	l.ScheduledChange = nil
	l.UpdatedAt = now
	return ev
}

// ApplyScheduled applies the pending change id through Apply, so its
// history reads like any other state change, followed by an "applied"
// entry. It returns no entries when id is no longer pending: that is how a
// duplicate delivery, a cancelled or a replaced change does nothing. A
// sub-state the account no longer offers is dropped rather than blocking
// the state change.
func (l *Lead) ApplyScheduled(id string, acct account.Account, now time.Time) []Event {
	c := l.ScheduledChange
	if c == nil || c.ID != id {
		return nil
	}
	actor := Actor{Type: ActorWorker, ID: "scheduler"}
	state, sub := c.State, c.SubState
	if !acct.AllowsSubState(string(state), sub) {
		sub = ""
	}
	events, err := l.Apply(Patch{State: &state, SubState: &sub}, actor, acct, now)
	if err != nil { // only an unknown state, which validation refused
		events = nil
	}
	l.ScheduledChange = nil
	l.UpdatedAt = now
	return append(events, Event{ID: NewID(PrefixEvent, now), At: now, Actor: actor,
		Action: ActionChangeApplied, Field: "scheduled_change", Before: *c})
}

// Open reports whether a lead still counts towards its owner's load.
func (s State) Open() bool { return s == StateNew || s == StateInProgress || s == "" }
