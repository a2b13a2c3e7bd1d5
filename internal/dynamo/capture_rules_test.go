package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/capacity"
	"github.com/leadflow/leadflow/internal/lead"
)

// itemSize is an item's size as DynamoDB counts it (internal/capacity,
// checked against the Developer Guide's rules).
func itemSize(it map[string]types.AttributeValue) int { return capacity.ItemSize(it) }

func metaItem(t *testing.T, e *env, leadID string) map[string]types.AttributeValue {
	t.Helper()
	out, err := e.client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(e.table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "T#" + e.site.TenantID + "#LEAD#" + leadID},
			"SK": &types.AttributeValueMemberS{Value: "META"},
		},
	})
	if err != nil || out.Item == nil {
		t.Fatalf("META of %s: %v", leadID, err)
	}
	return out.Item
}

// attackCapture is as large as internal/capture lets one capture be, in
// bytes: 50 attributes of 1,024 four-byte characters, four URLs of 2,048
// characters, every navigation text at its limit, a new external id.
func attackCapture(attacker, i int) lead.Capture {
	big := func(n int) string { return strings.Repeat("𝄞", n) }
	attrs := map[string]string{}
	for j := range 50 {
		attrs[fmt.Sprintf("x%d_%d_%d_%s", attacker, i, j, strings.Repeat("k", 40))] = big(1024)
	}
	url := "https://evil.example/" + big(2000)
	c := capture("victim@example.com")
	c.ExternalID = fmt.Sprintf("atk-%d-%d-%s", attacker, i, big(100))
	c.Name = big(200)
	c.Contact.Attributes = attrs
	c.Touch = lead.Touch{At: c.Touch.At.Add(time.Duration(i) * time.Second), EntryMethod: lead.EntryAPI,
		PageURL: url, LandingURL: url, GeneratedAtURL: url, Referrer: url,
		UTMSource: big(512), UTMMedium: big(512), UTMCampaign: big(512), UTMTerm: big(512), UTMContent: big(512),
		GCLID: big(512), FBCLID: big(512), UserAgent: big(1024), Locale: "pt-BR",
		IP: fmt.Sprintf("198.51.100.%d", attacker), Country: big(256), Region: big(256), City: big(256)}
	return c
}

