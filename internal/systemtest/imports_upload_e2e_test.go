package systemtest_test

// Imports of files uploaded to S3 through a presigned URL: fauxqs serves
// S3 (and the jobs queue); the file is PUT with a plain http.Client, as a
// browser or curl would.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/leadflow/leadflow/internal/auth"
	"github.com/leadflow/leadflow/internal/httpapi"
	"github.com/leadflow/leadflow/internal/importer"
	"github.com/leadflow/leadflow/internal/importjob"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/openapi"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/s3store"
	"github.com/leadflow/leadflow/internal/sqsrunner"
	"github.com/leadflow/leadflow/internal/testenv"
	"github.com/leadflow/leadflow/internal/worker"
)

// uploadEnv is a stack with an uploads bucket on fauxqs S3.
type uploadEnv struct {
	*stack
	s3      *s3.Client
	bucket  string
	uploads *s3store.Uploads
	runner  *importjob.Runner
}

// held records jobs instead of running them, so a test runs each step
// itself (and again, as a redelivery would).
type held struct {
	mu   sync.Mutex
	jobs []queue.Job
}

func (h *held) Start(_ context.Context, j queue.Job) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.jobs = append(h.jobs, j)
	return nil
}

func (h *held) take() []queue.Job {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.jobs
	h.jobs = nil
	return out
}

// enableUploads gives the stack an uploads bucket and the import runner
// reading it; starter runs the jobs (nil: the stack's inline starter).
// max bounds uploads (0: s3store.UploadMaxBytes).
func (s *stack) enableUploads(starter jobs.Starter, max int64) *uploadEnv {
	s.t.Helper()
	client := testenv.S3(s.t)
	bucket := strings.ToLower(testenv.UniqueName("uploads"))
	must(s.t, s3store.Create(context.Background(), client, bucket))
	u := s3store.NewUploads(client, bucket)
	if starter == nil {
		starter = s.inline
	}
	runner := &importjob.Runner{Store: s.store, Captures: s.store, Starter: starter, Uploads: u, MaxUploadBytes: max}
	s.inline.Handlers[jobs.TypeImport] = runner.Handle
	s.deps.ImportUploads, s.deps.MaxUploadBytes, s.deps.JobStarter = u, max, starter
	s.srv.Close()
	s.srv = httptest.NewServer(httpapi.NewLocal(s.deps))
	s.t.Cleanup(s.srv.Close)
	return &uploadEnv{stack: s, s3: client, bucket: bucket, uploads: u, runner: runner}
}

// presign asks for an upload URL as token and checks the answer.
func (e *uploadEnv) presign(token string) (id, putURL string) {
	e.t.Helper()
	r := e.expect(e.call("POST", "/v1/imports/uploads", token, nil), http.StatusCreated).json(e.t)
	id, putURL = r["upload_id"].(string), r["url"].(string)
	exp, err := time.Parse(time.RFC3339, r["expires_at"].(string))
	must(e.t, err)
	u, err := url.Parse(putURL)
	must(e.t, err)
	if r["method"] != "PUT" || field(r, "headers.Content-Type") != "text/csv" || u.Query().Get("X-Amz-Expires") != "900" ||
		time.Until(exp) < 14*time.Minute || time.Until(exp) > 16*time.Minute || !s3store.ValidUploadID(id) {
		e.t.Fatalf("upload %v", r)
	}
	return id, putURL
}

// put uploads a CSV file to a presigned URL with a plain client.
func put(t *testing.T, putURL string, data []byte) {
	t.Helper()
	putAs(t, putURL, "text/csv", data)
}

// putAs uploads data of contentType to a presigned URL.
func putAs(t *testing.T, putURL, contentType string, data []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, putURL, bytes.NewReader(data))
	must(t, err)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT %s → %d", putURL, resp.StatusCode)
	}
}

// send uploads data and returns its upload id.
func (e *uploadEnv) send(data []byte) string {
	e.t.Helper()
	id, u := e.presign(e.admin)
	put(e.t, u, data)
	return id
}

