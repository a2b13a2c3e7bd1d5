package worker_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/internal/account"
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

// Jobs that can never succeed are dropped (not reported); jobs failing for
// a reason that may pass are reported by MessageId, and the batch error is
// always nil.
func TestHandleDropsHopelessJobsAndReportsTransientFailures(t *testing.T) {
	ctx := context.Background()
	client := testenv.DynamoDB(t)
	table := testenv.UniqueName("worker")
	if err := dynamo.CreateTable(ctx, client, table); err != nil {
		t.Fatal(err)
	}
	st := dynamo.New(client, table)
	if err := st.PutAccount(ctx, account.Account{ID: "t1", Name: "T1", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
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
