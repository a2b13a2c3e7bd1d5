package jobs

import (
	"encoding/json"

	"github.com/leadflow/leadflow/internal/queue"
)

// TypePurgeLead deletes every item of a soft-deleted lead whose restore
// window has passed (the sweeper sends it; internal/purge runs it).
const TypePurgeLead = "purge_lead"

// PurgeLeadPayload is the payload of a purge_lead job.
type PurgeLeadPayload struct {
	LeadID string `json:"lead_id"`
}

// PurgeLead is the job purging a lead. Its id is the lead's: purging twice
// is the same work (the second run finds nothing).
func PurgeLead(tenantID, leadID string) queue.Job {
	p, _ := json.Marshal(PurgeLeadPayload{LeadID: leadID})
	return queue.Job{ID: "purge:" + leadID, Type: TypePurgeLead, TenantID: tenantID, Payload: p}
}
