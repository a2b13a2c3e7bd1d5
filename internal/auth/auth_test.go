package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/golang-jwt/jwt/v5"

	"github.com/leadflow/leadflow/internal/account"
)

var secret = []byte(strings.Repeat("s", 32))

func request(token string) *http.Request {
	r, _ := http.NewRequest("GET", "/v1/me", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHMACIssuesTokensItAccepts(t *testing.T) {
	h, err := NewHMAC(secret, "leadflow-test")
	if err != nil {
		t.Fatal(err)
	}
	want := account.Principal{TenantID: "acme", UserID: "usr_1", Role: account.RoleAgent}
	tok, err := h.Issue(want, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.Authenticate(request(tok))
	if err != nil || got != want {
		t.Fatalf("Authenticate = %+v, %v; want %+v", got, err, want)
	}
	// The scheme is case-insensitive (RFC 6750 §2.1 follows RFC 7235).
	r := request("")
	r.Header.Set("Authorization", "bearer "+tok)
	if _, err := h.Authenticate(r); err != nil {
		t.Errorf("lower-case scheme refused: %v", err)
	}
}

func TestHMACRefusesBadTokens(t *testing.T) {
	h, _ := NewHMAC(secret, "leadflow-test")
	now := time.Now()
	good := jwt.MapClaims{"iss": "leadflow-test", "sub": "usr_1", "exp": now.Add(time.Hour).Unix(), ClaimTenant: "acme", ClaimRole: "admin"}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for kk, vv := range good {
			c[kk] = vv
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	// alg "none": header and claims, no signature.
	enc := base64.RawURLEncoding.EncodeToString
	none := enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc([]byte(`{"iss":"leadflow-test","sub":"usr_1","exp":9999999999,"custom:tenant_id":"acme","custom:role":"admin"}`)) + "."

	cases := map[string]string{
		"missing":          "",
		"garbage":          "not.a.token",
		"alg none":         none,
		"other secret":     sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), good),
		"HS512":            sign(t, jwt.SigningMethodHS512, secret, good),
		"expired":          sign(t, jwt.SigningMethodHS256, secret, with("exp", now.Add(-time.Minute).Unix())),
		"no expiry":        sign(t, jwt.SigningMethodHS256, secret, with("exp", nil)),
		"wrong issuer":     sign(t, jwt.SigningMethodHS256, secret, with("iss", "someone-else")),
		"no tenant":        sign(t, jwt.SigningMethodHS256, secret, with(ClaimTenant, nil)),
		"unknown role":     sign(t, jwt.SigningMethodHS256, secret, with(ClaimRole, "owner")),
		"no subject":       sign(t, jwt.SigningMethodHS256, secret, with("sub", nil)),
		"tampered payload": strings.Replace(sign(t, jwt.SigningMethodHS256, secret, good), ".", ".e", 1),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			if p, err := h.Authenticate(request(tok)); !errors.Is(err, ErrUnauthenticated) {
				t.Errorf("accepted: %+v, %v", p, err)
			}
		})
	}
}

func TestNewHMACNeedsALongSecret(t *testing.T) {
	if _, err := NewHMAC([]byte("short"), "x"); err == nil {
		t.Error("a 5-byte secret was accepted")
	}
}

func TestFromAuthorizerReadsVerifiedClaims(t *testing.T) {
	// Build the request the way the Lambda adapter does from an event.
	withClaims := func(claims map[string]string) *http.Request { return authorizerRequest(t, claims) }
	p, err := FromAuthorizer{}.Authenticate(withClaims(map[string]string{"sub": "abc", ClaimTenant: "demo", ClaimRole: "agent"}))
	if err != nil || p != (account.Principal{TenantID: "demo", UserID: "abc", Role: account.RoleAgent}) {
		t.Errorf("got %+v, %v", p, err)
	}
	for name, r := range map[string]*http.Request{
		"no lambda context": request("whatever"),
		"no authorizer":     withClaims(nil),
		"no tenant claim":   withClaims(map[string]string{"sub": "abc", ClaimRole: "admin"}),
		"bad role":          withClaims(map[string]string{"sub": "abc", ClaimTenant: "demo", ClaimRole: "root"}),
	} {
		if _, err := (FromAuthorizer{}).Authenticate(r); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A token issued (iat) or valid from (nbf) more than FutureLeeway ahead is
// refused in both modes; a few seconds of clock skew pass.
func TestTokensFromTheFutureAreRefused(t *testing.T) {
	h, _ := NewHMAC(secret, "leadflow-test")
	now := time.Now()
	claims := func(k string, at time.Time) jwt.MapClaims {
		return jwt.MapClaims{"iss": "leadflow-test", "sub": "usr_1", "exp": now.Add(2 * time.Hour).Unix(),
			ClaimTenant: "acme", ClaimRole: "admin", k: at.Unix()}
	}
	if _, err := h.Authenticate(request(sign(t, jwt.SigningMethodHS256, secret, claims("iat", now.Add(5*time.Second))))); err != nil {
		t.Errorf("iat 5 s ahead refused: %v", err)
	}
	for _, k := range []string{"iat", "nbf"} {
		tok := sign(t, jwt.SigningMethodHS256, secret, claims(k, now.Add(365*24*time.Hour)))
		if _, err := h.Authenticate(request(tok)); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("HMAC: %s a year ahead accepted", k)
		}
	}
	a := FromAuthorizer{Now: func() time.Time { return now }}
	base := map[string]string{"sub": "abc", ClaimTenant: "demo", ClaimRole: "agent"}
	for k, v := range map[string]string{"iat": fmt.Sprint(now.Add(2 * time.Minute).Unix()), "nbf": fmt.Sprint(now.Add(time.Hour).Unix()), "iat ": "soon"} {
		c := maps.Clone(base)
		c[strings.TrimSpace(k)] = v
		if _, err := a.Authenticate(authorizerRequest(t, c)); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("authorizer: %s=%s accepted", k, v)
		}
	}
	c := maps.Clone(base)
	c["iat"] = fmt.Sprint(now.Add(30 * time.Second).Unix())
	if _, err := a.Authenticate(authorizerRequest(t, c)); err != nil {
		t.Errorf("authorizer: iat 30 s ahead refused: %v", err)
	}
}

// authorizerRequest builds the request the Lambda adapter builds from an
// event whose JWT authorizer verified claims (none: no authorizer).
func authorizerRequest(t *testing.T, claims map[string]string) *http.Request {
	ev := events.APIGatewayV2HTTPRequest{RawPath: "/v1/me", RequestContext: events.APIGatewayV2HTTPRequestContext{
		HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/v1/me"},
	}}
	if claims != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims},
		}
	}
	r, err := (&core.RequestAccessorV2{}).EventToRequestWithContext(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
