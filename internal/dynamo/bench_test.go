package dynamo_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/lead"
)

// opCounter counts DynamoDB operations by name with an Initialize-step
// middleware: one count per API call (SDK-internal retries of the same
// call are not counted; none happen against the local emulator).
type opCounter struct {
	mu  sync.Mutex
	ops map[string]int
}

func (c *opCounter) middleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("leadflowCountOps",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			c.ops[awsmiddleware.GetOperationName(ctx)]++
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

func (c *opCounter) reset() {
	c.mu.Lock()
	c.ops = map[string]int{}
	c.mu.Unlock()
}

func (c *opCounter) get(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ops[op]
}

func (c *opCounter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := 0
	for _, n := range c.ops {
		t += n
	}
	return t
}

func (c *opCounter) report(b *testing.B) {
	b.ReportMetric(float64(c.total())/float64(b.N), "roundtrips/op")
	for _, op := range []string{"TransactWriteItems", "GetItem", "Query"} {
		b.ReportMetric(float64(c.get(op))/float64(b.N), op+"/op")
	}
}

var warmOnce sync.Once

// warmUp runs a few hundred captures and reads once per process, so the
// emulator's JIT is warm before anything is measured.
func warmUp(b *testing.B) {
	warmOnce.Do(func() {
		e := newEnv(b)
		e.site.RateLimitPerMinute = 1 << 30
		ctx := context.Background()
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := range 100 {
					email := fmt.Sprintf("warm%d-%d@example.com", w, i%50)
					if _, err := e.store.Capture(ctx, e.site, benchCapture(e, email)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	})
}

// benchEnv is a fresh table, a store whose client counts its calls, and a
// site without a practical rate limit.
func benchEnv(b *testing.B) (*env, *opCounter) {
	warmUp(b)
	e := newEnv(b)
	counter := &opCounter{ops: map[string]int{}}
	counted := dynamodb.New(e.client.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, counter.middleware)
	})
	e.client = counted
	e.store = dynamo.New(counted, e.table)
	e.site.RateLimitPerMinute = 1 << 30
	return e, counter
}

var benchSeq atomic.Int64

func benchCapture(e *env, email string) lead.Capture {
	c := capture(email)
	c.SiteID, c.Touch.SiteID = e.site.ID, e.site.ID
	c.Conversation = conversation(4, c.Touch.At, "bench")
	return c
}

// BenchmarkCaptureNew: a capture of a new person, with the site key
// resolved through the store (cached, as on a warm Lambda; and cold).
func BenchmarkCaptureNew(b *testing.B) {
	for _, cached := range []bool{true, false} {
		name := "cached-site"
		if !cached {
			name = "uncached-site"
		}
		b.Run(name, func(b *testing.B) {
			e, counter := benchEnv(b)
			ctx := context.Background()
			if _, err := e.store.SiteByKey(ctx, e.site.Key); err != nil {
				b.Fatal(err)
			}
			counter.reset()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				st := e.store
				if !cached {
					st = dynamo.New(e.client, e.table)
				}
				site, err := st.SiteByKey(ctx, e.site.Key)
				if err != nil {
					b.Fatal(err)
				}
				site.RateLimitPerMinute = 1 << 30
				res, err := st.Capture(ctx, site, benchCapture(e, fmt.Sprintf("new%d@example.com", benchSeq.Add(1))))
				if err != nil || !res.Created {
					b.Fatalf("%+v %v", res, err)
				}
			}
			counter.report(b)
		})
	}
}

// BenchmarkCaptureRepeat: the same person captured again (new touch, same
// transcript).
func BenchmarkCaptureRepeat(b *testing.B) {
	e, counter := benchEnv(b)
	ctx := context.Background()
	email := fmt.Sprintf("repeat%d@example.com", benchSeq.Add(1))
	if _, err := e.store.Capture(ctx, e.site, benchCapture(e, email)); err != nil {
		b.Fatal(err)
	}
	counter.reset()
	for i := 0; b.Loop(); i++ {
		c := benchCapture(e, email)
		c.Touch.At = c.Touch.At.Add(time.Duration(i) * time.Minute)
		res, err := e.store.Capture(ctx, e.site, c)
		if err != nil || res.Created {
			b.Fatalf("%+v %v", res, err)
		}
	}
	counter.report(b)
}

