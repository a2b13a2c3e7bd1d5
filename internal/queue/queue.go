// Package queue is a small SQS adapter: jobs are JSON messages with a type,
// a tenant and an idempotency id; workers decode them with Decode.
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// MaxDelay is the longest delivery delay SQS supports.
const MaxDelay = 15 * time.Minute

// MaxReceiveCount is how often a job is received (and fails) before SQS
// moves it to the dead-letter queue.
const MaxReceiveCount = 5

// Job is one unit of background work.
type Job struct {
	// ID identifies the job for idempotency: a worker that sees the same ID
	// twice (SQS delivers at least once) must not apply it twice.
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	TenantID string          `json:"tenant_id"`
	Payload  json.RawMessage `json:"payload,omitempty"`
}

// Queue sends jobs to one SQS queue.
type Queue struct {
	client *sqs.Client
	url    string
}

// New returns a queue for the SQS queue at url.
func New(client *sqs.Client, url string) *Queue { return &Queue{client: client, url: url} }

// URL returns the queue's URL.
func (q *Queue) URL() string { return q.url }

// Send enqueues job, delivered after delay (0 to MaxDelay).
func (q *Queue) Send(ctx context.Context, job Job, delay time.Duration) error {
	if job.Type == "" || job.ID == "" {
		return errors.New("queue send: job needs a type and an id")
	}
	if delay < 0 || delay > MaxDelay {
		return fmt.Errorf("queue send %s: delay %v outside 0..%v", job.Type, delay, MaxDelay)
	}
	body, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("queue send %s: %w", job.Type, err)
	}
	_, err = q.client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:     aws.String(q.url),
		MessageBody:  aws.String(string(body)),
		DelaySeconds: int32((delay + time.Second - 1) / time.Second),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"type": {DataType: aws.String("String"), StringValue: aws.String(job.Type)},
		},
	})
	if err != nil {
		return fmt.Errorf("queue send %s: %w", job.Type, err)
	}
	return nil
}

// Decode reads a job from a message body.
func Decode(body string) (Job, error) {
	var j Job
	if err := json.Unmarshal([]byte(body), &j); err != nil {
		return j, fmt.Errorf("decode job: %w", err)
	}
	if j.Type == "" {
		return j, errors.New("decode job: missing type")
	}
	return j, nil
}

// Ping reports whether the queue is reachable.
func (q *Queue) Ping(ctx context.Context) error {
	_, err := q.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(q.url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return fmt.Errorf("ping queue: %w", err)
	}
	return nil
}

// CreateQueue creates (or finds) the queue name with a dead-letter queue
// dlqName and a redrive policy moving a message there after
// MaxReceiveCount receives. It returns the queue's URL.
func CreateQueue(ctx context.Context, client *sqs.Client, name, dlqName string) (string, error) {
	dlq, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  aws.String(dlqName),
		Attributes: map[string]string{"MessageRetentionPeriod": "1209600"}, // 14 days
	})
	if err != nil {
		return "", fmt.Errorf("create queue %s: %w", dlqName, err)
	}
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       dlq.QueueUrl,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", fmt.Errorf("create queue %s: read arn: %w", dlqName, err)
	}
	arn := attrs.Attributes[string(types.QueueAttributeNameQueueArn)]
	if arn == "" {
		return "", fmt.Errorf("create queue %s: no arn", dlqName)
	}
	redrive, _ := json.Marshal(map[string]string{
		"deadLetterTargetArn": arn,
		"maxReceiveCount":     strconv.Itoa(MaxReceiveCount),
	})
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(name),
		Attributes: map[string]string{
			"RedrivePolicy":     string(redrive),
			"VisibilityTimeout": "60",
		},
	})
	if err != nil {
		return "", fmt.Errorf("create queue %s: %w", name, err)
	}
	return aws.ToString(q.QueueUrl), nil
}
