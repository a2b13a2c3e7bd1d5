package capacity_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/leadflow/leadflow/internal/capacity"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The meter, on DynamoDB Local, prices a put, a transaction and a query of
// the real table definition and files each under its operation and key.
func TestMeterPricesRequestsOnTheEmulator(t *testing.T) {
	ctx := context.Background()
	raw := testenv.DynamoDB(t)
	table := testenv.UniqueName("cap")
	if err := dynamo.CreateTable(ctx, raw, table); err != nil {
		t.Fatal(err)
	}
	def := dynamo.TableDefinition(table)
	meter := capacity.NewMeter(raw, table, capacity.SchemaOf(def))
	db := dynamodb.New(raw.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error { return meter.AddTo(st) })
	})
	item := map[string]types.AttributeValue{
		"PK": s("T#t#LEAD#1"), "SK": s("META"), "blob": s(strings.Repeat("x", 1500)),
		dynamo.AttrGSI2PK: s("T#t#ALL"), dynamo.AttrGSI2SK: s("2026-11-30#1"),
	}
	meter.Start("put")
	put, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item, ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes})
	if err != nil {
		t.Fatal(err)
	}
	meter.Start("tx")
	_, err = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(table), Item: map[string]types.AttributeValue{"PK": s("T#t#LEAD#2"), "SK": s("META")}}},
		{Update: &types.Update{TableName: aws.String(table), Key: map[string]types.AttributeValue{"PK": s("T#t#LEAD#1"), "SK": s("META")},
			UpdateExpression: aws.String("SET #g = :g"), ExpressionAttributeNames: map[string]string{"#g": dynamo.AttrGSI2PK},
			ExpressionAttributeValues: map[string]types.AttributeValue{":g": s("T#t#MOVED")}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	meter.Start("query")
	if _, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("PK = :p"),
		FilterExpression: aws.String("attribute_exists(nothing)"), ProjectionExpression: aws.String("SK"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("T#t#LEAD#1")}, ConsistentRead: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	meter.Start("")
	ops := map[string]capacity.Op{}
	for _, o := range meter.Report() {
		ops[o.Name] = o
	}
	// A ~1.6 KB item: 2 WCU on the table and 2 on GSI2 (projects ALL).
	if o := ops["put"]; o.WCU != 4 || o.Requests != 1 {
		t.Errorf("put: %+v, want 4 WCU in 1 request", o)
	}
	// On the base table the meter and the emulator agree.
	if cc := put.ConsumedCapacity; cc == nil || cc.Table == nil || aws.ToFloat64(cc.Table.CapacityUnits) != ops["put"].TableWCU {
		t.Errorf("put: table WCU %v, DynamoDB Local consumed %+v", ops["put"].TableWCU, cc)
	}
	// Transaction: the new tiny item 2; the 1.6 KB item 4 on the table and
	// its GSI2 entry moved: 4 out of T#t#ALL, 4 into T#t#MOVED.
	if o := ops["tx"]; o.WCU != 2+4+4+4 {
		t.Errorf("tx: %v WCU, want 14", o.WCU)
	}
	if o := ops["tx"]; o.HottestWrite.Units != 4 {
		t.Errorf("tx hottest write: %+v", o.HottestWrite)
	}
	// The query read the whole item whatever it projected and filtered.
	if o := ops["query"]; o.RCU != 1 || o.HottestRead.Key != "T#t#LEAD#1" {
		t.Errorf("query: %+v, want 1 RCU on T#t#LEAD#1", o)
	}
	if r := ops["put"].MaxRate(); r != 500 {
		t.Errorf("put max rate: %v/s, want 500 (2 WCU on one key of 1,000 WCU/s)", r)
	}

	// Four runs, each writing a lead of its own whose GSI2 entry hashes to
	// shard 0 (three runs) or 1 (one): the leads' partitions are no run's
	// shared key, and the sharded partition counts as its shards' average.
	for i := range 4 {
		meter.Start("shards")
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
			"PK": s("T#t#LEAD#r" + strings.Repeat("x", i+1)), "SK": s("META"),
			dynamo.AttrGSI2PK: s("T#t#IX#" + map[bool]string{true: "1", false: "0"}[i == 3]), dynamo.AttrGSI2SK: s("k"),
		}}); err != nil {
			t.Fatal(err)
		}
	}
	meter.Start("")
	for _, o := range meter.Report() {
		if o.Name != "shards" {
			continue
		}
		if o.HottestWrite.Key != "T#t#IX#<2 shards>" || o.HottestWrite.Units != 0.5 {
			t.Errorf("sharded hottest: %+v, want T#t#IX over 2 shards at 0.5 units a run", o.HottestWrite)
		}
		if o.Own.Units != 1 || !strings.HasPrefix(o.Own.Key, "T#t#LEAD#r") {
			t.Errorf("own key: %+v, want a lead's partition at 1 unit", o.Own)
		}
	}
}
