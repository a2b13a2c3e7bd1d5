package dynamo

import (
	"context"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/lead"
)

// FirstListQuery is the first Query a list request for q issues (on its
// first shard), for
// benchmarks that time the same read on the raw client.
func FirstListQuery(st *Store, tenantID string, q lead.Query, limit int) *dynamodb.QueryInput {
	pl := planFor(tenantID, q)
	in := st.queryInput(pl, pl.pks[0], nil, pl.forward)
	in.Limit = aws.Int32(int32((limit+1)/len(pl.pks) + 1))
	return in
}

// AttrShardOf is a lead's attribution counter shard, for tests.
func AttrShardOf(leadID string) string { return strconv.Itoa(attrShard(leadID)) }

// LoadShards is how many partitions hold a user's open-lead count, for tests.
func LoadShards(ctx context.Context, st *Store, tenant, user string) (int, error) {
	n := 0
	for shard := range loadShards {
		out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: st.table, Key: key(loadPK(tenant, shard), skLoad+user), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return 0, err
		}
		if len(out.Item) > 0 {
			n++
		}
	}
	return n, nil
}

// WriteOldShapeIndex replaces a lead's index entries with those a table
// written before the keys-only, sharded entries holds: a full copy of the
// lead per entry, in unsharded partitions (what BackfillIndex upgrades).
func WriteOldShapeIndex(ctx context.Context, st *Store, l lead.Lead) error {
	pk := leadPK(l.TenantID, l.ID)
	var reqs []types.WriteRequest
	for sk := range indexEntries(l) {
		reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(pk, sk)}})
	}
	all := "T#" + l.TenantID + "#IX#"
	for _, k := range indexKeys(l) {
		it, err := item(l, pk, "IX#"+k, AttrGSI3PK, all+k, AttrGSI3SK, createdKey(l), AttrGSI4PK, all+k, AttrGSI4SK, nameKey(l),
			AttrGSI5PK, all+k, AttrGSI5SK, interactionsKey(l), "tenant_id", l.TenantID)
		if err != nil {
			return err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
	}
	for _, t := range searchKeys(l) {
		it, err := item(l, pk, "IXQ#"+t, AttrGSI3PK, "T#"+l.TenantID+"#Q", AttrGSI3SK, t+"#"+l.ID, "tok", t, "tenant_id", l.TenantID)
		if err != nil {
			return err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
	}
	return st.batchWrite(ctx, "old-shape index", reqs)
}

// WriteV2ShapeIndex gives a lead the entries of the v2 shape (keys-only,
// sharded, every entry in all three orders, neutral-sentiment and
// finished-ticket entries included): what BackfillIndex's v3 upgrades.
func WriteV2ShapeIndex(ctx context.Context, st *Store, l lead.Lead) error {
	pk, shard := leadPK(l.TenantID, l.ID), ixShard(l.ID)
	keys := indexKeys(l)
	if d := l.Occurrences.Dominant(); d == lead.PolarityNeutral {
		keys = append(keys, "sentiment#"+d)
	}
	if l.Tickets.Finished > 0 {
		keys = append(keys, "ticket#"+lead.TicketFinished)
	}
	var reqs []types.WriteRequest
	for _, k := range keys {
		ipk := s(ixPK(l.TenantID, k, shard))
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
			AttrPK: s(pk), AttrSK: s(skIndex + k),
			AttrGSI3PK: ipk, AttrGSI3SK: s(createdKey(l)), AttrGSI4PK: ipk, AttrGSI4SK: s(nameKey(l)),
			AttrGSI5PK: ipk, AttrGSI5SK: s(interactionsKey(l)),
		}}})
	}
	return st.batchWrite(ctx, "v2-shape index", reqs)
}

// IndexEntriesCurrent reports whether a lead's stored entries are exactly
// the ones its META implies now.
func IndexEntriesCurrent(ctx context.Context, st *Store, l lead.Lead) (bool, error) {
	have, old, err := st.entriesOf(ctx, leadPK(l.TenantID, l.ID))
	if err != nil || len(old) > 0 {
		return false, err
	}
	want := indexEntries(l)
	if len(have) != len(want) {
		return false, nil
	}
	for sk, e := range want {
		if h, ok := have[sk]; !ok || !sameEntry(h, e) {
			return false, nil
		}
	}
	return true, nil
}
