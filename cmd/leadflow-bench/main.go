// Command leadflow-bench is `make bench`: it starts DynamoDB Local itself,
// measures Leadflow against the emulator's own limit in one run, prints one
// JSON object per line ({"name","value","unit",...}) and rewrites the
// generated part of BENCHMARKS.md.
//
// Numbers are ratios and counts measured side by side; absolute rates of a
// local emulator say little about AWS.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/auth"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/emulator"
	"github.com/leadflow/leadflow/internal/httpapi"
	"github.com/leadflow/leadflow/internal/openapi"
	"github.com/leadflow/leadflow/internal/queue"
)

// Result is one printed measurement.
type Result struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Target string  `json:"target,omitempty"`
	Note   string  `json:"note,omitempty"`
}

var (
	results      []Result
	schedN       *int
	onlyCapacity bool
)

func emit(r Result) {
	results = append(results, r)
	b, _ := json.Marshal(r)
	fmt.Println(string(b))
}

func main() {
	n := flag.Int("n", 200, "captures per round and concurrency level")
	schedN = flag.Int("sched", 150, "scheduled changes for the lateness measurement (cmd/schedbench)")
	out := flag.String("out", "BENCHMARKS.md", "file whose generated section is rewritten (empty: none)")
	capOnly := flag.Bool("capacity", false, "run only the capacity model and print it (BENCHMARKS.md untouched)")
	flag.Parse()
	if *capOnly {
		*n, *out, onlyCapacity = 0, "", true
	}
	if err := run(*n, *out); err != nil {
		fmt.Fprintln(os.Stderr, "leadflow-bench:", err)
		os.Exit(1)
	}
}

func run(n int, out string) error {
	ctx := context.Background()
	p, err := emulator.StartDynamoDB(ctx, emulator.DynamoOptions{})
	if err != nil {
		return err
	}
	defer p.Stop()

	cnt := &counter{}
	db := dynamodb.New(dynamodb.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(p.Endpoint),
		Credentials:                     credentials.NewStaticCredentialsProvider("bench", "bench", ""),
		DisableValidateResponseChecksum: true,
		APIOptions:                      []func(*middleware.Stack) error{cnt.addTo},
	})
	b, err := newBench(ctx, db, cnt)
	if err != nil {
		return err
	}
	defer b.srv.Close()
	if onlyCapacity {
		if err := b.capacityModel(ctx); err != nil {
			return err
		}
		fmt.Print(capacityMarkdown())
		return nil
	}
	if err := b.throughput(ctx, n); err != nil {
		return err
	}
	if err := b.roundTrips(ctx); err != nil {
		return err
	}
	if err := b.capacityModel(ctx); err != nil {
		return err
	}
	if err := handlerCPU(); err != nil {
		return err
	}
	mq, err := emulator.StartSQS(ctx, emulator.SQSOptions{})
	if err != nil {
		return err
	}
	defer mq.Stop()
	if err := coldStarts(ctx, p.Endpoint, mq.Endpoint, db); err != nil {
		return err
	}
	if err := lateness(*schedN); err != nil {
		return err
	}
	if out != "" {
		return writeMarkdown(out)
	}
	return nil
}

// counter counts DynamoDB operations and their consumed capacity. It asks
// for ReturnConsumedCapacity TOTAL on every input that supports it.
type counter struct {
	mu    sync.Mutex
	ops   map[string]int
	units float64
	last  *dynamodb.TransactWriteItemsInput
}

func (c *counter) reset() {
	c.mu.Lock()
	c.ops, c.units = map[string]int{}, 0
	c.mu.Unlock()
}

func (c *counter) snapshot() (map[string]int, float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps(c.ops), c.units
}

func maps(m map[string]int) map[string]int {
	o := map[string]int{}
	for k, v := range m {
		o[k] = v
	}
	return o
}

