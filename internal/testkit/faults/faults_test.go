package faults_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/testenv"
	"github.com/leadflow/leadflow/internal/testkit/faults"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// threeQuickAttempts is the SDK's default of three attempts with short
// back-off (the default waits up to 20 s, which only slows tests), and no
// client-side retry quota, which 30 % failures would drain and so hide the
// retry path under test.
func threeQuickAttempts(o *retry.StandardOptions) {
	o.MaxAttempts = 3
	o.MaxBackoff = 20 * time.Millisecond
	o.RateLimiter = ratelimit.None
}

// faulty returns a DynamoDB client with the SDK's default three attempts and
// the injector inside its retry loop.
func faulty(t *testing.T, in *faults.Injector) (*dynamodb.Client, *dynamodb.Client, string) {
	t.Helper()
	clean := testenv.DynamoDB(t)
	table := testenv.UniqueName("faults")
	if err := dynamo.CreateTable(context.Background(), clean, table); err != nil {
		t.Fatal(err)
	}
	c := dynamodb.New(clean.Options(), func(o *dynamodb.Options) {
		o.Retryer = retry.NewStandard(threeQuickAttempts)
		o.APIOptions = append(o.APIOptions, in.AddTo)
	})
	return c, clean, table
}

func put(ctx context.Context, c *dynamodb.Client, table, pk string) error {
	_, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: "X"},
	}})
	return err
}

func exists(t *testing.T, c *dynamodb.Client, table, pk string) bool {
	t.Helper()
	out, err := c.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true), Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: "X"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item != nil
}

// Every attempt failing before it is sent: the retryer tries three times
// (so it saw the errors as retryable), the caller gets the AWS error code,
// and nothing is written.
func TestFailuresBeforeSendingAreRetriedAndWriteNothing(t *testing.T) {
	ctx := context.Background()
	in := faults.New(faults.Config{Rate: 1, Faults: faults.Throttles[:1]})
	c, clean, table := faulty(t, in)
	err := put(ctx, c, table, "a")
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ThrottlingException" {
		t.Fatalf("err = %v, want ThrottlingException", err)
	}
	if calls, before, after := in.Counts(); calls != 3 || before != 3 || after != 0 {
		t.Errorf("counts = %d calls, %d before, %d after; want 3 attempts all failed before sending", calls, before, after)
	}
	if exists(t, clean, table, "a") {
		t.Error("a call failed before sending wrote its item")
	}
}

// Failures after the service processed the request: the write happened,
// but the caller only sees the 5xx.
func TestFailuresAfterProcessingLoseTheResponseNotTheWrite(t *testing.T) {
	ctx := context.Background()
	in := faults.New(faults.Config{Rate: 1, AfterShare: 1, Faults: faults.ServerErrors[:1]})
	c, clean, table := faulty(t, in)
	err := put(ctx, c, table, "b")
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "InternalServerError" {
		t.Fatalf("err = %v, want InternalServerError", err)
	}
	if _, before, after := in.Counts(); before != 0 || after != 3 {
		t.Errorf("before %d, after %d; want 0 and 3", before, after)
	}
	if !exists(t, clean, table, "b") {
		t.Error("the write behind a lost response is missing")
	}
	in.SetRate(0)
	if err := put(ctx, c, table, "c"); err != nil {
		t.Errorf("rate 0 still fails: %v", err)
	}
}

// At 30 % the retryer absorbs most failures; the injector also works on SQS.
func TestPartialFailuresOnDynamoDBAndSQS(t *testing.T) {
	ctx := context.Background()
	in := faults.New(faults.Config{Rate: 0.3, AfterShare: 0.5})
	c, clean, table := faulty(t, in)
	ok := 0
	for i := range 100 {
		pk := "p" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		if err := put(ctx, c, table, pk); err == nil {
			ok++
			if !exists(t, clean, table, pk) {
				t.Errorf("put %s succeeded but the item is missing", pk)
			}
		}
	}
	if ok < 80 {
		t.Errorf("only %d of 100 puts succeeded at 30 %% failures with 3 attempts", ok)
	}

	q := sqs.New(testenv.SQS(t).Options(), func(o *sqs.Options) {
		o.Retryer = retry.NewStandard(threeQuickAttempts)
		o.APIOptions = append(o.APIOptions, in.AddTo)
	})
	before, _, _ := in.Counts()
	name := testenv.UniqueName("faults")
	created, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	for i := 0; err != nil && i < 5; i++ { // idempotent: retrying with the same name is safe
		created, err = q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	}
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	for range 20 {
		_, _ = q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: created.QueueUrl, MessageBody: aws.String("x")})
	}
	if after, _, _ := in.Counts(); after-before < 20 {
		t.Errorf("SQS calls did not pass through the injector (%d seen)", after-before)
	}
}
