package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/auth"
	"github.com/leadflow/leadflow/internal/interaction"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/problem"
)

// Interactions stores the timeline (internal/dynamo/interactions.go).
type Interactions interface {
	// PostInteraction upserts by channel and external id; created is false
	// for an update or an identical redelivery (which writes nothing).
	PostInteraction(ctx context.Context, tenantID string, in interaction.Interaction) (interaction.Interaction, bool, error)
	RelateInteraction(ctx context.Context, tenantID, interactionID, leadID string, actor lead.Actor) (interaction.Interaction, error)
	Interaction(ctx context.Context, tenantID, interactionID string) (interaction.Interaction, error)
	Timeline(ctx context.Context, tenantID, leadID string, ch interaction.Channel, cursor string, limit int) (lead.Page[interaction.Summary], error)
}

// KeyJoiner adds identity keys to a lead (i14-identity's Store.JoinKeys):
// a key another lead holds fails with an error wrapping
// lead.ErrIdentityTaken, writing nothing.
type KeyJoiner interface {
	JoinKeys(ctx context.Context, tenantID, leadID string, keys []lead.IdentityKey, actor lead.Actor) error
}

// AttachmentFiles presigns downloads of attachment files in Leadflow's
// bucket (S3, under interaction.AttachmentPrefix(tenant)), saved under
// the attachment's name.
type AttachmentFiles interface {
	PresignGet(ctx context.Context, key, name string) (string, error)
}

// interactionJSON is an interaction as the API shows it: lead_id null
// until related, attachments with a URL to fetch each file.
type interactionJSON struct {
	ID           string                   `json:"id"`
	LeadID       *string                  `json:"lead_id"`
	Protocol     string                   `json:"protocol"`
	Channel      interaction.Channel      `json:"channel"`
	ExternalID   string                   `json:"external_id"`
	Kind         interaction.Kind         `json:"kind"`
	Status       interaction.Status       `json:"status"`
	Priority     interaction.Priority     `json:"priority"`
	AgentID      *string                  `json:"agent_id"`
	OpenedAt     string                   `json:"opened_at"`
	AnsweredAt   *string                  `json:"answered_at"`
	FinishedAt   *string                  `json:"finished_at"`
	Polarity     interaction.Polarity     `json:"polarity"`
	Tags         []string                 `json:"tags"`
	Attachments  []interaction.Attachment `json:"attachments"`
	Profile      interaction.Profile      `json:"profile"`
	MessageCount int                      `json:"message_count"`
	Version      int64                    `json:"version"`
	CreatedAt    string                   `json:"created_at"`
	UpdatedAt    string                   `json:"updated_at"`
}

// interactionDetailJSON adds what GET /v1/interactions/{id} opens with.
type interactionDetailJSON struct {
	interactionJSON
	Messages []lead.Message      `json:"messages"`
	Events   []interaction.Event `json:"events"`
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *server) toInteractionJSON(ctx context.Context, i interaction.Interaction) interactionJSON {
	j := interactionJSON{
		ID: i.ID, LeadID: orNull(i.LeadID), Protocol: i.Protocol, Channel: i.Channel, ExternalID: i.ExternalID,
		Kind: i.Kind, Status: i.Status, Priority: i.Priority, AgentID: orNull(i.AgentID),
		OpenedAt: i.OpenedAt.UTC().Format(rfc3339Millis), Polarity: i.Polarity,
		Tags: nonNil(i.Tags), Attachments: []interaction.Attachment{}, Profile: i.Profile,
		MessageCount: i.MessageCount, Version: i.Version,
		CreatedAt: i.CreatedAt.UTC().Format(rfc3339Millis), UpdatedAt: i.UpdatedAt.UTC().Format(rfc3339Millis),
	}
	if i.AnsweredAt != nil {
		j.AnsweredAt = orNull(i.AnsweredAt.UTC().Format(rfc3339Millis))
	}
	if i.FinishedAt != nil {
		j.FinishedAt = orNull(i.FinishedAt.UTC().Format(rfc3339Millis))
	}
	for _, a := range i.Attachments {
		if a.Key != "" && s.AttachmentFiles != nil {
			if u, err := s.AttachmentFiles.PresignGet(ctx, a.Key, a.Name); err == nil {
				a.URL = u
			} else {
				s.Logger.WarnContext(ctx, "attachment not presigned", "interaction_id", i.ID, "err", err)
			}
		}
		j.Attachments = append(j.Attachments, a)
	}
	return j
}

