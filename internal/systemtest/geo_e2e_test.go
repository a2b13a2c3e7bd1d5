package systemtest_test

import (
	"net/http"
	"testing"
)

// testOriginSecret is the X-Origin-Verify value the test stack's captures
// trust (what CloudFront adds in AWS).
const testOriginSecret = "cf-origin-secret-for-tests"

// CloudFront-Viewer-* geo headers are stored only from requests that came
// through CloudFront (carrying its secret origin header); a request straight
// to the API with forged headers, or with a wrong secret, stores no geo and
// keeps the connection's IP.
func TestGeoHeadersTrustedOnlyThroughCloudFront(t *testing.T) {
	s := newStack(t)
	geo := []string{"CloudFront-Viewer-Country: PT", "CloudFront-Viewer-Country-Region: 11", "CloudFront-Viewer-City: Lisboa",
		"CloudFront-Viewer-Address: 2001:db8::7:51234"}
	cases := []struct {
		name, email string
		headers     []string
		country, ip any
	}{
		{"through CloudFront", "geo-cf@example.com", append([]string{"X-Origin-Verify: " + testOriginSecret}, geo...), "PT", "2001:db8::7"},
		{"straight to the API", "geo-direct@example.com", geo, nil, "127.0.0.1"},
		{"wrong secret", "geo-wrong@example.com", append([]string{"X-Origin-Verify: " + testOriginSecret + "x"}, geo...), nil, "127.0.0.1"},
		{"empty secret", "geo-empty@example.com", append([]string{"X-Origin-Verify: "}, geo...), nil, "127.0.0.1"},
	}
	for _, c := range cases {
		body := map[string]any{"source": "chatbot", "contact": map[string]any{"name": "Geo", "email": c.email}}
		id := s.expect(s.capture(body, c.headers...), http.StatusCreated).json(t)["lead_id"].(string)
		l := s.expect(s.call("GET", "/v1/leads/"+id, s.admin, nil), http.StatusOK).json(t)
		if got := field(l, "navigation.country"); got != c.country {
			t.Errorf("%s: country %v, want %v", c.name, got, c.country)
		}
		if got := field(l, "navigation.ip"); got != c.ip {
			t.Errorf("%s: ip %v, want %v", c.name, got, c.ip)
		}
		if c.country == nil && (field(l, "navigation.region") != nil || field(l, "navigation.city") != nil) {
			t.Errorf("%s: stored region %v city %v", c.name, field(l, "navigation.region"), field(l, "navigation.city"))
		}
	}
}
