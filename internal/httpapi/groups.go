package httpapi

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/problem"
	"github.com/leadflow/leadflow/internal/text"
)

const maxGroupName = 100

func (s *server) groupList(w http.ResponseWriter, r *http.Request) {
	gs, err := s.Groups.Groups(r.Context(), principal(r).TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": gs})
}

func (s *server) groupCreate(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var in struct {
		Name *string `json:"name"`
	}
	if !decodeBody(w, r, &in, MaxConsoleBody) {
		return
	}
	name := ""
	if in.Name != nil {
		name = *in.Name
	}
	bad := &lead.InvalidError{}
	cleanText(bad, "name", &name, text.Rule{Max: maxGroupName, Collapse: true, Required: true})
	if len(bad.Errors) > 0 {
		problem.Invalid(w, bad.Errors)
		return
	}
	now := s.Now().UTC()
	g := account.Group{ID: lead.NewID(lead.PrefixGroup, now), Name: name, CreatedBy: p.UserID, CreatedAt: now}
	if err := s.Groups.CreateGroup(r.Context(), p.TenantID, g); err != nil {
		if errors.Is(err, account.ErrNameTaken) {
			problem.Write(w, problem.New(http.StatusConflict, "conflict", "A group with this name already exists."))
			return
		}
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, g)
}

// checkGroups accepts ids of existing groups of the tenant.
func (s *server) checkGroups(r *http.Request, tenantID, field string, ids []string) error {
	return s.leadChanges().CheckGroups(r.Context(), tenantID, field, ids)
}

// --- saved filters ---

const maxSavedFilterName = 100

type savedFilterBody struct {
	Name   *string            `json:"name"`
	Filter *map[string]string `json:"filter"`
	Sort   *string            `json:"sort"`
	Shared *bool              `json:"shared"`
}

// applyTo sets the fields the body gives on f; a null or missing filter
// leaves an empty one, never nil.
func (in savedFilterBody) applyTo(f *account.SavedFilter) {
	if in.Name != nil {
		f.Name = *in.Name
	}
	if in.Filter != nil {
		f.Filter = *in.Filter
	}
	if f.Filter == nil {
		f.Filter = map[string]string{}
	}
	if in.Sort != nil {
		f.Sort = *in.Sort
	}
	if in.Shared != nil {
		f.Shared = *in.Shared
	}
}

// listParams are the query parameters a saved filter may hold.
var listParams = []string{"state", "sub_state", "owner", "entry_method", "channel", "site", "source", "medium",
	"campaign", "rating_min", "classification", "group", "tag", "q", "cpf", "created_from", "created_to"}

func (s *server) validSavedFilter(p account.Principal, f map[string]string, sort string) []lead.FieldError {
	v := url.Values{}
	var errs []lead.FieldError
	for k, val := range f {
		if !slices.Contains(listParams, k) {
			errs = append(errs, lead.FieldError{Field: "filter." + k, Code: "unknown_field", Detail: "Not a list filter."})
			continue
		}
		v.Set(k, val)
	}
	v.Set("sort", sort)
	_, qerrs := parseQuery(v, p)
	for _, e := range qerrs {
		if e.Field != "sort" {
			e.Field = "filter." + e.Field
		}
		errs = append(errs, e)
	}
	return errs
}

func (s *server) savedFilterList(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	fs, err := s.SavedFilters.SavedFilters(r.Context(), p.TenantID, p.UserID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": fs})
}

func decodeSavedFilter(w http.ResponseWriter, r *http.Request) (savedFilterBody, bool) {
	var in savedFilterBody
	if !decodeBody(w, r, &in, MaxConsoleBody) {
		return in, false
	}
	bad := &lead.InvalidError{}
	cleanText(bad, "name", in.Name, text.Rule{Max: maxSavedFilterName, Collapse: true, Required: true})
	if len(bad.Errors) > 0 {
		problem.Invalid(w, bad.Errors)
		return in, false
	}
	return in, true
}

func (s *server) savedFilterCreate(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	in, ok := decodeSavedFilter(w, r)
	if !ok {
		return
	}
	if in.Name == nil {
		problem.Invalid(w, []lead.FieldError{{Field: "name", Code: "required", Detail: "A saved filter needs a name."}})
		return
	}
	now := s.Now().UTC()
	f := account.SavedFilter{ID: lead.NewID(lead.PrefixSavedFilter, now), OwnerID: p.UserID, CreatedAt: now, UpdatedAt: now}
	in.applyTo(&f)
	if errs := s.validSavedFilter(p, f.Filter, f.Sort); len(errs) > 0 {
		problem.Invalid(w, errs)
		return
	}
	if err := s.SavedFilters.PutSavedFilter(r.Context(), p.TenantID, f, true); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, f)
}

func (s *server) savedFilterUpdate(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	in, ok := decodeSavedFilter(w, r)
	if !ok {
		return
	}
	f, err := s.SavedFilters.SavedFilter(r.Context(), p.TenantID, r.PathValue("filter_id"))
	if err == nil && f.OwnerID != p.UserID {
		if !f.Shared {
			err = account.ErrNotFound
		} else {
			err = lead.ErrForbidden
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in.applyTo(&f)
	if errs := s.validSavedFilter(p, f.Filter, f.Sort); len(errs) > 0 {
		problem.Invalid(w, errs)
		return
	}
	f.UpdatedAt = s.Now().UTC()
	if err := s.SavedFilters.PutSavedFilter(r.Context(), p.TenantID, f, false); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *server) savedFilterDelete(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	f, err := s.SavedFilters.SavedFilter(r.Context(), p.TenantID, r.PathValue("filter_id"))
	if err == nil && f.OwnerID != p.UserID && !f.Shared {
		err = account.ErrNotFound
	}
	if err == nil {
		err = s.SavedFilters.DeleteSavedFilter(r.Context(), p.TenantID, f.ID, p.UserID)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
