package console

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

const indexHTML = `<!doctype html><html><head><script type="module" src="/assets/index-3f9a.js"></script></head><body><div id="root"></div></body></html>`

func dist() fstest.MapFS {
	return fstest.MapFS{
		"index.html":            {Data: []byte(indexHTML)},
		"assets/index-3f9a.js":  {Data: []byte("console.log('leadflow')")},
		"assets/index-77c1.css": {Data: []byte("body{margin:0}")},
		"favicon.svg":           {Data: []byte("<svg xmlns='http://www.w3.org/2000/svg'/>")},
		"locales/en.json":       {Data: []byte(`{"hello":"Hello"}`)},
	}
}

func do(t *testing.T, h http.Handler, method, target string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestServesFilesWithTypeAndCaching(t *testing.T) {
	h := Handler(dist())
	cases := []struct {
		path, body, ctype, cache string
	}{
		{"/", indexHTML, "text/html", CacheNoCache},
		{"/index.html", indexHTML, "text/html", CacheNoCache},
		{"/assets/index-3f9a.js", "console.log('leadflow')", "javascript", CacheImmutable},
		{"/assets/index-77c1.css", "body{margin:0}", "text/css", CacheImmutable},
		{"/favicon.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml", CacheNoCache},
		{"/locales/en.json", `{"hello":"Hello"}`, "application/json", CacheNoCache},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			res := do(t, h, "GET", c.path)
			if res.StatusCode != 200 {
				t.Fatalf("status %d", res.StatusCode)
			}
			if got := body(t, res); got != c.body {
				t.Errorf("body %q, want %q", got, c.body)
			}
			if got := res.Header.Get("Content-Type"); !strings.Contains(got, c.ctype) {
				t.Errorf("Content-Type %q, want %q", got, c.ctype)
			}
			if got := res.Header.Get("Cache-Control"); got != c.cache {
				t.Errorf("Cache-Control %q, want %q", got, c.cache)
			}
			if got := res.Header.Get("Content-Security-Policy"); got != CSP {
				t.Errorf("CSP %q", got)
			}
		})
	}
}

func TestClientRoutesFallBackToIndex(t *testing.T) {
	h := Handler(dist())
	for _, p := range []string{"/login", "/leads/ld_01JB8Z", "/leads/ld_01JB8Z?tab=history", "/settings/sites", "/attribution/", "/locales", "/locales/"} {
		res := do(t, h, "GET", p)
		if res.StatusCode != 200 {
			t.Fatalf("%s: status %d", p, res.StatusCode)
		}
		if got := body(t, res); got != indexHTML {
			t.Errorf("%s: body %q, want index.html", p, got)
		}
		if got := res.Header.Get("Cache-Control"); got != CacheNoCache {
			t.Errorf("%s: Cache-Control %q", p, got)
		}
		if got := res.Header.Get("Content-Security-Policy"); got != CSP {
			t.Errorf("%s: CSP %q", p, got)
		}
	}
}

func TestMissingAssetIs404NotHTML(t *testing.T) {
	h := Handler(dist())
	for _, p := range []string{"/assets/index-old.js", "/assets/", "/assets"} {
		res := do(t, h, "GET", p)
		if res.StatusCode != 404 {
			t.Errorf("%s: status %d, want 404", p, res.StatusCode)
		}
		if b := body(t, res); strings.Contains(b, "<html") || strings.Contains(b, "index-3f9a.js") {
			t.Errorf("%s: answered %q", p, b)
		}
		if got := res.Header.Get("Content-Security-Policy"); got != CSP {
			t.Errorf("%s: CSP %q", p, got)
		}
	}
}

func TestNoDirectoryListing(t *testing.T) {
	h := Handler(dist())
	for _, p := range []string{"/assets/", "/locales/", "/"} {
		b := body(t, do(t, h, "GET", p))
		if strings.Contains(b, "index-77c1.css") || strings.Contains(b, "en.json") {
			t.Errorf("%s lists a directory: %q", p, b)
		}
	}
}

