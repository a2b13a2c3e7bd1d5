package ads

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultGraphURL is the Graph API base used unless LEADFLOW_GRAPH_URL says
// otherwise.
const DefaultGraphURL = "https://graph.facebook.com/v21.0"

// leadFields are the lead fields read from the Graph API.
const leadFields = "id,created_time,field_data,ad_id,ad_name,adset_id,adset_name,campaign_id,campaign_name,form_id,is_organic,platform"

// Graph reads leads from Meta's Graph API.
type Graph struct {
	BaseURL string
	Client  *http.Client
}

// NewGraph returns a Graph client for base (DefaultGraphURL when empty).
func NewGraph(base string) *Graph {
	if base == "" {
		base = DefaultGraphURL
	}
	return &Graph{BaseURL: strings.TrimRight(base, "/"), Client: &http.Client{Timeout: 10 * time.Second}}
}

// GraphField is one answer of a lead form.
type GraphField struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// GraphLead is the Graph API lead object (GET /{leadgen_id}).
type GraphLead struct {
	ID           ID           `json:"id"`
	CreatedTime  string       `json:"created_time"` // 2015-02-28T08:49:14+0000
	FieldData    []GraphField `json:"field_data"`
	AdID         ID           `json:"ad_id"`
	AdName       string       `json:"ad_name"`
	AdsetID      ID           `json:"adset_id"`
	AdsetName    string       `json:"adset_name"`
	CampaignID   ID           `json:"campaign_id"`
	CampaignName string       `json:"campaign_name"`
	FormID       ID           `json:"form_id"`
	IsOrganic    bool         `json:"is_organic"`
	Platform     string       `json:"platform"` // fb, ig
}

// GraphError is an error answer of the Graph API. It never holds the
// access token (the token travels in a header, not in the URL).
type GraphError struct {
	Status    int
	Message   string `json:"message"`
	Type      string `json:"type"`
	Code      int    `json:"code"`
	Subcode   int    `json:"error_subcode"`
	FBTraceID string `json:"fbtrace_id"`
}

// graphRateLimitCodes are the Graph error codes of rate limits, which
// Meta answers with HTTP 400 or 403 rather than 429 (application, user,
// page and ads-insights request limits).
var graphRateLimitCodes = map[int]bool{4: true, 17: true, 32: true, 341: true, 613: true, 80001: true, 80004: true}

// Retryable reports whether asking again later may succeed: a 429, a rate
// limit code, a server error or no HTTP answer at all. Any other 4xx (an
// unknown or deleted lead, a revoked token, a missing permission) is
// permanent: retrying only walks the job into the dead-letter queue.
func (e *GraphError) Retryable() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500 || e.Status < 400 || graphRateLimitCodes[e.Code]
}

func (e *GraphError) Error() string {
	return fmt.Sprintf("graph api: HTTP %d: %s (type %s, code %d, subcode %d, fbtrace_id %s)",
		e.Status, e.Message, e.Type, e.Code, e.Subcode, e.FBTraceID)
}

// Lead reads one lead with a page access token. The token is sent as a
// bearer header so it can't end up in a logged URL or error.
func (g *Graph) Lead(ctx context.Context, token string, leadgenID ID) (GraphLead, error) {
	var gl GraphLead
	u := g.BaseURL + "/" + url.PathEscape(string(leadgenID)) + "?fields=" + url.QueryEscape(leadFields)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return gl, fmt.Errorf("graph api: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := g.Client.Do(req)
	if err != nil {
		return gl, fmt.Errorf("graph api: lead %s: %w", leadgenID, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return gl, fmt.Errorf("graph api: lead %s: %w", leadgenID, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error GraphError `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		e.Error.Status = resp.StatusCode
		return gl, &e.Error
	}
	gl, err = DecodeGraphLead(body)
	if err != nil {
		return gl, fmt.Errorf("graph api: lead %s: %w", leadgenID, err)
	}
	return gl, nil
}

// DecodeGraphLead reads a Graph API lead object (the body of a 200 answer
// to GET /{leadgen_id}); a lead without an id is refused.
func DecodeGraphLead(body []byte) (GraphLead, error) {
	var gl GraphLead
	if err := json.Unmarshal(body, &gl); err != nil {
		return gl, fmt.Errorf("decode: %w", err)
	}
	if gl.ID == "" {
		return gl, errors.New("answer has no id")
	}
	return gl, nil
}
