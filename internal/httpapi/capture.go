package httpapi

import (
	"crypto/subtle"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/capture"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/problem"
)

// MaxCaptureBody is the largest capture body accepted (api.md: 413 above).
const MaxCaptureBody = 256 << 10

// captureLead serves POST /v1/capture/leads: JSON from chatbots and servers.
func (s *server) captureLead(w http.ResponseWriter, r *http.Request) {
	site, ok := s.captureSite(w, r, siteKeyOf(r))
	if !ok {
		return
	}
	switch mt := mediaType(r); mt {
	case "", "application/json", "text/plain": // text/plain lets browsers skip the preflight
	default:
		problem.Write(w, problem.New(http.StatusUnsupportedMediaType, "unsupported_media_type", "Send the capture as application/json, not "+mt+"."))
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	req, err := capture.DecodeJSON(body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.store(w, r, site, req)
}

// captureForm serves POST /v1/capture/forms/{site_key}: a plain HTML form.
func (s *server) captureForm(w http.ResponseWriter, r *http.Request) {
	site, ok := s.captureSite(w, r, r.PathValue("site_key"))
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxCaptureBody)
	var err error
	switch mt := mediaType(r); mt {
	case "application/x-www-form-urlencoded":
		err = r.ParseForm()
	case "multipart/form-data":
		// Files are never stored; memory stays within the body limit.
		err = r.ParseMultipartForm(MaxCaptureBody)
	default:
		problem.Write(w, problem.New(http.StatusUnsupportedMediaType, "unsupported_media_type", "Post the form as application/x-www-form-urlencoded or multipart/form-data."))
		return
	}
	if err != nil {
		if tooLarge(err) {
			problem.Write(w, problem.New(http.StatusRequestEntityTooLarge, "payload_too_large", "The form is larger than 256 KiB."))
			return
		}
		problem.Invalid(w, []lead.FieldError{{Field: "body", Code: "invalid", Detail: "The form body could not be read."}})
		return
	}
	req, honeypot, redirect := capture.FromForm(r.PostForm)
	if redirect != "" && !redirectAllowed(site, r, redirect) {
		problem.Invalid(w, []lead.FieldError{{Field: "_redirect", Code: "not_allowed", Detail: "The redirect must go to one of the site's allowed origins."}})
		return
	}
	if honeypot {
		// A bot filled the hidden field: answer as if it worked, store nothing.
		s.answerCapture(w, redirect, lead.CaptureResult{
			LeadID: lead.NewID(lead.PrefixLead, s.Now()), ContactID: lead.NewID(lead.PrefixContact, s.Now()), Created: true,
		})
		return
	}
	s.storeThen(w, r, site, req, redirect)
}

// capturePreflight answers CORS preflights for the site's allowed origins only.
// Browsers can't send X-Site-Key on a preflight, so the site comes from the
// path (forms) or the site_key query parameter (JSON route).
func (s *server) capturePreflight(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("site_key")
	if key == "" {
		key = siteKeyOf(r)
	}
	if key == "" {
		problem.Write(w, problem.New(http.StatusForbidden, "origin_not_allowed", "Name the site with ?site_key= so its allowed origins can be checked."))
		return
	}
	if _, ok := s.captureSite(w, r, key); !ok {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type, X-Site-Key")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

// captureSite resolves the site key and checks the browser origin, writing
// the error response itself when either fails.
func (s *server) captureSite(w http.ResponseWriter, r *http.Request, key string) (account.Site, bool) {
	if key == "" {
		problem.Write(w, problem.New(http.StatusUnauthorized, "invalid_site_key", "Send the site's public key in the X-Site-Key header."))
		return account.Site{}, false
	}
	site, err := s.Sites.SiteByKey(r.Context(), key)
	if errors.Is(err, account.ErrNotFound) {
		problem.Write(w, problem.New(http.StatusUnauthorized, "invalid_site_key", "No site has this key."))
		return site, false
	}
	if err != nil {
		// A store failure while resolving the key is as retryable as one
		// while storing: the capture has not been written.
		s.Logger.ErrorContext(r.Context(), "capture failed: site lookup", "err", err)
		problem.RetryAfter(w, http.StatusServiceUnavailable, "unavailable", "The lead could not be stored; retry shortly.", 0)
		return site, false
	}
	origin := r.Header.Get("Origin")
	if !site.OriginAllowed(origin) {
		problem.Write(w, problem.New(http.StatusForbidden, "origin_not_allowed", "Origin "+origin+" may not post to this site."))
		return site, false
	}
	if origin != "" {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Add("Vary", "Origin")
	}
	return site, true
}

func (s *server) store(w http.ResponseWriter, r *http.Request, site account.Site, req capture.Request) {
	s.storeThen(w, r, site, req, "")
}

// storeThen normalizes and stores a capture, then answers with JSON or a
// redirect.
func (s *server) storeThen(w http.ResponseWriter, r *http.Request, site account.Site, req capture.Request, redirect string) {
	c, err := capture.Normalize(site, req, requestMeta(r, s.Now(), s.OriginVerifySecret))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.Captures.Capture(r.Context(), site, c)
	var limited *lead.RateLimitedError
	switch {
	case errors.As(err, &limited):
		problem.RetryAfter(w, http.StatusTooManyRequests, "rate_limited", "Too many captures from this address; try again later.", limited.RetryAfter)
		return
	case errors.Is(err, account.ErrSiteKeyRevoked):
		// The key was rotated after this instance cached the site.
		problem.Write(w, problem.New(http.StatusUnauthorized, "invalid_site_key", "No site has this key."))
		return
	case err != nil:
		// Captures are idempotent, so any storage failure is safe to retry.
		s.Logger.ErrorContext(r.Context(), "capture failed", "site_id", site.ID, "err", err)
		problem.RetryAfter(w, http.StatusServiceUnavailable, "unavailable", "The lead could not be stored; retry shortly.", 0)
		return
	}
	s.answerCapture(w, redirect, res)
}

func (s *server) answerCapture(w http.ResponseWriter, redirect string, res lead.CaptureResult) {
	if redirect != "" {
		w.Header().Set("Location", redirect)
		w.WriteHeader(http.StatusSeeOther)
		return
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	writeJSON(w, status, res)
}

// OriginVerifyHeader carries the secret CloudFront adds to every request it
// forwards to the API (template.yaml, ConsoleDistribution).
const OriginVerifyHeader = "X-Origin-Verify"

// requestMeta is what the request itself says about the visitor: the IP from
// the connection (API Gateway's sourceIp in Lambda), never from the body, and
// geolocation from CloudFront's viewer headers — only when the request came
// through CloudFront, i.e. carries originSecret in X-Origin-Verify. A
// request straight to the API could forge those headers; it stores no geo.
func requestMeta(r *http.Request, now time.Time, originSecret string) capture.Meta {
	ip := r.RemoteAddr
	if host, _, err := net.SplitHostPort(ip); err == nil {
		ip = host
	}
	m := capture.Meta{IP: ip, UserAgent: r.UserAgent(), Now: now}
	if viaCloudFront(r, originSecret) {
		// Behind CloudFront the connection is CloudFront's; the viewer's
		// address is in CloudFront-Viewer-Address ("ip:port", IPv6 unbracketed).
		if va := r.Header.Get("CloudFront-Viewer-Address"); va != "" {
			if i := strings.LastIndexByte(va, ':'); i > 0 {
				if ip := net.ParseIP(va[:i]); ip != nil {
					m.IP = ip.String()
				}
			}
		}
		m.Country = r.Header.Get("CloudFront-Viewer-Country")
		m.Region = r.Header.Get("CloudFront-Viewer-Country-Region")
		m.City = cloudFrontCity(r.Header.Get("CloudFront-Viewer-City"))
	}
	return m
}

// viaCloudFront reports whether r carries the origin secret (compared in
// constant time). No secret configured: no request is trusted.
func viaCloudFront(r *http.Request, secret string) bool {
	got := r.Header.Get(OriginVerifyHeader)
	return secret != "" && subtle.ConstantTimeCompare([]byte(got), []byte(secret)) == 1
}

// cloudFrontCity decodes the city header, which CloudFront URL-encodes.
func cloudFrontCity(v string) string {
	if d, err := url.QueryUnescape(v); err == nil {
		return d
	}
	return v
}

func siteKeyOf(r *http.Request) string {
	if k := strings.TrimSpace(r.Header.Get("X-Site-Key")); k != "" {
		return k
	}
	return strings.TrimSpace(r.URL.Query().Get("site_key"))
}

func mediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ct
	}
	return mt
}

// readBody reads at most MaxCaptureBody bytes, answering 413 beyond.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxCaptureBody))
	if err != nil {
		if tooLarge(err) {
			problem.Write(w, problem.New(http.StatusRequestEntityTooLarge, "payload_too_large", "The body is larger than 256 KiB."))
		} else {
			problem.Invalid(w, []lead.FieldError{{Field: "body", Code: "invalid", Detail: "The body could not be read."}})
		}
		return nil, false
	}
	return body, true
}

func tooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe) || strings.Contains(err.Error(), "too large")
}

// redirectAllowed accepts only absolute http(s) URLs on an allowed origin of
// the site (or, for a site open to every origin, the origin that posted),
// so the form route can't be used as an open redirect.
func redirectAllowed(site account.Site, r *http.Request, redirect string) bool {
	u, err := url.Parse(redirect)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	origin := u.Scheme + "://" + u.Host
	if len(site.AllowedOrigins) > 0 {
		return site.OriginAllowed(origin)
	}
	return strings.EqualFold(origin, r.Header.Get("Origin"))
}
