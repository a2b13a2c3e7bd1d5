package systemtest_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/leadflow/leadflow/internal/emulator"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/testenv"
)

// Killing and restarting the SQS emulator mid-run loses no scheduled
// change. fauxqs keeps nothing across a restart, so this is the worst
// case: every message in flight is gone, and changes scheduled during the
// outage could not be sent at all. The lead's pending change in DynamoDB is
// the truth; the sweeper re-sends what is still pending once its last send
// is ResendAfter old (15 min in production, 2 s here), the API answers 201
// during the outage (the change is stored; only its message waits), and the
// worker's runner keeps polling through the outage. Every change must be
// applied exactly once.
//
// The test runs its own fauxqs so the shared one is never killed.
func TestSQSRestartLosesNoScheduledChange(t *testing.T) {
	ctx := context.Background()
	sqsProc, err := emulator.StartSQS(ctx, emulator.SQSOptions{})
	must(t, err)
	t.Cleanup(func() { _ = sqsProc.Stop() })
	port := sqsProc.Port
	client := sqs.New(sqs.Options{
		Region:       testenv.Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(sqsProc.Endpoint),
		// The SDK's standard retries (3 attempts), with short backoffs: a
		// send to a dead endpoint fails in ~0.1 s instead of ~4 s.
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = 50 * time.Millisecond }),
	})
	s := newJobStackOn(t, client)
	t0 := time.Now()
	s.sweeper.ResendAfter = 2 * time.Second

	schedule := func(prefix string, n int, ahead time.Duration) map[string]string {
		changes := map[string]string{} // lead id -> change id
		for i := range n {
			id := s.apiLead(fmt.Sprintf("%s-%d@example.com", prefix, i), nil)
			at := time.Now().Add(ahead).UTC()
			r := s.expect(s.call("POST", "/v1/leads/"+id+"/scheduled-changes", s.agent,
				map[string]any{"state": "in_progress", "sub_state": "proposta_enviada", "at": at.Format(time.RFC3339Nano)}), http.StatusCreated)
			changes[id] = r.json(t)["id"].(string)
		}
		return changes
	}

	// Before the outage: sent at once with DelaySeconds, due in 5 s.
	before := schedule("antes", 10, 5*time.Second)
	t.Logf("%v scheduled before", time.Since(t0))
	must(t, sqsProc.Stop())
	t.Logf("%v stopped", time.Since(t0))

	// During the outage: stored and answered 201; the send fails (after the
	// SDK's retries, ~1 s) and is left to the sweeper, whose own run fails
	// without harm.
	during := schedule("durante", 5, 2*time.Second)
	t.Logf("%v scheduled during", time.Since(t0))
	if _, err := s.sweeper.Sweep(ctx); err == nil {
		t.Fatal("sweep with SQS down reported no error")
	}
	time.Sleep(2 * time.Second) // the runner keeps failing to poll meanwhile

	// Restart on the same port: queues are gone and recreated the way the
	// stack creates them (in AWS the queue outlives an outage; its
	// messages are what this test takes away). Same name, same URL.
	sqsProc, err = emulator.StartSQS(ctx, emulator.SQSOptions{Port: port})
	must(t, err)
	t.Cleanup(func() { _ = sqsProc.Stop() })
	t.Logf("%v restarted", time.Since(t0))
	url, err := queue.CreateQueue(ctx, client, s.qname, s.qname+"-dlq")
	must(t, err)
	if url != s.queue.URL() {
		t.Fatalf("queue URL after restart %s, want %s", url, s.queue.URL())
	}

	// EventBridge runs the sweeper every minute; here every second until
	// every change is applied.
	all := map[string]string{}
	for k, v := range before {
		all[k] = v
	}
	for k, v := range during {
		all[k] = v
	}
	applied := func() int {
		n := 0
		for id := range all {
			if s.detail(id)["state"] == "in_progress" {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(30 * time.Second)
	for applied() < len(all) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d changes applied 30 s after the restart", applied(), len(all))
		}
		if _, err := s.sweeper.Sweep(ctx); err != nil {
			t.Fatalf("sweep after restart: %v", err)
		}
		time.Sleep(time.Second)
	}
	t.Logf("%v all applied", time.Since(t0))
	time.Sleep(3 * time.Second) // let re-sent duplicates arrive

	for id, changeID := range all {
		d := s.detail(id)
		got := historyOf(d, "change_applied")
		if len(got) != 1 || d["scheduled_change"] != nil || d["sub_state"] != "proposta_enviada" {
			t.Errorf("lead %s (change %s): applied %d times, scheduled_change %v, sub_state %v",
				id, changeID, len(got), d["scheduled_change"], d["sub_state"])
		}
	}
	if n, err := s.sweeper.Sweep(ctx); err != nil || n != 0 {
		t.Errorf("sweep after everything applied sent %d (%v)", n, err)
	}
	// Nothing was dead-lettered: every delivery, duplicates included, succeeded.
	dlq, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(s.qname + "-dlq")})
	must(t, err)
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: dlq.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages},
	})
	must(t, err)
	if n := attrs.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)]; n != "0" {
		t.Errorf("%s messages in the dead-letter queue", n)
	}
}
