package httpapi_test

import (
	"slices"
	"testing"
)

// purge_lead jobs delete items one by one (DeleteItem), 25 at a time
// (BatchWriteItem) and in a transaction with META (TransactWriteItems), all
// on the table itself; the sweeper marks purge entries sent (UpdateItem).
func TestTemplatePurgePermissions(t *testing.T) {
	c := loadTemplate(t)
	granted := func(fn string) []string {
		var out []string
		for _, pol := range items(get(c.resource(t, fn), "Properties", "Policies")) {
			for _, st := range items(get(pol, "Statement")) {
				if isGetAtt(get(st, "Resource"), "LeadsTable", "Arn") {
					out = append(out, scalars(get(st, "Action"))...)
				}
			}
		}
		return out
	}
	worker := granted("WorkerFunction")
	for _, a := range []string{"dynamodb:GetItem", "dynamodb:Query", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:TransactWriteItems"} {
		if !slices.Contains(worker, a) {
			t.Errorf("WorkerFunction lacks %s on LeadsTable (needed by purge_lead): %v", a, worker)
		}
	}
	if sw := granted("SweeperFunction"); !slices.Contains(sw, "dynamodb:UpdateItem") {
		t.Errorf("SweeperFunction cannot mark purges sent: %v", sw)
	}
}
