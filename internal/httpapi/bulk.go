package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/problem"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/text"
)

// MaxBulkIDs bounds an explicit selection; larger ones use a filter.
const MaxBulkIDs = 10000

type bulkBody struct {
	Action         string             `json:"action"`
	IDs            []string           `json:"ids"`
	Filter         *map[string]string `json:"filter"`
	Sort           string             `json:"sort"`
	Classification string             `json:"classification"`
	GroupID        string             `json:"group_id"`
	Tag            string             `json:"tag"`
	OwnerID        *string            `json:"owner_id"`
	State          string             `json:"state"`
	SubState       string             `json:"sub_state"`
}

func (s *server) leadBulk(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	var in bulkBody
	if !decodeBody(w, r, &in, MaxBulkBody) {
		return
	}
	bad := &lead.InvalidError{}
	for _, f := range []struct {
		name string
		v    *string
	}{{"action", &in.Action}, {"sort", &in.Sort}, {"classification", &in.Classification}, {"group_id", &in.GroupID},
		{"tag", &in.Tag}, {"owner_id", in.OwnerID}, {"state", &in.State}, {"sub_state", &in.SubState}} {
		cleanText(bad, f.name, f.v, text.Line)
	}
	ids := in.IDs[:0]
	for i, id := range in.IDs {
		cleanText(bad, fmt.Sprintf("ids[%d]", i), &id, text.Line)
		if id != "" {
			ids = append(ids, id)
		}
	}
	in.IDs = ids
	req := jobs.BulkRequest{Action: in.Action, Classification: in.Classification, GroupID: strings.TrimSpace(in.GroupID),
		Tag: lead.NormalizeTag(in.Tag), State: in.State, SubState: strings.TrimSpace(in.SubState)}
	if !slices.Contains(jobs.BulkActions, in.Action) {
		bad.Add("action", "not_allowed", "action must be one of "+strings.Join(jobs.BulkActions, ", ")+".")
	}
	switch {
	case (len(in.IDs) > 0) == (in.Filter != nil):
		bad.Add("ids", "required", "Give either ids or filter (an object of list filters; {} selects every lead).")
	case len(in.IDs) > MaxBulkIDs:
		bad.Add("ids", "too_many", "At most 10000 ids; use a filter for more.")
	case in.Filter != nil:
		v := map[string][]string{}
		for k, val := range *in.Filter {
			if !slices.Contains(listParams, k) {
				bad.Add("filter."+k, "unknown_field", "Not a list filter.")
				continue
			}
			v[k] = []string{val}
		}
		q, errs := parseQuery(v, p)
		for _, e := range errs {
			e.Field = "filter." + e.Field
			bad.Errors = append(bad.Errors, e)
		}
		req.Filter = &q
	default:
		seen := map[string]bool{}
		for _, id := range in.IDs {
			if id = strings.TrimSpace(id); id != "" && !seen[id] {
				seen[id] = true
				req.IDs = append(req.IDs, id)
			}
		}
	}
	switch in.Action {
	case jobs.BulkClassify:
		if !lead.Classification(in.Classification).Valid() && in.Classification != "" {
			bad.Add("classification", "not_allowed", "classification must be male, female, press, company or empty.")
		}
	case jobs.BulkAddGroup, jobs.BulkRemoveGroup:
		if req.GroupID == "" {
			bad.Add("group_id", "required", "Name the group.")
		} else if err := s.checkGroups(r, p.TenantID, "group_id", []string{req.GroupID}); err != nil {
			s.fail(w, r, err)
			return
		}
	case jobs.BulkAddTag, jobs.BulkRemoveTag:
		if !lead.ValidTag(req.Tag) {
			bad.Add("tag", "invalid", "A tag is 1 to 50 characters.")
		}
	case jobs.BulkChangeState:
		if !lead.State(in.State).Valid() {
			bad.Add("state", "not_allowed", "state must be one of new, in_progress, sale, no_sale.")
		}
	case jobs.BulkAssign:
		if in.OwnerID == nil {
			bad.Add("owner_id", "required", "Name the owner (\"\" unassigns).")
		} else {
			req.OwnerID = strings.TrimSpace(*in.OwnerID)
		}
	}
	if len(bad.Errors) > 0 {
		problem.Invalid(w, bad.Errors)
		return
	}
	if slices.Contains([]string{jobs.BulkAssign, jobs.BulkDelete, jobs.BulkRestore}, in.Action) && !p.IsAdmin() {
		problem.Write(w, problem.New(http.StatusForbidden, "forbidden", "Only admins assign, delete or restore leads."))
		return
	}
	if in.Action == jobs.BulkAssign {
		if err := s.checkOwner(r, p.TenantID, req.OwnerID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.startJob(w, r, jobs.TypeBulk, len(req.IDs), jobs.Marshal(jobs.BulkPayload{Request: req, Actor: lead.Actor{Type: lead.ActorUser, ID: p.UserID}}))
}

// startJob records a job and hands it to the starter; 202 with the record.
func (s *server) startJob(w http.ResponseWriter, r *http.Request, typ string, expected int, payload []byte) {
	p := principal(r)
	now := s.Now().UTC()
	rec := jobs.Record{ID: lead.NewID(lead.PrefixJob, now), Type: typ, Status: jobs.StatusQueued, Expected: expected,
		Errors: []jobs.ItemError{}, CreatedBy: p.UserID, CreatedAt: now.Format(time.RFC3339), UpdatedAt: now.Format(time.RFC3339)}
	if err := s.JobRecords.CreateJob(r.Context(), p.TenantID, rec); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.JobStarter.Start(r.Context(), queue.Job{ID: rec.ID, Type: typ, TenantID: p.TenantID, Payload: payload}); err != nil {
		s.fail(w, r, err)
		return
	}
	if cur, err := s.JobRecords.Job(r.Context(), p.TenantID, rec.ID); err == nil {
		rec = cur // an inline starter may have finished it already
	}
	if err := s.presentJob(r.Context(), &rec); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/jobs/"+rec.ID)
	writeJSON(w, http.StatusAccepted, rec)
}

func (s *server) jobGet(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	rec, err := s.JobRecords.Job(r.Context(), p.TenantID, r.PathValue("job_id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.presentJob(r.Context(), &rec); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *server) leadRestore(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if !p.IsAdmin() {
		problem.Write(w, problem.New(http.StatusForbidden, "forbidden", "Only admins restore leads."))
		return
	}
	actor := lead.Actor{Type: lead.ActorUser, ID: p.UserID}
	l, err := s.Leads.Update(lead.WithDeleted(r.Context()), p.TenantID, r.PathValue("id"), 0, func(l *lead.Lead) ([]lead.Event, error) {
		return l.Restore(actor, s.Now().UTC())
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if l.DeletedAt != nil {
		s.fail(w, r, errors.New("restore did not take"))
		return
	}
	w.Header().Set("ETag", etag(l.Version))
	writeJSON(w, http.StatusOK, toLeadJSON(l))
}
