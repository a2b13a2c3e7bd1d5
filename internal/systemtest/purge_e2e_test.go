package systemtest_test

// Purge of soft-deleted leads end to end: the bulk delete through the API,
// the real sweeper and worker (Lambda handler fed by the local SQS runner)
// on the SQS emulator, with their clocks 31 days ahead.

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/purge"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/sqsrunner"
	"github.com/leadflow/leadflow/internal/sweeper"
	"github.com/leadflow/leadflow/internal/testenv"
	"github.com/leadflow/leadflow/internal/worker"
)

// fakeClock is a settable clock shared by the sweeper and the worker.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// partitionSize counts the items of a lead's partition.
func (s *stack) partitionSize(id string) int {
	s.t.Helper()
	in := &dynamodb.QueryInput{
		TableName: aws.String(s.table), KeyConditionExpression: aws.String("PK = :pk"), Select: types.SelectCount,
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "T#" + s.tenant + "#LEAD#" + id}},
		ConsistentRead:            aws.Bool(true),
	}
	out, err := s.client.Query(context.Background(), in)
	must(s.t, err)
	return int(out.Count)
}

func (s *stack) listIDs() []string {
	s.t.Helper()
	var ids []string
	for _, it := range s.expect(s.call("GET", "/v1/leads?page_size=100", s.admin, nil), http.StatusOK).json(s.t)["items"].([]any) {
		ids = append(ids, it.(map[string]any)["id"].(string))
	}
	return ids
}

func (s *stack) campaignLeads(campaign string) float64 {
	s.t.Helper()
	rep := s.expect(s.call("GET", "/v1/reports/attribution?group_by=campaign", s.admin, nil), http.StatusOK).json(s.t)
	var n float64
	for _, r := range rep["rows"].([]any) {
		if field(r.(map[string]any), "campaign") == campaign {
			n += field(r.(map[string]any), "leads").(float64)
		}
	}
	return n
}

