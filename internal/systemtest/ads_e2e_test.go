package systemtest_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/ads"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/testenv"
	"github.com/leadflow/leadflow/internal/worker"
)

// lockedBuffer collects log output from concurrent handlers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The example notification of Meta's "Webhooks for Leadgen" guide (ids as
// JSON numbers, as the guide shows them), with one leadgen id of ours.
const metaNotification = `{
  "object": "page",
  "entry": [
    {
      "id": "153125381133",
      "time": 1438292065,
      "changes": [
        {
          "field": "leadgen",
          "value": {
            "leadgen_id": 444444444444444444,
            "page_id": 153125381133,
            "form_id": 1234512345,
            "adgroup_id": 6798698439993,
            "ad_id": 6798698439994,
            "created_time": 1440120384
          }
        }
      ]
    }
  ]
}`

// The lead object of Meta's "Retrieving Leads" guide, with the ad fields
// the guide lists (ad_name, adset_*, campaign_*, is_organic, platform).
const graphLead = `{
  "created_time": "2015-02-28T08:49:14+0000",
  "id": "444444444444444444",
  "ad_id": "6798698439994",
  "ad_name": "Honda Civic 2026 - carrossel",
  "adset_id": "6798698439993",
  "adset_name": "SP 25-45",
  "campaign_id": "23851234567890123",
  "campaign_name": "Lancamento Civic",
  "form_id": "1234512345",
  "is_organic": false,
  "platform": "ig",
  "field_data": [
    {"name": "car_make", "values": ["Honda"]},
    {"name": "full_name", "values": ["Joe Example"]},
    {"name": "email", "values": ["Joe@Example.com"]},
    {"name": "phone_number", "values": ["+5511912340001"]},
    {"name": "selected_dealer", "values": ["99213450"]},
    {"name": "Qual o melhor horário?", "values": ["manhã", "tarde"]}
  ]
}`

// graphStandIn answers GET /v21.0/{id} like the Graph API: the lead for a
// known id with the right bearer token, documented OAuth and "object does
// not exist" errors otherwise, or a 500 while failing is set.
type graphStandIn struct {
	*httptest.Server
	token   string
	mu      sync.Mutex
	failing bool
	status  int // the failing answer's HTTP status (500 unless set)
	code    int // and its Graph error code (1 unless set)
	calls   int
}

func newGraph(t *testing.T, token string) *graphStandIn {
	g := &graphStandIn{token: token}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.calls++
		failing, status, code := g.failing, cmp.Or(g.status, http.StatusInternalServerError), cmp.Or(g.code, 1)
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case failing:
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error":{"message":"An unknown error has occurred.","type":"OAuthException","code":%d,"fbtrace_id":"AbCdEf"}}`, code)
		case r.Header.Get("Authorization") != "Bearer "+g.token || r.URL.Query().Has("access_token"):
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190,"fbtrace_id":"AbCdEf"}}`)
		case r.URL.Path == "/v21.0/444444444444444444" && strings.Contains(r.URL.Query().Get("fields"), "field_data"):
			fmt.Fprint(w, graphLead)
		default:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":{"message":"Unsupported get request. Object with ID '%s' does not exist","type":"GraphMethodException","code":100,"error_subcode":33,"fbtrace_id":"AbCdEf"}}`, strings.TrimPrefix(r.URL.Path, "/v21.0/"))
		}
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *graphStandIn) fail(on bool) { g.failWith(on, 0, 0) }

// failWith makes every answer fail with status and Graph code (0: 500, 1).
func (g *graphStandIn) failWith(on bool, status, code int) {
	g.mu.Lock()
	g.failing, g.status, g.code = on, status, code
	g.mu.Unlock()
}

type adsFixture struct {
	*stack
	secrets account.AdsSecrets
	sqs     *sqs.Client
	url     string
	dlq     string
	graph   *graphStandIn
	fetcher *ads.MetaFetcher
}

