// Command schedbench measures how late scheduled state changes are applied
// on the local stack (DynamoDB Local + the SQS emulator, started here): it
// schedules -n changes spread over the next -spread seconds exactly as the
// API does (store update + job with DelaySeconds), runs the worker's Lambda
// handler through the SQS runner, and reports lateness (applied-at minus
// due-at, from each change_applied history entry) as p50/p99. As the
// baseline it measures the emulator alone on the same run: messages sent
// with a delay and long-polled, lateness = received minus sent+delay.
//
//	go run ./cmd/schedbench -n 300 -spread 20s
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/config"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/emulator"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/schedule"
	"github.com/leadflow/leadflow/internal/sqsrunner"
	"github.com/leadflow/leadflow/internal/worker"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "schedbench:", err)
		os.Exit(1)
	}
}

func run() error {
	n := flag.Int("n", 300, "scheduled changes")
	spread := flag.Duration("spread", 20*time.Second, "changes are due between -ahead and -ahead+spread from now")
	ahead := flag.Duration("ahead", 3*time.Second, "earliest due time from now")
	runners := flag.Int("runners", 2, "concurrent SQS pollers (Lambda scales out the same way)")
	flag.Parse()
	ctx := context.Background()

	ddb, err := emulator.StartDynamoDB(ctx, emulator.DynamoOptions{})
	if err != nil {
		return err
	}
	defer ddb.Stop()
	mq, err := emulator.StartSQS(ctx, emulator.SQSOptions{})
	if err != nil {
		return err
	}
	defer mq.Stop()
	for k, v := range map[string]string{
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_ENDPOINT_URL_DYNAMODB": ddb.Endpoint, "AWS_ENDPOINT_URL_SQS": mq.Endpoint,
	} {
		os.Setenv(k, v)
	}
	awsCfg, err := config.AWS(ctx)
	if err != nil {
		return err
	}
	db, sq := dynamodb.NewFromConfig(awsCfg), sqs.NewFromConfig(awsCfg)
	if err := dynamo.CreateTable(ctx, db, "bench"); err != nil {
		return err
	}
	st := dynamo.New(db, "bench")

	// Baseline: the emulator's own delayed delivery.
	rawURL, err := queue.CreateQueue(ctx, sq, "raw", "raw-dlq")
	if err != nil {
		return err
	}
	raw, err := baseline(ctx, sq, rawURL, *n, *ahead, *spread, *runners)
	if err != nil {
		return err
	}

	// End to end.
	url, err := queue.CreateQueue(ctx, sq, "jobs", "jobs-dlq")
	if err != nil {
		return err
	}
	q := queue.New(sq, url)
	now := time.Now().UTC()
	acct := account.Account{ID: "bench", Name: "Bench", SubStates: map[string][]string{"no_sale": {"sem_interesse"}}, CreatedAt: now}
	site := account.Site{ID: "site_bench", TenantID: "bench", Key: "pk_bench", RateLimitPerMinute: 1 << 20, CreatedAt: now}
	if err := st.PutAccount(ctx, acct); err != nil {
		return err
	}
	if err := st.PutSite(ctx, site); err != nil {
		return err
	}
	ids := make([]string, *n)
	for i := range ids {
		res, err := st.Capture(ctx, site, lead.Capture{SiteID: site.ID, Name: fmt.Sprintf("Lead %d", i),
			Contact: lead.Contact{Email: fmt.Sprintf("l%d@bench.example", i)},
			Touch:   lead.Touch{At: now, EntryMethod: lead.EntryAPI, SiteID: site.ID, IP: fmt.Sprintf("10.0.%d.%d", i/250, i%250)}})
		if err != nil {
			return err
		}
		ids[i] = res.LeadID
	}
	w := &worker.Worker{Leads: st, Accounts: st, Assignment: st, Queue: q,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	for range *runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			(&sqsrunner.Runner{Client: sq, QueueURL: url, Handler: w.Handle, WaitSeconds: 1}).Run(runCtx)
		}()
	}
	due := map[string]time.Time{}
	start := time.Now()
	for _, id := range ids {
		at := time.Now().Add(*ahead + rand.N(*spread))
		c, err := lead.NewScheduledChange("no_sale", "sem_interesse", at.UTC().Format(time.RFC3339Nano), acct,
			lead.Actor{Type: lead.ActorUser, ID: "bench"}, time.Now().UTC())
		if err != nil {
			return err
		}
		if _, err := st.Update(ctx, "bench", id, 0, func(l *lead.Lead) ([]lead.Event, error) {
			return []lead.Event{l.Schedule(c, time.Now().UTC())}, nil
		}); err != nil {
			return err
		}
		// Sent as the dispatcher sends it (no stream runner here: the
		// bench measures the queue and the worker).
		if err := (&schedule.Dispatcher{Queue: q, Sent: st}).Send(ctx, lead.DueChange{TenantID: "bench", LeadID: id, ChangeID: c.ID, At: c.At}); err != nil {
			return err
		}
		due[id] = c.At
	}
	fmt.Fprintf(os.Stderr, "scheduled %d changes in %v; waiting for them\n", *n, time.Since(start).Round(time.Millisecond))
	time.Sleep(*ahead + *spread + 3*time.Second)
	var late []time.Duration
	missing := 0
	for _, id := range ids {
		h, err := st.History(ctx, "bench", id, "", 10)
		if err != nil {
			return err
		}
		applied := 0
		for _, e := range h.Items {
			if e.Action == lead.ActionChangeApplied {
				applied++
				late = append(late, e.At.Sub(due[id]))
			}
		}
		if applied != 1 {
			missing++
		}
	}
	stop()
	wg.Wait()
	e2e := summarize(late)
	fmt.Printf("| measure | n | p50 | p90 | p99 | max | early |\n|---|---|---|---|---|---|---|\n")
	fmt.Printf("| SQS emulator alone: received − (sent + DelaySeconds) | %d | %s |\n", len(raw), summarize(raw))
	fmt.Printf("| scheduled change: applied − at (API path, worker via runner) | %d | %s |\n", len(late), e2e)
	if missing > 0 {
		fmt.Printf("\n%d changes were not applied exactly once\n", missing)
		return fmt.Errorf("%d changes not applied exactly once", missing)
	}
	return nil
}

