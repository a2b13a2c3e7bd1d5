package s3store_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/leadflow/leadflow/internal/s3store"
	"github.com/leadflow/leadflow/internal/testenv"
)

// An export's download URL asks S3 for an attachment named after the
// format, so a browser saves an XML export instead of rendering it.
func TestExportPresignAsksForAnAttachment(t *testing.T) {
	f := s3store.NewExportFiles(testenv.S3(t), "exports")
	raw, err := f.Presign(context.Background(), "exports/t1/job_1.xml")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Query().Get("response-content-disposition"), `attachment; filename="leads.xml"`; got != want {
		t.Errorf("response-content-disposition = %q, want %q", got, want)
	}
}