// captureInteraction serves POST /v1/capture/interactions: an integration
// (account API key with interactions:write) posts one interaction, upserted
// by channel and external id → 201 new, 200 updated or redelivered.
func (s *server) captureInteraction(w http.ResponseWriter, r *http.Request) {
	var in interaction.Input
	key, ok := s.integrationBody(w, r, s.Interactions != nil, &in)
	if !ok {
		return
	}
	var acct account.Account
	if s.Accounts != nil {
		a, err := s.Accounts.Account(r.Context(), key.TenantID)
		if err != nil && !errors.Is(err, account.ErrNotFound) {
			s.failRetryable(w, r, err)
			return
		}
		acct = a
	}
	norm, err := interaction.Normalize(key.TenantID, in, lead.NewKinds(acct), s.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, created, err := s.Interactions.PostInteraction(r.Context(), key.TenantID, norm)
	if err != nil {
		s.failRetryable(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, s.toInteractionJSON(r.Context(), out))
}

// integrationBody authenticates an integration's request (account API key
// with interactions:write), answers 503 when the route is not served here
// (!served), and decodes the JSON body strictly into dst. It writes the
// refusal itself.
func (s *server) integrationBody(w http.ResponseWriter, r *http.Request, served bool, dst any) (account.APIKey, bool) {
	secret, _ := auth.Bearer(r)
	key, ok := s.apiKey(w, r, secret, account.ScopeInteractionsWrite, "")
	if !ok {
		return key, false
	}
	if !served {
		problem.Write(w, problem.New(http.StatusServiceUnavailable, "unavailable", "Not served here (interactions and uploads need their store and bucket)."))
		return key, false
	}
	body, ok := readBody(w, r)
	if !ok {
		return key, false
	}
	if fe := decodeStrict(body, dst); fe != nil {
		problem.Invalid(w, []lead.FieldError{*fe})
		return key, false
	}
	return key, true
}

// failRetryable answers a store error a retry can fix with 503, others as fail.
func (s *server) failRetryable(w http.ResponseWriter, r *http.Request, err error) {
	if captureRetryable(err) {
		s.Logger.ErrorContext(r.Context(), "request failed, retryable", "route", r.Pattern, "err", err)
		problem.RetryAfter(w, http.StatusServiceUnavailable, "unavailable", "Not stored; retry shortly.", 0)
		return
	}
	s.fail(w, r, err)
}

// interactionGet serves GET /v1/interactions/{interaction_id}.
func (s *server) interactionGet(w http.ResponseWriter, r *http.Request) {
	if s.Interactions == nil {
		problem.Write(w, problem.New(http.StatusServiceUnavailable, "unavailable", "Interactions are not served here."))
		return
	}
	i, err := s.Interactions.Interaction(r.Context(), principal(r).TenantID, r.PathValue("interaction_id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, interactionDetailJSON{
		interactionJSON: s.toInteractionJSON(r.Context(), i),
		Messages:        nonNil(i.Messages),
		Events:          nonNil(i.Events),
	})
}

// interactionRelate serves POST /v1/interactions/{interaction_id}/relate:
// the interaction joins the lead's timeline and its channel keys (the
// profile's e-mail, phone, Facebook id, X id, Instagram username) join the
// lead's keys first (Store.JoinKeys: 409 naming the owner when another
// lead holds one, and then nothing is written).
func (s *server) interactionRelate(w http.ResponseWriter, r *http.Request) {
	if s.Interactions == nil || s.KeyJoiner == nil {
		problem.Write(w, problem.New(http.StatusServiceUnavailable, "unavailable", "Interactions are not served here."))
		return
	}
	var body struct {
		LeadID string `json:"lead_id"`
	}
	if !decodeBody(w, r, &body, MaxConsoleBody) {
		return
	}
	if body.LeadID == "" {
		problem.Invalid(w, []lead.FieldError{{Field: "lead_id", Code: "required", Detail: "Name the lead to relate the interaction to."}})
		return
	}
	p := principal(r)
	ctx := r.Context()
	i, err := s.Interactions.Interaction(ctx, p.TenantID, r.PathValue("interaction_id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.KeyJoiner.JoinKeys(ctx, p.TenantID, body.LeadID, i.Profile.Keys(), userActor(p)); err != nil {
		s.failRetryable(w, r, err)
		return
	}
	out, err := s.Interactions.RelateInteraction(ctx, p.TenantID, i.ID, body.LeadID, userActor(p))
	if err != nil {
		s.failRetryable(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.toInteractionJSON(ctx, out))
}

// leadTimeline serves GET /v1/leads/{id}/timeline: the lead's interactions,
// newest first, optionally of one channel.
func (s *server) leadTimeline(w http.ResponseWriter, r *http.Request) {
	if s.Interactions == nil {
		problem.Write(w, problem.New(http.StatusServiceUnavailable, "unavailable", "Interactions are not served here."))
		return
	}
	ch := interaction.Channel(r.URL.Query().Get("channel"))
	if ch != "" && !interaction.ValidChannel(ch) {
		problem.Invalid(w, []lead.FieldError{{Field: "channel", Code: "not_allowed", Detail: "channel must be one of " + interaction.ChannelNames() + "."}})
		return
	}
	pageOf(s, w, r, func(ctx context.Context, tenantID, leadID, cursor string, limit int) (lead.Page[interaction.Summary], error) {
		return s.Interactions.Timeline(ctx, tenantID, leadID, ch, cursor, limit)
	})
}
