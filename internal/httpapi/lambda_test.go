package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/auth"
	"github.com/leadflow/leadflow/internal/httpapi"
	jobsrec "github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/openapi"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/s3store"
	"github.com/leadflow/leadflow/internal/testenv"
)

const eventLeadPlaceholder = "ld_01jd3k7q9m2x4v6b8n0p2r4t6w"

// loadEvent reads a sample from events/, with the placeholder lead id
// replaced by a real one.
func loadEvent(t *testing.T, name, leadID string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	must(t, err)
	if leadID != "" {
		b = []byte(strings.ReplaceAll(string(b), eventLeadPlaceholder, leadID))
	}
	var ev events.APIGatewayV2HTTPRequest
	must(t, json.Unmarshal(b, &ev))
	return ev
}

// The sample events go through the same adapter Lambda uses, into the
// handlers each function serves, against a real table: what `sam local
// invoke -e events/...` would do, without Docker.
func TestSampleEventsThroughTheLambdaAdapter(t *testing.T) {
	ctx := context.Background()
	store := testenv.Store(t)
	now := time.Now().UTC()
	must(t, store.PutAccount(ctx, account.Account{ID: "demo", Name: "Demo", Country: "BR",
		SubStates: map[string][]string{"in_progress": {"proposta_enviada"}}, CreatedAt: now}))
	must(t, store.PutSite(ctx, account.Site{ID: "site_demo", TenantID: "demo", Key: "demo-site-key", Country: "BR",
		AllowedOrigins: []string{"https://loja.exemplo.com.br"}, RateLimitPerMinute: 100, CreatedAt: now}))

	// The console samples' authorizer claims name this admin; the API-key
	// sample carries this key.
	must(t, store.PutUser(ctx, account.User{ID: "8c1f5e2a-3b4d-4e6f-9a0b-1c2d3e4f5a6b", TenantID: "demo", Name: "Marina Alves",
		Role: account.RoleAdmin, Active: true, CreatedAt: now}))
	must(t, store.CreateAPIKey(ctx, account.APIKey{ID: "ak_demo", TenantID: "demo", Name: "sample events",
		Scopes: []account.Scope{account.ScopeLeadsWrite, account.ScopeInteractionsWrite}, Hash: account.HashAPIKey("lfk_demo-api-key"), CreatedAt: now}))
	// The ads samples are signed / keyed with these demo secrets.
	must(t, store.PutAdsSecrets(ctx, account.AdsSecrets{TenantID: "demo", SiteID: "site_demo",
		MetaAppSecret: "demo-meta-app-secret", MetaVerifyToken: "demo-meta-verify-token", GoogleKey: "demo-google-key"}))
	qURL, err := queue.CreateQueue(ctx, testenv.SQS(t), testenv.UniqueName("jobs"), testenv.UniqueName("dlq"))
	must(t, err)
	jobs := queue.New(testenv.SQS(t), qURL)

	deps := httpapi.Deps{Sites: store, Captures: store, Accounts: store, Leads: store, APIKeys: store,
		AdsSecrets: store, Queue: jobs, Reports: store,
		Imports: store, JobRecords: store, JobStarter: jobsrec.QueueStarter{Queue: jobs},
		Auth: auth.FromAuthorizer{}, Health: []httpapi.Pinger{store}, OpenAPI: openapi.Document(), Settings: store}
	bucket := strings.ToLower(testenv.UniqueName("uploads"))
	must(t, s3store.Create(ctx, testenv.S3(t), bucket))
	deps.ImportUploads = s3store.NewUploads(testenv.S3(t), bucket)
	// The CaptureFunction gets only what app.CaptureDeps gives it.
	captureDeps := httpapi.Deps{Sites: store, Captures: store, AdsSecrets: store, Queue: jobs, Health: []httpapi.Pinger{store}, APIKeys: store,
		Interactions: store, Accounts: store, OriginVerifySecret: "demo-origin-verify-secret"}
	captureFn := httpadapter.NewV2(httpapi.NewCapture(captureDeps)).ProxyWithContext
	apiFn := httpadapter.NewV2(httpapi.NewAPI(deps)).ProxyWithContext

	invoke := func(fn func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error),
		name, leadID string, want int) events.APIGatewayV2HTTPResponse {
		t.Helper()
		resp, err := fn(ctx, loadEvent(t, name, leadID))
		must(t, err)
		if resp.StatusCode != want {
			t.Fatalf("%s: status %d, want %d: %s", name, resp.StatusCode, want, resp.Body)
		}
		return resp
	}

	// A server capture (account API key) answers the lead's ids.
	created := invoke(captureFn, "capture-lead-api-key.json", "", http.StatusCreated)
	var res struct {
		LeadID string `json:"lead_id"`
	}
	must(t, json.Unmarshal([]byte(created.Body), &res))
	invoke(captureFn, "capture-form.json", "", http.StatusSeeOther)
	pre := invoke(captureFn, "capture-preflight.json", "", http.StatusNoContent)
	if pre.Headers["Access-Control-Allow-Origin"] != "https://loja.exemplo.com.br" {
		t.Errorf("preflight headers: %v", pre.Headers)
	}
	invoke(captureFn, "healthz.json", "", http.StatusOK)
	if v := invoke(captureFn, "capture-meta-verify.json", "", http.StatusOK); v.Body != "1158201444" {
		t.Errorf("Meta verification echoed %q", v.Body)
	}
	invoke(captureFn, "capture-meta.json", "", http.StatusOK)
	// Captures enqueue assignment jobs too; exactly one job fetches the Meta
	// lead. SQS may answer a receive with fewer messages than it holds.
	var received []sqstypes.Message
	for empty := 0; empty < 2; {
		msgs, err := testenv.SQS(t).ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &qURL, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		must(t, err)
		if len(msgs.Messages) == 0 {
			empty++
		}
		received = append(received, msgs.Messages...)
	}
	fetches := 0
	for _, m := range received {
		job, err := queue.Decode(*m.Body)
		must(t, err)
		if job.Type == jobsrec.TypeFetchMetaLead {
			fetches++
			if !strings.Contains(string(job.Payload), "444444444444") {
				t.Errorf("fetch job payload %s does not name leadgen 444444444444", job.Payload)
			}
		}
	}
	if fetches != 1 {
		t.Errorf("Meta post enqueued %d fetch jobs, want 1", fetches)
	}
	invoke(captureFn, "capture-google-ads.json", "", http.StatusOK)
	invoke(apiFn, "report-attribution.json", "", http.StatusOK)
	imp := invoke(apiFn, "import-create.json", "", http.StatusAccepted)
	if !strings.Contains(imp.Body, `"rows":2`) || !strings.Contains(imp.Body, `"delimiter":";"`) {
		t.Errorf("import: %s", imp.Body)
	}
	if up := invoke(apiFn, "import-upload-create.json", "", http.StatusCreated); !strings.Contains(up.Body, "/imports/demo/upl_") {
		t.Errorf("upload: %s", up.Body)
	}

	// Console routes read the claims API Gateway's JWT authorizer verified.
	invoke(apiFn, "lead-patch.json", res.LeadID, http.StatusOK)
	invoke(apiFn, "note-create.json", res.LeadID, http.StatusCreated)
	invoke(apiFn, "history-get.json", res.LeadID, http.StatusOK)
	got := invoke(apiFn, "lead-get.json", res.LeadID, http.StatusOK)
	var lead struct {
		State      string `json:"state"`
		Rating     int    `json:"rating"`
		Navigation struct {
			IP      string `json:"ip"`
			Country string `json:"country"`
		} `json:"navigation"`
		Notes []any `json:"notes"`
	}
	must(t, json.Unmarshal([]byte(got.Body), &lead))
	capEv := loadEvent(t, "capture-lead.json", "")
	if lead.Navigation.IP != capEv.RequestContext.HTTP.SourceIP {
		t.Errorf("navigation.ip = %q, want the event's sourceIp %q", lead.Navigation.IP, capEv.RequestContext.HTTP.SourceIP)
	}
	if lead.Navigation.Country != capEv.Headers["cloudfront-viewer-country"] || lead.Rating != 4 || lead.State != "in_progress" || len(lead.Notes) != 1 {
		t.Errorf("lead after events: %s", got.Body)
	}
	// An integration's interaction (its e-mail is the lead's): new, then the
	// same delivery again.
	invoke(captureFn, "capture-interaction.json", "", http.StatusCreated)
	if again := invoke(captureFn, "capture-interaction.json", "", http.StatusOK); !strings.Contains(again.Body, `"lead_id":"`+res.LeadID+`"`) {
		t.Errorf("the interaction did not find its lead: %s", again.Body)
	}

	// The public capture (site key only) answers no ids.
	if pub := invoke(captureFn, "capture-lead.json", "", http.StatusAccepted); pub.Body != "{\"accepted\":true}\n" {
		t.Errorf("public capture answered %q", pub.Body)
	}
	// Settings: the account's sub-states with labels; a new site key, after
	// which the old one captures nothing.
	if acct := invoke(apiFn, "account-patch.json", "", http.StatusOK); !strings.Contains(acct.Body, `"label":"Negociação"`) {
		t.Errorf("account patch: %s", acct.Body)
	}
	if rot := invoke(apiFn, "site-rotate-key.json", "", http.StatusOK); !strings.Contains(rot.Body, `"key":"pk_`) {
		t.Errorf("rotate key: %s", rot.Body)
	}
	invoke(captureFn, "capture-lead.json", "", http.StatusUnauthorized)

	// Each function serves only its own routes.
	invoke(captureFn, "lead-get.json", res.LeadID, http.StatusNotFound)
	// A console event without authorizer claims is refused, never trusted.
	ev := loadEvent(t, "lead-get.json", res.LeadID)
	ev.RequestContext.Authorizer = nil
	resp, err := apiFn(ctx, ev)
	must(t, err)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no claims: status %d, want 401", resp.StatusCode)
	}
}