func (c *counter) addTo(st *middleware.Stack) error {
	return st.Initialize.Add(middleware.InitializeMiddlewareFunc("bench.Count", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		total := types.ReturnConsumedCapacityTotal
		var op string
		switch v := in.Parameters.(type) {
		case *dynamodb.TransactWriteItemsInput:
			v.ReturnConsumedCapacity, op = total, "TransactWriteItems"
			c.mu.Lock()
			c.last = v
			c.mu.Unlock()
		case *dynamodb.GetItemInput:
			v.ReturnConsumedCapacity, op = total, "GetItem"
		case *dynamodb.QueryInput:
			v.ReturnConsumedCapacity, op = total, "Query"
		case *dynamodb.PutItemInput:
			v.ReturnConsumedCapacity, op = total, "PutItem"
		case *dynamodb.UpdateItemInput:
			v.ReturnConsumedCapacity, op = total, "UpdateItem"
		case *dynamodb.BatchWriteItemInput:
			v.ReturnConsumedCapacity, op = total, "BatchWriteItem"
		case *dynamodb.TransactGetItemsInput:
			v.ReturnConsumedCapacity, op = total, "TransactGetItems"
		default:
			op = fmt.Sprintf("%T", v)
		}
		res, md, err := next.HandleInitialize(ctx, in)
		var units float64
		add := func(cc *types.ConsumedCapacity) {
			if cc != nil && cc.CapacityUnits != nil {
				units += *cc.CapacityUnits
			}
		}
		switch o := res.Result.(type) {
		case *dynamodb.TransactWriteItemsOutput:
			for i := range o.ConsumedCapacity {
				add(&o.ConsumedCapacity[i])
			}
		case *dynamodb.GetItemOutput:
			add(o.ConsumedCapacity)
		case *dynamodb.QueryOutput:
			add(o.ConsumedCapacity)
		case *dynamodb.PutItemOutput:
			add(o.ConsumedCapacity)
		case *dynamodb.UpdateItemOutput:
			add(o.ConsumedCapacity)
		}
		c.mu.Lock()
		if c.ops != nil {
			c.ops[op]++
			c.units += units
		}
		c.mu.Unlock()
		return res, md, err
	}), middleware.After)
}

type bench struct {
	db      *dynamodb.Client
	cnt     *counter
	table   string
	store   *dynamo.Store
	srv     *httptest.Server
	site    account.Site
	admin   string
	apiKey  string // secret of the bench API key (captures)
	tenant  string
	nextID  int
	idMu    sync.Mutex
	capture *dynamodb.TransactWriteItemsInput // shape of one new capture
	auth    *auth.HMAC
}

func newBench(ctx context.Context, db *dynamodb.Client, cnt *counter) (*bench, error) {
	b := &bench{db: db, cnt: cnt, table: "bench", tenant: "bench"}
	if err := dynamo.CreateTable(ctx, db, b.table); err != nil {
		return nil, err
	}
	b.store = dynamo.New(db, b.table)
	now := time.Now().UTC()
	if err := b.store.PutAccount(ctx, account.Account{ID: b.tenant, Name: "Bench", Country: "BR", CreatedAt: now}); err != nil {
		return nil, err
	}
	if err := b.store.PutUser(ctx, account.User{ID: "usr_admin", TenantID: b.tenant, Name: "Admin", Role: account.RoleAdmin, Active: true, CreatedAt: now}); err != nil {
		return nil, err
	}
	b.site = account.Site{ID: "site_bench", TenantID: b.tenant, Name: "Bench", Key: "pk_bench", Country: "BR", RateLimitPerMinute: 1 << 30, CreatedAt: now}
	if err := b.store.PutSite(ctx, b.site); err != nil {
		return nil, err
	}
	hm, err := auth.NewHMAC([]byte(strings.Repeat("b", 40)), "leadflow-bench")
	if err != nil {
		return nil, err
	}
	b.auth = hm
	b.admin, _ = hm.Issue(account.Principal{TenantID: b.tenant, UserID: "usr_admin", Role: account.RoleAdmin}, time.Hour)
	// Captures use an API key, whose answer carries the lead id.
	key, secret := account.NewAPIKey(b.tenant, "ak_bench", "bench", []account.Scope{account.ScopeLeadsWrite}, "usr_admin", now)
	key.RateLimitPerMinute = 1 << 30
	if err := b.store.CreateAPIKey(ctx, key); err != nil {
		return nil, err
	}
	b.apiKey = secret
	b.srv = httptest.NewServer(httpapi.NewLocal(httpapi.Deps{Sites: b.store, Captures: b.store, Accounts: b.store, Leads: b.store,
		Lists: b.store, Reports: b.store, Auth: hm, OpenAPI: openapi.Document(), APIKeys: b.store}))
	return b, nil
}

