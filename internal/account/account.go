// Package account holds the tenant side of the domain: accounts, the sites
// that capture leads for them, and the users (admins and agents) who work
// those leads. Every other record in Leadflow belongs to exactly one account.
package account

import (
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Role is what a console user may do inside their account.
type Role string

const (
	RoleAdmin Role = "admin"
	RoleAgent Role = "agent"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleAgent }

// Account is a tenant. Its ID prefixes every key in the store.
type Account struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// SubStates lists, per pipeline state, the sub-states an agent may pick.
	SubStates map[string][]string `json:"sub_states,omitempty"`
	// Timezone is an IANA name used for "no time given" defaults.
	Timezone string `json:"timezone,omitempty"`
	// Country (ISO 3166-1 alpha-2) reads phone numbers typed in the console
	// without a country code.
	Country   string    `json:"country,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// SubStateLabels names sub-states for people: state → sub-state id →
	// label (a sub-state without one shows its id).
	SubStateLabels map[string]map[string]string `json:"sub_state_labels,omitempty"`
	// IdentityKinds are the account's own identity-key kinds (GET/PUT
	// /v1/identity-keys), beside the built-ins.
	IdentityKinds []IdentityKind `json:"identity_kinds,omitempty"`
	// Version grows by one with every settings change (the ETag of GET
	// /v1/account); 0 on accounts never changed from the console.
	Version   int64     `json:"version,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// AllowsSubState reports whether sub is configured for state. The empty
// sub-state is always allowed.
func (a Account) AllowsSubState(state, sub string) bool {
	if sub == "" {
		return true
	}
	return slices.Contains(a.SubStates[state], sub)
}

// Site is one capture endpoint of an account: a website, landing page or
// ad form. Its public Key authenticates chatbots and forms; it is not a
// secret in the browser sense, so origins and rate limits guard it.
type Site struct {
	ID       string `json:"id"`
	TenantID string `json:"tenant_id"`
	Name     string `json:"name"`
	Key      string `json:"key"`
	// AllowedOrigins are scheme://host[:port] values browsers may post from.
	// Empty means any origin.
	AllowedOrigins []string `json:"allowed_origins,omitempty"`
	// Country is the ISO 3166-1 alpha-2 region used to read phone numbers
	// written without a country code ("11 91234-5678" on a BR site).
	Country string `json:"country"`
	// RateLimitPerMinute caps captures per visitor IP per minute.
	RateLimitPerMinute int       `json:"rate_limit_per_minute"`
	CreatedAt          time.Time `json:"created_at"`
	// Version grows by one with every change from the console.
	Version int64 `json:"version,omitempty"`
}

// DefaultRateLimitPerMinute applies when a site sets none.
const DefaultRateLimitPerMinute = 30

// OriginAllowed reports whether a browser Origin header may post to the
// site. Requests without an Origin (server to server) are allowed.
func (s Site) OriginAllowed(origin string) bool {
	if origin == "" || len(s.AllowedOrigins) == 0 {
		return true
	}
	origin = strings.TrimRight(strings.ToLower(origin), "/")
	for _, o := range s.AllowedOrigins {
		if strings.TrimRight(strings.ToLower(o), "/") == origin {
			return true
		}
	}
	return false
}

// Limit returns the effective per-IP rate limit.
func (s Site) Limit() int {
	if s.RateLimitPerMinute <= 0 {
		return DefaultRateLimitPerMinute
	}
	return s.RateLimitPerMinute
}

// User is a console user of one account.
type User struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"tenant_id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Role      Role      `json:"role"`
	Active    bool      `json:"active"`
	Away      bool      `json:"away"`
	CreatedAt time.Time `json:"created_at"`
}

// Principal is the authenticated caller of a console request.
type Principal struct {
	TenantID string
	UserID   string
	Role     Role
}

// IsAdmin reports whether the caller holds the admin role.
func (p Principal) IsAdmin() bool { return p.Role == RoleAdmin }

// ErrNotFound is returned by stores when an account, site or user does not
// exist (or belongs to another tenant, which callers must not be able to tell).
var ErrNotFound = errors.New("not found")

// AdsSecrets are one site's credentials for the ads webhooks. They live in
// their own store item, separate from the site (whose copy is looked up by
// public key), are never returned by any API, and print redacted so a log
// line or an error can't leak them.
type AdsSecrets struct {
	TenantID string `json:"tenant_id"`
	SiteID   string `json:"site_id"`
	// MetaAppSecret signs Meta's webhook posts (X-Hub-Signature-256).
	MetaAppSecret string `json:"meta_app_secret,omitempty"`
	// MetaVerifyToken is what Meta echoes when the webhook is registered.
	MetaVerifyToken string `json:"meta_verify_token,omitempty"`
	// MetaPageToken reads leads from the Graph API. Locally it is kept
	// here; in AWS it comes from Secrets Manager (secrets.PageTokens).
	MetaPageToken string `json:"meta_page_token,omitempty"`
	// GoogleKey is the key Google Ads puts in each lead-form webhook body.
	GoogleKey string `json:"google_key,omitempty"`
}

// String never shows the secrets.
func (s AdsSecrets) String() string {
	return "AdsSecrets{tenant_id:" + s.TenantID + " site_id:" + s.SiteID + " [redacted]}"
}

// GoString never shows the secrets (%#v).
func (s AdsSecrets) GoString() string { return s.String() }

// LogValue never shows the secrets (log/slog).
func (s AdsSecrets) LogValue() slog.Value {
	return slog.GroupValue(slog.String("tenant_id", s.TenantID), slog.String("site_id", s.SiteID))
}

// Group is a named set of leads of an account ("Clientes VIP"). Leads keep
// the ids of their groups; the group item holds the name.
type Group struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// SavedFilter is a list a user saved: a name, the filter and the sort (as
// lead list query parameters). Shared filters are visible to everyone in
// the account; only the owner renames or deletes them.
type SavedFilter struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	OwnerID   string            `json:"owner_id"`
	Shared    bool              `json:"shared"`
	Filter    map[string]string `json:"filter"`
	Sort      string            `json:"sort,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// ErrSiteKeyRevoked is returned by a capture whose site key was rotated
// after the site was resolved (an instance's site cache may be stale): the
// capture stores nothing.
var ErrSiteKeyRevoked = errors.New("site key revoked")

// ErrNameTaken is returned when a name must be unique in the account.
var ErrNameTaken = errors.New("name already in use")
