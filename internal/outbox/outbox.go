// Package outbox names the side effects of committed changes. The store
// writes one Event per side effect in the same DynamoDB transaction as the
// change it follows (so a change is never committed without its effects
// being recorded), and the dispatcher (internal/dispatcher, fed by the
// table's stream) hands each event to the consumers registered for its type.
// Delivery is at least once: every consumer must be idempotent.
//
// The package is pure vocabulary: event types, their typed payloads and
// constructors. New consumers (webhooks, timeline, notifications, task
// reminders) plug in by event type in the dispatcher; new producers add a
// type and a payload here.
package outbox

import (
	"encoding/json"
	"time"

	"github.com/leadflow/leadflow/internal/lead"
)

// Event types.
const (
	// TypeLeadCreated follows a capture that made a new lead (any path:
	// capture routes, ads webhooks and fetches, imports).
	TypeLeadCreated = "lead.created"
	// TypeChangeScheduled follows a lead getting a new pending scheduled
	// state change (a first one or a replacement).
	TypeChangeScheduled = "lead.change_scheduled"
	// TypeTaskDue follows an agenda record falling due (its reminder
	// fired: the due time, or the start of the day of an all-day record).
	TypeTaskDue = "task.due"
)

// PrefixEvent starts outbox event ids.
const PrefixEvent = "ob_"

// SortKeyPrefix starts the sort key of every outbox item in the table
// (SK=OUTBOX#<id>, in the partition of the lead the event is about). The
// store writes it; the dispatcher and the DispatcherFunction's stream
// FilterCriteria in template.yaml match it.
const SortKeyPrefix = "OUTBOX#"

// TTL is how long an outbox item stays in the table after it was written.
// The stream delivers it long before; the TTL only keeps the lead's
// partition from growing.
const TTL = 7 * 24 * time.Hour

// Event is one recorded side effect.
type Event struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	TenantID  string          `json:"tenant_id"`
	LeadID    string          `json:"lead_id"`
	Payload   json.RawMessage `json:"payload"`
	CreatedAt time.Time       `json:"created_at"`
}

// LeadCreated is the payload of TypeLeadCreated.
type LeadCreated struct {
	LeadID string `json:"lead_id"`
}

// ChangeScheduled is the payload of TypeChangeScheduled.
type ChangeScheduled struct {
	LeadID   string    `json:"lead_id"`
	ChangeID string    `json:"change_id"`
	At       time.Time `json:"at"`
}

// Due is the scheduled change the payload names.
func (c ChangeScheduled) Due(tenantID string) lead.DueChange {
	return lead.DueChange{TenantID: tenantID, LeadID: c.LeadID, ChangeID: c.ChangeID, At: c.At}
}

// TaskDue is the payload of TypeTaskDue: the reminder that fired, with
// what the assignee's "due now" notification shows.
type TaskDue struct {
	TaskID      string    `json:"task_id"`
	LeadID      string    `json:"lead_id"`
	AssigneeID  string    `json:"assignee_id"`
	RemindAt    time.Time `json:"remind_at"`
	DueAt       time.Time `json:"due_at"`
	AllDay      bool      `json:"all_day"`
	Description string    `json:"description"`
}

// NewTaskDue is the event of a record's reminder firing at now.
func NewTaskDue(tenantID string, p TaskDue, now time.Time) Event {
	return newEvent(TypeTaskDue, tenantID, p.LeadID, p, now)
}

// NewLeadCreated is the event of a new lead.
func NewLeadCreated(tenantID, leadID string, now time.Time) Event {
	return newEvent(TypeLeadCreated, tenantID, leadID, LeadCreated{LeadID: leadID}, now)
}

// NewChangeScheduled is the event of a lead's new pending scheduled change.
func NewChangeScheduled(tenantID, leadID string, c lead.ScheduledChange, now time.Time) Event {
	return newEvent(TypeChangeScheduled, tenantID, leadID, ChangeScheduled{LeadID: leadID, ChangeID: c.ID, At: c.At.UTC()}, now)
}

func newEvent(typ, tenantID, leadID string, payload any, now time.Time) Event {
	p, err := json.Marshal(payload)
	if err != nil {
		panic("outbox: payload does not marshal: " + err.Error()) // payloads are plain structs
	}
	return Event{ID: lead.NewID(PrefixEvent, now), Type: typ, TenantID: tenantID, LeadID: leadID, Payload: p, CreatedAt: now.UTC()}
}

// Decode unmarshals e's payload into p (a pointer to the type's payload).
func Decode[T any](e Event) (T, error) {
	var p T
	err := json.Unmarshal(e.Payload, &p)
	return p, err
}
