// Package httpapi is Leadflow's HTTP surface: one net/http handler per Lambda
// function (capture, api) and one serving everything for the local server.
// The same handlers run in Lambda (behind aws-lambda-go-api-proxy) and on a
// laptop, so what the tests exercise is what AWS runs.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/auth"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/problem"
)

// Deps is what the handlers need. Nil stores are allowed for functions that
// don't serve the routes using them.
type Deps struct {
	Sites    Sites
	Captures Captures
	Accounts Accounts
	Leads    Leads
	Lists    Lists
	Groups   Groups
	// SavedFilters stores saved list filters.
	SavedFilters SavedFilters
	// JobRecords keeps job progress; JobStarter runs jobs (SQS, or in process).
	JobRecords JobRecords
	JobStarter jobs.Starter
	Auth       auth.Authenticator
	// Health lists what /healthz pings (store, queue).
	Health  []Pinger
	OpenAPI []byte
	Logger  *slog.Logger
	Now     func() time.Time

	// Ads webhooks and attribution reports.
	AdsSecrets AdsSecrets
	Reports    Reports
	// Queue enqueues background work on the jobs queue: Meta lead fetches
	// (optional). Assignment and scheduled changes go through the outbox.
	Queue JobQueue
	// Tasks stores the agenda (optional: without it the agenda routes
	// answer 503).
	Tasks Tasks
	// Assignment serves assignment rules and users (optional).
	Assignment Assignment
	// Imports stores CSV uploads and their reports (optional).
	Imports Imports
	// ExportFiles presigns async export downloads (optional: without it,
	// async=true is refused).
	ExportFiles ExportFiles
	// ImportUploads presigns import uploads (optional: without it, POST
	// /v1/imports/uploads and imports by upload_id are refused);
	// MaxUploadBytes bounds an uploaded file (0 = s3store.UploadMaxBytes).
	ImportUploads  ImportUploads
	MaxUploadBytes int64

	// APIKeys authenticates server captures and serves /v1/api-keys.
	APIKeys APIKeys
	// Interactions serves the timeline routes; KeyJoiner adds a related
	// interaction's channel keys to its lead; AttachmentFiles presigns
	// attachment downloads (optional: without it, files in the bucket are
	// shown by key only); AttachmentUploads presigns their uploads
	// (optional: without it, POST /v1/capture/interactions/attachments
	// answers 503).
	Interactions      Interactions
	KeyJoiner         KeyJoiner
	AttachmentFiles   AttachmentFiles
	AttachmentUploads AttachmentUploads
	// Settings serves the account and site settings routes (admins).
	Settings Settings
	// Merges serves duplicates, merges and undos, and the person's data
	// (export, erasure); Files deletes an erased person's stored files
	// (optional).
	Merges Merges
	Files  FileEraser
	// Identity serves identity keys, locate and manual lead creation
	// (optional: without it those routes answer 503).
	Identity Identity
	// OriginVerifySecret is the X-Origin-Verify value CloudFront adds to
	// the requests it forwards; captures trust CloudFront-Viewer-* geo
	// headers only on requests carrying it (empty: never).
	OriginVerifySecret string
}

// NewCapture serves the public capture routes (the CaptureFunction).
func NewCapture(d Deps) http.Handler {
	return newHandler(d, FunctionCapture, (*server).captureHandlers)
}

// NewAPI serves the console routes (the ApiFunction).
func NewAPI(d Deps) http.Handler {
	return newHandler(d, FunctionAPI, (*server).consoleHandlers)
}

// NewLocal serves every route, for the local server.
func NewLocal(d Deps) http.Handler {
	return newHandler(d, "", func(s *server) map[string]http.Handler {
		all := s.captureHandlers()
		maps.Copy(all, s.consoleHandlers())
		return all
	})
}

type server struct {
	Deps
}

// newHandler takes the handler table from each constructor, so a function
// binary references only its own table.
func newHandler(d Deps, only Function, table func(*server) map[string]http.Handler) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &server{Deps: d}
	handlers := table(s)
	mux := http.NewServeMux()
	methods := map[string][]string{}
	for _, rt := range Routes() {
		if only != "" && rt.Function != only {
			continue
		}
		h, ok := handlers[rt.Method+" "+rt.Path]
		if !ok {
			panic("httpapi: no handler for route " + rt.Method + " " + rt.Path)
		}
		if !rt.Public {
			h = s.authenticated(h)
		}
		mux.Handle(rt.Method+" "+rt.Path, h)
		methods[rt.Path] = append(methods[rt.Path], rt.Method)
	}
	// A known path with another method is a 405 problem, anything else 404.
	for path, ms := range methods {
		allow := strings.Join(ms, ", ")
		notAllowed := func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			problem.Write(w, problem.New(http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not served here; allowed: "+allow))
		}
		// One pattern per other method rather than a method-less one: a
		// method-less "/v1/leads/bulk" would conflict with "GET /v1/leads/{id}".
		for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
			if slices.Contains(ms, m) || (m == "HEAD" && slices.Contains(ms, "GET")) {
				continue
			}
			mux.HandleFunc(m+" "+path, notAllowed)
		}
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		problem.Write(w, problem.New(http.StatusNotFound, "not_found", "No route for "+r.URL.Path))
	})
	return s.logged(mux)
}

