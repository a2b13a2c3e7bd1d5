package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/problem"
	"github.com/leadflow/leadflow/internal/text"
)

// navigationJSON shows the first touch flat (the lead's navigation, as
// captured) and both touches explicitly.
type navigationJSON struct {
	lead.Touch
	FirstTouch lead.Touch `json:"first_touch"`
	LastTouch  lead.Touch `json:"last_touch"`
}

// leadJSON is a lead as the console API shows it.
type leadJSON struct {
	ID              string           `json:"id"`
	ContactID       string           `json:"contact_id"`
	Name            string           `json:"name"`
	Rating          int              `json:"rating"`
	State           lead.State       `json:"state"`
	SubState        string           `json:"sub_state,omitempty"`
	OwnerID         string           `json:"owner_id,omitempty"`
	EntryMethod     lead.EntryMethod `json:"entry_method"`
	SiteID          string           `json:"site_id"`
	Version         int64            `json:"version"`
	Interactions    int              `json:"interactions"`
	Occurrences     lead.Occurrences `json:"occurrences"`
	Sentiment       *int             `json:"sentiment"`
	Tickets         lead.Tickets     `json:"tickets"`
	Classification  string           `json:"classification,omitempty"`
	Tags            []string         `json:"tags"`
	Groups          []string         `json:"groups"`
	CreatedAt       string           `json:"created_at"`
	UpdatedAt       string           `json:"updated_at"`
	Contact         lead.Contact     `json:"contact"`
	Navigation      navigationJSON   `json:"navigation"`
	ScheduledChange any              `json:"scheduled_change"`

	// Keys are the lead's identity keys by kind (lead.KeyMap).
	Keys map[string][]string `json:"keys"`

	Test bool `json:"test,omitempty"` // an ad platform's test lead, left out of reports

	Consents []lead.Consent `json:"consents"`
}

type detailJSON struct {
	leadJSON
	Notes                  []lead.Note    `json:"notes"`
	NotesNextCursor        string         `json:"notes_next_cursor,omitempty"`
	History                []lead.Event   `json:"history"`
	HistoryNextCursor      string         `json:"history_next_cursor,omitempty"`
	Conversation           []lead.Message `json:"conversation"`
	ConversationNextCursor string         `json:"conversation_next_cursor,omitempty"`
}

const rfc3339Millis = "2006-01-02T15:04:05.000Z07:00"

func toLeadJSON(l lead.Lead) leadJSON {
	return leadJSON{
		ID: l.ID, ContactID: l.ContactID, Name: l.Name, Rating: l.Rating,
		State: l.State, SubState: l.SubState, OwnerID: l.OwnerID,
		EntryMethod: l.EntryMethod, SiteID: l.SiteID, Version: l.Version,
		Interactions: l.Interactions, Classification: string(l.Classification),
		Occurrences: l.Occurrences, Sentiment: l.Occurrences.Sentiment(), Tickets: l.Tickets,
		Tags: nonNil(l.Tags), Groups: nonNil(l.Groups),
		CreatedAt:  l.CreatedAt.UTC().Format(rfc3339Millis),
		UpdatedAt:  l.UpdatedAt.UTC().Format(rfc3339Millis),
		Contact:    l.Contact,
		Keys:       l.KeyMap(),
		Navigation: navigationJSON{Touch: l.FirstTouch, FirstTouch: l.FirstTouch, LastTouch: l.LastTouch},
		Test:       l.Test,
		Consents:   nonNil(l.Consents),
	}.withScheduledChange(l.ScheduledChange)
}

