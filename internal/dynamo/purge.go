package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/lead"
)

// Purge of soft-deleted leads.
//
//	PK                          SK      GSI2PK          GSI2SK
//	T#<tenant>#LEAD#<lead_id>   PURGE   PURGE#<shard>   <purge at, fixed width>#<tenant>#<lead_id>
//
// A soft-deleted lead has a PURGE item: its entry in the due-time index
// (GSI2), due at deleted_at + lead.RestoreWindow. It is put in the
// transaction that soft-deletes the lead and deleted in the one that
// restores it (an admin's restore or a new capture of the person), so the
// index and the lead never disagree. The GSI2 partitions are PURGE#0..3,
// not DUE#n: DueChanges' key condition names DUE#n, so scheduled-change
// sweeps never read purge entries, and purge sweeps never read changes.
//
// The purge itself (PurgeLead) deletes what erasure deletes (erase.go),
// in this order: META together with the identity keys still pointing to
// the lead (one transaction, conditional on the version read); then, found
// through the partition's items, everything outside it that belongs to
// the lead — its interactions (partitions, upsert and protocol keys,
// attachment files; one related to another lead since is that lead's and
// stays), task pointers and due-now notifications, the duplicate records
// other leads keep about it, its merge records (their undo window ended
// with the restore window) — then every other item of the partition
// (deleteInOrder), then the PURGE item. A crash anywhere leaves the PURGE
// item in place, so the sweeper re-sends the job and the next run
// finishes. A merge's tombstone has its own PURGE item and is purged the
// same way.
const skPurge = "PURGE"

func purgeGSI2PK(shard int) string { return "PURGE#" + strconv.Itoa(shard) }

func purgeItem(tenant, leadID string, deletedAt time.Time) map[string]types.AttributeValue {
	at := lead.PurgeAt(deletedAt).Format(dueLayout)
	return map[string]types.AttributeValue{
		AttrPK: s(leadPK(tenant, leadID)), AttrSK: s(skPurge),
		AttrGSI2PK:  s(purgeGSI2PK(dueShard(tenant, leadID))),
		AttrGSI2SK:  s(at + "#" + tenant + "#" + leadID),
		"tenant_id": s(tenant), "lead_id": s(leadID),
		"deleted_at": s(deletedAt.UTC().Format(dueLayout)), "purge_at": s(at),
	}
}

// purgeWrites keeps a lead's PURGE item in step with its deleted_at: put
// when the lead is (re)deleted, deleted when it is restored.
func (st *Store) purgeWrites(tenant string, before, after lead.Lead) []types.TransactWriteItem {
	b, a := before.DeletedAt, after.DeletedAt
	switch {
	case a != nil && (b == nil || !b.Equal(*a)):
		return []types.TransactWriteItem{{Put: &types.Put{TableName: st.table, Item: purgeItem(tenant, after.ID, *a)}}}
	case a == nil && b != nil:
		return []types.TransactWriteItem{{Delete: &types.Delete{TableName: st.table, Key: key(leadPK(tenant, before.ID), skPurge)}}}
	}
	return nil
}

