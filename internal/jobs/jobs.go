// Package jobs names the background jobs the API, the sweeper and the worker
// exchange over the jobs queue, and builds them. A job's ID is its
// idempotency key: the same work always gets the same ID.
package jobs

import (
	"context"
	"encoding/json"
	"time"

	"github.com/leadflow/leadflow/internal/queue"
)

// Job types.
const (
	TypeAssign          = "assign"           // pick an owner for a new lead
	TypeScheduledChange = "scheduled_change" // apply a lead's scheduled state change
)

// Sender enqueues a job after a delay (0..15 min); *queue.Queue is one.
type Sender interface {
	Send(ctx context.Context, job queue.Job, delay time.Duration) error
}

// AssignPayload is the payload of an assign job.
type AssignPayload struct {
	LeadID string `json:"lead_id"`
}

// ScheduledChangePayload is the payload of a scheduled_change job. At lets
// a worker that receives it early wait instead of applying early.
type ScheduledChangePayload struct {
	LeadID   string    `json:"lead_id"`
	ChangeID string    `json:"change_id"`
	At       time.Time `json:"at"`
}

// Assign is the job assigning a new lead.
func Assign(tenantID, leadID string) queue.Job {
	p, _ := json.Marshal(AssignPayload{LeadID: leadID})
	return queue.Job{ID: "assign:" + leadID, Type: TypeAssign, TenantID: tenantID, Payload: p}
}

// ScheduledChange is the job applying change changeID of a lead at at.
func ScheduledChange(tenantID, leadID, changeID string, at time.Time) queue.Job {
	p, _ := json.Marshal(ScheduledChangePayload{LeadID: leadID, ChangeID: changeID, At: at.UTC()})
	return queue.Job{ID: changeID, Type: TypeScheduledChange, TenantID: tenantID, Payload: p}
}

// Delay is how long to hold a job due at at: the whole seconds left
// (SQS delays are whole seconds), rounded down and clamped to
// 0..queue.MaxDelay. The worker holds a message that arrives up to a few
// seconds early until its time, so rounding down costs no accuracy while
// rounding up would make every change up to a second late.
func Delay(at, now time.Time) time.Duration {
	d := at.Sub(now)
	if d <= 0 {
		return 0
	}
	return min(d.Truncate(time.Second), queue.MaxDelay)
}
