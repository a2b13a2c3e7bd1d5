package systemtest_test

// The outbox end to end: side effects recorded in the committing
// transaction reach the jobs queue through the table's stream and the
// dispatcher's Lambda handler (run by internal/streamrunner, as in make
// dev), even when the send right after the commit fails or nothing is
// running to send it; redelivered stream records change nothing.

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/leadflow/leadflow/internal/dispatcher"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/outbox"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/streamrunner"
	"github.com/leadflow/leadflow/internal/testenv"
	"github.com/leadflow/leadflow/internal/testkit/faults"
)

// dispatcherRun is a running outbox dispatcher: the stream runner feeding
// the dispatcher's handler, reading st's stream from its start.
type dispatcherRun struct {
	stop      func()
	delivered atomic.Int64 // outbox events handled without error
}

// startDispatcher runs Leadflow's dispatcher over st's stream, sending to
// q, until stop (or the test's end).
func startDispatcher(t *testing.T, st *dynamo.Store, q jobs.Sender) *dispatcherRun {
	t.Helper()
	return runDispatcher(t, st, dispatcher.New(q, st, nil, time.Now))
}

// runDispatcher runs d over st's stream until stop (or the test's end).
func runDispatcher(t *testing.T, st *dynamo.Store, d *dispatcher.Dispatcher) *dispatcherRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	must(t, st.EnableStream(ctx)) // test tables are created without one
	arn, err := st.StreamARN(ctx)
	must(t, err)
	if arn == "" {
		t.Fatal("the table has no stream")
	}
	streams := testenv.DynamoDBStreams(t)
	run := &dispatcherRun{}
	handle := func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		resp, err := d.Handle(ctx, ev)
		failed := map[string]bool{}
		for _, f := range resp.BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
		for _, rec := range ev.Records {
			if failed[rec.Change.SequenceNumber] {
				break
			}
			if _, ok, _ := dispatcher.Decode(rec); ok {
				run.delivered.Add(1)
			}
		}
		return resp, err
	}
	r := &streamrunner.Runner{Client: streams, StreamARN: arn, Handler: handle, Idle: 50 * time.Millisecond, MaxRetries: 100}
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	var stopped atomic.Bool
	run.stop = func() {
		if stopped.CompareAndSwap(false, true) {
			cancel()
			<-done
		}
	}
	t.Cleanup(run.stop)
	return run
}

// openLeads is each user's open-lead counter, as GET /v1/users shows it.
func (s *stack) openLeads() map[string]float64 {
	s.t.Helper()
	open := map[string]float64{}
	for _, u := range s.expect(s.call("GET", "/v1/users", s.admin, nil), http.StatusOK).json(s.t)["items"].([]any) {
		m := u.(map[string]any)
		open[m["id"].(string)] = m["open_leads"].(float64)
	}
	return open
}

// A capture whose first sends fail (SQS throttles every SendMessage of the
// dispatcher for a while) is still assigned, once: the assign job is in the
// outbox, committed with the lead, and the dispatcher retries until the
// queue takes it. Replaying the whole stream afterwards changes nothing.
func TestOutboxAssignsALeadWhoseSendFailed(t *testing.T) {
	s := newJobStack(t)
	s.dispatcher.stop() // replaced by one whose sends fail
	inj := faults.New(faults.Config{Rate: 1, Operations: []string{"SendMessage"}})
	opts := testenv.SQS(t).Options()
	opts.APIOptions = append(opts.APIOptions, inj.AddTo)
	failing := queue.New(sqs.New(opts), s.queue.URL())
	startDispatcher(t, s.store, failing)
	s.expect(s.call("PUT", "/v1/assignment/rules", s.admin, map[string]any{"rules": []any{
		map[string]any{"id": "everyone", "name": "Todos", "strategy": "round_robin", "match": map[string]any{"site_id": s.site.ID}, "agents": []string{"usr_agent"}},
	}}), http.StatusOK)

	id := s.apiLead("outbox@example.com", nil)
	waitFor(t, 20*time.Second, "the dispatcher's sends to fail", func() bool { _, before, _ := inj.Counts(); return before >= 3 })
	if o := s.detail(id)["owner_id"]; o != nil && o != "" {
		t.Fatalf("assigned to %v while every send failed", o)
	}
	inj.SetRate(0) // SQS recovers
	waitFor(t, 20*time.Second, "the lead to be assigned", func() bool { return s.detail(id)["owner_id"] == "usr_agent" })

	// Replay every record of the stream with a healthy queue.
	replay := startDispatcher(t, s.store, s.queue)
	waitFor(t, 20*time.Second, "the replay to deliver the lead's outbox event", func() bool { return replay.delivered.Load() >= 1 })
	time.Sleep(2 * time.Second) // let the replayed assign job reach the worker
	d := s.detail(id)
	if a := historyOf(d, "assigned"); len(a) != 1 || d["owner_id"] != "usr_agent" {
		t.Fatalf("owner %v, assigned entries %v; want one assignment to usr_agent", d["owner_id"], a)
	}
	if open := s.openLeads(); open["usr_agent"] != 1 {
		t.Fatalf("open_leads = %v, want usr_agent: 1", open)
	}
}