// baseline sends n messages with whole-second delays and measures how late
// each arrives at a long-polling receiver.
func baseline(ctx context.Context, sq *sqs.Client, url string, n int, ahead, spread time.Duration, receivers int) ([]time.Duration, error) {
	var mu sync.Mutex
	want := map[string]time.Time{}
	for i := range n {
		d := (ahead + rand.N(spread)).Truncate(time.Second)
		body := fmt.Sprintf("m%d", i)
		mu.Lock()
		want[body] = time.Now().Add(d)
		mu.Unlock()
		if _, err := sq.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body), DelaySeconds: int32(d / time.Second)}); err != nil {
			return nil, err
		}
	}
	var late []time.Duration
	deadline := time.Now().Add(ahead + spread + 5*time.Second)
	var wg sync.WaitGroup
	for range receivers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				out, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
				if err != nil {
					return
				}
				got := time.Now()
				mu.Lock()
				for _, m := range out.Messages {
					late = append(late, got.Sub(want[aws.ToString(m.Body)]))
				}
				done := len(late) >= n
				mu.Unlock()
				for _, m := range out.Messages {
					sq.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
				}
				if done {
					return
				}
			}
		}()
	}
	wg.Wait()
	return late, nil
}

func summarize(d []time.Duration) string {
	if len(d) == 0 {
		return "- | - | - | - | -"
	}
	slices.Sort(d)
	p := func(q float64) string {
		return fmtDur(d[min(len(d)-1, int(q*float64(len(d))))])
	}
	early := 0
	for _, x := range d {
		if x < 0 {
			early++
		}
	}
	return strings.Join([]string{p(0.50), p(0.90), p(0.99), fmtDur(d[len(d)-1]), fmt.Sprint(early)}, " | ")
}

func fmtDur(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }
