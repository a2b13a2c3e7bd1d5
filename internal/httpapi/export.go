package httpapi

import (
	"net/http"

	"github.com/leadflow/leadflow/internal/export"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/problem"
)

// MaxExportRows bounds a direct (streamed) export; a Lambda response is
// at most 6 MB. Larger exports are cut there and say so in the trailer
// Leadflow-Export-Truncated.
const MaxExportRows = 5000

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
	if len(errs) > 0 {
		problem.Invalid(w, errs)
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
