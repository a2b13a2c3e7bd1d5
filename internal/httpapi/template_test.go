package httpapi_test

// These tests keep the SAM template (template.yaml), the sample events
// (events/*.json) and the code in step: the route table, the table schema,
// the build, least-privilege IAM and the jobs queue's dead-letter setup.
// The template is read with yaml.v3 into nodes, so CloudFormation's short
// tags (!Ref, !Sub, !GetAtt) survive as node tags.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"gopkg.in/yaml.v3"

	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/httpapi"
)

const repoRoot = "../.."

// functionLogicalID maps a route's function to its template resource.
var functionLogicalID = map[httpapi.Function]string{
	httpapi.FunctionCapture: "CaptureFunction",
	httpapi.FunctionAPI:     "ApiFunction",
}

type cfn struct{ root *yaml.Node }

func loadTemplate(t *testing.T) cfn {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "template.yaml"))
	if err != nil {
		t.Fatalf("read template.yaml: %v", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("parse template.yaml: %v", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		t.Fatal("template.yaml is not a YAML mapping")
	}
	return cfn{root: doc.Content[0]}
}

// get follows a path of mapping keys; nil when any step is missing.
func get(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	return n
}

// str is the scalar value at path ("" when missing or not a scalar).
func str(n *yaml.Node, keys ...string) string {
	n = get(n, keys...)
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// pairs iterates a mapping node's key/value pairs.
func pairs(n *yaml.Node) [][2]*yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, [2]*yaml.Node{n.Content[i], n.Content[i+1]})
	}
	return out
}