const uploadCSV = "Nome;E-mail;Telefone;Etiquetas;Observação\n" +
	"Ana Lima;ana@example.com;+55 11 91234-0001;upload,vip;liga amanhã\n" +
	"Bruno Reis;bruno@example.com;+55 11 91234-0002;upload;\n" +
	"Carla;não-é-email;;upload;\n" +
	"só;duas\n" +
	"Dora Dias;dora@example.com;;upload;\n"

// The whole flow through the real queue: the worker prepares the file,
// then imports it chunk by chunk; per-row outcomes as with a direct upload.
func TestImportByUploadThroughTheQueue(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	sqsClient := testenv.SQS(t)
	name := testenv.UniqueName("upl")
	qurl, err := queue.CreateQueue(ctx, sqsClient, name, name+"-dlq")
	must(t, err)
	q := queue.New(sqsClient, qurl)
	starter := jobs.QueueStarter{Queue: q}
	hm, err := auth.NewHMAC(stackSecret, stackIssuer)
	must(t, err)
	captures := s.store // new leads are assigned through the outbox (not run here)
	s.deps = httpapi.Deps{Sites: s.store, Captures: captures, Accounts: s.store, Leads: s.store, Lists: s.store,
		Auth: hm, Health: []httpapi.Pinger{s.store}, OpenAPI: openapi.Document(), Assignment: s.store, Queue: q,
		JobRecords: s.store, Imports: s.store, Logger: testLogger(t), APIKeys: s.store}
	e := s.enableUploads(starter, 0)
	e.runner.Captures = captures
	w := &worker.Worker{Leads: s.store, Accounts: s.store, Assignment: s.store, Queue: q,
		Extra: map[string]jobs.Handler{jobs.TypeImport: e.runner.Handle}}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	r := &sqsrunner.Runner{Client: sqsClient, QueueURL: qurl, Handler: w.Handle, WaitSeconds: 1}
	go func() { defer close(done); _ = r.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })

	// Bruno is already a lead: update_empty fills his empty fields.
	bruno := s.apiLead("bruno@example.com", nil)
	file := []byte(uploadCSV)
	uploadID := e.send(file)
	resp := s.call("POST", "/v1/imports", s.admin, map[string]any{"upload_id": uploadID, "policy": "update_empty",
		"mapping": map[string]string{"Observação": "attributes.nota"}})
	imp := s.expect(resp, http.StatusAccepted).json(t)
	id := imp["id"].(string)
	if resp.header.Get("Location") != "/v1/imports/"+id || imp["upload_id"] != uploadID || imp["policy"] != "update_empty" {
		t.Fatalf("202 %v %s", resp.header, resp.body)
	}
	deadline := time.Now().Add(60 * time.Second)
	for imp["status"] != "done" {
		if imp["status"] == "failed" || time.Now().After(deadline) {
			t.Fatalf("import %v", imp)
		}
		time.Sleep(300 * time.Millisecond)
		imp = s.expect(s.call("GET", "/v1/imports/"+id, s.admin, nil), http.StatusOK).json(t)
	}
	sum := sha256.Sum256(file)
	if counts(imp) != "created=2 updated=1 skipped=0 error=2" || imp["rows"] != float64(5) || imp["processed"] != float64(5) ||
		imp["encoding"] != "utf-8" || imp["delimiter"] != ";" || imp["sha256"] != hex.EncodeToString(sum[:]) ||
		field(imp, "columns.Observação") != "attributes.nota" {
		t.Fatalf("import %s %v", counts(imp), imp)
	}
	rep := s.report(s.admin, id)
	if rep["2"][0] != "created" || rep["3"][0] != "updated" || rep["3"][1] != bruno || rep["6"][0] != "created" ||
		rep["4"][0] != "error" || !strings.Contains(rep["4"][2], "E-mail") || rep["5"][0] != "error" || !strings.Contains(rep["5"][2], "ragged") {
		t.Errorf("report %v", rep)
	}
	ana := s.detail(rep["2"][1])
	if field(ana, "contact.attributes.nota") != "liga amanhã" || field(ana, "entry_method") != "import" {
		t.Errorf("Ana %v", ana)
	}
	list := s.expect(s.call("GET", "/v1/leads?tag=upload", s.admin, nil), http.StatusOK).json(t)
	if n := len(list["items"].([]any)); n != 3 {
		t.Errorf("tag=upload lists %d leads, want 3", n)
	}
	job := s.expect(s.call("GET", "/v1/jobs/"+id, s.admin, nil), http.StatusOK).json(t)
	if job["expected"] != float64(5) || job["status"] != "done" || job["result"] != "/v1/imports/"+id+"/report.csv" {
		t.Errorf("job %v", job)
	}

	// The prepare message again, through the queue: nothing changes.
	payload, _ := json.Marshal(jobs.ImportPayload{ImportID: id, Prepare: true})
	must(t, q.Send(ctx, queue.Job{ID: id, Type: jobs.TypeImport, TenantID: s.tenant, Payload: payload}, 0))
	before, err := s.store.Job(ctx, s.tenant, id)
	must(t, err)
	time.Sleep(3 * time.Second)
	after, err := s.store.Job(ctx, s.tenant, id)
	must(t, err)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("a redelivered prepare changed the job:\n%+v\n%+v", before, after)
	}
	if again := s.report(s.admin, id); !reflect.DeepEqual(again, rep) {
		t.Errorf("report after a redelivery %v", again)
	}
}