func newAdsFixture(t *testing.T) *adsFixture {
	t.Helper()
	s := newStack(t)
	ctx := context.Background()
	f := &adsFixture{stack: s, secrets: account.AdsSecrets{
		TenantID: s.tenant, SiteID: s.site.ID,
		MetaAppSecret: "meta-app-secret-" + testenv.UniqueName("x"), MetaVerifyToken: "verify-" + testenv.UniqueName("v"),
		MetaPageToken: "EAAB-page-token-" + testenv.UniqueName("p"), GoogleKey: "google-key-" + testenv.UniqueName("g"),
	}}
	must(t, s.store.PutAdsSecrets(ctx, f.secrets))
	f.sqs = testenv.SQS(t)
	name := testenv.UniqueName("jobs")
	url, err := queue.CreateQueue(ctx, f.sqs, name, name+"-dlq")
	must(t, err)
	dlq, err := f.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name + "-dlq")})
	must(t, err)
	f.url, f.dlq = url, aws.ToString(dlq.QueueUrl)
	s.jobs = queue.New(f.sqs, url)
	f.graph = newGraph(t, f.secrets.MetaPageToken)
	f.fetcher = &ads.MetaFetcher{
		Sites: s.store, Captures: s.store, Tokens: ads.StoreTokens{Secrets: s.store},
		Graph: ads.NewGraph(f.graph.URL + "/v21.0"), Logger: slogTo(s.logs),
	}
	return f
}

// postMeta posts a body as Meta would, signed with secret ("" = unsigned).
func (f *adsFixture) postMeta(body, secret string) response {
	f.t.Helper()
	var hdr []string
	if secret != "" {
		hdr = append(hdr, "X-Hub-Signature-256: "+ads.Sign(secret, []byte(body)))
	}
	return f.call("POST", "/v1/capture/meta/"+f.site.Key, "", body, append(hdr, "Content-Type: application/json")...)
}

// nextJob receives one job (waiting up to wait seconds); ok is false when
// the queue stayed empty.
func (f *adsFixture) nextJob(url string, wait int32) (queue.Job, *string, bool) {
	f.t.Helper()
	out, err := f.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), WaitTimeSeconds: wait, MaxNumberOfMessages: 1,
	})
	must(f.t, err)
	if len(out.Messages) == 0 {
		return queue.Job{}, nil, false
	}
	j, err := queue.Decode(aws.ToString(out.Messages[0].Body))
	must(f.t, err)
	return j, out.Messages[0].ReceiptHandle, true
}

func (f *adsFixture) done(receipt *string) {
	_, err := f.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(f.url), ReceiptHandle: receipt})
	must(f.t, err)
}

// assertNoSecrets checks that no secret reached the logs or text.
func (f *adsFixture) assertNoSecrets(texts ...string) {
	f.t.Helper()
	texts = append(texts, f.logs.String())
	for _, txt := range texts {
		for _, sec := range []string{f.secrets.MetaAppSecret, f.secrets.MetaVerifyToken, f.secrets.MetaPageToken, f.secrets.GoogleKey} {
			if strings.Contains(txt, sec) {
				f.t.Errorf("a secret leaked into logs or an answer:\n%s", txt)
			}
		}
	}
}

func TestMetaWebhookVerification(t *testing.T) {
	f := newAdsFixture(t)
	path := "/v1/capture/meta/" + f.site.Key + "?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token="
	r := f.expect(f.call("GET", path+f.secrets.MetaVerifyToken, "", nil), http.StatusOK)
	if string(r.body) != "1158201444" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Errorf("challenge echo %q (%s)", r.body, r.header.Get("Content-Type"))
	}
	f.expect(f.call("GET", path+"wrong", "", nil), http.StatusForbidden)
	f.expect(f.call("GET", strings.Replace(path, "subscribe", "unsubscribe", 1)+f.secrets.MetaVerifyToken, "", nil), http.StatusForbidden)
	f.expect(f.call("GET", "/v1/capture/meta/nope?hub.mode=subscribe&hub.challenge=1&hub.verify_token=x", "", nil), http.StatusUnauthorized)
	// A site without ads secrets can't be subscribed.
	f.expect(f.call("GET", "/v1/capture/meta/"+f.otherSite.Key+"?hub.mode=subscribe&hub.challenge=1&hub.verify_token=", "", nil), http.StatusForbidden)
	f.assertNoSecrets()
}