// BenchmarkDetail: the lead screen of a lead with 20 notes, 40 history
// entries and 40 messages.
func BenchmarkDetail(b *testing.B) {
	e, counter := benchEnv(b)
	ctx := context.Background()
	tenant := e.site.TenantID
	c := benchCapture(e, fmt.Sprintf("detail%d@example.com", benchSeq.Add(1)))
	c.Conversation = conversation(40, c.Touch.At, "detail")
	r, err := e.store.Capture(ctx, e.site, c)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 20 {
		now := time.Now().UTC()
		n := lead.Note{ID: lead.NewID(lead.PrefixNote, now), Text: fmt.Sprint("note ", i), AuthorID: "usr_1", CreatedAt: now, UpdatedAt: now}
		if err := e.store.AddNote(ctx, tenant, r.LeadID, n, noteEvent(lead.ActionNoteAdded, n)); err != nil {
			b.Fatal(err)
		}
		if _, err := e.store.Update(ctx, tenant, r.LeadID, 0, setRating(i%6)); err != nil {
			b.Fatal(err)
		}
	}
	counter.reset()
	for b.Loop() {
		d, err := e.store.Detail(ctx, tenant, r.LeadID)
		if err != nil || len(d.Notes.Items) != 20 || len(d.History.Items) != 41 {
			b.Fatalf("%d notes %d history %v", len(d.Notes.Items), len(d.History.Items), err)
		}
	}
	counter.report(b)
}

// BenchmarkCaptureVsRawTransact compares capture throughput with raw
// TransactWriteItems calls of the same item shape (every item of the lead's
// partition, e-mail key, rate counter, attribution counters, same
// conditions; see rawTemplate) on the same emulator,
// at 1 and 16 concurrent callers. Each iteration runs 4 rounds of: 40 new
// captures, 40 raw transactions, 40 repeat captures (the persons of the
// round's new captures again).
func BenchmarkCaptureVsRawTransact(b *testing.B) {
	for _, workers := range []int{1, 16} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			e, _ := benchEnv(b)
			ctx := context.Background()
			tmpl := rawTemplate(b, e)
			// Alternate short batches so that drift of the emulator (JIT,
			// garbage collection) hits all three kinds alike.
			const rounds, batch = 4, 40
			var capDur, rawDur, repDur time.Duration
			for b.Loop() {
				for range rounds {
					emails := make([]string, batch)
					for i := range emails {
						emails[i] = fmt.Sprintf("tp%d@example.com", benchSeq.Add(1))
					}
					capDur += runBatch(b, workers, batch, func(i int) error {
						_, err := e.store.Capture(ctx, e.site, benchCapture(e, emails[i]))
						return err
					})
					rawDur += runBatch(b, workers, batch, func(int) error {
						_, err := e.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: tmpl(benchSeq.Add(1))})
						return err
					})
					repDur += runBatch(b, workers, batch, func(i int) error {
						c := benchCapture(e, emails[i])
						c.Touch.At = c.Touch.At.Add(time.Hour)
						_, err := e.store.Capture(ctx, e.site, c)
						return err
					})
				}
			}
			ops := float64(b.N * rounds * batch)
			capRate, rawRate, repRate := ops/capDur.Seconds(), ops/rawDur.Seconds(), ops/repDur.Seconds()
			b.ReportMetric(capRate, "captures/s")
			b.ReportMetric(repRate, "repeats/s")
			b.ReportMetric(rawRate, "raw-tx/s")
			b.ReportMetric(capRate/rawRate, "capture/raw")
			b.ReportMetric(repRate/rawRate, "repeat/raw")
		})
	}
}

