// Package worker is the WorkerFunction: it consumes the jobs queue, one
// SQS batch at a time, and reports the messages that must be retried by
// MessageId (ReportBatchItemFailures). The same Handle runs in Lambda and,
// through internal/sqsrunner, in the local server.
//
// Every job is idempotent: applying a scheduled change and assigning a lead
// are conditional writes on the lead's version that re-check, on a fresh
// read, that the work is still to be done. Duplicate deliveries, duplicate
// sweeps and retries therefore change nothing the second time.
package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/assign"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/schedule"
)

// Leads reads and changes leads (the store's optimistic-locking update).
type Leads interface {
	Lead(ctx context.Context, tenantID, leadID string) (lead.Lead, error)
	Update(ctx context.Context, tenantID, leadID string, ifVersion int64, change lead.Change) (lead.Lead, error)
}

// Accounts reads tenant configuration.
type Accounts interface {
	Account(ctx context.Context, tenantID string) (account.Account, error)
}

// Assignment is what assigning needs from the store.
type Assignment interface {
	AssignmentRules(ctx context.Context, tenantID string) (assign.Rules, error)
	Users(ctx context.Context, tenantID string) ([]account.User, error)
	OpenLeads(ctx context.Context, tenantID string) (map[string]int64, error)
	NextTurn(ctx context.Context, tenantID, ruleID string) (int64, error)
}

// Worker handles the jobs queue.
type Worker struct {
	Leads      Leads
	Accounts   Accounts
	Assignment Assignment
	// Queue re-sends a scheduled change received too early (optional),
	// through the schedule use case; Sent marks it sent (optional).
	Queue  jobs.Sender
	Sent   schedule.Sent
	Logger *slog.Logger
	Now    func() time.Time
	// MaxEarlyWait is how early a scheduled change may arrive and still be
	// held in process until its time (default 3 s); earlier ones go back to
	// the queue with the remaining delay.
	MaxEarlyWait time.Duration
	// Extra handles further job types (other features register theirs).
	// A handler returns Permanent(err) for a job that can never succeed;
	// any other error retries the message.
	Extra map[string]jobs.Handler
	// Records keeps the records of jobs the console follows (bulk,
	// imports, exports): a job that fails permanently ends "failed" there
	// with its reason (optional).
	Records jobs.Store
}

// Permanent marks err as not worth retrying: the message is logged and
// dropped instead of cycling until the dead-letter queue (jobs.Permanent).
func Permanent(err error) error { return jobs.Permanent(err) }

// IsPermanent reports whether err (or what it wraps) was marked Permanent.
func IsPermanent(err error) bool { return jobs.IsPermanent(err) }

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC()
	}
	return time.Now().UTC()
}

func (w *Worker) log() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Handle processes an SQS batch concurrently and returns the MessageIds to
// retry. The error is always nil: a failed message must not fail (and so
// redeliver) the whole batch.
func (w *Worker) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var (
		mu   sync.Mutex
		resp = events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
		wg   sync.WaitGroup
	)
	for _, msg := range ev.Records {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.message(ctx, msg); err != nil {
				mu.Lock()
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return resp, nil
}

// message processes one record; a non-nil error means "retry it".
func (w *Worker) message(ctx context.Context, msg events.SQSMessage) (err error) {
	log := w.log().With("message_id", msg.MessageId, "receive_count", msg.Attributes["ApproximateReceiveCount"])
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
			log.ErrorContext(ctx, "job panicked", "panic", fmt.Sprint(v))
		}
	}()
	job, err := queue.Decode(msg.Body)
	if err != nil {
		log.ErrorContext(ctx, "dropping undecodable message", "err", err)
		return nil
	}
	log = log.With("job_type", job.Type, "job_id", job.ID, "tenant_id", job.TenantID)
	ctx = queue.WithReceiveCount(ctx, msg.Attributes["ApproximateReceiveCount"])
	start := time.Now()
	err = w.Process(ctx, job)
	switch {
	case err == nil:
		log.InfoContext(ctx, "job done", "duration_ms", time.Since(start).Milliseconds())
		return nil
	case IsPermanent(err):
		log.ErrorContext(ctx, "dropping job that cannot succeed", "err", err)
		if w.Records != nil && job.ID != "" {
			if ferr := jobs.Fail(ctx, w.Records, job, err.Error()); ferr != nil && !errors.Is(ferr, account.ErrNotFound) {
				// The record could not be ended: retry, so it is not left "queued".
				log.WarnContext(ctx, "could not mark the job failed; SQS will retry it", "err", ferr)
				return ferr
			}
		}
		return nil
	default:
		log.WarnContext(ctx, "job failed; SQS will retry it", "err", err)
		return err
	}
}

// Process runs one job.
func (w *Worker) Process(ctx context.Context, job queue.Job) error {
	if job.TenantID == "" {
		return Permanent(errors.New("job without tenant"))
	}
	switch job.Type {
	case jobs.TypeAssign:
		var p jobs.AssignPayload
		if err := json.Unmarshal(job.Payload, &p); err != nil || p.LeadID == "" {
			return Permanent(fmt.Errorf("bad assign payload: %s", job.Payload))
		}
		return notFoundIsPermanent(w.assign(ctx, job.TenantID, p.LeadID))
	case jobs.TypeScheduledChange:
		var p jobs.ScheduledChangePayload
		if err := json.Unmarshal(job.Payload, &p); err != nil || p.LeadID == "" || p.ChangeID == "" {
			return Permanent(fmt.Errorf("bad scheduled_change payload: %s", job.Payload))
		}
		return notFoundIsPermanent(w.applyScheduled(ctx, job.TenantID, p))
	}
	if f, ok := w.Extra[job.Type]; ok {
		return f(ctx, job)
	}
	return Permanent(fmt.Errorf("unknown job type %q", job.Type))
}

