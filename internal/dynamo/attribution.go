package dynamo

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/attribution"
	"github.com/leadflow/leadflow/internal/lead"
)

// Attribution counters (see internal/attribution for the counting rules):
//
//	PK                                   SK                                   what
//	T#<tenant>#ATTR#<touch>#<day>        <site>#<source>#<medium>#<campaign>  leads, state_<state> counts
//
// One partition per tenant, touch and UTC day; one item per group. A report
// over D days Queries D partitions (each holds only that day's groups) and
// never reads a lead. Counter updates are ADDs in the transaction of the
// capture or change they count: at most two per new lead (first and last
// touch), three per repeat capture that moves the last touch, two per state
// change.

const (
	attrLeads       = "leads"
	attrStatePrefix = "state_"
)

func attrPK(tenant string, touch attribution.Touch, day string) string {
	return "T#" + tenant + "#ATTR#" + string(touch) + "#" + day
}

// attrSK joins the dimension values; '%' and '#' are escaped so the key
// is unambiguous whatever a UTM parameter holds.
func attrSK(d attribution.Dims) string {
	esc := strings.NewReplacer("%", "%25", "#", "%23")
	return esc.Replace(d.Site) + "#" + esc.Replace(d.Source) + "#" + esc.Replace(d.Medium) + "#" + esc.Replace(d.Campaign)
}

// counterItems returns the counter updates taking reports from lead state
// before to after (nil for "no lead").
func (st *Store) counterItems(tenant string, before, after *lead.Lead) []types.TransactWriteItem {
	var items []types.TransactWriteItem
	for k, c := range attribution.Delta(before, after) {
		names := map[string]string{"#site": "site_id", "#src": "source", "#med": "medium", "#camp": "campaign"}
		values := map[string]types.AttributeValue{
			":site": s(k.Dims.Site), ":src": s(k.Dims.Source), ":med": s(k.Dims.Medium), ":camp": s(k.Dims.Campaign),
		}
		var adds []string
		if c.Leads != 0 {
			names["#leads"] = attrLeads
			values[":leads"] = n(c.Leads)
			adds = append(adds, "#leads :leads")
		}
		for i, state := range lead.States {
			if d := c.ByState[state]; d != 0 {
				nm, v := fmt.Sprintf("#s%d", i), fmt.Sprintf(":s%d", i)
				names[nm] = attrStatePrefix + string(state)
				values[v] = n(d)
				adds = append(adds, nm+" "+v)
			}
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:                 st.table,
			Key:                       key(attrPK(tenant, k.Touch, k.Day), attrSK(k.Dims)),
			UpdateExpression:          aws.String("ADD " + strings.Join(adds, ", ") + " SET #site = :site, #src = :src, #med = :med, #camp = :camp"),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
		}})
	}
	return items
}

// reportConcurrency bounds parallel day queries of one report.
const reportConcurrency = 8

// AttributionCounters reads the counters of one touch for every day of
// [q.From, q.To]: one Query per day (continued past 1 MB pages), run a few
// at a time.
func (st *Store) AttributionCounters(ctx context.Context, tenantID string, q attribution.Query) ([]attribution.Counter, error) {
	days := q.Days()
	results := make([][]attribution.Counter, len(days))
	errs := make([]error, len(days))
	sem := make(chan struct{}, reportConcurrency)
	var wg sync.WaitGroup
	for i, day := range days {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i], errs[i] = st.dayCounters(ctx, tenantID, q.Touch, day)
		}()
	}
	wg.Wait()
	var out []attribution.Counter
	for i := range days {
		if errs[i] != nil {
			return nil, fmt.Errorf("attribution counters %s: %w", days[i], errs[i])
		}
		out = append(out, results[i]...)
	}
	return out, nil
}

func (st *Store) dayCounters(ctx context.Context, tenantID string, touch attribution.Touch, day string) ([]attribution.Counter, error) {
	in := &dynamodb.QueryInput{
		TableName:                 st.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(attrPK(tenantID, touch, day))},
	}
	var out []attribution.Counter
	for {
		page, err := st.db.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			c := attribution.Counter{
				Key: attribution.Key{Touch: touch, Day: day, Dims: attribution.Dims{
					Site: str(it, "site_id"), Source: str(it, "source"), Medium: str(it, "medium"), Campaign: str(it, "campaign"),
				}},
				Counts: attribution.Counts{Leads: num(it, attrLeads), ByState: map[lead.State]int64{}},
			}
			for _, state := range lead.States {
				c.ByState[state] = num(it, attrStatePrefix+string(state))
			}
			out = append(out, c)
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}
