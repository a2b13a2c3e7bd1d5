package streamrunner_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/streamrunner"
	"github.com/leadflow/leadflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The runner hands DynamoDB Local's stream records to the handler in
// order, with their new images; a reported batch item failure makes it
// resume at that record, and a handler error retries the whole batch, so
// every record is eventually handled and none is skipped.
func TestRunnerDeliversInOrderAndResumesAtTheFailedRecord(t *testing.T) {
	ctx := context.Background()
	db := testenv.DynamoDB(t)
	table := testenv.UniqueName("stream")
	if err := dynamo.CreateTable(ctx, db, table); err != nil {
		t.Fatal(err)
	}
	arn, err := dynamo.New(db, table).StreamARN(ctx)
	if err != nil || arn == "" {
		t.Fatalf("stream arn %q: %v", arn, err)
	}
	put := func(sk string) {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "T#t#LEAD#ld_1"}, "SK": &types.AttributeValueMemberS{Value: sk},
			"n": &types.AttributeValueMemberN{Value: "7"},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		put(fmt.Sprintf("R#%d", i))
	}

	var (
		mu        sync.Mutex
		seen      []string // every record handed over, in order
		handled   []string // records that succeeded
		failedR1  bool
		failedAll bool
	)
	handler := func(_ context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		mu.Lock()
		defer mu.Unlock()
		if !failedAll {
			failedAll = true
			return events.DynamoDBEventResponse{}, errors.New("function crashed")
		}
		var resp events.DynamoDBEventResponse
		for _, r := range ev.Records {
			sk := r.Change.NewImage["SK"].String()
			seen = append(seen, sk)
			if r.EventName != "INSERT" || r.Change.NewImage["n"].Number() != "7" || r.Change.Keys["PK"].String() != "T#t#LEAD#ld_1" {
				t.Errorf("record %+v", r)
			}
			if sk == "R#1" && !failedR1 {
				failedR1 = true
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
				break
			}
			handled = append(handled, sk)
		}
		return resp, nil
	}
	streams := testenv.DynamoDBStreams(t)
	r := &streamrunner.Runner{Client: streams, StreamARN: arn, Handler: handler, Idle: 20 * time.Millisecond}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(runCtx) }()
	defer func() { cancel(); <-done }()

	want := []string{"R#0", "R#1", "R#2"}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		got := slices.Clone(handled)
		mu.Unlock()
		if slices.Equal(got, want) {
			break
		}
		if time.Now().After(deadline) || len(got) > len(want) {
			t.Fatalf("handled %v, want %v", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	put("R#3") // a later write still arrives, after the others
	time.Sleep(time.Second)
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(handled, append(want, "R#3")) || !slices.Equal(seen, []string{"R#0", "R#1", "R#1", "R#2", "R#3"}) {
		t.Fatalf("handled %v, seen %v", handled, seen)
	}
}
