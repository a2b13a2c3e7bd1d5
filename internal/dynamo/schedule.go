package dynamo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/outbox"
)

// Scheduled changes and per-user load counters.
//
//	PK                          SK               GSI2PK        GSI2SK
//	T#<tenant>#LEAD#<lead_id>   SCHED#<id>       DUE#<shard>   <due, fixed width>#<tenant>#<lead_id>#<id>
//	T#<tenant>[#LOAD#<shard>]   LOAD#<user_id>   -             -            open leads owned (n), one shard
//
// The lead's META carries the pending change (scheduled_change) and is the
// truth; the SCHED item is its entry in the due-time index (GSI2), written
// and deleted by Update in the same transaction as META. The index is
// sharded (DUE#0..DUE#3) so one partition key is not hot; the sweeper
// queries every shard for changes due before a time.
//
// A user's open-lead count is kept in loadShards pieces, each lead's moves
// in the shard its id hashes to (attrShard), so concurrent assignments to
// one agent do not queue on one item and no partition takes them all;
// shard 0 stays where the single counter always was (the tenant's
// partition), so counts written before sharding still add up. OpenLeads
// sums the shards.
const (
	skSched   = "SCHED#"
	skLoad    = "LOAD#"
	dueShards = 4

	loadShards = attrShards
)

// loadPK is the partition of one shard of the load counters.
func loadPK(tenant string, shard int) string {
	if shard == 0 {
		return tenantPK(tenant)
	}
	return tenantPK(tenant) + "#LOAD#" + strconv.Itoa(shard)
}

// dueLayout is fixed width (nanoseconds) so string order is time order.
const dueLayout = createdLayout

func dueShard(tenant, leadID string) int {
	h := fnv.New32a()
	h.Write([]byte(tenant + "#" + leadID))
	return int(h.Sum32() % dueShards)
}

func dueGSI2PK(shard int) string { return "DUE#" + strconv.Itoa(shard) }

func schedItem(tenant, leadID string, c lead.ScheduledChange) (map[string]types.AttributeValue, error) {
	it, err := item(c, leadPK(tenant, leadID), skSched+c.ID,
		AttrGSI2PK, dueGSI2PK(dueShard(tenant, leadID)),
		AttrGSI2SK, c.At.UTC().Format(dueLayout)+"#"+tenant+"#"+leadID+"#"+c.ID,
		"tenant_id", tenant, "lead_id", leadID)
	if err != nil {
		return nil, err
	}
	return it, nil
}

// derivedItems are the writes an Update implies beyond META and history:
// the due-index entries of the pending scheduled change and of a soft
// delete's purge (purge.go), the outbox event of a new scheduled change
// (outbox.go), and the owners' open-lead counters. They go into the same transaction, so the index and
// the counters never disagree with the lead.
func (st *Store) derivedItems(tenant string, before, after lead.Lead) ([]types.TransactWriteItem, error) {
	var items []types.TransactWriteItem
	b, a := before.ScheduledChange, after.ScheduledChange
	if b != nil && (a == nil || a.ID != b.ID) {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{
			TableName: st.table, Key: key(leadPK(tenant, before.ID), skSched+b.ID),
		}})
	}
	if a != nil && (b == nil || a.ID != b.ID) {
		it, err := schedItem(tenant, after.ID, *a)
		if err != nil {
			return nil, err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: it}},
			st.outboxPut(outbox.NewChangeScheduled(tenant, after.ID, *a, after.UpdatedAt)))
	}
	items = append(items, st.purgeWrites(tenant, before, after)...)
	return append(items, st.loadItems(tenant, after.ID, loadDelta(before, after))...), nil
}

// loadDelta is how a change moves the owners' open-lead counts.
func loadDelta(before, after lead.Lead) map[string]int64 {
	d := map[string]int64{}
	if before.OwnerID != "" && before.State.Open() {
		d[before.OwnerID]--
	}
	if after.OwnerID != "" && after.State.Open() {
		d[after.OwnerID]++
	}
	return d
}

func (st *Store) loadItems(tenant, leadID string, delta map[string]int64) []types.TransactWriteItem {
	return st.loadChanges(tenant, map[string]map[string]int64{leadID: delta})
}

// loadChanges is loadItems for several leads' deltas (lead id → user →
// change) in one transaction: deltas landing on the same counter item
// (one user, one shard) are summed, as a transaction may not update an
// item twice.
func (st *Store) loadChanges(tenant string, byLead map[string]map[string]int64) []types.TransactWriteItem {
	type at struct {
		shard int
		user  string
	}
	sum := map[at]int64{}
	var order []at
	for _, id := range slices.Sorted(maps.Keys(byLead)) {
		for user, d := range byLead[id] {
			a := at{attrShard(id) % loadShards, user}
			if _, ok := sum[a]; !ok {
				order = append(order, a)
			}
			sum[a] += d
		}
	}
	var items []types.TransactWriteItem
	for _, a := range order {
		if sum[a] == 0 {
			continue
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:                 st.table,
			Key:                       key(loadPK(tenant, a.shard), skLoad+a.user),
			UpdateExpression:          aws.String("ADD #n :d"),
			ExpressionAttributeNames:  map[string]string{"#n": "n"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":d": nInt(sum[a])},
		}})
	}
	return items
}

