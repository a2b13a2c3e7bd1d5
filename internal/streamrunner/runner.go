// Package streamrunner feeds a DynamoDB stream to a Lambda DynamoDB-stream
// handler outside Lambda, the way Lambda's event source mapping does:
// every shard is read in order from its start (TRIM_HORIZON), new shards
// are followed once their parent is finished, each batch is handed over as
// an events.DynamoDBEvent, and a reported batch item failure makes the
// shard resume at that record (ReportBatchItemFailures). A record that
// keeps failing is given up after MaxRetries, as Lambda's
// MaximumRetryAttempts sends it to the on-failure destination. The local
// server and the system tests run the dispatcher's Lambda handler through
// it against DynamoDB Local's stream.
package streamrunner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// Handler is the signature of a Lambda DynamoDB-stream handler with
// partial batch responses.
type Handler func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// Runner reads one stream.
type Runner struct {
	Client    *dynamodbstreams.Client
	StreamARN string
	Handler   Handler
	// BatchSize is the GetRecords limit (default 100, at most 1000).
	BatchSize int32
	// Idle is the pause after a round that read nothing (default 100 ms).
	Idle time.Duration
	// MaxRetries of a failing record before it is skipped (default 10).
	MaxRetries int
	Region     string
	Logger     *slog.Logger
}

// shard is the reading position in one shard.
type shard struct {
	id, parent string
	iter       string // "" → get a new one from the checkpoint
	done       string // sequence number of the last record handled
	retryAt    string // sequence number to resume at after a failure
	retries    int
	notBefore  time.Time
}

// Run reads the stream until ctx is done. Errors are logged and retried
// after a pause, so an emulator hiccup does not stop the loop.
func (r *Runner) Run(ctx context.Context) error {
	open := map[string]*shard{}
	finished := map[string]bool{}
	var described time.Time
	for ctx.Err() == nil {
		if time.Since(described) > time.Second {
			if err := r.discover(ctx, open, finished); err != nil && ctx.Err() == nil {
				r.log().Warn("stream runner: describe stream failed", "err", err)
			}
			described = time.Now()
		}
		read := 0
		for id, sh := range open {
			if sh.parent != "" && open[sh.parent] != nil {
				continue // the parent's records come first
			}
			n, closed, err := r.step(ctx, sh)
			if err != nil && ctx.Err() == nil {
				r.log().Warn("stream runner: read failed", "shard", id, "err", err)
				sh.iter, sh.notBefore = "", time.Now().Add(time.Second)
			}
			if closed {
				delete(open, id)
				finished[id] = true
			}
			read += n
		}
		if read == 0 {
			select {
			case <-ctx.Done():
			case <-time.After(r.idle()):
			}
		}
	}
	return nil
}

// discover adds the stream's shards not seen yet.
func (r *Runner) discover(ctx context.Context, open map[string]*shard, finished map[string]bool) error {
	in := &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(r.StreamARN)}
	for {
		out, err := r.Client.DescribeStream(ctx, in)
		if err != nil {
			return err
		}
		for _, s := range out.StreamDescription.Shards {
			id := aws.ToString(s.ShardId)
			if open[id] == nil && !finished[id] {
				open[id] = &shard{id: id, parent: aws.ToString(s.ParentShardId)}
			}
		}
		if out.StreamDescription.LastEvaluatedShardId == nil {
			return nil
		}
		in.ExclusiveStartShardId = out.StreamDescription.LastEvaluatedShardId
	}
}

