package jobs

import (
	"context"
	"log/slog"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
)

// Capturer stores a capture (the DynamoDB store).
type Capturer interface {
	Capture(ctx context.Context, site account.Site, c lead.Capture) (lead.CaptureResult, error)
}

// AssigningCaptures enqueues an assign job for every new lead, whichever
// path created it: the capture routes, the Google Ads webhook, or a worker
// fetching a Meta lead. Keeping it here, not in one handler, is what makes
// ads leads get owners too.
type AssigningCaptures struct {
	Capturer
	Queue  Sender
	Logger *slog.Logger
}

// sendAttempts bounds the enqueue retries after a lead is stored.
const sendAttempts = 3

// Capture stores c, then enqueues its assignment when it made a new lead. A
// failed enqueue does not fail the capture: the lead is stored and visible
// as unassigned, which an admin can fix (or reassign in bulk); the failure
// is logged as an error for the alarm.
func (a AssigningCaptures) Capture(ctx context.Context, site account.Site, c lead.Capture) (lead.CaptureResult, error) {
	res, err := a.Capturer.Capture(ctx, site, c)
	if err != nil || !res.Created || a.Queue == nil {
		return res, err
	}
	var sendErr error
	for range sendAttempts {
		if sendErr = a.Queue.Send(ctx, Assign(site.TenantID, res.LeadID), 0); sendErr == nil {
			return res, nil
		}
	}
	if a.Logger != nil {
		a.Logger.ErrorContext(ctx, "could not enqueue assignment of a new lead", "tenant_id", site.TenantID, "lead_id", res.LeadID, "err", sendErr)
	}
	return res, nil
}
