package httpapi_test

// The outbox in the SAM template: the table's stream is the one
// dynamo.TableDefinition declares, and DispatcherFunction reads only the
// outbox inserts from it, with partial batch responses, bounded retries
// that bisect a failing batch, and an on-failure destination with an alarm.

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/outbox"
)

func TestTemplateOutboxStreamAndDispatcher(t *testing.T) {
	c := loadTemplate(t)
	spec := dynamo.TableDefinition("x").StreamSpecification
	if spec == nil || str(c.resource(t, "LeadsTable"), "Properties", "StreamSpecification", "StreamViewType") != string(spec.StreamViewType) {
		t.Fatalf("LeadsTable StreamSpecification is not dynamo.TableDefinition's (%+v)", spec)
	}
	fn := c.resource(t, "DispatcherFunction")
	streams := 0
	for _, ev := range pairs(get(fn, "Properties", "Events")) {
		if str(ev[1], "Type") != "DynamoDB" {
			continue
		}
		streams++
		p := get(ev[1], "Properties")
		if !isGetAtt(get(p, "Stream"), "LeadsTable", "StreamArn") {
			t.Errorf("dispatcher event %s: Stream is not !GetAtt LeadsTable.StreamArn", ev[0].Value)
		}
		if !slices.Contains(scalars(get(p, "FunctionResponseTypes")), "ReportBatchItemFailures") {
			t.Errorf("dispatcher event %s lacks ReportBatchItemFailures", ev[0].Value)
		}
		if str(p, "BisectBatchOnFunctionError") != "true" {
			t.Errorf("dispatcher event %s: BisectBatchOnFunctionError is not true", ev[0].Value)
		}
		if n, err := strconv.Atoi(str(p, "MaximumRetryAttempts")); err != nil || n < 1 {
			t.Errorf("dispatcher event %s: MaximumRetryAttempts %q (retries must be bounded)", ev[0].Value, str(p, "MaximumRetryAttempts"))
		}
		if !isGetAtt(get(p, "DestinationConfig", "OnFailure", "Destination"), "OutboxDLQ", "Arn") {
			t.Errorf("dispatcher event %s: on-failure destination is not OutboxDLQ", ev[0].Value)
		}
		patterns := 0
		for _, f := range get(p, "FilterCriteria", "Filters").Content {
			pat := str(f, "Pattern")
			if strings.Contains(pat, `"INSERT"`) && strings.Contains(pat, `"prefix": "`+outbox.SortKeyPrefix+`"`) {
				patterns++
			}
		}
		if patterns != 1 {
			t.Errorf("dispatcher event %s: no FilterCriteria pattern for INSERTs of SK prefix %s", ev[0].Value, outbox.SortKeyPrefix)
		}
	}
	if streams != 1 {
		t.Fatalf("DispatcherFunction has %d DynamoDB events, want 1", streams)
	}
	alarm := c.resource(t, "OutboxDLQAlarm")
	found := false
	for _, d := range get(alarm, "Properties", "Dimensions").Content {
		found = found || isGetAtt(get(d, "Value"), "OutboxDLQ", "QueueName")
	}
	if !found || str(alarm, "Properties", "Threshold") != "0" {
		t.Error("OutboxDLQAlarm does not watch OutboxDLQ for any message")
	}
}
