package systemtest_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Hostile bodies on every route that reads one: each gets a clear 4xx
// problem (control characters are stripped instead: see
// TestControlCharactersInTextAreNeverStored), and the process is unharmed (the next valid request works).
func TestBadInputGetsAClear4xxAndLeavesTheServerWorking(t *testing.T) {
	s := newStack(t)
	id := s.newLead("bad-input@example.com")
	note := s.expect(s.call("POST", "/v1/leads/"+id+"/notes", s.admin, map[string]any{"text": "ok"}), http.StatusCreated).json(t)["id"].(string)

	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	var attrs strings.Builder
	for i := range 10000 {
		if i > 0 {
			attrs.WriteByte(',')
		}
		fmt.Fprintf(&attrs, `"a%d":"v"`, i)
	}
	captureWith := func(contact string) string {
		return `{"source":"api","contact":{"email":"bad@example.com",` + contact + `}}`
	}
	huge := strings.Repeat("a", 300<<10)
	bodies := map[string]string{
		"oversized":               `{"source":"api","contact":{"email":"big@example.com","name":"` + huge + `"}}`,
		"deep JSON":               deep,
		"deep JSON in a field":    captureWith(`"attributes":{"x":` + deep + `}`),
		"invalid UTF-8":           captureWith("\"name\":\"Ana \xff\xfe Souza\""),
		"10,000 attributes":       captureWith(`"attributes":{` + attrs.String() + `}`),
		"not JSON":                "\x00\x01\x02",
		"truncated":               `{"source":"api","contact":{"email":`,
		"array instead of object": `[{"contact":{"email":"a@example.com"}}]`,
		"duplicate keys":          `{"contact":{"email":"a@example.com"},"contact":{"email":"b@example.com"},"source":"api","source":"x"}`,
	}
	routes := []struct {
		name, method, path, token string
		headers                   []string
		skip                      map[string]bool // bodies valid for this route
	}{
		{name: "capture", method: "POST", path: "/v1/capture/leads", headers: []string{"X-Site-Key: " + s.site.Key, "Content-Type: application/json"},
			skip: map[string]bool{"duplicate keys": true}},
		{name: "patch", method: "PATCH", path: "/v1/leads/" + id, token: s.admin, headers: []string{"Content-Type: application/json"},
			skip: map[string]bool{"duplicate keys": true}},
		{name: "note", method: "POST", path: "/v1/leads/" + id + "/notes", token: s.admin, headers: []string{"Content-Type: application/json"},
			skip: map[string]bool{"duplicate keys": true}},
		{name: "note edit", method: "PATCH", path: "/v1/leads/" + id + "/notes/" + note, token: s.admin, headers: []string{"Content-Type: application/json"},
			skip: map[string]bool{"duplicate keys": true}},
	}
	for _, rt := range routes {
		for name, body := range bodies {
			if rt.skip[name] {
				continue
			}
			t.Run(rt.name+"/"+name, func(t *testing.T) {
				r := s.call(rt.method, rt.path, rt.token, body, rt.headers...)
				if r.status < 400 || r.status > 499 {
					t.Fatalf("status %d, want 4xx: %.300s", r.status, r.body)
				}
				if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("Content-Type %q, want a problem", ct)
				}
			})
		}
	}

	// Forms: oversized, invalid UTF-8 in values, bad escapes,
	// 10,000 fields.
	many := url.Values{"email": {"form-many@example.com"}}
	for i := range 10000 {
		many.Set(fmt.Sprint("f", i), "v")
	}
	forms := map[string]string{
		"oversized":     "email=big%40example.com&name=" + huge,
		"invalid UTF-8": "email=utf%40example.com&name=Ana+%ff%fe",
		"10,000 fields": many.Encode(),
		"bad escape":    "email=%zz&name=%",
	}
	for name, body := range forms {
		t.Run("form/"+name, func(t *testing.T) {
			r := s.call("POST", "/v1/capture/forms/"+s.site.Key, "", body, "Content-Type: application/x-www-form-urlencoded")
			if r.status < 400 || r.status > 499 {
				t.Fatalf("status %d, want 4xx: %.300s", r.status, r.body)
			}
		})
	}

	// Unharmed: the same lead still reads, and new captures still work.
	l := s.expect(s.call("GET", "/v1/leads/"+id, s.admin, nil), http.StatusOK).json(t)
	if l["version"] != float64(1) || len(l["notes"].([]any)) != 1 {
		t.Errorf("bad input changed the lead: version %v, notes %v", l["version"], l["notes"])
	}
	s.expect(s.capture(map[string]any{"source": "api", "contact": map[string]any{"email": "after-bad-input@example.com"}}), http.StatusCreated)
}

// Control characters in free text are stripped rather than refused (a
// chatbot transcript with a stray escape must not lose the lead): they are
// never stored, and the rest of the text is.
func TestControlCharactersInTextAreNeverStored(t *testing.T) {
	s := newStack(t)
	r := s.expect(s.capture(map[string]any{"source": "api", "contact": map[string]any{
		"email": "ctl\u0000@example.com", "name": "Ana\u0000\u0007\u001b[31m Souza",
		"attributes": map[string]any{"empresa": "Acme\u0000\u0008"}}}), http.StatusCreated)
	l := s.expect(s.call("GET", "/v1/leads/"+r.json(t)["lead_id"].(string), s.admin, nil), http.StatusOK)
	for _, c := range []string{`\u0000`, `\u0007`, `\u001b`, `\u0008`} {
		if strings.Contains(string(l.body), c) {
			t.Errorf("stored lead contains %s: %s", c, l.body)
		}
	}
	if email := field(l.json(t), "contact.email"); email != "ctl@example.com" {
		t.Errorf("email = %q", email)
	}
	if name := l.json(t)["name"]; name != "Ana[31m Souza" {
		t.Errorf("name = %q, want the text without its control characters", name)
	}
}
