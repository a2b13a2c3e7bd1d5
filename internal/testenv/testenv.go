// Package testenv gives integration tests real DynamoDB and SQS endpoints.
//
// Every package with integration tests declares
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// and asks for clients with testenv.DynamoDB(t) / testenv.SQS(t).
//
// Endpoints come from LEADFLOW_TEST_DYNAMODB_ENDPOINT and
// LEADFLOW_TEST_SQS_ENDPOINT when set (`make test` runs cmd/testenv, which
// starts both emulators once for the whole run and sets them). Otherwise the
// first test that needs an emulator starts it through internal/emulator, once
// per test process, and Main stops it when the tests are done. Each test
// should create its own tables/queues named with UniqueName, since the
// emulators are shared by tests running in parallel.
package testenv

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/leadflow/leadflow/internal/emulator"
)

// Environment variables holding shared emulator endpoints.
const (
	DynamoEndpointEnv = "LEADFLOW_TEST_DYNAMODB_ENDPOINT"
	SQSEndpointEnv    = "LEADFLOW_TEST_SQS_ENDPOINT"
)

// Region is the AWS region the test clients use.
const Region = "us-east-1"

// startTimeout bounds fetching (first run only) plus starting one emulator.
const startTimeout = 5 * time.Minute

// lazy is one emulator endpoint, resolved at most once per process.
type lazy struct {
	env   string
	start func(context.Context) (*emulator.Process, error)

	once     sync.Once
	endpoint string
	err      error
	proc     *emulator.Process // nil when the endpoint came from env
}

var (
	dynamoLocal = &lazy{env: DynamoEndpointEnv, start: func(ctx context.Context) (*emulator.Process, error) {
		return emulator.StartDynamoDB(ctx, emulator.DynamoOptions{})
	}}
	sqsLocal = &lazy{env: SQSEndpointEnv, start: func(ctx context.Context) (*emulator.Process, error) {
		return emulator.StartSQS(ctx, emulator.SQSOptions{})
	}}
)

func (l *lazy) get(t testing.TB) string {
	t.Helper()
	l.once.Do(func() {
		if ep := strings.TrimRight(os.Getenv(l.env), "/"); ep != "" {
			l.endpoint = ep
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		defer cancel()
		p, err := l.start(ctx)
		if err != nil {
			l.err = err
			return
		}
		l.proc, l.endpoint = p, p.Endpoint
	})
	if l.err != nil {
		t.Fatalf("testenv: cannot start the emulator (set %s to use a running one): %v", l.env, l.err)
	}
	return l.endpoint
}

func (l *lazy) stop() error {
	// Do nothing if never started; consume the Once so a late call cannot
	// start an emulator after Main has cleaned up.
	l.once.Do(func() { l.err = fmt.Errorf("testenv: emulator requested after testenv.Main finished") })
	if l.proc != nil {
		return l.proc.Stop()
	}
	return nil
}

// Main runs the tests, stops any emulator this process started, and exits
// with the tests' exit code. Use it as the package's TestMain.
func Main(m *testing.M) {
	code := m.Run()
	for _, l := range []*lazy{dynamoLocal, sqsLocal} {
		if err := l.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "testenv:", err)
		}
	}
	os.Exit(code)
}

// DynamoEndpoint returns the DynamoDB endpoint URL (http://127.0.0.1:PORT),
// starting DynamoDB Local if needed. It fails the test if that is impossible.
func DynamoEndpoint(t testing.TB) string {
	t.Helper()
	return dynamoLocal.get(t)
}

// SQSEndpoint returns the SQS endpoint URL (http://127.0.0.1:PORT), starting
// the SQS emulator if needed. It fails the test if that is impossible.
func SQSEndpoint(t testing.TB) string {
	t.Helper()
	return sqsLocal.get(t)
}

// DynamoDB returns a client for the test DynamoDB endpoint.
func DynamoDB(t testing.TB) *dynamodb.Client {
	t.Helper()
	endpoint := DynamoEndpoint(t)
	cfg := baseConfig()
	// DynamoDB Local answers TransactionConflictException when a plain write
	// meets an item locked by a running transaction; like other transient
	// conflicts it is worth retrying. (TransactionCanceledException with a
	// TransactionConflict reason is left to the caller, as with the real
	// service.)
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(localRetry, func(o *retry.StandardOptions) {
			o.Retryables = append(o.Retryables, retry.RetryableErrorCode{
				Codes: map[string]struct{}{"TransactionConflictException": {}},
			})
		})
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
}

// SQS returns a client for the test SQS endpoint.
func SQS(t testing.TB) *sqs.Client {
	t.Helper()
	endpoint := SQSEndpoint(t)
	return sqs.NewFromConfig(baseConfig(), func(o *sqs.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
}

// baseConfig is built by hand rather than with config.LoadDefaultConfig so
// that nothing from the developer's environment (AWS_PROFILE,
// AWS_ENDPOINT_URL, ~/.aws) can point tests at a real account.
func baseConfig() aws.Config {
	return aws.Config{
		Region:                Region,
		Credentials:           credentials.NewStaticCredentialsProvider("test", "test", ""),
		AccountIDEndpointMode: aws.AccountIDEndpointModeDisabled,
		Retryer: func() aws.Retryer {
			return retry.NewStandard(localRetry)
		},
	}
}

// localRetry tunes the SDK's standard retryer for a local emulator: more
// attempts with short back-off, and no client-side retry quota, which
// tests hammering one item would otherwise exhaust ("retry quota
// exceeded") long before the emulator is in trouble.
func localRetry(o *retry.StandardOptions) {
	o.MaxAttempts = 10
	o.MaxBackoff = 200 * time.Millisecond
	o.RateLimiter = ratelimit.None
}

// UniqueName returns prefix followed by "-" and a random suffix, usable as a
// DynamoDB table name or an SQS queue name (append ".fifo" yourself for a
// FIFO queue). Characters of prefix not allowed in both are replaced with
// "-" (so t.Name() works), and the result is at most 64 characters.
func UniqueName(prefix string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	const suffixLen, maxLen = 12, 64
	var b strings.Builder
	for _, r := range prefix {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	p := b.String()
	if p == "" {
		p = "t"
	}
	if limit := maxLen - suffixLen - 1; len(p) > limit {
		p = p[:limit]
	}
	suffix := make([]byte, suffixLen)
	rand.Read(suffix)
	for i, c := range suffix {
		suffix[i] = alphabet[int(c)%len(alphabet)]
	}
	return p + "-" + string(suffix)
}
