package httpapi_test

import (
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/leadflow/leadflow/internal/console"
	"github.com/leadflow/leadflow/internal/httpapi"
)

// The console in AWS: a private bucket read only by the distribution
// (origin access control), the HTTP API as a second origin on /v1/* (no
// caching, every viewer header but Host, the secret origin header), an SPA
// fallback, the contract's CSP, and Cognito managed login with a public
// client on the authorization-code flow (PKCE) whose ID tokens the JWT
// authorizer accepts.
func TestTemplateConsoleDistribution(t *testing.T) {
	c := loadTemplate(t)

	bucket := get(c.resource(t, "ConsoleBucket"), "Properties")
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if str(bucket, "PublicAccessBlockConfiguration", k) != "true" {
			t.Errorf("ConsoleBucket PublicAccessBlockConfiguration.%s is not true", k)
		}
	}
	if str(bucket, "WebsiteConfiguration", "IndexDocument") != "" {
		t.Error("ConsoleBucket is a public website bucket; CloudFront reads it through OAC")
	}
	oac := get(c.resource(t, "ConsoleOriginAccessControl"), "Properties", "OriginAccessControlConfig")
	if str(oac, "OriginAccessControlOriginType") != "s3" || str(oac, "SigningBehavior") != "always" || str(oac, "SigningProtocol") != "sigv4" {
		t.Errorf("origin access control: %v %v %v", str(oac, "OriginAccessControlOriginType"), str(oac, "SigningBehavior"), str(oac, "SigningProtocol"))
	}
	stmts := items(get(c.resource(t, "ConsoleBucketPolicy"), "Properties", "PolicyDocument", "Statement"))
	if len(stmts) != 1 || str(stmts[0], "Principal", "Service") != "cloudfront.amazonaws.com" ||
		!slices.Equal(scalars(get(stmts[0], "Action")), []string{"s3:GetObject"}) ||
		!strings.Contains(str(stmts[0], "Condition", "StringEquals", "AWS:SourceArn"), "${ConsoleDistribution}") {
		t.Error("ConsoleBucketPolicy must let only ConsoleDistribution (cloudfront.amazonaws.com, AWS:SourceArn) GetObject")
	}

	dist := get(c.resource(t, "ConsoleDistribution"), "Properties", "DistributionConfig")
	origins := map[string]*yaml.Node{}
	for _, o := range items(get(dist, "Origins")) {
		origins[str(o, "Id")] = o
	}
	s3, api := origins["console"], origins["api"]
	if s3 == nil || api == nil || len(origins) != 2 {
		t.Fatalf("want two origins, console and api; got %d", len(origins))
	}
	if !isGetAtt(get(s3, "DomainName"), "ConsoleBucket", "RegionalDomainName") || !isGetAtt(get(s3, "OriginAccessControlId"), "ConsoleOriginAccessControl", "Id") {
		t.Error("console origin must be ConsoleBucket through ConsoleOriginAccessControl")
	}
	if !strings.Contains(str(api, "DomainName"), "${HttpApi}.execute-api") || str(api, "CustomOriginConfig", "OriginProtocolPolicy") != "https-only" {
		t.Errorf("api origin must be the HTTP API over HTTPS, got %q", str(api, "DomainName"))
	}
	secretHeader := false
	for _, h := range items(get(api, "OriginCustomHeaders")) {
		if str(h, "HeaderName") == httpapi.OriginVerifyHeader && strings.Contains(str(h, "HeaderValue"), "{{resolve:secretsmanager:${OriginVerifySecret}") {
			secretHeader = true
		}
	}
	if !secretHeader {
		t.Error("api origin does not add X-Origin-Verify from OriginVerifySecret")
	}
	if !strings.Contains(str(c.resource(t, "CaptureFunction"), "Properties", "Environment", "Variables", "LEADFLOW_ORIGIN_VERIFY_SECRET"), "${OriginVerifySecret}") {
		t.Error("CaptureFunction does not get LEADFLOW_ORIGIN_VERIFY_SECRET from the same secret")
	}

	def := get(dist, "DefaultCacheBehavior")
	if str(def, "TargetOriginId") != "console" || str(def, "ViewerProtocolPolicy") != "redirect-to-https" {
		t.Error("default behavior must serve the console over HTTPS")
	}
	fallback := false
	for _, f := range items(get(def, "FunctionAssociations")) {
		if str(f, "EventType") == "viewer-request" && isGetAtt(get(f, "FunctionARN"), "ConsoleSpaFallback", "FunctionMetadata.FunctionARN") {
			fallback = true
		}
	}
	if !fallback || !strings.Contains(str(c.resource(t, "ConsoleSpaFallback"), "Properties", "FunctionCode"), "/index.html") {
		t.Error("no viewer-request SPA fallback to /index.html on the console behavior")
	}
	csp := str(c.resource(t, "ConsoleHeaders"), "Properties", "ResponseHeadersPolicyConfig", "SecurityHeadersConfig", "ContentSecurityPolicy", "ContentSecurityPolicy")
	for _, d := range strings.Split(console.CSP, "; ") {
		if !strings.Contains(csp, strings.Fields(d)[0]+" ") {
			t.Errorf("CloudFront CSP lacks %q", d)
		}
	}
	if !isRef(get(def, "ResponseHeadersPolicyId"), "ConsoleHeaders") {
		t.Error("the console behavior does not send the CSP (ConsoleHeaders)")
	}

	var b *yaml.Node
	for _, cb := range items(get(dist, "CacheBehaviors")) {
		if str(cb, "PathPattern") == "/v1/*" {
			b = cb
		}
	}
	if b == nil {
		t.Fatal("no /v1/* cache behavior")
	}
	const cachingDisabled, allViewerExceptHost = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "b689b0a8-53d0-40ab-baf2-68738e2966ac"
	if str(b, "TargetOriginId") != "api" || str(b, "CachePolicyId") != cachingDisabled || str(b, "OriginRequestPolicyId") != allViewerExceptHost {
		t.Errorf("/v1/* must go to the api origin with CachingDisabled and AllViewerExceptHostHeader: %q %q %q",
			str(b, "TargetOriginId"), str(b, "CachePolicyId"), str(b, "OriginRequestPolicyId"))
	}
	for _, m := range []string{"GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"} {
		if !slices.Contains(scalars(get(b, "AllowedMethods")), m) {
			t.Errorf("/v1/* does not allow %s", m)
		}
	}

	// Cognito: a public client (no secret) on the code flow, a managed
	// login domain, the callback on the distribution, the authorizer on
	// this pool and client.
	client := get(c.resource(t, "UserPoolClient"), "Properties")
	if str(client, "GenerateSecret") != "false" {
		t.Error("UserPoolClient must be public (GenerateSecret: false) for PKCE in the browser")
	}
	oauth := get(c.resource(t, "ConsoleLoginUrls"), "Properties")
	if !isRef(get(oauth, "ClientId"), "UserPoolClient") || !slices.Equal(scalars(get(oauth, "AllowedOAuthFlows")), []string{"code"}) ||
		!slices.Contains(scalars(get(oauth, "AllowedOAuthScopes")), "openid") {
		t.Error("the console client must use the authorization code flow (PKCE) with openid")
	}
	cb := scalars(get(oauth, "CallbackURLs"))
	if len(cb) != 1 || cb[0] != "https://${ConsoleDistribution.DomainName}/auth/callback" {
		t.Errorf("callback URLs %v", cb)
	}
	if lo := scalars(get(oauth, "LogoutURLs")); len(lo) != 1 || lo[0] != "https://${ConsoleDistribution.DomainName}/login" {
		t.Errorf("logout URLs %v", lo)
	}
	if !isRef(get(c.resource(t, "UserPoolDomain"), "Properties", "UserPoolId"), "UserPool") || str(c.resource(t, "UserPoolDomain"), "Properties", "ManagedLoginVersion") != "2" {
		t.Error("no managed login domain on UserPool")
	}
	schema := map[string]bool{}
	for _, a := range items(get(c.resource(t, "UserPool"), "Properties", "Schema")) {
		schema[str(a, "Name")] = true
	}
	if !schema["tenant_id"] || !schema["role"] {
		t.Error("UserPool lacks the custom tenant_id and role attributes")
	}
	jwt := get(c.resource(t, "HttpApi"), "Properties", "Auth", "Authorizers", "CognitoJwt", "JwtConfiguration")
	if aud := items(get(jwt, "audience")); len(aud) != 1 || !isRef(aud[0], "UserPoolClient") || !strings.Contains(str(jwt, "issuer"), "${UserPool}") {
		t.Error("the JWT authorizer does not trust this pool's console client")
	}
}
