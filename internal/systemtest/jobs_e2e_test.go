package systemtest_test

// Scheduled changes and assignment end to end: the HTTP API, DynamoDB
// Local, the jobs queue on the SQS emulator, the worker's Lambda handler fed
// by the local SQS runner, and the sweeper.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/auth"
	"github.com/leadflow/leadflow/internal/httpapi"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/openapi"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/sqsrunner"
	"github.com/leadflow/leadflow/internal/sweeper"
	"github.com/leadflow/leadflow/internal/testenv"
	"github.com/leadflow/leadflow/internal/worker"
)

// jobStack is a stack whose API enqueues jobs on a fresh queue, with the
// worker running on it and a sweeper at hand.
type jobStack struct {
	*stack
	queue   *queue.Queue
	qname   string // the queue's name; its dead-letter queue is qname+"-dlq"
	worker  *worker.Worker
	sweeper *sweeper.Sweeper
	// dispatcher delivers the outbox (assign jobs, scheduled changes due soon).
	dispatcher *dispatcherRun
}

func newJobStack(t *testing.T) *jobStack {
	t.Helper()
	return newJobStackOn(t, testenv.SQS(t))
}

// newJobStackOn is newJobStack on the SQS endpoint client talks to.
func newJobStackOn(t *testing.T, client *sqs.Client) *jobStack {
	t.Helper()
	s := newStack(t)
	ctx := context.Background()
	name := testenv.UniqueName("jobs")
	url, err := queue.CreateQueue(ctx, client, name, name+"-dlq")
	must(t, err)
	q := queue.New(client, url)
	hm, err := auth.NewHMAC([]byte(strings.Repeat("k", 40)), "leadflow-test")
	must(t, err)
	s.srv.Close()
	s.srv = httptest.NewServer(httpapi.NewLocal(httpapi.Deps{
		Sites: s.store, Captures: s.store, Accounts: s.store, Leads: s.store,
		Auth: hm, Health: []httpapi.Pinger{s.store}, OpenAPI: openapi.Document(),
		Assignment: s.store, Queue: q, APIKeys: s.store,
	}))
	t.Cleanup(s.srv.Close)
	js := &jobStack{
		stack:      s,
		queue:      q,
		qname:      name,
		worker:     &worker.Worker{Leads: s.store, Accounts: s.store, Assignment: s.store, Queue: q, Sent: s.store},
		sweeper:    &sweeper.Sweeper{Due: s.store, Queue: q},
		dispatcher: startDispatcher(t, s.store, q),
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	r := &sqsrunner.Runner{Client: client, QueueURL: url, Handler: js.worker.Handle, WaitSeconds: 1}
	go func() { defer close(done); _ = r.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })
	return js
}

// apiLead captures a distinct person (e-mail only) and returns the lead id.
func (s *stack) apiLead(email string, nav map[string]any) string {
	s.t.Helper()
	body := map[string]any{"source": "api", "contact": map[string]any{"name": "Pessoa " + email, "email": email}}
	if nav != nil {
		body["navigation"] = nav
	}
	r := s.expect(s.capture(body), http.StatusCreated)
	return r.json(s.t)["lead_id"].(string)
}

func (s *stack) detail(id string) map[string]any {
	s.t.Helper()
	return s.expect(s.call("GET", "/v1/leads/"+id, s.admin, nil), http.StatusOK).json(s.t)
}

