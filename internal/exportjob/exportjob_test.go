package exportjob_test

// The export runner message by message, against DynamoDB Local (job
// records) and fauxqs S3 (uploads). The leads come from a generator that
// stands in for the list query only, so a multi-megabyte export needs no
// minutes of seeding; paging the real list across messages is covered end
// to end in internal/httpapi (export_chunked_e2e_test.go).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/xuri/excelize/v2"

	"github.com/leadflow/leadflow/internal/export"
	"github.com/leadflow/leadflow/internal/exportjob"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/s3store"
	"github.com/leadflow/leadflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// genLeads serves n generated leads; the cursor is the next offset.
type genLeads struct {
	leads []lead.Lead
}

func newGenLeads(n, pad int) *genLeads {
	g := &genLeads{}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		name := fmt.Sprintf("Lead %05d", i)
		if i%50 == 0 {
			name = "=HYPERLINK(\"http://evil\")"
		}
		g.leads = append(g.leads, lead.Lead{ID: fmt.Sprintf("ld_%06d", i), Name: name,
			Contact:   lead.Contact{Email: fmt.Sprintf("l%d@example.com", i), Phone: "+5511912345678"},
			CreatedAt: at.Add(time.Duration(i) * time.Second), State: "new",
			FirstTouch: lead.Touch{At: at, UserAgent: strings.Repeat("u", pad), PageURL: "https://x.example/a\r\nb"}})
	}
	return g
}

func (g *genLeads) List(_ context.Context, _ string, _ lead.Query, cursor string, limit int) (lead.Page[lead.Lead], error) {
	from := 0
	if cursor != "" {
		from, _ = strconv.Atoi(cursor)
	}
	to := min(from+limit, len(g.leads))
	p := lead.Page[lead.Lead]{Items: g.leads[from:to]}
	if to < len(g.leads) {
		p.NextCursor = strconv.Itoa(to)
	}
	return p, nil
}

// whole is the file a single pass writes.
func (g *genLeads) whole(t *testing.T, format string) []byte {
	var b bytes.Buffer
	w, err := export.NewWriter(format, &b)
	must(t, err)
	for _, l := range g.leads {
		must(t, w.Write(l))
	}
	must(t, w.Close())
	return b.Bytes()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// pump is a queue in a slice: Start appends, run delivers in order.
type pump struct {
	mu   sync.Mutex
	msgs []queue.Job
	// failOnce fails the first send of this chunk (a lost send).
	failOnce int
	sent     int
}

func (p *pump) Start(_ context.Context, j queue.Job) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var pl jobs.ExportPayload
	_ = json.Unmarshal(j.Payload, &pl)
	if p.failOnce > 0 && pl.Chunk == p.failOnce {
		p.failOnce = 0
		return errors.New("send failed")
	}
	p.sent++
	p.msgs = append(p.msgs, j)
	return nil
}

func (p *pump) pop() (queue.Job, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.msgs) == 0 {
		return queue.Job{}, false
	}
	j := p.msgs[0]
	p.msgs = p.msgs[1:]
	return j, true
}

type fixture struct {
	t      *testing.T
	store  exportjob.Store
	s3     *s3.Client
	bucket string
	tenant string
	pump   *pump
	runner *exportjob.Runner
}

func newFixture(t *testing.T, leads exportjob.Leads) *fixture {
	t.Helper()
	client := testenv.S3(t)
	bucket := strings.ToLower(testenv.UniqueName("exp"))
	must(t, s3store.Create(context.Background(), client, bucket))
	f := &fixture{t: t, store: testenv.Store(t), s3: client, bucket: bucket, tenant: testenv.UniqueName("t"), pump: &pump{}}
	f.runner = &exportjob.Runner{Leads: leads, Jobs: f.store, Files: s3store.NewExportFiles(client, bucket), Starter: f.pump, TempDir: t.TempDir()}
	return f
}

// start records a job and enqueues its first message.
func (f *fixture) start(format string) string {
	id := testenv.UniqueName("job")
	now := time.Now().UTC().Format(time.RFC3339)
	must(f.t, f.store.CreateJob(context.Background(), f.tenant, jobs.Record{ID: id, Type: jobs.TypeExport, Status: jobs.StatusQueued,
		Errors: []jobs.ItemError{}, CreatedAt: now, UpdatedAt: now}))
	payload, _ := json.Marshal(jobs.ExportPayload{Format: format})
	must(f.t, f.pump.Start(context.Background(), queue.Job{ID: id, Type: jobs.TypeExport, TenantID: f.tenant, Payload: payload}))
	return id
}

// drain delivers every message; each is delivered twice when dup is set
// (an SQS duplicate), and a failed one is redelivered with a higher
// receive count, as SQS does.
func (f *fixture) drain(dup bool) int {
	f.t.Helper()
	n := 0
	for {
		j, ok := f.pump.pop()
		if !ok {
			return n
		}
		for receive := 1; ; receive++ {
			n++
			ctx := queue.WithReceiveCount(context.Background(), strconv.Itoa(receive))
			if err := f.runner.Handle(ctx, j); err == nil {
				break
			} else if receive == queue.MaxReceiveCount {
				f.t.Fatalf("message failed %d times: %v", receive, err)
			}
		}
		if dup {
			n++
			must(f.t, f.runner.Handle(context.Background(), j))
		}
	}
}

func (f *fixture) record(id string) (jobs.Record, exportjob.State) {
	f.t.Helper()
	rec, err := f.store.Job(context.Background(), f.tenant, id)
	must(f.t, err)
	var st exportjob.State
	if rec.State != "" {
		must(f.t, json.Unmarshal([]byte(rec.State), &st))
	}
	return rec, st
}

