// Package archtest checks the direction of the code over the real import
// graph (go list): the HTTP layer is imported only by the wiring, adapters
// and job runners never reach it, and domain packages stay free of the
// AWS SDK. It has no production code.
package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/leadflow/leadflow/"

const httpapi = module + "internal/httpapi"

// testkit holds test-only packages: only tests (and testkit itself) import them.
const testkit = module + "internal/testkit/"

// pure are the domain packages: no AWS SDK anywhere in what they link.
var pure = []string{"lead", "account", "capture", "assign", "attribution", "export", "importer", "problem", "task", "agenda", "text", "settings", "outbox", "console", "interaction", "identity", "merge"}

// noSDK import no AWS SDK package themselves. (They use queue.Job, the
// queue adapter's message, so the SDK is among their dependencies.)
var noSDK = []string{"ads", "jobs"}

// belowHTTP are the adapters and job runners: nothing they link may be
// the HTTP layer.
var belowHTTP = []string{
	"dynamo", "queue", "s3store", "secrets", "capacity", // adapters (capacity: the bench's DynamoDB meter)
	"worker", "bulk", "importjob", "exportjob", "purge", "sweeper", "demo", "sqsrunner", // job runners
	"schedule", "dispatcher", "streamrunner", // the scheduled-change use case and the outbox's delivery
}

// wiring may import internal/httpapi (besides cmd/* and functions/*).
var wiring = []string{"internal/app"}

// pkg is what go list says of one package (production files only).
type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func isSDK(path string) bool {
	return strings.HasPrefix(path, "github.com/aws/aws-sdk-go-v2") || strings.HasPrefix(path, "github.com/aws/smithy-go")
}

// violations returns one line per broken rule, naming the package and the
// offending import.
func violations(pkgs []pkg) []string {
	byPath := map[string]pkg{}
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	var out []string
	need := func(name string) (pkg, bool) {
		p, ok := byPath[module+"internal/"+name]
		if !ok {
			out = append(out, fmt.Sprintf("internal/%s: listed in archtest but not found (renamed? update the lists)", name))
		}
		return p, ok
	}
	for _, name := range pure {
		if p, ok := need(name); ok {
			for _, d := range p.Deps {
				if isSDK(d) {
					out = append(out, fmt.Sprintf("internal/%s: domain package depends on the AWS SDK (%s)", name, d))
					break
				}
			}
		}
	}
	for _, name := range noSDK {
		if p, ok := need(name); ok {
			for _, d := range p.Imports {
				if isSDK(d) {
					out = append(out, fmt.Sprintf("internal/%s: imports the AWS SDK (%s)", name, d))
				}
			}
		}
	}
	for _, name := range belowHTTP {
		if p, ok := need(name); ok && slices.Contains(p.Deps, httpapi) {
			out = append(out, fmt.Sprintf("internal/%s: adapter or job runner depends on %s", name, httpapi))
		}
	}
	for _, p := range pkgs {
		rel := strings.TrimPrefix(p.ImportPath, module)
		if p.ImportPath == httpapi || strings.HasPrefix(rel, "cmd/") || strings.HasPrefix(rel, "functions/") || slices.Contains(wiring, rel) {
			continue
		}
		if slices.Contains(p.Imports, httpapi) {
			out = append(out, fmt.Sprintf("%s: imports %s (only %s, cmd/* and functions/* may)", rel, httpapi, strings.Join(wiring, ", ")))
		}
	}
	for _, p := range pkgs {
		for _, d := range p.Imports {
			if strings.HasPrefix(d, testkit) && !strings.HasPrefix(p.ImportPath, testkit) {
				out = append(out, fmt.Sprintf("%s: production code imports the test-only %s", strings.TrimPrefix(p.ImportPath, module), d))
			}
		}
	}
	return out
}

// list runs go list over the module.
func list(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", "./...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func TestImportDirection(t *testing.T) {
	for _, v := range violations(list(t)) {
		t.Error(v)
	}
}

// The rules catch what they are for: a graph with one break of each.
func TestViolationsNameTheOffendingImport(t *testing.T) {
	var pkgs []pkg
	for _, list := range [][]string{pure, noSDK, belowHTTP} {
		for _, name := range list {
			pkgs = append(pkgs, pkg{ImportPath: module + "internal/" + name})
		}
	}
	pkgs = append(pkgs, pkg{ImportPath: httpapi}, pkg{ImportPath: module + "internal/app", Imports: []string{httpapi}},
		pkg{ImportPath: module + "functions/api", Imports: []string{httpapi}})
	if v := violations(pkgs); len(v) != 0 {
		t.Fatalf("a clean graph: %v", v)
	}
	set := func(name string, f func(*pkg)) {
		for i := range pkgs {
			if pkgs[i].ImportPath == module+"internal/"+name {
				f(&pkgs[i])
			}
		}
	}
	set("lead", func(p *pkg) { p.Deps = []string{"github.com/aws/aws-sdk-go-v2/service/dynamodb"} })
	set("ads", func(p *pkg) { p.Imports = []string{"github.com/aws/aws-sdk-go-v2/service/secretsmanager"} })
	set("dynamo", func(p *pkg) { p.Imports, p.Deps = []string{httpapi}, []string{httpapi} })
	set("queue", func(p *pkg) { p.Imports = []string{testkit + "faults"} })
	want := []string{
		"internal/lead: domain package depends on the AWS SDK (github.com/aws/aws-sdk-go-v2/service/dynamodb)",
		"internal/ads: imports the AWS SDK (github.com/aws/aws-sdk-go-v2/service/secretsmanager)",
		"internal/dynamo: adapter or job runner depends on " + httpapi,
		"internal/dynamo: imports " + httpapi + " (only internal/app, cmd/* and functions/* may)",
		"internal/queue: production code imports the test-only " + testkit + "faults",
	}
	if got := violations(pkgs); !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := violations(pkgs[1:]); !slices.Contains(got, "internal/lead: listed in archtest but not found (renamed? update the lists)") {
		t.Errorf("a missing package is not reported: %v", got)
	}
}
