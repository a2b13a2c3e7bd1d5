package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/httpapi"
	"github.com/leadflow/leadflow/internal/testenv"
	"github.com/leadflow/leadflow/internal/testkit/faults"
)

// Under 30 % injected DynamoDB failures (throttling and 5xx, half of them
// after the write happened), 1,000 captures of 700 people end with every
// capture either stored exactly once or answered 503 + Retry-After: never a
// 2xx for a lead that is not stored, never a second lead for a person, never
// a capture counted twice. Verified with a fault-free client on the same
// table.
func TestCapturesUnderInjectedFaultsAreStoredOnceOrRetryable(t *testing.T) {
	ctx := context.Background()
	clean := testenv.DynamoDB(t)
	table := testenv.UniqueName("faults")
	must(t, dynamo.CreateTable(ctx, clean, table))
	tenant := testenv.UniqueName("tf")
	good := dynamo.New(clean, table)
	must(t, good.PutAccount(ctx, account.Account{ID: tenant, Name: "Faults", Country: "BR", CreatedAt: time.Now()}))
	site := account.Site{ID: "site_f", TenantID: tenant, Name: "F", Key: testenv.UniqueName("pk"), Country: "BR",
		RateLimitPerMinute: 1 << 30, CreatedAt: time.Now()}
	must(t, good.PutSite(ctx, site))
	// Server captures (API key): their answers carry the lead ids checked below.
	key, secret := account.NewAPIKey(tenant, "ak_f", "faults", []account.Scope{account.ScopeLeadsWrite}, "usr_admin", time.Now())
	key.RateLimitPerMinute = 1 << 30
	must(t, good.CreateAPIKey(ctx, key))

	inj := faults.New(faults.Config{Rate: 0.3, AfterShare: 0.5})
	// The production client's three attempts, short back-off to keep the
	// run quick, no client-side retry quota (30 % failures would drain it
	// and turn most retries into immediate 503s, hiding the retry path).
	faulty := dynamodb.New(clean.Options(), func(o *dynamodb.Options) {
		o.Retryer = retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.MaxBackoff = 20 * time.Millisecond
			o.RateLimiter = ratelimit.None
		})
		o.APIOptions = append(o.APIOptions, inj.AddTo)
	})
	var logs syncBuffer
	srv := httptest.NewServer(httpapi.NewCapture(httpapi.Deps{
		Sites: dynamo.New(faulty, table), Captures: dynamo.New(faulty, table), APIKeys: dynamo.New(faulty, table),
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
	}))
	defer srv.Close()

	const people, repeats = 700, 300
	order := make([]int, 0, people+repeats)
	for i := range people {
		order = append(order, i)
	}
	for i := range repeats {
		order = append(order, i*people/repeats)
	}
	rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })

	type answer struct {
		person int
		status int
		leadID string
		retry  string
	}
	answers := make([]answer, len(order))
	var wg sync.WaitGroup
	next := make(chan int)
	for range 32 {
		wg.Go(func() {
			for i := range next {
				p := order[i]
				body := fmt.Sprintf(`{"source":"api","contact":{"name":"Pessoa %d","email":"p%d@faults.example.com"}}`, p, p)
				req, _ := http.NewRequest("POST", srv.URL+"/v1/capture/leads", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Site-Key", site.Key)
				req.Header.Set("Authorization", "Bearer "+secret)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Errorf("capture %d: %v", i, err)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				a := answer{person: p, status: resp.StatusCode, retry: resp.Header.Get("Retry-After")}
				var res struct {
					LeadID string `json:"lead_id"`
				}
				if resp.StatusCode/100 == 2 {
					if err := json.Unmarshal(b, &res); err != nil || res.LeadID == "" {
						t.Errorf("capture %d: %d without a lead id: %s", i, resp.StatusCode, b)
					}
					a.leadID = res.LeadID
				}
				answers[i] = a
			}
		})
	}
	for i := range order {
		next <- i
	}
	close(next)
	wg.Wait()

	// What the table holds, read without faults.
	type stored struct {
		id           string
		interactions int64
	}
	leadsOf := map[string][]stored{} // e-mail → leads
	var start map[string]types.AttributeValue
	for {
		out, err := clean.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), ExclusiveStartKey: start,
			FilterExpression: aws.String("SK = :meta AND begins_with(PK, :lead)"), // interactions have META items too
			ExpressionAttributeValues: map[string]types.AttributeValue{":meta": &types.AttributeValueMemberS{Value: "META"},
				":lead": &types.AttributeValueMemberS{Value: "T#" + tenant + "#LEAD#"}}})
		must(t, err)
		for _, it := range out.Items {
			id := it["id"].(*types.AttributeValueMemberS).Value
			d, err := good.Detail(ctx, tenant, id)
			must(t, err)
			leadsOf[d.Lead.Contact.Email] = append(leadsOf[d.Lead.Contact.Email], stored{id, int64(d.Lead.Interactions)})
		}
		if start = out.LastEvaluatedKey; start == nil {
			break
		}
	}

	ok, unavailable := map[int]int{}, map[int]int{}
	for i, a := range answers {
		switch {
		case a.status == http.StatusCreated || a.status == http.StatusOK:
			ok[a.person]++
		case a.status == http.StatusServiceUnavailable && a.retry != "":
			unavailable[a.person]++
		default:
			t.Errorf("capture %d (person %d): status %d (Retry-After %q); want 2xx, or 503 with Retry-After", i, a.person, a.status, a.retry)
		}
	}
	for p := range people {
		email := fmt.Sprintf("p%d@faults.example.com", p)
		ls := leadsOf[email]
		if len(ls) > 1 {
			t.Errorf("person %d has %d leads: %v", p, len(ls), ls)
			continue
		}
		if ok[p] > 0 && len(ls) == 0 {
			t.Errorf("person %d: %d captures answered 2xx, but no lead is stored", p, ok[p])
			continue
		}
		if len(ls) == 0 {
			continue
		}
		for _, a := range answers {
			if a.person == p && a.leadID != "" && a.leadID != ls[0].id {
				t.Errorf("person %d: answered lead %s, stored lead %s", p, a.leadID, ls[0].id)
			}
		}
		// Each 2xx stored once; a 503 may or may not have been stored.
		if n := ls[0].interactions; n < int64(ok[p]) || n > int64(ok[p]+unavailable[p]) {
			t.Errorf("person %d: %d interactions stored for %d answered 2xx and %d answered 503", p, n, ok[p], unavailable[p])
		}
	}

	calls, before, after := inj.Counts()
	n2xx, n503 := 0, 0
	for _, v := range ok {
		n2xx += v
	}
	for _, v := range unavailable {
		n503 += v
	}
	t.Logf("%d captures: %d answered 2xx, %d answered 503; %d DynamoDB attempts, %d failed before sending, %d after processing",
		len(order), n2xx, n503, calls, before, after)
	if before < 100 || after < 100 {
		t.Errorf("too few faults injected (%d before, %d after) for the test to mean anything", before, after)
	}
	if n2xx < len(order)*3/4 {
		t.Errorf("only %d of %d captures succeeded; the SDK's retries should absorb most 30 %% faults", n2xx, len(order))
	}
	if !bytes.Contains([]byte(logs.String()), []byte("capture failed")) && n503 > 0 {
		t.Error("503 answers were not logged")
	}
	assertNoSecrets(t, logs.String(), map[string]string{"site key": site.Key, "e-mail domain": "@faults.example.com", "API key": secret})
}