// withScheduledChange shows the pending change, or JSON null.
func (j leadJSON) withScheduledChange(c *lead.ScheduledChange) leadJSON {
	if c != nil {
		j.ScheduledChange = c
	}
	return j
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

func (s *server) leadDetail(w http.ResponseWriter, r *http.Request) {
	d, err := s.Leads.Detail(r.Context(), principal(r).TenantID, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(d.Lead.Version))
	writeJSON(w, http.StatusOK, detailJSON{
		leadJSON:               toLeadJSON(d.Lead),
		Notes:                  nonNil(d.Notes.Items),
		NotesNextCursor:        d.Notes.NextCursor,
		History:                nonNil(d.History.Items),
		HistoryNextCursor:      d.History.NextCursor,
		Conversation:           nonNil(d.Conversation.Items),
		ConversationNextCursor: d.Conversation.NextCursor,
	})
}

func (s *server) leadPatch(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	ifVersion, ok := parseIfMatch(w, r)
	if !ok {
		return
	}
	body, ok := readBodyLimit(w, r, MaxConsoleBody)
	if !ok {
		return
	}
	acct, err := s.Accounts.Account(r.Context(), p.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Field errors from decoding are reported together with the ones Apply
	// finds against the stored lead, so the caller sees every bad field.
	patch, decodeErrs := decodePatch(body, acct)
	if len(decodeErrs) > 0 && decodeErrs[0].Field == "body" {
		problem.Invalid(w, decodeErrs)
		return
	}
	if patch.OwnerID != nil {
		if !p.IsAdmin() {
			problem.Write(w, problem.New(http.StatusForbidden, "forbidden", "Only admins assign leads."))
			return
		}
		if err := s.checkOwner(r, p.TenantID, *patch.OwnerID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if patch.Groups != nil {
		if err := s.checkGroups(r, p.TenantID, "groups", *patch.Groups); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	actor := userActor(p)
	l, err := s.Leads.Update(r.Context(), p.TenantID, r.PathValue("id"), ifVersion, func(l *lead.Lead) ([]lead.Event, error) {
		events, err := l.Apply(patch, actor, acct, s.Now().UTC())
		if len(decodeErrs) == 0 {
			return events, err
		}
		all := &lead.InvalidError{Errors: decodeErrs}
		var invalid *lead.InvalidError
		if errors.As(err, &invalid) {
			all.Errors = append(all.Errors, invalid.Errors...)
		} else if err != nil {
			return nil, err
		}
		return nil, all
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(l.Version))
	writeJSON(w, http.StatusOK, toLeadJSON(l))
}

// checkOwner accepts "" (unassign) or an active user of the tenant.
func (s *server) checkOwner(r *http.Request, tenantID, ownerID string) error {
	if ownerID == "" {
		return nil
	}
	u, err := s.Accounts.User(r.Context(), tenantID, ownerID)
	if errors.Is(err, account.ErrNotFound) || (err == nil && !u.Active) {
		return &lead.InvalidError{Errors: []lead.FieldError{{Field: "owner_id", Code: "invalid", Detail: "No active user of this account has this id."}}}
	}
	return err
}

// parseIfMatch reads If-Match as a lead version: `"3"`, `W/"3"`, `3` or `*`
// (any). Missing means any version.
func parseIfMatch(w http.ResponseWriter, r *http.Request) (int64, bool) {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	if v == "" || v == "*" {
		return 0, true
	}
	v = strings.Trim(strings.TrimPrefix(v, "W/"), `"`)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		problem.Invalid(w, []lead.FieldError{{Field: "If-Match", Code: "invalid", Detail: `If-Match must be the lead's ETag, such as "3".`}})
		return 0, false
	}
	return n, true
}

func (s *server) leadHistory(w http.ResponseWriter, r *http.Request) {
	pageOf(s, w, r, s.Leads.History)
}

func (s *server) leadConversation(w http.ResponseWriter, r *http.Request) {
	pageOf(s, w, r, s.Leads.Conversation)
}

func (s *server) noteList(w http.ResponseWriter, r *http.Request) {
	pageOf(s, w, r, s.Leads.Notes)
}

// pageOf serves one cursor page of a lead's collection.
func pageOf[T any](s *server, w http.ResponseWriter, r *http.Request,
	list func(ctx context.Context, tenantID, leadID, cursor string, limit int) (lead.Page[T], error)) {
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			problem.Invalid(w, []lead.FieldError{{Field: "limit", Code: "invalid", Detail: "limit must be a whole number from 1 to 100."}})
			return
		}
		limit = n
	}
	page, err := list(r.Context(), principal(r).TenantID, r.PathValue("id"), r.URL.Query().Get("cursor"), limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page.Items = nonNil(page.Items)
	writeJSON(w, http.StatusOK, page)
}

type noteBody struct {
	Text *string `json:"text"`
}

// MaxNoteLength bounds a note's text.
const MaxNoteLength = 10000

// decodeNote reads a note body: one JSON object with a text field only;
// the text is multi-line, follows the input-hygiene rule and must not be
// empty once cleaned.
func decodeNote(body []byte) (string, error) {
	var nb noteBody
	if fe := decodeStrict(body, &nb); fe != nil {
		return "", &lead.InvalidError{Errors: []lead.FieldError{*fe}}
	}
	if nb.Text == nil {
		return "", &lead.InvalidError{Errors: []lead.FieldError{{Field: "text", Code: "required", Detail: "A note needs text."}}}
	}
	txt, fe := text.Clean("text", *nb.Text, text.Rule{Max: MaxNoteLength, Multiline: true, Required: true})
	if fe != nil {
		if fe.Code == text.CodeRequired {
			fe.Detail = "A note needs text."
		}
		return "", &lead.InvalidError{Errors: []lead.FieldError{{Field: fe.Field, Code: fe.Code, Detail: fe.Detail}}}
	}
	return txt, nil
}

// readNote reads a note body, answering the error itself when it fails.
func (s *server) readNote(w http.ResponseWriter, r *http.Request) (string, bool) {
	body, ok := readBodyLimit(w, r, MaxConsoleBody)
	if !ok {
		return "", false
	}
	txt, err := decodeNote(body)
	if err != nil {
		s.fail(w, r, err)
		return "", false
	}
	return txt, true
}

func (s *server) noteCreate(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	text, ok := s.readNote(w, r)
	if !ok {
		return
	}
	now := s.Now().UTC()
	n := lead.Note{ID: lead.NewID(lead.PrefixNote, now), Text: text, AuthorID: p.UserID, CreatedAt: now, UpdatedAt: now}
	ev := lead.NoteEvent(lead.ActionNoteAdded, userActor(p), now, nil, &n)
	if err := s.Leads.AddNote(r.Context(), p.TenantID, r.PathValue("id"), n, ev); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, n)
}

func (s *server) noteUpdate(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	text, ok := s.readNote(w, r)
	if !ok {
		return
	}
	n, err := s.Leads.UpdateNote(r.Context(), p.TenantID, r.PathValue("id"), r.PathValue("note_id"), func(n *lead.Note) (lead.Event, error) {
		if err := mayChangeNote(p, *n); err != nil {
			return lead.Event{}, err
		}
		before := *n
		now := s.Now().UTC()
		n.Text, n.UpdatedAt = text, now
		return lead.NoteEvent(lead.ActionNoteEdited, userActor(p), now, &before, n), nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

func (s *server) noteDelete(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	err := s.Leads.DeleteNote(r.Context(), p.TenantID, r.PathValue("id"), r.PathValue("note_id"), func(n *lead.Note) (lead.Event, error) {
		if err := mayChangeNote(p, *n); err != nil {
			return lead.Event{}, err
		}
		return lead.NoteEvent(lead.ActionNoteDeleted, userActor(p), s.Now().UTC(), n, nil), nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// mayChangeNote: the author or an admin.
func mayChangeNote(p account.Principal, n lead.Note) error {
	if p.IsAdmin() || n.AuthorID == p.UserID {
		return nil
	}
	return lead.ErrForbidden
}

// userActor is the history actor of a console caller.
func userActor(p account.Principal) lead.Actor { return lead.Actor{Type: lead.ActorUser, ID: p.UserID} }

// fail maps domain and store errors to problem responses.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var invalid *lead.InvalidError
	var merged *lead.MergedError
	var taken *lead.KeyTakenError
	switch {
	case errors.As(err, &merged):
		s.mergeFail(w, r, err) // 404 naming the lead it was merged into
	case errors.As(err, &invalid):
		problem.Invalid(w, invalid.Errors)
	case errors.As(err, &taken):
		writeKeyTaken(w, taken)
	case errors.Is(err, lead.ErrNotFound), errors.Is(err, account.ErrNotFound):
		problem.Write(w, problem.New(http.StatusNotFound, "not_found", "No such resource in this account."))
	case errors.Is(err, lead.ErrForbidden):
		problem.Write(w, problem.New(http.StatusForbidden, "forbidden", "Your role may not do this."))
	case errors.Is(err, lead.ErrVersionMismatch):
		problem.Write(w, problem.New(http.StatusPreconditionFailed, "precondition_failed", "The lead changed since you read it; reload and try again."))
	case errors.Is(err, lead.ErrIdentityTaken):
		p := problem.New(http.StatusConflict, "conflict", "Another lead already has this e-mail, phone or CPF.")
		problem.Write(w, p)
	default:
		s.Logger.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "err", err)
		problem.Write(w, problem.New(http.StatusInternalServerError, "internal", "Unexpected error."))
	}
}
