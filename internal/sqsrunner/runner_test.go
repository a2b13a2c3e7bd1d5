package sqsrunner_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/sqsrunner"
	"github.com/leadflow/leadflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// A handler failing some messages of a batch gets only those again (after
// the visibility timeout); one that always fails ends in the dead-letter
// queue after MaxReceiveCount receives; the rest are delivered once.
func TestFailuresMidBatchRetryOnlyFailedMessages(t *testing.T) {
	ctx := context.Background()
	client := testenv.SQS(t)
	name := testenv.UniqueName("runner")
	url, err := queue.CreateQueue(ctx, client, name, name+"-dlq")
	if err != nil {
		t.Fatal(err)
	}
	// A short visibility timeout so retries come quickly.
	if _, err := client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{
		QueueUrl: aws.String(url), Attributes: map[string]string{"VisibilityTimeout": "1"},
	}); err != nil {
		t.Fatal(err)
	}
	bodies := []string{"ok-1", "ok-2", "fail-once", "ok-3", "fail-always", "ok-4"}
	for _, b := range bodies {
		if _, err := client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}

	var mu sync.Mutex
	seen := map[string]int{}
	receiveCounts := map[string][]string{}
	mixedBatch := false
	handler := func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		mu.Lock()
		defer mu.Unlock()
		var resp events.SQSEventResponse
		for _, r := range ev.Records {
			if r.EventSource != "aws:sqs" || r.MessageId == "" || r.ReceiptHandle == "" || !strings.HasSuffix(r.EventSourceARN, ":"+name) {
				t.Errorf("record not shaped like Lambda's: %+v", r)
			}
			seen[r.Body]++
			receiveCounts[r.Body] = append(receiveCounts[r.Body], r.Attributes["ApproximateReceiveCount"])
			if r.Body == "fail-always" || (r.Body == "fail-once" && seen[r.Body] == 1) {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			}
		}
		if len(resp.BatchItemFailures) > 0 && len(resp.BatchItemFailures) < len(ev.Records) {
			mixedBatch = true
		}
		return resp, nil
	}
	r := &sqsrunner.Runner{Client: client, QueueURL: url, Handler: handler, WaitSeconds: 1}

	dlqURL, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name + "-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	var dead []types.Message
	for len(dead) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("fail-always never reached the DLQ; deliveries %v", seen)
		}
		if _, err := r.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: dlqURL.QueueUrl, WaitTimeSeconds: 0})
		if err != nil {
			t.Fatal(err)
		}
		dead = out.Messages
	}
	// Drain anything still due, then check.
	for range 3 {
		if _, err := r.Poll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dead) != 1 || aws.ToString(dead[0].Body) != "fail-always" {
		t.Errorf("DLQ holds %v", dead)
	}
	for _, b := range []string{"ok-1", "ok-2", "ok-3", "ok-4"} {
		if seen[b] != 1 {
			t.Errorf("%s delivered %d times, want once", b, seen[b])
		}
	}
	if seen["fail-once"] != 2 {
		t.Errorf("fail-once delivered %d times, want 2 (%v)", seen["fail-once"], receiveCounts["fail-once"])
	}
	if seen["fail-always"] != queue.MaxReceiveCount {
		t.Errorf("fail-always delivered %d times, want %d", seen["fail-always"], queue.MaxReceiveCount)
	}
	if got := receiveCounts["fail-once"]; len(got) == 2 && got[1] != "2" {
		t.Errorf("retry's ApproximateReceiveCount = %v", got)
	}
	if !mixedBatch {
		t.Error("no batch mixed failures and successes; the test did not exercise a partial batch")
	}
}
