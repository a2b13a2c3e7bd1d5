package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Every new lead gets exactly one assign job, whatever path captured it; a
// repeat capture of the same person gets none.
func TestAssigningCapturesEnqueuesOnlyNewLeads(t *testing.T) {
	ctx := context.Background()
	st := testenv.Store(t)
	client := testenv.SQS(t)
	name := testenv.UniqueName("jobs")
	url, err := queue.CreateQueue(ctx, client, name, name+"-dlq")
	if err != nil {
		t.Fatal(err)
	}
	site := account.Site{ID: "site_a", TenantID: "ta", Key: testenv.UniqueName("pk"), Country: "BR", RateLimitPerMinute: 100}
	if err := st.PutSite(ctx, site); err != nil {
		t.Fatal(err)
	}
	caps := jobs.AssigningCaptures{Capturer: st, Queue: queue.New(client, url)}
	now := time.Now().UTC()
	c := lead.Capture{SiteID: site.ID, Name: "Ana", Contact: lead.Contact{Email: "ana@example.com"},
		Touch: lead.Touch{At: now, EntryMethod: lead.EntryMetaLeadAds, SiteID: site.ID, IP: "10.0.0.1"}}
	first, err := caps.Capture(ctx, site, c)
	if err != nil || !first.Created {
		t.Fatalf("first capture: %+v %v", first, err)
	}
	if again, err := caps.Capture(ctx, site, c); err != nil || again.Created {
		t.Fatalf("repeat capture: %+v %v", again, err)
	}

	var got []queue.Job
	for empty := 0; empty < 2; {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			empty++
		}
		for _, m := range out.Messages {
			j, err := queue.Decode(*m.Body)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, j)
		}
	}
	if len(got) != 1 || got[0].Type != jobs.TypeAssign || got[0].TenantID != "ta" || got[0].ID != "assign:"+first.LeadID {
		t.Fatalf("jobs = %+v, want one assign job for %s", got, first.LeadID)
	}
}
