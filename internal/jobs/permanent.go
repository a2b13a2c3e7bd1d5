package jobs

import (
	"context"
	"errors"

	"github.com/leadflow/leadflow/internal/queue"
)

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as not worth retrying (a payload that cannot run, a
// filter that is invalid, an ad platform's 4xx): the worker ends the job's
// record failed with err as the reason and acknowledges the message instead
// of letting it cycle into the dead-letter queue. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil || IsPermanent(err) {
		return err
	}
	return permanentError{err}
}

// IsPermanent reports whether err (or what it wraps) was marked Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Fail ends the record of job j as failed, with reason on field "job", at
// whatever chunk it reached; a job without a record, or one already
// finished, is left alone. It is how a job that cannot run never stays
// "queued" or "running".
func Fail(ctx context.Context, store Store, j queue.Job, reason string) error {
	rec, err := store.Job(ctx, j.TenantID, j.ID)
	if err != nil {
		return err
	}
	if rec.Status == StatusDone || rec.Status == StatusFailed {
		return nil
	}
	err = store.AdvanceJob(ctx, j.TenantID, j.ID, Progress{Chunk: rec.Chunk, Finished: true, Abort: true,
		Errors: []ItemError{{ID: "job", Reason: reason}}})
	if errors.Is(err, ErrChunkDone) {
		return nil // another delivery advanced it meanwhile
	}
	return err
}
