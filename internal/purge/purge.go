// Package purge runs purge_lead jobs: a soft-deleted lead whose 30-day
// restore window has passed loses every item it had (the lead, notes,
// history, conversation, tasks, index and schedule items, duplicate
// records, merge records), the identity keys that still point to it, and
// its interactions with their messages, events, lookups and attachment
// files — what erasing the person deletes (internal/dynamo/erase.go). The store re-checks the lead on a fresh read, so
// a restore that got in first wins and a repeated job does nothing.
//
// The lead is gone afterwards, so the audit trail is the log line written
// here: tenant, lead id, deletion time and counts, never contact data.
package purge

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/worker"
)

// Store purges leads (the DynamoDB store).
type Store interface {
	PurgeLead(ctx context.Context, tenantID, leadID string, now time.Time, deleteFiles func(context.Context, []string) error) (lead.PurgeResult, error)
}

// Files deletes attachment objects (the S3 bucket).
type Files interface {
	Delete(ctx context.Context, keys ...string) error
}

// Runner handles purge_lead jobs.
type Runner struct {
	Store  Store
	Files  Files // nil without a bucket: no attachment has a file then
	Now    func() time.Time
	Logger *slog.Logger
}

// Handle runs one purge_lead job.
func (r *Runner) Handle(ctx context.Context, j queue.Job) error {
	var p jobs.PurgeLeadPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.LeadID == "" {
		return worker.Permanent(fmt.Errorf("bad purge_lead payload: %s", j.Payload))
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	log := r.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var files func(context.Context, []string) error
	if r.Files != nil {
		files = func(ctx context.Context, keys []string) error { return r.Files.Delete(ctx, keys...) }
	}
	res, err := r.Store.PurgeLead(ctx, j.TenantID, p.LeadID, now().UTC(), files)
	if err != nil {
		return fmt.Errorf("purge lead: %w", err)
	}
	if !res.Purged {
		log.InfoContext(ctx, "lead purge skipped", "tenant_id", j.TenantID, "lead_id", p.LeadID, "reason", res.Skipped)
		return nil
	}
	log.InfoContext(ctx, "lead purged", "audit", "lead.purged", "tenant_id", j.TenantID, "lead_id", p.LeadID,
		"deleted_at", res.DeletedAt.UTC().Format(time.RFC3339), "items_deleted", res.Items,
		"identity_keys_deleted", res.Keys, "identity_keys_kept", res.KeysKept, "interactions_deleted", res.Interactions)
	return nil
}
