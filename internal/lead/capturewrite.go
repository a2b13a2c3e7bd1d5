package lead

import (
	"context"
	"math/rand/v2"
	"slices"
	"time"
)

// CaptureWrite is one capture's write as the capture use case
// (internal/capture) decided it. The store persists it in one transaction
// together with what every capture writes (its site-key check and rate
// limit, attribution counters, list indexes, the outbox, the
// conversation) and reports in a CaptureOutcome what stopped it.
type CaptureWrite struct {
	Capture     Capture
	Fingerprint string    // Capture.Fingerprint(), kept on the external id's key item
	At          time.Time // the capture's time: rate-limit window, outbox event
	// Lead is the lead as it is to be stored. Prev is the lead as read
	// (nil for a new lead): an append is conditional on Prev.Version.
	Lead Lead
	Prev *Lead
	// Keys are the identity keys to put: every key of a new lead (each
	// conditional on not existing), the keys an append adds to the lead
	// (each conditional on being free or the lead's own).
	Keys       []IdentityKey
	Events     []Event              // history entries
	Duplicates []DuplicateCandidate // recorded on both leads of each pair
}

// KeyHolder is what the store knows of an identity key's item: the lead
// holding the key, its contact and, for an external id, the fingerprint
// of the last capture with that id. LeadID is "" when the store could
// not say (or nobody holds the key).
type KeyHolder struct {
	LeadID, ContactID, Fingerprint string
}

// CaptureOutcome is what the store reports of a CaptureWrite. Written
// says it committed. Otherwise nothing was written, and Taken names the
// keys the write found held (with what the cancelled transaction said of
// their holder: one round trip tells a new person from a known one),
// VersionMoved that the lead changed since it was read, and RateLimited
// (a *RateLimitedError) that the visitor's rate limit refused it.
type CaptureOutcome struct {
	Written      bool
	Taken        map[IdentityKey]KeyHolder
	VersionMoved bool
	RateLimited  error
}

// AddedKeys returns the keys in after that are not in before, once each.
func AddedKeys(before, after []IdentityKey) []IdentityKey {
	var out []IdentityKey
	for _, k := range after {
		if !slices.Contains(before, k) && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// ErrContention is wrapped by errors returned after a write lost too many
// races (transaction conflicts or version changes) in a row. The request
// may be retried as is: errors.As finds interface{ Retryable() bool }.
var ErrContention error = contentionError{}

type contentionError struct{}

func (contentionError) Error() string   { return "write contention, retry later" }
func (contentionError) Retryable() bool { return true }

// Backoff sleeps a jittered, growing delay before attempt (1-based) of a
// write that lost a race: 8ms to 256ms, or until ctx is done.
func Backoff(ctx context.Context, attempt int) error {
	d := 4 * time.Millisecond << min(attempt, 6) // 8ms .. 256ms
	d = d/2 + rand.N(d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
