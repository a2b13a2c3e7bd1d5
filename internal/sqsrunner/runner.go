// Package sqsrunner feeds an SQS queue to a Lambda SQS handler outside
// Lambda, the way Lambda's event source mapping does: long-poll
// ReceiveMessage, hand the batch over as an events.SQSEvent, delete the
// messages that succeeded and leave the reported failures to become visible
// again after the visibility timeout (and, after maxReceiveCount receives,
// to move to the dead-letter queue). The local server runs the worker's
// Lambda handler through it, so both run the same code.
package sqsrunner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Handler is the signature of a Lambda SQS handler with partial batch
// responses.
type Handler func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error)

// Runner polls one queue.
type Runner struct {
	Client   *sqs.Client
	QueueURL string
	Handler  Handler
	// BatchSize is at most 10 (SQS's ReceiveMessage limit); default 10.
	BatchSize int32
	// WaitSeconds is the long-poll wait (default 1; at most 20).
	WaitSeconds int32
	Region      string
	Logger      *slog.Logger
}

// Run polls until ctx is done. Receive errors are logged and retried
// after a short pause, so an emulator restart does not stop the loop.
func (r *Runner) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		n, err := r.Poll(ctx)
		if err != nil && ctx.Err() == nil {
			r.log().Warn("sqs runner: poll failed", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
		_ = n
	}
	return nil
}

// Poll receives one batch (waiting up to WaitSeconds), runs the handler on
// it and deletes what succeeded. It returns the number of messages
// received.
func (r *Runner) Poll(ctx context.Context) (int, error) {
	batch, wait := r.BatchSize, r.WaitSeconds
	if batch <= 0 || batch > 10 {
		batch = 10
	}
	if wait <= 0 {
		wait = 1
	}
	out, err := r.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(r.QueueURL),
		MaxNumberOfMessages:         batch,
		WaitTimeSeconds:             wait,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil {
		return 0, fmt.Errorf("receive: %w", err)
	}
	if len(out.Messages) == 0 {
		return 0, nil
	}
	ev := r.event(out.Messages)
	resp, err := r.Handler(ctx, ev)
	if err != nil {
		// Lambda retries the whole batch when the handler fails.
		return len(out.Messages), fmt.Errorf("handler failed the batch: %w", err)
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	var del []types.DeleteMessageBatchRequestEntry
	for i, m := range out.Messages {
		if !failed[aws.ToString(m.MessageId)] {
			del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	if len(del) == 0 {
		return len(out.Messages), nil
	}
	dres, err := r.Client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(r.QueueURL), Entries: del})
	if err != nil {
		return len(out.Messages), fmt.Errorf("delete: %w", err)
	}
	if len(dres.Failed) > 0 {
		return len(out.Messages), errors.New("delete: " + aws.ToString(dres.Failed[0].Message))
	}
	return len(out.Messages), nil
}

// event builds the Lambda event for received messages.
func (r *Runner) event(msgs []types.Message) events.SQSEvent {
	region := r.Region
	if region == "" {
		region = "us-east-1"
	}
	arn := "arn:aws:sqs:" + region + ":000000000000:" + queueName(r.QueueURL)
	ev := events.SQSEvent{Records: make([]events.SQSMessage, 0, len(msgs))}
	for _, m := range msgs {
		rec := events.SQSMessage{
			MessageId:         aws.ToString(m.MessageId),
			ReceiptHandle:     aws.ToString(m.ReceiptHandle),
			Body:              aws.ToString(m.Body),
			Md5OfBody:         aws.ToString(m.MD5OfBody),
			Attributes:        map[string]string{},
			MessageAttributes: map[string]events.SQSMessageAttribute{},
			EventSourceARN:    arn,
			EventSource:       "aws:sqs",
			AWSRegion:         region,
		}
		for k, v := range m.Attributes {
			rec.Attributes[k] = v
		}
		for k, v := range m.MessageAttributes {
			rec.MessageAttributes[k] = events.SQSMessageAttribute{
				StringValue: v.StringValue, BinaryValue: v.BinaryValue, DataType: aws.ToString(v.DataType),
			}
		}
		ev.Records = append(ev.Records, rec)
	}
	return ev
}

func queueName(url string) string {
	if i := strings.LastIndexByte(url, '/'); i >= 0 {
		return url[i+1:]
	}
	return url
}

func (r *Runner) log() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}