// Who may use an upload, and what the API refuses before anything runs.
func TestImportUploadRefusals(t *testing.T) {
	s := newStack(t)
	// Without a bucket, uploads are unavailable, not broken.
	s.expect(s.call("POST", "/v1/imports/uploads", s.admin, nil), http.StatusServiceUnavailable)
	s.expect(s.call("POST", "/v1/imports", s.admin, map[string]any{"upload_id": "upl_01jd3k7q9m2x4v6b8n0p2r4t6w"}), http.StatusServiceUnavailable)

	e := s.enableUploads(nil, 256)
	// Agents may not import, by either route.
	s.expect(s.call("POST", "/v1/imports/uploads", s.agent, nil), http.StatusForbidden)
	mine := e.send([]byte("email,name\nana@example.com,Ana\n"))
	s.expect(s.call("POST", "/v1/imports", s.agent, map[string]any{"upload_id": mine}), http.StatusForbidden)

	// Another account cannot import my file: the key holds the tenant.
	r := s.expect(s.call("POST", "/v1/imports", s.other, map[string]any{"upload_id": mine}), http.StatusBadRequest)
	if fieldErrors(t, r)["upload_id"] != "not_found" {
		t.Errorf("other tenant: %s", r.body)
	}
	// A URL asked for but never used, a made-up id, none at all.
	unused, _ := e.presign(s.admin)
	for body, code := range map[string]string{
		`{"upload_id":"` + unused + `"}`:    "not_found",
		`{"upload_id":"upl_../../tb/x"}`:    "invalid",
		`{"policy":"skip"}`:                 "required",
		`{"upload_id":"imp_01jd3k7q9m2x4"}`: "invalid",
	} {
		r := s.expect(s.call("POST", "/v1/imports", s.admin, body, "Content-Type: application/json"), http.StatusBadRequest)
		if fieldErrors(t, r)["upload_id"] != code {
			t.Errorf("%s → %s, want upload_id %s", body, r.body, code)
		}
	}
	// Every bad option at once, by name.
	r = s.expect(s.call("POST", "/v1/imports", s.admin, map[string]any{"upload_id": mine, "policy": "merge",
		"site_id": "site_nope", "mapping": map[string]string{"email": "e-mail-field"}}), http.StatusBadRequest)
	if got := fieldErrors(t, r); got["policy"] != "not_allowed" || got["site_id"] != "invalid" || got["mapping"] != "invalid" || got["upload_id"] != "" {
		t.Errorf("bad options: %v", got)
	}
	r = s.expect(s.call("POST", "/v1/imports", s.admin, `{"upload_id":"`+mine+`","mapping":"email"}`, "Content-Type: application/json"), http.StatusBadRequest)
	if fieldErrors(t, r)["mapping"] != "invalid_type" {
		t.Errorf("string mapping: %s", r.body)
	}
	s.expect(s.call("POST", "/v1/imports", s.admin, `{"upload_id":`, "Content-Type: application/json"), http.StatusBadRequest)

	// Over the size limit (256 bytes here): refused with the sizes.
	big := e.send([]byte("email,name\n" + strings.Repeat("someone@example.com,Someone Somebody\n", 10)))
	r = s.expect(s.call("POST", "/v1/imports", s.admin, map[string]any{"upload_id": big}), http.StatusBadRequest)
	if fieldErrors(t, r)["upload_id"] != "too_large" || !strings.Contains(string(r.body), "at most 256") {
		t.Errorf("too large: %s", r.body)
	}
	// None of this started an import or created a lead.
	list := s.expect(s.call("GET", "/v1/leads", s.admin, nil), http.StatusOK).json(t)
	if n := len(list["items"].([]any)); n != 0 {
		t.Errorf("%d leads after refusals", n)
	}
}

