package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/merge"
	"github.com/leadflow/leadflow/internal/problem"
)

// Merges is what the merge and data-rights routes need: internal/merge
// decides, the store (internal/dynamo/merge.go, erase.go) reads and writes.
type Merges interface {
	Duplicates(ctx context.Context, tenant, leadID string, force bool) ([]merge.Suggestion, error)
	Merge(ctx context.Context, tenant string, req merge.Request) (merge.Outcome, error)
	UndoMerge(ctx context.Context, tenant, mergeID string, actor lead.Actor) (lead.Lead, error)
	DataExport(ctx context.Context, tenant, leadID string) (map[string]any, error)
	Erase(ctx context.Context, tenant, leadID string, actor lead.Actor, deleteFiles func(context.Context, []string) error) (int, error)
}

// FileEraser deletes stored files (interaction attachments) of an erased
// person (s3store.ExportFiles: the same bucket).
type FileEraser interface {
	Delete(ctx context.Context, keys ...string) error
}

func (s *server) mergeHandlers() map[string]http.Handler {
	h := map[string]http.Handler{
		"GET /v1/leads/{id}/duplicates":   http.HandlerFunc(s.leadDuplicates),
		"POST /v1/leads/{id}/merge":       http.HandlerFunc(s.leadMerge),
		"POST /v1/merges/{merge_id}/undo": http.HandlerFunc(s.mergeUndo),
		"GET /v1/leads/{id}/data-export":  http.HandlerFunc(s.leadDataExport),
		"POST /v1/leads/{id}/erase":       http.HandlerFunc(s.leadErase),
	}
	if s.Merges == nil {
		for k := range h {
			h[k] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				problem.Write(w, problem.New(http.StatusServiceUnavailable, "unavailable", "Merges are not configured on this server."))
			})
		}
	}
	return h
}

func actorOf(r *http.Request) lead.Actor {
	return lead.Actor{Type: lead.ActorUser, ID: principal(r).UserID}
}

// mergeProblem is a problem document with the merge routes' extensions.
type mergeProblem struct {
	problem.Details
	MergedInto string           `json:"merged_into,omitempty"`
	Conflicts  []merge.Conflict `json:"conflicts,omitempty"`
	Changes    []merge.Change   `json:"changes,omitempty"`
}

func writeProblem(w http.ResponseWriter, p mergeProblem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// mergeFail answers the merge routes' own errors, then the common ones.
func (s *server) mergeFail(w http.ResponseWriter, r *http.Request, err error) {
	var merged *lead.MergedError
	var conflict *merge.ConflictError
	var undo *merge.UndoConflictError
	var state *merge.UndoStateError
	switch {
	case errors.As(err, &merged):
		p := mergeProblem{Details: problem.New(http.StatusNotFound, "not_found", "This lead was merged into "+merged.Into+".")}
		p.MergedInto = merged.Into
		writeProblem(w, p)
	case errors.As(err, &conflict):
		p := mergeProblem{Details: problem.New(http.StatusConflict, "strong_key_conflict", conflict.Error())}
		p.Conflicts = conflict.Conflicts
		writeProblem(w, p)
	case errors.As(err, &undo):
		p := mergeProblem{Details: problem.New(http.StatusConflict, "changed_since_merge",
			fmt.Sprintf("%d change(s) since the merge would be lost; the first: %s.", len(undo.Changes), undo.Changes[0].Detail))}
		p.Changes = undo.Changes
		writeProblem(w, p)
	case errors.As(err, &state):
		problem.Write(w, problem.New(http.StatusConflict, "conflict", state.Reason+"."))
	default:
		s.fail(w, r, err)
	}
}

func (s *server) leadDuplicates(w http.ResponseWriter, r *http.Request) {
	force := r.URL.Query().Get("force") == "true"
	if force && !principal(r).IsAdmin() {
		problem.Write(w, problem.New(http.StatusForbidden, "forbidden", "Only admins see leads whose strong keys conflict (force)."))
		return
	}
	items, err := s.Merges.Duplicates(r.Context(), principal(r).TenantID, r.PathValue("id"), force)
	if err != nil {
		s.mergeFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(items)})
}