func TestSoftDeletedLeadIsPurgedAfterTheRestoreWindow(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	client := testenv.SQS(t)
	name := testenv.UniqueName("purge")
	url, err := queue.CreateQueue(ctx, client, name, name+"-dlq")
	must(t, err)
	q := queue.New(client, url)
	clk := &fakeClock{t: time.Now().UTC()}
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	purger := &purge.Runner{Store: s.store, Now: clk.Now, Logger: logger}
	w := &worker.Worker{Leads: s.store, Accounts: s.store, Assignment: s.store, Logger: logger, Now: clk.Now,
		Extra: map[string]jobs.Handler{jobs.TypePurgeLead: purger.Handle}}
	sw := &sweeper.Sweeper{Due: s.store, Purges: s.store, Queue: q, Now: clk.Now, Logger: logger}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	r := &sqsrunner.Runner{Client: client, QueueURL: url, Handler: w.Handle, WaitSeconds: 1}
	go func() { defer close(done); _ = r.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })

	const email, phone = "purga-total@example.com", "+55 11 98888-7766"
	person := map[string]any{"source": "api", "contact": map[string]any{"name": "Pessoa Purgada", "email": email, "phone": phone},
		"navigation": map[string]any{"utm_campaign": "purga"}}
	gone := s.expect(s.capture(person), http.StatusCreated).json(t)["lead_id"].(string)
	kept := s.apiLead("restaurado@example.com", nil)
	s.expect(s.call("POST", "/v1/leads/"+gone+"/notes", s.agent, map[string]any{"text": "ligar amanhã"}), http.StatusCreated)
	s.expect(s.call("PATCH", "/v1/leads/"+gone, s.admin, map[string]any{"rating": 4}), http.StatusOK)
	if s.campaignLeads("purga") != 1 {
		t.Fatalf("report before delete: %v leads in campaign purga", s.campaignLeads("purga"))
	}
	s.expect(s.call("POST", "/v1/leads/bulk", s.admin, map[string]any{"action": "delete", "ids": []string{gone, kept}}), http.StatusAccepted)
	s.expect(s.call("POST", "/v1/leads/"+kept+"/restore", s.admin, nil), http.StatusOK)
	if n := s.partitionSize(gone); n < 5 {
		t.Fatalf("deleted lead has %d items; the test needs notes and history to purge", n)
	}

	// Inside the window nothing is due.
	if n, err := sw.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("sweep today sent %d (%v)", n, err)
	}
	clk.Set(clk.Now().Add(29 * 24 * time.Hour))
	if n, err := sw.SweepPurges(ctx); err != nil || n != 0 {
		t.Fatalf("sweep after 29 days sent %d (%v)", n, err)
	}

	// 31 days later the sweeper sends one purge (the restored lead has no
	// entry); a duplicate delivery changes nothing.
	clk.Set(clk.Now().Add(2 * 24 * time.Hour))
	if n, err := sw.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep after 31 days sent %d (%v), want 1", n, err)
	}
	waitFor(t, 15*time.Second, "the purge", func() bool {
		return s.partitionSize(gone) == 0 && strings.Contains(logs.String(), `"msg":"lead purged"`)
	})
	must(t, q.Send(ctx, jobs.PurgeLead(s.tenant, gone), 0))
	waitFor(t, 15*time.Second, "the duplicate delivery", func() bool { return strings.Contains(logs.String(), `"reason":"gone"`) })
	if n, err := sw.Sweep(ctx); err != nil || n != 0 {
		t.Errorf("sweep after the purge sent %d (%v)", n, err)
	}

	// Nothing of the lead is left anywhere in the table: not its capture's
	// interaction (partition and protocol key), keys, notes or history.
	start := map[string]types.AttributeValue(nil)
	for {
		out, err := testenv.DynamoDB(t).Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(s.table), ExclusiveStartKey: start, ConsistentRead: aws.Bool(true)})
		must(t, err)
		for _, it := range out.Items {
			for _, secret := range []string{gone, email, "+5511988887766", "Pessoa Purgada", "ligar amanhã"} {
				if holds(&types.AttributeValueMemberM{Value: it}, secret) {
					t.Errorf("after the purge %s %s still holds %q", str(it, "PK"), str(it, "SK"), secret)
				}
			}
		}
		if start = out.LastEvaluatedKey; start == nil {
			break
		}
	}

	s.expect(s.call("GET", "/v1/leads/"+gone, s.admin, nil), http.StatusNotFound)
	s.expect(s.call("POST", "/v1/leads/"+gone+"/restore", s.admin, nil), http.StatusNotFound)
	s.expect(s.call("GET", "/v1/leads/"+kept, s.admin, nil), http.StatusOK)
	if ids := s.listIDs(); slices.Contains(ids, gone) || !slices.Contains(ids, kept) {
		t.Errorf("list after purge %v", ids)
	}
	if s.campaignLeads("purga") != 0 {
		t.Errorf("report still counts the purged lead")
	}

	// The person comes back: a new lead, counted once.
	again := s.expect(s.capture(person), http.StatusCreated).json(t)["lead_id"].(string)
	if again == gone {
		t.Fatal("recapture reused the purged id")
	}
	if s.campaignLeads("purga") != 1 {
		t.Errorf("report after recapture: %v leads, want 1", s.campaignLeads("purga"))
	}
	export := string(s.expect(s.call("GET", "/v1/leads/export?format=csv", s.admin, nil), http.StatusOK).body)
	if strings.Contains(export, gone) || !strings.Contains(export, again) {
		t.Errorf("export after purge:\n%s", export)
	}

	// The audit line: tenant, lead and counts; no contact data.
	out := logs.String()
	var audit string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, `"msg":"lead purged"`) {
			audit = line
		}
	}
	for _, want := range []string{`"tenant_id":"` + s.tenant + `"`, `"lead_id":"` + gone + `"`, `"items_deleted":`, `"identity_keys_deleted":2`, `"interactions_deleted":1`, `"audit":"lead.purged"`} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit line %q lacks %s", audit, want)
		}
	}
	assertNoSecrets(t, out, map[string]string{"e-mail": email, "phone": phone, "phone (E.164)": "+5511988887766", "name": "Pessoa Purgada"})
}

// holds says whether any string in an item (keys, attributes, nested
// maps and lists) contains s.
func holds(v types.AttributeValue, s string) bool {
	switch t := v.(type) {
	case *types.AttributeValueMemberS:
		return strings.Contains(t.Value, s)
	case *types.AttributeValueMemberSS:
		return slices.ContainsFunc(t.Value, func(x string) bool { return strings.Contains(x, s) })
	case *types.AttributeValueMemberL:
		return slices.ContainsFunc(t.Value, func(x types.AttributeValue) bool { return holds(x, s) })
	case *types.AttributeValueMemberM:
		for _, x := range t.Value {
			if holds(x, s) {
				return true
			}
		}
	}
	return false
}

func str(it map[string]types.AttributeValue, name string) string {
	v, _ := it[name].(*types.AttributeValueMemberS)
	if v == nil {
		return ""
	}
	return v.Value
}