func TestMetaLeadAdsEndToEnd(t *testing.T) {
	f := newAdsFixture(t)
	ctx := context.Background()

	// Bad signatures: refused, nothing enqueued.
	f.expect(f.postMeta(metaNotification, ""), http.StatusUnauthorized)
	f.expect(f.postMeta(metaNotification, "not-the-app-secret"), http.StatusForbidden)
	f.expect(f.call("POST", "/v1/capture/meta/"+f.site.Key, "", metaNotification, "X-Hub-Signature-256: sha256=zz"), http.StatusForbidden)
	tampered := strings.Replace(metaNotification, "444444444444444444", "444444444444444445", 1)
	f.expect(f.call("POST", "/v1/capture/meta/"+f.site.Key, "", tampered,
		"X-Hub-Signature-256: "+ads.Sign(f.secrets.MetaAppSecret, []byte(metaNotification))), http.StatusForbidden)
	if j, _, ok := f.nextJob(f.url, 1); ok {
		t.Fatalf("a refused webhook enqueued %+v", j)
	}

	// The documented notification: 200 at once, one job per leadgen id.
	r := f.expect(f.postMeta(metaNotification, f.secrets.MetaAppSecret), http.StatusOK)
	if r.json(t)["received"] != float64(1) {
		t.Errorf("answer %s", r.body)
	}
	job, receipt, ok := f.nextJob(f.url, 2)
	if !ok {
		t.Fatal("no fetch_meta_lead job")
	}
	if job.Type != jobs.TypeFetchMetaLead || job.TenantID != f.tenant || job.ID != "meta:"+f.site.ID+":444444444444444444" {
		t.Errorf("job %+v", job)
	}
	res, err := f.fetcher.Fetch(ctx, job)
	if err != nil || !res.Created {
		t.Fatalf("fetch: %+v %v", res, err)
	}
	f.done(receipt)

	d := f.expect(f.call("GET", "/v1/leads/"+res.LeadID, f.admin, nil), http.StatusOK).json(t)
	for path, want := range map[string]any{
		"name": "Joe Example", "entry_method": "meta_lead_ads", "state": "new",
		"contact.email": "joe@example.com", "contact.phone": "+5511912340001",
		"contact.attributes.car_make": "Honda", "contact.attributes.selected_dealer": "99213450",
		"contact.attributes.qual_o_melhor_hor_rio": "manhã, tarde",
		"navigation.first_touch.entry_method":      "meta_lead_ads", "navigation.first_touch.ad_platform": "instagram",
		"navigation.first_touch.utm_source": "instagram", "navigation.first_touch.utm_medium": "paid_social",
		"navigation.first_touch.utm_campaign": "Lancamento Civic", "navigation.first_touch.utm_content": "Honda Civic 2026 - carrossel",
		"navigation.first_touch.campaign_id": "23851234567890123", "navigation.first_touch.campaign_name": "Lancamento Civic",
		"navigation.first_touch.ad_group_id": "6798698439993", "navigation.first_touch.ad_group_name": "SP 25-45",
		"navigation.first_touch.ad_id": "6798698439994", "navigation.first_touch.form_id": "1234512345",
		"navigation.first_touch.ad_lead_id": "444444444444444444", "navigation.first_touch.first_contact_at": "2015-02-28T08:49:14Z",
		"interactions": float64(1),
	} {
		if got := field(d, path); got != want {
			t.Errorf("%s = %#v, want %#v", path, got, want)
		}
	}
	history := len(d["history"].([]any))

	// Meta redelivers the same notification: the job runs again and stores
	// nothing new.
	f.expect(f.postMeta(metaNotification, f.secrets.MetaAppSecret), http.StatusOK)
	job, receipt, ok = f.nextJob(f.url, 2)
	if !ok {
		t.Fatal("no job for the redelivery")
	}
	again, err := f.fetcher.Fetch(ctx, job)
	if err != nil || again.Created || again.LeadID != res.LeadID {
		t.Fatalf("replay: %+v %v", again, err)
	}
	f.done(receipt)
	d = f.expect(f.call("GET", "/v1/leads/"+res.LeadID, f.admin, nil), http.StatusOK).json(t)
	if d["interactions"] != float64(1) || len(d["history"].([]any)) != history {
		t.Errorf("replay stored something: interactions %v, history %d → %d", d["interactions"], history, len(d["history"].([]any)))
	}

	// The lead counts in the attribution report under its campaign.
	rep := f.expect(f.call("GET", "/v1/reports/attribution?group_by=source,campaign", f.agent, nil), http.StatusOK).json(t)
	rows := rep["rows"].([]any)
	if len(rows) != 1 || field(rows[0].(map[string]any), "campaign") != "Lancamento Civic" || field(rows[0].(map[string]any), "leads") != float64(1) {
		t.Errorf("report rows %v", rows)
	}
	f.assertNoSecrets(string(f.call("GET", "/v1/leads/"+res.LeadID, f.admin, nil).body))
}

