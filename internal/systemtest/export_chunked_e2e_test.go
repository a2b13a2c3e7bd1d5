package systemtest_test

// Async exports carried across many queue messages: the API enqueues the
// first message on a real queue (fauxqs), the worker's Lambda handler runs
// every message through the local SQS runner, and the file is downloaded
// through the presigned URL.

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/xuri/excelize/v2"

	"github.com/leadflow/leadflow/internal/exportjob"
	"github.com/leadflow/leadflow/internal/httpapi"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/s3store"
	"github.com/leadflow/leadflow/internal/sqsrunner"
	"github.com/leadflow/leadflow/internal/testenv"
	"github.com/leadflow/leadflow/internal/worker"
)

type exportStack struct {
	*stack
	s3     *s3.Client
	bucket string
	runner *exportjob.Runner
}

// newExportStack is a stack whose async exports run on a fresh queue with
// the worker on it; tune sets the runner's per-message bounds.
func newExportStack(t *testing.T, tune func(*exportjob.Runner)) *exportStack {
	t.Helper()
	s := newStack(t)
	ctx := context.Background()
	sqsClient := testenv.SQS(t)
	name := testenv.UniqueName("exports")
	url, err := queue.CreateQueue(ctx, sqsClient, name, name+"-dlq")
	must(t, err)
	q := queue.New(sqsClient, url)
	client := testenv.S3(t)
	bucket := strings.ToLower(testenv.UniqueName("exports"))
	must(t, s3store.Create(ctx, client, bucket))
	files := s3store.NewExportFiles(client, bucket)
	runner := &exportjob.Runner{Leads: s.store, Jobs: s.store, Files: files, Starter: jobs.QueueStarter{Queue: q}, TempDir: t.TempDir()}
	tune(runner)
	s.deps.JobStarter = jobs.QueueStarter{Queue: q}
	s.deps.ExportFiles = files
	s.srv.Close()
	s.srv = httptest.NewServer(httpapi.NewLocal(s.deps))
	t.Cleanup(s.srv.Close)
	w := &worker.Worker{Leads: s.store, Accounts: s.store, Assignment: s.store, Queue: q,
		Extra: map[string]jobs.Handler{jobs.TypeExport: runner.Handle}}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	r := &sqsrunner.Runner{Client: sqsClient, QueueURL: url, Handler: w.Handle, WaitSeconds: 1}
	go func() { defer close(done); _ = r.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })
	return &exportStack{stack: s, s3: client, bucket: bucket, runner: runner}
}

// seedLeads stores n leads straight through the store (fast), every 40th
// named like a formula; userAgent pads each row.
func (s *exportStack) seedLeads(n int, userAgent string) {
	s.t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			name := fmt.Sprintf("Lead %04d", i)
			if i%40 == 0 {
				name = fmt.Sprintf("=HYPERLINK(\"http://evil/%d\")", i)
			}
			at := s.now.Add(time.Duration(i) * time.Millisecond)
			_, err := s.store.Capture(context.Background(), s.site, lead.Capture{SiteID: s.site.ID, Name: name,
				Contact: lead.Contact{Email: fmt.Sprintf("lead%04d@example.com", i)},
				Touch:   lead.Touch{At: at, EntryMethod: lead.EntryAPI, SiteID: s.site.ID, IP: "10.0.0.1", UserAgent: userAgent}})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(s.t, err)
	}
}

// listIDs is the selection in list order, read directly.
func (s *exportStack) listIDs(q lead.Query) []string {
	s.t.Helper()
	var ids []string
	cursor := ""
	for {
		page, err := s.store.List(context.Background(), s.tenant, q, cursor, 100)
		must(s.t, err)
		for _, l := range page.Items {
			ids = append(ids, l.ID)
		}
		if cursor = page.NextCursor; cursor == "" {
			return ids
		}
	}
}

// waitJob polls GET /v1/jobs/{id} until the job is done.
func (s *exportStack) waitJob(id string) map[string]any {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		job := s.expect(s.call("GET", "/v1/jobs/"+id, s.agent, nil), http.StatusOK).json(s.t)
		if job["status"] == "done" || job["status"] == "failed" {
			return job
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.t.Fatalf("job %s not done in 60 s", id)
	return nil
}

// exportedRows parses a downloaded file into rows of column → value.
func exportedRows(t *testing.T, format string, b []byte) []map[string]string {
	t.Helper()
	var table [][]string
	switch format {
	case "csv":
		var err error
		table, err = csv.NewReader(bytes.NewReader(b)).ReadAll()
		must(t, err)
	case "xlsx":
		f, err := excelize.OpenReader(bytes.NewReader(b))
		must(t, err)
		table, err = f.GetRows("Sheet1")
		must(t, err)
	case "xml":
		var doc struct {
			Leads []struct {
				Fields []struct {
					Name  string `xml:"name,attr"`
					Value string `xml:",chardata"`
				} `xml:"field"`
			} `xml:"lead"`
		}
		must(t, xml.Unmarshal(b, &doc))
		var out []map[string]string
		for _, l := range doc.Leads {
			m := map[string]string{}
			for _, f := range l.Fields {
				m[f.Name] = f.Value
			}
			out = append(out, m)
		}
		return out
	}
	var out []map[string]string
	for _, row := range table[1:] {
		m := map[string]string{}
		for i, h := range table[0] {
			if i < len(row) {
				m[h] = row[i]
			}
		}
		out = append(out, m)
	}
	return out
}

func (s *exportStack) objects() []string {
	s.t.Helper()
	out, err := s.s3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket)})
	must(s.t, err)
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	slices.Sort(keys)
	return keys
}

