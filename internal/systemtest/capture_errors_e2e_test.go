package systemtest_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/httpapi"
	"github.com/leadflow/leadflow/internal/testenv"
	"github.com/leadflow/leadflow/internal/testkit/faults"
)

// A capture answers 503 "retry" only for store errors a retry can fix
// (throttling, 5xx); a permanent one (a ValidationException, such as an
// item over DynamoDB's size limit) is a 500 without Retry-After, so clients
// do not retry it forever.
func TestCaptureStoreErrorsAnswerRetryOnlyWhenARetryHelps(t *testing.T) {
	ctx := context.Background()
	clean := testenv.DynamoDB(t)
	table := testenv.UniqueName("storeerr")
	must(t, dynamo.CreateTable(ctx, clean, table))
	good := dynamo.New(clean, table)
	tenant := testenv.UniqueName("te")
	must(t, good.PutAccount(ctx, account.Account{ID: tenant, Name: "Errors", Country: "BR", CreatedAt: time.Now()}))
	site := account.Site{ID: "site_e", TenantID: tenant, Name: "E", Key: testenv.UniqueName("pk"), Country: "BR",
		RateLimitPerMinute: 1000, CreatedAt: time.Now()}
	must(t, good.PutSite(ctx, site))
	for _, tt := range []struct {
		name   string
		fault  faults.Fault
		status int
		retry  bool
	}{
		{"throttled", faults.Throttles[0], http.StatusServiceUnavailable, true},
		{"server error", faults.ServerErrors[0], http.StatusServiceUnavailable, true},
		{"item too large", faults.Fault{Status: http.StatusBadRequest, Code: "ValidationException"}, http.StatusInternalServerError, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inj := faults.New(faults.Config{Rate: 1, Faults: []faults.Fault{tt.fault}, Operations: []string{"TransactWriteItems"}})
			client := dynamodb.New(clean.Options(), func(o *dynamodb.Options) {
				o.Retryer = retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 1 })
				o.APIOptions = append(o.APIOptions, inj.AddTo)
			})
			srv := httptest.NewServer(httpapi.NewCapture(httpapi.Deps{
				Sites: good, Captures: dynamo.New(client, table), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			}))
			defer srv.Close()
			req, _ := http.NewRequest("POST", srv.URL+"/v1/capture/leads",
				strings.NewReader(`{"source":"api","contact":{"email":"e@example.com"}}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Site-Key", site.Key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || (resp.Header.Get("Retry-After") != "") != tt.retry {
				t.Fatalf("status %d, Retry-After %q: %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("content type %q", resp.Header.Get("Content-Type"))
			}
		})
	}
}