// notFoundIsPermanent: a lead or account deleted since the job was sent
// will not come back by retrying.
func notFoundIsPermanent(err error) error {
	if errors.Is(err, lead.ErrNotFound) || errors.Is(err, account.ErrNotFound) {
		return Permanent(err)
	}
	var invalid *lead.InvalidError
	if errors.As(err, &invalid) {
		return Permanent(err)
	}
	return err
}

// applyScheduled applies a scheduled change at its time, once: the update
// re-reads the lead and does nothing unless this very change is still
// pending, and writes conditionally on the version it read.
func (w *Worker) applyScheduled(ctx context.Context, tenantID string, p jobs.ScheduledChangePayload) error {
	if early := p.At.Sub(w.now()); early > 0 {
		maxWait := w.MaxEarlyWait
		if maxWait <= 0 {
			maxWait = 3 * time.Second
		}
		if early > maxWait && w.Queue != nil {
			// Arrived well before its time (a long delay split by the
			// 15-minute SQS limit): send it again for the rest.
			send := schedule.Dispatcher{Queue: w.Queue, Sent: w.Sent, Now: w.now, Logger: w.Logger}
			return send.Send(ctx, lead.DueChange{TenantID: tenantID, LeadID: p.LeadID, ChangeID: p.ChangeID, At: p.At})
		}
		t := time.NewTimer(early)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	acct, err := w.Accounts.Account(ctx, tenantID)
	if err != nil {
		return err
	}
	applied := false
	_, err = w.Leads.Update(ctx, tenantID, p.LeadID, 0, func(l *lead.Lead) ([]lead.Event, error) {
		evs := l.ApplyScheduled(p.ChangeID, acct, w.now())
		applied = len(evs) > 0
		return evs, nil
	})
	if err != nil {
		return err
	}
	if !applied {
		w.log().InfoContext(ctx, "scheduled change no longer pending (applied, cancelled or replaced)",
			"tenant_id", tenantID, "lead_id", p.LeadID, "change_id", p.ChangeID)
		return nil
	}
	w.log().InfoContext(ctx, "scheduled change applied", "tenant_id", tenantID, "lead_id", p.LeadID,
		"change_id", p.ChangeID, "lateness_ms", w.now().Sub(p.At).Milliseconds())
	return nil
}

// assign gives an unowned lead an owner by the account's rules. An owned
// lead keeps its owner, so a repeated job changes nothing.
func (w *Worker) assign(ctx context.Context, tenantID, leadID string) error {
	l, err := w.Leads.Lead(ctx, tenantID, leadID)
	if err != nil {
		return err
	}
	if l.OwnerID != "" {
		return nil
	}
	rules, err := w.Assignment.AssignmentRules(ctx, tenantID)
	if err != nil {
		return err
	}
	rule, ok := rules.Find(l)
	if !ok {
		w.log().InfoContext(ctx, "no assignment rule matches; lead stays unassigned", "tenant_id", tenantID, "lead_id", leadID)
		return nil
	}
	users, err := w.Assignment.Users(ctx, tenantID)
	if err != nil {
		return err
	}
	candidates := assign.Eligible(rule, users)
	if len(candidates) == 0 {
		w.log().WarnContext(ctx, "assignment rule has no available agent; lead stays unassigned",
			"tenant_id", tenantID, "lead_id", leadID, "rule", rule.ID)
		return nil
	}
	var owner account.User
	switch rule.Strategy {
	case assign.LeastLoaded:
		open, err := w.Assignment.OpenLeads(ctx, tenantID)
		if err != nil {
			return err
		}
		owner = assign.Least(candidates, open)
	default:
		turn, err := w.Assignment.NextTurn(ctx, tenantID, rule.ID)
		if err != nil {
			return err
		}
		owner = assign.Turn(candidates, turn)
	}
	acct, err := w.Accounts.Account(ctx, tenantID)
	if err != nil {
		return err
	}
	assigned := false
	_, err = w.Leads.Update(ctx, tenantID, leadID, 0, func(l *lead.Lead) ([]lead.Event, error) {
		if l.OwnerID != "" {
			assigned = false
			return nil, nil // assigned meanwhile (a duplicate job): keep that owner
		}
		now := w.now()
		evs, err := l.Apply(lead.Patch{OwnerID: &owner.ID}, lead.Actor{Type: lead.ActorWorker, ID: "assignment"}, acct, now)
		for i := range evs {
			evs[i].Action, evs[i].Rule = lead.ActionAssigned, rule.ID
		}
		assigned = len(evs) > 0
		return evs, err
	})
	if err != nil {
		return err
	}
	if !assigned {
		w.log().InfoContext(ctx, "lead already assigned; nothing to do", "tenant_id", tenantID, "lead_id", leadID)
		return nil
	}
	w.log().InfoContext(ctx, "lead assigned", "tenant_id", tenantID, "lead_id", leadID, "owner_id", owner.ID, "rule", rule.ID)
	return nil
}
