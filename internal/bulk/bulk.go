// Package bulk applies one action to many leads: explicit ids or every
// lead matching a list filter. It runs as a job, chunk by chunk; each chunk
// is one queue message (Handle), so a selection of any size finishes
// without a timeout, and progress is recorded on the job (GET /v1/jobs/{id}).
//
// Each lead changes in its own transaction (store Update), with its own
// history entry; a lead that fails is reported with the reason and leaves
// the others alone. Actions are idempotent (adding a tag twice changes
// nothing), so a redelivered chunk does no harm, and the job record counts
// each chunk once.
package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/leadchange"
	"github.com/leadflow/leadflow/internal/queue"
)

// ChunkSize is how many leads one message handles.
const ChunkSize = 100

// Leads is what a bulk action needs from the store: what the lead-change
// use case needs (each lead's change goes through it), lists and the
// account.
type Leads interface {
	leadchange.Store
	List(ctx context.Context, tenantID string, q lead.Query, cursor string, limit int) (lead.Page[lead.Lead], error)
	Account(ctx context.Context, tenantID string) (account.Account, error)
}

// Runner runs bulk jobs.
type Runner struct {
	Leads   Leads
	Jobs    jobs.Store
	Starter jobs.Starter // where the next chunk goes
	Now     func() time.Time
}

// Handle processes one chunk of a bulk job and hands the next chunk to
// the starter. It is the worker's entry point for jobs.TypeBulk.
func (r *Runner) Handle(ctx context.Context, j queue.Job) error {
	var p jobs.BulkPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return jobs.Permanent(fmt.Errorf("bulk %s: payload: %w", j.ID, err))
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	acct, err := r.Leads.Account(ctx, j.TenantID)
	if errors.Is(err, account.ErrNotFound) {
		return jobs.Permanent(fmt.Errorf("bulk %s: %w", j.ID, err))
	}
	if err != nil {
		return fmt.Errorf("bulk %s: %w", j.ID, err)
	}
	var ids []string
	var next string
	finished := false
	if p.Request.Filter != nil {
		// Newest first: created time never changes, so the cursor walks
		// the selection once even while the action changes the leads.
		q := *p.Request.Filter
		q.Sort = lead.SortNewest
		if err := q.Validate(); err != nil {
			// The API validates filters; a job that bypassed it can never run.
			return jobs.Permanent(fmt.Errorf("bulk %s: filter: %w", j.ID, err))
		}
		page, err := r.Leads.List(ctx, j.TenantID, q, p.Cursor, ChunkSize)
		if err != nil {
			return fmt.Errorf("bulk %s: list: %w", j.ID, err)
		}
		for _, l := range page.Items {
			ids = append(ids, l.ID)
		}
		next, finished = page.NextCursor, page.NextCursor == ""
	} else {
		lo := min(p.Chunk*ChunkSize, len(p.Request.IDs))
		hi := min(lo+ChunkSize, len(p.Request.IDs))
		ids = p.Request.IDs[lo:hi]
		finished = hi == len(p.Request.IDs)
	}
	prog := jobs.Progress{Chunk: p.Chunk, Finished: finished}
	for _, id := range ids {
		if err := r.apply(ctx, j.TenantID, id, p, acct, now().UTC()); err != nil {
			prog.Failed++
			prog.Errors = append(prog.Errors, jobs.ItemError{ID: id, Reason: reason(err)})
			continue
		}
		prog.Done++
	}
	if err := r.Jobs.AdvanceJob(ctx, j.TenantID, j.ID, prog); err != nil {
		if errors.Is(err, jobs.ErrChunkDone) {
			return nil // a redelivery: the first delivery recorded it and went on
		}
		return err
	}
	if finished {
		return nil
	}
	p.Chunk++
	p.Cursor = next
	body, _ := json.Marshal(p)
	j.Payload = body
	return r.Starter.Start(ctx, j)
}

func reason(err error) string {
	var invalid *lead.InvalidError
	switch {
	case errors.Is(err, lead.ErrNotFound):
		return "not_found"
	case errors.As(err, &invalid):
		return "invalid: " + invalid.Error()
	case errors.Is(err, lead.ErrIdentityTaken):
		return "identity_taken"
	default:
		return "error: " + err.Error()
	}
}

// apply changes one lead in its own transaction: deleting and restoring
// here, every other action through the lead-change use case (the same
// rules as PATCH /v1/leads/{id}; the action was authorized when the job
// started).
func (r *Runner) apply(ctx context.Context, tenantID, id string, p jobs.BulkPayload, acct account.Account, now time.Time) error {
	req := p.Request
	switch req.Action {
	case jobs.BulkDelete:
		_, err := r.Leads.Update(ctx, tenantID, id, 0, func(l *lead.Lead) ([]lead.Event, error) {
			return l.SoftDelete(p.Actor, now), nil
		})
		return err
	case jobs.BulkRestore:
		_, err := r.Leads.Update(lead.WithDeleted(ctx), tenantID, id, 0, func(l *lead.Lead) ([]lead.Event, error) {
			return l.Restore(p.Actor, now)
		})
		return err
	}
	patch, err := Patch(req)
	if err != nil {
		return err
	}
	changes := leadchange.Service{Store: r.Leads, Now: func() time.Time { return now }}
	_, err = changes.Apply(ctx, tenantID, p.Actor, acct, leadchange.Request{LeadID: id, Patch: patch})
	return err
}

// Patch is the lead patch of a bulk action other than delete and restore.
func Patch(req jobs.BulkRequest) (lead.Patch, error) {
	var patch lead.Patch
	switch req.Action {
	case jobs.BulkClassify:
		c := lead.Classification(req.Classification)
		patch.Classification = &c
	case jobs.BulkAddGroup:
		patch.AddGroups = []string{req.GroupID}
	case jobs.BulkRemoveGroup:
		patch.RemoveGroups = []string{req.GroupID}
	case jobs.BulkAddTag:
		patch.AddTags = []string{req.Tag}
	case jobs.BulkRemoveTag:
		patch.RemoveTags = []string{req.Tag}
	case jobs.BulkAssign:
		patch.OwnerID = &req.OwnerID
	case jobs.BulkChangeState:
		st := lead.State(req.State)
		patch.State = &st
		if req.SubState != "" {
			patch.SubState = &req.SubState
		}
	default:
		return patch, fmt.Errorf("unknown bulk action %q", req.Action)
	}
	return patch, nil
}
