package queue_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func receive(t *testing.T, c *sqs.Client, url string, wait int32) []types.Message {
	t.Helper()
	out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: wait,
		MessageAttributeNames: []string{"All"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Messages
}

func TestSendReceive(t *testing.T) {
	c := testenv.SQS(t)
	ctx := context.Background()
	name := testenv.UniqueName("jobs")
	url, err := queue.CreateQueue(ctx, c, name, name+"-dlq")
	if err != nil {
		t.Fatal(err)
	}
	q := queue.New(c, url)
	if err := q.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	job := queue.Job{ID: "job-1", Type: "assign", TenantID: "acme", Payload: json.RawMessage(`{"lead_id":"ld_1"}`)}
	if err := q.Send(ctx, job, 0); err != nil {
		t.Fatal(err)
	}
	msgs := receive(t, c, url, 2)
	if len(msgs) != 1 {
		t.Fatalf("received %d messages", len(msgs))
	}
	got, err := queue.Decode(aws.ToString(msgs[0].Body))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != job.ID || got.Type != job.Type || got.TenantID != job.TenantID || string(got.Payload) != string(job.Payload) {
		t.Fatalf("job = %+v", got)
	}
	if a := msgs[0].MessageAttributes["type"]; aws.ToString(a.StringValue) != "assign" {
		t.Fatalf("type attribute = %+v", a)
	}
	if err := q.Send(ctx, queue.Job{Type: "x"}, 0); err == nil {
		t.Fatal("job without id accepted")
	}
	if err := q.Send(ctx, job, 16*time.Minute); err == nil {
		t.Fatal("delay over 15 minutes accepted")
	}
	if _, err := queue.Decode("{}"); err == nil {
		t.Fatal("job without type decoded")
	}
}

func TestDelay(t *testing.T) {
	c := testenv.SQS(t)
	ctx := context.Background()
	name := testenv.UniqueName("delay")
	url, err := queue.CreateQueue(ctx, c, name, name+"-dlq")
	if err != nil {
		t.Fatal(err)
	}
	q := queue.New(c, url)
	start := time.Now()
	if err := q.Send(ctx, queue.Job{ID: "d1", Type: "sched", TenantID: "acme"}, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if msgs := receive(t, c, url, 0); len(msgs) != 0 {
		t.Fatal("delayed message delivered at once")
	}
	var msgs []types.Message
	for len(msgs) == 0 && time.Since(start) < 10*time.Second {
		msgs = receive(t, c, url, 1)
	}
	if len(msgs) != 1 {
		t.Fatal("delayed message never delivered")
	}
	if time.Since(start) < 2*time.Second {
		t.Fatalf("delivered after %v", time.Since(start))
	}
}

func TestRedrivePolicy(t *testing.T) {
	c := testenv.SQS(t)
	ctx := context.Background()
	name := testenv.UniqueName("redrive")
	url, err := queue.CreateQueue(ctx, c, name, name+"-dlq")
	if err != nil {
		t.Fatal(err)
	}
	// Idempotent.
	if url2, err := queue.CreateQueue(ctx, c, name, name+"-dlq"); err != nil || url2 != url {
		t.Fatalf("second create = %q, %v", url2, err)
	}
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll},
	})
	if err != nil {
		t.Fatal(err)
	}
	var policy struct {
		Target string `json:"deadLetterTargetArn"`
		Max    any    `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(out.Attributes["RedrivePolicy"]), &policy); err != nil {
		t.Fatalf("redrive policy %q: %v", out.Attributes["RedrivePolicy"], err)
	}
	if !strings.HasSuffix(policy.Target, ":"+name+"-dlq") || fmt.Sprint(policy.Max) != "5" {
		t.Fatalf("redrive policy = %+v", policy)
	}
}

func TestRedriveToDLQ(t *testing.T) {
	c := testenv.SQS(t)
	ctx := context.Background()
	name := testenv.UniqueName("poison")
	url, err := queue.CreateQueue(ctx, c, name, name+"-dlq")
	if err != nil {
		t.Fatal(err)
	}
	if err := queue.New(c, url).Send(ctx, queue.Job{ID: "p1", Type: "poison", TenantID: "acme"}, 0); err != nil {
		t.Fatal(err)
	}
	// A worker that never deletes the message: after MaxReceiveCount
	// receives it lands in the dead-letter queue.
	for i := 0; i < 20; i++ {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		// Fail fast: make it visible again at once.
		if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
			QueueUrl: aws.String(url), ReceiptHandle: out.Messages[0].ReceiptHandle, VisibilityTimeout: 0,
		}); err != nil {
			t.Fatal(err)
		}
	}
	dlq, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name + "-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	msgs := receive(t, c, aws.ToString(dlq.QueueUrl), 2)
	if len(msgs) != 1 {
		t.Fatalf("dead-letter queue has %d messages", len(msgs))
	}
	if j, err := queue.Decode(aws.ToString(msgs[0].Body)); err != nil || j.ID != "p1" {
		t.Fatalf("dead job = %+v, %v", j, err)
	}
}
