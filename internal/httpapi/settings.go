package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/problem"
	"github.com/leadflow/leadflow/internal/settings"
)

// Settings is what the account and site routes need from storage. Each
// change is written with its audit entries in one transaction.
type Settings interface {
	Account(ctx context.Context, tenantID string) (account.Account, error)
	UpdateAccount(ctx context.Context, tenantID string, ifVersion int64, change func(*account.Account) ([]lead.Event, error)) (account.Account, error)
	Sites(ctx context.Context, tenantID string) ([]account.Site, error)
	CreateSite(ctx context.Context, site account.Site, evs []lead.Event) error
	UpdateSite(ctx context.Context, tenantID, siteID string, change func(*account.Site) ([]lead.Event, error)) (account.Site, error)
}

// accountJSON is the account as the settings screen reads it.
type accountJSON struct {
	ID        string                         `json:"id"`
	Name      string                         `json:"name"`
	Timezone  string                         `json:"timezone"`
	Country   string                         `json:"country"`
	SubStates map[string][]settings.SubState `json:"sub_states"`
	Version   int64                          `json:"version"`
	CreatedAt time.Time                      `json:"created_at"`
	UpdatedAt *time.Time                     `json:"updated_at"`
}

func toAccountJSON(a account.Account) accountJSON {
	out := accountJSON{ID: a.ID, Name: a.Name, Timezone: a.Timezone, Country: a.Country,
		SubStates: settings.SubStates(a), Version: max(a.Version, 1), CreatedAt: a.CreatedAt}
	if !a.UpdatedAt.IsZero() {
		out.UpdatedAt = &a.UpdatedAt
	}
	return out
}

// siteJSON is a site as the settings screen lists it. The public key is
// shown only when it is new (create, rotate-key); the list shows its last
// characters so an admin can tell which key a page uses.
type siteJSON struct {
	ID                 string    `json:"id"`
	Name               string    `json:"name"`
	AllowedOrigins     []string  `json:"allowed_origins"`
	RateLimitPerMinute int       `json:"rate_limit_per_minute"`
	Country            string    `json:"country"`
	KeyHint            string    `json:"key_hint"`
	Key                string    `json:"key,omitempty"`
	Version            int64     `json:"version"`
	CreatedAt          time.Time `json:"created_at"`
}

func toSiteJSON(s account.Site, withKey bool) siteJSON {
	out := siteJSON{ID: s.ID, Name: s.Name, AllowedOrigins: nonNil(s.AllowedOrigins), RateLimitPerMinute: s.Limit(),
		Country: s.Country, Version: max(s.Version, 1), CreatedAt: s.CreatedAt}
	if len(s.Key) > 4 {
		out.KeyHint = "…" + s.Key[len(s.Key)-4:]
	}
	if withKey {
		out.Key = s.Key
	}
	return out
}

// requireSettingsAdmin refuses agents: account and sites are admins' only.
func requireSettingsAdmin(w http.ResponseWriter, r *http.Request) bool {
	if principal(r).IsAdmin() {
		return true
	}
	problem.Write(w, problem.New(http.StatusForbidden, "forbidden", "Only admins manage the account and its sites."))
	return false
}

// decodeStrict reads a JSON object body into v, refusing unknown fields and
// trailing data. (Kept local and small: a shared decoder is being added to
// this package separately.)
func decodeStrict(w http.ResponseWriter, r *http.Request, v any, hint string) bool {
	body, ok := readBody(w, r)
	if !ok {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil || dec.More() {
		detail := "The body must be a JSON object: " + hint + "."
		if err != nil {
			detail += " (" + err.Error() + ")"
		}
		problem.Invalid(w, []lead.FieldError{{Field: "body", Code: "invalid", Detail: detail}})
		return false
	}
	return true
}

func (s *server) accountGet(w http.ResponseWriter, r *http.Request) {
	if !requireSettingsAdmin(w, r) {
		return
	}
	a, err := s.Settings.Account(r.Context(), principal(r).TenantID)
	s.answerAccount(w, r, a, err)
}

// answerAccount writes the account with its ETag, or the error.
func (s *server) answerAccount(w http.ResponseWriter, r *http.Request, a account.Account, err error) {
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := toAccountJSON(a)
	w.Header().Set("ETag", etag(out.Version))
	writeJSON(w, http.StatusOK, out)
}

func (s *server) accountPatch(w http.ResponseWriter, r *http.Request) {
	if !requireSettingsAdmin(w, r) {
		return
	}
	p := principal(r)
	ifVersion, ok := parseIfMatch(w, r)
	if !ok {
		return
	}
	var in settings.AccountPatch
	if !decodeStrict(w, r, &in, "name, timezone, country, sub_states") {
		return
	}
	now := s.Now().UTC()
	a, err := s.Settings.UpdateAccount(r.Context(), p.TenantID, ifVersion, func(a *account.Account) ([]lead.Event, error) {
		return in.Apply(a, userActor(p), now)
	})
	s.answerAccount(w, r, a, err)
}

func (s *server) siteList(w http.ResponseWriter, r *http.Request) {
	if !requireSettingsAdmin(w, r) {
		return
	}
	sites, err := s.Settings.Sites(r.Context(), principal(r).TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]siteJSON, 0, len(sites))
	for _, st := range sites {
		items = append(items, toSiteJSON(st, false))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (s *server) siteCreate(w http.ResponseWriter, r *http.Request) {
	if !requireSettingsAdmin(w, r) {
		return
	}
	p := principal(r)
	var in settings.SiteInput
	if !decodeStrict(w, r, &in, "name, allowed_origins, rate_limit_per_minute, country") {
		return
	}
	acct, err := s.Settings.Account(r.Context(), p.TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	site, evs, err := settings.NewSite(in, acct, userActor(p), s.Now().UTC())
	if err == nil {
		err = s.Settings.CreateSite(r.Context(), site, evs)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/sites/"+site.ID)
	w.Header().Set("ETag", etag(max(site.Version, 1)))
	writeJSON(w, http.StatusCreated, toSiteJSON(site, true))
}

func (s *server) sitePatch(w http.ResponseWriter, r *http.Request) {
	if !requireSettingsAdmin(w, r) {
		return
	}
	var in settings.SiteInput
	if !decodeStrict(w, r, &in, "name, allowed_origins, rate_limit_per_minute, country") {
		return
	}
	s.updateSite(w, r, false, func(st *account.Site, actor lead.Actor, now time.Time) ([]lead.Event, error) {
		return in.Apply(st, actor, now)
	})
}

// updateSite applies change to the site in the path and answers with it
// (with its key when withKey).
func (s *server) updateSite(w http.ResponseWriter, r *http.Request, withKey bool, change func(*account.Site, lead.Actor, time.Time) ([]lead.Event, error)) {
	p := principal(r)
	now := s.Now().UTC()
	site, err := s.Settings.UpdateSite(r.Context(), p.TenantID, r.PathValue("site_id"), func(st *account.Site) ([]lead.Event, error) {
		return change(st, userActor(p), now)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("ETag", etag(max(site.Version, 1)))
	writeJSON(w, http.StatusOK, toSiteJSON(site, withKey))
}

// siteRotateKey gives a site a new public key, returned this once; the old
// key's lookup item is deleted in the same transaction.
func (s *server) siteRotateKey(w http.ResponseWriter, r *http.Request) {
	if !requireSettingsAdmin(w, r) {
		return
	}
	s.updateSite(w, r, true, func(st *account.Site, actor lead.Actor, now time.Time) ([]lead.Event, error) {
		return []lead.Event{settings.RotateKey(st, actor, now)}, nil
	})
}
