package lead

import (
	"errors"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/account"
)

var schedAcct = account.Account{ID: "t", SubStates: map[string][]string{"no_sale": {"sem_interesse"}}}

func TestNewScheduledChangeValidation(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	user := Actor{Type: ActorUser, ID: "u1"}
	cases := []struct {
		state, sub, at string
		fields         []string
	}{
		{"", "", "", []string{"state", "at"}},
		{"lost", "", "2026-11-21T00:00:00Z", []string{"state"}},
		{"no_sale", "caro", "2026-11-21T00:00:00Z", []string{"sub_state"}},
		{"sale", "", "tomorrow", []string{"at"}},
		{"sale", "", "2026-11-20T11:59:59Z", []string{"at"}},
		{"sale", "", "2027-11-21T12:00:00Z", []string{"at"}},
	}
	for _, c := range cases {
		_, err := NewScheduledChange(c.state, c.sub, c.at, schedAcct, user, now)
		var inv *InvalidError
		if !errors.As(err, &inv) {
			t.Fatalf("%v: err = %v", c, err)
		}
		var got []string
		for _, e := range inv.Errors {
			got = append(got, e.Field)
		}
		if len(got) != len(c.fields) {
			t.Errorf("%v: fields %v, want %v", c, got, c.fields)
			continue
		}
		for i := range got {
			if got[i] != c.fields[i] {
				t.Errorf("%v: fields %v, want %v", c, got, c.fields)
			}
		}
	}
	c, err := NewScheduledChange("no_sale", "sem_interesse", "2026-12-05T09:00:00-03:00", schedAcct, user, now)
	if err != nil {
		t.Fatal(err)
	}
	if !c.At.Equal(time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)) || c.At.Location() != time.UTC || c.CreatedBy != user {
		t.Errorf("change = %+v", c)
	}
}

func TestScheduleRescheduleCancelApply(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	user := Actor{Type: ActorUser, ID: "u1"}
	l := Lead{ID: "ld_1", State: StateNew}
	c1, _ := NewScheduledChange("sale", "", "2026-11-21T00:00:00Z", schedAcct, user, now)
	if ev := l.Schedule(c1, now); ev.Action != ActionChangeScheduled || ev.Before != nil {
		t.Errorf("first schedule: %+v", ev)
	}
	c2, _ := NewScheduledChange("no_sale", "sem_interesse", "2026-11-22T00:00:00Z", schedAcct, user, now)
	if ev := l.Schedule(c2, now); ev.Action != ActionChangeRescheduled || ev.Before.(ScheduledChange).ID != c1.ID {
		t.Errorf("reschedule: %+v", ev)
	}
	// The replaced change does nothing.
	if evs := l.ApplyScheduled(c1.ID, schedAcct, now); evs != nil || l.State != StateNew {
		t.Fatalf("replaced change applied: %v", evs)
	}
	if _, err := l.CancelSchedule(c1.ID, user, now); !errors.Is(err, ErrNotFound) {
		t.Errorf("cancel of replaced change: %v", err)
	}
	evs := l.ApplyScheduled(c2.ID, schedAcct, now)
	if l.State != StateNoSale || l.SubState != "sem_interesse" || l.ScheduledChange != nil {
		t.Fatalf("after apply: %+v", l)
	}
	if len(evs) != 3 || evs[0].Field != "state" || evs[1].Field != "sub_state" || evs[2].Action != ActionChangeApplied {
		t.Fatalf("events %+v", evs)
	}
	for _, ev := range evs {
		if ev.Actor.Type != ActorWorker {
			t.Errorf("actor %+v", ev.Actor)
		}
	}
	if evs := l.ApplyScheduled(c2.ID, schedAcct, now); evs != nil {
		t.Error("applied twice")
	}
	c3, _ := NewScheduledChange("sale", "", "2026-11-21T00:00:00Z", schedAcct, user, now)
	l.Schedule(c3, now)
	ev, err := l.CancelSchedule(c3.ID, user, now)
	if err != nil || ev.Action != ActionChangeCancelled || l.ScheduledChange != nil {
		t.Fatalf("cancel: %+v %v", ev, err)
	}
	if evs := l.ApplyScheduled(c3.ID, schedAcct, now); evs != nil {
		t.Error("cancelled change applied")
	}
}

// Issue 10, finding 6: a state changed by hand cancels the change scheduled
// earlier (same write, with its reason), so the later delivery of that
// change finds nothing to apply. Other actors and other fields leave it.
func TestManualStateChangeCancelsThePendingScheduledChange(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	user := Actor{Type: ActorUser, ID: "u1"}
	l := Lead{ID: "ld_1", Name: "Ana", State: StateNew}
	c, err := NewScheduledChange("in_progress", "", "2026-11-21T00:00:00Z", schedAcct, user, now)
	if err != nil {
		t.Fatal(err)
	}
	l.Schedule(c, now)

	// A rating or a same-state patch is no state decision: still pending.
	rating, same := 4, StateNew
	if _, err := l.Apply(Patch{Rating: &rating, State: &same}, user, schedAcct, now); err != nil || l.ScheduledChange == nil {
		t.Fatalf("pending change lost without a state change: %v, %+v", err, l.ScheduledChange)
	}
	// The assignment worker changing the owner leaves it too.
	owner := "u2"
	if _, err := l.Apply(Patch{OwnerID: &owner}, Actor{Type: ActorWorker, ID: "assignment"}, schedAcct, now); err != nil || l.ScheduledChange == nil {
		t.Fatalf("pending change lost on a worker's patch: %v", err)
	}

	noSale := StateNoSale
	evs, err := l.Apply(Patch{State: &noSale}, user, schedAcct, now)
	if err != nil {
		t.Fatal(err)
	}
	if l.ScheduledChange != nil {
		t.Fatalf("scheduled change still pending after a manual state change: %+v", l.ScheduledChange)
	}
	last := evs[len(evs)-1]
	if last.Action != ActionChangeCancelled || last.Reason != ReasonManualStateChange || last.Actor != user ||
		last.Before.(ScheduledChange).ID != c.ID {
		t.Fatalf("events %+v; want a change_cancelled entry with the reason", evs)
	}
	if evs := l.ApplyScheduled(c.ID, schedAcct, now.Add(24*time.Hour)); evs != nil || l.State != StateNoSale {
		t.Fatalf("cancelled change applied later: %+v, state %s", evs, l.State)
	}
}
