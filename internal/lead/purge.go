package lead

import "time"

// A soft-deleted lead is purged (every item of it deleted) once its
// RestoreWindow has passed: the sweeper finds it by PurgeAt and the worker
// re-checks PurgeDue on a fresh read before deleting anything, so a restore
// in between wins.

// PurgeAt is when a lead soft-deleted at deletedAt becomes due for purge.
func PurgeAt(deletedAt time.Time) time.Time { return deletedAt.UTC().Add(RestoreWindow) }

// PurgeDue reports whether l is soft-deleted and PurgeAt has come at now.
func PurgeDue(l Lead, now time.Time) bool {
	return l.DeletedAt != nil && !now.Before(PurgeAt(*l.DeletedAt))
}

// DuePurge locates a soft-deleted lead found by its purge time.
type DuePurge struct {
	TenantID string
	LeadID   string
	At       time.Time // PurgeAt of the lead's deletion
}

// Why a purge deleted nothing.
const (
	PurgeSkippedRestored = "restored" // the lead is not deleted (any more)
	PurgeSkippedNotDue   = "not_due"  // deleted, but still restorable
	PurgeSkippedGone     = "gone"     // already purged (a repeated job)
)

// PurgeResult says what a purge did, in counts only: the lead's data is
// gone, so this is what its audit log line records.
type PurgeResult struct {
	Purged    bool
	Skipped   string    // one of PurgeSkipped* when !Purged
	DeletedAt time.Time // the deletion that was purged
	Items     int       // items deleted from the lead's partition (META included)
	Keys      int       // identity keys deleted
	KeysKept  int       // identity keys the lead listed but another lead holds

	Interactions int // the lead's interactions deleted (each with its messages, events, lookups and files)
}
