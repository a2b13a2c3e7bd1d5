package systemtest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/worker"
)

// Issue 10, finding 6: an agent sets no_sale by hand after an in_progress
// change was scheduled; the worker delivering the due change later leaves
// the lead no_sale. The PATCH cancelled the change in its own transaction,
// with a history entry saying why.
func TestManualStateChangeCancelsTheScheduledChange(t *testing.T) {
	s := newStack(t)
	id := s.newLead("manual-wins@example.com")
	at := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	change := s.expect(s.call("POST", "/v1/leads/"+id+"/scheduled-changes", s.agent,
		map[string]any{"state": "in_progress", "at": at.Format(time.RFC3339)}), http.StatusCreated).json(t)
	changeID := change["id"].(string)

	s.expect(s.call("PATCH", "/v1/leads/"+id, s.agent, map[string]any{"state": "no_sale"}), http.StatusOK)
	d := s.expect(s.call("GET", "/v1/leads/"+id, s.agent, nil), http.StatusOK).json(t)
	if d["scheduled_change"] != nil {
		t.Fatalf("scheduled_change after a manual state change = %v, want null", d["scheduled_change"])
	}
	var cancelled map[string]any
	for _, e := range d["history"].([]any) {
		if m := e.(map[string]any); m["action"] == "change_cancelled" {
			cancelled = m
		}
	}
	if cancelled == nil || cancelled["reason"] != "manual state change" || field(cancelled, "before.id") != changeID ||
		field(cancelled, "actor.id") != "usr_agent" {
		t.Fatalf("history has no change_cancelled entry with the reason: %v", d["history"])
	}

	// The change's message arrives when due: nothing happens.
	w := &worker.Worker{Leads: s.store, Accounts: s.store, Assignment: s.store, Now: func() time.Time { return at.Add(time.Second) }}
	if err := w.Process(context.Background(), jobs.ScheduledChange(s.tenant, id, changeID, at)); err != nil {
		t.Fatal(err)
	}
	d = s.expect(s.call("GET", "/v1/leads/"+id, s.agent, nil), http.StatusOK).json(t)
	if d["state"] != "no_sale" {
		t.Fatalf("state after the due change was delivered = %v, want no_sale (the manual decision)", d["state"])
	}
	// Nothing is left for the sweeper either.
	due, err := s.store.DueChanges(context.Background(), at.Add(time.Hour), at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range due {
		if c.ChangeID == changeID {
			t.Fatalf("cancelled change still in the due index: %+v", c)
		}
	}
}
