package httpapi_test

import "testing"

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
