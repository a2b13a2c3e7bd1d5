package httpapi_test

import (
	"strings"
	"testing"
)

// grants lists the actions a function's inline statements allow on each
// resource (rendered as the Sub string or "GetAtt X.Arn").
func grants(t *testing.T, c cfn, fn string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, pol := range items(get(c.resource(t, fn), "Properties", "Policies")) {
		for _, st := range items(get(pol, "Statement")) {
			if str(st, "Effect") != "Allow" {
				continue
			}
			res := get(st, "Resource")
			name := ""
			switch {
			case res == nil:
				continue
			case str(res, "Fn::Sub") != "":
				name = str(res, "Fn::Sub")
			case res.Tag == "!Sub":
				name = res.Value
			case res.Tag == "!GetAtt":
				name = "GetAtt " + res.Value
			default:
				name = str(res, "Fn::GetAtt")
			}
			out[name] = append(out[name], scalars(get(st, "Action"))...)
		}
	}
	return out
}

func has(list []string, want string) bool {
	for _, a := range list {
		if a == want {
			return true
		}
	}
	return false
}

// Import uploads: the API presigns PUTs and sizes objects under imports/,
// the worker reads them, both may tell a missing key (ListBucket), the
// bucket forgets them after a day, and the functions that write import
// chunks or conversation overflow may BatchWriteItem.
func TestTemplateImportUploads(t *testing.T) {
	c := loadTemplate(t)
	api := grants(t, c, "ApiFunction")
	worker := grants(t, c, "WorkerFunction")
	imports := "${ExportsBucket.Arn}/imports/*"
	for _, a := range []string{"s3:PutObject", "s3:GetObject"} {
		if !has(api[imports], a) {
			t.Errorf("ApiFunction lacks %s on %s (has %v)", a, imports, api[imports])
		}
	}
	if !has(worker[imports], "s3:GetObject") || has(worker[imports], "s3:PutObject") {
		t.Errorf("WorkerFunction on %s: %v, want s3:GetObject only", imports, worker[imports])
	}
	for fn, g := range map[string]map[string][]string{"ApiFunction": api, "WorkerFunction": worker} {
		if !has(g["GetAtt ExportsBucket.Arn"], "s3:ListBucket") {
			t.Errorf("%s lacks s3:ListBucket on the bucket: a missing upload would be 403, not 404", fn)
		}
		if !has(g["GetAtt LeadsTable.Arn"], "dynamodb:BatchWriteItem") {
			t.Errorf("%s lacks dynamodb:BatchWriteItem (import chunks)", fn)
		}
	}
	if !has(grants(t, c, "CaptureFunction")["GetAtt LeadsTable.Arn"], "dynamodb:BatchWriteItem") {
		t.Error("CaptureFunction lacks dynamodb:BatchWriteItem (conversations past the capture transaction)")
	}
	expires := false
	for _, r := range items(get(c.resource(t, "ExportsBucket"), "Properties", "LifecycleConfiguration", "Rules")) {
		if str(r, "Prefix") == "imports/" && str(r, "ExpirationInDays") == "1" && str(r, "Status") == "Enabled" {
			expires = true
		}
	}
	if !expires {
		t.Error("no enabled lifecycle rule expiring imports/ after a day")
	}
	for k := range api {
		if strings.Contains(k, "imports/*") && k != imports {
			t.Errorf("unexpected imports resource %q", k)
		}
	}
}
