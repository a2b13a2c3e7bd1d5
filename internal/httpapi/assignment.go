package httpapi

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/assign"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/problem"
	"github.com/leadflow/leadflow/internal/text"
)

// Assignment is what the assignment and user routes need from storage.
type Assignment interface {
	AssignmentRules(ctx context.Context, tenantID string) (assign.Rules, error)
	PutAssignmentRules(ctx context.Context, tenantID string, r assign.Rules, ifVersion int64) (assign.Rules, error)
	Users(ctx context.Context, tenantID string) ([]account.User, error)
	OpenLeads(ctx context.Context, tenantID string) (map[string]int64, error)
	SetUserStatus(ctx context.Context, tenantID, userID string, active, away *bool) (account.User, error)
}

// MaxReassign bounds one reassign request.
const MaxReassign = 100

func (s *server) requireAdmin(w http.ResponseWriter, r *http.Request) bool {
	if principal(r).IsAdmin() {
		return true
	}
	problem.Write(w, problem.New(http.StatusForbidden, "forbidden", "Only admins manage assignment."))
	return false
}

func (s *server) assignmentRules(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	rules, err := s.Assignment.AssignmentRules(r.Context(), principal(r).TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(rules.Version))
	writeJSON(w, http.StatusOK, rules)
}

func (s *server) putAssignmentRules(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	p := principal(r)
	ifVersion, ok := parseIfMatch(w, r)
	if !ok {
		return
	}
	var in struct {
		Rules []assign.Rule `json:"rules"`
	}
	if !decodeBody(w, r, &in, MaxConsoleBody) {
		return
	}
	if in.Rules == nil {
		problem.Invalid(w, []lead.FieldError{{Field: "rules", Code: "required", Detail: "Send {\"rules\": [...]}, each rule with match, strategy and optional id, name and agents."}})
		return
	}
	users, err := s.Assignment.Users(r.Context(), p.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rules := assign.Rules{Rules: in.Rules, UpdatedAt: s.Now().UTC(), UpdatedBy: p.UserID}
	if err := rules.Validate(func(id string) bool {
		return slices.ContainsFunc(users, func(u account.User) bool { return u.ID == id })
	}); err != nil {
		s.fail(w, r, err)
		return
	}
	rules, err = s.Assignment.PutAssignmentRules(r.Context(), p.TenantID, rules, ifVersion)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(rules.Version))
	writeJSON(w, http.StatusOK, rules)
}

// reassign serves POST /v1/assignment/reassign: an admin gives many leads
// one owner (or none). Each lead is its own conditional write with its own
// history entry; the response says what happened to each.
func (s *server) reassign(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	p := principal(r)
	var in struct {
		LeadIDs []string `json:"lead_ids"`
		OwnerID *string  `json:"owner_id"`
	}
	if !decodeBody(w, r, &in, MaxConsoleBody) {
		return
	}
	var bad lead.InvalidError
	cleanText(&bad, "owner_id", in.OwnerID, text.Line)
	switch {
	case len(in.LeadIDs) == 0:
		bad.Add("lead_ids", "required", "Name at least one lead.")
	case len(in.LeadIDs) > MaxReassign:
		bad.Add("lead_ids", "too_many", "At most 100 leads per request.")
	}
	if in.OwnerID == nil {
		bad.Add("owner_id", "required", "Give the new owner's user id, or null to unassign.")
	}
	if err := bad.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.checkOwner(r, p.TenantID, *in.OwnerID); err != nil {
		s.fail(w, r, err)
		return
	}
	acct, err := s.Accounts.Account(r.Context(), p.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type result struct {
		LeadID string `json:"lead_id"`
		Status string `json:"status"` // updated, unchanged, not_found, failed
	}
	out := struct {
		Results []result `json:"results"`
	}{Results: []result{}}
	actor := lead.Actor{Type: lead.ActorUser, ID: p.UserID}
	seen := map[string]bool{}
	for _, id := range in.LeadIDs {
		if seen[id] {
			continue
		}
		seen[id] = true
		changed := false
		_, err := s.Leads.Update(r.Context(), p.TenantID, id, 0, func(l *lead.Lead) ([]lead.Event, error) {
			evs, err := l.Apply(lead.Patch{OwnerID: in.OwnerID}, actor, acct, s.Now().UTC())
			changed = len(evs) > 0
			return evs, err
		})
		res := result{LeadID: id, Status: "updated"}
		switch {
		case errors.Is(err, lead.ErrNotFound):
			res.Status = "not_found"
		case err != nil:
			s.Logger.ErrorContext(r.Context(), "reassign failed", "lead_id", id, "err", err)
			res.Status = "failed"
		case !changed:
			res.Status = "unchanged"
		}
		out.Results = append(out.Results, res)
	}
	writeJSON(w, http.StatusOK, out)
}

type userJSON struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	Email     string       `json:"email,omitempty"`
	Role      account.Role `json:"role"`
	Active    bool         `json:"active"`
	Away      bool         `json:"away"`
	OpenLeads int64        `json:"open_leads"`
}

func toUserJSON(u account.User, open int64) userJSON {
	return userJSON{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role, Active: u.Active, Away: u.Away, OpenLeads: open}
}

func (s *server) userList(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	users, err := s.Assignment.Users(r.Context(), p.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	open, err := s.Assignment.OpenLeads(r.Context(), p.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := struct {
		Items []userJSON `json:"items"`
	}{Items: []userJSON{}}
	for _, u := range users {
		out.Items = append(out.Items, toUserJSON(u, open[u.ID]))
	}
	writeJSON(w, http.StatusOK, out)
}

// userPatch serves PATCH /v1/users/{id}: admins set active and away; an
// agent may only mark themself away or back.
func (s *server) userPatch(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var in struct {
		Active *bool `json:"active"`
		Away   *bool `json:"away"`
	}
	if !decodeBody(w, r, &in, MaxConsoleBody) {
		return
	}
	if in.Active == nil && in.Away == nil {
		problem.Invalid(w, []lead.FieldError{{Field: "body", Code: "invalid", Detail: "Send a JSON object with active and/or away (booleans)."}})
		return
	}
	id := r.PathValue("id")
	if !p.IsAdmin() && (id != p.UserID || in.Active != nil) {
		problem.Write(w, problem.New(http.StatusForbidden, "forbidden", "Agents may only mark themselves away or back."))
		return
	}
	u, err := s.Assignment.SetUserStatus(r.Context(), p.TenantID, id, in.Active, in.Away)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	open, err := s.Assignment.OpenLeads(r.Context(), p.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toUserJSON(u, open[u.ID]))
}
