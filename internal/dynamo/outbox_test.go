package dynamo_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/outbox"
)

// outboxItems reads the outbox items in a lead's partition.
func outboxItems(t *testing.T, e *env, tenant, leadID string) []map[string]types.AttributeValue {
	t.Helper()
	out, err := e.client.Query(context.Background(), &dynamodb.QueryInput{
		TableName:              aws.String(e.table),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "T#" + tenant + "#LEAD#" + leadID},
			":sk": &types.AttributeValueMemberS{Value: outbox.SortKeyPrefix},
		},
		ConsistentRead: aws.Bool(true),
	})
	must(t, err)
	return out.Items
}

func attrS(it map[string]types.AttributeValue, k string) string {
	if v, ok := it[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// A new lead gets one lead.created outbox item in its capture's
// transaction, whatever the entry method (here an ads lead); a repeat
// capture of the same person gets none. A new scheduled change gets one
// lead.change_scheduled item; cancelling it adds none.
func TestOutboxItemsOfCapturesAndScheduledChanges(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := capture("outbox@example.com")
	c.Touch.EntryMethod, c.Trusted = lead.EntryMetaLeadAds, true
	res := mustCapture(t, e, c)
	if again := mustCapture(t, e, c); again.Created {
		t.Fatalf("repeat capture created a lead: %+v", again)
	}
	tenant := e.site.TenantID
	items := outboxItems(t, e, tenant, res.LeadID)
	if len(items) != 1 {
		t.Fatalf("%d outbox items after a capture and a repeat, want 1: %v", len(items), items)
	}
	it := items[0]
	created, err := time.Parse(time.RFC3339Nano, attrS(it, "created_at"))
	must(t, err)
	ttl, _ := strconv.ParseInt(it["ttl"].(*types.AttributeValueMemberN).Value, 10, 64)
	if attrS(it, "type") != outbox.TypeLeadCreated || attrS(it, "tenant_id") != tenant || attrS(it, "lead_id") != res.LeadID ||
		attrS(it, "payload") != `{"lead_id":"`+res.LeadID+`"}` || attrS(it, "SK") != outbox.SortKeyPrefix+attrS(it, "id") ||
		!strings.HasPrefix(attrS(it, "id"), outbox.PrefixEvent) || ttl != created.Add(outbox.TTL).Unix() {
		t.Fatalf("outbox item %v", it)
	}

	acct, err := e.store.Account(ctx, tenant)
	must(t, err)
	now := time.Now().UTC()
	sc, err := lead.NewScheduledChange("sale", "", now.Add(time.Hour).Format(time.RFC3339), acct, lead.Actor{Type: lead.ActorUser, ID: "usr_admin"}, now)
	must(t, err)
	_, err = e.store.Update(ctx, tenant, res.LeadID, 0, func(l *lead.Lead) ([]lead.Event, error) { return []lead.Event{l.Schedule(sc, now)}, nil })
	must(t, err)
	_, err = e.store.Update(ctx, tenant, res.LeadID, 0, func(l *lead.Lead) ([]lead.Event, error) {
		ev, err := l.CancelSchedule(sc.ID, lead.Actor{Type: lead.ActorUser, ID: "usr_admin"}, now)
		return []lead.Event{ev}, err
	})
	must(t, err)
	items = outboxItems(t, e, tenant, res.LeadID)
	if len(items) != 2 {
		t.Fatalf("%d outbox items, want lead.created and one lead.change_scheduled", len(items))
	}
	var sched map[string]types.AttributeValue
	for _, it := range items {
		if attrS(it, "type") == outbox.TypeChangeScheduled {
			sched = it
		}
	}
	ev := outbox.Event{Type: attrS(sched, "type"), Payload: []byte(attrS(sched, "payload"))}
	p, err := outbox.Decode[outbox.ChangeScheduled](ev)
	if err != nil || p.LeadID != res.LeadID || p.ChangeID != sc.ID || !p.At.Equal(sc.At) {
		t.Fatalf("change_scheduled payload %+v (%v), want change %s at %v", p, err, sc.ID, sc.At)
	}
}
