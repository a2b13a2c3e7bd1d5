package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/lead"
)

// SeedLeads bulk-loads leads with their list-index items, BatchWriteItem
// 25 at a time, bypassing capture: no identity keys, no history. It exists
// for benchmarks that need 100k leads in minutes; never for real data.
func (st *Store) SeedLeads(ctx context.Context, leads []lead.Lead) error {
	var items []map[string]types.AttributeValue
	for _, l := range leads {
		meta, err := leadItem(l)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		items = append(items, meta)
		ix, err := st.indexWrites(nil, l)
		if err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		for _, w := range ix {
			items = append(items, w.Put.Item)
		}
	}
	return st.batchPut(ctx, items)
}