func nInt(v int64) types.AttributeValue { return n(v) }

// DueChanges returns the scheduled changes due before until (overdue ones
// included) that were never sent, or were sent before resendBefore (their
// message may have been lost). It queries the due index, shard by shard;
// the index is eventually consistent, which the sweeper's repetition covers.
func (st *Store) DueChanges(ctx context.Context, until, resendBefore time.Time) ([]lead.DueChange, error) {
	var out []lead.DueChange
	err := st.dueItems(ctx, dueGSI2PK, until, resendBefore, 0, func(it map[string]types.AttributeValue) error {
		var c lead.ScheduledChange
		if err := unmarshal(it, &c); err != nil {
			return err
		}
		out = append(out, lead.DueChange{TenantID: str(it, "tenant_id"), LeadID: str(it, "lead_id"), ChangeID: c.ID, At: c.At})
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("due changes: %w", err)
	}
	return out, nil
}

// dueItems reads the GSI2 shards named by shardPK (scheduled changes or
// purges) for items due by until that were never sent, or were sent before
// resendBefore, oldest first, at most perShard from each shard (0: all).
func (st *Store) dueItems(ctx context.Context, shardPK func(int) string, until, resendBefore time.Time, perShard int,
	yield func(map[string]types.AttributeValue) error) error {
	for shard := range dueShards {
		in := &dynamodb.QueryInput{
			TableName:                st.table,
			IndexName:                aws.String(IndexGSI2),
			KeyConditionExpression:   aws.String("#pk = :pk AND #sk < :until"),
			FilterExpression:         aws.String("attribute_not_exists(sent_at) OR sent_at < :resend"),
			ExpressionAttributeNames: map[string]string{"#pk": AttrGSI2PK, "#sk": AttrGSI2SK},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk":     s(shardPK(shard)),
				":until":  s(until.UTC().Add(time.Nanosecond).Format(dueLayout)),
				":resend": s(resendBefore.UTC().Format(dueLayout)),
			},
		}
		if perShard > 0 {
			in.Limit = aws.Int32(int32(perShard))
		}
		got := 0
		for perShard == 0 || got < perShard {
			res, err := st.db.Query(ctx, in)
			if err != nil {
				return fmt.Errorf("shard %d: %w", shard, err)
			}
			for _, it := range res.Items {
				if perShard > 0 && got == perShard {
					break
				}
				if err := yield(it); err != nil {
					return err
				}
				got++
			}
			if len(res.LastEvaluatedKey) == 0 {
				break
			}
			in.ExclusiveStartKey = res.LastEvaluatedKey
		}
	}
	return nil
}

// MarkSent records that d's message was sent at, so the next sweeps skip
// it. Only an optimization: the worker's conditional write is what makes a
// change apply once. A change applied or cancelled meanwhile is left alone.
func (st *Store) MarkSent(ctx context.Context, d lead.DueChange, at time.Time) error {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 st.table,
		Key:                       key(leadPK(d.TenantID, d.LeadID), skSched+d.ChangeID),
		UpdateExpression:          aws.String("SET sent_at = :at"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": s(at.UTC().Format(dueLayout))},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !asErr(err, &ccf) {
		return fmt.Errorf("mark sent %s: %w", d.ChangeID, err)
	}
	return nil
}

// Lead reads a lead's META item; lead.ErrNotFound when missing.
func (st *Store) Lead(ctx context.Context, tenantID, leadID string) (lead.Lead, error) {
	l, err := st.getLead(ctx, tenantID, leadID)
	if err != nil {
		return l, fmt.Errorf("get lead %s: %w", leadID, err)
	}
	return l, nil
}

// OpenLeads returns each user's count of open leads (new, in progress).
func (st *Store) OpenLeads(ctx context.Context, tenantID string) (map[string]int64, error) {
	out := map[string]int64{}
	for shard := range loadShards {
		err := st.queryPrefix(ctx, loadPK(tenantID, shard), skLoad, func(it map[string]types.AttributeValue) error {
			out[str(it, AttrSK)[len(skLoad):]] += num(it, "n")
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("open leads: %w", err)
		}
	}
	return out, nil
}

func asErr[T error](err error, target *T) bool { return errors.As(err, target) }