// DuePurges returns up to limit soft-deleted leads whose purge time has
// come by now, never sent or sent before resendBefore (the job was lost or
// dead-lettered). Each GSI2 shard gives at most its share of limit, oldest
// first; the rest wait for the next sweep.
func (st *Store) DuePurges(ctx context.Context, now, resendBefore time.Time, limit int) ([]lead.DuePurge, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []lead.DuePurge
	err := st.dueItems(ctx, purgeGSI2PK, now, resendBefore, (limit+dueShards-1)/dueShards, func(it map[string]types.AttributeValue) error {
		at, err := time.Parse(dueLayout, str(it, "purge_at"))
		if err != nil {
			return fmt.Errorf("%s: purge_at: %w", str(it, "lead_id"), err)
		}
		out = append(out, lead.DuePurge{TenantID: str(it, "tenant_id"), LeadID: str(it, "lead_id"), At: at})
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("due purges: %w", err)
	}
	return out[:min(len(out), limit)], nil
}

// MarkPurgeSent records that p's job was sent at, so sweeps skip it until
// it is due for a re-send. A lead purged or restored meanwhile is left
// alone (no item is created).
func (st *Store) MarkPurgeSent(ctx context.Context, p lead.DuePurge, at time.Time) error {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 st.table,
		Key:                       key(leadPK(p.TenantID, p.LeadID), skPurge),
		UpdateExpression:          aws.String("SET sent_at = :at"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": s(at.UTC().Format(dueLayout))},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("mark purge sent %s: %w", p.LeadID, err)
	}
	return nil
}

// PurgeLead deletes every item of a soft-deleted lead whose restore window
// has passed at now, the identity keys that still point to it and its
// interactions (deleteFiles, nil without a bucket, deletes their
// attachment files), as the comment at the top says. It
// re-checks on a consistent read, so a lead restored since the job was sent
// is skipped, and it is idempotent: a repeated (or crashed and redelivered)
// job finishes what is left and then finds nothing to do.
//
// Attribution counters are not touched: they stopped counting the lead
// when it was soft-deleted (counterItems from the deleted lead to none is
// empty by the same rule). The owner's open-lead counter still counts a
// deleted lead, so it moves here, in META's transaction, exactly once.
func (st *Store) PurgeLead(ctx context.Context, tenantID, leadID string, now time.Time, deleteFiles func(context.Context, []string) error) (lead.PurgeResult, error) {
	var res lead.PurgeResult
	for attempt := 1; ; attempt++ {
		l, err := st.getLead(ctx, tenantID, leadID)
		if errors.Is(err, lead.ErrNotFound) {
			return st.finishPurge(ctx, tenantID, leadID, res, deleteFiles)
		}
		if err != nil {
			return res, fmt.Errorf("purge lead %s: %w", leadID, err)
		}
		if l.DeletedAt == nil {
			res.Skipped = lead.PurgeSkippedRestored
			return res, nil
		}
		res.DeletedAt = *l.DeletedAt
		if !lead.PurgeDue(l, now) {
			res.Skipped = lead.PurgeSkippedNotDue
			return res, nil
		}
		items := []types.TransactWriteItem{{Delete: &types.Delete{
			TableName: st.table, Key: key(leadPK(tenantID, leadID), skMeta),
			ConditionExpression:       aws.String("version = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(l.Version)},
		}}}
		kept := 0
		for _, k := range l.Keys() {
			owner, err := st.keyOwner(ctx, tenantID, k)
			if err != nil {
				return res, fmt.Errorf("purge lead %s: identity key: %w", leadID, err)
			}
			if owner != leadID {
				kept++ // gone, or taken by another lead: not ours to delete
				continue
			}
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{
				TableName: st.table, Key: key(identityPK(tenantID, k), skKey),
				ConditionExpression:       aws.String("lead_id = :id"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":id": s(leadID)},
			}})
		}
		keys := len(items) - 1
		items = append(items, st.sharedKeyWrites(tenantID, l, lead.Lead{ID: l.ID})...)
		items = append(items, st.counterItems(tenantID, &l, nil)...)
		if l.MergedInto == "" { // a merge's tombstone stopped counting at the merge
			items = append(items, st.loadItems(tenantID, l.ID, loadDelta(l, lead.Lead{}))...)
		}
		if len(items) > maxTxItems {
			return res, fmt.Errorf("purge lead %s: %d identity keys do not fit one transaction", leadID, keys)
		}
		reasons, err := st.transact(ctx, items)
		if err != nil {
			return res, fmt.Errorf("purge lead %s: %w", leadID, err)
		}
		if reasons == nil {
			res.Items, res.Keys, res.KeysKept = 1, keys, kept
			return st.finishPurge(ctx, tenantID, leadID, res, deleteFiles)
		}
		// The lead changed (restored, re-deleted) or a key moved since
		// the reads: read again. Anything else is worth an error only if
		// it is not transient.
		progress := false
		for i := range keys + 1 {
			progress = progress || failed(reasons, i)
		}
		if !progress {
			if err := retryable(reasons); err != nil {
				return res, fmt.Errorf("purge lead %s: %w", leadID, err)
			}
		}
		if attempt >= maxAttempts {
			return res, fmt.Errorf("purge lead %s after %d attempts: %w", leadID, attempt, ErrContention)
		}
		if err := backoff(ctx, attempt); err != nil {
			return res, fmt.Errorf("purge lead %s: %w", leadID, err)
		}
	}
}