// captureHandlers and consoleHandlers map "METHOD path" (as in Routes) to
// its handler, one table per function: a Lambda binary only links the
// handlers (and their libraries: excelize, S3, the importer…) it serves.
func (s *server) captureHandlers() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /healthz":                              http.HandlerFunc(s.healthz),
		"POST /v1/capture/leads":                    http.HandlerFunc(s.captureLead),
		"OPTIONS /v1/capture/leads":                 http.HandlerFunc(s.capturePreflight),
		"POST /v1/capture/forms/{site_key}":         http.HandlerFunc(s.captureForm),
		"OPTIONS /v1/capture/forms/{site_key}":      http.HandlerFunc(s.capturePreflight),
		"GET /v1/capture/meta/{site_key}":           http.HandlerFunc(s.metaVerify),
		"POST /v1/capture/meta/{site_key}":          http.HandlerFunc(s.metaWebhook),
		"POST /v1/capture/google-ads/{site_key}":    http.HandlerFunc(s.googleAdsLead),
		"POST /v1/capture/interactions":             http.HandlerFunc(s.captureInteraction),
		"POST /v1/capture/interactions/attachments": http.HandlerFunc(s.attachmentUploadCreate),
	}
}

func (s *server) consoleHandlers() map[string]http.Handler {
	h := map[string]http.Handler{
		"GET /v1/reports/attribution":                         http.HandlerFunc(s.attributionReport),
		"GET /v1/openapi.yaml":                                http.HandlerFunc(s.openAPI),
		"GET /v1/me":                                          http.HandlerFunc(s.me),
		"GET /v1/leads/{id}":                                  http.HandlerFunc(s.leadDetail),
		"PATCH /v1/leads/{id}":                                http.HandlerFunc(s.leadPatch),
		"GET /v1/leads/{id}/history":                          http.HandlerFunc(s.leadHistory),
		"GET /v1/leads/{id}/conversation":                     http.HandlerFunc(s.leadConversation),
		"GET /v1/leads/{id}/notes":                            http.HandlerFunc(s.noteList),
		"POST /v1/leads/{id}/notes":                           http.HandlerFunc(s.noteCreate),
		"PATCH /v1/leads/{id}/notes/{note_id}":                http.HandlerFunc(s.noteUpdate),
		"DELETE /v1/leads/{id}/notes/{note_id}":               http.HandlerFunc(s.noteDelete),
		"POST /v1/leads/{id}/scheduled-changes":               http.HandlerFunc(s.scheduleChange),
		"DELETE /v1/leads/{id}/scheduled-changes/{change_id}": http.HandlerFunc(s.cancelScheduledChange),
		"GET /v1/assignment/rules":                            http.HandlerFunc(s.assignmentRules),
		"PUT /v1/assignment/rules":                            http.HandlerFunc(s.putAssignmentRules),
		"POST /v1/assignment/reassign":                        http.HandlerFunc(s.reassign),
		"GET /v1/users":                                       http.HandlerFunc(s.userList),
		"PATCH /v1/users/{id}":                                http.HandlerFunc(s.userPatch),
		"GET /v1/leads":                                       http.HandlerFunc(s.leadList),
		"GET /v1/leads/{id}/neighbors":                        http.HandlerFunc(s.leadNeighbors),
		"GET /v1/leads/count":                                 http.HandlerFunc(s.leadCount),
		"GET /v1/groups":                                      http.HandlerFunc(s.groupList),
		"POST /v1/groups":                                     http.HandlerFunc(s.groupCreate),
		"GET /v1/saved-filters":                               http.HandlerFunc(s.savedFilterList),
		"POST /v1/saved-filters":                              http.HandlerFunc(s.savedFilterCreate),
		"PATCH /v1/saved-filters/{filter_id}":                 http.HandlerFunc(s.savedFilterUpdate),
		"DELETE /v1/saved-filters/{filter_id}":                http.HandlerFunc(s.savedFilterDelete),
		"POST /v1/leads/bulk":                                 http.HandlerFunc(s.leadBulk),
		"POST /v1/leads/{id}/restore":                         http.HandlerFunc(s.leadRestore),
		"GET /v1/jobs/{job_id}":                               http.HandlerFunc(s.jobGet),
		"GET /v1/leads/export":                                http.HandlerFunc(s.leadExport),
		"POST /v1/imports":                                    http.HandlerFunc(s.importCreate),
		"GET /v1/imports/{import_id}":                         http.HandlerFunc(s.importGet),
		"GET /v1/imports/{import_id}/report.csv":              http.HandlerFunc(s.importReport),
		"POST /v1/imports/uploads":                            http.HandlerFunc(s.importUploadCreate),
		"POST /v1/api-keys":                                   http.HandlerFunc(s.apiKeyCreate),
		"GET /v1/api-keys":                                    http.HandlerFunc(s.apiKeyList),
		"DELETE /v1/api-keys/{key_id}":                        http.HandlerFunc(s.apiKeyRevoke),
		"GET /v1/account":                                     http.HandlerFunc(s.accountGet),
		"PATCH /v1/account":                                   http.HandlerFunc(s.accountPatch),
		"GET /v1/sites":                                       http.HandlerFunc(s.siteList),
		"POST /v1/sites":                                      http.HandlerFunc(s.siteCreate),
		"PATCH /v1/sites/{site_id}":                           http.HandlerFunc(s.sitePatch),
		"POST /v1/sites/{site_id}/rotate-key":                 http.HandlerFunc(s.siteRotateKey),
		"GET /v1/leads/{id}/timeline":                         http.HandlerFunc(s.leadTimeline),
		"GET /v1/interactions/{interaction_id}":               http.HandlerFunc(s.interactionGet),
		"POST /v1/interactions/{interaction_id}/relate":       http.HandlerFunc(s.interactionRelate),
	}
	maps.Copy(h, s.agendaHandlers())
	maps.Copy(h, s.mergeHandlers())
	maps.Copy(h, s.identityHandlers())
	return h
}

