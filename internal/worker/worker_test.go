package worker_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/bulk"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/testenv"
	"github.com/leadflow/leadflow/internal/worker"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func record(id string, body any) events.SQSMessage {
	b, _ := json.Marshal(body)
	if s, ok := body.(string); ok {
		b = []byte(s)
	}
	return events.SQSMessage{MessageId: id, Body: string(b), EventSource: "aws:sqs"}
}

// newStore makes a fresh table with account t1.
func newStore(t *testing.T) (*dynamodb.Client, *dynamo.Store) {
	t.Helper()
	client := testenv.DynamoDB(t)
	table := testenv.UniqueName("worker")
	if err := dynamo.CreateTable(context.Background(), client, table); err != nil {
		t.Fatal(err)
	}
	st := dynamo.New(client, table)
	if err := st.PutAccount(context.Background(), account.Account{ID: "t1", Name: "T1", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return client, st
}

// Jobs that can never succeed are dropped (not reported); jobs failing for
// a reason that may pass are reported by MessageId, and the batch error is
// always nil.
func TestHandleDropsHopelessJobsAndReportsTransientFailures(t *testing.T) {
	ctx := context.Background()
	client, st := newStore(t)
	w := &worker.Worker{Leads: st, Accounts: st, Assignment: st}
	ev := events.SQSEvent{Records: []events.SQSMessage{
		record("garbage", "not json"),
		record("unknown", queue.Job{ID: "x", Type: "paint_it_blue", TenantID: "t1"}),
		record("bad-payload", queue.Job{ID: "y", Type: jobs.TypeAssign, TenantID: "t1", Payload: json.RawMessage(`{"lead":1}`)}),
		record("deleted-lead", jobs.Assign("t1", "ld_gone")),
		record("deleted-lead-change", jobs.ScheduledChange("t1", "ld_gone", "sc_1", time.Now())),
	}}
	resp, err := w.Handle(ctx, ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("hopeless jobs reported for retry: %+v, %v", resp.BatchItemFailures, err)
	}

	// The same jobs against a missing table fail transiently: retried.
	broken := dynamo.New(client, testenv.UniqueName("missing"))
	w = &worker.Worker{Leads: broken, Accounts: broken, Assignment: broken}
	resp, err = w.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{
		record("m1", jobs.Assign("t1", "ld_1")),
		record("m2", jobs.ScheduledChange("t1", "ld_1", "sc_1", time.Now())),
		record("m3", queue.Job{ID: "z", Type: "paint_it_blue", TenantID: "t1"}),
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		got[f.ItemIdentifier] = true
	}
	if !got["m1"] || !got["m2"] || got["m3"] || len(got) != 2 {
		t.Errorf("failures %v, want m1 and m2", got)
	}
}

// Issue 10, finding 3: a bulk job whose filter cannot run (here one that
// bypassed the API's validation, with a q longer than an index key allows)
// ends "failed" with its reason, and its message is acknowledged rather
// than retried into the dead-letter queue.
func TestBulkJobWithInvalidFilterEndsFailedNotInTheDLQ(t *testing.T) {
	ctx := context.Background()
	client, st := newStore(t)
	now := time.Now().UTC().Format(time.RFC3339)
	if err := st.CreateJob(ctx, "t1", jobs.Record{ID: "job_bad_filter", Type: jobs.TypeBulk, Status: jobs.StatusQueued,
		Errors: []jobs.ItemError{}, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	payload := `{"request": {"action": "add_tag", "tag": "x", "filter": {"filter": {"q": "` + strings.Repeat("q", 1021) + `"}}},
		"actor": {"type": "user", "id": "usr_admin"}, "chunk": 0}`
	runner := &bulk.Runner{Leads: st, Jobs: st, Starter: &jobs.Inline{}}
	w := &worker.Worker{Leads: st, Accounts: st, Assignment: st, Records: st,
		Extra: map[string]jobs.Handler{jobs.TypeBulk: runner.Handle}}
	resp, err := w.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{
		record("m1", queue.Job{ID: "job_bad_filter", Type: jobs.TypeBulk, TenantID: "t1", Payload: json.RawMessage(payload)}),
	}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("the message is to be retried (%+v, %v); a permanent failure must be acknowledged", resp.BatchItemFailures, err)
	}
	rec, err := st.Job(ctx, "t1", "job_bad_filter")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != jobs.StatusFailed || len(rec.Errors) != 1 || !strings.Contains(rec.Errors[0].Reason, "q") {
		t.Fatalf("job record %+v; want failed with the filter's reason", rec)
	}

	// A retryable failure (the table is gone) leaves the record alone and
	// reports the message for retry.
	broken := dynamo.New(client, testenv.UniqueName("missing"))
	runner = &bulk.Runner{Leads: broken, Jobs: broken, Starter: &jobs.Inline{}}
	w = &worker.Worker{Leads: broken, Accounts: broken, Assignment: broken, Records: broken,
		Extra: map[string]jobs.Handler{jobs.TypeBulk: runner.Handle}}
	resp, _ = w.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{
		record("m2", queue.Job{ID: "job_x", Type: jobs.TypeBulk, TenantID: "t1", Payload: json.RawMessage(payload)}),
	}})
	if len(resp.BatchItemFailures) != 1 {
		t.Fatalf("a transient failure was not reported for retry: %+v", resp.BatchItemFailures)
	}
}