// Issue 10, finding 7: a Graph API 4xx other than a rate limit (an unknown
// lead, a bad token) cannot be fixed by retrying: the worker acknowledges
// the job with a logged reason instead of walking it into the dead-letter
// queue. Outages and rate limits are still retried.
func TestMetaGraphClientErrorsArePermanentOutagesRetry(t *testing.T) {
	f := newAdsFixture(t)
	ctx := context.Background()
	w := &worker.Worker{Leads: f.store, Accounts: f.store, Assignment: f.store, Logger: slogTo(f.logs),
		Extra: map[string]jobs.Handler{jobs.TypeFetchMetaLead: f.fetcher.Handle}}
	unknown := strings.Replace(metaNotification, "444444444444444444", "555555555555555555", 1)
	f.expect(f.postMeta(unknown, f.secrets.MetaAppSecret), http.StatusOK)

	// An id the Graph API does not know (HTTP 400, code 100): received
	// once, acknowledged, never dead-lettered.
	out, err := f.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(f.url), WaitTimeSeconds: 2, MaxNumberOfMessages: 1,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
	must(t, err)
	if len(out.Messages) != 1 {
		t.Fatal("no fetch_meta_lead job")
	}
	msg := out.Messages[0]
	resp, err := w.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{{MessageId: aws.ToString(msg.MessageId), Body: aws.ToString(msg.Body)}}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("a Graph 400 was reported for retry: %+v %v", resp.BatchItemFailures, err)
	}
	f.done(msg.ReceiptHandle) // what the Lambda runtime does for a success
	if !strings.Contains(f.logs.String(), "dropping job that cannot succeed") || !strings.Contains(f.logs.String(), "code 100") {
		t.Errorf("the reason was not logged:\n%s", f.logs.String())
	}
	if j, _, ok := f.nextJob(f.url, 1); ok {
		t.Errorf("the job came back: %+v", j)
	}
	if j, _, ok := f.nextJob(f.dlq, 1); ok {
		t.Errorf("the job reached the dead-letter queue: %+v", j)
	}

	job := jobs.FetchMetaLead(f.tenant, jobs.FetchMetaLeadPayload{SiteID: f.site.ID, LeadgenID: "444444444444444444"})
	job.ID = "j"
	var ge *ads.GraphError
	for _, c := range []struct {
		name         string
		status, code int
		permanent    bool
	}{
		{"outage", 500, 1, false},
		{"429", 429, 1, false},
		{"rate limit code as 400", 400, 4, false},
		{"missing permission", 403, 200, true},
	} {
		f.graph.failWith(true, c.status, c.code)
		err := f.fetcher.Handle(ctx, job)
		if !errors.As(err, &ge) || ge.Status != c.status || jobs.IsPermanent(err) != c.permanent {
			t.Errorf("%s: %v (permanent %v), want permanent %v", c.name, err, jobs.IsPermanent(err), c.permanent)
		}
	}
	f.graph.fail(false)
	bad := *f.fetcher
	bad.Tokens = staticToken("EAAB-wrong")
	if err := bad.Handle(ctx, job); !errors.As(err, &ge) || ge.Code != 190 || !jobs.IsPermanent(err) {
		t.Errorf("bad token: %v, want a permanent code 190", err)
	}
	// A site without a page token is an error too (the job waits for one).
	must(t, f.store.PutAdsSecrets(ctx, account.AdsSecrets{TenantID: f.tenant, SiteID: f.site.ID, MetaAppSecret: f.secrets.MetaAppSecret}))
	if err := f.fetcher.Handle(ctx, job); !errors.Is(err, ads.ErrNoPageToken) || jobs.IsPermanent(err) {
		t.Errorf("no token: %v", err)
	}
	f.assertNoSecrets()
}