func (b *bench) id() int {
	b.idMu.Lock()
	defer b.idMu.Unlock()
	b.nextID++
	return b.nextID
}

// captureBody is a typical chatbot capture: contact, navigation, 2 messages.
func captureBody(i int) string {
	return fmt.Sprintf(`{"source":"chatbot","external_id":"b%d","contact":{"name":"Pessoa %d","email":"p%d@bench.example.com","attributes":{"company":"Acme"}},`+
		`"navigation":{"page_url":"https://shop.example.com/?utm_source=google&utm_campaign=bf"},`+
		`"conversation":[{"from":"bot","text":"Olá!","at":"2026-11-20T14:03:01Z"},{"from":"visitor","text":"Quero um orçamento","at":"2026-11-20T14:03:09Z"}]}`, i, i, i)
}

func (b *bench) call(method, path, token, body string, headers ...string) (int, []byte, error) {
	return call(b.srv.URL, method, path, token, body, headers...)
}

// call sends one request to the server at base.
func call(base, method, path, token, body string, headers ...string) (int, []byte, error) {
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	return resp.StatusCode, rb, err
}

func (b *bench) captureOne(i int) (string, error) {
	st, body, err := b.call("POST", "/v1/capture/leads", b.apiKey, captureBody(i), "X-Site-Key", b.site.Key)
	if err != nil {
		return "", err
	}
	if st != 201 && st != 200 {
		return "", fmt.Errorf("capture: %d %s", st, body)
	}
	var r struct {
		LeadID string `json:"lead_id"`
	}
	_ = json.Unmarshal(body, &r)
	return r.LeadID, nil
}

// rawTx is a copy of the recorded capture transaction with fresh keys: the
// same items, conditions and sizes, without any Leadflow code in the way.
func (b *bench) rawTx(i int) *dynamodb.TransactWriteItemsInput {
	suffix := "#raw" + strconv.Itoa(i)
	in := &dynamodb.TransactWriteItemsInput{}
	for _, it := range b.capture.TransactItems {
		switch {
		case it.Put != nil:
			p := *it.Put
			p.Item = copyItem(p.Item, suffix)
			in.TransactItems = append(in.TransactItems, types.TransactWriteItem{Put: &p})
		case it.Update != nil:
			u := *it.Update
			u.Key = copyItem(u.Key, suffix)
			in.TransactItems = append(in.TransactItems, types.TransactWriteItem{Update: &u})
		}
	}
	return in
}

func copyItem(m map[string]types.AttributeValue, suffix string) map[string]types.AttributeValue {
	o := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		o[k] = v
	}
	if pk, ok := m["PK"].(*types.AttributeValueMemberS); ok {
		o["PK"] = &types.AttributeValueMemberS{Value: pk.Value + suffix}
	}
	return o
}

