// Package auth turns a console request into an account.Principal.
//
// In AWS the HTTP API's JWT authorizer (Cognito) has already verified the
// token, so FromAuthorizer only reads its claims from the Lambda request
// context. Locally there is no API Gateway, so HMAC verifies HS256 tokens the
// local server issued. Both read the same Cognito-style claims.
package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/golang-jwt/jwt/v5"

	"github.com/leadflow/leadflow/internal/account"
)

// Claim names, as Cognito puts custom attributes in ID tokens.
const (
	ClaimTenant = "custom:tenant_id"
	ClaimRole   = "custom:role"
)

// ErrUnauthenticated means no valid credentials came with the request.
var ErrUnauthenticated = errors.New("unauthenticated")

// Authenticator identifies the caller of a console request.
type Authenticator interface {
	Authenticate(r *http.Request) (account.Principal, error)
}

// FutureLeeway is how far in the future a token's iat or nbf may lie
// (clock skew between the issuer and this function); beyond it the token
// is refused.
const FutureLeeway = 60 * time.Second

// notFromTheFuture refuses a token issued (iat) or valid from (nbf) more
// than FutureLeeway after now. Claims are NumericDate seconds; a missing
// claim passes, an unreadable one does not.
func notFromTheFuture(get func(string) string, now time.Time) error {
	for _, c := range []string{"iat", "nbf"} {
		v := get(c)
		if v == "" {
			continue
		}
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%w: token %s %q is not a time", ErrUnauthenticated, c, v)
		}
		if time.Unix(int64(secs), 0).After(now.Add(FutureLeeway)) {
			return fmt.Errorf("%w: token %s is in the future", ErrUnauthenticated, c)
		}
	}
	return nil
}

// principalFromClaims validates the claims every token must carry.
func principalFromClaims(get func(string) string) (account.Principal, error) {
	p := account.Principal{
		UserID:   get("sub"),
		TenantID: get(ClaimTenant),
		Role:     account.Role(get(ClaimRole)),
	}
	switch {
	case p.UserID == "":
		return p, fmt.Errorf("%w: token has no subject", ErrUnauthenticated)
	case p.TenantID == "":
		return p, fmt.Errorf("%w: token has no %s claim", ErrUnauthenticated, ClaimTenant)
	case !p.Role.Valid():
		return p, fmt.Errorf("%w: token role %q is not admin or agent", ErrUnauthenticated, p.Role)
	}
	return p, nil
}

// HMAC verifies and issues HS256 tokens for the local server and tests.
type HMAC struct {
	secret []byte
	issuer string
	now    func() time.Time
}

// NewHMAC returns an HMAC authenticator. The secret must be at least 32 bytes.
func NewHMAC(secret []byte, issuer string) (*HMAC, error) {
	if len(secret) < 32 {
		return nil, errors.New("auth: HMAC secret must be at least 32 bytes")
	}
	return &HMAC{secret: secret, issuer: issuer, now: time.Now}, nil
}

// Issue signs a token for p valid for ttl.
func (h *HMAC) Issue(p account.Principal, ttl time.Duration) (string, error) {
	now := h.now()
	claims := jwt.MapClaims{
		"iss":       h.issuer,
		"sub":       p.UserID,
		"iat":       now.Unix(),
		"exp":       now.Add(ttl).Unix(),
		ClaimTenant: p.TenantID,
		ClaimRole:   string(p.Role),
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(h.secret)
}

// Authenticate verifies the bearer token: HS256 only (so "alg: none" and
// key-confusion tokens fail), the right issuer, and an expiry in the future.
func (h *HMAC) Authenticate(r *http.Request) (account.Principal, error) {
	raw, ok := Bearer(r)
	if !ok {
		return account.Principal{}, fmt.Errorf("%w: missing bearer token", ErrUnauthenticated)
	}
	tok, err := jwt.Parse(raw, func(*jwt.Token) (any, error) { return h.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(h.issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(h.now),
	)
	if err != nil {
		return account.Principal{}, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	claims, _ := tok.Claims.(jwt.MapClaims)
	if err := notFromTheFuture(func(k string) string {
		switch v := claims[k].(type) {
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		case json.Number:
			return string(v)
		case string:
			return v
		}
		return ""
	}, h.now()); err != nil {
		return account.Principal{}, err
	}
	return principalFromClaims(func(k string) string {
		s, _ := claims[k].(string)
		return s
	})
}

// Bearer returns the credential of an "Authorization: Bearer" header (the
// scheme is case-insensitive).
func Bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(h[len(prefix):]), true
}

// FromAuthorizer reads the claims API Gateway's JWT authorizer verified.
// A request that reaches it without them (a route declared without the
// authorizer by mistake) is refused, never trusted. An iat or nbf more than
// FutureLeeway ahead is refused here too.
type FromAuthorizer struct {
	// Now replaces time.Now (tests).
	Now func() time.Time
}

// Authenticate implements Authenticator.
func (a FromAuthorizer) Authenticate(r *http.Request) (account.Principal, error) {
	rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context())
	if !ok || rc.Authorizer == nil || rc.Authorizer.JWT == nil {
		return account.Principal{}, fmt.Errorf("%w: no authorizer claims on the request", ErrUnauthenticated)
	}
	claims := rc.Authorizer.JWT.Claims
	get := func(k string) string { return claims[k] }
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	if err := notFromTheFuture(get, now()); err != nil {
		return account.Principal{}, err
	}
	return principalFromClaims(get)
}

type ctxKey struct{}

// WithPrincipal stores p in ctx.
func WithPrincipal(ctx context.Context, p account.Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// PrincipalFrom returns the principal stored by WithPrincipal.
func PrincipalFrom(ctx context.Context) (account.Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(account.Principal)
	return p, ok
}
