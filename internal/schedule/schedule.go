// Package schedule is the use case that puts scheduled state changes on the
// jobs queue: "due soon → send now with the delay left, mark sent". The API
// (through the outbox, when a change is scheduled), the sweeper (changes
// coming within its window) and the worker (a change that arrived too early)
// all send through Dispatcher, so the rule lives once.
//
// Sending twice is harmless: the worker applies a change only while it is
// still pending, in a write conditional on the lead's version.
package schedule

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/queue"
)

// Within is how far ahead a change can be sent: SQS's longest delay. A
// change due later waits for the sweeper.
const Within = queue.MaxDelay

// Sent records that a change's message went out, so the sweeper skips it
// until its resend interval passes (the DynamoDB store).
type Sent interface {
	MarkSent(ctx context.Context, d lead.DueChange, at time.Time) error
}

// Dispatcher sends scheduled changes to the jobs queue.
type Dispatcher struct {
	Queue  jobs.Sender
	Sent   Sent // optional: without it nothing is marked and the sweeper re-sends
	Now    func() time.Time
	Logger *slog.Logger
}

// Offer sends c now when it is due within Within and reports whether it
// did; a later change is left to the sweeper.
func (d *Dispatcher) Offer(ctx context.Context, c lead.DueChange) (bool, error) {
	if c.At.Sub(d.now()) > Within {
		return false, nil
	}
	return true, d.Send(ctx, c)
}

// Send puts c on the queue with the whole seconds left until its time
// (at most Within; the worker sends a change that arrives early again for
// the rest), then marks it sent. A failed mark is logged, not returned:
// the message is out, and the mark only saves the sweeper a re-send.
func (d *Dispatcher) Send(ctx context.Context, c lead.DueChange) error {
	if d.Queue == nil {
		return fmt.Errorf("schedule: no jobs queue to send change %s", c.ChangeID)
	}
	if err := d.Queue.Send(ctx, jobs.ScheduledChange(c.TenantID, c.LeadID, c.ChangeID, c.At), jobs.Delay(c.At, d.now())); err != nil {
		return fmt.Errorf("schedule: send change %s: %w", c.ChangeID, err)
	}
	if d.Sent == nil {
		return nil
	}
	if err := d.Sent.MarkSent(ctx, c, d.now()); err != nil {
		d.log().WarnContext(ctx, "schedule: could not mark a change sent; the sweeper will send it again",
			"tenant_id", c.TenantID, "lead_id", c.LeadID, "change_id", c.ChangeID, "err", err)
	}
	return nil
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Dispatcher) log() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.New(slog.DiscardHandler)
}
