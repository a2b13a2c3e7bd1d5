package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/leadflow/leadflow/internal/identity"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/problem"
)

// Identity is what the identity-key routes need from storage: the use
// cases' store (internal/identity).
type Identity = identity.Store

func (s *server) identityHandlers() map[string]http.Handler {
	h := map[string]http.Handler{
		"GET /v1/identity-keys":    http.HandlerFunc(s.identityKinds),
		"PUT /v1/identity-keys":    http.HandlerFunc(s.putIdentityKinds),
		"POST /v1/contacts/locate": http.HandlerFunc(s.locate),
		"POST /v1/leads":           http.HandlerFunc(s.leadCreate),
		"POST /v1/leads/{id}/keys": http.HandlerFunc(s.leadKeys),
	}
	if s.Identity == nil {
		for k := range h {
			h[k] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				problem.Write(w, problem.New(http.StatusServiceUnavailable, "unavailable", "Identity keys are not configured on this server."))
			})
		}
	}
	return h
}

func (s *server) identity() identity.Service { return identity.Service{Store: s.Identity, Now: s.Now} }

// identityKindsJSON is GET and PUT /v1/identity-keys.
type identityKindsJSON struct {
	Kinds   []lead.KeyKind `json:"kinds"`
	Version int64          `json:"version"`
}

func (s *server) answerKinds(w http.ResponseWriter, r *http.Request, kinds []lead.KeyKind, version int64, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(version))
	writeJSON(w, http.StatusOK, identityKindsJSON{Kinds: kinds, Version: version})
}

// identityKinds serves every role: the Identify dialog and the lead screen
// need the kinds; changing them is for admins.
func (s *server) identityKinds(w http.ResponseWriter, r *http.Request) {
	kinds, version, err := s.identity().Kinds(r.Context(), principal(r).TenantID)
	s.answerKinds(w, r, kinds, version, err)
}

func (s *server) putIdentityKinds(w http.ResponseWriter, r *http.Request) {
	if !principal(r).IsAdmin() {
		problem.Write(w, problem.New(http.StatusForbidden, "forbidden", "Only admins define identity keys."))
		return
	}
	ifVersion, ok := parseIfMatch(w, r)
	if !ok {
		return
	}
	var in struct {
		Kinds []lead.KeyKind `json:"kinds"`
	}
	if !decodeBody(w, r, &in, MaxConsoleBody) {
		return
	}
	kinds, version, err := s.identity().PutKinds(r.Context(), principal(r), ifVersion, in.Kinds)
	s.answerKinds(w, r, kinds, version, err)
}

func (s *server) locate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Keys map[string]lead.KeyValues `json:"keys"`
	}
	if !decodeBody(w, r, &in, MaxConsoleBody) {
		return
	}
	matches, err := s.identity().Locate(r.Context(), principal(r).TenantID, in.Keys)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"matches": matches})
}

func (s *server) leadCreate(w http.ResponseWriter, r *http.Request) {
	var in identity.CreateInput
	if !decodeBody(w, r, &in, MaxConsoleBody) {
		return
	}
	l, err := s.identity().Create(r.Context(), principal(r), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/leads/"+l.ID)
	w.Header().Set("ETag", etag(l.Version))
	writeJSON(w, http.StatusCreated, toLeadJSON(l))
}

// leadKeys serves POST /v1/leads/{id}/keys: {"add": {kind: values},
// "remove": {kind: values}} in one transaction, If-Match optional.
func (s *server) leadKeys(w http.ResponseWriter, r *http.Request) {
	ifVersion, ok := parseIfMatch(w, r)
	if !ok {
		return
	}
	var in identity.KeysInput
	if !decodeBody(w, r, &in, MaxConsoleBody) {
		return
	}
	l, err := s.identity().ChangeKeys(r.Context(), principal(r), r.PathValue("id"), ifVersion, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(l.Version))
	writeJSON(w, http.StatusOK, toLeadJSON(l))
}

// keyTakenProblem is the 409 of a unique key another lead holds: the
// problem plus that lead's id and the key's kind.
type keyTakenProblem struct {
	problem.Details
	LeadID string `json:"lead_id"`
	Kind   string `json:"kind"`
}

func writeKeyTaken(w http.ResponseWriter, e *lead.KeyTakenError) {
	p := problem.New(http.StatusConflict, "conflict", "Another lead already holds this "+e.Kind+" ("+e.Value+").")
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(keyTakenProblem{Details: p, LeadID: e.LeadID, Kind: e.Kind})
}
