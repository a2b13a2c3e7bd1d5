package s3store_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/s3store"
	"github.com/leadflow/leadflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// A plain HTTP PUT to the presigned URL stores the file where Size and
// Open find it (fauxqs serves S3 on the SQS endpoint).
func TestPresignedPutThenReadBack(t *testing.T) {
	ctx := context.Background()
	client := testenv.S3(t)
	bucket := strings.ToLower(testenv.UniqueName("uploads"))
	if err := s3store.Create(ctx, client, bucket); err != nil {
		t.Fatal(err)
	}
	u := s3store.NewUploads(client, bucket)
	id := lead.NewID(lead.PrefixUpload, time.Now())
	if !s3store.ValidUploadID(id) {
		t.Fatalf("NewID made %q, which ValidID refuses", id)
	}
	key := s3store.UploadKey("t1", id)
	if _, err := u.Size(ctx, key); !errors.Is(err, s3store.ErrNotFound) {
		t.Fatalf("Size before the upload: %v", err)
	}
	if _, err := u.Get(ctx, key); !errors.Is(err, s3store.ErrNotFound) {
		t.Fatalf("Open before the upload: %v", err)
	}
	raw, err := u.PresignPut(ctx, key, s3store.UploadURLTTL)
	if err != nil {
		t.Fatal(err)
	}
	pu, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := pu.Query()
	if q.Get("X-Amz-Expires") != "900" || !strings.Contains(q.Get("X-Amz-SignedHeaders"), "content-type") ||
		!strings.HasSuffix(pu.Path, "/imports/t1/"+id+".csv") {
		t.Errorf("presigned URL %s: want 15 minutes, Content-Type signed, the tenant's key", raw)
	}
	body := "email,name\nana@example.com,Ana\n"
	req, err := http.NewRequest(http.MethodPut, raw, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", s3store.UploadContentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT → %d", resp.StatusCode)
	}
	if n, err := u.Size(ctx, key); err != nil || n != int64(len(body)) {
		t.Errorf("Size = %d, %v; want %d", n, err, len(body))
	}
	rc, err := u.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || string(got) != body {
		t.Errorf("Open read %q, %v", got, err)
	}
	for _, bad := range []string{"", "upl_", "upl_../../other/x", "imp_01jd3k7q9m2x4v6b8n0p2r4t6w", "upl_01JD3K7Q9M2X4V6B8N0P2R4T6W"} {
		if s3store.ValidUploadID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}
