// Package exportjob runs large lead exports (GET /v1/leads/export?async=true)
// on the jobs queue, in messages of bounded work, so no export of any size
// meets the worker's 30 s timeout. The file ends up in S3 under
// exports/<tenant>/<job id>.<ext>; the API presigns a 15-minute download
// URL from the key on every read of the job.
//
// Each message reads the selection from where the one before stopped (the
// list cursor), for at most Runner.MaxRows rows and Runner.Budget of
// reading (cut short by the invocation's deadline), records how far it got
// on the job record (jobs.Record.State, a conditional write on the job's
// chunk) and enqueues the next message, like internal/importjob.
//
// CSV and XML go up as one S3 multipart upload: part 1 starts with the
// header or XML prolog, the last part ends with the XML footer. S3 wants
// every part but the last to be at least 5 MiB, so rows are buffered and a
// part goes up whenever PartSize (8 MiB) is buffered; what a message has
// left under 5 MiB when its budget ends is stored as a small carry object
// that the next message reads back first. Memory per message is bounded
// by PartSize plus one list page. A message reads up to ~15 s of pages
// (a page is 500 leads, ~0.5-1 KB of CSV each), so a part is 5-16 MiB and
// a message usually carries nothing.
//
// XLSX cannot be appended to (excelize writes the zip on Close), so its
// messages write their rows as JSON-lines chunk objects, and a final assemble
// message streams the chunks through the excelize StreamWriter into the
// file, without reading DynamoDB. An Excel sheet holds 1,048,576 rows: a
// larger XLSX export is refused with an error naming format. Assembling
// is the one step not split across messages: the excelize stream writer
// measured ~21,000 rows/s (41 columns; BenchmarkSheetRows in
// internal/export, one core of a busy 2-core machine), so within the
// worker's 30 s it assembles a few hundred thousand rows, and a 256 MB
// Lambda has less CPU than that. An assembly that runs out of time is
// refused with an error naming format (retrying cannot make it faster)
// instead of timing out into the dead-letter queue; CSV and XML have no
// such limit.
//
// Redeliveries: a message whose chunk the job record has passed changes
// nothing (SQS's redelivery after a failure re-sends the next message, in
// case the first send was lost);
// objects and parts are named per attempt (part numbers are claimed from an
// atomic counter on the job record), so two deliveries of one message
// never overwrite each other's bytes, and the loser deletes what it wrote.
package exportjob

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/leadflow/leadflow/internal/export"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/s3store"
	"github.com/leadflow/leadflow/internal/worker"
)

// PageSize is how many leads one list query reads.
const PageSize = 500

// URLTTL is how long a presigned download URL works.
const URLTTL = s3store.ExportURLTTL

// Defaults of the per-message bounds (see Runner).
const (
	DefaultMaxRows  = 200_000
	DefaultBudget   = 15 * time.Second
	DefaultPartSize = 8 << 20
	// MinPartSize is S3's minimum for every part but the last.
	MinPartSize = 5 << 20
	// Reserve is the time kept before the invocation's deadline for the
	// last upload and the job record write.
	Reserve = 10 * time.Second
	// maxParts is S3's limit on part numbers.
	maxParts = 10_000
)

// Key is where an export's file lives.
func Key(tenantID, jobID, format string) string {
	return "exports/" + tenantID + "/" + jobID + "." + format
}

// tmpKey is where an export keeps a piece between messages; the
// bucket's lifecycle rule on exports/ removes what a failed job leaves.
func tmpKey(tenantID, jobID, name string) string {
	return "exports/" + tenantID + "/" + jobID + ".tmp/" + name
}

// Leads is what an export reads.
type Leads interface {
	List(ctx context.Context, tenantID string, q lead.Query, cursor string, limit int) (lead.Page[lead.Lead], error)
}

// Store keeps the job records.
type Store interface {
	jobs.Store
	NextJobSeq(ctx context.Context, tenantID, jobID string) (int, error)
}