// historyActions lists a lead's history actions (newest first) with their entries.
func historyOf(d map[string]any, action string) []map[string]any {
	var out []map[string]any
	for _, e := range d["history"].([]any) {
		m := e.(map[string]any)
		if m["action"] == action {
			out = append(out, m)
		}
	}
	return out
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitProgress waits until done() reports every item done, failing only
// when no item got done for stall: a slow machine is not a stuck system.
func waitProgress(t *testing.T, stall time.Duration, what string, done func() (n, total int)) {
	t.Helper()
	last, deadline := -1, time.Now().Add(stall)
	for {
		n, total := done()
		if n == total {
			return
		}
		if n > last {
			last, deadline = n, time.Now().Add(stall)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: stuck at %d of %d for %v", what, n, total, stall)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestScheduledChangeAppliedOnceOnTime(t *testing.T) {
	s := newJobStack(t)
	id := s.apiLead("agenda@example.com", nil)
	at := time.Now().Add(3 * time.Second).UTC()
	r := s.expect(s.call("POST", "/v1/leads/"+id+"/scheduled-changes", s.agent,
		map[string]any{"state": "no_sale", "sub_state": "sem_interesse", "at": at.Format(time.RFC3339Nano)}), http.StatusCreated)
	change := r.json(t)
	changeID := change["id"].(string)
	if change["state"] != "no_sale" || change["sub_state"] != "sem_interesse" {
		t.Fatalf("created change %v", change)
	}
	d := s.detail(id)
	if sc, _ := d["scheduled_change"].(map[string]any); sc["id"] != changeID {
		t.Fatalf("detail scheduled_change = %v", d["scheduled_change"])
	}
	if evs := historyOf(d, "change_scheduled"); len(evs) != 1 || field(evs[0], "actor.type") != "user" || field(evs[0], "actor.id") != "usr_agent" {
		t.Fatalf("scheduled history %v", evs)
	}

	// The dispatcher sends it (and marks it sent) from the outbox: the
	// lead's lead.created and lead.change_scheduled events.
	waitFor(t, 10*time.Second, "the dispatcher to send the change", func() bool { return s.dispatcher.delivered.Load() >= 2 })

	// Deliver the same change twice more by hand and sweep twice (the
	// sweeper set to re-send what was already sent): five deliveries in all.
	ctx := context.Background()
	for range 2 {
		must(t, s.queue.Send(ctx, jobs.ScheduledChange(s.tenant, id, changeID, at), jobs.Delay(at, time.Now())))
	}
	s.sweeper.ResendAfter = time.Nanosecond
	for range 2 {
		n, err := s.sweeper.Sweep(ctx)
		must(t, err)
		if n < 1 {
			t.Fatalf("sweep sent %d changes, want the pending one", n)
		}
	}

	waitFor(t, 10*time.Second, "the change to apply", func() bool { return s.detail(id)["state"] == "no_sale" })
	time.Sleep(2500 * time.Millisecond) // let every duplicate arrive
	d = s.detail(id)
	applied := historyOf(d, "change_applied")
	if len(applied) != 1 {
		t.Fatalf("applied %d times, want once: %v", len(applied), d["history"])
	}
	appliedAt, err := time.Parse(time.RFC3339Nano, applied[0]["at"].(string))
	must(t, err)
	late := appliedAt.Sub(at)
	t.Logf("applied %v after its time", late)
	if late < 0 || late > 2*time.Second {
		t.Errorf("applied at %v, %v from its time %v (want 0..2s)", appliedAt, late, at)
	}
	if field(applied[0], "actor.type") != "worker" {
		t.Errorf("applied by %v", applied[0]["actor"])
	}
	stateChanges := 0
	for _, e := range d["history"].([]any) {
		if e.(map[string]any)["field"] == "state" {
			stateChanges++
		}
	}
	if stateChanges != 1 || d["sub_state"] != "sem_interesse" || d["scheduled_change"] != nil {
		t.Errorf("state changes %d, sub_state %v, scheduled_change %v", stateChanges, d["sub_state"], d["scheduled_change"])
	}
	// Nothing left to sweep.
	if n, err := s.sweeper.Sweep(ctx); err != nil || n != 0 {
		t.Errorf("sweep after apply sent %d (%v)", n, err)
	}
}

func TestCancelledAndReplacedChangesAreNotApplied(t *testing.T) {
	s := newJobStack(t)
	id := s.apiLead("cancel@example.com", nil)
	at := time.Now().Add(2 * time.Second).UTC()
	first := s.expect(s.call("POST", "/v1/leads/"+id+"/scheduled-changes", s.agent,
		map[string]any{"state": "sale", "at": at.Format(time.RFC3339Nano)}), http.StatusCreated).json(t)["id"].(string)
	// Reschedule: the first change is replaced (its message still arrives).
	second := s.expect(s.call("POST", "/v1/leads/"+id+"/scheduled-changes", s.admin,
		map[string]any{"state": "in_progress", "sub_state": "proposta_enviada", "at": at.Add(time.Second).Format(time.RFC3339Nano)}), http.StatusCreated).json(t)["id"].(string)
	s.expect(s.call("DELETE", "/v1/leads/"+id+"/scheduled-changes/"+first, s.agent, nil), http.StatusNotFound)
	s.expect(s.call("DELETE", "/v1/leads/"+id+"/scheduled-changes/"+second, s.agent, nil), http.StatusNoContent)
	s.expect(s.call("DELETE", "/v1/leads/"+id+"/scheduled-changes/"+second, s.agent, nil), http.StatusNotFound)

	time.Sleep(time.Until(at.Add(3 * time.Second)))
	d := s.detail(id)
	if d["state"] != "new" || d["scheduled_change"] != nil || len(historyOf(d, "change_applied")) != 0 {
		t.Fatalf("cancelled change applied: state %v, scheduled %v", d["state"], d["scheduled_change"])
	}
	if len(historyOf(d, "change_scheduled")) != 1 || len(historyOf(d, "change_rescheduled")) != 1 || len(historyOf(d, "change_cancelled")) != 1 {
		t.Errorf("history %v", d["history"])
	}
	if n, err := s.sweeper.Sweep(context.Background()); err != nil || n != 0 {
		t.Errorf("sweep found %d cancelled changes (%v)", n, err)
	}
}

func TestScheduleValidationNamesFields(t *testing.T) {
	s := newStack(t)
	id := s.apiLead("valid@example.com", nil)
	path := "/v1/leads/" + id + "/scheduled-changes"
	for _, c := range []struct {
		body any
		want map[string]string
	}{
		{map[string]any{}, map[string]string{"state": "required", "at": "required"}},
		{map[string]any{"state": "won", "at": "2020-01-01T00:00:00Z"}, map[string]string{"state": "not_allowed", "at": "not_in_future"}},
		{map[string]any{"state": "no_sale", "sub_state": "caro", "at": "amanhã"}, map[string]string{"sub_state": "not_allowed", "at": "invalid"}},
		{map[string]any{"state": "sale", "at": time.Now().AddDate(1, 0, 2).Format(time.RFC3339)}, map[string]string{"at": "too_far"}},
	} {
		r := s.expect(s.call("POST", path, s.agent, c.body), http.StatusBadRequest)
		if got := fieldErrors(t, r); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%v: errors %v, want %v", c.body, got, c.want)
		}
	}
	s.expect(s.call("POST", "/v1/leads/ld_missing/scheduled-changes", s.agent,
		map[string]any{"state": "sale", "at": time.Now().Add(time.Hour).Format(time.RFC3339)}), http.StatusNotFound)
	// Another tenant cannot schedule on this lead.
	s.expect(s.call("POST", path, s.other, map[string]any{"state": "sale", "at": time.Now().Add(time.Hour).Format(time.RFC3339)}), http.StatusNotFound)
}

func (s *stack) seedAgents(ids ...string) {
	for _, id := range ids {
		must(s.t, s.store.PutUser(context.Background(), account.User{ID: id, TenantID: s.tenant, Name: "Agente " + id,
			Role: account.RoleAgent, Active: true, CreatedAt: s.now}))
	}
}

func TestConcurrentCapturesRoundRobinFairly(t *testing.T) {
	s := newJobStack(t)
	s.seedAgents("usr_agent2", "usr_agent3", "usr_away")
	s.expect(s.call("PATCH", "/v1/users/usr_away", s.admin, map[string]any{"away": true}), http.StatusOK)
	s.expect(s.call("PUT", "/v1/assignment/rules", s.agent, map[string]any{"rules": []any{}}), http.StatusForbidden)
	rules := s.expect(s.call("PUT", "/v1/assignment/rules", s.admin, map[string]any{"rules": []any{
		map[string]any{"id": "everyone", "name": "Todos", "strategy": "round_robin", "match": map[string]any{}},
	}}), http.StatusOK).json(t)
	if rules["version"].(float64) != 1 {
		t.Fatalf("rules %v", rules)
	}

	const n = 50
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i] = s.apiLead(fmt.Sprintf("rr%02d@example.com", i), nil)
		}()
	}
	wg.Wait()
	owners := map[string]int{}
	// Assignments of one round-robin rule serialise on its cursor: on a
	// loaded machine 50 take a while, so the wait fails only on a stall.
	waitProgress(t, 30*time.Second, "assigning every lead", func() (int, int) {
		clear(owners)
		n := 0
		for _, id := range ids {
			if o, _ := s.detail(id)["owner_id"].(string); o != "" {
				owners[o]++
				n++
			}
		}
		return n, len(ids)
	})
	if len(owners) != 3 {
		t.Fatalf("owners %v, want usr_agent, usr_agent2, usr_agent3", owners)
	}
	for o, c := range owners {
		if c != 16 && c != 17 {
			t.Errorf("%s got %d of %d leads (want 16 or 17): %v", o, c, n, owners)
		}
	}
	d := s.detail(ids[0])
	assigned := historyOf(d, "assigned")
	if len(assigned) != 1 || field(assigned[0], "actor.type") != "worker" || assigned[0]["rule"] != "everyone" || assigned[0]["field"] != "owner_id" {
		t.Errorf("assignment history %v", assigned)
	}
	// Open-lead counters follow assignments and state changes.
	users := s.expect(s.call("GET", "/v1/users", s.agent, nil), http.StatusOK).json(t)
	open := map[string]float64{}
	for _, u := range users["items"].([]any) {
		m := u.(map[string]any)
		open[m["id"].(string)] = m["open_leads"].(float64)
	}
	for o, c := range owners {
		if open[o] != float64(c) {
			t.Errorf("open_leads[%s] = %v, want %d", o, open[o], c)
		}
	}
	owner := d["owner_id"].(string)
	s.expect(s.call("PATCH", "/v1/leads/"+ids[0], s.agent, map[string]any{"state": "sale"}), http.StatusOK)
	users = s.expect(s.call("GET", "/v1/users", s.agent, nil), http.StatusOK).json(t)
	for _, u := range users["items"].([]any) {
		m := u.(map[string]any)
		if m["id"] == owner && m["open_leads"].(float64) != float64(owners[owner]-1) {
			t.Errorf("after a sale %s has %v open leads, want %d", owner, m["open_leads"], owners[owner]-1)
		}
	}

	// A repeated assign job keeps the owner.
	must(t, s.worker.Process(context.Background(), jobs.Assign(s.tenant, ids[1])))
	before := s.detail(ids[1])["owner_id"]
	must(t, s.worker.Process(context.Background(), jobs.Assign(s.tenant, ids[1])))
	if after := s.detail(ids[1]); after["owner_id"] != before || len(historyOf(after, "assigned")) != 1 {
		t.Errorf("repeat assign changed the lead: %v → %v", before, after["owner_id"])
	}
}

