// Package lead is the heart of the domain: a lead (one person who reached an
// account through a chatbot, form, API or ad), its contact data, where it
// came from (navigation touches), its pipeline state, and everything that
// happened to it (notes, history, conversation).
//
// This package is pure: no AWS SDK, no I/O. Stores and handlers build on it.
package lead

import (
	"errors"
	"time"
)

// State is a pipeline state.
type State string

const (
	StateNew        State = "new"
	StateInProgress State = "in_progress"
	StateSale       State = "sale"
	StateNoSale     State = "no_sale"
)

// States lists the pipeline in order.
var States = []State{StateNew, StateInProgress, StateSale, StateNoSale}

// Valid reports whether s is a known pipeline state.
func (s State) Valid() bool {
	for _, v := range States {
		if s == v {
			return true
		}
	}
	return false
}

// EntryMethod says how a lead first reached the account.
type EntryMethod string

const (
	EntryChatbot     EntryMethod = "chatbot"
	EntryForm        EntryMethod = "form"
	EntryAPI         EntryMethod = "api"
	EntryMetaLeadAds EntryMethod = "meta_lead_ads"
	EntryGoogleAds   EntryMethod = "google_ads"
	EntryImport      EntryMethod = "import"
	EntryManual      EntryMethod = "manual" // created in the console (POST /v1/leads)
)

// MaxRating is the top of the 0–5 star scale.
const MaxRating = 5

