package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/export"
	"github.com/leadflow/leadflow/internal/importer"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/problem"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/text"
)

// Imports stores CSV uploads and their per-row results.
type Imports interface {
	PutImport(ctx context.Context, tenantID string, m importer.Meta, chunks [][]importer.Row) error
	Import(ctx context.Context, tenantID, id string) (importer.Meta, error)
	ImportResults(ctx context.Context, tenantID, id, cursor string, chunks int) (lead.Page[importer.Result], error)
	Sites(ctx context.Context, tenantID string) ([]account.Site, error)
}

// importForm is what an upload carries besides the file.
type importForm struct {
	policy, siteID, mapping, fileName string
}

// importCreate stores an upload and starts its job: POST /v1/imports with
// a multipart/form-data "file" (and optional policy, site_id, mapping
// fields) or the CSV itself as the body (options as query parameters).
func (s *server) importCreate(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if !p.IsAdmin() {
		problem.Write(w, problem.New(http.StatusForbidden, "forbidden", "Only admins import leads."))
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		s.importFromUpload(w, r)
		return
	}
	data, form, ok := readImport(w, r)
	if !ok {
		return
	}
	bad := &lead.InvalidError{}
	var mapping map[string]string
	if form.mapping != "" {
		if path, found := text.InvalidJSONText([]byte(form.mapping)); found {
			bad.Add(strings.TrimSuffix("mapping."+path, "."), text.CodeInvalid, "Must be valid UTF-8 text.")
		} else if err := json.Unmarshal([]byte(form.mapping), &mapping); err != nil {
			bad.Add("mapping", "invalid", "mapping must be a JSON object of column header → field.")
		}
		mapping = cleanMapping(bad, mapping)
	}
	site, err := s.importSite(r.Context(), p.TenantID, &form, bad)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var f *importer.File
	if len(bad.Errors) == 0 {
		f, err = importer.Parse(data, mapping)
		if err != nil {
			field := "file"
			if errors.Is(err, importer.ErrBadField) {
				field = "mapping"
			}
			bad.Add(field, "invalid", err.Error()+".")
		}
	}
	if len(bad.Errors) > 0 {
		problem.Invalid(w, bad.Errors)
		return
	}
	now := s.Now().UTC()
	sum := sha256.Sum256(data)
	meta := importer.Meta{ID: lead.NewID(lead.PrefixImport, now), SiteID: site.ID, Policy: form.policy, FileName: form.fileName,
		SHA256: hex.EncodeToString(sum[:]), Encoding: f.Encoding, Delimiter: f.Delimiter, Columns: map[string]string{}, Rows: len(f.Rows)}
	for i, h := range f.Header {
		meta.Columns[h] = f.Columns[i]
	}
	chunks := importer.Chunks(f.Rows)
	meta.Chunks = len(chunks)
	if err := s.Imports.PutImport(r.Context(), p.TenantID, meta, chunks); err != nil {
		s.fail(w, r, err)
		return
	}
	rec := jobs.Record{ID: meta.ID, Type: jobs.TypeImport, Status: jobs.StatusQueued, Expected: meta.Rows,
		Errors: []jobs.ItemError{}, CreatedBy: p.UserID, CreatedAt: now.Format(time.RFC3339), UpdatedAt: now.Format(time.RFC3339),
		Counts: map[string]int{importer.StatusCreated: 0, importer.StatusUpdated: 0, importer.StatusSkipped: 0, importer.StatusError: 0}}
	if err := s.JobRecords.CreateJob(r.Context(), p.TenantID, rec); err != nil {
		s.fail(w, r, err)
		return
	}
	payload := jobs.Marshal(jobs.ImportPayload{ImportID: meta.ID, Actor: lead.Actor{Type: lead.ActorUser, ID: p.UserID}})
	if err := s.JobStarter.Start(r.Context(), queue.Job{ID: meta.ID, Type: jobs.TypeImport, TenantID: p.TenantID, Payload: payload}); err != nil {
		s.fail(w, r, err)
		return
	}
	if cur, err := s.JobRecords.Job(r.Context(), p.TenantID, rec.ID); err == nil {
		rec = cur // an inline starter may have finished it already
	}
	w.Header().Set("Location", "/v1/imports/"+meta.ID)
	writeJSON(w, http.StatusAccepted, importJSON(meta, rec, nil))
}

// cleanMapping applies the input-hygiene rule to an import's mapping
// values (column header → field); nil when there is none.
func cleanMapping(bad *lead.InvalidError, m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		cleanText(bad, "mapping."+k, &v, text.Line)
		out[k] = v
	}
	return out
}

// importSite checks an import's policy (default skip) and returns its
// site (default: the account's first by id), adding what is wrong to bad.
func (s *server) importSite(ctx context.Context, tenantID string, form *importForm, bad *lead.InvalidError) (account.Site, error) {
	cleanText(bad, "policy", &form.policy, text.Line)
	cleanText(bad, "site_id", &form.siteID, text.Line)
	if form.policy == "" {
		form.policy = importer.PolicySkip
	}
	if !slices.Contains(importer.Policies, form.policy) {
		bad.Add("policy", "not_allowed", "policy must be one of "+strings.Join(importer.Policies, ", ")+".")
	}
	sites, err := s.Imports.Sites(ctx, tenantID)
	if err != nil {
		return account.Site{}, err
	}
	slices.SortFunc(sites, func(a, b account.Site) int { return strings.Compare(a.ID, b.ID) })
	var site account.Site
	for _, x := range sites {
		if form.siteID == "" || x.ID == form.siteID {
			site = x
			break
		}
	}
	if site.ID == "" {
		bad.Add("site_id", "invalid", "No site of this account has this id; imported leads belong to a site.")
	}
	return site, nil
}

