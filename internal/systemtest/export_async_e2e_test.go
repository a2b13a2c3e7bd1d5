package systemtest_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/leadflow/leadflow/internal/exportjob"
	"github.com/leadflow/leadflow/internal/httpapi"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/s3store"
	"github.com/leadflow/leadflow/internal/testenv"
)

// enableExports gives the stack an exports bucket on fauxqs S3 and the
// export job handler, and returns the S3 client, the bucket and the runner.
func (s *stack) enableExports() (*s3.Client, string, *exportjob.Runner) {
	s.t.Helper()
	client := testenv.S3(s.t)
	bucket := strings.ToLower(testenv.UniqueName("exports"))
	must(s.t, s3store.Create(context.Background(), client, bucket))
	files := s3store.NewExportFiles(client, bucket)
	runner := &exportjob.Runner{Leads: s.store, Jobs: s.store, Files: files, Starter: s.inline, TempDir: s.t.TempDir()}
	s.inline.Handlers[jobs.TypeExport] = runner.Handle
	s.deps.ExportFiles = files
	s.srv.Close()
	s.srv = httptest.NewServer(httpapi.NewLocal(s.deps))
	s.t.Cleanup(s.srv.Close)
	return client, bucket, runner
}

func download(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(t, err)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s → %d\n%s", url, resp.StatusCode, b)
	}
	return b
}

func TestAsyncExportWritesTheFilteredListToS3(t *testing.T) {
	f := newListFixture(t)
	s := f.s
	client, bucket, runner := s.enableExports()
	evil := s.expect(s.capture(leadBody(50, "=HYPERLINK(\"http://evil\")", "form", "bf2026")), http.StatusCreated).json(t)["lead_id"].(string)

	r := s.expect(s.call("GET", "/v1/leads/export?format=csv&campaign=bf2026&sort=name&async=true", s.agent, nil), http.StatusAccepted)
	job := r.json(t)
	id := job["id"].(string)
	if r.header.Get("Location") != "/v1/jobs/"+id || job["type"] != "export" || job["status"] != "done" || job["done_count"] != float64(4) {
		t.Fatalf("202 %v %s", r.header, r.body)
	}
	if _, ok := job["result_key"]; ok {
		t.Errorf("the storage key leaked: %s", r.body)
	}
	got := s.expect(s.call("GET", "/v1/jobs/"+id, s.agent, nil), http.StatusOK).json(t)
	url, _ := got["result"].(string)
	if !strings.Contains(url, "X-Amz-Signature=") || !strings.Contains(url, "X-Amz-Expires=900") {
		t.Fatalf("result %q is not a 15-minute presigned URL", url)
	}
	rows, err := csv.NewReader(bytes.NewReader(download(t, url))).ReadAll()
	must(t, err)
	col := slices.Index(rows[0], "name")
	var names, ids []string
	for _, row := range rows[1:] {
		names = append(names, row[col])
		ids = append(ids, row[slices.Index(rows[0], "id")])
	}
	if want := []string{"'=HYPERLINK(\"http://evil\")", "João Silva", "Maria Souza", "Zeca Urubu"}; !slices.Equal(names, want) {
		t.Errorf("names = %q, want %q", names, want)
	}
	if !slices.Contains(ids, evil) || !slices.Contains(ids, f.ids["joao"]) || slices.Contains(ids, f.ids["ana"]) {
		t.Errorf("ids = %v", ids)
	}

	// Another tenant cannot see the job.
	s.expect(s.call("GET", "/v1/jobs/"+id, s.other, nil), http.StatusNotFound)

	// The same message again: one object, the same record.
	payload, _ := json.Marshal(jobs.ExportPayload{Format: "csv"})
	must(t, runner.Handle(context.Background(), queue.Job{ID: id, Type: jobs.TypeExport, TenantID: s.tenant, Payload: payload}))
	objs, err := client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	must(t, err)
	if len(objs.Contents) != 1 || aws.ToString(objs.Contents[0].Key) != exportjob.Key(s.tenant, id, "csv") {
		t.Errorf("objects = %d, first %v", len(objs.Contents), objs.Contents)
	}
	rec, err := s.store.Job(context.Background(), s.tenant, id)
	must(t, err)
	if rec.Status != jobs.StatusDone || rec.Done != 4 || rec.Total != 4 || rec.ResultKey != exportjob.Key(s.tenant, id, "csv") {
		t.Errorf("record after a redelivery = %+v", rec)
	}
}
