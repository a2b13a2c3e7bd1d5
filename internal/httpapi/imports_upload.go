package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/leadflow/leadflow/internal/importer"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/problem"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/s3store"
	"github.com/leadflow/leadflow/internal/text"
)

// Imports of large files: POST /v1/imports/uploads presigns a PUT to S3,
// the client uploads the file there, and POST /v1/imports with a JSON
// body naming the upload_id starts the import. The API only checks the
// options and the file's size; the worker parses it (importjob's prepare
// step), since a big file cannot be parsed within API Gateway's 29 s.

func (s *server) maxUploadBytes() int64 {
	if s.MaxUploadBytes > 0 {
		return s.MaxUploadBytes
	}
	return s3store.UploadMaxBytes
}

// importUploadCreate: POST /v1/imports/uploads, a presigned URL to PUT one
// CSV file to (15 minutes; at most maxUploadBytes, checked when read).
func (s *server) importUploadCreate(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if !p.IsAdmin() {
		problem.Write(w, problem.New(http.StatusForbidden, "forbidden", "Only admins import leads."))
		return
	}
	if s.ImportUploads == nil {
		problem.Write(w, problem.New(http.StatusServiceUnavailable, "uploads_unavailable", "Uploads need LEADFLOW_EXPORTS_BUCKET."))
		return
	}
	now := s.Now().UTC()
	id := lead.NewID(lead.PrefixUpload, now)
	url, err := s.ImportUploads.PresignPut(r.Context(), s3store.UploadKey(p.TenantID, id), s3store.UploadURLTTL)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, map[string]any{
		"upload_id": id, "url": url, "method": http.MethodPut,
		"headers":    map[string]string{"Content-Type": s3store.UploadContentType},
		"expires_at": now.Add(s3store.UploadURLTTL).Format(time.RFC3339), "max_bytes": s.maxUploadBytes(),
	})
}

// importFromUpload: POST /v1/imports with {"upload_id", "policy",
// "site_id", "mapping"}. It stores the import unparsed (rows 0) and queues
// the worker's prepare step.
func (s *server) importFromUpload(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if s.ImportUploads == nil {
		problem.Write(w, problem.New(http.StatusServiceUnavailable, "uploads_unavailable", "Uploads need LEADFLOW_EXPORTS_BUCKET."))
		return
	}
	var in struct {
		UploadID string            `json:"upload_id"`
		Policy   string            `json:"policy"`
		SiteID   string            `json:"site_id"`
		Mapping  map[string]string `json:"mapping"`
	}
	if !decodeBody(w, r, &in, MaxConsoleBody) {
		return
	}
	bad := &lead.InvalidError{}
	cleanText(bad, "upload_id", &in.UploadID, text.Line)
	mapping := cleanMapping(bad, in.Mapping)
	if mapping != nil {
		if err := importer.CheckMapping(mapping); err != nil {
			bad.Add("mapping", "invalid", err.Error()+".")
		}
	}
	form := importForm{policy: in.Policy, siteID: in.SiteID}
	site, err := s.importSite(r.Context(), p.TenantID, &form, bad)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The key holds the caller's tenant: another account's upload_id
	// names no file here.
	switch {
	case in.UploadID == "":
		bad.Add("upload_id", "required", "Name the upload_id POST /v1/imports/uploads returned.")
	case !s3store.ValidUploadID(in.UploadID):
		bad.Add("upload_id", "invalid", "upload_id is not an id POST /v1/imports/uploads returned.")
	default:
		size, err := s.ImportUploads.Size(r.Context(), s3store.UploadKey(p.TenantID, in.UploadID))
		switch {
		case errors.Is(err, s3store.ErrNotFound):
			bad.Add("upload_id", "not_found", "No file was uploaded for this upload_id (PUT it to the presigned URL first; uploads expire).")
		case err != nil:
			s.fail(w, r, err)
			return
		case size > s.maxUploadBytes():
			bad.Add("upload_id", "too_large", fmt.Sprintf("The uploaded file is %d bytes; at most %d.", size, s.maxUploadBytes()))
		case size == 0:
			bad.Add("upload_id", "invalid", "The uploaded file is empty.")
		}
	}
	if len(bad.Errors) > 0 {
		problem.Invalid(w, bad.Errors)
		return
	}

	now := s.Now().UTC()
	meta := importer.Meta{ID: lead.NewID(lead.PrefixImport, now), SiteID: site.ID, Policy: form.policy,
		Upload: in.UploadID, Mapping: mapping, Columns: map[string]string{}}
	if err := s.Imports.PutImport(r.Context(), p.TenantID, meta, nil); err != nil {
		s.fail(w, r, err)
		return
	}
	rec := jobs.Record{ID: meta.ID, Type: jobs.TypeImport, Status: jobs.StatusQueued,
		Errors: []jobs.ItemError{}, CreatedBy: p.UserID, CreatedAt: now.Format(time.RFC3339), UpdatedAt: now.Format(time.RFC3339),
		Counts: map[string]int{importer.StatusCreated: 0, importer.StatusUpdated: 0, importer.StatusSkipped: 0, importer.StatusError: 0}}
	if err := s.JobRecords.CreateJob(r.Context(), p.TenantID, rec); err != nil {
		s.fail(w, r, err)
		return
	}
	payload := jobs.Marshal(jobs.ImportPayload{ImportID: meta.ID, Actor: lead.Actor{Type: lead.ActorUser, ID: p.UserID}, Prepare: true})
	if err := s.JobStarter.Start(r.Context(), queue.Job{ID: meta.ID, Type: jobs.TypeImport, TenantID: p.TenantID, Payload: payload}); err != nil {
		s.fail(w, r, err)
		return
	}
	if cur, err := s.JobRecords.Job(r.Context(), p.TenantID, rec.ID); err == nil {
		rec = cur // an inline starter may have finished it already
	}
	if cur, err := s.Imports.Import(r.Context(), p.TenantID, meta.ID); err == nil {
		meta = cur // and prepared it
	}
	w.Header().Set("Location", "/v1/imports/"+meta.ID)
	writeJSON(w, http.StatusAccepted, importJSON(meta, rec, nil))
}
