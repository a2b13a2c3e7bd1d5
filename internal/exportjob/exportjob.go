// Package exportjob runs large lead exports (GET /v1/leads/export?async=true)
// on the jobs queue: the worker pages through the same list query as the
// direct export, writes the file with internal/export to a temp file, puts
// it in S3 under exports/<tenant>/<job id>.<ext>, and records the key on the
// job. The API presigns a 15-minute download URL from the key on every read.
//
// A temp file plus one PutObject rather than a streamed multipart upload:
// the XLSX writer only produces its bytes on Close anyway, Lambda's /tmp
// holds 512 MB (and can be raised), and feature/s3/manager is deprecated.
//
// The key depends only on the job, so a redelivered message overwrites the
// same object, and a job already done is not exported again.
package exportjob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/leadflow/leadflow/internal/export"
	"github.com/leadflow/leadflow/internal/httpapi"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/queue"
)

// JobType is the queue job type of exports.
const JobType = httpapi.ExportJobType

// PageSize is how many leads one list query reads.
const PageSize = 500

// URLTTL is how long a presigned download URL works.
const URLTTL = 15 * time.Minute

// Key is where an export's file lives.
func Key(tenantID, jobID, format string) string {
	return "exports/" + tenantID + "/" + jobID + "." + format
}

// Leads is what an export reads.
type Leads interface {
	List(ctx context.Context, tenantID string, q lead.Query, cursor string, limit int) (lead.Page[lead.Lead], error)
}

// Files stores export files.
type Files interface {
	Put(ctx context.Context, key, contentType string, body io.ReadSeeker) error
	Presign(ctx context.Context, key string) (string, error)
}

// Runner runs export jobs.
type Runner struct {
	Leads Leads
	Jobs  jobs.Store
	Files Files
	// TempDir holds files while they are written ("" = os.TempDir()).
	TempDir string
}

// Handle exports the whole selection of one job.
func (r *Runner) Handle(ctx context.Context, j queue.Job) error {
	var p httpapi.ExportPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return fmt.Errorf("export %s: payload: %w", j.ID, err)
	}
	rec, err := r.Jobs.Job(ctx, j.TenantID, j.ID)
	if err != nil {
		return fmt.Errorf("export %s: %w", j.ID, err)
	}
	if rec.Status == jobs.StatusDone {
		return nil // a redelivery after the file was recorded
	}
	f, err := os.CreateTemp(r.TempDir, "export-*."+p.Format)
	if err != nil {
		return fmt.Errorf("export %s: %w", j.ID, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	rows, err := r.write(ctx, j.TenantID, p, f)
	if err != nil {
		return fmt.Errorf("export %s: %w", j.ID, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("export %s: %w", j.ID, err)
	}
	key := Key(j.TenantID, j.ID, p.Format)
	if err := r.Files.Put(ctx, key, export.ContentType(p.Format), f); err != nil {
		return fmt.Errorf("export %s: %w", j.ID, err)
	}
	url, err := r.Files.Presign(ctx, key)
	if err != nil {
		return fmt.Errorf("export %s: %w", j.ID, err)
	}
	err = r.Jobs.AdvanceJob(ctx, j.TenantID, j.ID, jobs.Progress{Chunk: 0, Done: rows, Finished: true, Result: url, ResultKey: key})
	if errors.Is(err, jobs.ErrChunkDone) {
		return nil // a concurrent delivery recorded the same object first
	}
	return err
}

// write pages through the selection into w and returns the row count.
func (r *Runner) write(ctx context.Context, tenantID string, p httpapi.ExportPayload, w io.Writer) (int, error) {
	ew, err := export.NewWriter(p.Format, w)
	if err != nil {
		return 0, err
	}
	rows, cursor := 0, ""
	for {
		page, err := r.Leads.List(ctx, tenantID, p.Query, cursor, PageSize)
		if err != nil {
			return rows, fmt.Errorf("list: %w", err)
		}
		for _, l := range page.Items {
			if err := ew.Write(l); err != nil {
				return rows, err
			}
			rows++
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	return rows, ew.Close()
}

// S3Files keeps export files in an S3 bucket.
type S3Files struct {
	Client    *s3.Client
	Presigner *s3.PresignClient
	Bucket    string
}

// NewS3Files uses client for bucket.
func NewS3Files(client *s3.Client, bucket string) *S3Files {
	return &S3Files{Client: client, Presigner: s3.NewPresignClient(client), Bucket: bucket}
}

// Put uploads body under key.
func (f *S3Files) Put(ctx context.Context, key, contentType string, body io.ReadSeeker) error {
	_, err := f.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(f.Bucket), Key: aws.String(key),
		Body: body, ContentType: aws.String(contentType),
		ContentDisposition: aws.String(`attachment; filename="leads` + extOf(key) + `"`)})
	if err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", f.Bucket, key, err)
	}
	return nil
}

// Presign returns a GET URL for key, valid for URLTTL.
func (f *S3Files) Presign(ctx context.Context, key string) (string, error) {
	req, err := f.Presigner.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(f.Bucket), Key: aws.String(key)},
		s3.WithPresignExpires(URLTTL))
	if err != nil {
		return "", fmt.Errorf("presign s3://%s/%s: %w", f.Bucket, key, err)
	}
	return req.URL, nil
}

func extOf(key string) string {
	for i := len(key) - 1; i >= 0 && key[i] != '/'; i-- {
		if key[i] == '.' {
			return key[i:]
		}
	}
	return ""
}

// CreateBucket creates bucket unless it exists (local server and tests; in
// AWS the template owns it).
func CreateBucket(ctx context.Context, client *s3.Client, bucket string) error {
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}
