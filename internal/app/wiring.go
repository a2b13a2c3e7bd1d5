package app

import (
	"log/slog"
	"time"

	"github.com/leadflow/leadflow/internal/auth"
	"github.com/leadflow/leadflow/internal/bulk"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/exportjob"
	"github.com/leadflow/leadflow/internal/httpapi"
	"github.com/leadflow/leadflow/internal/importjob"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/leadcapture"
	"github.com/leadflow/leadflow/internal/openapi"
	"github.com/leadflow/leadflow/internal/purge"
	"github.com/leadflow/leadflow/internal/s3store"
)

// Parts are what the production wiring is built from. Load builds them
// from the environment (App.HTTPDeps, App.CaptureDeps, App.Worker); the
// system tests (internal/systemtest) build them over the emulators, so
// the wiring they exercise is the one AWS runs.
type Parts struct {
	Store *dynamo.Store
	// Queue sends jobs to the jobs queue (Meta fetches); nil without one.
	Queue jobs.Sender
	// Starter runs long jobs (bulk, imports, exports): the queue in AWS,
	// in process in tests.
	Starter jobs.Starter
	Auth    auth.Authenticator
	Logger  *slog.Logger
	Now     func() time.Time
	// OriginVerifySecret: see httpapi.Deps.
	OriginVerifySecret string
	// The exports bucket (optional): export files, import uploads and
	// interaction attachments.
	ExportFiles *s3store.ExportFiles
	Uploads     *s3store.Uploads
	Attachments *s3store.Attachments
}

// Captures is the capture use case over the store: the capture and ads
// routes, the Meta fetch job and imports all store captures through it.
// The store records each new lead's assignment in the outbox, which the
// dispatcher delivers.
func Captures(st *dynamo.Store) leadcapture.Service {
	return leadcapture.Service{Store: st, Now: time.Now}
}

func (p Parts) health() []httpapi.Pinger {
	health := []httpapi.Pinger{p.Store}
	if q, ok := p.Queue.(httpapi.Pinger); ok {
		health = append(health, q)
	}
	return health
}

// CaptureDeps is what the capture routes need, and nothing the console
// needs, so the CaptureFunction stays small.
func CaptureDeps(p Parts) httpapi.Deps {
	d := httpapi.Deps{
		Sites:              p.Store,
		Captures:           Captures(p.Store),
		AdsSecrets:         p.Store,
		Health:             p.health(),
		Logger:             p.Logger,
		Now:                p.Now,
		APIKeys:            p.Store, // server captures with an account API key
		Queue:              p.Queue,
		OriginVerifySecret: p.OriginVerifySecret,
		// Integrations post interactions (the account's country reads phones).
		Interactions: p.Store,
		Accounts:     p.Store,
	}
	if p.Attachments != nil {
		d.AttachmentUploads = p.Attachments // integrations upload attachment files
	}
	return d
}

// HTTPDeps is what the HTTP handlers need: the ApiFunction's and the
// local server's wiring.
func HTTPDeps(p Parts) httpapi.Deps {
	d := httpapi.Deps{
		Sites:        p.Store,
		Captures:     Captures(p.Store),
		Accounts:     p.Store,
		Leads:        p.Store,
		Lists:        p.Store,
		Groups:       p.Store,
		SavedFilters: p.Store,
		JobRecords:   p.Store,
		JobStarter:   p.Starter,
		Imports:      p.Store,
		Tasks:        p.Store,
		Auth:         p.Auth,
		Health:       p.health(),
		OpenAPI:      openapi.Document(),
		Logger:       p.Logger,
		Now:          p.Now,
		Queue:        p.Queue,

		AdsSecrets: p.Store,
		Reports:    p.Store,
		Assignment: p.Store,
		APIKeys:    p.Store,
		Settings:   p.Store,
		Identity:   p.Store,
		// A related interaction's channel keys join the lead.
		Interactions: p.Store,
		KeyJoiner:    p.Store,
		Merges:       p.Store,

		OriginVerifySecret: p.OriginVerifySecret,
	}
	if p.ExportFiles != nil {
		d.ExportFiles = p.ExportFiles
		d.Files = p.ExportFiles // an erased person's attachments
	}
	if p.Attachments != nil {
		// attachments/<tenant>/ in the same bucket: downloads, and uploads
		// for the local server (in AWS the CaptureFunction serves those).
		d.AttachmentFiles, d.AttachmentUploads = p.Attachments, p.Attachments
	}
	if p.Uploads != nil {
		d.ImportUploads = p.Uploads
	}
	return d
}

// JobHandlers are the runners of the long jobs the API starts (bulk,
// imports, exports when there is a bucket) and of purges, by job type:
// the worker's table, and what the tests' in-process starter runs.
func JobHandlers(p Parts) map[string]jobs.Handler {
	bulkRunner := &bulk.Runner{Leads: p.Store, Jobs: p.Store, Starter: p.Starter}
	importRunner := &importjob.Runner{Store: p.Store, Captures: Captures(p.Store), Starter: p.Starter}
	if p.Uploads != nil {
		importRunner.Uploads = p.Uploads
	}
	purger := &purge.Runner{Store: p.Store, Logger: p.Logger, Now: time.Now}
	if p.ExportFiles != nil {
		purger.Files = p.ExportFiles // a purged lead's attachments, as erasure's
	}
	h := map[string]jobs.Handler{
		jobs.TypeBulk:      bulkRunner.Handle,
		jobs.TypeImport:    importRunner.Handle,
		jobs.TypePurgeLead: purger.Handle,
	}
	if p.ExportFiles != nil {
		exportRunner := &exportjob.Runner{Leads: p.Store, Jobs: p.Store, Files: p.ExportFiles, Starter: p.Starter}
		h[jobs.TypeExport] = exportRunner.Handle
	}
	return h
}