// Files stores export files and their pieces.
type Files interface {
	Put(ctx context.Context, key, contentType string, body io.ReadSeeker) error
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	Delete(ctx context.Context, keys ...string) error
	Exists(ctx context.Context, key string) (bool, error)
	StartUpload(ctx context.Context, key, contentType string) (string, error)
	UploadPart(ctx context.Context, key, uploadID string, n int32, body []byte) (string, error)
	CompleteUpload(ctx context.Context, key, uploadID string, parts []Part) error
	AbortUpload(ctx context.Context, key, uploadID string) error
	Presign(ctx context.Context, key string) (string, error)
}

// Stages of an export.
const (
	stageRead     = ""         // reading the selection
	stageComplete = "complete" // csv/xml: every part is up
	stageAssemble = "assemble" // xlsx: every row chunk is up
)

// State is an export's progress between messages (jobs.Record.State).
type State struct {
	Stage  string `json:"stage,omitempty"`
	Cursor string `json:"cursor,omitempty"` // where the next message reads from
	Rows   int    `json:"rows"`             // rows read so far
	Upload string `json:"upload,omitempty"` // csv/xml: the multipart upload
	Parts  []Part `json:"parts,omitempty"`  // csv/xml: parts up, in order
	Carry  string `json:"carry,omitempty"`  // csv/xml: tmp name of bytes not yet in a part
	// Chunks are the tmp names of an XLSX export's row chunks, in order.
	Chunks []string `json:"chunks,omitempty"`
}

// Part is one uploaded part of a multipart upload.
type Part = s3store.Part

// Runner runs export jobs.
type Runner struct {
	Leads   Leads
	Jobs    Store
	Files   Files
	Starter jobs.Starter // where the next message goes
	// TempDir holds an XLSX file while it is assembled ("" = os.TempDir()).
	TempDir string
	// MaxRows bounds the rows one message reads (0 = DefaultMaxRows).
	MaxRows int
	// Budget bounds the reading time of one message (0 = DefaultBudget);
	// it ends earlier when the invocation's deadline is closer than
	// Budget + Reserve. A message always reads at least one page.
	Budget time.Duration
	// PartSize is how many bytes are buffered before a part goes up (0 =
	// DefaultPartSize; never below MinPartSize).
	PartSize int
	// XLSXRowCap is the most leads an XLSX export holds (0 =
	// export.MaxXLSXRows - 1, the header being a row).
	XLSXRowCap int
	Now        func() time.Time
}

// errRefused is an export that can never succeed as asked.
type errRefused struct{ field, reason string }

func (e errRefused) Error() string { return e.field + ": " + e.reason }

// Handle runs one message of an export and enqueues the next.
func (r *Runner) Handle(ctx context.Context, j queue.Job) error {
	var p jobs.ExportPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return worker.Permanent(fmt.Errorf("export %s: payload: %w", j.ID, err))
	}
	if p.Format != export.CSV && p.Format != export.XML && p.Format != export.XLSX {
		return worker.Permanent(fmt.Errorf("export %s: unknown format %q", j.ID, p.Format))
	}
	advanced := false // by this delivery
	for {
		rec, err := r.Jobs.Job(ctx, j.TenantID, j.ID)
		if err != nil {
			return fmt.Errorf("export %s: %w", j.ID, err)
		}
		if rec.Status == jobs.StatusDone {
			return nil // a redelivery after the file was recorded
		}
		var st State
		if rec.State != "" {
			if err := json.Unmarshal([]byte(rec.State), &st); err != nil {
				return worker.Permanent(fmt.Errorf("export %s: state: %w", j.ID, err))
			}
		}
		switch rec.Chunk {
		case p.Chunk + 1:
			// This message's work is recorded. The next message runs if this
			// delivery recorded it, or if this is SQS's redelivery after a
			// failure (the send may have been lost); a plain duplicate stops
			// here, so duplicates do not multiply down the chain.
			if !advanced && !queue.Retried(ctx) {
				return nil
			}
			p.Chunk++
			if st.Stage == stageComplete {
				continue // completing an upload is quick: do it now
			}
			j.Payload, _ = json.Marshal(p)
			return r.Starter.Start(ctx, j)
		case p.Chunk:
		default:
			return nil // a stale message
		}
		err = r.step(ctx, j, p, st)
		var refused errRefused
		switch {
		case errors.Is(err, jobs.ErrChunkDone):
			return nil // a concurrent delivery recorded this chunk first
		case errors.As(err, &refused):
			return r.fail(ctx, j, p, st, refused.field, refused.reason)
		case err != nil && queue.LastDelivery(ctx):
			// The message goes to the dead-letter queue: say so on the
			// job and leave nothing half-uploaded.
			if ferr := r.fail(ctx, j, p, st, "export", "The export failed: "+err.Error()); ferr != nil {
				return errors.Join(err, ferr)
			}
			return fmt.Errorf("export %s: %w", j.ID, err)
		case err != nil:
			return fmt.Errorf("export %s: %w", j.ID, err)
		}
		advanced = true
	}
}