// 300 leads at 7 rows a message: every format spans more than 40
// messages through the real queue and worker, and the file holds every
// lead once, in list order, with formulas neutralized (csv, xlsx).
func TestAsyncExportSpansManyQueueMessages(t *testing.T) {
	s := newExportStack(t, func(r *exportjob.Runner) { r.MaxRows = 7 })
	const n = 300
	s.seedLeads(n, "Mozilla/5.0")
	want := s.listIDs(lead.Query{Sort: lead.SortNewest})
	if len(want) != n {
		t.Fatalf("seeded %d leads, list has %d", n, len(want))
	}

	ids := map[string]string{}
	for _, format := range []string{"csv", "xml", "xlsx"} {
		r := s.expect(s.call("GET", "/v1/leads/export?async=true&format="+format, s.agent, nil), http.StatusAccepted)
		ids[format] = r.json(t)["id"].(string)
	}
	for _, format := range []string{"csv", "xml", "xlsx"} {
		job := s.waitJob(ids[format])
		if job["done_count"] != float64(n) || job["failed_count"] != float64(0) || job["chunk"].(float64) < n/7 {
			t.Fatalf("%s job = %v", format, job)
		}
		if _, ok := job["runner_state"]; ok {
			t.Errorf("%s: the runner's state leaked: %v", format, job)
		}
		rows := exportedRows(t, format, download(t, job["result"].(string)))
		var got []string
		for _, row := range rows {
			got = append(got, row["id"])
			evil := strings.HasPrefix(strings.TrimPrefix(row["name"], "'"), "=")
			if evil && (format == "xml") == strings.HasPrefix(row["name"], "'") {
				t.Errorf("%s: name %q (neutralized in csv and xlsx only)", format, row["name"])
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d rows, want the %d leads once each in list order; first differences: %v", format, len(got), len(want), firstDiff(got, want))
		}
	}
	// Only the three files are left: every carried piece and row chunk was
	// removed.
	wantKeys := []string{exportjob.Key(s.tenant, ids["csv"], "csv"), exportjob.Key(s.tenant, ids["xlsx"], "xlsx"), exportjob.Key(s.tenant, ids["xml"], "xml")}
	slices.Sort(wantKeys)
	if got := s.objects(); !slices.Equal(got, wantKeys) {
		t.Errorf("objects = %v, want %v", got, wantKeys)
	}

	// Redelivered messages — the first, one from the middle, one past the
	// end — change nothing.
	before := map[string][]byte{}
	recs := map[string]jobs.Record{}
	for format, id := range ids {
		before[format] = s.object(exportjob.Key(s.tenant, id, format))
		rec, err := s.store.Job(context.Background(), s.tenant, id)
		must(t, err)
		recs[format] = rec
		for _, chunk := range []int{0, 3, rec.Chunk - 1, rec.Chunk} {
			payload, _ := json.Marshal(jobs.ExportPayload{Format: format, Query: lead.Query{Sort: lead.SortNewest}, Chunk: chunk})
			must(t, s.runner.Handle(context.Background(), queue.Job{ID: id, Type: jobs.TypeExport, TenantID: s.tenant, Payload: payload}))
		}
	}
	for format, id := range ids {
		rec, err := s.store.Job(context.Background(), s.tenant, id)
		must(t, err)
		if rec.Chunk != recs[format].Chunk || rec.Done != n || rec.Total != n || rec.State != recs[format].State {
			t.Errorf("%s record after redeliveries = %+v, was %+v", format, rec, recs[format])
		}
		if !bytes.Equal(s.object(exportjob.Key(s.tenant, id, format)), before[format]) {
			t.Errorf("%s file changed after redeliveries", format)
		}
	}
	if got := s.objects(); !slices.Equal(got, wantKeys) {
		t.Errorf("objects after redeliveries = %v", got)
	}
}

func (s *exportStack) object(key string) []byte {
	s.t.Helper()
	out, err := s.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	must(s.t, err)
	defer out.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(out.Body)
	must(s.t, err)
	return b.Bytes()
}

func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return fmt.Sprintf("at %d got %s want %s", i, got[i], want[i])
		}
	}
	return fmt.Sprintf("lengths %d vs %d", len(got), len(want))
}

// An XLSX export larger than a sheet is refused, naming format, and
// leaves nothing in the bucket.
func TestAsyncXLSXExportOverTheRowCapIsRefused(t *testing.T) {
	s := newExportStack(t, func(r *exportjob.Runner) { r.MaxRows = 7; r.XLSXRowCap = 20 })
	s.seedLeads(30, "")
	id := s.expect(s.call("GET", "/v1/leads/export?async=true&format=xlsx", s.agent, nil), http.StatusAccepted).json(t)["id"].(string)
	job := s.waitJob(id)
	errs, _ := job["errors"].([]any)
	if job["status"] != "failed" || job["failed_count"] != float64(1) || job["result"] != nil || len(errs) != 1 {
		t.Fatalf("job = %v", job)
	}
	e := errs[0].(map[string]any)
	if e["id"] != "format" || !strings.Contains(e["reason"].(string), "at most 20 leads") {
		t.Errorf("error = %v", e)
	}
	if got := s.objects(); len(got) != 0 {
		t.Errorf("objects = %v, want none", got)
	}
	// The same export as CSV goes through.
	id = s.expect(s.call("GET", "/v1/leads/export?async=true&format=csv", s.agent, nil), http.StatusAccepted).json(t)["id"].(string)
	if job := s.waitJob(id); job["done_count"] != float64(30) || job["result"] == nil {
		t.Errorf("csv job = %v", job)
	}
}
