package httpapi_test

import (
	"strings"
	"testing"
)

// The exports bucket is private (downloads go through presigned URLs),
// encrypted, and forgets files after a week; both functions know it.
func TestTemplateExportsBucketIsPrivate(t *testing.T) {
	c := loadTemplate(t)
	b := get(c.resource(t, "ExportsBucket"), "Properties")
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if str(b, "PublicAccessBlockConfiguration", k) != "true" {
			t.Errorf("ExportsBucket PublicAccessBlockConfiguration.%s = %q, want true", k, str(b, "PublicAccessBlockConfiguration", k))
		}
	}
	expires := false
	for _, r := range items(get(b, "LifecycleConfiguration", "Rules")) {
		if str(r, "Prefix") == "exports/" && str(r, "ExpirationInDays") == "7" && str(r, "Status") == "Enabled" {
			expires = true
		}
	}
	if !expires {
		t.Error("no enabled lifecycle rule expiring exports/ after 7 days")
	}
	for _, id := range []string{"ApiFunction", "WorkerFunction"} {
		env := get(c.resource(t, id), "Properties", "Environment", "Variables", "LEADFLOW_EXPORTS_BUCKET")
		if env == nil {
			t.Errorf("%s has no LEADFLOW_EXPORTS_BUCKET", id)
		}
	}
}

// The CaptureFunction presigns attachment uploads: it knows the bucket and
// may put files under attachments/ only (a presigned URL carries the
// signer's rights), nothing elsewhere in it.
func TestTemplateAttachmentGrants(t *testing.T) {
	c := loadTemplate(t)
	if get(c.resource(t, "CaptureFunction"), "Properties", "Environment", "Variables", "LEADFLOW_EXPORTS_BUCKET") == nil {
		t.Error("CaptureFunction has no LEADFLOW_EXPORTS_BUCKET")
	}
	g := grants(t, c, "CaptureFunction")
	if got := g["${ExportsBucket.Arn}/attachments/*"]; len(got) != 1 || got[0] != "s3:PutObject" {
		t.Errorf("CaptureFunction on attachments/* = %v, want s3:PutObject only", got)
	}
	for res, actions := range g {
		if res != "${ExportsBucket.Arn}/attachments/*" && strings.Contains(res, "ExportsBucket") {
			t.Errorf("CaptureFunction may %v on %s", actions, res)
		}
	}
	// The ApiFunction presigns their downloads and deletes an erased
	// person's files.
	api := grants(t, c, "ApiFunction")["${ExportsBucket.Arn}/attachments/*"]
	if !has(api, "s3:GetObject") || !has(api, "s3:DeleteObject") {
		t.Errorf("ApiFunction on attachments/* = %v, want s3:GetObject and s3:DeleteObject", api)
	}
}
