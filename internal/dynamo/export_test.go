package dynamo

import (
	"context"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

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
