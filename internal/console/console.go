// Package console serves the built web console (web/dist, Vite's output) as
// a single-page app: files as they are, every other GET falling back to
// index.html so client-side routes (/leads/<id>, /login) load the app; hashed
// files under assets/ cached for a year, index.html never without a
// revalidation; a Content-Security-Policy that allows only the console's own
// origin on every response. It also holds the local server's dev-only
// routes (/config.json, /dev/users) and the router that puts the API, those
// routes and the console on one origin. Only cmd/leadflow-dev wires it: in
// AWS, CloudFront and S3 serve the console and the Lambda functions never do.
package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// CSP is the Content-Security-Policy of every console response: only the
// console's own origin for scripts, styles (inline styles allowed for the
// chart library), images (and data: URIs), and API calls; never framed.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// Cache-Control values.
const (
	CacheImmutable = "public, max-age=31536000, immutable" // assets/: Vite's content-hashed files
	CacheNoCache   = "no-cache"                            // index.html and other unhashed files: always revalidate
)

// index is the SPA's entry document.
const index = "index.html"

// assetsDir holds Vite's hashed output; a missing file there is a 404, never
// index.html (a stale script tag must not be answered with HTML).
const assetsDir = "assets/"

// NotBuilt is the text answered when the console has not been built.
const NotBuilt = "The Leadflow console is not built yet.\n\nRun `make web` (or `make dev`, which builds it) and reload this page.\nThe API is served under /v1/ meanwhile.\n"

// Handler serves fsys (the console's build output) as a single-page app.
// It answers GET and HEAD only, never lists a directory and never leaves
// fsys (fs.FS paths cannot climb out, and names are cleaned first).
func Handler(fsys fs.FS) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name != "" && name != "." {
			if ok := serveFile(w, r, fsys, name); ok {
				return
			}
			if strings.HasPrefix(name, assetsDir) || name+"/" == assetsDir {
				http.Error(w, "not found", http.StatusNotFound)
				return
			}
		}
		if ok := serveFile(w, r, fsys, index); ok {
			return
		}
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		if r.Method == http.MethodGet {
			_, _ = io.WriteString(w, NotBuilt)
		}
	})
}

// serveFile answers with the regular file name in fsys and reports whether
// it did; directories and missing or unreadable files answer nothing.
func serveFile(w http.ResponseWriter, r *http.Request, fsys fs.FS, name string) bool {
	if !fs.ValidPath(name) {
		return false
	}
	f, err := fsys.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	body, err := readSeeker(f)
	if err != nil {
		return false
	}
	if strings.HasPrefix(name, assetsDir) {
		w.Header().Set("Cache-Control", CacheImmutable)
	} else {
		w.Header().Set("Cache-Control", CacheNoCache)
	}
	// ServeContent sets the type from the extension, answers HEAD without a
	// body, and handles Range and If-Modified-Since.
	http.ServeContent(w, r, path.Base(name), st.ModTime(), body)
	return true
}

// readSeeker returns f as an io.ReadSeeker (os files are; others are read).
func readSeeker(f fs.File) (io.ReadSeeker, error) {
	if rs, ok := f.(io.ReadSeeker); ok {
		return rs, nil
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}

// DevUser is one demo user offered by the local sign-in page.
type DevUser struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Role  string `json:"role"`
	Token string `json:"token"`
}

// Local puts the local server's routes on one origin: api serves /v1/* and
// /healthz; GET /config.json says the console signs in locally; GET
// /dev/users lists the demo users with their bearer tokens; any other path
// is the console (ui).
func Local(api, ui http.Handler, users []DevUser) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/", api)
	mux.Handle("/healthz", api)
	mux.Handle("GET /config.json", devJSON(map[string]string{"auth": "local"}))
	mux.Handle("GET /dev/users", devJSON(map[string][]DevUser{"users": users}))
	mux.HandleFunc("/dev/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "not found", http.StatusNotFound)
	})
	mux.Handle("/", ui)
	return mux
}

// devJSON answers v as JSON, never cached (tokens change on restart).
func devJSON(v any) http.Handler {
	b, err := json.Marshal(v)
	if err != nil {
		panic(errors.Join(errors.New("console: encode dev route"), err))
	}
	b = append(b, '\n')
	modtime := time.Time{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		http.ServeContent(w, r, "", modtime, bytes.NewReader(b))
	})
}
