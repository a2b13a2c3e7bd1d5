package ads

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/queue"
)

// Sites reads a site by id (jobs name the site, not its public key).
type Sites interface {
	Site(ctx context.Context, tenantID, siteID string) (account.Site, error)
}

// Captures stores a capture: the capture use case, leadcapture.Service
// (wired by internal/app), decides a new lead or an append.
type Captures interface {
	Capture(ctx context.Context, site account.Site, c lead.Capture) (lead.CaptureResult, error)
}

// Tokens gives the Meta page access token of a site.
type Tokens interface {
	PageToken(ctx context.Context, tenantID, siteID string) (string, error)
}

// MetaFetcher runs fetch_meta_lead jobs: it reads the lead from the Graph
// API and captures it.
type MetaFetcher struct {
	Sites    Sites
	Captures Captures
	Tokens   Tokens
	Graph    *Graph
	Logger   *slog.Logger
	Now      func() time.Time
}

// Handle runs one fetch_meta_lead job. Any error (Graph API refusal or
// outage, missing token, store failure) is returned, so SQS redelivers the
// job with backoff and finally moves it to the dead-letter queue: a lead is
// never dropped silently. A job for a lead already stored changes nothing.
func (f *MetaFetcher) Handle(ctx context.Context, job queue.Job) error {
	_, err := f.Fetch(ctx, job)
	return err
}

// Fetch is Handle returning what the capture did.
func (f *MetaFetcher) Fetch(ctx context.Context, job queue.Job) (lead.CaptureResult, error) {
	if job.Type != jobs.TypeFetchMetaLead {
		return lead.CaptureResult{}, fmt.Errorf("ads: job %s has type %q, not %s", job.ID, job.Type, jobs.TypeFetchMetaLead)
	}
	var p jobs.FetchMetaLeadPayload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return lead.CaptureResult{}, jobs.Permanent(fmt.Errorf("ads: job %s: payload: %w", job.ID, err))
	}
	if p.SiteID == "" || !ID(p.LeadgenID).Numeric() || job.TenantID == "" {
		return lead.CaptureResult{}, jobs.Permanent(fmt.Errorf("ads: job %s: payload needs tenant, site_id and a numeric leadgen_id", job.ID))
	}
	site, err := f.Sites.Site(ctx, job.TenantID, p.SiteID)
	if errors.Is(err, account.ErrNotFound) {
		return lead.CaptureResult{}, jobs.Permanent(fmt.Errorf("ads: job %s: %w", job.ID, err))
	}
	if err != nil {
		return lead.CaptureResult{}, fmt.Errorf("ads: job %s: %w", job.ID, err)
	}
	token, err := f.Tokens.PageToken(ctx, job.TenantID, p.SiteID)
	if err != nil {
		return lead.CaptureResult{}, fmt.Errorf("ads: job %s: page token: %w", job.ID, err)
	}
	gl, err := f.Graph.Lead(ctx, token, ID(p.LeadgenID))
	var ge *GraphError
	if errors.As(err, &ge) && !ge.Retryable() {
		return lead.CaptureResult{}, jobs.Permanent(fmt.Errorf("ads: job %s: %w", job.ID, err))
	}
	if err != nil {
		return lead.CaptureResult{}, fmt.Errorf("ads: job %s: %w", job.ID, err)
	}
	now := time.Now()
	if f.Now != nil {
		now = f.Now()
	}
	c, err := MetaCapture(site, metaLeadgen(p), gl, now)
	if err != nil {
		return lead.CaptureResult{}, fmt.Errorf("ads: job %s: %w", job.ID, err)
	}
	res, err := f.Captures.Capture(ctx, site, c)
	if err != nil {
		return lead.CaptureResult{}, fmt.Errorf("ads: job %s: capture: %w", job.ID, err)
	}
	if f.Logger != nil {
		f.Logger.InfoContext(ctx, "meta lead captured", "tenant_id", job.TenantID, "site_id", p.SiteID,
			"leadgen_id", string(p.LeadgenID), "lead_id", res.LeadID, "created", res.Created)
	}
	return res, nil
}

// ErrNoPageToken says a site has no Meta page access token configured.
var ErrNoPageToken = errors.New("no Meta page access token for this site")

// SecretsReader reads a site's ads secrets (the store).
type SecretsReader interface {
	AdsSecrets(ctx context.Context, tenantID, siteID string) (account.AdsSecrets, error)
}

// StoreTokens reads page tokens from the sites' ads secrets items: the
// local setup, where the demo seed writes them.
type StoreTokens struct{ Secrets SecretsReader }

// PageToken implements Tokens.
func (s StoreTokens) PageToken(ctx context.Context, tenantID, siteID string) (string, error) {
	sec, err := s.Secrets.AdsSecrets(ctx, tenantID, siteID)
	if err != nil {
		return "", err
	}
	if sec.MetaPageToken == "" {
		return "", ErrNoPageToken
	}
	return sec.MetaPageToken, nil
}