func TestNoPathTraversal(t *testing.T) {
	// A real directory with a secret next to the served one.
	root := t.TempDir()
	distDir := filepath.Join(root, "dist")
	if err := os.MkdirAll(distDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(distDir, "index.html"), []byte(indexHTML), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "secret.env"), []byte("LEADFLOW_JWT_SECRET=do-not-serve"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := Handler(os.DirFS(distDir))
	for _, target := range []string{"/../secret.env", "/%2e%2e/secret.env", "/assets/../../secret.env", "/..%2fsecret.env", "/%2e%2e%2fsecret.env", "/./../secret.env"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.RawPath = ""
		req.URL.Path = mustUnescape(t, target)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if b := rec.Body.String(); strings.Contains(b, "do-not-serve") {
			t.Errorf("%s leaked the file outside the console: %q", target, b)
		}
	}
}

func mustUnescape(t *testing.T, s string) string {
	t.Helper()
	req, err := http.NewRequest("GET", "http://x"+s, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req.URL.Path
}

func TestHead(t *testing.T) {
	h := Handler(dist())
	for _, p := range []string{"/", "/assets/index-3f9a.js", "/leads/ld_1"} {
		res := do(t, h, "HEAD", p)
		if res.StatusCode != 200 {
			t.Fatalf("%s: status %d", p, res.StatusCode)
		}
		if b := body(t, res); b != "" {
			t.Errorf("%s: HEAD answered a body %q", p, b)
		}
		if res.Header.Get("Content-Length") == "" || res.Header.Get("Content-Security-Policy") != CSP {
			t.Errorf("%s: headers %v", p, res.Header)
		}
	}
}

func TestOtherMethodsRefused(t *testing.T) {
	h := Handler(dist())
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		res := do(t, h, m, "/leads/ld_1")
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: status %d, Allow %q", m, res.StatusCode, res.Header.Get("Allow"))
		}
	}
}

func TestNotBuilt(t *testing.T) {
	h := Handler(os.DirFS(filepath.Join(t.TempDir(), "missing")))
	for _, p := range []string{"/", "/login"} {
		res := do(t, h, "GET", p)
		if res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s: status %d", p, res.StatusCode)
		}
		if b := body(t, res); !strings.Contains(b, "make web") {
			t.Errorf("%s: body %q does not say to run make web", p, b)
		}
		if res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: the placeholder must not be cached: %q", p, res.Header.Get("Cache-Control"))
		}
	}
}

func TestLocalRoutes(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-From", "api")
		w.WriteHeader(299)
	})
	users := []DevUser{
		{ID: "usr_admin", Name: "Carla Mendes", Role: "admin", Token: "tok-a"},
		{ID: "usr_agent", Name: "Rafael Lima", Role: "agent", Token: "tok-b"},
	}
	h := Local(api, Handler(dist()), users)

	for _, p := range []string{"/v1/leads", "/v1/nothing-here", "/healthz", "/v1/"} {
		res := do(t, h, "GET", p)
		if res.StatusCode != 299 || res.Header.Get("X-From") != "api" {
			t.Errorf("%s: not sent to the API (status %d)", p, res.StatusCode)
		}
	}
	if res := do(t, h, "POST", "/v1/capture/leads"); res.StatusCode != 299 {
		t.Errorf("POST /v1/capture/leads: status %d", res.StatusCode)
	}

	res := do(t, h, "GET", "/config.json")
	var cfg map[string]string
	if err := json.NewDecoder(res.Body).Decode(&cfg); err != nil || cfg["auth"] != "local" || len(cfg) != 1 {
		t.Errorf("/config.json = %v (%v)", cfg, err)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("/config.json Cache-Control %q", res.Header.Get("Cache-Control"))
	}

	res = do(t, h, "GET", "/dev/users")
	var got struct {
		Users []DevUser `json:"users"`
	}
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if len(got.Users) != 2 || got.Users[0] != users[0] || got.Users[1] != users[1] {
		t.Errorf("/dev/users = %+v", got.Users)
	}

	if res := do(t, h, "GET", "/dev/other"); res.StatusCode != 404 {
		t.Errorf("/dev/other: status %d", res.StatusCode)
	}
	res = do(t, h, "GET", "/leads/ld_1")
	if b := body(t, res); b != indexHTML {
		t.Errorf("/leads/ld_1 = %q", b)
	}
}