// Contact is how to reach the person. Phones are E.164, e-mail lower-cased,
// CPF/CNPJ digits only.
type Contact struct {
	Email      string            `json:"email,omitempty"`
	Phone      string            `json:"phone,omitempty"`
	WhatsApp   string            `json:"whatsapp,omitempty"`
	CPF        string            `json:"cpf,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Touch is the navigation metadata of one capture: where the person was and
// which campaign brought them.
type Touch struct {
	At             time.Time   `json:"at"`
	EntryMethod    EntryMethod `json:"entry_method"`
	SiteID         string      `json:"site_id"`
	PageURL        string      `json:"page_url,omitempty"`
	LandingURL     string      `json:"landing_url,omitempty"`
	GeneratedAtURL string      `json:"generated_at_url,omitempty"`
	Referrer       string      `json:"referrer,omitempty"`
	UTMSource      string      `json:"utm_source,omitempty"`
	UTMMedium      string      `json:"utm_medium,omitempty"`
	UTMCampaign    string      `json:"utm_campaign,omitempty"`
	UTMTerm        string      `json:"utm_term,omitempty"`
	UTMContent     string      `json:"utm_content,omitempty"`
	GCLID          string      `json:"gclid,omitempty"`
	FBCLID         string      `json:"fbclid,omitempty"`
	IP             string      `json:"ip,omitempty"`
	Country        string      `json:"country,omitempty"`
	Region         string      `json:"region,omitempty"`
	City           string      `json:"city,omitempty"`
	UserAgent      string      `json:"user_agent,omitempty"`
	Locale         string      `json:"locale,omitempty"`
	FirstContactAt *time.Time  `json:"first_contact_at,omitempty"`

	// Ad fields: set by the ads webhooks (meta_lead_ads, google_ads), never
	// by public captures. Meta's ad set and Google's ad group are both the
	// ad group; Google's creative is the ad. Ids are strings (64-bit ids
	// must not pass through floats).
	AdPlatform   string `json:"ad_platform,omitempty"` // facebook, instagram, google
	CampaignID   string `json:"campaign_id,omitempty"`
	CampaignName string `json:"campaign_name,omitempty"`
	AdGroupID    string `json:"ad_group_id,omitempty"`
	AdGroupName  string `json:"ad_group_name,omitempty"`
	AdID         string `json:"ad_id,omitempty"`
	AdName       string `json:"ad_name,omitempty"`
	FormID       string `json:"form_id,omitempty"`
	// AdLeadID is the platform's id of the lead (Meta leadgen_id, Google lead_id).
	AdLeadID string `json:"ad_lead_id,omitempty"`
}

// Speaker is who wrote a conversation message.
type Speaker string

const (
	SpeakerBot     Speaker = "bot"
	SpeakerVisitor Speaker = "visitor"
	SpeakerAgent   Speaker = "agent"
)

// Message is one line of a chatbot or chat conversation.
type Message struct {
	ID   string    `json:"id"`
	From Speaker   `json:"from"`
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// Note is a free-text note an agent left on a lead.
type Note struct {
	ID        string    `json:"id"`
	Text      string    `json:"text"`
	AuthorID  string    `json:"author_id"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ActorType says what kind of party made a change.
type ActorType string

const (
	ActorUser   ActorType = "user"
	ActorSystem ActorType = "system"
	ActorWorker ActorType = "worker"
)

// Actor made a change recorded in history.
type Actor struct {
	Type ActorType `json:"type"`
	ID   string    `json:"id,omitempty"`
}

// History actions.
const (
	ActionCreated     = "created"
	ActionCaptured    = "captured" // a repeat capture of the same person
	ActionUpdated     = "updated"
	ActionNoteAdded   = "note_added"
	ActionNoteEdited  = "note_edited"
	ActionNoteDeleted = "note_deleted"
	ActionDeleted     = "deleted"
	ActionRestored    = "restored"
	// ActionCaptureNotApplied lists, by field, the captured values a
	// capture did not apply, each with its reason (see NotApplied).
	ActionCaptureNotApplied = "capture_not_applied"
)

// RestoreWindow is how long a soft-deleted lead can be restored.
const RestoreWindow = 30 * 24 * time.Hour

// Event is one history entry. Field, Before and After are set for field
// changes; a capture carries its Touch in After.
type Event struct {
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Actor  Actor     `json:"actor"`
	Action string    `json:"action"`
	Field  string    `json:"field,omitempty"`
	Before any       `json:"before,omitempty"`
	After  any       `json:"after,omitempty"`
	// Rule is the assignment rule that chose an owner (action "assigned").
	Rule string `json:"rule,omitempty"`
	// Reason says why the system did something nobody asked for directly
	// (a scheduled change cancelled by a manual state change).
	Reason string `json:"reason,omitempty"`
}

// Stamp fills the id and time a change left empty, at now.
func (e *Event) Stamp(now time.Time) {
	if e.ID == "" {
		e.ID = NewID(PrefixEvent, now)
	}
	if e.At.IsZero() {
		e.At = now
	}
}

// Lead is one person in an account's pipeline.
type Lead struct {
	ID          string      `json:"id"`
	TenantID    string      `json:"-"`
	ContactID   string      `json:"contact_id"`
	Name        string      `json:"name"`
	Rating      int         `json:"rating"`
	State       State       `json:"state"`
	SubState    string      `json:"sub_state,omitempty"`
	OwnerID     string      `json:"owner_id,omitempty"`
	EntryMethod EntryMethod `json:"entry_method"`
	SiteID      string      `json:"site_id"`
	Contact     Contact     `json:"contact"`
	FirstTouch  Touch       `json:"first_touch"`
	LastTouch   Touch       `json:"last_touch"`
	// ExternalIDs are the idempotency keys (per site) that captured this
	// lead, at most MaxLeadExternalIDs.
	ExternalIDs []string `json:"external_ids,omitempty"`
	// ExtraKeys are the identity keys of unique kinds beyond the contact
	// fields (a second e-mail, an RG, a Facebook id, an account's unique
	// key), by kind; SharedKeys those of the account's non-unique kinds.
	// KeyMap shows them with the contact fields as the API's "keys".
	ExtraKeys  map[string][]string `json:"extra_keys,omitempty"`
	SharedKeys map[string][]string `json:"shared_keys,omitempty"`
	// Provenance marks the fields a user edited ("name", "contact.email",
	// "contact.attributes.<k>" … → ProvenanceUser); a field without a mark
	// was captured (or is empty). Captures never overwrite a user's value.
	Provenance map[string]string `json:"provenance,omitempty"`
	// Interactions counts this person's interactions on the timeline
	// (captures and interactions of other channels); lists sort by it
	// (sort=occurrences). Occurrences counts them by polarity, Tickets by
	// status; Sentiment is Occurrences.Sentiment(). All four change only
	// through ApplyCounters, in the transaction of the interaction.
	Interactions int         `json:"interactions"`
	Occurrences  Occurrences `json:"occurrences"`
	Sentiment    *int        `json:"sentiment"`
	Tickets      Tickets     `json:"tickets"`
	// Classification, Tags (normalized, see NormalizeTag) and Groups (ids
	// of account groups) organize lists.
	Classification Classification `json:"classification,omitempty"`
	Tags           []string       `json:"tags,omitempty"`
	Groups         []string       `json:"groups,omitempty"`
	// DeletedAt marks a soft-deleted lead: gone from lists and detail,
	// restorable until DeletedAt + RestoreWindow.
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
	// MergedInto names the lead this one was merged into (it is then also
	// deleted: a tombstone kept for the merge's undo window); MergeID the
	// merge. See internal/merge.
	MergedInto string `json:"merged_into,omitempty"`
	MergeID    string `json:"merge_id,omitempty"`
	// Consents are the consent records captures and forms carried.
	Consents  []Consent `json:"consents,omitempty"`
	Version   int64     `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	// Test marks a lead an ad platform sent as a test (Google's is_test);
	// it is stored and shown but left out of attribution reports.
	Test bool `json:"test,omitempty"`
	// ScheduledChange is the pending scheduled state change, if any.
	ScheduledChange *ScheduledChange `json:"scheduled_change,omitempty"`
}

// Page is one page of a cursor-paged collection.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// Detail is everything the lead screen shows, read in one go.
type Detail struct {
	Lead         Lead
	Notes        Page[Note]
	History      Page[Event]
	Conversation Page[Message]
}

// Capture is one normalized, validated capture of a person, ready to store.
type Capture struct {
	SiteID       string
	ExternalID   string
	Name         string
	Contact      Contact
	Touch        Touch
	Conversation []Message
	// Consent is the consent record the form or chatbot carried, if any.
	Consent *Consent
	// Test marks a platform test lead (see Lead.Test).
	Test bool
	// Trusted captures come from servers Leadflow authenticated (ads
	// webhooks): no per-visitor rate limit applies.
	Trusted bool
	// ReplayNoop makes a capture whose external id was already captured a
	// no-op (the existing lead is returned, nothing is written): ads
	// platforms redeliver the same lead, and a redelivery is not a new
	// interaction.
	ReplayNoop bool
	// RateKey, when set, names what the capture's rate limit counts instead
	// of the visitor IP on the site (an API key: "key#<id>"), and
	// RatePerMinute is its limit.
	RateKey       string
	RatePerMinute int
	// Then, when set, changes a lead this capture creates before it is
	// written, in the same transaction, and returns the change's history
	// entries: an import row's tags, groups, state and rating cost no
	// second write. It runs on the lead the capture would create; when
	// the capture finds an existing lead instead, its change is dropped
	// (so it must only change the lead it is given). It may not set an
	// owner or a scheduled change (assignment and scheduling have their
	// own paths).
	Then func(*Lead) ([]Event, error) `json:"-"`
}

// IdentityKey locates a person across captures: an e-mail, a phone
// (phone and WhatsApp share the kind), a CPF/CNPJ, or a per-site external id.
type IdentityKey struct {
	Kind  string // "email", "phone", "cpf", "ext"
	Value string
}

// CaptureResult is what a capture did.
type CaptureResult struct {
	LeadID    string `json:"lead_id"`
	ContactID string `json:"contact_id"`
	Created   bool   `json:"created"`
}

// Errors stores and services return; handlers map them to HTTP statuses.
var (
	ErrNotFound        = errors.New("not found")
	ErrVersionMismatch = errors.New("version mismatch")
	ErrForbidden       = errors.New("forbidden")
)

// RateLimitedError says the caller must wait before capturing again.
type RateLimitedError struct{ RetryAfter time.Duration }

func (e *RateLimitedError) Error() string { return "rate limited" }

// FieldError names one bad input field. Field is a JSON path such as
// "contact.email"; Code is stable for programs, Detail is for people.
type FieldError struct {
	Field  string `json:"field"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// InvalidError carries every bad field of one request.
type InvalidError struct{ Errors []FieldError }

func (e *InvalidError) Error() string {
	if len(e.Errors) == 0 {
		return "invalid input"
	}
	return "invalid input: " + e.Errors[0].Field + ": " + e.Errors[0].Detail
}

// Add records a bad field.
func (e *InvalidError) Add(field, code, detail string) {
	e.Errors = append(e.Errors, FieldError{Field: field, Code: code, Detail: detail})
}

// Err returns e when it holds errors, nil otherwise.
func (e *InvalidError) Err() error {
	if e == nil || len(e.Errors) == 0 {
		return nil
	}
	return e
}