// A file that is not an importable CSV ends its import as failed, with the
// reason where the client polls; so does one that grew past the limit
// after the API checked it.
func TestUploadedFileThatCannotBeImportedFailsTheJob(t *testing.T) {
	s := newStack(t)
	e := s.enableUploads(nil, 1024)
	for name, tc := range map[string]struct {
		file, field, reason string
		mapping             map[string]string
	}{
		"no identity column": {file: "nome,cidade\nAna,Recife\n", field: "file", reason: "no column maps to e-mail"},
		"header only":        {file: "email,nome\n", field: "file", reason: "header but no rows"},
		"binary":             {file: "\x00\x01\x02\xff\xfe", field: "file", reason: "no column maps"},
	} {
		id := e.send([]byte(tc.file))
		imp := s.expect(s.call("POST", "/v1/imports", s.admin, map[string]any{"upload_id": id}), http.StatusAccepted).json(t)
		got := s.expect(s.call("GET", "/v1/imports/"+imp["id"].(string), s.admin, nil), http.StatusOK).json(t)
		errs, _ := got["errors"].([]any)
		if got["status"] != "failed" || len(errs) != 1 || field(errs[0].(map[string]any), "id") != tc.field ||
			!strings.Contains(field(errs[0].(map[string]any), "reason").(string), tc.reason) || got["rows"] != float64(0) {
			t.Errorf("%s: %v", name, got)
		}
		job := s.expect(s.call("GET", "/v1/jobs/"+imp["id"].(string), s.admin, nil), http.StatusOK).json(t)
		if job["status"] != "failed" {
			t.Errorf("%s: job %v", name, job)
		}
	}

	// Replaced by a bigger file between the API's check and the worker.
	h := &held{}
	e.runner.Starter = h
	s.deps.JobStarter = h
	s.srv.Close()
	s.srv = httptest.NewServer(httpapi.NewLocal(s.deps))
	id, putURL := e.presign(s.admin)
	put(t, putURL, []byte("email\nana@example.com\n"))
	imp := s.expect(s.call("POST", "/v1/imports", s.admin, map[string]any{"upload_id": id}), http.StatusAccepted).json(t)
	if imp["status"] != "queued" || imp["rows"] != float64(0) || imp["encoding"] != "" {
		t.Errorf("before the worker: %v", imp)
	}
	put(t, putURL, []byte("email\n"+strings.Repeat("someone@example.com\n", 100)))
	for _, j := range h.take() {
		must(t, e.runner.Handle(context.Background(), j))
	}
	got := s.expect(s.call("GET", "/v1/imports/"+imp["id"].(string), s.admin, nil), http.StatusOK).json(t)
	if got["status"] != "failed" || !strings.Contains(fmt.Sprint(got["errors"]), "too_large") || len(h.take()) != 0 {
		t.Errorf("replaced by a bigger file: %v", got)
	}
}