// items is a sequence node's elements (nil for anything else).
func items(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// scalars returns a scalar or a sequence of scalars as strings.
func scalars(n *yaml.Node) []string {
	switch {
	case n == nil:
		return nil
	case n.Kind == yaml.ScalarNode:
		return []string{n.Value}
	case n.Kind == yaml.SequenceNode:
		var out []string
		for _, c := range n.Content {
			if c.Kind == yaml.ScalarNode {
				out = append(out, c.Value)
			}
		}
		return out
	}
	return nil
}

func (c cfn) resource(t *testing.T, id string) *yaml.Node {
	t.Helper()
	r := get(c.root, "Resources", id)
	if r == nil {
		t.Fatalf("template has no resource %s", id)
	}
	return r
}

func (c cfn) resourcesOfType(typ string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	for _, p := range pairs(get(c.root, "Resources")) {
		if str(p[1], "Type") == typ {
			out[p[0].Value] = p[1]
		}
	}
	return out
}

// isRef reports whether n is `!Ref name` or `{Ref: name}`.
func isRef(n *yaml.Node, name string) bool {
	if n == nil {
		return false
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!Ref" {
		return n.Value == name
	}
	return str(n, "Ref") == name
}

// isGetAtt reports whether n is `!GetAtt res.attr` or `{Fn::GetAtt: [res, attr]}`.
func isGetAtt(n *yaml.Node, res, attr string) bool {
	if n == nil {
		return false
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!GetAtt" {
		return n.Value == res+"."+attr
	}
	if n.Kind == yaml.SequenceNode && n.Tag == "!GetAtt" {
		return slices.Equal(scalars(n), []string{res, attr})
	}
	return slices.Equal(scalars(get(n, "Fn::GetAtt")), []string{res, attr})
}

type templateRoute struct {
	Function string // logical id
	Event    string
	Method   string
	Path     string
	Public   bool
}

func (c cfn) httpAPIEvents(t *testing.T) []templateRoute {
	t.Helper()
	var out []templateRoute
	for id, fn := range c.resourcesOfType("AWS::Serverless::Function") {
		for _, ev := range pairs(get(fn, "Properties", "Events")) {
			if str(ev[1], "Type") != "HttpApi" {
				continue
			}
			props := get(ev[1], "Properties")
			if !isRef(get(props, "ApiId"), "HttpApi") {
				t.Errorf("%s event %s: ApiId is not !Ref HttpApi", id, ev[0].Value)
			}
			auth := str(props, "Auth", "Authorizer")
			if auth != "" && auth != "NONE" {
				t.Errorf("%s event %s: Auth.Authorizer %q; use the default JWT authorizer or NONE", id, ev[0].Value, auth)
			}
			out = append(out, templateRoute{
				Function: id,
				Event:    ev[0].Value,
				Method:   strings.ToUpper(str(props, "Method")),
				Path:     str(props, "Path"),
				Public:   auth == "NONE",
			})
		}
	}
	return out
}

func TestTemplateRoutesMatchRouteTable(t *testing.T) {
	c := loadTemplate(t)
	declared := map[string]templateRoute{}
	for _, r := range c.httpAPIEvents(t) {
		key := r.Method + " " + r.Path
		if prev, dup := declared[key]; dup {
			t.Errorf("%s declared twice (%s.%s and %s.%s)", key, prev.Function, prev.Event, r.Function, r.Event)
		}
		declared[key] = r
	}
	routed := map[string]bool{}
	for _, r := range httpapi.Routes() {
		key := r.Method + " " + r.Path
		routed[key] = true
		want, ok := functionLogicalID[r.Function]
		if !ok {
			t.Errorf("%s: function %q has no template resource", key, r.Function)
			continue
		}
		got, ok := declared[key]
		if !ok {
			t.Errorf("%s (%s) is not declared as an HttpApi event in template.yaml", key, want)
			continue
		}
		if got.Function != want {
			t.Errorf("%s is declared on %s, want %s", key, got.Function, want)
		}
		if got.Public != r.Public {
			t.Errorf("%s: Auth.Authorizer NONE = %v in the template, route Public = %v", key, got.Public, r.Public)
		}
	}
	for key, r := range declared {
		if !routed[key] {
			t.Errorf("template declares %s on %s.%s, which httpapi.Routes() does not serve", key, r.Function, r.Event)
		}
	}
}

func TestTemplateJWTAuthorizer(t *testing.T) {
	c := loadTemplate(t)
	api := c.resource(t, "HttpApi")
	if typ := str(api, "Type"); typ != "AWS::Serverless::HttpApi" {
		t.Fatalf("HttpApi type %q", typ)
	}
	name := str(api, "Properties", "Auth", "DefaultAuthorizer")
	if name == "" {
		t.Fatal("HttpApi has no DefaultAuthorizer: console routes would be open")
	}
	jwt := get(api, "Properties", "Auth", "Authorizers", name, "JwtConfiguration")
	if jwt == nil {
		t.Fatalf("authorizer %s has no JwtConfiguration", name)
	}
	iss := get(jwt, "issuer")
	if iss == nil || iss.Tag != "!Sub" || iss.Value != "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}" {
		t.Errorf("issuer = %v, want !Sub https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}", iss)
	}
	aud := get(jwt, "audience")
	if aud == nil || aud.Kind != yaml.SequenceNode || len(aud.Content) != 1 || !isRef(aud.Content[0], "UserPoolClient") {
		t.Error("audience must be [!Ref UserPoolClient]")
	}
	pool := c.resource(t, "UserPool")
	attrs := map[string]bool{}
	for _, a := range items(get(pool, "Properties", "Schema")) {
		attrs[str(a, "Name")] = true
	}
	for _, want := range []string{"tenant_id", "role"} {
		if !attrs[want] {
			t.Errorf("UserPool has no custom attribute %s", want)
		}
	}
	for _, w := range scalars(get(c.resource(t, "UserPoolClient"), "Properties", "WriteAttributes")) {
		if strings.HasPrefix(w, "custom:") {
			t.Errorf("users may write %s on themselves", w)
		}
	}
}

func TestTemplateTableMatchesDynamoSchema(t *testing.T) {
	c := loadTemplate(t)
	table := c.resource(t, "LeadsTable")
	if typ := str(table, "Type"); typ != "AWS::DynamoDB::Table" {
		t.Fatalf("LeadsTable type %q", typ)
	}
	props := get(table, "Properties")
	def := dynamo.TableDefinition("x")

	gotAttrs := map[string]string{}
	for _, a := range items(get(props, "AttributeDefinitions")) {
		gotAttrs[str(a, "AttributeName")] = str(a, "AttributeType")
	}
	wantAttrs := map[string]string{}
	for _, a := range def.AttributeDefinitions {
		wantAttrs[aws.ToString(a.AttributeName)] = string(a.AttributeType)
	}
	if fmt.Sprint(gotAttrs) != fmt.Sprint(wantAttrs) {
		t.Errorf("AttributeDefinitions = %v, dynamo.TableDefinition has %v", gotAttrs, wantAttrs)
	}

	keySchema := func(n *yaml.Node) []string {
		var out []string
		if n != nil {
			for _, k := range items(n) {
				out = append(out, str(k, "AttributeName")+" "+str(k, "KeyType"))
			}
		}
		return out
	}
	var wantKeys []string
	for _, k := range def.KeySchema {
		wantKeys = append(wantKeys, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
	}
	if got := keySchema(get(props, "KeySchema")); !slices.Equal(got, wantKeys) {
		t.Errorf("KeySchema = %v, dynamo.TableDefinition has %v", got, wantKeys)
	}

	gsis := map[string]string{}
	if n := get(props, "GlobalSecondaryIndexes"); n != nil {
		for _, g := range items(n) {
			gsis[str(g, "IndexName")] = fmt.Sprint(keySchema(get(g, "KeySchema")), " ",
				str(g, "Projection", "ProjectionType"), " ", scalars(get(g, "Projection", "NonKeyAttributes")))
		}
	}
	wantGSIs := map[string]string{}
	for _, g := range def.GlobalSecondaryIndexes {
		var keys []string
		for _, k := range g.KeySchema {
			keys = append(keys, aws.ToString(k.AttributeName)+" "+string(k.KeyType))
		}
		var proj string
		var nonKey []string
		if g.Projection != nil {
			proj = string(g.Projection.ProjectionType)
			nonKey = g.Projection.NonKeyAttributes
		}
		wantGSIs[aws.ToString(g.IndexName)] = fmt.Sprint(keys, " ", proj, " ", nonKey)
	}
	if fmt.Sprint(gsis) != fmt.Sprint(wantGSIs) {
		t.Errorf("GlobalSecondaryIndexes = %v, dynamo.TableDefinition has %v", gsis, wantGSIs)
	}
	if len(def.LocalSecondaryIndexes) > 0 || get(props, "LocalSecondaryIndexes") != nil {
		t.Error("local secondary indexes are not compared; add them to this test")
	}

	if got, want := str(props, "BillingMode"), string(def.BillingMode); want != "" && got != want {
		t.Errorf("BillingMode = %q, dynamo.TableDefinition has %q", got, want)
	}
	if str(props, "TimeToLiveSpecification", "AttributeName") != "ttl" || str(props, "TimeToLiveSpecification", "Enabled") != "true" {
		t.Error("TTL on attribute ttl is not enabled")
	}
	if str(props, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled") != "true" {
		t.Error("point-in-time recovery is off")
	}
	if str(props, "SSESpecification", "SSEEnabled") != "true" {
		t.Error("SSE is off")
	}
}

func TestTemplateFunctionsBuildForProvidedArm64(t *testing.T) {
	c := loadTemplate(t)
	globals := get(c.root, "Globals", "Function")
	// effective returns a function property, falling back to Globals.
	effective := func(fn *yaml.Node, key string) *yaml.Node {
		if n := get(fn, "Properties", key); n != nil {
			return n
		}
		return get(globals, key)
	}
	makefile, mkErr := os.ReadFile(filepath.Join(repoRoot, "Makefile"))

	fns := c.resourcesOfType("AWS::Serverless::Function")
	for _, id := range functionLogicalID {
		if fns[id] == nil {
			t.Errorf("template has no AWS::Serverless::Function %s", id)
		}
	}
	for id, fn := range fns {
		if got := scalars(effective(fn, "Runtime")); !slices.Equal(got, []string{"provided.al2023"}) {
			t.Errorf("%s Runtime = %v, want provided.al2023", id, got)
		}
		if got := scalars(effective(fn, "Architectures")); !slices.Equal(got, []string{"arm64"}) {
			t.Errorf("%s Architectures = %v, want [arm64]", id, got)
		}
		if got := scalars(effective(fn, "Handler")); !slices.Equal(got, []string{"bootstrap"}) {
			t.Errorf("%s Handler = %v, want bootstrap", id, got)
		}
		if got := str(fn, "Metadata", "BuildMethod"); got != "makefile" {
			t.Errorf("%s Metadata.BuildMethod = %q, want makefile", id, got)
		}
		if mkErr != nil {
			continue
		}
		target := regexp.MustCompile(`(?m)^build-` + regexp.QuoteMeta(id) + `\s*:`)
		if !target.Match(makefile) {
			t.Errorf("Makefile has no target build-%s (sam build runs it)", id)
		}
	}
	if mkErr != nil {
		t.Skipf("Makefile not readable (%v): build-<LogicalId> targets not checked", mkErr)
	}
}

// scanGrantingPolicies are SAM policy templates and managed policies that
// include dynamodb:Scan.
var scanGrantingPolicies = []string{
	"DynamoDBCrudPolicy", "DynamoDBReadPolicy", "DynamoDBReconfigurePolicy",
	"AmazonDynamoDBFullAccess", "AmazonDynamoDBReadOnlyAccess",
}

func TestTemplateIAMNeverGrantsScan(t *testing.T) {
	c := loadTemplate(t)
	actions := 0
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n == nil {
			return
		}
		switch n.Kind {
		case yaml.MappingNode:
			for _, p := range pairs(n) {
				k := p[0].Value
				if slices.Contains(scanGrantingPolicies, k) {
					t.Errorf("%s uses %s, which grants dynamodb:Scan", path, k)
				}
				if k == "Action" || k == "NotAction" {
					for _, a := range scalars(p[1]) {
						actions++
						la := strings.ToLower(a)
						if k == "NotAction" {
							t.Errorf("%s: NotAction grants everything else; list actions instead", path)
						}
						if la == "*" || la == "dynamodb:scan" || (strings.HasPrefix(la, "dynamodb:") && strings.Contains(la, "*")) {
							t.Errorf("%s grants %q", path, a)
						}
					}
				}
				walk(p[1], path+"."+k)
			}
		case yaml.SequenceNode:
			for i, e := range n.Content {
				if e.Kind == yaml.ScalarNode && slices.Contains(scanGrantingPolicies, e.Value) {
					t.Errorf("%s[%d] uses %s, which grants dynamodb:Scan", path, i, e.Value)
				}
				if e.Kind == yaml.ScalarNode && strings.Contains(e.Value, "arn:aws:iam::aws:policy/AmazonDynamoDB") {
					t.Errorf("%s[%d] attaches %s", path, i, e.Value)
				}
				walk(e, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	walk(get(c.root, "Resources"), "Resources")
	walk(get(c.root, "Globals"), "Globals")
	if actions == 0 {
		t.Error("no IAM Action found: the walk is not seeing the policies")
	}

	// The functions do get what they need, on the table only.
	for id, want := range map[string][]string{
		"CaptureFunction": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:TransactWriteItems", "dynamodb:ConditionCheckItem"},
		"ApiFunction":     {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query", "dynamodb:TransactWriteItems", "dynamodb:ConditionCheckItem"},
	} {
		granted := map[string]bool{}
		for _, pol := range items(get(c.resource(t, id), "Properties", "Policies")) {
			for _, st := range items(get(pol, "Statement")) {
				if !isGetAtt(get(st, "Resource"), "LeadsTable", "Arn") {
					continue
				}
				for _, a := range scalars(get(st, "Action")) {
					granted[a] = true
				}
			}
		}
		for _, a := range want {
			if !granted[a] {
				t.Errorf("%s lacks %s on LeadsTable", id, a)
			}
		}
		if id == "CaptureFunction" && granted["dynamodb:DeleteItem"] {
			t.Errorf("CaptureFunction may delete items; it only captures")
		}
	}
}

func TestTemplateJobsQueueHasDLQAndAlarm(t *testing.T) {
	c := loadTemplate(t)
	q := get(c.resource(t, "JobsQueue"), "Properties")
	if n, _ := strconv.Atoi(str(q, "RedrivePolicy", "maxReceiveCount")); n != 5 {
		t.Errorf("JobsQueue maxReceiveCount = %q, want 5", str(q, "RedrivePolicy", "maxReceiveCount"))
	}
	if !isGetAtt(get(q, "RedrivePolicy", "deadLetterTargetArn"), "JobsDLQ", "Arn") {
		t.Error("JobsQueue redrive target is not !GetAtt JobsDLQ.Arn")
	}
	if vt, _ := strconv.Atoi(str(q, "VisibilityTimeout")); vt < 6*30 {
		t.Errorf("JobsQueue VisibilityTimeout = %d, want >= 180 (6 x the 30 s worker timeout)", vt)
	}
	if typ := str(c.resource(t, "JobsDLQ"), "Type"); typ != "AWS::SQS::Queue" {
		t.Errorf("JobsDLQ type %q", typ)
	}

	watched := false
	for _, alarm := range c.resourcesOfType("AWS::CloudWatch::Alarm") {
		p := get(alarm, "Properties")
		if str(p, "Namespace") != "AWS/SQS" || str(p, "MetricName") != "ApproximateNumberOfMessagesVisible" {
			continue
		}
		onDLQ := false
		for _, d := range items(get(p, "Dimensions")) {
			if str(d, "Name") == "QueueName" && isGetAtt(get(d, "Value"), "JobsDLQ", "QueueName") {
				onDLQ = true
			}
		}
		th, _ := strconv.ParseFloat(str(p, "Threshold"), 64)
		if onDLQ && th == 0 && str(p, "ComparisonOperator") == "GreaterThanThreshold" {
			watched = true
		}
	}
	if !watched {
		t.Error("no alarm on JobsDLQ ApproximateNumberOfMessagesVisible > 0")
	}

	for _, id := range functionLogicalID {
		fn := c.resource(t, id)
		if !isRef(get(fn, "Properties", "Environment", "Variables", "LEADFLOW_JOBS_QUEUE_URL"), "JobsQueue") {
			t.Errorf("%s: LEADFLOW_JOBS_QUEUE_URL is not !Ref JobsQueue", id)
		}
		sends := false
		for _, pol := range items(get(fn, "Properties", "Policies")) {
			if isGetAtt(get(pol, "SQSSendMessagePolicy", "QueueName"), "JobsQueue", "QueueName") {
				sends = true
			}
		}
		if !sends {
			t.Errorf("%s has no SQSSendMessagePolicy on JobsQueue", id)
		}
	}
}

// apiGatewayEvent is the part of an HTTP API payload 2.0 event checked here.
type apiGatewayEvent struct {
	Version         string            `json:"version"`
	RouteKey        string            `json:"routeKey"`
	RawPath         string            `json:"rawPath"`
	RawQueryString  *string           `json:"rawQueryString"`
	Headers         map[string]string `json:"headers"`
	PathParameters  map[string]string `json:"pathParameters"`
	Body            *string           `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	RequestContext  struct {
		RouteKey string `json:"routeKey"`
		Stage    string `json:"stage"`
		HTTP     struct {
			Method    string `json:"method"`
			Path      string `json:"path"`
			SourceIP  string `json:"sourceIp"`
			UserAgent string `json:"userAgent"`
		} `json:"http"`
		Authorizer *struct {
			JWT struct {
				Claims map[string]string `json:"claims"`
			} `json:"jwt"`
		} `json:"authorizer"`
	} `json:"requestContext"`
}

// routeRegexp matches a concrete path of an API Gateway route path,
// capturing each {param} as a named group.
func routeRegexp(path string) *regexp.Regexp {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			segs[i] = "(?P<" + s[1:len(s)-1] + ">[^/]+)"
		} else {
			segs[i] = regexp.QuoteMeta(s)
		}
	}
	return regexp.MustCompile("^" + strings.Join(segs, "/") + "$")
}

func TestEventsAreHTTPAPIv2SamplesOfRoutes(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "events", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no events/*.json (%v)", err)
	}
	routes := map[string]httpapi.Route{}
	for _, r := range httpapi.Routes() {
		routes[r.Method+" "+r.Path] = r
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(b) {
				t.Fatal("not valid JSON")
			}
			var ev apiGatewayEvent
			if err := json.Unmarshal(b, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Version != "2.0" {
				t.Errorf("version = %q, want 2.0", ev.Version)
			}
			r, ok := routes[ev.RouteKey]
			if !ok {
				t.Fatalf("routeKey %q is not in httpapi.Routes()", ev.RouteKey)
			}
			if ev.RequestContext.RouteKey != ev.RouteKey {
				t.Errorf("requestContext.routeKey %q != routeKey %q", ev.RequestContext.RouteKey, ev.RouteKey)
			}
			if ev.RequestContext.HTTP.Method != r.Method {
				t.Errorf("requestContext.http.method %q, route method %s", ev.RequestContext.HTTP.Method, r.Method)
			}
			if ev.RequestContext.HTTP.Path != ev.RawPath {
				t.Errorf("requestContext.http.path %q != rawPath %q", ev.RequestContext.HTTP.Path, ev.RawPath)
			}
			if ev.RawQueryString == nil {
				t.Error("rawQueryString missing (use \"\")")
			}
			if ev.RequestContext.HTTP.SourceIP == "" || ev.RequestContext.HTTP.UserAgent == "" {
				t.Error("requestContext.http.sourceIp / userAgent missing")
			}
			// rawPath is the route path with its parameters filled in.
			m := routeRegexp(r.Path)
			sub := m.FindStringSubmatch(ev.RawPath)
			if sub == nil || sub[0] != ev.RawPath {
				t.Fatalf("rawPath %q does not match route %s", ev.RawPath, r.Path)
			}
			for i, name := range m.SubexpNames() {
				if name != "" && ev.PathParameters[name] != sub[i] {
					t.Errorf("pathParameters[%s] = %q, rawPath has %q", name, ev.PathParameters[name], sub[i])
				}
			}
			for k := range ev.Headers {
				if k != strings.ToLower(k) {
					t.Errorf("header %q: HTTP API lower-cases header names", k)
				}
			}
			if ev.Body != nil && ev.IsBase64Encoded {
				if _, err := base64.StdEncoding.DecodeString(*ev.Body); err != nil {
					t.Errorf("isBase64Encoded but body is not base64: %v", err)
				}
			}
			if ev.Body != nil && !ev.IsBase64Encoded && strings.Contains(ev.Headers["content-type"], "json") && !json.Valid([]byte(*ev.Body)) {
				t.Error("JSON body is not valid JSON")
			}
			claims := map[string]string(nil)
			if ev.RequestContext.Authorizer != nil {
				claims = ev.RequestContext.Authorizer.JWT.Claims
			}
			if !r.Public {
				for _, c := range []string{"sub", "custom:tenant_id", "custom:role"} {
					if claims[c] == "" {
						t.Errorf("console route without JWT claim %s", c)
					}
				}
				if !strings.HasPrefix(ev.Headers["authorization"], "Bearer ") {
					t.Error("console route without a bearer authorization header")
				}
			}
		})
	}
}