// step does the work of message p.Chunk from state st and records it.
func (r *Runner) step(ctx context.Context, j queue.Job, p jobs.ExportPayload, st State) error {
	switch st.Stage {
	case stageComplete:
		return r.complete(ctx, j, p, st)
	case stageAssemble:
		return r.assemble(ctx, j, p, st)
	}
	return r.read(ctx, j, p, st)
}

// attempt tracks what one delivery wrote, to delete it if another delivery
// recorded the chunk first.
type attempt struct {
	upload string   // a multipart upload this delivery started
	tmp    []string // tmp names this delivery wrote
}

// read reads the next stretch of the selection.
func (r *Runner) read(ctx context.Context, j queue.Job, p jobs.ExportPayload, st State) (err error) {
	now := r.now()
	end := now.Add(r.budget())
	if dl, ok := ctx.Deadline(); ok && dl.Add(-Reserve).Before(end) {
		end = dl.Add(-Reserve)
	}
	key := Key(j.TenantID, j.ID, p.Format)
	xlsx := p.Format == export.XLSX
	prevCarry := st.Carry
	var at attempt
	defer func() {
		if errors.Is(err, jobs.ErrChunkDone) || errors.As(err, new(errRefused)) {
			r.discard(context.WithoutCancel(ctx), j, p.Format, at)
		}
	}()

	var buf bytes.Buffer
	if !xlsx {
		if p.Chunk == 0 {
			if at.upload, err = r.Files.StartUpload(ctx, key, export.ContentType(p.Format)); err != nil {
				return err
			}
			st.Upload = at.upload
			buf.Write(export.Head(p.Format))
		}
		if st.Carry != "" {
			if err := r.readInto(ctx, &buf, tmpKey(j.TenantID, j.ID, st.Carry)); err != nil {
				return err
			}
			st.Carry = ""
		}
	}
	var rw interface {
		Write(lead.Lead) error
		Close() error
	}
	if xlsx {
		rw = &rawRows{enc: json.NewEncoder(&buf)}
	} else if rw, err = export.NewRowWriter(p.Format, &buf); err != nil {
		return err
	}
	maxRows, partSize, rowCap := r.maxRows(), r.partSize(), r.xlsxCap()
	rows, ended := 0, false
	for {
		page, err := r.Leads.List(ctx, j.TenantID, p.Query, st.Cursor, min(PageSize, maxRows-rows))
		if err != nil {
			return fmt.Errorf("list: %w", err)
		}
		for _, l := range page.Items {
			if err := rw.Write(l); err != nil {
				return err
			}
		}
		if err := rw.Close(); err != nil { // flushes the page into buf
			return err
		}
		rows += len(page.Items)
		st.Cursor = page.NextCursor
		if xlsx && st.Rows+rows > rowCap {
			return errRefused{"format", fmt.Sprintf("An XLSX sheet holds at most %d leads (Excel's %d rows, one of them the header) and this export has more. Export csv or xml, or narrow the filter.", rowCap, rowCap+1)}
		}
		if st.Cursor == "" {
			ended = true
			break
		}
		if !xlsx && buf.Len() >= partSize {
			if err := r.uploadPart(ctx, j, key, &st, buf.Bytes()); err != nil {
				return err
			}
			buf.Reset()
		}
		if rows >= maxRows || buf.Len() >= partSize || !r.now().Before(end) {
			break
		}
	}

	switch {
	case xlsx:
		if rows > 0 {
			name := "rows-" + strconv.Itoa(p.Chunk) + "-" + nonce() + ".jsonl"
			at.tmp = append(at.tmp, name)
			if err := r.Files.Put(ctx, tmpKey(j.TenantID, j.ID, name), "application/jsonl", bytes.NewReader(buf.Bytes())); err != nil {
				return err
			}
			st.Chunks = append(st.Chunks, name)
		}
		if ended {
			st.Stage = stageAssemble
		}
	case ended:
		buf.Write(export.Tail(p.Format))
		if buf.Len() > 0 || len(st.Parts) == 0 {
			if err := r.uploadPart(ctx, j, key, &st, buf.Bytes()); err != nil {
				return err
			}
		}
		st.Stage = stageComplete
	case buf.Len() >= MinPartSize:
		if err := r.uploadPart(ctx, j, key, &st, buf.Bytes()); err != nil {
			return err
		}
	case buf.Len() > 0:
		name := "carry-" + strconv.Itoa(p.Chunk) + "-" + nonce()
		at.tmp = append(at.tmp, name)
		if err := r.Files.Put(ctx, tmpKey(j.TenantID, j.ID, name), "application/octet-stream", bytes.NewReader(buf.Bytes())); err != nil {
			return err
		}
		st.Carry = name
	}
	st.Rows += rows
	if err := r.advance(ctx, j, jobs.Progress{Chunk: p.Chunk, Done: rows}, st); err != nil {
		return err
	}
	if prevCarry != "" { // read back into this message's bytes: no longer needed
		_ = r.Files.Delete(ctx, tmpKey(j.TenantID, j.ID, prevCarry))
	}
	return nil
}

