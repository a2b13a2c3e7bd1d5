package dynamo

import (
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/leadflow/leadflow/internal/lead"
)

// FirstListQuery is the first Query a list request for q issues, for
// benchmarks that time the same read on the raw client.
func FirstListQuery(st *Store, tenantID string, q lead.Query, limit int) *dynamodb.QueryInput {
	pl := planFor(tenantID, q)
	in := st.queryInput(pl, nil, pl.forward)
	in.Limit = aws.Int32(int32(limit + 1))
	return in
}

// AttrShardOf is a lead's attribution counter shard, for tests.
func AttrShardOf(leadID string) string { return strconv.Itoa(attrShard(leadID)) }