// Issue 10, finding 7: a signed leadgen_id that is not a Meta id (it would
// go into a Graph API URL path) is refused at the webhook, naming the
// field; the signature is still checked first.
func TestMetaWebhookRefusesANonNumericLeadgenID(t *testing.T) {
	f := newAdsFixture(t)
	body := strings.Replace(metaNotification, "444444444444444444", `"../../../etc/passwd"`, 1)
	f.expect(f.postMeta(body, ""), http.StatusUnauthorized)
	f.expect(f.postMeta(body, "not-the-app-secret"), http.StatusForbidden)
	r := f.expect(f.postMeta(body, f.secrets.MetaAppSecret), http.StatusBadRequest)
	if errs := fieldErrors(t, r); errs["entry[0].changes[0].value.leadgen_id"] != "invalid" {
		t.Errorf("errors %v, want entry[0].changes[0].value.leadgen_id invalid", errs)
	}
	if j, _, ok := f.nextJob(f.url, 1); ok {
		t.Fatalf("a refused webhook enqueued %+v", j)
	}
	f.graph.mu.Lock()
	defer f.graph.mu.Unlock()
	if f.graph.calls != 0 {
		t.Errorf("the Graph API was called %d times", f.graph.calls)
	}
}

type staticToken string

func (s staticToken) PageToken(context.Context, string, string) (string, error) {
	return string(s), nil
}

// googleLead is the sample lead of Google's lead-form webhook guide, with
// this site's key.
func googleLead(leadID, key string, test bool, email string) string {
	phone := "+16505550123" // the guide's
	if !test {
		phone = "+16505550188" // another person than the guide's test lead
	}
	return fmt.Sprintf(`{
  "lead_id": %q,
  "user_column_data": [
    {"column_name": "Full Name", "string_value": "FirstName LastName", "column_id": "FULL_NAME"},
    {"column_name": "User Phone", "string_value": %q, "column_id": "PHONE_NUMBER"},
    {"column_name": "User Email", "string_value": %q, "column_id": "EMAIL"},
    {"column_name": "Postal Code", "string_value": "94043", "column_id": "POSTAL_CODE"},
    {"column_name": "Company Name", "string_value": "Example Inc.", "column_id": "COMPANY_NAME"},
    {"column_name": "Job Title", "string_value": "Manager", "column_id": "JOB_TITLE"},
    {"column_name": "What is your budget?", "string_value": "10k", "column_id": "BUDGET_QUESTION"}
  ],
  "api_version": "1.0",
  "form_id": 40000000000,
  "campaign_id": 9223372036854775807,
  "google_key": %q,
  "is_test": %t,
  "gcl_id": "TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz-0123456789-AaBbCcDdEeFfGgHhIiJjKkLl",
  "adgroup_id": 30000000000,
  "creative_id": 50000000000,
  "some_future_field": {"ignored": true}
}`, leadID, phone, email, key, test)
}

