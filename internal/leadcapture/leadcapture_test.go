package leadcapture_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/leadcapture"
	"github.com/leadflow/leadflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// calls records the DynamoDB operations a client sends (SDK retries not
// counted: one entry per round trip the code asked for).
type calls struct {
	mu  sync.Mutex
	ops []string
}

func (c *calls) addTo(st *middleware.Stack) error {
	return st.Initialize.Add(middleware.InitializeMiddlewareFunc("count", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		c.mu.Lock()
		c.ops = append(c.ops, awsmiddleware.GetOperationName(ctx))
		c.mu.Unlock()
		return next.HandleInitialize(ctx, in)
	}), middleware.After)
}

func (c *calls) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	ops := c.ops
	c.ops = nil
	return ops
}

// The use case keeps the store's cost: a new person is one transaction; a
// known one is that cancelled transaction (whose reasons name the lead),
// a read of the lead and one append; a retry of the same body is the
// cancelled transaction alone (its reasons carry the fingerprint), and
// writes nothing.
func TestCaptureRoundTrips(t *testing.T) {
	ctx := context.Background()
	base := testenv.DynamoDB(t)
	table := testenv.UniqueName("lc")
	if err := dynamo.CreateTable(ctx, base, table, dynamo.WithoutStream()); err != nil {
		t.Fatal(err)
	}
	rec := &calls{}
	client := dynamodb.New(base.Options(), func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, rec.addTo) })
	st := dynamo.New(client, table)
	tenant := testenv.UniqueName("acme")
	site := account.Site{ID: "site_" + tenant, TenantID: tenant, Name: "Shop", Key: testenv.UniqueName("pk"), Country: "BR", RateLimitPerMinute: 1000, CreatedAt: time.Now()}
	if err := st.PutSite(ctx, site); err != nil {
		t.Fatal(err)
	}
	uc := leadcapture.Service{Store: st}
	capture := func(campaign string) lead.Capture {
		return lead.Capture{SiteID: site.ID, ExternalID: "chat-1", Name: "Ana Souza",
			Contact: lead.Contact{Email: "ana@example.com"},
			Touch:   lead.Touch{SiteID: site.ID, EntryMethod: lead.EntryChatbot, IP: "198.51.100.7", UTMCampaign: campaign, At: time.Now().UTC()}}
	}
	rec.take()

	first, err := uc.Capture(ctx, site, capture("bf"))
	if err != nil || !first.Created {
		t.Fatalf("first capture: %+v, %v", first, err)
	}
	if ops := rec.take(); !slices.Equal(ops, []string{"TransactWriteItems"}) {
		t.Errorf("a new person cost %v, want one TransactWriteItems", ops)
	}

	retry, err := uc.Capture(ctx, site, capture("bf"))
	if err != nil || retry.Created || retry.LeadID != first.LeadID || retry.ContactID != first.ContactID {
		t.Fatalf("retry of the same body: %+v, %v; want the first lead, not created", retry, err)
	}
	if ops := rec.take(); !slices.Equal(ops, []string{"TransactWriteItems"}) {
		t.Errorf("a retry cost %v, want the one cancelled TransactWriteItems", ops)
	}

	again, err := uc.Capture(ctx, site, capture("retarget"))
	if err != nil || again.Created || again.LeadID != first.LeadID {
		t.Fatalf("same person, new touch: %+v, %v; want an append to %s", again, err, first.LeadID)
	}
	if ops := rec.take(); !slices.Equal(ops, []string{"TransactWriteItems", "GetItem", "TransactWriteItems"}) {
		t.Errorf("a known person cost %v, want the cancelled transaction, a read of the lead and the append", ops)
	}
	l, err := st.Lead(ctx, tenant, first.LeadID)
	if err != nil {
		t.Fatal(err)
	}
	if l.Interactions != 2 || l.FirstTouch.UTMCampaign != "bf" || l.LastTouch.UTMCampaign != "retarget" || l.Version != 2 {
		t.Errorf("lead after the append: interactions %d, first %q, last %q, version %d; want 2, bf, retarget, 2",
			l.Interactions, l.FirstTouch.UTMCampaign, l.LastTouch.UTMCampaign, l.Version)
	}
}