// runAt runs n calls of f at concurrency c and returns calls/s and sorted
// latencies.
func runAt(c, n int, f func(i int) error) (float64, []time.Duration, error) {
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	next := make(chan int)
	start := time.Now()
	for range c {
		wg.Go(func() {
			for i := range next {
				t0 := time.Now()
				if err := f(i); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
				}
				lat[i] = time.Since(t0)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	el := time.Since(start)
	slices.Sort(lat)
	return float64(n) / el.Seconds(), lat, firstErr
}

func pct(lat []time.Duration, p float64) float64 {
	return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000
}

func (b *bench) throughput(ctx context.Context, n int) error {
	// Warm the emulator's JIT and record one new capture's transaction.
	for range 300 {
		if _, err := b.captureOne(b.id()); err != nil {
			return err
		}
	}
	b.cnt.mu.Lock()
	b.capture = b.cnt.last
	b.cnt.mu.Unlock()
	if b.capture == nil {
		return fmt.Errorf("no capture transaction recorded")
	}
	for _, c := range []int{1, 8, 32} {
		var capRate, rawRate float64
		var capLat, rawLat []time.Duration
		// Two interleaved rounds each, so drift hits both sides.
		for range 2 {
			r, lat, err := runAt(c, n, func(int) error { _, err := b.captureOne(b.id()); return err })
			if err != nil {
				return err
			}
			capRate += r / 2
			capLat = append(capLat, lat...)
			r, lat, err = runAt(c, n, func(int) error {
				_, err := b.db.TransactWriteItems(ctx, b.rawTx(b.id()))
				return err
			})
			if err != nil {
				return err
			}
			rawRate += r / 2
			rawLat = append(rawLat, lat...)
		}
		slices.Sort(capLat)
		slices.Sort(rawLat)
		cs := strconv.Itoa(c)
		emit(Result{Name: "capture_http_c" + cs, Value: round(capRate), Unit: "captures/s", Note: "new captures through the HTTP handler"})
		emit(Result{Name: "raw_transact_c" + cs, Value: round(rawRate), Unit: "transactions/s", Note: "same item shape, SDK only"})
		emit(Result{Name: "capture_vs_raw_c" + cs, Value: round(capRate / rawRate), Unit: "ratio", Target: ">= 0.8"})
		emit(Result{Name: "capture_p50_c" + cs, Value: pct(capLat, 0.5), Unit: "ms", Note: fmt.Sprintf("raw p50 %.1f ms", pct(rawLat, 0.5))})
		emit(Result{Name: "capture_p99_c" + cs, Value: pct(capLat, 0.99), Unit: "ms", Note: fmt.Sprintf("raw p99 %.1f ms", pct(rawLat, 0.99))})
	}
	return nil
}

func round(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

func (b *bench) measure(name string, minimum int, minNote string, f func() error) error {
	b.cnt.reset()
	if err := f(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	ops, units := b.cnt.snapshot()
	total := 0
	var parts []string
	for k, v := range ops {
		total += v
		parts = append(parts, fmt.Sprintf("%d %s", v, k))
	}
	slices.Sort(parts)
	emit(Result{Name: "round_trips_" + name, Value: float64(total), Unit: "round trips", Target: fmt.Sprintf("%d (%s)", minimum, minNote), Note: strings.Join(parts, " + ")})
	emit(Result{Name: "capacity_" + name, Value: round(units), Unit: "capacity units", Note: "ReturnConsumedCapacity TOTAL as DynamoDB Local reports it"})
	return nil
}

func (b *bench) roundTrips(ctx context.Context) error {
	// A capture a moment before, so the API key's last-used stamp (a
	// transaction of its own, at most once a minute per key) is not part
	// of the one measured.
	if _, err := b.captureOne(b.id()); err != nil {
		return err
	}
	i := b.id()
	var leadID string
	if err := b.measure("new_capture", 2, "API-key lookup + 1 TransactWriteItems", func() (err error) { leadID, err = b.captureOne(i); return }); err != nil {
		return err
	}
	if err := b.measure("repeat_capture", 3, "API-key lookup + read the owner + 1 TransactWriteItems", func() error { _, err := b.captureOne(i); return err }); err != nil {
		return err
	}
	if err := b.measure("lead_detail", 2, "the caller's user + 1 Query", func() error {
		st, body, err := b.call("GET", "/v1/leads/"+leadID, b.admin, "")
		if err == nil && st != 200 {
			err = fmt.Errorf("%d %s", st, body)
		}
		return err
	}); err != nil {
		return err
	}
	if err := b.measure("patch", 3, "the caller's user + read the lead + 1 TransactWriteItems", func() error {
		st, body, err := b.call("PATCH", "/v1/leads/"+leadID, b.admin, `{"rating":4}`)
		if err == nil && st != 200 {
			err = fmt.Errorf("%d %s", st, body)
		}
		return err
	}); err != nil {
		return err
	}
	if err := b.measure("note", 2, "the caller's user + 1 TransactWriteItems", func() error {
		st, body, err := b.call("POST", "/v1/leads/"+leadID+"/notes", b.admin, `{"text":"ligar amanhã"}`)
		if err == nil && st != 201 {
			err = fmt.Errorf("%d %s", st, body)
		}
		return err
	}); err != nil {
		return err
	}
	get := func(path string) func() error {
		return func() error {
			st, body, err := b.call("GET", path, b.admin, "")
			if err == nil && st != 200 {
				err = fmt.Errorf("%d %s", st, body)
			}
			return err
		}
	}
	if err := b.measure("list_page", 2, "the caller's user + 1 Query on the order's index", get("/v1/leads?limit=20")); err != nil {
		return err
	}
	if err := b.measure("list_page_state", 2, "the caller's user + 1 Query on the state index", get("/v1/leads?limit=20&state=in_progress")); err != nil {
		return err
	}
	at := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if err := b.measure("scheduled_change", 3, "the caller's user + read the lead + 1 TransactWriteItems", func() error {
		st, body, err := b.call("POST", "/v1/leads/"+leadID+"/scheduled-changes", b.admin, `{"state":"sale","at":"`+at+`"}`)
		if err == nil && st != 201 {
			err = fmt.Errorf("%d %s", st, body)
		}
		return err
	}); err != nil {
		return err
	}
	today := time.Now().UTC().Format("2006-01-02")
	if err := b.measure("report_1_day", 9, "the caller's user + 1 Query per counter shard of the day (8 shards)", get("/v1/reports/attribution?from="+today+"&to="+today)); err != nil {
		return err
	}
	from := time.Now().UTC().AddDate(0, 0, -29).Format("2006-01-02")
	return b.measure("report_30_days", 241, "the caller's user + 1 Query per day and counter shard, 8 at a time", get("/v1/reports/attribution?from="+from+"&to="+today))
}

// handlerCPU runs the handler benchmarks (store double, no I/O) with
// go test -bench -benchmem and reports ns and allocations per request.
func handlerCPU() error {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^BenchmarkHandler", "-benchmem", "-benchtime", "2000x", "./internal/httpapi/")
	cmd.Stderr = os.Stderr
	outb, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("handler benchmarks: %w\n%s", err, outb)
	}
	re := regexp.MustCompile(`(?m)^BenchmarkHandler(\w+)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op\s+([\d.]+) B/op\s+([\d.]+) allocs/op`)
	for _, m := range re.FindAllStringSubmatch(string(outb), -1) {
		ns, _ := strconv.ParseFloat(m[2], 64)
		bytes, _ := strconv.ParseFloat(m[3], 64)
		allocs, _ := strconv.ParseFloat(m[4], 64)
		name := strings.ToLower(m[1])
		emit(Result{Name: "handler_cpu_" + name, Value: round(ns / 1000), Unit: "µs/op", Note: "store I/O excluded (store double)"})
		emit(Result{Name: "handler_allocs_" + name, Value: allocs, Unit: "allocs/op", Note: fmt.Sprintf("%.0f B/op", bytes)})
	}
	return nil
}

// coldStarts builds every functions/* for this machine (and arm64 for the
// shipped size), starts each bootstrap against a local runtime API stand-in
// and times init and the first invocation.
func coldStarts(ctx context.Context, endpoint, sqsEndpoint string, db *dynamodb.Client) error {
	dirs, _ := filepath.Glob("functions/*")
	tmp, err := os.MkdirTemp("", "leadflow-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// The sample events use the demo site key; give it a table.
	store := dynamo.New(db, "bench")
	if err := store.PutSite(ctx, account.Site{ID: "site_demo", TenantID: "demo", Key: "demo-site-key", Country: "BR",
		AllowedOrigins: []string{"https://loja.exemplo.com.br"}, RateLimitPerMinute: 1000, CreatedAt: time.Now()}); err != nil {
		return err
	}
	// The worker, the sweeper and the dispatcher need the jobs queue (on fauxqs).
	sq := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(sqsEndpoint),
		Credentials: credentials.NewStaticCredentialsProvider("bench", "bench", "")})
	queueURL, err := queue.CreateQueue(ctx, sq, "jobs", "jobs-dlq")
	if err != nil {
		return err
	}
	env := []string{"AWS_ENDPOINT_URL_SQS=" + sqsEndpoint, "LEADFLOW_JOBS_QUEUE_URL=" + queueURL}
	samples := map[string]string{
		"capture": "events/capture-lead.json", "api": "events/lead-get.json",
		// A scheduled change whose lead has none pending: read, found
		// not due, acknowledged.
		"worker": "events/worker/scheduled-change.json",
		// A sweep with nothing due: one Query per due-index shard.
		"sweeper": "events/sweeper/every-minute.json",
		// Two outbox inserts: an assign job and a scheduled change sent.
		"dispatcher": "events/dispatcher/outbox-insert.json",
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		for _, arch := range []string{"arm64", runtime.GOARCH} {
			bin := filepath.Join(tmp, arch, name, "bootstrap")
			build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", bin, "./"+dir)
			build.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
			if b, err := build.CombinedOutput(); err != nil {
				return fmt.Errorf("build %s: %w\n%s", dir, err, b)
			}
		}
		fi, err := os.Stat(filepath.Join(tmp, "arm64", name, "bootstrap"))
		if err != nil {
			return err
		}
		emit(Result{Name: "binary_size_" + name, Value: round(float64(fi.Size()) / (1 << 20)), Unit: "MB", Target: "<= 15", Note: "linux/arm64 bootstrap as shipped"})
		event, err := os.ReadFile(samples[name])
		if err != nil {
			event = []byte(`{}`)
		}
		var inits, firsts []float64
		for range 5 {
			i, f, err := coldStart(filepath.Join(tmp, runtime.GOARCH, name, "bootstrap"), endpoint, env, event)
			if err != nil {
				return fmt.Errorf("cold start %s: %w", name, err)
			}
			inits, firsts = append(inits, i), append(firsts, f)
		}
		slices.Sort(inits)
		slices.Sort(firsts)
		emit(Result{Name: "cold_start_init_" + name, Value: round(inits[2]), Unit: "ms", Target: "<= 20", Note: "median of 5: process start to first /invocation/next (AWS floor for Go on provided.al2023 ≈ 42 ms)"})
		emit(Result{Name: "first_invocation_" + name, Value: round(firsts[2]), Unit: "ms", Note: "median of 5, " + samples[name] + " against DynamoDB Local"})
	}
	return nil
}

// coldStart runs one bootstrap under a runtime API stand-in.
func coldStart(bin, endpoint string, env []string, event []byte) (initMS, firstMS float64, err error) {
	var mu sync.Mutex
	var nextAt, doneAt time.Time
	served := false
	var invokeErr error
	done := make(chan struct{})
	rt := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "GET" && r.URL.Path == "/2018-06-01/runtime/invocation/next":
			mu.Lock()
			first := !served
			if first {
				served, nextAt = true, time.Now()
			}
			mu.Unlock()
			if !first {
				<-r.Context().Done() // no second event: hold the poll
				return
			}
			h := w.Header()
			h.Set("Lambda-Runtime-Aws-Request-Id", "bench-1")
			h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(time.Minute).UnixMilli(), 10))
			h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:bench")
			_, _ = w.Write(event)
		case r.Method == "POST" && strings.HasPrefix(r.URL.Path, "/2018-06-01/runtime/invocation/"):
			if strings.HasSuffix(r.URL.Path, "/error") {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				invokeErr = fmt.Errorf("the function answered an error: %s", b)
				mu.Unlock()
			}
			_, _ = io.Copy(io.Discard, r.Body)
			mu.Lock()
			doneAt = time.Now()
			mu.Unlock()
			w.WriteHeader(http.StatusAccepted)
			close(done)
		default:
			w.WriteHeader(http.StatusAccepted)
		}
	}))
	defer rt.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = []string{
		"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(rt.URL, "http://"),
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench",
		"AWS_ENDPOINT_URL_DYNAMODB=" + endpoint, "LEADFLOW_TABLE=bench", "LOG_LEVEL=ERROR",
		"AWS_LAMBDA_FUNCTION_NAME=bench", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
	}
	cmd.Env = append(cmd.Env, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	select {
	case <-done:
	case <-ctx.Done():
		return 0, 0, fmt.Errorf("no response within 30 s: %s", stderr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if invokeErr != nil {
		return 0, 0, invokeErr
	}
	return float64(nextAt.Sub(start).Microseconds()) / 1000, float64(doneAt.Sub(nextAt).Microseconds()) / 1000, nil
}

const marker = "<!-- make bench: everything below is generated by cmd/leadflow-bench -->"

func writeMarkdown(path string) error {
	old, _ := os.ReadFile(path)
	head := string(old)
	if i := strings.Index(head, marker); i >= 0 {
		head = head[:i]
	} else {
		head = strings.TrimRight(head, "\n") + "\n\n"
	}
	var b strings.Builder
	b.WriteString(head + marker + "\n\n## 2. `make bench`\n\n")
	fmt.Fprintf(&b, "Generated %s by `make bench` (one run; rerun to refresh). Machine: %s.\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"), machine())
	b.WriteString("| measurement | value | unit | target | note |\n|---|---:|---|---|---|\n")
	for _, r := range results {
		v := strconv.FormatFloat(r.Value, 'f', -1, 64)
		if strings.Contains(r.Note, "slot:") {
			v = "—"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.Name, v, r.Unit, r.Target, r.Note)
	}
	b.WriteString(capacityMarkdown())
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`(?m)^model name\s*:\s*(.+)$`).FindSubmatch(b); m != nil {
			cpu = strings.TrimSpace(string(m[1]))
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if m := regexp.MustCompile(`MemTotal:\s+(\d+) kB`).FindSubmatch(b); m != nil {
			kb, _ := strconv.Atoi(string(m[1]))
			mem = fmt.Sprintf(", %d GB RAM", kb>>20)
		}
	}
	return fmt.Sprintf("%d CPUs (%s)%s, %s %s/%s, DynamoDB Local (-inMemory) on the same machine",
		runtime.NumCPU(), cpu, mem, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// lateness runs cmd/schedbench (its own DynamoDB Local and fauxqs) and
// reports the scheduled-change lateness next to the emulator's own.
func lateness(n int) error {
	cmd := exec.Command("go", "run", "./cmd/schedbench", "-n", strconv.Itoa(n), "-spread", "10s")
	cmd.Stderr = os.Stderr
	outb, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("schedbench: %w\n%s", err, outb)
	}
	row := func(prefix string) ([]float64, error) {
		re := regexp.MustCompile(`(?m)^\| ` + regexp.QuoteMeta(prefix) + `[^|]*\| (\d+) \| (-?\d+) ms \| (-?\d+) ms \| (-?\d+) ms \| (-?\d+) ms \| (\d+) \|`)
		m := re.FindStringSubmatch(string(outb))
		if m == nil {
			return nil, fmt.Errorf("schedbench: no %q row in\n%s", prefix, outb)
		}
		var v []float64
		for _, x := range m[1:] {
			f, _ := strconv.ParseFloat(x, 64)
			v = append(v, f)
		}
		return v, nil // n, p50, p90, p99, max, early
	}
	raw, err := row("SQS emulator alone")
	if err != nil {
		return err
	}
	e2e, err := row("scheduled change")
	if err != nil {
		return err
	}
	note := func(p string, emu float64) string {
		return fmt.Sprintf("cmd/schedbench: %.0f changes due 3–13 s ahead, each applied exactly once, %.0f early; the SQS emulator's own delivery %s: %.0f ms", e2e[0], e2e[5], p, emu)
	}
	emit(Result{Name: "scheduled_change_lateness_p50", Value: e2e[1], Unit: "ms", Target: "<= 2000", Note: note("p50", raw[1])})
	emit(Result{Name: "scheduled_change_lateness_p99", Value: e2e[3], Unit: "ms", Target: "<= 2000", Note: note("p99", raw[3])})
	return nil
}
