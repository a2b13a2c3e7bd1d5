package dynamo

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
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
//	PK                                       SK                                   what
//	T#<tenant>#ATTR#<touch>#<day>[#<shard>]  <site>#<source>#<medium>#<campaign>  leads, state_<state> counts
//
// One item per touch, UTC day, group and shard. A lead's counts always go to
// the shard its id hashes to (attrShards of them; shard 0 has no suffix, so
// counters written before sharding are shard 0), so the captures of one
// busy day and campaign spread over attrShards partitions and items instead
// of queueing on one: no partition key takes more than 2/attrShards WCU per
// capture on average, and concurrent transactions meet on one item only when
// their leads share a shard. A report over D days Queries D × attrShards
// partitions (a bounded parallel fan-out; each holds only that day's groups
// of one shard) and never reads a lead; Build sums the shards. Counter
// updates are ADDs in the transaction of the capture or change they count:
// at most two per new lead (first and last touch), three per repeat capture
// that moves the last touch, two per state change.

// attrShards is how many partitions one tenant's counters of a day spread
// over. Changing it moves where new counts go, never what a report reads
// for shards below it: only raise it.
const attrShards = 8

// attrShard is the shard of a lead's counts.
func attrShard(leadID string) int {
	h := fnv.New32a()
	h.Write([]byte(leadID))
	return int(h.Sum32() % attrShards)
}

const (
	attrLeads       = "leads"
	attrStatePrefix = "state_"
)

func attrPK(tenant string, touch attribution.Touch, day string, shard int) string {
	pk := "T#" + tenant + "#ATTR#" + string(touch) + "#" + day
	if shard > 0 {
		pk += "#" + strconv.Itoa(shard)
	}
	return pk
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
	return st.counterChanges(tenant, [][2]*lead.Lead{{before, after}})
}

// counterChanges returns the counter updates of several lead changes at
// once (before, after pairs), summed per counter item: one transaction may
// not update an item twice (a merge moves two leads that share a shard).
func (st *Store) counterChanges(tenant string, changes [][2]*lead.Lead) []types.TransactWriteItem {
	type at struct {
		shard int
		key   attribution.Key
	}
	sum := map[at]attribution.Counts{}
	var order []at
	for _, ch := range changes {
		before, after := ch[0], ch[1]
		shard := 0
		if after != nil {
			shard = attrShard(after.ID)
		} else if before != nil {
			shard = attrShard(before.ID)
		}
		for k, c := range attribution.Delta(before, after) {
			a := at{shard, k}
			cur, ok := sum[a]
			if !ok {
				order = append(order, a)
				cur.ByState = map[lead.State]int64{}
			}
			cur.Leads += c.Leads
			for s, n := range c.ByState {
				cur.ByState[s] += n
			}
			sum[a] = cur
		}
	}
	var items []types.TransactWriteItem
	for _, a := range order {
		k, c := a.key, sum[a]
		if c.Zero() {
			continue
		}
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
			Key:                       key(attrPK(tenant, k.Touch, k.Day, a.shard), attrSK(k.Dims)),
			UpdateExpression:          aws.String("ADD " + strings.Join(adds, ", ") + " SET #site = :site, #src = :src, #med = :med, #camp = :camp"),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
		}})
	}
	return items
}

// reportConcurrency bounds parallel partition queries of one report.
const reportConcurrency = 8

// AttributionCounters reads the counters of one touch for every day of
// [q.From, q.To]: one Query per day and shard (continued past 1 MB pages),
// run a few at a time. Each shard's counters come back as their own
// Counter; attribution.Build sums them.
func (st *Store) AttributionCounters(ctx context.Context, tenantID string, q attribution.Query) ([]attribution.Counter, error) {
	days := q.Days()
	n := len(days) * attrShards
	results := make([][]attribution.Counter, n)
	errs := make([]error, n)
	sem := make(chan struct{}, reportConcurrency)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i], errs[i] = st.dayCounters(ctx, tenantID, q.Touch, days[i/attrShards], i%attrShards)
		}()
	}
	wg.Wait()
	var out []attribution.Counter
	for i := range n {
		if errs[i] != nil {
			return nil, fmt.Errorf("attribution counters %s: %w", days[i/attrShards], errs[i])
		}
		out = append(out, results[i]...)
	}
	return out, nil
}

func (st *Store) dayCounters(ctx context.Context, tenantID string, touch attribution.Touch, day string, shard int) ([]attribution.Counter, error) {
	in := &dynamodb.QueryInput{
		TableName:                 st.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(attrPK(tenantID, touch, day, shard))},
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