// The prepare step is idempotent: run again before chunk 0 it stores the
// same chunks (without reading the file again) and queues chunk 0 again,
// which is then recorded once; run after the import, it does nothing.
func TestPrepareStepRedelivered(t *testing.T) {
	s := newStack(t)
	h := &held{}
	e := s.enableUploads(h, 0)
	ctx := context.Background()
	upID := e.send(peopleCSV(450))
	imp := s.expect(s.call("POST", "/v1/imports", s.admin, map[string]any{"upload_id": upID}), http.StatusAccepted).json(t)
	id := imp["id"].(string)
	// Before the worker: the import is readable, queued, with no rows yet.
	got := s.expect(s.call("GET", "/v1/imports/"+id, s.admin, nil), http.StatusOK).json(t)
	if got["status"] != "queued" || got["rows"] != float64(0) || got["processed"] != float64(0) {
		t.Fatalf("before prepare: %v", got)
	}
	prep := h.take()
	if len(prep) != 1 {
		t.Fatalf("queued %d jobs", len(prep))
	}
	must(t, e.runner.Handle(ctx, prep[0]))
	first := h.take()
	chunks := func() [][]byte {
		var out [][]byte
		for i := range 4 {
			rows, err := s.store.ImportChunk(ctx, s.tenant, id, i)
			if i == 3 {
				if err == nil {
					t.Errorf("a fourth chunk exists")
				}
				break
			}
			must(t, err)
			j, _ := json.Marshal(rows)
			out = append(out, j)
		}
		return out
	}
	stored := chunks()
	meta, err := s.store.Import(ctx, s.tenant, id)
	must(t, err)
	if meta.Rows != 450 || meta.Chunks != 3 || len(first) != 1 {
		t.Fatalf("prepared %+v, queued %d", meta, len(first))
	}
	// Redelivered with the file gone: it is not read again.
	_, err = e.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(s3store.UploadKey(s.tenant, upID))})
	must(t, err)
	must(t, e.runner.Handle(ctx, prep[0]))
	second := h.take()
	again, err := s.store.Import(ctx, s.tenant, id)
	must(t, err)
	if !reflect.DeepEqual(chunks(), stored) || !reflect.DeepEqual(again, meta) || len(second) != 1 {
		t.Fatalf("a redelivered prepare changed the import: %+v, queued %d", again, len(second))
	}
	// Both chunk-0 messages, then the rest.
	pending := append(first, second...)
	for len(pending) > 0 {
		j := pending[0]
		must(t, e.runner.Handle(ctx, j))
		pending = append(pending[1:], h.take()...)
	}
	got = s.expect(s.call("GET", "/v1/imports/"+id, s.admin, nil), http.StatusOK).json(t)
	if got["status"] != "done" || counts(got) != "created=450 updated=0 skipped=0 error=0" || got["processed"] != float64(450) {
		t.Fatalf("after both: %s %v", counts(got), got["status"])
	}
	// After the import, the prepare message does nothing.
	must(t, e.runner.Handle(ctx, prep[0]))
	if n := len(h.take()); n != 0 {
		t.Errorf("a late prepare queued %d jobs", n)
	}
	rec, err := s.store.Job(ctx, s.tenant, id)
	must(t, err)
	if rec.Total != 450 || rec.Expected != 450 || rec.Status != jobs.StatusDone {
		t.Errorf("job %+v", rec)
	}
}

