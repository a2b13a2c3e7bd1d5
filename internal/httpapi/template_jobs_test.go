package httpapi_test

// The worker and sweeper in the SAM template: the worker consumes JobsQueue
// with partial batch responses and a timeout the queue's visibility covers
// six times over; the sweeper runs every minute and may only Query the due
// index. Their sample events have the shapes Lambda delivers.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/internal/queue"
)

func TestTemplateWorkerConsumesJobsWithPartialBatches(t *testing.T) {
	c := loadTemplate(t)
	fn := c.resource(t, "WorkerFunction")
	var sqsEvents int
	for _, ev := range pairs(get(fn, "Properties", "Events")) {
		if str(ev[1], "Type") != "SQS" {
			continue
		}
		sqsEvents++
		p := get(ev[1], "Properties")
		if !isGetAtt(get(p, "Queue"), "JobsQueue", "Arn") {
			t.Errorf("worker event %s: Queue is not !GetAtt JobsQueue.Arn", ev[0].Value)
		}
		if !slices.Contains(scalars(get(p, "FunctionResponseTypes")), "ReportBatchItemFailures") {
			t.Errorf("worker event %s lacks FunctionResponseTypes: [ReportBatchItemFailures]", ev[0].Value)
		}
		if n, _ := strconv.Atoi(str(p, "BatchSize")); n < 1 || n > 10 {
			t.Errorf("worker event %s BatchSize %q", ev[0].Value, str(p, "BatchSize"))
		}
	}
	if sqsEvents != 1 {
		t.Fatalf("WorkerFunction has %d SQS events, want 1", sqsEvents)
	}
	timeout, _ := strconv.Atoi(str(fn, "Properties", "Timeout"))
	if timeout == 0 {
		timeout, _ = strconv.Atoi(str(c.root, "Globals", "Function", "Timeout"))
	}
	vt, _ := strconv.Atoi(str(c.resource(t, "JobsQueue"), "Properties", "VisibilityTimeout"))
	if timeout <= 0 || vt < 6*timeout {
		t.Errorf("JobsQueue VisibilityTimeout %d < 6 x WorkerFunction Timeout %d", vt, timeout)
	}
}

func TestTemplateSweeperRunsEveryMinuteOnTheDueIndex(t *testing.T) {
	c := loadTemplate(t)
	fn := c.resource(t, "SweeperFunction")
	found := false
	for _, ev := range pairs(get(fn, "Properties", "Events")) {
		typ := str(ev[1], "Type")
		if typ == "Schedule" || typ == "ScheduleV2" {
			found = true
			expr := str(ev[1], "Properties", "Schedule")
			if typ == "ScheduleV2" {
				expr = str(ev[1], "Properties", "ScheduleExpression")
			}
			if expr != "rate(1 minute)" {
				t.Errorf("sweeper schedule %q, want rate(1 minute)", expr)
			}
			if e := str(ev[1], "Properties", "Enabled"); e == "false" {
				t.Error("sweeper schedule is disabled")
			}
		}
	}
	if !found {
		t.Fatal("SweeperFunction has no Schedule event")
	}
	sends := false
	for _, pol := range items(get(fn, "Properties", "Policies")) {
		if isGetAtt(get(pol, "SQSSendMessagePolicy", "QueueName"), "JobsQueue", "QueueName") {
			sends = true
		}
		for _, st := range items(get(pol, "Statement")) {
			for _, a := range scalars(get(st, "Action")) {
				if a == "dynamodb:Query" && get(st, "Resource") != nil && get(st, "Resource").Value != "${LeadsTable.Arn}/index/GSI2" {
					t.Errorf("sweeper may Query %v; only the due index (GSI2) is needed", get(st, "Resource").Value)
				}
				if slices.Contains([]string{"dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:TransactWriteItems"}, a) &&
					!slices.Contains(scalars(get(st, "Condition", "ForAllValues:StringLike", "dynamodb:LeadingKeys")), "T#*#LEAD#*") {
					t.Errorf("sweeper granted %s outside leads' partitions; it reads the index, marks items sent and fires reminders (REMIND# → OUTBOX# in a lead's partition)", a)
				}
			}
		}
	}
	if !sends {
		t.Error("SweeperFunction cannot send to JobsQueue")
	}
	if !isRef(get(fn, "Properties", "Environment", "Variables", "LEADFLOW_JOBS_QUEUE_URL"), "JobsQueue") {
		t.Error("SweeperFunction: LEADFLOW_JOBS_QUEUE_URL is not !Ref JobsQueue")
	}
}

func TestWorkerAndSweeperSampleEvents(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(repoRoot, "events", "worker", "*.json"))
	if len(files) == 0 {
		t.Fatal("no events/worker/*.json")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		must(t, err)
		var ev events.SQSEvent
		if err := json.Unmarshal(b, &ev); err != nil || len(ev.Records) == 0 {
			t.Fatalf("%s: not an SQS event (%v)", f, err)
		}
		for _, r := range ev.Records {
			if r.EventSource != "aws:sqs" || r.MessageId == "" || r.ReceiptHandle == "" || r.EventSourceARN == "" {
				t.Errorf("%s: record misses Lambda's fields: %+v", f, r)
			}
			if _, err := queue.Decode(r.Body); err != nil {
				t.Errorf("%s: body is not a job: %v", f, err)
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(repoRoot, "events", "sweeper", "every-minute.json"))
	must(t, err)
	var sched events.EventBridgeEvent
	if err := json.Unmarshal(b, &sched); err != nil || sched.DetailType != "Scheduled Event" || sched.Source != "aws.events" {
		t.Errorf("sweeper event is not an EventBridge scheduled event: %+v %v", sched, err)
	}
}
