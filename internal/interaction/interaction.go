// Package interaction is the vocabulary and rules of a person's timeline:
// one interaction is a ticket, chat, comment, mention, DM, call, e-mail or
// form on a channel, with its status, priority, protocol number, polarity,
// tags, attachments, messages and events. It holds the upsert rule (same
// channel and external id → the same interaction; an identical redelivery
// changes nothing), the counters rule (what an interaction change does to
// its lead's occurrences and tickets) and the protocol format.
//
// This package is pure: no AWS SDK, no I/O.
package interaction

import (
	"slices"
	"strings"
	"time"

	"github.com/leadflow/leadflow/internal/lead"
)

// Channel is where an interaction happened.
type Channel string

const (
	ChannelChatbot     Channel = "chatbot"
	ChannelForm        Channel = "form"
	ChannelMetaLeadAds Channel = "meta_lead_ads"
	ChannelGoogleAds   Channel = "google_ads"
	ChannelImport      Channel = "import"
	ChannelWhatsApp    Channel = "whatsapp"
	ChannelFacebook    Channel = "facebook"
	ChannelInstagram   Channel = "instagram"
	ChannelX           Channel = "x"
	ChannelEmail       Channel = "email"
	ChannelPhone       Channel = "phone"
)

// Channels lists every channel.
var Channels = []Channel{ChannelChatbot, ChannelForm, ChannelMetaLeadAds, ChannelGoogleAds, ChannelImport,
	ChannelWhatsApp, ChannelFacebook, ChannelInstagram, ChannelX, ChannelEmail, ChannelPhone}

// Kind is what sort of interaction it is.
type Kind string

const (
	KindChat    Kind = "chat"
	KindComment Kind = "comment"
	KindMention Kind = "mention"
	KindDM      Kind = "dm"
	KindCall    Kind = "call"
	KindEmail   Kind = "email"
	KindForm    Kind = "form"
)

// Kinds lists every kind.
var Kinds = []Kind{KindChat, KindComment, KindMention, KindDM, KindCall, KindEmail, KindForm}

// Status is where the ticket stands.
type Status string

const (
	StatusOpen     Status = lead.TicketOpen
	StatusAnswered Status = lead.TicketAnswered
	StatusFinished Status = lead.TicketFinished
)

// Statuses lists every status.
var Statuses = []Status{StatusOpen, StatusAnswered, StatusFinished}

// Priority orders tickets.
type Priority string

const (
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// Priorities lists every priority.
var Priorities = []Priority{PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent}

// Polarity is the tone of an interaction.
type Polarity string

const (
	PolarityPositive Polarity = lead.PolarityPositive
	PolarityNeutral  Polarity = lead.PolarityNeutral
	PolarityNegative Polarity = lead.PolarityNegative
)

// Polarities lists every polarity.
var Polarities = []Polarity{PolarityPositive, PolarityNeutral, PolarityNegative}

// EventType is what an interaction event records.
type EventType string

const (
	EventStatusChanged EventType = "status_changed"
	EventReplied       EventType = "replied"
	EventPolarized     EventType = "polarized"
	EventTagged        EventType = "tagged"
)

// EventTypes lists every event type.
var EventTypes = []EventType{EventStatusChanged, EventReplied, EventPolarized, EventTagged}

// Attachment is a file of an interaction. URL is what the integration gave,
// stored as given; Key names a file in Leadflow's own bucket instead
// (under AttachmentPrefix(tenant)), served as a short-lived presigned URL.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type,omitempty"`
	Size        int64  `json:"size,omitempty"`
	URL         string `json:"url,omitempty"`
	Key         string `json:"key,omitempty"`
}

// AttachmentPrefix is where a tenant's attachment files live in the bucket.
func AttachmentPrefix(tenant string) string { return "attachments/" + tenant + "/" }