// runBatch calls op(0..n-1) from workers goroutines and returns the time taken.
func runBatch(b *testing.B, workers, n int, op func(i int) error) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				if err := op(int(i)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// rawTemplate captures one lead, reads back the items that capture wrote
// and returns a builder of a transaction writing copies of them under fresh
// keys, with the same conditions capture uses: every item of the lead's
// partition (META, the event, the messages, the list-index and search-token
// items), the e-mail key, the rate-limit counter and the two attribution
// counter updates (first and last touch). It fails the benchmark unless the
// raw transaction has exactly as many actions as the capture's own, so the
// comparison stays like for like when capture writes more.
func rawTemplate(b *testing.B, e *env) func(int64) []types.TransactWriteItem {
	ctx := context.Background()
	email := fmt.Sprintf("tmpl%d@example.com", benchSeq.Add(1))
	var captureActions atomic.Int64
	sized := dynamodb.New(e.client.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("leadflowTransactSize",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					if tw, ok := in.Parameters.(*dynamodb.TransactWriteItemsInput); ok {
						captureActions.Store(int64(len(tw.TransactItems)))
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.After)
		})
	})
	r, err := dynamo.New(sized, e.table).Capture(ctx, e.site, benchCapture(e, email))
	if err != nil || !r.Created {
		b.Fatalf("template capture: %+v %v", r, err)
	}
	out, err := e.client.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(e.table),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "T#" + e.site.TenantID + "#LEAD#" + r.LeadID}},
	})
	if err != nil {
		b.Fatalf("template query: %v", err)
	}
	kinds := map[string]int{}
	for _, it := range out.Items {
		sk := it["SK"].(*types.AttributeValueMemberS).Value
		kinds[strings.SplitN(sk, "#", 2)[0]]++
	}
	if kinds["META"] != 1 || kinds["EVT"] != 1 || kinds["MSG"] != 4 || kinds["IX"] == 0 || kinds["IXQ"] == 0 {
		b.Fatalf("template partition: %v", kinds)
	}
	keyItem, err := e.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(e.table),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "T#" + e.site.TenantID + "#KEY#email#" + email},
			"SK": &types.AttributeValueMemberS{Value: "KEY"},
		},
	})
	if err != nil || keyItem.Item == nil {
		b.Fatalf("template key: %v", err)
	}
	table := aws.String(e.table)
	with := func(it map[string]types.AttributeValue, pk string) map[string]types.AttributeValue {
		c := make(map[string]types.AttributeValue, len(it))
		for k, v := range it {
			c[k] = v
		}
		c["PK"] = &types.AttributeValueMemberS{Value: pk}
		return c
	}
	build := func(i int64) []types.TransactWriteItem {
		pk := fmt.Sprintf("RAW#%d", i)
		var items []types.TransactWriteItem
		for _, it := range out.Items {
			put := &types.Put{TableName: table, Item: with(it, pk)}
			if strings.HasPrefix(it["SK"].(*types.AttributeValueMemberS).Value, "META") {
				put.ConditionExpression = aws.String("attribute_not_exists(PK)")
			}
			items = append(items, types.TransactWriteItem{Put: put})
		}
		items = append(items,
			types.TransactWriteItem{Put: &types.Put{
				TableName: table, Item: with(keyItem.Item, pk+"#KEY"),
				ConditionExpression:                 aws.String("attribute_not_exists(PK)"),
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			}},
			types.TransactWriteItem{Update: &types.Update{
				TableName: table,
				Key: map[string]types.AttributeValue{
					"PK": &types.AttributeValueMemberS{Value: pk + "#RL"}, "SK": &types.AttributeValueMemberS{Value: "1"},
				},
				UpdateExpression:         aws.String("ADD #n :one SET #ttl = :ttl"),
				ConditionExpression:      aws.String("attribute_not_exists(#n) OR #n < :limit"),
				ExpressionAttributeNames: map[string]string{"#n": "n", "#ttl": "ttl"},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":one": &types.AttributeValueMemberN{Value: "1"}, ":limit": &types.AttributeValueMemberN{Value: "1000"},
					":ttl": &types.AttributeValueMemberN{Value: "1"},
				},
			}})
		for _, touch := range []string{"first", "last"} {
			items = append(items, types.TransactWriteItem{Update: &types.Update{
				TableName: table,
				Key: map[string]types.AttributeValue{
					"PK": &types.AttributeValueMemberS{Value: pk + "#ATTR#" + touch}, "SK": &types.AttributeValueMemberS{Value: "site#src#med#camp"},
				},
				UpdateExpression:         aws.String("ADD #leads :one, #s0 :one SET #site = :site, #src = :v, #med = :v, #camp = :v"),
				ExpressionAttributeNames: map[string]string{"#leads": "leads", "#s0": "state_new", "#site": "site_id", "#src": "source", "#med": "medium", "#camp": "campaign"},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":one": &types.AttributeValueMemberN{Value: "1"}, ":site": &types.AttributeValueMemberS{Value: e.site.ID},
					":v": &types.AttributeValueMemberS{Value: "bench"},
				},
			}})
		}
		return items
	}
	if got, want := len(build(0)), int(captureActions.Load()); got != want {
		b.Fatalf("raw transaction has %d actions, the capture's has %d: the template no longer matches capture", got, want)
	}
	return build
}