func (f *fixture) object(key string) []byte {
	f.t.Helper()
	out, err := f.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(f.bucket), Key: aws.String(key)})
	must(f.t, err)
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	must(f.t, err)
	return b
}

func (f *fixture) objects() []string {
	f.t.Helper()
	out, err := f.s3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(f.bucket)})
	must(f.t, err)
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// ~7 MB of CSV at 200 rows a message: three messages carry their bytes
// until 5 MiB are buffered, one part goes up, the rest is the last part;
// the file is byte for byte what a single pass writes.
func TestPartsAreAtLeast5MiBAndTheFileIsWhole(t *testing.T) {
	g := newGenLeads(700, 10_000)
	f := newFixture(t, g)
	f.runner.MaxRows = 200
	for _, format := range []string{export.CSV} {
		id := f.start(format)
		if n := f.drain(false); n != 4 {
			t.Errorf("%s: %d messages, want 4", format, n)
		}
		rec, st := f.record(id)
		if rec.Status != jobs.StatusDone || rec.Done != 700 || rec.ResultKey != exportjob.Key(f.tenant, id, format) || len(st.Parts) != 2 {
			t.Fatalf("%s: record %+v, state %+v", format, rec, st)
		}
		got := f.object(rec.ResultKey)
		if want := g.whole(t, format); !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, want the single-pass file's %d", format, len(got), len(want))
		}
		if len(got)-len(export.Tail(format)) < 6<<20 {
			t.Errorf("%s: %d bytes: the first part cannot have reached 5 MiB", format, len(got))
		}
	}
	if got := f.objects(); len(got) != 1 {
		t.Errorf("objects = %v, want the file only (no carried pieces)", got)
	}
}

// A message that buffers PartSize uploads a part and keeps reading: the
// first page (500 leads, just over 5 MiB) goes up, then the last lead.
func TestAPartGoesUpMidMessage(t *testing.T) {
	g := newGenLeads(501, 10_600)
	f := newFixture(t, g)
	f.runner.PartSize = exportjob.MinPartSize
	id := f.start(export.CSV)
	if n := f.drain(false); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
	rec, st := f.record(id)
	if len(st.Parts) != 2 || !bytes.Equal(f.object(rec.ResultKey), g.whole(t, export.CSV)) {
		t.Errorf("parts %+v; the file differs from a single pass", st.Parts)
	}
}

// Every message delivered twice, a lost send of the next message, and a
// second delivery racing each of the first three messages: the file is
// still every lead once, in order, and nothing else is left in the bucket.
func TestDuplicatesAndRacesChangeNothing(t *testing.T) {
	g := newGenLeads(60, 100)
	for _, format := range []string{export.CSV, export.XML, export.XLSX} {
		t.Run(format, func(t *testing.T) {
			f := newFixture(t, g)
			f.runner.MaxRows = 7
			race := &racing{Store: f.store, runner: f.runner, format: format, chunks: map[int]bool{0: true, 1: true, 2: true}}
			f.runner.Jobs = race
			f.pump.failOnce = 4
			id := f.start(format)
			f.drain(true)
			rec, _ := f.record(id)
			if rec.Status != jobs.StatusDone || rec.Done != 60 || rec.Total != 60 || race.lost != 3 {
				t.Fatalf("record %+v, %d races lost, want 3", rec, race.lost)
			}
			got := f.object(rec.ResultKey)
			if format == export.XLSX {
				x, err := excelize.OpenReader(bytes.NewReader(got))
				must(t, err)
				rows, err := x.GetRows("Sheet1")
				must(t, err)
				if len(rows) != 61 || !slices.Equal(rows[0], export.Header()) {
					t.Fatalf("%d rows", len(rows))
				}
				for i, l := range g.leads {
					want := export.Row(l)
					for c := range want {
						want[c] = export.Neutralize(want[c])
					}
					for len(want) > 0 && want[len(want)-1] == "" {
						want = want[:len(want)-1] // excelize drops empty cells at a row's end
					}
					if !slices.Equal(rows[i+1], want) {
						t.Fatalf("row %d = %q, want %q", i+1, rows[i+1], want)
					}
				}
			} else if want := g.whole(t, format); !bytes.Equal(got, want) {
				t.Errorf("file differs from a single pass:\n%s", got)
			}
			if keys := f.objects(); !slices.Equal(keys, []string{rec.ResultKey}) {
				t.Errorf("objects = %v, want the file only", keys)
			}
		})
	}
}

// racing lets a second delivery of the same message run to the end just
// before the first records its chunk, for the chunks listed: the first
// then loses (jobs.ErrChunkDone) and must discard what it wrote.
type racing struct {
	exportjob.Store
	runner *exportjob.Runner
	mu     sync.Mutex
	chunks map[int]bool
	lost   int
	format string
}

func (r *racing) AdvanceJob(ctx context.Context, tenantID, jobID string, p jobs.Progress) error {
	r.mu.Lock()
	race := r.chunks[p.Chunk] && !p.Finished
	delete(r.chunks, p.Chunk)
	r.mu.Unlock()
	if race {
		payload, _ := json.Marshal(jobs.ExportPayload{Format: r.format, Chunk: p.Chunk})
		if err := r.runner.Handle(ctx, queue.Job{ID: jobID, Type: jobs.TypeExport, TenantID: tenantID, Payload: payload}); err != nil {
			return err
		}
	}
	err := r.Store.AdvanceJob(ctx, tenantID, jobID, p)
	if race && errors.Is(err, jobs.ErrChunkDone) {
		r.mu.Lock()
		r.lost++
		r.mu.Unlock()
	}
	return err
}