// uploadPart uploads body as the next part under a freshly claimed number.
func (r *Runner) uploadPart(ctx context.Context, j queue.Job, key string, st *State, body []byte) error {
	n, err := r.Jobs.NextJobSeq(ctx, j.TenantID, j.ID)
	if err != nil {
		return err
	}
	if n > maxParts {
		return fmt.Errorf("part number %d is past S3's %d", n, maxParts)
	}
	etag, err := r.Files.UploadPart(ctx, key, st.Upload, int32(n), body)
	if err != nil {
		return err
	}
	st.Parts = append(st.Parts, Part{N: int32(n), ETag: etag})
	return nil
}

// complete completes the multipart upload of a CSV or XML export.
func (r *Runner) complete(ctx context.Context, j queue.Job, p jobs.ExportPayload, st State) error {
	key := Key(j.TenantID, j.ID, p.Format)
	if err := r.Files.CompleteUpload(ctx, key, st.Upload, st.Parts); err != nil {
		// An earlier delivery may have completed it before it could
		// record so: then the file is there.
		if ok, herr := r.Files.Exists(ctx, key); herr != nil || !ok {
			return err
		}
	}
	return r.finish(ctx, j, p, key)
}

// assemble writes an XLSX export's row chunks into the file.
func (r *Runner) assemble(ctx context.Context, j queue.Job, p jobs.ExportPayload, st State) error {
	f, err := os.CreateTemp(r.TempDir, "export-*.xlsx")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	sheet, err := export.NewXLSX(f)
	if err != nil {
		return err
	}
	stop := time.Time{} // leave time to put the file and record it
	if dl, ok := ctx.Deadline(); ok {
		stop = dl.Add(-Reserve / 2)
	}
	for _, name := range st.Chunks {
		if err := r.sheetChunk(ctx, sheet, tmpKey(j.TenantID, j.ID, name)); err != nil {
			return err
		}
		if !stop.IsZero() && r.now().After(stop) {
			// Retrying cannot make it faster: refuse clearly rather than
			// let the invocation time out five times.
			return errRefused{"format", fmt.Sprintf("This XLSX export (%d leads) is too large to assemble in the worker's time. Export csv or xml, or narrow the filter.", st.Rows)}
		}
	}
	if err := sheet.Close(); err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	key := Key(j.TenantID, j.ID, p.Format)
	if err := r.Files.Put(ctx, key, export.ContentType(p.Format), f); err != nil {
		return err
	}
	if err := r.finish(ctx, j, p, key); err != nil {
		return err
	}
	keys := make([]string, len(st.Chunks))
	for i, name := range st.Chunks {
		keys[i] = tmpKey(j.TenantID, j.ID, name)
	}
	_ = r.Files.Delete(ctx, keys...) // the lifecycle rule removes what is left
	return nil
}

