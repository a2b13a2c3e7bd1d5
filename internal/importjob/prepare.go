package importjob

// The prepare step of an import uploaded to S3 (POST /v1/imports with an
// upload_id). The API only checks the options and that the file exists
// within the size limit, then stores the import (rows 0, chunks 0) and its
// job (queued): a 100 MB file cannot be parsed within API Gateway's 29 s.
// The worker then reads the file twice (importer.SniffReader, then
// importer.Stream), stores its chunks 25 at a time as they fill, and
// records the import as prepared (meta and the job's expected rows, one
// transaction) before it enqueues chunk 0.
//
// Idempotent: chunk items are overwritten with the same rows, the meta is
// recorded once (PrepareImport is conditional on chunks = 0), and a step
// that finds its job past chunk 0, done or failed does nothing. A file
// that cannot be imported at all (missing, too large, not a CSV with an
// identity column, over importer.MaxRows rows) ends the job as failed with
// the reason in its errors; S3 and DynamoDB errors are retried.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/leadflow/leadflow/internal/importer"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/s3store"
)

// Uploads reads uploaded files; *s3store.Uploads is one.
type Uploads interface {
	Get(ctx context.Context, key string) (io.ReadCloser, error)
}

// chunksPerWrite is how many chunks (≤ 300 KB each) one batch write stores.
const chunksPerWrite = 25

// fileError is why an uploaded file cannot be imported: the job fails.
type fileError struct{ field, reason string }

func (e *fileError) Error() string { return e.field + ": " + e.reason }

func (r *Runner) prepare(ctx context.Context, j queue.Job, p jobs.ImportPayload) error {
	rec, err := r.Store.Job(ctx, j.TenantID, j.ID)
	if err != nil {
		return fmt.Errorf("import %s: %w", j.ID, err)
	}
	if rec.Status != jobs.StatusQueued || rec.Chunk > 0 {
		return nil // a redelivery: the chunks run (or ran) already
	}
	meta, err := r.Store.Import(ctx, j.TenantID, p.ImportID)
	if err != nil {
		return fmt.Errorf("import %s: %w", j.ID, err)
	}
	if meta.Chunks == 0 {
		err := r.store(ctx, j.TenantID, &meta)
		var bad *fileError
		if errors.As(err, &bad) {
			err = r.Store.AdvanceJob(ctx, j.TenantID, j.ID, jobs.Progress{Chunk: 0, Finished: true, Abort: true,
				Errors: []jobs.ItemError{{ID: bad.field, Reason: bad.reason}}})
			if errors.Is(err, jobs.ErrChunkDone) {
				return nil
			}
			return err
		}
		if err != nil {
			return fmt.Errorf("import %s: %w", j.ID, err)
		}
	}
	p.Prepare, p.Chunk = false, 0
	j.Payload, _ = json.Marshal(p)
	return r.Starter.Start(ctx, j)
}

// store reads, parses and stores the file of meta, filling meta in.
func (r *Runner) store(ctx context.Context, tenant string, meta *importer.Meta) error {
	if r.Uploads == nil {
		return errors.New("no uploads bucket (LEADFLOW_EXPORTS_BUCKET)")
	}
	max := r.MaxUploadBytes
	if max <= 0 {
		max = s3store.UploadMaxBytes
	}
	key := s3store.UploadKey(tenant, meta.Upload)
	open := func() (io.ReadCloser, error) {
		rc, err := r.Uploads.Get(ctx, key)
		if errors.Is(err, s3store.ErrNotFound) {
			return nil, &fileError{"upload_id", "not_found: the uploaded file is gone (uploads are kept for a day)"}
		}
		return rc, err
	}
	rc, err := open()
	if err != nil {
		return err
	}
	sn, err := importer.SniffReader(rc, max)
	rc.Close()
	if errors.Is(err, importer.ErrTooLarge) {
		return &fileError{"upload_id", fmt.Sprintf("too_large: the uploaded file is over %d bytes", max)}
	}
	if err != nil {
		return err
	}

	rc, err = open()
	if err != nil {
		return err
	}
	defer rc.Close()
	sum := sha256.New()
	var ch importer.Chunker
	var batch [][]importer.Row
	stored := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := r.Store.PutImportChunks(ctx, tenant, meta.ID, stored, batch); err != nil {
			return err
		}
		stored += len(batch)
		batch = nil
		return nil
	}
	f, err := importer.Stream(io.TeeReader(io.LimitReader(rc, max+1), sum), sn, meta.Mapping, func(row importer.Row) error {
		if full := ch.Add(row); full != nil {
			if batch = append(batch, full); len(batch) == chunksPerWrite {
				return flush()
			}
		}
		return nil
	})
	switch {
	case errors.Is(err, importer.ErrBadField):
		return &fileError{"mapping", "invalid: " + err.Error()}
	case errors.Is(err, importer.ErrEmpty), errors.Is(err, importer.ErrNoRows), errors.Is(err, importer.ErrNoKey),
		errors.Is(err, importer.ErrTooMany), errors.Is(err, importer.ErrHeader):
		return &fileError{"file", "invalid: " + err.Error()}
	case err != nil:
		return err
	}
	if last := ch.Flush(); last != nil {
		batch = append(batch, last)
	}
	if err := flush(); err != nil {
		return err
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != sn.SHA256 {
		return errors.New("the uploaded file changed while it was read") // read it again
	}
	meta.SHA256, meta.Encoding, meta.Delimiter = sn.SHA256, f.Encoding, f.Delimiter
	meta.Rows, meta.Chunks = f.Count, stored
	meta.Columns = map[string]string{}
	for i, h := range f.Header {
		meta.Columns[h] = f.Columns[i]
	}
	if _, err := r.Store.PrepareImport(ctx, tenant, *meta); err != nil {
		return err
	}
	return nil
}
