package testenv

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/leadflow/leadflow/internal/emulator"
)

func TestMain(m *testing.M) { Main(m) }

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{3,80}$`)

func TestUniqueName(t *testing.T) {
	seen := map[string]bool{}
	for _, prefix := range []string{"leads", "", "TestX/sub case.1", strings.Repeat("p", 200)} {
		for range 100 {
			n := UniqueName(prefix)
			if !validName.MatchString(n) || len(n) > 64 {
				t.Fatalf("UniqueName(%q) = %q: not a valid table/queue name", prefix, n)
			}
			if seen[n] {
				t.Fatalf("UniqueName(%q) repeated %q", prefix, n)
			}
			seen[n] = true
		}
	}
	if n := UniqueName("leads"); !strings.HasPrefix(n, "leads-") {
		t.Fatalf("UniqueName(leads) = %q, want the prefix kept", n)
	}
}

func TestDynamoDB(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := DynamoDB(t)
	if ep := DynamoEndpoint(t); !strings.HasPrefix(ep, "http://") {
		t.Fatalf("DynamoEndpoint = %q", ep)
	}
	table := UniqueName("testenv")
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: dtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dtypes.AttributeDefinition{
			{AttributeName: aws.String("PK"), AttributeType: dtypes.ScalarAttributeTypeS},
		},
		KeySchema: []dtypes.KeySchemaElement{
			{AttributeName: aws.String("PK"), KeyType: dtypes.KeyTypeHash},
		},
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	t.Cleanup(func() { db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)}) })

	// Concurrent increments of one counter: conflicts, if any, are retried.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName:                 aws.String(table),
				Key:                       map[string]dtypes.AttributeValue{"PK": &dtypes.AttributeValueMemberS{Value: "c"}},
				UpdateExpression:          aws.String("ADD n :one"),
				ExpressionAttributeValues: map[string]dtypes.AttributeValue{":one": &dtypes.AttributeValueMemberN{Value: "1"}},
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("UpdateItem: %v", err)
		}
	}
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(table),
		Key:            map[string]dtypes.AttributeValue{"PK": &dtypes.AttributeValueMemberS{Value: "c"}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if n, _ := out.Item["n"].(*dtypes.AttributeValueMemberN); n == nil || n.Value != "20" {
		t.Fatalf("counter = %#v, want 20", out.Item["n"])
	}
}

func TestSQS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	q := SQS(t)
	if ep := SQSEndpoint(t); !strings.HasPrefix(ep, "http://") {
		t.Fatalf("SQSEndpoint = %q", ep)
	}
	created, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(UniqueName("testenv"))})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	url := created.QueueUrl
	t.Cleanup(func() { q.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: url}) })

	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:     url,
		MessageBody:  aws.String(`{"job":"assign"}`),
		DelaySeconds: 1,
	}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	start := time.Now()
	got, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:            url,
		WaitTimeSeconds:     5,
		MaxNumberOfMessages: 1,
	})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	if len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != `{"job":"assign"}` {
		t.Fatalf("ReceiveMessage = %+v", got.Messages)
	}
	if waited := time.Since(start); waited < 500*time.Millisecond {
		t.Errorf("message with DelaySeconds=1 arrived after %v", waited)
	}
	if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: got.Messages[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
}

func TestFatalWhenEmulatorCannotStart(t *testing.T) {
	l := &lazy{env: "LEADFLOW_TEST_NOPE_ENDPOINT", start: func(context.Context) (*emulator.Process, error) {
		return nil, errors.New("no java here")
	}}
	ft := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() { // Fatalf ends the goroutine via runtime.Goexit
		defer close(done)
		l.get(ft)
	}()
	<-done
	if !ft.failed || !strings.Contains(ft.msg, "no java here") {
		t.Fatalf("get did not fail the test with the reason: failed=%v msg=%q", ft.failed, ft.msg)
	}
}

type fatalRecorder struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fatalRecorder) Helper() {}
func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.failed = true
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
