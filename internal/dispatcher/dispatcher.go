// Package dispatcher is the DispatcherFunction: it reads the table's
// DynamoDB stream, picks the outbox items (internal/outbox) among the
// inserts and hands each to the consumers registered for its event type —
// today the jobs that follow a new lead (assign) and a new scheduled change
// (send it when due soon). The same Handle runs in Lambda and, through
// internal/streamrunner, in the local server and the tests.
//
// Delivery is at least once: a record is redelivered when its consumer
// fails (ReportBatchItemFailures: the batch is retried from the first failed
// record), and when Lambda retries a batch. Every consumer is therefore
// idempotent: an assign job for an owned lead and a scheduled change no
// longer pending change nothing.
package dispatcher

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/outbox"
	"github.com/leadflow/leadflow/internal/schedule"
)

// Consumer handles one outbox event. An error makes the record (and the
// records after it in the shard) come again.
type Consumer func(ctx context.Context, e outbox.Event) error

// Dispatcher routes outbox events to their consumers.
type Dispatcher struct {
	// Consumers by event type; an event with none is skipped.
	Consumers map[string][]Consumer
	Logger    *slog.Logger
}

// New returns the dispatcher of Leadflow's jobs: a new lead's assign job,
// and a new scheduled change sent through the schedule use case when due
// soon. Further consumers (webhooks, timeline, notifications) are appended
// to Consumers by event type.
func New(q jobs.Sender, sent schedule.Sent, logger *slog.Logger, now func() time.Time) *Dispatcher {
	sched := &schedule.Dispatcher{Queue: q, Sent: sent, Now: now, Logger: logger}
	return &Dispatcher{Logger: logger, Consumers: map[string][]Consumer{
		outbox.TypeLeadCreated: {func(ctx context.Context, e outbox.Event) error {
			p, err := outbox.Decode[outbox.LeadCreated](e)
			if err != nil {
				return err
			}
			return q.Send(ctx, jobs.Assign(e.TenantID, p.LeadID), 0)
		}},
		outbox.TypeChangeScheduled: {func(ctx context.Context, e outbox.Event) error {
			p, err := outbox.Decode[outbox.ChangeScheduled](e)
			if err != nil {
				return err
			}
			_, err = sched.Offer(ctx, p.Due(e.TenantID))
			return err
		}},
	}}
}

// DueNow records a user's due-now notification of a fired reminder (the
// DynamoDB store); recorded is false when the record was completed, moved
// or deleted since the event was written.
type DueNow interface {
	RecordDueNow(ctx context.Context, tenant string, p outbox.TaskDue, at time.Time) (recorded bool, err error)
}

// TaskDue is the consumer of task.due: it records the assignee's due-now
// notification, which the console counts (GET /v1/tasks/due-now). A
// redelivered event puts the same notification again (its key is the
// record's id), so the user is told once.
func TaskDue(n DueNow, now func() time.Time) Consumer {
	return func(ctx context.Context, e outbox.Event) error {
		p, err := outbox.Decode[outbox.TaskDue](e)
		if err != nil {
			return err
		}
		_, err = n.RecordDueNow(ctx, e.TenantID, p, now())
		return err
	}
}

// WithTaskDue adds the task.due consumer (TaskDue) and returns d.
func (d *Dispatcher) WithTaskDue(n DueNow, now func() time.Time) *Dispatcher {
	d.Consumers[outbox.TypeTaskDue] = append(d.Consumers[outbox.TypeTaskDue], TaskDue(n, now))
	return d
}

// parallel is how many events of a batch are delivered at once.
const parallel = 10

// Handle dispatches a batch of stream records, up to parallel at a time,
// and reports the first record (in stream order) whose consumer failed, by
// sequence number, as the batch item failure: Lambda — or the local stream
// runner — retries the shard from it, so that record and every later one
// come again (the later ones possibly twice, which idempotent consumers
// absorb). The error is always nil: failing the whole batch would
// redeliver what already succeeded before the failure.
func (d *Dispatcher) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
	failed := make([]bool, len(ev.Records))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, rec := range ev.Records {
		e, ok, err := Decode(rec)
		if err != nil {
			// A malformed outbox item will not improve by retrying.
			d.log().ErrorContext(ctx, "dispatcher: dropping undecodable outbox record", "event_id", rec.EventID, "err", err)
			continue
		}
		if !ok {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := d.dispatch(ctx, e); err != nil {
				d.log().WarnContext(ctx, "dispatcher: outbox event failed; it will be retried",
					"outbox_id", e.ID, "type", e.Type, "tenant_id", e.TenantID, "lead_id", e.LeadID, "err", err)
				failed[i] = true
			}
		}()
	}
	wg.Wait()
	for i, f := range failed {
		if f {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: ev.Records[i].Change.SequenceNumber})
			break
		}
	}
	return resp, nil
}

func (d *Dispatcher) dispatch(ctx context.Context, e outbox.Event) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	for _, c := range d.Consumers[e.Type] {
		if err := c(ctx, e); err != nil {
			return err
		}
	}
	d.log().DebugContext(ctx, "dispatcher: outbox event delivered", "outbox_id", e.ID, "type", e.Type, "consumers", len(d.Consumers[e.Type]))
	return nil
}

// Decode reads the outbox event in a stream record. ok is false for any
// record that is not the insert of an outbox item (other items, updates,
// TTL deletions): the dispatcher skips those.
func Decode(rec events.DynamoDBEventRecord) (e outbox.Event, ok bool, err error) {
	if rec.EventName != string(events.DynamoDBOperationTypeInsert) {
		return e, false, nil
	}
	img := rec.Change.NewImage
	if !strings.HasPrefix(str(img, "SK"), outbox.SortKeyPrefix) {
		return e, false, nil
	}
	e = outbox.Event{ID: str(img, "id"), Type: str(img, "type"), TenantID: str(img, "tenant_id"), LeadID: str(img, "lead_id"),
		Payload: []byte(str(img, "payload"))}
	if e.ID == "" || e.Type == "" || e.TenantID == "" || len(e.Payload) == 0 {
		return e, true, fmt.Errorf("outbox item %s: id, type, tenant_id and payload are required", str(img, "SK"))
	}
	if at := str(img, "created_at"); at != "" {
		if e.CreatedAt, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return e, true, fmt.Errorf("outbox item %s: created_at: %w", e.ID, err)
		}
	}
	return e, true, nil
}

// str is a string attribute of a stream image ("" when missing or not a string).
func str(img map[string]events.DynamoDBAttributeValue, name string) string {
	if v, ok := img[name]; ok && v.DataType() == events.DataTypeString {
		return v.String()
	}
	return ""
}

func (d *Dispatcher) log() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.New(slog.DiscardHandler)
}