// finishPurge deletes what is left of a lead whose META is gone: the
// items outside its partition that its items lead to, every item of its
// partition, the PURGE item last. deleteFiles (nil: no bucket) gets the
// attachment object keys before any item that names them goes. When META
// was already gone and there is no PURGE item, no purge is in progress
// and nothing is touched (a purge already finished, or a lead that never
// existed).
func (st *Store) finishPurge(ctx context.Context, tenantID, leadID string, res lead.PurgeResult, deleteFiles func(context.Context, []string) error) (lead.PurgeResult, error) {
	pk := leadPK(tenantID, leadID)
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: st.table, Key: key(pk, skPurge), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return res, fmt.Errorf("purge lead %s: %w", leadID, err)
	}
	entry := out.Item != nil
	if !entry && res.Items == 0 {
		res.Skipped = lead.PurgeSkippedGone
		return res, nil
	}
	if entry && res.DeletedAt.IsZero() {
		res.DeletedAt, _ = time.Parse(dueLayout, str(out.Item, "deleted_at"))
	}
	part, err := st.partitionItems(ctx, pk, AttrPK, AttrSK, "assignee_id") // what linkedKeys reads
	if err != nil {
		return res, fmt.Errorf("purge lead %s: %w", leadID, err)
	}
	var keys []ikey
	var interactions []string
	for _, it := range part {
		sk := str(it, AttrSK)
		if sk == skPurge {
			continue // last, below: it says a purge is in progress
		}
		res.Items++
		keys = append(keys, keyOf(it))
		keys = append(keys, linkedKeys(tenantID, leadID, it)...)
		if iid, ok := timelineID(sk); ok {
			interactions = append(interactions, iid)
		}
		if mid, ok := strings.CutPrefix(sk, skMerged); ok {
			// The merge's record keeps before images of the lead; its
			// undo window ended with the lead's restore window.
			items, err := st.partitionItems(ctx, mergePK(tenantID, mid), AttrPK, AttrSK)
			if err != nil {
				return res, fmt.Errorf("purge lead %s: merge %s: %w", leadID, mid, err)
			}
			for _, m := range items {
				keys = append(keys, keyOf(m))
			}
		}
	}
	ints, lookups, files, err := st.interactionsOf(ctx, tenantID, interactions, func(id string) bool { return id == leadID })
	if err != nil {
		return res, fmt.Errorf("purge lead %s: interactions: %w", leadID, err)
	}
	if len(files) > 0 && deleteFiles != nil {
		if err := deleteFiles(ctx, files); err != nil {
			return res, fmt.Errorf("purge lead %s: attachments: %w", leadID, err)
		}
	}
	for _, it := range ints {
		keys = append(keys, keyOf(it))
		if str(it, AttrSK) == skMeta {
			res.Interactions++
		}
	}
	keys = append(keys, lookups...)
	if err := st.deleteInOrder(ctx, tenantID, func(id string) bool { return id == leadID }, keys); err != nil {
		return res, fmt.Errorf("purge lead %s: %w", leadID, err)
	}
	if _, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: st.table, Key: key(pk, skPurge)}); err != nil {
		return res, fmt.Errorf("purge lead %s: purge entry: %w", leadID, err)
	}
	if entry {
		res.Items++
	}
	res.Purged, res.Skipped = true, ""
	return res, nil
}

// batchDelete deletes items by key 25 at a time (batchWrite).
func (st *Store) batchDelete(ctx context.Context, keys []map[string]types.AttributeValue) error {
	reqs := make([]types.WriteRequest, len(keys))
	for i, k := range keys {
		reqs[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}}
	}
	return st.batchWrite(ctx, "batch delete", reqs)
}
