package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/problem"
)

// PrefixAPIKey starts API key ids (not the secrets: account.APIKeyPrefix).
const PrefixAPIKey = "ak_"

// apiKeyJSON is an API key as the console sees it: never the secret nor its
// hash. Key is set only in the answer of the create call.
type apiKeyJSON struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	Scopes     []account.Scope `json:"scopes"`
	Prefix     string          `json:"prefix"`
	CreatedAt  time.Time       `json:"created_at"`
	CreatedBy  string          `json:"created_by"`
	LastUsedAt *time.Time      `json:"last_used_at"`
	RevokedAt  *time.Time      `json:"revoked_at"`
	Key        string          `json:"key,omitempty"`
}

func toAPIKeyJSON(k account.APIKey) apiKeyJSON {
	return apiKeyJSON{ID: k.ID, Name: k.Name, Scopes: k.Scopes, Prefix: k.Prefix, CreatedAt: k.CreatedAt,
		CreatedBy: k.CreatedBy, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

// adminOnly answers 403 unless the caller is an admin.
func adminOnly(w http.ResponseWriter, r *http.Request) bool {
	if principal(r).IsAdmin() {
		return true
	}
	problem.Write(w, problem.New(http.StatusForbidden, "forbidden", "Only admins manage API keys."))
	return false
}

// apiKeyCreate serves POST /v1/api-keys: the secret is in this answer and
// nowhere else, ever.
func (s *server) apiKeyCreate(w http.ResponseWriter, r *http.Request) {
	if !adminOnly(w, r) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var in struct {
		Name   *string  `json:"name"`
		Scopes []string `json:"scopes"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		problem.Invalid(w, []lead.FieldError{{Field: "body", Code: "invalid", Detail: "Send a JSON object with name and scopes only."}})
		return
	}
	var errs []lead.FieldError
	name := ""
	if in.Name != nil && utf8.ValidString(*in.Name) {
		name = strings.Join(strings.FieldsFunc(*in.Name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	}
	if name == "" || utf8.RuneCountInString(name) > account.MaxAPIKeyName {
		errs = append(errs, lead.FieldError{Field: "name", Code: "invalid", Detail: fmt.Sprintf("A key name is 1 to %d characters of valid UTF-8.", account.MaxAPIKeyName)})
	}
	var scopes []account.Scope
	for i, sc := range in.Scopes {
		if !account.ValidScope(account.Scope(sc)) {
			errs = append(errs, lead.FieldError{Field: fmt.Sprintf("scopes[%d]", i), Code: "invalid", Detail: "Unknown scope; use leads:write, leads:read or interactions:write."})
			continue
		}
		if !slices.Contains(scopes, account.Scope(sc)) {
			scopes = append(scopes, account.Scope(sc))
		}
	}
	if len(in.Scopes) == 0 {
		errs = append(errs, lead.FieldError{Field: "scopes", Code: "required", Detail: "Give the key at least one scope."})
	}
	if len(errs) > 0 {
		problem.Invalid(w, errs)
		return
	}
	p := principal(r)
	now := s.Now().UTC()
	k, secret := account.NewAPIKey(p.TenantID, lead.NewID(PrefixAPIKey, now), name, scopes, p.UserID, now)
	if err := s.APIKeys.CreateAPIKey(r.Context(), k); err != nil {
		s.fail(w, r, err)
		return
	}
	out := toAPIKeyJSON(k)
	out.Key = secret
	writeJSON(w, http.StatusCreated, out)
}

// apiKeyList serves GET /v1/api-keys: the account's keys, newest first.
func (s *server) apiKeyList(w http.ResponseWriter, r *http.Request) {
	if !adminOnly(w, r) {
		return
	}
	keys, err := s.APIKeys.APIKeys(r.Context(), principal(r).TenantID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]apiKeyJSON, 0, len(keys))
	for _, k := range keys {
		items = append(items, toAPIKeyJSON(k))
	}
	slices.SortFunc(items, func(a, b apiKeyJSON) int { return b.CreatedAt.Compare(a.CreatedAt) })
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// apiKeyRevoke serves DELETE /v1/api-keys/{key_id}: refused from the next
// request on (lookups are never cached).
func (s *server) apiKeyRevoke(w http.ResponseWriter, r *http.Request) {
	if !adminOnly(w, r) {
		return
	}
	if err := s.APIKeys.RevokeAPIKey(r.Context(), principal(r).TenantID, r.PathValue("key_id"), s.Now()); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// captureKey authenticates a server capture's API key: it must be live,
// belong to the site's account and hold leads:write. It writes the refusal
// itself: 401 for an unknown or revoked key, 403 for another account's key
// or a missing scope.
func (s *server) captureKey(w http.ResponseWriter, r *http.Request, secret string, site account.Site) (account.APIKey, bool) {
	return s.apiKey(w, r, secret, account.ScopeLeadsWrite, site.TenantID)
}

// apiKey authenticates a server's account API key for scope (401 unknown
// or revoked, 403 without the scope or, when tenant is set, of another
// account) and records its use. It writes the error response itself.
func (s *server) apiKey(w http.ResponseWriter, r *http.Request, secret string, scope account.Scope, tenant string) (account.APIKey, bool) {
	refuse := func(status int, code, detail string) (account.APIKey, bool) {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="leadflow"`)
		}
		problem.Write(w, problem.New(status, code, detail))
		return account.APIKey{}, false
	}
	if s.APIKeys == nil || !account.LooksLikeAPIKey(secret) {
		return refuse(http.StatusUnauthorized, "invalid_api_key", "The bearer credential is not an API key of this service.")
	}
	k, err := s.APIKeys.APIKeyByHash(r.Context(), account.HashAPIKey(secret))
	if errors.Is(err, account.ErrNotFound) {
		return refuse(http.StatusUnauthorized, "invalid_api_key", "Unknown or revoked API key.")
	}
	if err != nil {
		s.Logger.ErrorContext(r.Context(), "api key lookup failed", "err", err)
		problem.RetryAfter(w, http.StatusServiceUnavailable, "unavailable", "Nothing was stored; retry shortly.", 0)
		return k, false
	}
	if tenant != "" && k.TenantID != tenant {
		return refuse(http.StatusForbidden, "forbidden", "This API key may not capture for this site.")
	}
	if !k.Allows(scope) {
		return refuse(http.StatusForbidden, "insufficient_scope", "This API key lacks the "+string(scope)+" scope.")
	}
	if err := s.APIKeys.TouchAPIKey(r.Context(), k, s.Now()); err != nil {
		// Bookkeeping only: the request goes on.
		s.Logger.WarnContext(r.Context(), "api key last use not recorded", "api_key", k, "err", err)
	}
	return k, true
}
