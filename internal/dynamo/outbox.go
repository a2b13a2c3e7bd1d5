package dynamo

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/outbox"
)

// Outbox items: one per side effect of a committed change, written in the
// change's own transaction and delivered from the table's stream by the
// dispatcher (internal/dispatcher).
//
//	PK                          SK                 attributes
//	T#<tenant>#LEAD#<lead_id>   OUTBOX#<event id>  id, type, tenant_id, lead_id, payload (JSON), created_at, ttl
//
// They sit in the lead's partition (so a busy tenant's events spread over
// its leads) and expire by TTL after outbox.TTL; the detail Query skips them.

// outboxPut is the transaction action recording ev.
func (st *Store) outboxPut(ev outbox.Event) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: map[string]types.AttributeValue{
		AttrPK:       s(leadPK(ev.TenantID, ev.LeadID)),
		AttrSK:       s(outbox.SortKeyPrefix + ev.ID),
		"id":         s(ev.ID),
		"type":       s(ev.Type),
		"tenant_id":  s(ev.TenantID),
		"lead_id":    s(ev.LeadID),
		"payload":    s(string(ev.Payload)),
		"created_at": s(ev.CreatedAt.UTC().Format(createdLayout)),
		AttrTTL:      &types.AttributeValueMemberN{Value: strconv.FormatInt(ev.CreatedAt.Add(outbox.TTL).Unix(), 10)},
	}}}
}

// StreamARN is the ARN of the table's stream (the outbox dispatcher's
// source), "" when the stream is off.
func (st *Store) StreamARN(ctx context.Context) (string, error) {
	d, err := st.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: st.table})
	if err != nil {
		return "", fmt.Errorf("stream arn: %w", err)
	}
	return aws.ToString(d.Table.LatestStreamArn), nil
}

// EnableStream turns the table's stream on (a no-op when it is on), for
// tables created WithoutStream.
func (st *Store) EnableStream(ctx context.Context) error {
	return enableStream(ctx, st.db, aws.ToString(st.table))
}
