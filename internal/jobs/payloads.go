package jobs

import (
	"encoding/json"

	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/queue"
)

// Job types of the long-running jobs the API starts and of the ads fetch.
// (TypeAssign, TypeScheduledChange and TypePurgeLead are with their
// builders.) Every job type the worker runs is named in this package.
const (
	TypeBulk          = "bulk_action"     // a bulk action, in chunks (internal/bulk)
	TypeImport        = "import"          // a CSV import, in chunks (internal/importjob)
	TypeExport        = "export"          // an export of any size to S3 (internal/exportjob)
	TypeFetchMetaLead = "fetch_meta_lead" // one Meta lead to read from the Graph API (internal/ads)
)

// Bulk actions (BulkRequest.Action).
const (
	BulkClassify    = "classify"
	BulkAddGroup    = "add_group"
	BulkRemoveGroup = "remove_group"
	BulkAddTag      = "add_tag"
	BulkRemoveTag   = "remove_tag"
	BulkAssign      = "assign"       // admin
	BulkChangeState = "change_state" // state, sub_state
	BulkDelete      = "delete"       // admin; soft delete
	BulkRestore     = "restore"      // admin
)

// BulkActions lists every bulk action.
var BulkActions = []string{BulkClassify, BulkAddGroup, BulkRemoveGroup, BulkAddTag, BulkRemoveTag, BulkAssign, BulkChangeState, BulkDelete, BulkRestore}

// BulkRequest is a validated POST /v1/leads/bulk body.
type BulkRequest struct {
	Action         string      `json:"action"`
	IDs            []string    `json:"ids,omitempty"`
	Filter         *lead.Query `json:"filter,omitempty"`
	Classification string      `json:"classification,omitempty"`
	GroupID        string      `json:"group_id,omitempty"`
	Tag            string      `json:"tag,omitempty"`
	OwnerID        string      `json:"owner_id,omitempty"`
	State          string      `json:"state,omitempty"`
	SubState       string      `json:"sub_state,omitempty"`
}

// BulkPayload is a bulk_action message: the request and which chunk is next.
type BulkPayload struct {
	Request BulkRequest `json:"request"`
	Actor   lead.Actor  `json:"actor"`
	Chunk   int         `json:"chunk"`
	Cursor  string      `json:"cursor,omitempty"` // filter selections
}

// ImportPayload is an import message.
type ImportPayload struct {
	ImportID string     `json:"import_id"`
	Actor    lead.Actor `json:"actor"`
	Chunk    int        `json:"chunk"`
	// Prepare asks for the step before chunk 0 of an uploaded file: read
	// it from S3, parse it and store its chunks (internal/importjob).
	Prepare bool `json:"prepare,omitempty"`
}

// ExportPayload is an export message: the API's request plus the
// message's number (0 for the one the API sends).
type ExportPayload struct {
	Format string     `json:"format"`
	Query  lead.Query `json:"query"`
	Chunk  int        `json:"chunk"`
}

// FetchMetaLeadPayload is a fetch_meta_lead message: the site and the ids
// of one Meta leadgen change (no lead data; internal/ads reads it).
type FetchMetaLeadPayload struct {
	SiteID      string `json:"site_id"`
	LeadgenID   string `json:"leadgen_id"`
	PageID      string `json:"page_id"`
	FormID      string `json:"form_id"`
	AdgroupID   string `json:"adgroup_id,omitempty"`
	AdID        string `json:"ad_id,omitempty"`
	CreatedTime int64  `json:"created_time,omitempty"` // Unix seconds
}

// FetchMetaLead is the job reading one Meta lead of a site. Its id is the
// site's and the leadgen's, so a redelivered webhook is the same work.
func FetchMetaLead(tenantID string, p FetchMetaLeadPayload) queue.Job {
	return queue.Job{ID: MetaJobID(p.SiteID, p.LeadgenID), Type: TypeFetchMetaLead, TenantID: tenantID, Payload: Marshal(p)}
}

// MetaJobID is the job id (idempotency key) of one Meta lead of a site.
func MetaJobID(siteID, leadgenID string) string { return "meta:" + siteID + ":" + leadgenID }

// Marshal encodes a payload of this package. Payloads are plain structs
// of strings, numbers and validated lead queries, which encode; like the
// builders above, it does not return json.Marshal's error.
func Marshal(p any) json.RawMessage {
	b, _ := json.Marshal(p)
	return b
}
