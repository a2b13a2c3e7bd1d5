package httpapi

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"unicode"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/ads"
	"github.com/leadflow/leadflow/internal/attribution"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/problem"
)

// adsSite resolves the site of an ads webhook and its secrets, answering
// 401 for an unknown key and 403 when the site has no ads secrets. The
// secrets never reach a response or a log line.
func (s *server) adsSite(w http.ResponseWriter, r *http.Request) (account.Site, account.AdsSecrets, bool) {
	key := r.PathValue("site_key")
	site, err := s.Sites.SiteByKey(r.Context(), key)
	if errors.Is(err, account.ErrNotFound) || key == "" {
		problem.Write(w, problem.New(http.StatusUnauthorized, "invalid_site_key", "No site has this key."))
		return site, account.AdsSecrets{}, false
	}
	if err != nil {
		s.fail(w, r, err)
		return site, account.AdsSecrets{}, false
	}
	if s.AdsSecrets == nil {
		problem.Write(w, problem.New(http.StatusForbidden, "ads_not_configured", "This site has no ads webhook configured."))
		return site, account.AdsSecrets{}, false
	}
	sec, err := s.AdsSecrets.AdsSecrets(r.Context(), site.TenantID, site.ID)
	if errors.Is(err, account.ErrNotFound) {
		problem.Write(w, problem.New(http.StatusForbidden, "ads_not_configured", "This site has no ads webhook configured."))
		return site, sec, false
	}
	if err != nil {
		s.unavailable(w, r, site, err)
		return site, sec, false
	}
	return site, sec, true
}

// unavailable answers 503 so the platform redelivers later.
func (s *server) unavailable(w http.ResponseWriter, r *http.Request, site account.Site, err error) {
	s.Logger.ErrorContext(r.Context(), "ads webhook failed", "site_id", site.ID, "err", err)
	problem.RetryAfter(w, http.StatusServiceUnavailable, "unavailable", "The lead could not be taken; retry shortly.", 0)
}

func equalSecret(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// metaVerify serves GET /v1/capture/meta/{site_key}: Meta's subscription
// check echoes hub.challenge when hub.verify_token matches.
func (s *server) metaVerify(w http.ResponseWriter, r *http.Request) {
	_, sec, ok := s.adsSite(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	if q.Get("hub.mode") != "subscribe" || !equalSecret(q.Get("hub.verify_token"), sec.MetaVerifyToken) {
		problem.Write(w, problem.New(http.StatusForbidden, "invalid_verify_token", "hub.mode must be subscribe and hub.verify_token must match the site's verify token."))
		return
	}
	challenge := q.Get("hub.challenge")
	if challenge == "" || len(challenge) > 256 || strings.ContainsFunc(challenge, func(r rune) bool { return !unicode.IsPrint(r) }) {
		problem.Invalid(w, []lead.FieldError{{Field: "hub.challenge", Code: "invalid", Detail: "Send the challenge to echo (printable, at most 256 characters)."}})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(challenge))
}

// metaReceived is the answer to a Meta webhook post.
type metaReceived struct {
	Received int `json:"received"`
}

// metaWebhook serves POST /v1/capture/meta/{site_key}: it checks the
// signature over the raw body and enqueues one fetch_meta_lead job per
// leadgen id. Nothing is stored here; the worker reads the lead.
func (s *server) metaWebhook(w http.ResponseWriter, r *http.Request) {
	site, sec, ok := s.adsSite(w, r)
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	sig := r.Header.Get(ads.SignatureHeader)
	if sig == "" {
		problem.Write(w, problem.New(http.StatusUnauthorized, "invalid_signature", "Sign the body with the app secret in X-Hub-Signature-256."))
		return
	}
	if sec.MetaAppSecret == "" {
		problem.Write(w, problem.New(http.StatusForbidden, "ads_not_configured", "This site has no Meta app secret configured."))
		return
	}
	if !ads.VerifySignature(sec.MetaAppSecret, body, sig) {
		problem.Write(w, problem.New(http.StatusForbidden, "invalid_signature", "X-Hub-Signature-256 does not match the body."))
		return
	}
	changes, err := ads.ParseMetaNotification(body)
	if errors.Is(err, ads.ErrNotLeadgen) {
		writeJSON(w, http.StatusOK, metaReceived{})
		return
	}
	var invalid *lead.InvalidError
	if errors.As(err, &invalid) {
		problem.Invalid(w, invalid.Errors)
		return
	}
	if err != nil {
		problem.Invalid(w, []lead.FieldError{{Field: "body", Code: "invalid", Detail: "Not a Meta page webhook notification: " + err.Error()}})
		return
	}
	if s.Queue == nil {
		s.unavailable(w, r, site, errors.New("no jobs queue configured"))
		return
	}
	for _, ch := range changes {
		job := jobs.FetchMetaLead(site.TenantID, ads.MetaJob(site.ID, ch))
		if err := s.Queue.Send(r.Context(), job, 0); err != nil {
			// Meta redelivers on a non-200; jobs already sent are idempotent.
			s.unavailable(w, r, site, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, metaReceived{Received: len(changes)})
}

// googleAdsLead serves POST /v1/capture/google-ads/{site_key}: the lead is
// in the body, authenticated by the site's google_key, stored at once.
func (s *server) googleAdsLead(w http.ResponseWriter, r *http.Request) {
	site, sec, ok := s.adsSite(w, r)
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	g, err := ads.DecodeGoogleLead(body)
	if err != nil {
		problem.Invalid(w, []lead.FieldError{{Field: "body", Code: "invalid", Detail: "Not a Google Ads lead-form webhook body."}})
		return
	}
	if g.GoogleKey == "" {
		problem.Write(w, problem.New(http.StatusUnauthorized, "invalid_google_key", "The body has no google_key."))
		return
	}
	if !equalSecret(g.GoogleKey, sec.GoogleKey) {
		problem.Write(w, problem.New(http.StatusForbidden, "invalid_google_key", "google_key does not match the site's key."))
		return
	}
	if g.LeadID == "" {
		problem.Invalid(w, []lead.FieldError{{Field: "lead_id", Code: "required", Detail: "Every Google lead has a lead_id."}})
		return
	}
	c, err := ads.GoogleCapture(site, g, s.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.Captures.Capture(r.Context(), site, c)
	if err != nil {
		s.unavailable(w, r, site, err)
		return
	}
	// Google wants 200 for every accepted lead, new or redelivered.
	writeJSON(w, http.StatusOK, res)
}

// attributionReport serves GET /v1/reports/attribution (JSON or CSV).
func (s *server) attributionReport(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	q := r.URL.Query()
	format := strings.ToLower(strings.TrimSpace(q.Get("format")))
	if format != "" && format != "json" && format != "csv" {
		problem.Invalid(w, []lead.FieldError{{Field: "format", Code: "not_allowed", Detail: "Must be json or csv."}})
		return
	}
	rq, err := attribution.ParseQuery(q.Get, s.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if s.Reports == nil {
		s.fail(w, r, errors.New("no report store configured"))
		return
	}
	counters, err := s.Reports.AttributionCounters(r.Context(), p.TenantID, rq)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rep := attribution.Build(rq, counters)
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="attribution-`+rep.From+`-`+rep.To+`-`+string(rep.Touch)+`.csv"`)
		w.Header().Set("Cache-Control", "no-store")
		if err := attribution.WriteCSV(w, rep); err != nil {
			s.Logger.ErrorContext(r.Context(), "write csv", "err", err)
		}
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
