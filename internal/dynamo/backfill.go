package dynamo

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/lead"
)

// Backfill of the list-index entries.
//
// Tables written before the keys-only, sharded entries (index.go) hold a
// full copy of each lead per entry, under SK IX#… and IXQ#…, in unsharded
// index partitions the lists no longer read. BackfillIndex walks the table
// once (a Scan: an admin job, never a request path), and for every lead
// writes the entries its META implies and deletes the old ones. Progress is
// an item of its own, saved after every Scan page, so a run that stops
// resumes where it was; every step is idempotent, so running it again
// changes nothing.
//
// The progress item is versioned by the entries' shape: v2 was keys-only
// sharded entries, v3 keeps the name and interaction orders only where
// index.go says and drops the neutral-sentiment and finished-ticket
// entries. A table a v2 run finished walks again under v3.
//
//	PK          SK             what
//	MIGRATION   INDEX#v3       backfill progress: last (Scan position), done, leads
const (
	pkMigration      = "MIGRATION"
	skIndexMigration = "INDEX#v3"

	oldIndexFrom = "IX#" // old entries: IX#<kind>#<v> and IXQ#<token>
	oldIndexTo   = "IXR"
)

// BackfillOptions tunes a backfill run.
type BackfillOptions struct {
	PageSize int  // items per Scan page (default 500)
	MaxPages int  // stop after this many pages, progress saved (0: no limit)
	Restart  bool // ignore saved progress and walk the whole table again
}

// BackfillResult says what a run did.
type BackfillResult struct {
	Leads   int  // leads whose entries were checked in this run
	Changed int  // leads whose entries were rewritten
	Done    bool // the whole table is backfilled
}

// IndexBackfillDone reports whether a completed backfill is recorded.
func (st *Store) IndexBackfillDone(ctx context.Context) (bool, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: st.table, Key: key(pkMigration, skIndexMigration), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return false, fmt.Errorf("backfill progress: %w", err)
	}
	done, _ := out.Item["done"].(*types.AttributeValueMemberBOOL)
	return done != nil && done.Value, nil
}

// BackfillIndex rewrites every lead's list-index entries to the current
// shape, resuming from saved progress unless o.Restart.
func (st *Store) BackfillIndex(ctx context.Context, o BackfillOptions) (BackfillResult, error) {
	var res BackfillResult
	if o.PageSize <= 0 {
		o.PageSize = 500
	}
	var start map[string]types.AttributeValue
	if !o.Restart {
		out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: st.table, Key: key(pkMigration, skIndexMigration), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return res, fmt.Errorf("backfill progress: %w", err)
		}
		if done, _ := out.Item["done"].(*types.AttributeValueMemberBOOL); done != nil && done.Value {
			res.Done = true
			return res, nil
		}
		if last, ok := out.Item["last"].(*types.AttributeValueMemberM); ok {
			start = last.Value
		}
	}
	in := &dynamodb.ScanInput{
		TableName:                 st.table,
		FilterExpression:          aws.String("SK = :meta"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":meta": s(skMeta)},
		Limit:                     aws.Int32(int32(o.PageSize)),
		ExclusiveStartKey:         start,
	}
	for pages := 0; o.MaxPages == 0 || pages < o.MaxPages; pages++ {
		out, err := st.db.Scan(ctx, in)
		if err != nil {
			return res, fmt.Errorf("backfill scan: %w", err)
		}
		for _, it := range out.Items {
			if !strings.Contains(str(it, AttrPK), "#LEAD#") {
				continue
			}
			changed, err := st.backfillLead(ctx, it)
			if err != nil {
				return res, err
			}
			res.Leads++
			if changed {
				res.Changed++
			}
		}
		progress := map[string]types.AttributeValue{AttrPK: s(pkMigration), AttrSK: s(skIndexMigration)}
		if len(out.LastEvaluatedKey) == 0 {
			progress["done"] = &types.AttributeValueMemberBOOL{Value: true}
		} else {
			progress["last"] = &types.AttributeValueMemberM{Value: out.LastEvaluatedKey}
		}
		if _, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: st.table, Item: progress}); err != nil {
			return res, fmt.Errorf("backfill progress: %w", err)
		}
		if len(out.LastEvaluatedKey) == 0 {
			res.Done = true
			return res, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	return res, nil
}

