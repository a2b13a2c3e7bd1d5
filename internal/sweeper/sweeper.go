// Package sweeper is the SweeperFunction, run every minute by EventBridge:
// it finds scheduled changes due soon through the due-time index and sends
// each to the jobs queue with DelaySeconds equal to the seconds left, so the
// worker receives it on time. Sending twice is harmless (the worker applies
// a change once); the sent mark only saves messages.
package sweeper

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
)

// Defaults.
const (
	// DefaultWindow reaches past the next run (a minute away) with room
	// for a late EventBridge tick, and stays under SQS's 15-minute delay.
	DefaultWindow = 3 * time.Minute
	// DefaultResendAfter re-sends a change still pending this long after
	// its message went out (lost, or dead-lettered after failing).
	DefaultResendAfter = 15 * time.Minute
)

// Due finds and marks due changes (the DynamoDB store).
type Due interface {
	DueChanges(ctx context.Context, until, resendBefore time.Time) ([]lead.DueChange, error)
	MarkSent(ctx context.Context, d lead.DueChange, at time.Time) error
}

// Sweeper sends due scheduled changes to the jobs queue.
type Sweeper struct {
	Due         Due
	Queue       jobs.Sender
	Now         func() time.Time
	Window      time.Duration
	ResendAfter time.Duration
	Logger      *slog.Logger
}

// Sweep sends every change due within the window and returns how many it
// sent. It keeps going past a failed send and reports all failures.
func (s *Sweeper) Sweep(ctx context.Context) (int, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	window, resend := s.Window, s.ResendAfter
	if window <= 0 {
		window = DefaultWindow
	}
	if resend <= 0 {
		resend = DefaultResendAfter
	}
	log := s.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := now().UTC()
	due, err := s.Due.DueChanges(ctx, t.Add(window), t.Add(-resend))
	if err != nil {
		return 0, fmt.Errorf("sweep: %w", err)
	}
	sent := 0
	var errs []error
	for _, d := range due {
		delay := jobs.Delay(d.At, now())
		if err := s.Queue.Send(ctx, jobs.ScheduledChange(d.TenantID, d.LeadID, d.ChangeID, d.At), delay); err != nil {
			errs = append(errs, err)
			continue
		}
		sent++
		if err := s.Due.MarkSent(ctx, d, now()); err != nil {
			log.WarnContext(ctx, "sweep: could not mark a change sent; it will be sent again", "change_id", d.ChangeID, "err", err)
		}
	}
	if sent > 0 {
		log.InfoContext(ctx, "sweep: sent due scheduled changes", "sent", sent, "found", len(due))
	}
	if len(errs) > 0 {
		return sent, fmt.Errorf("sweep: %d of %d sends failed: %w", len(errs), len(due), errors.Join(errs...))
	}
	return sent, nil
}
