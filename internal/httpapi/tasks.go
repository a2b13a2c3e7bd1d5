package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow/internal/agenda"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/problem"
	"github.com/leadflow/leadflow/internal/task"
	"github.com/leadflow/leadflow/internal/text"
)

// Tasks is what the agenda routes need from storage beyond the use cases'
// own store: my-tasks pages, types and presets.
type Tasks interface {
	agenda.Store
	Agenda(ctx context.Context, tenant string, q task.Query) ([]task.Task, string, error)
	DueNow(ctx context.Context, tenant, user string, limit int) ([]task.DueNow, error)
	PutTaskTypes(ctx context.Context, tenant string, ts []task.TaskType) error
	TaskPresets(ctx context.Context, tenant string) ([]task.Preset, error)
	PutTaskPresets(ctx context.Context, tenant string, ps []task.Preset) error
}

func (s *server) agendaHandlers() map[string]http.Handler {
	h := map[string]http.Handler{
		"GET /v1/leads/{id}/tasks":   http.HandlerFunc(s.leadTasks),
		"POST /v1/leads/{id}/tasks":  http.HandlerFunc(s.taskCreate),
		"GET /v1/tasks":              http.HandlerFunc(s.myTasks),
		"GET /v1/tasks/stats":        http.HandlerFunc(s.taskStats),
		"GET /v1/tasks/due-now":      http.HandlerFunc(s.tasksDueNow),
		"POST /v1/tasks/bulk":        http.HandlerFunc(s.taskBulk),
		"GET /v1/tasks/{task_id}":    http.HandlerFunc(s.taskGet),
		"PATCH /v1/tasks/{task_id}":  http.HandlerFunc(s.taskUpdate),
		"DELETE /v1/tasks/{task_id}": http.HandlerFunc(s.taskDelete),
		"GET /v1/task-types":         http.HandlerFunc(s.taskTypes),
		"PUT /v1/task-types":         http.HandlerFunc(s.putTaskTypes),
		"GET /v1/task-presets":       http.HandlerFunc(s.taskPresets),
		"PUT /v1/task-presets":       http.HandlerFunc(s.putTaskPresets),
	}
	if s.Tasks == nil {
		for k := range h {
			h[k] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				problem.Write(w, problem.New(http.StatusServiceUnavailable, "unavailable", "The agenda is not configured on this server."))
			})
		}
	}
	return h
}

func (s *server) agenda() agenda.Service { return agenda.Service{Store: s.Tasks, Now: s.Now} }

// taskTextRules is the input-hygiene rule of each text field of a record
// (the description keeps its line breaks; task.Apply checks the rest).
var taskTextRules = map[string]text.Rule{
	"description": {Max: task.MaxDescription, Multiline: true},
	"due_date":    text.Line, "due_time": text.Line, "type": text.Line, "assignee_id": text.Line,
}

// decodeTaskInput reads a record body: known fields only; due_date,
// due_time and type may be null (cleared); every text follows the
// input-hygiene rule (internal/text).
func decodeTaskInput(body []byte) (task.Input, error) {
	rules := taskTextRules
	var raw map[string]json.RawMessage
	bad := &lead.InvalidError{}
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		bad.Add("body", "invalid_json", "Send a JSON object.")
		return task.Input{}, bad
	}
	var in task.Input
	str := func(name string, nullable bool) *string {
		v, ok := raw[name]
		if !ok {
			return nil
		}
		delete(raw, name)
		if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			if !nullable {
				bad.Add(name, "required", name+" may not be null.")
				return nil
			}
			empty := ""
			return &empty
		}
		s, err := text.UnquoteJSON(v)
		if err != nil {
			code := "invalid_type"
			if errors.Is(err, text.ErrInvalidUTF8) {
				code = text.CodeInvalid
			}
			bad.Add(name, code, name+" must be a string of valid UTF-8.")
			return nil
		}
		cleanText(bad, name, &s, rules[name])
		return &s
	}
	in.Description = str("description", false)
	in.DueDate = str("due_date", true)
	in.DueTime = str("due_time", true)
	in.Type = str("type", true)
	in.AssigneeID = str("assignee_id", false)
	if v, ok := raw["done"]; ok {
		delete(raw, "done")
		var b bool
		if err := json.Unmarshal(v, &b); err != nil {
			bad.Add("done", "invalid", "done must be true or false.")
		} else {
			in.Done = &b
		}
	}
	for name := range raw {
		bad.Add(name, "unknown_field", "Records have no field "+strconv.Quote(name)+".")
	}
	return in, bad.Err()
}

func (s *server) readTaskInput(w http.ResponseWriter, r *http.Request) (task.Input, bool) {
	body, ok := readBodyLimit(w, r, MaxConsoleBody)
	if !ok {
		return task.Input{}, false
	}
	in, err := decodeTaskInput(body)
	if err != nil {
		s.fail(w, r, err)
		return in, false
	}
	return in, true
}