// backfillLead brings one lead's entries to what its META implies: the
// missing or different ones are written in a transaction conditioned on
// the lead's version (a concurrent change wins; the lead is read again),
// then entries of the old shape and unwanted ones are deleted.
func (st *Store) backfillLead(ctx context.Context, meta map[string]types.AttributeValue) (bool, error) {
	pk := str(meta, AttrPK)
	for attempt := 1; ; attempt++ {
		var l lead.Lead
		if err := unmarshal(meta, &l); err != nil {
			return false, fmt.Errorf("backfill %s: %w", pk, err)
		}
		l.TenantID = strings.TrimPrefix(pk[:strings.Index(pk, "#LEAD#")], "T#")
		want := indexEntries(l)
		have, old, err := st.entriesOf(ctx, pk)
		if err != nil {
			return false, fmt.Errorf("backfill %s: %w", pk, err)
		}
		var puts []types.TransactWriteItem
		for _, sk := range slices.Sorted(maps.Keys(want)) {
			if h, ok := have[sk]; !ok || !sameEntry(h, want[sk]) {
				puts = append(puts, types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: want[sk]}})
			}
		}
		var dels []types.WriteRequest
		for _, sk := range append(old, slices.Sorted(maps.Keys(have))...) {
			if _, ok := want[sk]; !ok {
				dels = append(dels, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(pk, sk)}})
			}
		}
		if len(puts) > 0 {
			// The version check keeps a change made meanwhile: it wrote its
			// own entries, in its own transaction.
			tx := append([]types.TransactWriteItem{{ConditionCheck: &types.ConditionCheck{
				TableName: st.table, Key: key(pk, skMeta),
				ConditionExpression:       aws.String("version = :v"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(l.Version)},
			}}}, puts...)
			reasons, err := st.transact(ctx, tx)
			if err != nil {
				return false, fmt.Errorf("backfill %s: %w", pk, err)
			}
			if reasons != nil {
				if attempt >= maxAttempts {
					return false, fmt.Errorf("backfill %s: %w", pk, ErrContention)
				}
				got, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: st.table, Key: key(pk, skMeta), ConsistentRead: aws.Bool(true)})
				if err != nil {
					return false, fmt.Errorf("backfill %s: %w", pk, err)
				}
				if len(got.Item) == 0 {
					return false, nil // purged meanwhile
				}
				meta = got.Item
				continue
			}
		}
		if err := st.batchWrite(ctx, "backfill "+pk, dels); err != nil {
			return false, err
		}
		return len(puts)+len(dels) > 0, nil
	}
}

// entriesOf reads a lead's index entries: the current shape by SK, and the
// SKs of old-shape ones.
func (st *Store) entriesOf(ctx context.Context, pk string) (map[string]map[string]types.AttributeValue, []string, error) {
	have := map[string]map[string]types.AttributeValue{}
	var old []string
	for _, cond := range []struct {
		expr string
		vals map[string]types.AttributeValue
	}{
		{"PK = :pk AND SK >= :from", map[string]types.AttributeValue{":pk": s(pk), ":from": s(skEntries)}},
		{"PK = :pk AND SK BETWEEN :from AND :to", map[string]types.AttributeValue{":pk": s(pk), ":from": s(oldIndexFrom), ":to": s(oldIndexTo)}},
	} {
		in := &dynamodb.QueryInput{TableName: st.table, KeyConditionExpression: aws.String(cond.expr), ExpressionAttributeValues: cond.vals, ConsistentRead: aws.Bool(true)}
		for {
			out, err := st.db.Query(ctx, in)
			if err != nil {
				return nil, nil, err
			}
			for _, it := range out.Items {
				sk := str(it, AttrSK)
				switch {
				case strings.HasPrefix(sk, skEntries):
					have[sk] = it
				case strings.HasPrefix(sk, "IX#"), strings.HasPrefix(sk, "IXQ#"):
					old = append(old, sk)
				}
			}
			if len(out.LastEvaluatedKey) == 0 {
				break
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	return have, old, nil
}
