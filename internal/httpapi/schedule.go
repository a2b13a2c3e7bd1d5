package httpapi

import (
	"net/http"

	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/problem"
	"github.com/leadflow/leadflow/internal/text"
)

type scheduleBody struct {
	State    *string `json:"state"`
	SubState *string `json:"sub_state"`
	At       *string `json:"at"`
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// scheduleChange serves POST /v1/leads/{id}/scheduled-changes: the lead's
// one pending change becomes this one (replacing any other), written with
// its history entry, its due-index entry and its outbox event in one
// transaction. The dispatcher delivers the event to the schedule use case
// (internal/schedule), which sends a change due within SQS's 15-minute
// delay limit at once; the sweeper sends later ones when they come within
// reach.
func (s *server) scheduleChange(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var sb scheduleBody
	if !decodeBody(w, r, &sb, MaxConsoleBody) {
		return
	}
	bad := &lead.InvalidError{}
	cleanText(bad, "state", sb.State, text.Line)
	cleanText(bad, "sub_state", sb.SubState, text.Line)
	cleanText(bad, "at", sb.At, text.Line)
	if len(bad.Errors) > 0 {
		problem.Invalid(w, bad.Errors)
		return
	}
	acct, err := s.Accounts.Account(r.Context(), p.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.Now().UTC()
	actor := lead.Actor{Type: lead.ActorUser, ID: p.UserID}
	change, err := lead.NewScheduledChange(deref(sb.State), deref(sb.SubState), deref(sb.At), acct, actor, now)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	leadID := r.PathValue("id")
	l, err := s.Leads.Update(r.Context(), p.TenantID, leadID, 0, func(l *lead.Lead) ([]lead.Event, error) {
		return []lead.Event{l.Schedule(change, now)}, nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(l.Version))
	w.Header().Set("Location", "/v1/leads/"+leadID+"/scheduled-changes/"+change.ID)
	writeJSON(w, http.StatusCreated, change)
}

// cancelScheduledChange serves DELETE /v1/leads/{id}/scheduled-changes/{change_id}.
// 404 when the change is not pending (already applied, replaced or cancelled).
func (s *server) cancelScheduledChange(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	actor := lead.Actor{Type: lead.ActorUser, ID: p.UserID}
	_, err := s.Leads.Update(r.Context(), p.TenantID, r.PathValue("id"), 0, func(l *lead.Lead) ([]lead.Event, error) {
		ev, err := l.CancelSchedule(r.PathValue("change_id"), actor, s.Now().UTC())
		if err != nil {
			return nil, err
		}
		return []lead.Event{ev}, nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