func (s *server) leadTasks(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	if _, err := s.Leads.Detail(r.Context(), p.TenantID, r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	items, err := s.agenda().OfLead(r.Context(), p, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *server) taskCreate(w http.ResponseWriter, r *http.Request) {
	in, ok := s.readTaskInput(w, r)
	if !ok {
		return
	}
	v, err := s.agenda().Create(r.Context(), principal(r), r.PathValue("id"), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(v.Version, 10)))
	w.Header().Set("Location", "/v1/tasks/"+v.ID)
	writeJSON(w, http.StatusCreated, v)
}

func (s *server) taskGet(w http.ResponseWriter, r *http.Request) {
	v, err := s.agenda().Get(r.Context(), principal(r), r.PathValue("task_id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(v.Version, 10)))
	writeJSON(w, http.StatusOK, v)
}

func (s *server) taskUpdate(w http.ResponseWriter, r *http.Request) {
	version, ok := parseIfMatch(w, r)
	if !ok {
		return
	}
	in, ok := s.readTaskInput(w, r)
	if !ok {
		return
	}
	v, err := s.agenda().Update(r.Context(), principal(r), r.PathValue("task_id"), version, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", strconv.Quote(strconv.FormatInt(v.Version, 10)))
	writeJSON(w, http.StatusOK, v)
}

func (s *server) taskDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.agenda().Delete(r.Context(), principal(r), r.PathValue("task_id")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) taskBulk(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Action string   `json:"action"`
		IDs    []string `json:"ids"`
	}
	if !decodeBody(w, r, &req, MaxBulkBody) {
		return
	}
	bad := &lead.InvalidError{}
	cleanText(bad, "action", &req.Action, text.Line)
	for i := range req.IDs {
		cleanText(bad, "ids["+strconv.Itoa(i)+"]", &req.IDs[i], text.Line)
	}
	if err := bad.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.agenda().Bulk(r.Context(), principal(r), req.Action, req.IDs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// myTasks serves GET /v1/tasks: the caller's records (admins: anyone's).
func (s *server) myTasks(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	qv := r.URL.Query()
	q := task.Query{Assignee: p.UserID, Status: task.Status(qv.Get("status")), Type: qv.Get("type"),
		From: qv.Get("from"), To: qv.Get("to"), Now: s.Now().UTC(), Cursor: qv.Get("cursor"), Limit: 50}
	bad := &lead.InvalidError{}
	var ok bool
	if q.Assignee, ok = s.assignee(w, r); !ok {
		return
	}
	if q.Status == "" {
		q.Status = task.StatusPending
	}
	if !q.Status.Valid() {
		bad.Add("status", "invalid", "Use pending, overdue, done or all.")
	}
	for name, v := range map[string]string{"from": q.From, "to": q.To} {
		if _, err := time.Parse(task.DateLayout, v); v != "" && err != nil {
			bad.Add(name, "invalid", "Use a date such as 2026-12-01.")
		}
	}
	if l := qv.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 100 {
			bad.Add("limit", "invalid", "limit is 1 to 100.")
		}
		q.Limit = n
	}
	if err := bad.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	items, next, err := s.Tasks.Agenda(r.Context(), p.TenantID, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	views := make([]agenda.View, 0, len(items))
	for _, t := range items {
		views = append(views, agenda.ViewOf(t, q.Now))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": views, "next_cursor": next})
}

// assignee is whose agenda a request reads: the signed-in user, or with
// ?assignee=<user id> (admins only) someone else; false when refused (the
// answer is written).
func (s *server) assignee(w http.ResponseWriter, r *http.Request) (string, bool) {
	p := principal(r)
	a := r.URL.Query().Get("assignee")
	if a == "" || a == "me" || a == p.UserID {
		return p.UserID, true
	}
	if !p.IsAdmin() {
		s.fail(w, r, lead.ErrForbidden)
		return "", false
	}
	return a, true
}

// maxDueNow is the most due-now notifications one answer lists (the
// console's badge shows "99+" beyond).
const maxDueNow = 100

// tasksDueNow lists the user's due-now notifications: records whose
// reminder fired and that are still pending. One Query.
func (s *server) tasksDueNow(w http.ResponseWriter, r *http.Request) {
	user, ok := s.assignee(w, r)
	if !ok {
		return
	}
	items, err := s.Tasks.DueNow(r.Context(), principal(r).TenantID, user, maxDueNow)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"count": len(items), "items": items})
}

func (s *server) taskStats(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	qv := r.URL.Query()
	st, err := s.agenda().Stats(r.Context(), p, qv.Get("from"), qv.Get("to"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	switch f := qv.Get("format"); f {
	case "", "json":
		writeJSON(w, http.StatusOK, st)
	case "csv", "xlsx":
		ct := "text/csv; charset=utf-8"
		if f == "xlsx" {
			ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Disposition", `attachment; filename="tasks-`+st.From+`-`+st.To+`.`+f+`"`)
		if err := agenda.WriteStats(w, f, st, s.Now().UTC()); err != nil {
			s.Logger.ErrorContext(r.Context(), "task stats download failed", "err", err)
		}
	default:
		problem.Invalid(w, []lead.FieldError{{Field: "format", Code: "invalid", Detail: "Use json, csv or xlsx."}})
	}
}

func (s *server) taskTypes(w http.ResponseWriter, r *http.Request) {
	ts, err := s.Tasks.TaskTypes(r.Context(), principal(r).TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"types": ts})
}

func (s *server) taskPresets(w http.ResponseWriter, r *http.Request) {
	ps, err := s.Tasks.TaskPresets(r.Context(), principal(r).TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"presets": ps})
}

// requireAdmin answers 403 to a caller who is not an admin.
func requireAdmin(w http.ResponseWriter, r *http.Request, what string) bool {
	if !principal(r).IsAdmin() {
		problem.Write(w, problem.New(http.StatusForbidden, "forbidden", "Only admins change the account's "+what+"."))
		return false
	}
	return true
}

func (s *server) putTaskTypes(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Types *[]task.TaskType `json:"types"`
	}
	if !requireAdmin(w, r, "task types") || !decodeBody(w, r, &body, MaxConsoleBody) {
		return
	}
	bad := &lead.InvalidError{}
	if body.Types == nil {
		bad.Add("types", text.CodeRequired, `Send {"types": [...]}.`)
		s.fail(w, r, bad)
		return
	}
	ts := *body.Types
	seen := map[string]bool{}
	for i, t := range ts {
		cleanText(bad, "types["+strconv.Itoa(i)+"].id", &t.ID, text.Line)
		cleanText(bad, "types["+strconv.Itoa(i)+"].label", &t.Label, text.Line)
		if t.ID == "" || len(t.ID) > task.MaxType || t.Label == "" || len(t.Label) > task.MaxType || seen[t.ID] {
			bad.Add("types["+strconv.Itoa(i)+"]", "invalid", "Each type has a unique id and a label (1–64 characters).")
		}
		seen[t.ID] = true
		ts[i] = t
	}
	if len(ts) > 50 {
		bad.Add("types", "too_many", "At most 50 types.")
	}
	if err := bad.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Tasks.PutTaskTypes(r.Context(), principal(r).TenantID, ts); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"types": ts})
}

func (s *server) putTaskPresets(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Presets *[]task.Preset `json:"presets"`
	}
	if !requireAdmin(w, r, "task presets") || !decodeBody(w, r, &body, MaxConsoleBody) {
		return
	}
	bad := &lead.InvalidError{}
	if body.Presets == nil {
		bad.Add("presets", text.CodeRequired, `Send {"presets": [...]}.`)
		s.fail(w, r, bad)
		return
	}
	ps := *body.Presets
	now := s.Now().UTC()
	for i := range ps {
		field := "presets[" + strconv.Itoa(i) + "]"
		cleanText(bad, field+".label", &ps[i].Label, text.Rule{Max: 100})
		cleanText(bad, field+".description", &ps[i].Description, text.Rule{Max: task.MaxDescription, Multiline: true})
		cleanText(bad, field+".type", &ps[i].Type, text.Line)
		cleanText(bad, field+".due_time", &ps[i].DueTime, text.Line)
		p := ps[i]
		if strings.TrimSpace(p.Label) == "" || len(p.Label) > 100 {
			bad.Add(field+".label", "invalid", "A preset needs a label (1–100 characters).")
		}
		if p.DueInDays != nil && (*p.DueInDays < 0 || *p.DueInDays > 365) {
			bad.Add(field+".due_in_days", "invalid", "due_in_days is 0 to 365.")
		}
		if p.DueTime != "" && p.DueInDays == nil {
			bad.Add(field+".due_time", "requires_date", "A preset's time needs due_in_days.")
		}
		probe := task.Task{AssigneeID: "x"}
		if _, err := probe.Apply(p.Input(now), nil, now); err != nil {
			if inv, ok := err.(*lead.InvalidError); ok {
				for _, e := range inv.Errors {
					bad.Add(field+"."+e.Field, e.Code, e.Detail)
				}
			}
		}
		if p.ID == "" {
			ps[i].ID = lead.NewID("tp_", now)
		}
	}
	if len(ps) > 50 {
		bad.Add("presets", "too_many", "At most 50 presets.")
	}
	if err := bad.Err(); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Tasks.PutTaskPresets(r.Context(), principal(r).TenantID, ps); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"presets": ps})
}
