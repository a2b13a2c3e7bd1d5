package systemtest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/auth"
	"github.com/leadflow/leadflow/internal/httpapi"
	"github.com/leadflow/leadflow/internal/importjob"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/openapi"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/sqsrunner"
	"github.com/leadflow/leadflow/internal/testenv"
	"github.com/leadflow/leadflow/internal/worker"
)

// A large import runs chunk by chunk through the real queue and the
// worker's Lambda handler (fed by the local SQS runner). make test imports
// 2,000 rows and checks every row landed; how long the slowest chunk takes
// (it must stay well within the worker's 30 s timeout) is a measurement,
// not an assertion: make bench-import sets LEADFLOW_IMPORT_ROWS=50000 and
// reports it in BENCHMARKS.md, on a quiet machine.
func TestLargeImportThroughTheQueue(t *testing.T) {
	rows := 2000
	if v := os.Getenv("LEADFLOW_IMPORT_ROWS"); v != "" {
		rows, _ = strconv.Atoi(v)
	}
	s := newStack(t)
	ctx := context.Background()
	client := testenv.SQS(t)
	name := testenv.UniqueName("imp")
	url, err := queue.CreateQueue(ctx, client, name, name+"-dlq")
	must(t, err)
	q := queue.New(client, url)
	starter := jobs.QueueStarter{Queue: q}
	hm, err := auth.NewHMAC([]byte(strings.Repeat("k", 40)), "leadflow-test")
	must(t, err)
	s.srv.Close()
	captures := s.store // new leads are assigned through the outbox (not run here)
	s.srv = httptest.NewServer(httpapi.NewLocal(httpapi.Deps{
		Sites: s.store, Captures: captures, Accounts: s.store, Leads: s.store, Lists: s.store,
		Auth: hm, Health: []httpapi.Pinger{s.store}, OpenAPI: openapi.Document(),
		Assignment: s.store, Queue: q, JobRecords: s.store, JobStarter: starter, Imports: s.store, APIKeys: s.store,
	}))
	t.Cleanup(s.srv.Close)
	runner := &importjob.Runner{Store: s.store, Captures: captures, Starter: starter}
	var slowest time.Duration
	w := &worker.Worker{Leads: s.store, Accounts: s.store, Assignment: s.store, Queue: q,
		Extra: map[string]jobs.Handler{jobs.TypeImport: func(ctx context.Context, j queue.Job) error {
			start := time.Now()
			err := runner.Handle(ctx, j)
			slowest = max(slowest, time.Since(start))
			return err
		}}}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	r := &sqsrunner.Runner{Client: client, QueueURL: url, Handler: w.Handle, WaitSeconds: 1}
	go func() { defer close(done); _ = r.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })

	var b strings.Builder
	b.WriteString("nome,email,telefone,campanha,etiquetas\n")
	for i := range rows {
		fmt.Fprintf(&b, "Pessoa %d,p%d@example.com,+55119%08d,bf2026,lote\n", i, i, i)
	}
	file := []byte(b.String())
	if len(file) > 5<<20 {
		t.Fatalf("%d rows make %d bytes, over the 5 MB upload cap", rows, len(file))
	}
	start := time.Now()
	imp := s.expect(s.call("POST", "/v1/imports", s.admin, file, "Content-Type: text/csv"), http.StatusAccepted).json(t)
	id := imp["id"].(string)
	deadline := time.Now().Add(time.Duration(rows/20+60) * time.Second)
	for {
		imp = s.expect(s.call("GET", "/v1/imports/"+id, s.admin, nil), http.StatusOK).json(t)
		if imp["status"] == "done" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("import not done after %s: %v", time.Since(start), counts(imp))
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("%d rows in %s (%.0f rows/s); slowest chunk %s", rows, time.Since(start), float64(rows)/time.Since(start).Seconds(), slowest)
	if counts(imp) != fmt.Sprintf("created=%d updated=0 skipped=0 error=0", rows) || imp["processed"] != float64(rows) {
		t.Fatalf("import %v", counts(imp))
	}
	rep := s.report(s.admin, id)
	if len(rep) != rows || rep["2"][0] != "created" || rep[strconv.Itoa(rows+1)][0] != "created" {
		t.Errorf("report has %d rows", len(rep))
	}
	list := s.expect(s.call("GET", "/v1/leads?tag=lote&limit=100", s.admin, nil), http.StatusOK).json(t)
	if len(list["items"].([]any)) != 100 {
		t.Errorf("tag=lote lists %d", len(list["items"].([]any)))
	}
}
