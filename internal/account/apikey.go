package account

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Scope is what an account API key may do.
type Scope string

const (
	ScopeLeadsWrite        Scope = "leads:write"        // server-to-server capture with the full answer
	ScopeLeadsRead         Scope = "leads:read"         // read leads
	ScopeInteractionsWrite Scope = "interactions:write" // post interactions
)

// Scopes lists every scope an API key can hold.
var Scopes = []Scope{ScopeLeadsWrite, ScopeLeadsRead, ScopeInteractionsWrite}

// APIKeyPrefix starts every API key secret, so a leaked one is easy to
// recognise (secret scanners, logs) and never mistaken for a site key.
const APIKeyPrefix = "lfk_"

// DefaultAPIKeyRateLimitPerMinute caps captures per API key per minute.
const DefaultAPIKeyRateLimitPerMinute = 600

// MaxAPIKeyName bounds an API key's name.
const MaxAPIKeyName = 100

// APIKey is a secret credential of an account for server-to-server calls.
// Only the SHA-256 of its secret is stored: the secret is 32 random bytes,
// so a fast hash is as good as a slow one, and it is shown once, when the
// key is created.
type APIKey struct {
	ID       string  `json:"id"`
	TenantID string  `json:"tenant_id"`
	Name     string  `json:"name"`
	Scopes   []Scope `json:"scopes"`
	// Prefix is the start of the secret, for telling keys apart in lists.
	Prefix     string     `json:"prefix"`
	Hash       string     `json:"hash"`
	CreatedAt  time.Time  `json:"created_at"`
	CreatedBy  string     `json:"created_by"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	// RateLimitPerMinute caps the key's captures (0: the default).
	RateLimitPerMinute int `json:"rate_limit_per_minute,omitempty"`
}

// Limit returns the key's effective captures per minute.
func (k APIKey) Limit() int {
	if k.RateLimitPerMinute <= 0 {
		return DefaultAPIKeyRateLimitPerMinute
	}
	return k.RateLimitPerMinute
}

// ErrKeyRevoked is returned for a revoked API key.
var ErrKeyRevoked = errors.New("api key revoked")

// NewAPIKey makes a key with a fresh secret, returned once beside it.
func NewAPIKey(tenantID, id, name string, scopes []Scope, createdBy string, now time.Time) (APIKey, string) {
	secret := NewAPIKeySecret()
	return APIKeyFor(secret, tenantID, id, name, scopes, createdBy, now), secret
}

// NewAPIKeySecret returns a fresh secret: the prefix and 256 random bits.
func NewAPIKeySecret() string { return APIKeyPrefix + strings.ToLower(rand.Text()+rand.Text()) }

// APIKeyFor describes the key of a given secret (what is stored of it).
func APIKeyFor(secret, tenantID, id, name string, scopes []Scope, createdBy string, now time.Time) APIKey {
	return APIKey{
		ID: id, TenantID: tenantID, Name: name, Scopes: scopes,
		Prefix: secret[:min(len(secret), len(APIKeyPrefix)+8)], Hash: HashAPIKey(secret),
		CreatedAt: now.UTC(), CreatedBy: createdBy,
	}
}

// HashAPIKey is how a secret is stored and looked up.
func HashAPIKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// LooksLikeAPIKey reports whether a bearer credential is an API key
// rather than a console token.
func LooksLikeAPIKey(secret string) bool { return strings.HasPrefix(secret, APIKeyPrefix) }

// ValidScope reports whether s is a known scope.
func ValidScope(s Scope) bool { return slices.Contains(Scopes, s) }

// Allows reports whether the key is live and holds scope.
func (k APIKey) Allows(scope Scope) bool {
	return k.RevokedAt == nil && slices.Contains(k.Scopes, scope)
}

// NeedsTouch reports whether last_used_at is older than a minute (it is
// updated at most once a minute).
func (k APIKey) NeedsTouch(now time.Time) bool {
	return k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= time.Minute
}

// LogValue never shows the hash (log/slog).
func (k APIKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String("tenant_id", k.TenantID), slog.String("id", k.ID), slog.String("prefix", k.Prefix))
}

// String never shows the hash.
func (k APIKey) String() string {
	return "APIKey{tenant_id:" + k.TenantID + " id:" + k.ID + " prefix:" + k.Prefix + "}"
}

// GoString never shows the hash (%#v).
func (k APIKey) GoString() string { return k.String() }