func TestGoogleAdsLeadForm(t *testing.T) {
	f := newAdsFixture(t)
	post := func(body string) response {
		return f.call("POST", "/v1/capture/google-ads/"+f.site.Key, "", body, "Content-Type: application/json")
	}
	key := f.secrets.GoogleKey

	// Wrong or missing key: refused and nothing stored (the same lead_id
	// and e-mail are new afterwards).
	f.expect(post(googleLead("L-1", "wrong-key", false, "real@example.com")), http.StatusForbidden)
	f.expect(post(googleLead("L-1", "", false, "real@example.com")), http.StatusUnauthorized)
	f.expect(f.call("POST", "/v1/capture/google-ads/nope", "", googleLead("L-1", key, false, "real@example.com")), http.StatusUnauthorized)
	f.expect(post(`{"lead_id": "x", "google_key": `), http.StatusBadRequest)

	real := f.expect(post(googleLead("L-1", key, false, "real@example.com")), http.StatusOK).json(t)
	if real["created"] != true {
		t.Fatalf("first delivery: %v", real)
	}
	id := real["lead_id"].(string)
	d := f.expect(f.call("GET", "/v1/leads/"+id, f.admin, nil), http.StatusOK).json(t)
	for path, want := range map[string]any{
		"name": "FirstName LastName", "entry_method": "google_ads",
		"contact.email": "real@example.com", "contact.phone": "+16505550188",
		"contact.attributes.postal_code": "94043", "contact.attributes.company": "Example Inc.",
		"contact.attributes.job_title": "Manager", "contact.attributes.budget_question": "10k",
		"navigation.first_touch.utm_source": "google", "navigation.first_touch.utm_medium": "cpc",
		"navigation.first_touch.utm_campaign": "9223372036854775807", "navigation.first_touch.campaign_id": "9223372036854775807",
		"navigation.first_touch.ad_group_id": "30000000000", "navigation.first_touch.ad_id": "50000000000",
		"navigation.first_touch.form_id": "40000000000", "navigation.first_touch.ad_lead_id": "L-1",
		"navigation.first_touch.gclid":       "TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz-0123456789-AaBbCcDdEeFfGgHhIiJjKkLl",
		"navigation.first_touch.ad_platform": "google", "test": nil,
	} {
		if got := field(d, path); got != want {
			t.Errorf("%s = %#v, want %#v", path, got, want)
		}
	}

	// Google retries deliveries: a replay is 200 and stores nothing new.
	again := f.expect(post(googleLead("L-1", key, false, "real@example.com")), http.StatusOK).json(t)
	if again["created"] != false || again["lead_id"] != id {
		t.Errorf("replay: %v", again)
	}
	if d := f.expect(f.call("GET", "/v1/leads/"+id, f.admin, nil), http.StatusOK).json(t); d["interactions"] != float64(1) {
		t.Errorf("replay counted an interaction: %v", d["interactions"])
	}

	// The guide's test lead (is_test true): stored, flagged, not reported.
	test := f.expect(post(googleLead("TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz-0123456789-AaBbCcDdEeFfGgHhIiJjKkLl", key, true, "test@example.com")), http.StatusOK).json(t)
	if test["created"] != true {
		t.Fatalf("test lead: %v", test)
	}
	if d := f.expect(f.call("GET", "/v1/leads/"+test["lead_id"].(string), f.admin, nil), http.StatusOK).json(t); d["test"] != true {
		t.Errorf("test lead not flagged: %v", d["test"])
	}
	rep := f.expect(f.call("GET", "/v1/reports/attribution?group_by=source,medium,campaign,site&touch=last", f.admin, nil), http.StatusOK).json(t)
	if field(rep, "totals.leads") != float64(1) {
		t.Errorf("report counts %v leads, want 1 (the test lead is left out): %v", field(rep, "totals.leads"), rep)
	}
	f.assertNoSecrets()
}

