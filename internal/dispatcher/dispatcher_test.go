package dispatcher_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/leadflow/leadflow/internal/dispatcher"
	"github.com/leadflow/leadflow/internal/outbox"
)

// sample is the sample event sam local invoke uses (events/dispatcher).
func sample(t *testing.T) events.DynamoDBEvent {
	t.Helper()
	b, err := os.ReadFile("../../events/dispatcher/outbox-insert.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestDecodeReadsOutboxItemsFromStreamImages(t *testing.T) {
	ev := sample(t)
	if len(ev.Records) != 2 {
		t.Fatalf("%d records in the sample", len(ev.Records))
	}
	e, ok, err := dispatcher.Decode(ev.Records[0])
	if err != nil || !ok {
		t.Fatalf("decode: ok %v, %v", ok, err)
	}
	want := outbox.Event{ID: "ob_01jd3k7q9nxq0y7h3c5d8e2f4g", Type: outbox.TypeLeadCreated, TenantID: "demo",
		LeadID: "ld_01jd3k7q9m2x4v6b8n0p2r4t6w", Payload: json.RawMessage(`{"lead_id":"ld_01jd3k7q9m2x4v6b8n0p2r4t6w"}`),
		CreatedAt: time.Date(2026, 11, 24, 10, 3, 0, 0, time.UTC)}
	if !reflect.DeepEqual(e, want) {
		t.Fatalf("event\n %+v\nwant\n %+v", e, want)
	}
	e, _, err = dispatcher.Decode(ev.Records[1])
	if err != nil {
		t.Fatal(err)
	}
	p, err := outbox.Decode[outbox.ChangeScheduled](e)
	if err != nil || e.Type != outbox.TypeChangeScheduled || p.ChangeID != "sc_01jd3k9a1b2c3d4e5f6g7h8j9k" ||
		!p.At.Equal(time.Date(2026, 11, 24, 10, 10, 0, 0, time.UTC)) || p.Due("demo").TenantID != "demo" {
		t.Fatalf("scheduled change %+v %+v %v", e, p, err)
	}
}

// Other items, updates and TTL deletions are not outbox events; a
// malformed outbox item is an error.
func TestDecodeSkipsWhatIsNotAnOutboxInsert(t *testing.T) {
	base := sample(t).Records[0]
	modify := base
	modify.EventName = "MODIFY"
	remove := base
	remove.EventName = "REMOVE"
	lead := base
	lead.Change.NewImage = map[string]events.DynamoDBAttributeValue{
		"PK": events.NewStringAttribute("T#demo#LEAD#ld_1"), "SK": events.NewStringAttribute("META"),
		"type": events.NewStringAttribute("lead.created"),
	}
	for name, rec := range map[string]events.DynamoDBEventRecord{"modify": modify, "remove": remove, "meta item": lead} {
		if _, ok, err := dispatcher.Decode(rec); ok || err != nil {
			t.Errorf("%s: ok %v, err %v; want skipped", name, ok, err)
		}
	}
	bad := base
	bad.Change.NewImage = map[string]events.DynamoDBAttributeValue{
		"SK": events.NewStringAttribute("OUTBOX#ob_1"), "type": events.NewNumberAttribute("1"),
	}
	if _, ok, err := dispatcher.Decode(bad); !ok || err == nil {
		t.Errorf("malformed outbox item: ok %v, err %v; want an error", ok, err)
	}
}

// Handle delivers every event to the consumers of its type and reports
// the first failed record in stream order, so the retry starts there (the
// records after it come again too; consumers are idempotent).
func TestHandleReportsTheFirstFailedRecord(t *testing.T) {
	ev := sample(t)
	third := ev.Records[1]
	third.Change.SequenceNumber = "4421584700000000017450439200"
	ev.Records = append(ev.Records, third)

	var mu sync.Mutex
	got := map[string]int{}
	fail := map[string]bool{outbox.TypeChangeScheduled: true}
	consume := func(_ context.Context, e outbox.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got[e.Type]++
		if fail[e.Type] {
			return errors.New("queue unavailable")
		}
		return nil
	}
	d := &dispatcher.Dispatcher{Consumers: map[string][]dispatcher.Consumer{
		outbox.TypeLeadCreated: {consume}, outbox.TypeChangeScheduled: {consume},
	}}
	resp, err := d.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	want := []events.DynamoDBBatchItemFailure{{ItemIdentifier: "4421584600000000017450439187"}}
	if !reflect.DeepEqual(resp.BatchItemFailures, want) || got[outbox.TypeLeadCreated] != 1 || got[outbox.TypeChangeScheduled] != 2 {
		t.Fatalf("failures %v, delivered %v", resp.BatchItemFailures, got)
	}

	// Retried from the failed record once the queue is back: all delivered.
	fail, got = nil, map[string]int{}
	ev.Records = ev.Records[1:]
	resp, _ = d.Handle(context.Background(), ev)
	if len(resp.BatchItemFailures) != 0 || got[outbox.TypeChangeScheduled] != 2 {
		t.Fatalf("retry: failures %v, delivered %v", resp.BatchItemFailures, got)
	}
}

// A consumer that panics fails its record instead of the whole function.
func TestHandleRecoversAConsumerPanic(t *testing.T) {
	d := &dispatcher.Dispatcher{Consumers: map[string][]dispatcher.Consumer{
		outbox.TypeLeadCreated: {func(context.Context, outbox.Event) error { panic("boom") }},
	}}
	resp, err := d.Handle(context.Background(), sample(t))
	if err != nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "4421584500000000017450439091" {
		t.Fatalf("resp %+v, err %v", resp, err)
	}
}
