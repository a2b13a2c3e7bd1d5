// Package sweeper is the SweeperFunction, run every minute by EventBridge:
// it finds scheduled changes due soon through the due-time index and sends
// each to the jobs queue through the schedule use case (DelaySeconds equal
// to the seconds left, then marked sent), so the worker receives it on
// time. Sending twice is harmless (the worker applies a change once); the
// sent mark only saves messages.
//
// It also fires the agenda's reminders that have fallen due: each becomes
// a task.due outbox event, written once however many sweeps read it (the
// store's conditional delete of the reminder), which the dispatcher turns
// into the assignee's due-now notification.
//
// The same run sends a purge_lead job for each soft-deleted lead whose
// restore window has passed (a bounded number per run; the rest go in the
// next ones). A purge is never early, so it needs no delay.
package sweeper

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/schedule"
	"github.com/leadflow/leadflow/internal/task"
)

// Defaults.
const (
	// DefaultWindow reaches past the next run (a minute away) with room
	// for a late EventBridge tick, and stays under SQS's 15-minute delay.
	DefaultWindow = 3 * time.Minute
	// DefaultResendAfter re-sends a change (or purge) still pending this
	// long after its message went out (lost, or dead-lettered after failing).
	DefaultResendAfter = 15 * time.Minute
	// DefaultPurgeLimit bounds the purge jobs one run sends: a bulk delete
	// of many leads comes due all at once 30 days later, and one run must
	// stay well inside its timeout.
	DefaultPurgeLimit = 500
	// DefaultReminderLimit bounds the reminders one run fires per index
	// shard; the rest fire in the next runs.
	DefaultReminderLimit = 250
)

// Due finds and marks due changes (the DynamoDB store).
type Due interface {
	DueChanges(ctx context.Context, until, resendBefore time.Time) ([]lead.DueChange, error)
	MarkSent(ctx context.Context, d lead.DueChange, at time.Time) error
}

// Purges finds and marks soft-deleted leads due for purge (the DynamoDB
// store).
type Purges interface {
	DuePurges(ctx context.Context, now, resendBefore time.Time, limit int) ([]lead.DuePurge, error)
	MarkPurgeSent(ctx context.Context, p lead.DuePurge, at time.Time) error
}

// Reminders finds and fires the agenda's due reminders (the DynamoDB
// store). FireReminder writes the task.due outbox event and reports false
// when the reminder already fired or moved since it was found.
type Reminders interface {
	DueReminders(ctx context.Context, now time.Time, perShard int) ([]task.Reminder, error)
	FireReminder(ctx context.Context, r task.Reminder, now time.Time) (bool, error)
}

// Sweeper sends due scheduled changes and purges to the jobs queue and
// fires due reminders.
type Sweeper struct {
	Due         Due
	Purges      Purges    // optional: without it, no purges are sent
	Reminders   Reminders // optional: without it, no reminders fire
	Queue       jobs.Sender
	Now         func() time.Time
	Window      time.Duration
	ResendAfter time.Duration
	PurgeLimit  int // purge jobs per run; DefaultPurgeLimit when 0
	Logger      *slog.Logger
}

// Sweep sends every change due within the window and the purges due now,
// and returns how many jobs it sent. It keeps going past a failed send and
// reports all failures.
func (s *Sweeper) Sweep(ctx context.Context) (int, error) {
	n, err := s.sweepChanges(ctx)
	if s.Reminders != nil {
		r, rerr := s.SweepReminders(ctx)
		n, err = n+r, errors.Join(err, rerr)
	}
	if s.Purges == nil {
		return n, err
	}
	p, perr := s.SweepPurges(ctx)
	return n + p, errors.Join(err, perr)
}

// SweepReminders fires every reminder due by now (up to
// DefaultReminderLimit per index shard) and returns how many this run
// fired; one fired by a concurrent sweep is not counted.
func (s *Sweeper) SweepReminders(ctx context.Context) (int, error) {
	now, log := s.clock(), s.log()
	due, err := s.Reminders.DueReminders(ctx, now().UTC(), DefaultReminderLimit)
	if err != nil {
		return 0, fmt.Errorf("sweep reminders: %w", err)
	}
	fired := 0
	var errs []error
	for _, r := range due {
		ok, err := s.Reminders.FireReminder(ctx, r, now())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			fired++
		}
	}
	if fired > 0 {
		log.InfoContext(ctx, "sweep: fired due reminders", "fired", fired, "found", len(due))
	}
	if len(errs) > 0 {
		return fired, fmt.Errorf("sweep reminders: %d of %d failed: %w", len(errs), len(due), errors.Join(errs...))
	}
	return fired, nil
}

// SweepPurges sends a purge_lead job for each lead due for purge (up to
// PurgeLimit) and returns how many it sent.
func (s *Sweeper) SweepPurges(ctx context.Context) (int, error) {
	now, resend, log := s.clock(), s.ResendAfter, s.log()
	if resend <= 0 {
		resend = DefaultResendAfter
	}
	limit := s.PurgeLimit
	if limit <= 0 {
		limit = DefaultPurgeLimit
	}
	t := now().UTC()
	due, err := s.Purges.DuePurges(ctx, t, t.Add(-resend), limit)
	if err != nil {
		return 0, fmt.Errorf("sweep purges: %w", err)
	}
	sent := 0
	var errs []error
	for _, p := range due {
		if err := s.Queue.Send(ctx, jobs.PurgeLead(p.TenantID, p.LeadID), 0); err != nil {
			errs = append(errs, err)
			continue
		}
		sent++
		if err := s.Purges.MarkPurgeSent(ctx, p, now()); err != nil {
			log.WarnContext(ctx, "sweep: could not mark a purge sent; it will be sent again", "tenant_id", p.TenantID, "lead_id", p.LeadID, "err", err)
		}
	}
	if sent > 0 {
		log.InfoContext(ctx, "sweep: sent due purges", "sent", sent, "found", len(due), "limit", limit)
	}
	if len(errs) > 0 {
		return sent, fmt.Errorf("sweep purges: %d of %d sends failed: %w", len(errs), len(due), errors.Join(errs...))
	}
	return sent, nil
}

func (s *Sweeper) clock() func() time.Time {
	if s.Now != nil {
		return s.Now
	}
	return time.Now
}

func (s *Sweeper) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// sweepChanges sends every scheduled change due within the window.
func (s *Sweeper) sweepChanges(ctx context.Context) (int, error) {
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
	send := schedule.Dispatcher{Queue: s.Queue, Sent: s.Due, Now: now, Logger: log}
	sent := 0
	var errs []error
	for _, d := range due {
		if err := send.Send(ctx, d); err != nil {
			errs = append(errs, err)
			continue
		}
		sent++
	}
	if sent > 0 {
		log.InfoContext(ctx, "sweep: sent due scheduled changes", "sent", sent, "found", len(due))
	}
	if len(errs) > 0 {
		return sent, fmt.Errorf("sweep: %d of %d sends failed: %w", len(errs), len(due), errors.Join(errs...))
	}
	return sent, nil
}