// step reads and handles one batch of a shard. It returns how many records
// it read and whether the shard is closed and fully handled.
func (r *Runner) step(ctx context.Context, sh *shard) (int, bool, error) {
	if time.Now().Before(sh.notBefore) {
		return 0, false, nil
	}
	if sh.iter == "" {
		in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(r.StreamARN), ShardId: aws.String(sh.id),
			ShardIteratorType: types.ShardIteratorTypeTrimHorizon}
		switch {
		case sh.retryAt != "":
			in.ShardIteratorType, in.SequenceNumber = types.ShardIteratorTypeAtSequenceNumber, aws.String(sh.retryAt)
		case sh.done != "":
			in.ShardIteratorType, in.SequenceNumber = types.ShardIteratorTypeAfterSequenceNumber, aws.String(sh.done)
		}
		out, err := r.Client.GetShardIterator(ctx, in)
		var gone *types.ResourceNotFoundException
		if errors.As(err, &gone) {
			return 0, true, nil // trimmed away
		}
		if err != nil {
			return 0, false, fmt.Errorf("get shard iterator: %w", err)
		}
		sh.iter = aws.ToString(out.ShardIterator)
	}
	batch := r.BatchSize
	if batch <= 0 || batch > 1000 {
		batch = 100
	}
	out, err := r.Client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(sh.iter), Limit: aws.Int32(batch)})
	if err != nil {
		return 0, false, fmt.Errorf("get records: %w", err)
	}
	next := aws.ToString(out.NextShardIterator)
	if len(out.Records) == 0 {
		sh.iter = next
		return 0, next == "", nil
	}
	resp, err := r.Handler(ctx, r.event(out.Records))
	failedAt := ""
	switch {
	case err != nil:
		// Lambda retries the whole batch when the handler fails.
		failedAt = aws.ToString(out.Records[0].Dynamodb.SequenceNumber)
		r.log().Warn("stream runner: handler failed the batch", "shard", sh.id, "err", err)
	case len(resp.BatchItemFailures) > 0:
		failedAt = lowest(resp.BatchItemFailures)
	}
	if failedAt == "" {
		sh.done, sh.retryAt, sh.retries, sh.iter = aws.ToString(out.Records[len(out.Records)-1].Dynamodb.SequenceNumber), "", 0, next
		return len(out.Records), next == "", nil
	}
	if failedAt != sh.retryAt {
		sh.retries = 0
	}
	sh.retries++
	sh.iter = ""
	if sh.retries > r.maxRetries() {
		r.log().Error("stream runner: giving up a record after retries", "shard", sh.id, "sequence_number", failedAt, "retries", sh.retries-1)
		sh.done, sh.retryAt, sh.retries = failedAt, "", 0
		return len(out.Records), false, nil
	}
	sh.retryAt = failedAt
	sh.notBefore = time.Now().Add(min(50*time.Millisecond<<sh.retries, 2*time.Second))
	return len(out.Records), false, nil
}

// lowest is the smallest failed sequence number (they are numeric strings
// of varying length).
func lowest(fs []events.DynamoDBBatchItemFailure) string {
	low := ""
	for _, f := range fs {
		id := f.ItemIdentifier
		if low == "" || len(id) < len(low) || (len(id) == len(low) && id < low) {
			low = id
		}
	}
	return low
}

// event builds the Lambda event for records read from the stream.
func (r *Runner) event(recs []types.Record) events.DynamoDBEvent {
	region := r.Region
	if region == "" {
		region = "us-east-1"
	}
	ev := events.DynamoDBEvent{Records: make([]events.DynamoDBEventRecord, 0, len(recs))}
	for _, rec := range recs {
		er := events.DynamoDBEventRecord{
			AWSRegion:      region,
			EventID:        aws.ToString(rec.EventID),
			EventName:      string(rec.EventName),
			EventSource:    "aws:dynamodb",
			EventVersion:   aws.ToString(rec.EventVersion),
			EventSourceArn: r.StreamARN,
		}
		if d := rec.Dynamodb; d != nil {
			er.Change = events.DynamoDBStreamRecord{
				Keys:           image(d.Keys),
				NewImage:       image(d.NewImage),
				OldImage:       image(d.OldImage),
				SequenceNumber: aws.ToString(d.SequenceNumber),
				SizeBytes:      aws.ToInt64(d.SizeBytes),
				StreamViewType: string(d.StreamViewType),
			}
			if d.ApproximateCreationDateTime != nil {
				er.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *d.ApproximateCreationDateTime}
			}
		}
		if u := rec.UserIdentity; u != nil {
			er.UserIdentity = &events.DynamoDBUserIdentity{Type: aws.ToString(u.Type), PrincipalID: aws.ToString(u.PrincipalId)}
		}
		ev.Records = append(ev.Records, er)
	}
	return ev
}

func image(m map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	if m == nil {
		return nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(m))
	for k, v := range m {
		out[k] = attr(v)
	}
	return out
}

// attr converts a stream attribute value to the Lambda event's.
func attr(v types.AttributeValue) events.DynamoDBAttributeValue {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *types.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value)
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value)
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value)
	case *types.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value)
	case *types.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value)
	case *types.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			l[i] = attr(e)
		}
		return events.NewListAttribute(l)
	case *types.AttributeValueMemberM:
		return events.NewMapAttribute(image(v.Value))
	default:
		return events.NewNullAttribute()
	}
}

func (r *Runner) idle() time.Duration {
	if r.Idle > 0 {
		return r.Idle
	}
	return 100 * time.Millisecond
}

func (r *Runner) maxRetries() int {
	if r.MaxRetries > 0 {
		return r.MaxRetries
	}
	return 10
}

func (r *Runner) log() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.New(slog.DiscardHandler)
}