// readImport reads the file and options of an upload; 413 past 5 MB.
func readImport(w http.ResponseWriter, r *http.Request) ([]byte, importForm, bool) {
	q := r.URL.Query()
	form := importForm{policy: q.Get("policy"), siteID: q.Get("site_id"), mapping: q.Get("mapping")}
	tooBig := func() ([]byte, importForm, bool) {
		problem.Write(w, problem.New(http.StatusRequestEntityTooLarge, "payload_too_large", "Upload files of at most 5 MB."))
		return nil, form, false
	}
	unreadable := func(detail string) ([]byte, importForm, bool) {
		problem.Invalid(w, []lead.FieldError{{Field: "file", Code: "invalid", Detail: detail}})
		return nil, form, false
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, importer.MaxFileBytes))
		if err != nil {
			if tooLarge(err) {
				return tooBig()
			}
			return unreadable("The body could not be read.")
		}
		return data, form, true
	}
	// The multipart envelope and the small fields get 64 KiB on top.
	r.Body = http.MaxBytesReader(w, r.Body, importer.MaxFileBytes+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return unreadable("The multipart body could not be read.")
	}
	var data []byte
	found := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if tooLarge(err) {
				return tooBig()
			}
			return unreadable("The multipart body could not be read.")
		}
		limit := int64(64 << 10)
		if part.FormName() == "file" {
			limit = importer.MaxFileBytes
		}
		b, err := io.ReadAll(io.LimitReader(part, limit+1))
		if err != nil {
			if tooLarge(err) {
				return tooBig()
			}
			return unreadable("The multipart body could not be read.")
		}
		if int64(len(b)) > limit {
			return tooBig()
		}
		switch part.FormName() {
		case "file":
			data, found, form.fileName = b, true, part.FileName()
		case "policy":
			form.policy = strings.TrimSpace(string(b))
		case "site_id":
			form.siteID = strings.TrimSpace(string(b))
		case "mapping":
			form.mapping = string(b)
		}
	}
	if !found {
		problem.Invalid(w, []lead.FieldError{{Field: "file", Code: "required", Detail: "Attach the CSV as the form field \"file\"."}})
		return nil, form, false
	}
	return data, form, true
}

// importJSON is an import as GET /v1/imports/{id} shows it.
func importJSON(m importer.Meta, rec jobs.Record, results *lead.Page[importer.Result]) map[string]any {
	out := map[string]any{
		"id": m.ID, "status": rec.Status, "policy": m.Policy, "site_id": m.SiteID, "sha256": m.SHA256,
		"encoding": m.Encoding, "delimiter": m.Delimiter, "columns": m.Columns,
		"rows": m.Rows, "processed": rec.Total, "counts": rec.Counts, "errors": rec.Errors,
		"report_url": "/v1/imports/" + m.ID + "/report.csv", "created_at": rec.CreatedAt, "updated_at": rec.UpdatedAt,
	}
	if m.FileName != "" {
		out["file_name"] = m.FileName
	}
	if m.Upload != "" {
		out["upload_id"] = m.Upload
	}
	if results != nil {
		out["results"] = results.Items
		if results.NextCursor != "" {
			out["next_cursor"] = results.NextCursor
		}
	}
	return out
}

// importGet: GET /v1/imports/{import_id}: progress, counts and a page of
// per-row results (?cursor= for the next).
func (s *server) importGet(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	id := r.PathValue("import_id")
	m, err := s.Imports.Import(r.Context(), p.TenantID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rec, err := s.JobRecords.Job(r.Context(), p.TenantID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.Imports.ImportResults(r.Context(), p.TenantID, id, r.URL.Query().Get("cursor"), 5)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, importJSON(m, rec, &page))
}

// importReport: GET /v1/imports/{import_id}/report.csv, every row's
// outcome (at most 100,000 short rows: a few MB).
func (s *server) importReport(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	id := r.PathValue("import_id")
	if _, err := s.Imports.Import(r.Context(), p.TenantID, id); err != nil {
		s.fail(w, r, err)
		return
	}
	page, err := s.Imports.ImportResults(r.Context(), p.TenantID, id, "", 25)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="import-`+id+`-report.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"row", "status", "lead_id", "reason"})
	for {
		for _, res := range page.Items {
			_ = cw.Write([]string{strconv.Itoa(res.Line), res.Status, res.LeadID, export.Neutralize(res.Reason)})
		}
		if page.NextCursor == "" {
			break
		}
		if page, err = s.Imports.ImportResults(r.Context(), p.TenantID, id, page.NextCursor, 25); err != nil {
			s.Logger.ErrorContext(r.Context(), "import report read", "err", err)
			break
		}
	}
	cw.Flush()
}