func TestAttributionReportRoute(t *testing.T) {
	s := newStack(t)
	body := func(ext, email, campaign string) map[string]any {
		b := chatbotBody(ext, email)
		delete(b["contact"].(map[string]any), "phone") // three different people
		delete(b["contact"].(map[string]any), "whatsapp")
		b["navigation"].(map[string]any)["page_url"] = "https://shop.example.com/?utm_source=google&utm_medium=cpc&utm_campaign=" + campaign
		return b
	}
	a := s.expect(s.capture(body("c-1", "a1@example.com", "bf2026"), "Origin: https://shop.example.com"), http.StatusCreated).json(t)["lead_id"].(string)
	b := s.expect(s.capture(body("c-2", "a2@example.com", "bf2026"), "Origin: https://shop.example.com"), http.StatusCreated).json(t)["lead_id"].(string)
	s.expect(s.capture(body("c-3", "a3@example.com", "verao"), "Origin: https://shop.example.com"), http.StatusCreated)
	s.expect(s.call("PATCH", "/v1/leads/"+a, s.agent, map[string]any{"state": "sale"}, `If-Match: "1"`), http.StatusOK)
	s.expect(s.call("PATCH", "/v1/leads/"+b, s.agent, map[string]any{"state": "in_progress"}, `If-Match: "1"`), http.StatusOK)

	today := time.Now().UTC().Format("2006-01-02")
	r := s.expect(s.call("GET", "/v1/reports/attribution?from="+today+"&to="+today+"&group_by=campaign&touch=first&interval=day", s.agent, nil), http.StatusOK).json(t)
	rows := r["rows"].([]any)
	if len(rows) != 2 {
		t.Fatalf("rows %v", rows)
	}
	top := rows[0].(map[string]any)
	for path, want := range map[string]any{
		"day": today, "campaign": "bf2026", "leads": float64(2), "sales": float64(1), "conversion_rate": 0.5,
		"by_state.sale": float64(1), "by_state.in_progress": float64(1), "by_state.new": float64(0),
	} {
		if got := field(top, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	if field(r, "totals.leads") != float64(3) || r["timezone"] != "UTC" {
		t.Errorf("report %v", r)
	}

	csv := s.expect(s.call("GET", "/v1/reports/attribution?group_by=campaign&format=csv", s.admin, nil), http.StatusOK)
	if !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") ||
		!strings.HasPrefix(string(csv.body), "campaign,leads,new,in_progress,sale,no_sale,sales,conversion_rate\nbf2026,2,0,1,1,0,1,0.5000\n") {
		t.Errorf("csv %s\n%s", csv.header.Get("Content-Type"), csv.body)
	}

	bad := s.expect(s.call("GET", "/v1/reports/attribution?from=nope&touch=middle&group_by=color&format=pdf", s.admin, nil), http.StatusBadRequest)
	if errs := fieldErrors(t, bad); errs["format"] != "not_allowed" {
		t.Errorf("errors %v", errs)
	}
	bad = s.expect(s.call("GET", "/v1/reports/attribution?from=nope&touch=middle&group_by=color", s.admin, nil), http.StatusBadRequest)
	if errs := fieldErrors(t, bad); errs["from"] != "invalid" || errs["touch"] != "not_allowed" || errs["group_by"] != "not_allowed" {
		t.Errorf("errors %v", errs)
	}
	s.expect(s.call("GET", "/v1/reports/attribution", "", nil), http.StatusUnauthorized)
	// Another tenant sees none of these leads.
	if other := s.expect(s.call("GET", "/v1/reports/attribution", s.other, nil), http.StatusOK).json(t); field(other, "totals.leads") != float64(0) {
		t.Errorf("other tenant: %v", other)
	}
}

func slogTo(w *lockedBuffer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