func (r *Runner) sheetChunk(ctx context.Context, sheet export.Sheet, key string) error {
	body, err := r.Files.Get(ctx, key)
	if err != nil {
		return err
	}
	defer body.Close()
	dec := json.NewDecoder(body)
	for {
		var row []string
		err := dec.Decode(&row)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if err := sheet.WriteRow(row); err != nil {
			return err
		}
	}
}

// finish records the file on the job.
func (r *Runner) finish(ctx context.Context, j queue.Job, p jobs.ExportPayload, key string) error {
	url, err := r.Files.Presign(ctx, key)
	if err != nil {
		return err
	}
	return r.Jobs.AdvanceJob(ctx, j.TenantID, j.ID, jobs.Progress{Chunk: p.Chunk, Finished: true, Result: url, ResultKey: key})
}

func (r *Runner) advance(ctx context.Context, j queue.Job, prog jobs.Progress, st State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	prog.State = string(b)
	return r.Jobs.AdvanceJob(ctx, j.TenantID, j.ID, prog)
}

// fail ends a job that cannot succeed: the reason goes on the record
// under field, and what the export wrote so far is removed.
func (r *Runner) fail(ctx context.Context, j queue.Job, p jobs.ExportPayload, st State, field, reason string) error {
	ctx = context.WithoutCancel(ctx)
	err := r.Jobs.AdvanceJob(ctx, j.TenantID, j.ID, jobs.Progress{Chunk: p.Chunk, Failed: 1, Finished: true, Abort: true,
		Errors: []jobs.ItemError{{ID: field, Reason: reason}}})
	if err != nil && !errors.Is(err, jobs.ErrChunkDone) {
		return err
	}
	if err == nil {
		r.discard(ctx, j, p.Format, attempt{upload: st.Upload, tmp: append(st.Chunks, st.Carry)})
	}
	return nil
}

// discard removes the upload and tmp objects of an attempt (best effort:
// the bucket's lifecycle rules remove leftovers).
func (r *Runner) discard(ctx context.Context, j queue.Job, format string, at attempt) {
	if at.upload != "" {
		_ = r.Files.AbortUpload(ctx, Key(j.TenantID, j.ID, format), at.upload)
	}
	var keys []string
	for _, name := range at.tmp {
		if name != "" {
			keys = append(keys, tmpKey(j.TenantID, j.ID, name))
		}
	}
	if len(keys) > 0 {
		_ = r.Files.Delete(ctx, keys...)
	}
}

func (r *Runner) readInto(ctx context.Context, buf *bytes.Buffer, key string) error {
	body, err := r.Files.Get(ctx, key)
	if err != nil {
		return err
	}
	defer body.Close()
	_, err = buf.ReadFrom(body)
	return err
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) budget() time.Duration {
	if r.Budget > 0 {
		return r.Budget
	}
	return DefaultBudget
}

func (r *Runner) maxRows() int {
	if r.MaxRows > 0 {
		return r.MaxRows
	}
	return DefaultMaxRows
}

func (r *Runner) partSize() int {
	if r.PartSize <= 0 {
		return DefaultPartSize
	}
	return max(r.PartSize, MinPartSize)
}

func (r *Runner) xlsxCap() int {
	if r.XLSXRowCap > 0 {
		return r.XLSXRowCap
	}
	return export.MaxXLSXRows - 1
}

// rawRows writes leads' unneutralized values (export.Row) as JSON lines,
// one array a row: an XLSX export's row chunks, lossless (CSV would turn
// a CR LF inside a value into LF), neutralized when the sheet is written.
type rawRows struct{ enc *json.Encoder }

func (w *rawRows) Write(l lead.Lead) error { return w.enc.Encode(export.Row(l)) }
func (w *rawRows) Close() error            { return nil }

func nonce() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