// A 20 MB file (over fauxqs' 11 MiB request limit, so put as two
// multipart parts) is prepared by the worker: every row stored, the
// 10 MB line an error row, nothing held but a few chunks at a time.
func TestPrepareTwentyMegabyteUpload(t *testing.T) {
	s := newStack(t)
	h := &held{}
	e := s.enableUploads(h, 0)
	ctx := context.Background()
	var b bytes.Buffer
	b.WriteString("email,nome,observacoes\n")
	note := strings.Repeat("n", 600)
	rows := 0
	for ; b.Len() < 10<<20; rows++ {
		fmt.Fprintf(&b, "p%d@example.com,Pessoa %d,%s\n", rows, rows, note)
	}
	fmt.Fprintf(&b, "longa@example.com,Longa,%s\n", strings.Repeat("L", 10<<20))
	b.WriteString("depois@example.com,Depois,fim\n")
	rows += 2
	data := b.Bytes()
	if len(data) < 20<<20 {
		t.Fatalf("%d bytes", len(data))
	}
	upID, _ := e.presign(s.admin)
	key := s3store.UploadKey(s.tenant, upID)
	mp, err := e.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(e.bucket), Key: aws.String(key)})
	must(t, err)
	var parts []s3types.CompletedPart
	for i, part := range [][]byte{data[:10<<20], data[10<<20:]} {
		out, err := e.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(e.bucket), Key: aws.String(key), UploadId: mp.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(part)})
		must(t, err)
		// Unquoted: the SDK escapes quotes in XML (&#34;), which fauxqs
		// compares without decoding; S3 takes either.
		etag := strings.Trim(aws.ToString(out.ETag), `"`)
		parts = append(parts, s3types.CompletedPart{ETag: &etag, PartNumber: aws.Int32(int32(i + 1))})
	}
	_, err = e.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(e.bucket), Key: aws.String(key),
		UploadId: mp.UploadId, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	must(t, err)

	imp := s.expect(s.call("POST", "/v1/imports", s.admin, map[string]any{"upload_id": upID}), http.StatusAccepted).json(t)
	id := imp["id"].(string)
	start := time.Now()
	must(t, e.runner.Handle(ctx, h.take()[0]))
	t.Logf("prepared %d bytes in %s", len(data), time.Since(start))
	meta, err := s.store.Import(ctx, s.tenant, id)
	must(t, err)
	sum := sha256.Sum256(data)
	if meta.Rows != rows || meta.SHA256 != hex.EncodeToString(sum[:]) || meta.Chunks < rows/importer.ChunkRows {
		t.Fatalf("meta %+v, want %d rows", meta, rows)
	}
	last, err := s.store.ImportChunk(ctx, s.tenant, id, meta.Chunks-1)
	must(t, err)
	long, after := last[len(last)-2], last[len(last)-1]
	if !strings.HasPrefix(long.Err, "row_too_long") || after.Values["email"] != "depois@example.com" || after.Line != rows+1 {
		t.Errorf("last rows %+v / %+v", long.Line, after)
	}
	if next := h.take(); len(next) != 1 || !strings.Contains(string(next[0].Payload), `"chunk":0`) || strings.Contains(string(next[0].Payload), "prepare") {
		t.Errorf("after prepare: %v", next)
	}
}

// losing is a starter whose first send of chunk lose fails (a lost send).
type losing struct {
	held
	lose int
	lost bool
}

func (l *losing) Start(ctx context.Context, j queue.Job) error {
	var p jobs.ImportPayload
	_ = json.Unmarshal(j.Payload, &p)
	if p.Chunk == l.lose && !p.Prepare && !l.lost {
		l.lost = true
		return errors.New("send lost")
	}
	return l.held.Start(ctx, j)
}

// A chunk whose send of the next chunk failed is redelivered by SQS; the
// redelivery finds its own chunk recorded and sends the next one again,
// so the import does not stall. A plain duplicate sends nothing.
func TestImportChainSurvivesALostSend(t *testing.T) {
	s := newStack(t)
	l := &losing{lose: 1}
	e := s.enableUploads(l, 0)
	ctx := context.Background()
	upID := e.send(peopleCSV(450))
	id := s.expect(s.call("POST", "/v1/imports", s.admin, map[string]any{"upload_id": upID}), http.StatusAccepted).json(t)["id"].(string)
	must(t, e.runner.Handle(ctx, l.take()[0])) // prepare → chunk 0
	chunk0 := l.take()[0]
	if err := e.runner.Handle(ctx, chunk0); err == nil {
		t.Fatal("chunk 0 did not report the lost send of chunk 1")
	}
	// A plain duplicate (first receive) sends nothing.
	must(t, e.runner.Handle(queue.WithReceiveCount(ctx, "1"), chunk0))
	if n := len(l.take()); n != 0 {
		t.Fatalf("a duplicate queued %d jobs", n)
	}
	// SQS's redelivery after the failure sends chunk 1.
	must(t, e.runner.Handle(queue.WithReceiveCount(ctx, "2"), chunk0))
	for pending := l.take(); len(pending) > 0; pending = append(pending[1:], l.take()...) {
		must(t, e.runner.Handle(ctx, pending[0]))
	}
	got := s.expect(s.call("GET", "/v1/imports/"+id, s.admin, nil), http.StatusOK).json(t)
	if got["status"] != "done" || counts(got) != "created=450 updated=0 skipped=0 error=0" {
		t.Fatalf("import %v %s", got["status"], counts(got))
	}
}

// peopleCSV is a file of n new people, one per row.
func peopleCSV(n int) []byte {
	var b strings.Builder
	b.WriteString("email,nome\n")
	for i := range n {
		fmt.Fprintf(&b, "p%d@example.com,Pessoa %d\n", i, i)
	}
	return []byte(b.String())
}