// statusRecorder remembers the status for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// logged writes one access-log line per request (never bodies or contact
// data) and turns a panic into a 500 problem instead of a dropped connection.
func (s *server) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				s.Logger.ErrorContext(r.Context(), "panic", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if rec.status == 0 {
					problem.Write(rec, problem.New(http.StatusInternalServerError, "internal", "Unexpected error."))
				}
			}
			s.Logger.InfoContext(r.Context(), "request",
				"method", r.Method, "route", r.Pattern, "status", rec.status,
				"duration_ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(rec, r)
	})
}

// authenticated requires a console principal.
func (s *server) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Auth == nil {
			problem.Write(w, problem.New(http.StatusUnauthorized, "unauthorized", "Console routes need a bearer token."))
			return
		}
		p, err := s.Auth.Authenticate(r)
		if err == nil {
			p, err = s.activeUser(r.Context(), p)
		}
		if errors.Is(err, auth.ErrUnauthenticated) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="leadflow"`)
			problem.Write(w, problem.New(http.StatusUnauthorized, "unauthorized", "A valid bearer token is required."))
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

// activeUser checks, on every request and without caching, that the
// token's user exists in the token's account and is active: a deactivated
// user is locked out at once, whatever token they hold. The stored role
// wins over the token's, so a demotion also takes effect at once.
func (s *server) activeUser(ctx context.Context, p account.Principal) (account.Principal, error) {
	if s.Accounts == nil {
		return p, fmt.Errorf("%w: no user store to check the token's user", auth.ErrUnauthenticated)
	}
	u, err := s.Accounts.User(ctx, p.TenantID, p.UserID)
	if errors.Is(err, account.ErrNotFound) {
		return p, fmt.Errorf("%w: the token's user is not a user of its account", auth.ErrUnauthenticated)
	}
	if err != nil {
		return p, err
	}
	if !u.Active || u.TenantID != p.TenantID {
		return p, fmt.Errorf("%w: the token's user is deactivated", auth.ErrUnauthenticated)
	}
	if u.Role.Valid() {
		p.Role = u.Role
	}
	return p, nil
}

// principal returns the caller set by authenticated.
func principal(r *http.Request) account.Principal {
	p, _ := auth.PrincipalFrom(r.Context())
	return p
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	for _, p := range s.Health {
		if err := p.Ping(ctx); err != nil {
			s.Logger.WarnContext(ctx, "health check failed", "err", err)
			problem.Write(w, problem.New(http.StatusServiceUnavailable, "unavailable", "A backing service is unreachable."))
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *server) openAPI(w http.ResponseWriter, r *http.Request) {
	if len(s.OpenAPI) == 0 {
		problem.Write(w, problem.New(http.StatusNotFound, "not_found", "No API document is bundled."))
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(s.OpenAPI)
}

func (s *server) me(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	out := map[string]string{"tenant_id": p.TenantID, "user_id": p.UserID, "role": string(p.Role)}
	if s.Accounts != nil {
		if u, err := s.Accounts.User(r.Context(), p.TenantID, p.UserID); err == nil {
			out["name"] = u.Name
		} else if !errors.Is(err, account.ErrNotFound) {
			s.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}