// Finding 1 against the emulator: 60 maximum-size captures of one person
// from three attackers at once leave the stored META item under 100 KB
// (about 35 KB), every one answered as stored, and a genuine chatbot
// capture afterwards is stored with its messages. Each such capture
// writes about 600 KB (history keeps the full touch; index items copy the
// lead), so 1,000 of them run through the domain alone instead
// (internal/lead TestThousandMaximumCapturesLeaveTheLeadBounded); the cap
// is reached after the first few here.
func TestMaximumCapturesOfOnePersonLeaveTheLeadBounded(t *testing.T) {
	e := newEnv(t)
	first := mustCapture(t, e, capture("victim@example.com"))
	const attackers, each = 3, 20
	var wg sync.WaitGroup
	errs := make(chan error, attackers*each)
	for a := range attackers {
		wg.Go(func() {
			for i := range each {
				c := attackCapture(a, i)
				c.SiteID, c.Touch.SiteID = e.site.ID, e.site.ID
				res, err := e.store.Capture(context.Background(), e.site, c)
				if err == nil && res.LeadID != first.LeadID {
					err = fmt.Errorf("attack joined %s, want %s", res.LeadID, first.LeadID)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("attack capture: %v", err)
	}
	size := itemSize(metaItem(t, e, first.LeadID))
	t.Logf("META after %d maximum captures: %d bytes", attackers*each, size)
	if size > 100_000 {
		t.Fatalf("META is %d bytes", size)
	}

	chat := capture("victim@example.com")
	chat.ExternalID = "conv-genuine"
	chat.Contact.Attributes = map[string]string{"interest": "pricing"}
	chat.Conversation = conversation(6, chat.Touch.At.Add(time.Hour), "genuine")
	if res := mustCapture(t, e, chat); res.LeadID != first.LeadID {
		t.Fatalf("genuine capture = %+v", res)
	}
	d := mustDetail(t, e, e.site.TenantID, first.LeadID)
	if len(d.Conversation.Items) != 6 || d.Lead.Interactions != 2+attackers*each {
		t.Fatalf("%d messages, %d interactions", len(d.Conversation.Items), d.Lead.Interactions)
	}
	if d.Lead.Contact.Attributes["interest"] != "pricing" && d.History.Items[0].Action != lead.ActionCaptureNotApplied {
		t.Fatalf("the genuine attribute was neither stored nor named: history %v", actions(d.History.Items))
	}
}

// Finding 2: what an agent set is never overwritten by a capture.
func TestCaptureNeverOverwritesAnAgentsEdit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := capture("ana@example.com")
	c.Contact.Attributes = map[string]string{"company": "Acme", "budget": "5k"}
	r := mustCapture(t, e, c)
	agent := lead.Actor{Type: lead.ActorUser, ID: "usr_agent"}
	set := "AgentSet"
	if _, err := e.store.Update(ctx, e.site.TenantID, r.LeadID, 0, func(l *lead.Lead) ([]lead.Event, error) {
		return l.Apply(lead.Patch{Attributes: map[string]*string{"company": &set}}, agent, account.Account{}, time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	c.Contact.Attributes = map[string]string{"company": "Hacked2", "budget": "10k"}
	mustCapture(t, e, c)
	d := mustDetail(t, e, e.site.TenantID, r.LeadID)
	if got := d.Lead.Contact.Attributes; got["company"] != "AgentSet" || got["budget"] != "10k" {
		t.Fatalf("attributes = %v", got)
	}
	top := d.History.Items[0]
	after, _ := top.After.(map[string]any)
	company, _ := after["contact.attributes.company"].(map[string]any)
	if top.Action != lead.ActionCaptureNotApplied || company["value"] != "Hacked2" || company["reason"] != lead.NotAppliedUserEdited {
		t.Fatalf("newest history entry = %+v", top)
	}
}

// Finding 5 (conflicting keys): the e-mail of lead X and the CPF of lead Y
// join Y (CPF is the stronger key), move no key, and record X and Y as
// duplicate candidates of each other.
func TestCaptureWithKeysOfTwoLeadsJoinsTheStrongestAndRecordsACandidate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	x := mustCapture(t, e, capture("x@example.com"))
	cy := capture("")
	cy.Contact.CPF = "52998224725"
	y := mustCapture(t, e, cy)

	both := capture("x@example.com")
	both.Contact.CPF = "52998224725"
	res := mustCapture(t, e, both)
	if res.LeadID != y.LeadID || res.Created {
		t.Fatalf("capture joined %+v, want lead Y %s", res, y.LeadID)
	}
	if l := mustDetail(t, e, e.site.TenantID, y.LeadID).Lead; l.Contact.Email != "" {
		t.Fatalf("Y took X's e-mail: %+v", l.Contact)
	}
	if r := mustCapture(t, e, capture("x@example.com")); r.LeadID != x.LeadID {
		t.Fatalf("X's e-mail now finds %s", r.LeadID)
	}
	reason := []lead.DuplicateReason{{Signal: "email", Value: "x@example.com"}}
	for _, pair := range [][2]string{{y.LeadID, x.LeadID}, {x.LeadID, y.LeadID}} {
		got, err := e.store.DuplicateCandidates(ctx, e.site.TenantID, pair[0])
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].LeadID != pair[1] || !reflect.DeepEqual(got[0].Reasons, reason) || got[0].At.IsZero() {
			t.Fatalf("candidates of %s = %+v, want %s for %v", pair[0], got, pair[1], reason)
		}
	}
	// Recording it again keeps one candidate with one reason.
	mustCapture(t, e, both)
	if got, _ := e.store.DuplicateCandidates(ctx, e.site.TenantID, y.LeadID); len(got) != 1 || len(got[0].Reasons) != 1 {
		t.Fatalf("after a second conflict: %+v", got)
	}
	// Another tenant sees nothing.
	if got, err := e.store.DuplicateCandidates(ctx, "other-tenant", y.LeadID); err != nil || len(got) != 0 {
		t.Fatalf("another tenant: %+v %v", got, err)
	}
}

// Finding 7: a capture retried with the same site, external id and body is
// a true no-op (the same lead, no history, touch, message or version), also
// when it first joined an existing lead; a new body with that id is not.
// Like every capture of a known external id it answers created: false.
func TestRetriedCaptureIsANoop(t *testing.T) {
	e := newEnv(t)
	c := capture("ana@example.com")
	c.ExternalID = "conv-1"
	c.Conversation = conversation(2, c.Touch.At, "hello")
	first := mustCapture(t, e, c)
	if !first.Created {
		t.Fatalf("first = %+v", first)
	}
	before := mustDetail(t, e, e.site.TenantID, first.LeadID)

	retry := c
	retry.Touch.At = c.Touch.At.Add(time.Minute) // sent again later, from elsewhere
	retry.Touch.IP = "192.0.2.55"
	for range 2 {
		want := first
		want.Created = false
		if got := mustCapture(t, e, retry); got != want {
			t.Fatalf("retry answered %+v, first %+v", got, first)
		}
	}
	after := mustDetail(t, e, e.site.TenantID, first.LeadID)
	if !reflect.DeepEqual(after, before) {
		t.Fatalf("a retry changed the lead:\nbefore %+v\n after %+v", before.Lead, after.Lead)
	}

	// A longer transcript under the same id is a new capture …
	more := c
	more.Conversation = conversation(4, c.Touch.At, "hello")
	second := mustCapture(t, e, more)
	d := mustDetail(t, e, e.site.TenantID, first.LeadID)
	if second.Created || second.LeadID != first.LeadID || d.Lead.Version != 2 || len(d.Conversation.Items) != 4 {
		t.Fatalf("second = %+v, version %d, %d messages", second, d.Lead.Version, len(d.Conversation.Items))
	}
	// … and its own retry is a no-op with its answer.
	if got := mustCapture(t, e, more); got != second {
		t.Fatalf("retry of the second = %+v", got)
	}
	// A new conversation that joins the lead by e-mail, retried.
	other := capture("ana@example.com")
	other.ExternalID = "conv-2"
	third := mustCapture(t, e, other)
	v := mustDetail(t, e, e.site.TenantID, first.LeadID).Lead.Version
	if got := mustCapture(t, e, other); got != third || third.Created {
		t.Fatalf("retry = %+v, third %+v", got, third)
	}
	if d := mustDetail(t, e, e.site.TenantID, first.LeadID); d.Lead.Version != v || len(d.History.Items) != 3 {
		t.Fatalf("version %d (want %d), history %v", d.Lead.Version, v, actions(d.History.Items))
	}
}

// Concurrent retries of one body make one capture.
func TestConcurrentRetriesMakeOneCapture(t *testing.T) {
	e := newEnv(t)
	mustCapture(t, e, capture("ana@example.com"))
	c := capture("ana@example.com")
	c.ExternalID = "conv-9"
	c.Contact.Attributes = map[string]string{"k": "v"}
	var wg sync.WaitGroup
	res := make([]lead.CaptureResult, 8)
	for i := range res {
		wg.Go(func() { res[i] = mustCapture(t, e, c) })
	}
	wg.Wait()
	for _, r := range res {
		if r != res[0] {
			t.Fatalf("answers differ: %+v", res)
		}
	}
	if d := mustDetail(t, e, e.site.TenantID, res[0].LeadID); d.Lead.Interactions != 2 {
		t.Fatalf("%d interactions, want 2", d.Lead.Interactions)
	}
}

// Permanent store errors are not marked retryable; lost races are.
func TestCaptureErrorsSayWhetherARetryHelps(t *testing.T) {
	e := newEnv(t)
	c := capture("ana@example.com")
	c.ExternalID = strings.Repeat("x", 3000) // an identity key past DynamoDB's key size
	_, err := e.store.Capture(context.Background(), e.site, c)
	var r interface{ Retryable() bool }
	if err == nil || (errors.As(err, &r) && r.Retryable()) {
		t.Fatalf("err = %v, want a permanent error", err)
	}
}
