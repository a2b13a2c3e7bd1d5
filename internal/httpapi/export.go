package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/leadflow/leadflow/internal/export"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/problem"
)

// MaxExportRows bounds a direct (streamed) export; a Lambda response is
// at most 6 MB. Larger exports are cut there and say so in the trailer
// Leadflow-Export-Truncated.
const MaxExportRows = 5000

// presentJob readies a job record for a response: a finished export gets a
// freshly presigned download URL (they expire, so none is stored for
// good), and the storage key stays internal.
func (s *server) presentJob(ctx context.Context, rec *jobs.Record) error {
	key := rec.ResultKey
	rec.ResultKey, rec.State = "", ""
	if key == "" || rec.Status != jobs.StatusDone {
		return nil
	}
	if s.ExportFiles == nil {
		rec.Result = ""
		return nil
	}
	u, err := s.ExportFiles.Presign(ctx, key)
	if err != nil {
		return fmt.Errorf("presign %s: %w", key, err)
	}
	rec.Result = u
	return nil
}

func (s *server) leadExport(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	format := r.URL.Query().Get("format")
	if format == "" {
		format = export.CSV
	}
	q, errs := parseQuery(r.URL.Query(), p)
	if format != export.CSV && format != export.XLSX && format != export.XML {
		errs = append(errs, lead.FieldError{Field: "format", Code: "not_allowed", Detail: "format must be csv, xlsx or xml."})
	}
	async := r.URL.Query().Get("async")
	if async != "" && async != "true" && async != "false" {
		errs = append(errs, lead.FieldError{Field: "async", Code: "invalid", Detail: "async must be true or false."})
	}
	if len(errs) > 0 {
		problem.Invalid(w, errs)
		return
	}
	if async == "true" {
		if s.ExportFiles == nil {
			problem.Write(w, problem.New(http.StatusServiceUnavailable, "exports_unavailable", "Async exports need LEADFLOW_EXPORTS_BUCKET."))
			return
		}
		s.startJob(w, r, jobs.TypeExport, 0, jobs.Marshal(jobs.ExportPayload{Format: format, Query: q}))
		return
	}
	// The first page is read before anything is written, so a store error
	// is still a problem response.
	page, err := s.Lists.List(r.Context(), p.TenantID, q, "", 100)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", export.ContentType(format))
	w.Header().Set("Content-Disposition", `attachment; filename="leads.`+format+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Trailer", "Leadflow-Export-Truncated")
	ew, err := export.NewWriter(format, w)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows, truncated := 0, false
	for {
		for _, l := range page.Items {
			if rows == MaxExportRows {
				truncated = true
				break
			}
			if err := ew.Write(l); err != nil {
				s.Logger.ErrorContext(r.Context(), "export write", "err", err)
				return
			}
			rows++
		}
		if truncated || page.NextCursor == "" {
			break
		}
		if page, err = s.Lists.List(r.Context(), p.TenantID, q, page.NextCursor, 100); err != nil {
			s.Logger.ErrorContext(r.Context(), "export read", "err", err)
			return // the client sees a cut file without the closing part
		}
	}
	if err := ew.Close(); err != nil {
		s.Logger.ErrorContext(r.Context(), "export close", "err", err)
		return
	}
	if truncated {
		w.Header().Set("Leadflow-Export-Truncated", "true")
	}
}