// Event is one thing that happened to an interaction.
type Event struct {
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Type   EventType `json:"type"`
	Actor  string    `json:"actor,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// Profile is who the interaction is with, as the channel knows them.
// Its values are normalized; Keys turns them into identity keys.
type Profile struct {
	Name              string `json:"name,omitempty"`
	Email             string `json:"email,omitempty"`
	Phone             string `json:"phone,omitempty"`
	FacebookID        string `json:"facebook_id,omitempty"`
	XID               string `json:"x_id,omitempty"`
	InstagramUsername string `json:"instagram_username,omitempty"`
}

// Keys returns the profile's identity keys, strongest first: e-mail,
// phone, then the social ids.
func (p Profile) Keys() []lead.IdentityKey {
	var out []lead.IdentityKey
	for _, k := range []lead.IdentityKey{
		{Kind: lead.KeyEmail, Value: p.Email}, {Kind: lead.KeyPhone, Value: p.Phone},
		{Kind: lead.KeyFacebook, Value: p.FacebookID}, {Kind: lead.KeyX, Value: p.XID},
		{Kind: lead.KeyInstagram, Value: p.InstagramUsername},
	} {
		if k.Value != "" && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// Interaction is one ticket on one channel. Messages and Events are read
// with the interaction but stored as items of their own; MessageCount
// counts every message stored.
type Interaction struct {
	ID           string       `json:"id"`
	LeadID       string       `json:"lead_id"` // "" until related or matched by a key
	Protocol     string       `json:"protocol"`
	Channel      Channel      `json:"channel"`
	ExternalID   string       `json:"external_id,omitempty"`
	Kind         Kind         `json:"kind"`
	Status       Status       `json:"status"`
	Priority     Priority     `json:"priority"`
	AgentID      string       `json:"agent_id,omitempty"`
	OpenedAt     time.Time    `json:"opened_at"`
	AnsweredAt   *time.Time   `json:"answered_at,omitempty"`
	FinishedAt   *time.Time   `json:"finished_at,omitempty"`
	Polarity     Polarity     `json:"polarity"`
	Tags         []string     `json:"tags,omitempty"`
	Attachments  []Attachment `json:"attachments,omitempty"`
	Profile      Profile      `json:"profile"`
	MessageCount int          `json:"message_count"`
	Version      int64        `json:"version"`
	CreatedAt    time.Time    `json:"created_at"`
	UpdatedAt    time.Time    `json:"updated_at"`
	// Fingerprint is the hash of the last body stored (see Fingerprint):
	// a redelivery of the same body is recognized without reading more.
	Fingerprint string `json:"fp,omitempty"`

	Messages []lead.Message `json:"-"`
	Events   []Event        `json:"-"`
}

// Summary is the timeline's view of an interaction: everything but the
// messages, events and profile.
type Summary struct {
	ID           string     `json:"id"`
	LeadID       string     `json:"lead_id"`
	Protocol     string     `json:"protocol"`
	Channel      Channel    `json:"channel"`
	ExternalID   string     `json:"external_id,omitempty"`
	Kind         Kind       `json:"kind"`
	Status       Status     `json:"status"`
	Priority     Priority   `json:"priority"`
	AgentID      string     `json:"agent_id,omitempty"`
	OpenedAt     time.Time  `json:"opened_at"`
	AnsweredAt   *time.Time `json:"answered_at,omitempty"`
	FinishedAt   *time.Time `json:"finished_at,omitempty"`
	Polarity     Polarity   `json:"polarity"`
	Tags         []string   `json:"tags,omitempty"`
	Attachments  int        `json:"attachment_count"`
	MessageCount int        `json:"message_count"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Summary returns the timeline's view of i.
func (i Interaction) Summary() Summary {
	return Summary{
		ID: i.ID, LeadID: i.LeadID, Protocol: i.Protocol, Channel: i.Channel, ExternalID: i.ExternalID,
		Kind: i.Kind, Status: i.Status, Priority: i.Priority, AgentID: i.AgentID,
		OpenedAt: i.OpenedAt, AnsweredAt: i.AnsweredAt, FinishedAt: i.FinishedAt,
		Polarity: i.Polarity, Tags: i.Tags, Attachments: len(i.Attachments), MessageCount: i.MessageCount,
		UpdatedAt: i.UpdatedAt,
	}
}

// ValidChannel reports whether c is a known channel.
func ValidChannel(c Channel) bool { return slices.Contains(Channels, c) }

// ChannelNames lists the channels for messages ("chatbot, form, …").
func ChannelNames() string { return strings.Join(names(Channels), ", ") }