func TestRulesBySourceAndLeastLoaded(t *testing.T) {
	s := newJobStack(t)
	s.seedAgents("usr_agent2", "usr_google")
	s.expect(s.call("PUT", "/v1/assignment/rules", s.admin, map[string]any{"rules": []any{
		map[string]any{"id": "google", "strategy": "least_loaded", "match": map[string]any{"source": "google", "campaign": "bf2026"}, "agents": []string{"usr_google"}},
		map[string]any{"id": "rest", "strategy": "least_loaded", "match": map[string]any{}, "agents": []string{"usr_agent", "usr_agent2"}},
	}}), http.StatusOK)
	bad := s.expect(s.call("PUT", "/v1/assignment/rules", s.admin, map[string]any{"rules": []any{
		map[string]any{"strategy": "random", "agents": []string{"nobody"}},
	}}), http.StatusBadRequest)
	if got := fieldErrors(t, bad); got["rules[0].strategy"] != "not_allowed" || got["rules[0].agents[0]"] != "invalid" {
		t.Errorf("errors %v", got)
	}
	s.expect(s.call("PUT", "/v1/assignment/rules", s.admin, map[string]any{"rules": []any{}}, `If-Match: "7"`), http.StatusPreconditionFailed)

	g := s.apiLead("google@example.com", map[string]any{"utm_source": "google", "utm_campaign": "BF2026"})
	a := s.apiLead("plain1@example.com", nil)
	waitFor(t, 10*time.Second, "assignment", func() bool { return s.detail(g)["owner_id"] != nil && s.detail(a)["owner_id"] != nil })
	if o := s.detail(g)["owner_id"]; o != "usr_google" {
		t.Errorf("google lead owner %v", o)
	}
	first := s.detail(a)["owner_id"].(string)
	b := s.apiLead("plain2@example.com", nil)
	waitFor(t, 10*time.Second, "assignment", func() bool { return s.detail(b)["owner_id"] != nil })
	if second := s.detail(b)["owner_id"]; second == first {
		t.Errorf("least loaded gave both leads to %s", first)
	}

	// Admins reassign many; agents cannot.
	s.expect(s.call("POST", "/v1/assignment/reassign", s.agent, map[string]any{"lead_ids": []string{a, b}, "owner_id": "usr_agent"}), http.StatusForbidden)
	s.expect(s.call("PATCH", "/v1/leads/"+a, s.agent, map[string]any{"owner_id": "usr_agent2"}), http.StatusForbidden)
	res := s.expect(s.call("POST", "/v1/assignment/reassign", s.admin,
		map[string]any{"lead_ids": []string{a, b, "ld_nope"}, "owner_id": "usr_agent2"}), http.StatusOK).json(t)
	statuses := map[string]string{}
	for _, r := range res["results"].([]any) {
		m := r.(map[string]any)
		statuses[m["lead_id"].(string)] = m["status"].(string)
	}
	if statuses["ld_nope"] != "not_found" || s.detail(a)["owner_id"] != "usr_agent2" || s.detail(b)["owner_id"] != "usr_agent2" {
		t.Errorf("reassign results %v", statuses)
	}
	s.expect(s.call("POST", "/v1/assignment/reassign", s.admin, map[string]any{"lead_ids": []string{a}, "owner_id": "usr_gone"}), http.StatusBadRequest)

	// Agents may mark only themselves away, and never (de)activate.
	s.expect(s.call("PATCH", "/v1/users/usr_agent", s.agent, map[string]any{"away": true}), http.StatusOK)
	s.expect(s.call("PATCH", "/v1/users/usr_agent2", s.agent, map[string]any{"away": true}), http.StatusForbidden)
	s.expect(s.call("PATCH", "/v1/users/usr_agent", s.agent, map[string]any{"active": false}), http.StatusForbidden)
	s.expect(s.call("PATCH", "/v1/users/usr_nobody", s.admin, map[string]any{"away": true}), http.StatusNotFound)
	s.expect(s.call("GET", "/v1/assignment/rules", s.agent, nil), http.StatusForbidden)
	got := s.expect(s.call("GET", "/v1/assignment/rules", s.admin, nil), http.StatusOK).json(t)
	if len(got["rules"].([]any)) != 2 {
		t.Errorf("rules %v", got)
	}
}