type mergeBody struct {
	Absorb []string `json:"absorb"`
	DryRun bool     `json:"dry_run"`
	Force  bool     `json:"force"`
}

func (s *server) leadMerge(w http.ResponseWriter, r *http.Request) {
	var b mergeBody
	if !decodeBody(w, r, &b, MaxConsoleBody) {
		return
	}
	if b.Force && !principal(r).IsAdmin() {
		problem.Write(w, problem.New(http.StatusForbidden, "forbidden", "Only admins merge leads whose strong keys conflict (force)."))
		return
	}
	out, err := s.Merges.Merge(r.Context(), principal(r).TenantID, merge.Request{
		Survivor: r.PathValue("id"), Absorb: b.Absorb, Force: b.Force, DryRun: b.DryRun, Actor: actorOf(r),
	})
	if err != nil {
		s.mergeFail(w, r, err)
		return
	}
	fields := out.Fields
	if fields == nil {
		fields = []merge.Field{}
	}
	if b.DryRun {
		writeJSON(w, http.StatusOK, map[string]any{"result": toLeadJSON(out.Lead), "fields": fields, "moves": out.Moves})
		return
	}
	w.Header().Set("ETag", etag(out.Lead.Version))
	writeJSON(w, http.StatusOK, map[string]any{
		"merge_id": out.MergeID, "lead": toLeadJSON(out.Lead), "fields": fields, "moves": out.Moves,
		"undo_until": s.Now().UTC().Add(merge.UndoWindow).Format(rfc3339Millis),
	})
}

func (s *server) mergeUndo(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("merge_id")
	l, err := s.Merges.UndoMerge(r.Context(), principal(r).TenantID, id, actorOf(r))
	if err != nil {
		s.mergeFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"merge_id": id, "status": "undone", "lead": toLeadJSON(l)})
}

func (s *server) leadDataExport(w http.ResponseWriter, r *http.Request) {
	if !principal(r).IsAdmin() {
		problem.Write(w, problem.New(http.StatusForbidden, "forbidden", "Only admins export a person's data."))
		return
	}
	id := r.PathValue("id")
	doc, err := s.Merges.DataExport(r.Context(), principal(r).TenantID, id)
	if err != nil {
		s.mergeFail(w, r, err)
		return
	}
	doc["exported_at"] = s.Now().UTC().Format(rfc3339Millis)
	w.Header().Set("Content-Disposition", `attachment; filename="`+id+`.json"`)
	writeJSON(w, http.StatusOK, doc)
}

type eraseBody struct {
	Confirm string `json:"confirm"`
}

func (s *server) leadErase(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if !p.IsAdmin() {
		problem.Write(w, problem.New(http.StatusForbidden, "forbidden", "Only admins erase a person."))
		return
	}
	var b eraseBody
	if !decodeBody(w, r, &b, MaxConsoleBody) {
		return
	}
	id := r.PathValue("id")
	if b.Confirm != id {
		// Another account's id is not found before it is a bad confirmation.
		if _, err := s.Leads.Detail(r.Context(), p.TenantID, id); err != nil {
			s.mergeFail(w, r, err)
			return
		}
		problem.Invalid(w, []lead.FieldError{{Field: "confirm", Code: "mismatch", Detail: "type the lead id to confirm the erasure"}})
		return
	}
	var files func(context.Context, []string) error
	if s.Files != nil {
		files = func(ctx context.Context, keys []string) error { return s.Files.Delete(ctx, keys...) }
	}
	n, err := s.Merges.Erase(r.Context(), p.TenantID, id, actorOf(r), files)
	if err != nil {
		s.mergeFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"erased": true, "lead_id": id, "items": n})
}
