package dynamo

import (
	"context"
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/lead"
)

// Count counts the leads matching f, up to limit: exact is false when
// more match. A filter the list index decides alone — no filter, or one
// indexed filter (state, owner, tag, …), with or without a created range —
// is counted from the index entries of its partition's shards with
// Select=COUNT: entries are keys only, so a read unit counts dozens of
// leads. Any other filter reads candidate rows as a list page does.
func (st *Store) Count(ctx context.Context, tenantID string, f lead.Filter, limit int) (n int, exact bool, err error) {
	q := lead.Query{Filter: f, Sort: lead.SortNewest} // the created range is then part of the key condition
	if err := q.Validate(); err != nil {
		return 0, false, err
	}
	if limit <= 0 {
		limit = lead.CountLimit
	}
	pl := planFor(tenantID, q)
	if f.CPF == "" && pl.search == "" && indexDecides(f) {
		n, err := st.countEntries(ctx, pl, limit)
		if err != nil {
			return 0, false, fmt.Errorf("count leads: %w", err)
		}
		return min(n, limit), n <= limit, nil
	}
	var stats ListStats
	if f.CPF != "" { // at most a handful of leads hold one CPF
		page, err := st.listByCPF(ctx, tenantID, q, "", &stats)
		return len(page.Items), page.NextCursor == "", err
	}
	m := st.newMerger(tenantID, pl, pl.forward, make([]shardPos, len(pl.pks)), limit+1, 10*limit, &stats)
	full, err := st.scan(ctx, tenantID, pl, q, m, 100, func(lead.Lead) bool {
		if n == limit {
			return false
		}
		n++
		return true
	})
	if err != nil {
		return 0, false, fmt.Errorf("count leads: %w", err)
	}
	return n, !full && m.exhausted(), nil
}

// indexDecides reports whether the index partition planFor picks, with
// the created range of its key condition, holds exactly the leads f
// matches: f sets at most one indexed field and nothing else.
func indexDecides(f lead.Filter) bool {
	f.CreatedFrom, f.CreatedTo = nil, nil
	for _, sel := range selectivity {
		if indexed(sel.kind, sel.value(f)) {
			sel.clear(&f)
			break
		}
	}
	return reflect.ValueOf(f).IsZero()
}

// countEntries counts pl's entries over every shard, stopping past limit.
func (st *Store) countEntries(ctx context.Context, pl plan, limit int) (int, error) {
	n := 0
	for _, pk := range pl.pks {
		in := st.queryInput(pl, pk, nil, true)
		in.Select = types.SelectCount
		for p := dynamodb.NewQueryPaginator(st.db, in); p.HasMorePages() && n <= limit; {
			out, err := p.NextPage(ctx)
			if err != nil {
				return 0, err
			}
			n += int(out.Count)
		}
	}
	return n, nil
}