// A scheduled change due within 15 minutes, committed while no dispatcher
// runs (the process died between the commit and the send), is sent when one
// starts again and applied once; replaying the stream changes nothing.
func TestOutboxSendsAScheduledChangeCommittedWhileTheDispatcherWasDown(t *testing.T) {
	s := newJobStack(t)
	id := s.apiLead("agenda-outbox@example.com", nil)
	s.dispatcher.stop()
	at := time.Now().Add(3 * time.Second).UTC()
	changeID := s.expect(s.call("POST", "/v1/leads/"+id+"/scheduled-changes", s.agent,
		map[string]any{"state": "in_progress", "sub_state": "proposta_enviada", "at": at.Format(time.RFC3339Nano)}), http.StatusCreated).json(t)["id"].(string)
	time.Sleep(time.Until(at.Add(time.Second)))
	if d := s.detail(id); d["state"] != "new" {
		t.Fatalf("state %v with no dispatcher running; want new (nothing sent the change)", d["state"])
	}

	again := startDispatcher(t, s.store, s.queue) // from the stream's start: a replay of the capture too
	waitFor(t, 20*time.Second, "the change to apply", func() bool { return s.detail(id)["state"] == "in_progress" })
	waitFor(t, 20*time.Second, "the lead's two outbox events", func() bool { return again.delivered.Load() >= 2 })
	replay := startDispatcher(t, s.store, s.queue)
	waitFor(t, 20*time.Second, "the second replay", func() bool { return replay.delivered.Load() >= 2 })
	time.Sleep(2 * time.Second) // let the replayed jobs reach the worker
	d := s.detail(id)
	applied := historyOf(d, "change_applied")
	if len(applied) != 1 || d["scheduled_change"] != nil || d["sub_state"] != "proposta_enviada" {
		t.Fatalf("applied %v, scheduled_change %v, sub_state %v; want change %s applied once", applied, d["scheduled_change"], d["sub_state"], changeID)
	}
}

// Every new lead and every new scheduled change leaves exactly one outbox
// event in the stream, with the typed payload its consumers read.
func TestOutboxEventsOfACaptureAndASchedule(t *testing.T) {
	s := newJobStack(t)
	var seen []outbox.Event
	got := make(chan outbox.Event, 16)
	s.dispatcher.stop()
	record := func(_ context.Context, e outbox.Event) error { got <- e; return nil }
	runDispatcher(t, s.store, &dispatcher.Dispatcher{Consumers: map[string][]dispatcher.Consumer{
		outbox.TypeLeadCreated: {record}, outbox.TypeChangeScheduled: {record},
	}})
	id := s.apiLead("eventos@example.com", nil)
	s.expect(s.capture(map[string]any{"source": "api", "contact": map[string]any{"email": "eventos@example.com"}}),
		http.StatusOK) // a repeat capture: no new lead, no event
	at := time.Now().Add(time.Hour).UTC()
	changeID := s.expect(s.call("POST", "/v1/leads/"+id+"/scheduled-changes", s.agent,
		map[string]any{"state": "sale", "at": at.Format(time.RFC3339Nano)}), http.StatusCreated).json(t)["id"].(string)
	deadline := time.After(20 * time.Second)
	for len(seen) < 2 {
		select {
		case e := <-got:
			seen = append(seen, e)
		case <-deadline:
			t.Fatalf("events %+v; want lead.created and lead.change_scheduled", seen)
		}
	}
	time.Sleep(time.Second)
	if len(got) != 0 {
		t.Fatalf("more events than two: %+v then %+v", seen, <-got)
	}
	created, err := outbox.Decode[outbox.LeadCreated](seen[0])
	must(t, err)
	sched, err := outbox.Decode[outbox.ChangeScheduled](seen[1])
	must(t, err)
	if seen[0].Type != outbox.TypeLeadCreated || seen[0].TenantID != s.tenant || created.LeadID != id ||
		seen[1].Type != outbox.TypeChangeScheduled || sched.LeadID != id || sched.ChangeID != changeID || !sched.At.Equal(at) {
		t.Fatalf("events %+v (%+v, %+v)", seen, created, sched)
	}
}
