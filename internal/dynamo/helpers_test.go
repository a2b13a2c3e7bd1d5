package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/lead"
)

type env struct {
	client *dynamodb.Client
	table  string
	store  *dynamo.Store
	site   account.Site
}

// newEnv creates a fresh table with one account and one site.
func newEnv(t testing.TB, opts ...dynamo.Option) *env {
	t.Helper()
	client := dynamoClient(t)
	table := uniqueName("leadflow")
	ctx := context.Background()
	if err := dynamo.CreateTable(ctx, client, table, dynamo.WithoutStream()); err != nil {
		t.Fatal(err)
	}
	st := dynamo.New(client, table, opts...)
	e := &env{client: client, table: table, store: st}
	e.site = e.addTenant(t, uniqueName("acme"))
	return e
}

// addTenant creates an account with one site and returns the site.
func (e *env) addTenant(t testing.TB, tenant string) account.Site {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	if err := e.store.PutAccount(ctx, account.Account{ID: tenant, Name: "Acme " + tenant, Country: "BR", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	site := account.Site{
		ID: "site_" + tenant, TenantID: tenant, Name: "Shop", Key: "pk_" + tenant,
		Country: "BR", RateLimitPerMinute: 1000, CreatedAt: now,
	}
	if err := e.store.PutSite(ctx, site); err != nil {
		t.Fatal(err)
	}
	return site
}

func capture(email string) lead.Capture {
	at := time.Date(2026, 11, 20, 14, 3, 0, 0, time.UTC)
	return lead.Capture{
		SiteID:  "site",
		Name:    "Ana Souza",
		Contact: lead.Contact{Email: email},
		Touch: lead.Touch{
			At: at, EntryMethod: lead.EntryChatbot, SiteID: "site",
			PageURL: "https://shop.example.com/pricing", UTMSource: "google", UTMCampaign: "bf2026", IP: "203.0.113.7",
		},
	}
}

func conversation(n int, start time.Time, tag string) []lead.Message {
	var msgs []lead.Message
	for i := range n {
		from := lead.SpeakerBot
		if i%2 == 1 {
			from = lead.SpeakerVisitor
		}
		msgs = append(msgs, lead.Message{From: from, Text: tag + " line", At: start.Add(time.Duration(i) * time.Second)})
	}
	return msgs
}

func mustCapture(t testing.TB, e *env, c lead.Capture) lead.CaptureResult {
	t.Helper()
	c.SiteID = e.site.ID
	c.Touch.SiteID = e.site.ID
	res, err := e.store.Capture(context.Background(), e.site, c)
	if err != nil {
		t.Fatalf("capture: %v", err)
	}
	return res
}

func mustDetail(t testing.TB, e *env, tenant, id string) lead.Detail {
	t.Helper()
	d, err := e.store.Detail(context.Background(), tenant, id)
	if err != nil {
		t.Fatalf("detail: %v", err)
	}
	return d
}

func actions(evs []lead.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Action)
	}
	return out
}
