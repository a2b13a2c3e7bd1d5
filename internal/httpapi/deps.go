package httpapi

import (
	"context"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/attribution"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
)

// The interfaces below are what the handlers need from storage; the DynamoDB
// store in internal/dynamo implements all of them. They live here, at the
// consumer, so each handler depends on the least it can.

// Sites resolves a public site key to its site.
type Sites interface {
	SiteByKey(ctx context.Context, key string) (account.Site, error)
}

// Captures stores one capture: a new lead, or an append to the lead of the
// same person. It enforces the site's per-IP rate limit (returning
// *lead.RateLimitedError) in the same transaction. The capture use case,
// leadcapture.Service (internal/leadcapture), is what internal/app
// wires here: the decision between a new lead and an append lives there.
type Captures interface {
	Capture(ctx context.Context, site account.Site, c lead.Capture) (lead.CaptureResult, error)
}

// APIKeys stores account API keys, hashed (see internal/dynamo/apikeys.go).
// APIKeyByHash is account.ErrNotFound for an unknown or revoked key and is
// never cached; TouchAPIKey records a use at most once a minute.
type APIKeys interface {
	CreateAPIKey(ctx context.Context, k account.APIKey) error
	APIKeys(ctx context.Context, tenantID string) ([]account.APIKey, error)
	APIKeyByHash(ctx context.Context, hash string) (account.APIKey, error)
	RevokeAPIKey(ctx context.Context, tenantID, keyID string, at time.Time) error
	TouchAPIKey(ctx context.Context, k account.APIKey, at time.Time) error
}

// Accounts reads tenant configuration and users.
type Accounts interface {
	Account(ctx context.Context, tenantID string) (account.Account, error)
	User(ctx context.Context, tenantID, userID string) (account.User, error)
}

// LeadChange is lead.Change, the handlers' name for it.
type LeadChange = lead.Change

// NoteChange is lead.NoteChange.
type NoteChange = lead.NoteChange

// Leads reads and changes leads of one tenant. Every method takes the tenant
// id first; a lead of another tenant is lead.ErrNotFound.
type Leads interface {
	Detail(ctx context.Context, tenantID, leadID string) (lead.Detail, error)
	// Update applies change atomically with its history entries. ifVersion
	// > 0 makes the write conditional on that version (lead.ErrVersionMismatch
	// when stale); 0 means "whatever version was read".
	Update(ctx context.Context, tenantID, leadID string, ifVersion int64, change LeadChange) (lead.Lead, error)
	History(ctx context.Context, tenantID, leadID, cursor string, limit int) (lead.Page[lead.Event], error)
	Conversation(ctx context.Context, tenantID, leadID, cursor string, limit int) (lead.Page[lead.Message], error)
	Notes(ctx context.Context, tenantID, leadID, cursor string, limit int) (lead.Page[lead.Note], error)
	AddNote(ctx context.Context, tenantID, leadID string, n lead.Note, ev lead.Event) error
	UpdateNote(ctx context.Context, tenantID, leadID, noteID string, change NoteChange) (lead.Note, error)
	DeleteNote(ctx context.Context, tenantID, leadID, noteID string, change NoteChange) error
}

// AdsSecrets reads a site's ads webhook secrets (account.ErrNotFound when
// the site has none).
type AdsSecrets interface {
	AdsSecrets(ctx context.Context, tenantID, siteID string) (account.AdsSecrets, error)
}

// JobQueue enqueues background work (the SQS jobs queue). Not to be
// confused with JobRecords, the progress records of long-running jobs.
type JobQueue = jobs.Sender

// Reports reads pre-aggregated attribution counters.
type Reports interface {
	AttributionCounters(ctx context.Context, tenantID string, q attribution.Query) ([]attribution.Counter, error)
}

// Pinger reports whether a backing service is reachable.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Lists reads lead lists: filtered, sorted, cursor-paged; and a lead's
// neighbors within one.
type Lists interface {
	List(ctx context.Context, tenantID string, q lead.Query, cursor string, limit int) (lead.Page[lead.Lead], error)
	Neighbors(ctx context.Context, tenantID, leadID string, q lead.Query) (prev, next string, err error)
	// Count counts the leads f matches, up to limit (exact false past it).
	Count(ctx context.Context, tenantID string, f lead.Filter, limit int) (n int, exact bool, err error)
}

// Groups stores an account's lead groups.
type Groups interface {
	CreateGroup(ctx context.Context, tenantID string, g account.Group) error
	Groups(ctx context.Context, tenantID string) ([]account.Group, error)
	Group(ctx context.Context, tenantID, groupID string) (account.Group, error)
}

// SavedFilters stores users' saved list filters.
type SavedFilters interface {
	PutSavedFilter(ctx context.Context, tenantID string, f account.SavedFilter, create bool) error
	SavedFilter(ctx context.Context, tenantID, id string) (account.SavedFilter, error)
	SavedFilters(ctx context.Context, tenantID, userID string) ([]account.SavedFilter, error)
	DeleteSavedFilter(ctx context.Context, tenantID, id, ownerID string) error
}

// JobRecords keeps the progress records of long-running jobs (bulk actions, imports).
type JobRecords = jobs.Store

// ExportFiles presigns downloads of finished export files (S3).
type ExportFiles interface {
	Presign(ctx context.Context, key string) (string, error)
}

// ImportUploads presigns uploads of CSV files for import and sizes them
// (S3, under imports/<tenant>/).
type ImportUploads interface {
	PresignPut(ctx context.Context, key string, ttl time.Duration) (string, error)
	Size(ctx context.Context, key string) (int64, error)
}
