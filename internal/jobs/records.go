package jobs

// The record of a long-running job (bulk action, import, export) that the
// console polls at GET /v1/jobs/{id}: what it is, how far it got, and why
// items failed. Workers advance it chunk by chunk.

import (
	"context"
	"errors"
	"time"

	"github.com/leadflow/leadflow/internal/queue"
)

// Status of a job.
type Status string

const (
	StatusQueued  Status = "queued"
	StatusRunning Status = "running"
	StatusDone    Status = "done"
	// StatusFailed: the job could not run at all (an uploaded import file
	// that cannot be parsed); Errors say why.
	StatusFailed Status = "failed"
)

// ItemError says why one item (a lead id or an import row) failed.
type ItemError struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// Record is a job as stored and shown.
type Record struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Status Status `json:"status"`
	// Total counts items processed so far (done + failed); Expected is the
	// selection size when known up front (explicit ids, import rows).
	Total    int         `json:"total"`
	Expected int         `json:"expected,omitempty"`
	Done     int         `json:"done_count"`
	Failed   int         `json:"failed_count"`
	Errors   []ItemError `json:"errors"`
	Chunk    int         `json:"chunk"`
	Result   string      `json:"result,omitempty"`
	// ResultKey is where a job's file lives (an export's S3 key). The API
	// never shows it: it presigns a fresh Result URL from it on every read.
	ResultKey string `json:"result_key,omitempty"`
	// State is a runner's own state between messages (an export's list
	// cursor and uploaded parts). The API never shows it.
	State string `json:"runner_state,omitempty"`
	// Counts tallies outcomes by name (an import's created, updated,
	// skipped, error); a job that keeps counts creates them at zero.
	Counts    map[string]int `json:"counts,omitempty"`
	CreatedBy string         `json:"created_by,omitempty"`
	CreatedAt string         `json:"created_at"`
	UpdatedAt string         `json:"updated_at"`
}

// Progress is the outcome of one chunk.
type Progress struct {
	Chunk        int
	Done, Failed int
	Errors       []ItemError
	Finished     bool
	Result       string
	ResultKey    string
	State        string         // replaces Record.State when not empty
	Counts       map[string]int // added to Record.Counts (keys created with the job)

	// Abort ends the job as failed (Errors say why) instead of done.
	Abort bool
}

// ErrChunkDone says a chunk was already recorded (a redelivered message).
var ErrChunkDone = errors.New("chunk already recorded")

// Store keeps job records.
type Store interface {
	CreateJob(ctx context.Context, tenantID string, j Record) error
	Job(ctx context.Context, tenantID, jobID string) (Record, error)
	AdvanceJob(ctx context.Context, tenantID, jobID string, p Progress) error
}

// Starter hands a job to whatever runs it: the SQS queue in AWS, or the
// process itself locally and in tests.
type Starter interface {
	Start(ctx context.Context, j queue.Job) error
}

// QueueStarter sends jobs to SQS, for the worker function.
type QueueStarter struct{ Queue *queue.Queue }

// Start enqueues j.
func (q QueueStarter) Start(ctx context.Context, j queue.Job) error { return q.Queue.Send(ctx, j, 0) }

// Handler runs one job message: the worker's handlers, one per job type,
// and the in-process starter's. In the worker, worker.Permanent(err) marks
// a job that can never succeed (dropped, not retried); any other error
// retries the message.
type Handler func(ctx context.Context, j queue.Job) error

// Inline runs jobs in this process: synchronously (tests: the job is done
// when Start returns) or, with Async, on a goroutine detached from the
// request (the local server).
type Inline struct {
	Handlers map[string]Handler
	Async    bool
	OnError  func(j queue.Job, err error)
	// Records, when set, ends the record of a job that fails permanently
	// as failed with its reason, as the worker does (Fail).
	Records Store
}

// Start runs j with the handler of its type.
func (in *Inline) Start(ctx context.Context, j queue.Job) error {
	h, ok := in.Handlers[j.Type]
	if !ok {
		return errors.New("jobs: no handler for " + j.Type)
	}
	run := func(ctx context.Context) error {
		err := h(ctx, j)
		if IsPermanent(err) && in.Records != nil {
			return Fail(ctx, in.Records, j, err.Error())
		}
		return err
	}
	if !in.Async {
		return run(ctx)
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Minute)
		defer cancel()
		if err := run(ctx); err != nil && in.OnError != nil {
			in.OnError(j, err)
		}
	}()
	return nil
}
