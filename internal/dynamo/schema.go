package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Attribute and index names of the table.
const (
	AttrPK     = "PK"
	AttrSK     = "SK"
	AttrGSI2PK = "GSI2PK"
	AttrGSI2SK = "GSI2SK"
	AttrTTL    = "ttl"

	IndexGSI2 = "GSI2" // scheduled changes by due time (reserved)
)

// TableDefinition is the one definition of the table's keys and indexes.
// The SAM template is checked against it.
func TableDefinition(name string) *dynamodb.CreateTableInput {
	str := func(n string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(n), AttributeType: types.ScalarAttributeTypeS}
	}
	keys := func(pk, sk string) []types.KeySchemaElement {
		return []types.KeySchemaElement{
			{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange},
		}
	}
	gsi := func(name, pk, sk string) types.GlobalSecondaryIndex {
		return types.GlobalSecondaryIndex{
			IndexName:  aws.String(name),
			KeySchema:  keys(pk, sk),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}
	}
	return &dynamodb.CreateTableInput{
		TableName: aws.String(name),
		AttributeDefinitions: []types.AttributeDefinition{
			str(AttrPK), str(AttrSK), str(AttrGSI2PK), str(AttrGSI2SK),
			str(AttrGSI3PK), str(AttrGSI3SK), str(AttrGSI4PK), str(AttrGSI4SK), str(AttrGSI5PK), str(AttrGSI5SK),
		},
		KeySchema:   keys(AttrPK, AttrSK),
		BillingMode: types.BillingModePayPerRequest,
		// The stream feeds the outbox dispatcher (internal/dispatcher).
		StreamSpecification: streamSpec(),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			gsi(IndexGSI2, AttrGSI2PK, AttrGSI2SK),
			gsi(IndexGSI3, AttrGSI3PK, AttrGSI3SK),
			gsi(IndexGSI4, AttrGSI4PK, AttrGSI4SK),
			gsi(IndexGSI5, AttrGSI5PK, AttrGSI5SK),
		},
	}
}

// streamSpec is the table's stream: new images, which is all the outbox
// dispatcher reads.
func streamSpec() *types.StreamSpecification {
	return &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage}
}

// TableOption changes how CreateTable creates a table.
type TableOption func(*tableOptions)

type tableOptions struct{ noStream bool }

// WithoutStream creates the table without its stream. DynamoDB Local
// writes several times slower on a table with a stream, so tests that run
// no dispatcher create their tables without one; Store.EnableStream turns
// it on for those that do.
func WithoutStream() TableOption { return func(o *tableOptions) { o.noStream = true } }

// CreateTable creates the table (if it does not exist yet), waits until it
// is active, enables its stream (a table created before the outbox has
// none) and TTL on the ttl attribute. It is idempotent.
func CreateTable(ctx context.Context, client *dynamodb.Client, name string, opts ...TableOption) error {
	var o tableOptions
	for _, opt := range opts {
		opt(&o)
	}
	def := TableDefinition(name)
	if o.noStream {
		def.StreamSpecification = nil
	}
	_, err := client.CreateTable(ctx, def)
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	w := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = 2 * time.Second
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 5*time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	if !o.noStream {
		if err := enableStream(ctx, client, name); err != nil {
			return err
		}
	}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err == nil && ttl.TimeToLiveDescription != nil &&
		(ttl.TimeToLiveDescription.TimeToLiveStatus == types.TimeToLiveStatusEnabled ||
			ttl.TimeToLiveDescription.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		return nil
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(AttrTTL),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("enable ttl on %s: %w", name, err)
	}
	return nil
}

// enableStream turns on the table's stream when it is off.
func enableStream(ctx context.Context, client *dynamodb.Client, name string) error {
	d, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("describe table %s: %w", name, err)
	}
	if spec := d.Table.StreamSpecification; spec != nil && aws.ToBool(spec.StreamEnabled) {
		return nil
	}
	if _, err := client.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String(name), StreamSpecification: streamSpec()}); err != nil {
		return fmt.Errorf("enable stream on %s: %w", name, err)
	}
	return nil
}
