package dynamo

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/lead"
)

// readBudget bounds the index items one list request reads. A filter the
// chosen index cannot answer may need more; the page then comes back short
// with a cursor to continue, so a request's cost never grows with the table.
func readBudget(limit int) int { return max(10*limit, 500) }

// maxRune sorts after every other UTF-8 sequence: p+maxRune bounds the keys
// that start with p.
const maxRune = "\U0010FFFF"

// plan is how one list query reads: which index partitions (one per
// shard), in which order.
type plan struct {
	index, pkAttr, skAttr string
	pks                   []string
	forward               bool
	keyCond               string // over :pk and the values below
	values                map[string]types.AttributeValue
	search                string // search prefix when reading the token index
}

// selectivity lists indexed filters, most selective first: the list reads
// the first one present and checks the others on each item.
var selectivity = []struct {
	kind  string
	value func(lead.Filter) string
	clear func(*lead.Filter) // empties the field (Count: is the filter decided by the index alone?)
}{
	{"tag", func(f lead.Filter) string { return lead.NormalizeTag(f.Tag) }, func(f *lead.Filter) { f.Tag = "" }},
	{"group", func(f lead.Filter) string { return f.Group }, func(f *lead.Filter) { f.Group = "" }},
	{"campaign", func(f lead.Filter) string { return lead.Fold(f.Campaign) }, func(f *lead.Filter) { f.Campaign = "" }},
	{"owner", func(f lead.Filter) string {
		if f.Owner == lead.OwnerUnassigned {
			return "-"
		}
		return f.Owner
	}, func(f *lead.Filter) { f.Owner = "" }},
	{"site", func(f lead.Filter) string { return f.Site }, func(f *lead.Filter) { f.Site = "" }},
	{"class", func(f lead.Filter) string { return string(f.Classification) }, func(f *lead.Filter) { f.Classification = "" }},
	{"source", func(f lead.Filter) string { return lead.Fold(f.Source) }, func(f *lead.Filter) { f.Source = "" }},
	{"medium", func(f lead.Filter) string { return lead.Fold(f.Medium) }, func(f *lead.Filter) { f.Medium = "" }},
	{"state", func(f lead.Filter) string { return string(f.State) }, func(f *lead.Filter) { f.State = "" }},
	{"entry", func(f lead.Filter) string { return string(f.EntryMethod) }, func(f *lead.Filter) { f.EntryMethod = "" }},
	{"ticket", func(f lead.Filter) string { return f.TicketStatus }, func(f *lead.Filter) { f.TicketStatus = "" }},
	{"sentiment", func(f lead.Filter) string { return f.Sentiment }, func(f *lead.Filter) { f.Sentiment = "" }},
}

func planFor(tenant string, q lead.Query) plan {
	f := q.Filter
	if p := lead.SearchPrefix(f.Q); p != "" {
		return plan{
			index: IndexGSI3, pkAttr: AttrGSI3PK, skAttr: AttrGSI3SK, pks: searchPKs(tenant, p), forward: true,
			// BETWEEN rather than begins_with: the same items, but DynamoDB
			// Local answers begins_with by reading the whole partition
			// (latency grew 6× from 10k to 100k leads); a range is a seek.
			keyCond: "#pk = :pk AND #sk BETWEEN :p AND :hi",
			values:  map[string]types.AttributeValue{":p": s(p), ":hi": s(p + maxRune)},
			search:  p,
		}
	}
	pl := plan{keyCond: "#pk = :pk", values: map[string]types.AttributeValue{}}
	switch q.SortOrDefault() {
	case lead.SortNewest, lead.SortOldest:
		pl.index, pl.pkAttr, pl.skAttr = IndexGSI3, AttrGSI3PK, AttrGSI3SK
		pl.forward = q.SortOrDefault() == lead.SortOldest
		// The created range is part of the key condition.
		lo, hi := "", "\xff"
		if f.CreatedFrom != nil {
			lo = f.CreatedFrom.UTC().Format(createdLayout)
		}
		if f.CreatedTo != nil {
			hi = f.CreatedTo.UTC().Format(createdLayout)
		}
		if lo != "" || hi != "\xff" {
			pl.keyCond += " AND #sk BETWEEN :lo AND :hi"
			pl.values[":lo"], pl.values[":hi"] = s(lo), s(hi)
		}
	case lead.SortName:
		pl.index, pl.pkAttr, pl.skAttr, pl.forward = IndexGSI4, AttrGSI4PK, AttrGSI4SK, true
	case lead.SortMostInteractions, lead.SortOccurrencesDesc:
		pl.index, pl.pkAttr, pl.skAttr, pl.forward = IndexGSI5, AttrGSI5PK, AttrGSI5SK, false
	case lead.SortLeastInteractions, lead.SortOccurrences:
		pl.index, pl.pkAttr, pl.skAttr, pl.forward = IndexGSI5, AttrGSI5PK, AttrGSI5SK, true
	}
	// The most selective filter with a partition in that order: only some
	// partitions are in the interaction order (index.go).
	k := "all"
	for _, sel := range selectivity {
		if v := sel.value(f); indexed(sel.kind, v) && (pl.index != IndexGSI5 || inInteractionOrder(sel.kind)) {
			k = sel.kind + "#" + v
			break
		}
	}
	pl.pks = ixPKs(tenant, k)
	return pl
}

// listCursor is where a page stopped in each shard: the last entry it
// consumed there (empty: not started), or done. Plus a hash of tenant and
// query, so a cursor only continues the list it came from.
type listCursor struct {
	S []shardPos `json:"s"`
	H string     `json:"h"`
}

type shardPos struct {
	PK   string `json:"p,omitempty"`
	SK   string `json:"s,omitempty"`
	ISK  string `json:"is,omitempty"`
	Done bool   `json:"d,omitempty"`
}

func queryHash(tenant string, q lead.Query) string {
	b, _ := json.Marshal(struct {
		T string
		Q lead.Query
		S lead.Sort
	}{tenant, q, q.SortOrDefault()})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func badCursor() error {
	e := &lead.InvalidError{}
	e.Add("cursor", "invalid", "cursor is malformed or belongs to another list")
	return e
}

func (pl plan) encodeCursor(tenant string, q lead.Query, pos []shardPos) string {
	b, _ := json.Marshal(listCursor{S: pos, H: queryHash(tenant, q)})
	return base64.RawURLEncoding.EncodeToString(b)
}

func (pl plan) decodeCursor(tenant string, q lead.Query, c string) ([]shardPos, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, badCursor()
	}
	var cur listCursor
	if err := json.Unmarshal(b, &cur); err != nil || cur.H != queryHash(tenant, q) || len(cur.S) != len(pl.pks) {
		return nil, badCursor()
	}
	for _, p := range cur.S {
		if p.Done || p.PK == "" && p.SK == "" && p.ISK == "" {
			continue
		}
		if !strings.HasPrefix(p.PK, "T#"+tenant+"#LEAD#") || p.ISK == "" || !strings.HasPrefix(p.SK, skEntries) {
			return nil, badCursor()
		}
	}
	return cur.S, nil
}

// ListStats says what a list request cost: index entries read, rows
// returned, Queries issued and lead items fetched by BatchGetItem.
type ListStats struct {
	Read, Returned, Queries, Fetched int
}

// List returns one page of a tenant's leads matching q, in q's order.
// Reads are Query on one index partition per shard (GetItem for a CPF
// filter), at most readBudget(limit) entries, and the rows' lead items.
func (st *Store) List(ctx context.Context, tenantID string, q lead.Query, cursor string, limit int) (lead.Page[lead.Lead], error) {
	p, _, err := st.ListWithStats(ctx, tenantID, q, cursor, limit)
	return p, err
}

// ListWithStats is List reporting how many items it read (benchmarks).
func (st *Store) ListWithStats(ctx context.Context, tenantID string, q lead.Query, cursor string, limit int) (lead.Page[lead.Lead], ListStats, error) {
	var stats ListStats
	if limit <= 0 {
		limit = defaultPageSize
	}
	limit = min(limit, maxPageSize)
	if err := q.Validate(); err != nil {
		return lead.Page[lead.Lead]{}, stats, err
	}
	if q.Filter.CPF != "" {
		p, err := st.listByCPF(ctx, tenantID, q, cursor, &stats)
		return p, stats, err
	}
	pl := planFor(tenantID, q)
	pos := make([]shardPos, len(pl.pks))
	if cursor != "" {
		var err error
		if pos, err = pl.decodeCursor(tenantID, q, cursor); err != nil {
			return lead.Page[lead.Lead]{}, stats, err
		}
	}
	page := lead.Page[lead.Lead]{Items: []lead.Lead{}}
	m := st.newMerger(tenantID, pl, pl.forward, pos, limit+1, readBudget(limit), &stats)
	full, err := st.scan(ctx, tenantID, pl, q, m, limit+1, func(l lead.Lead) bool {
		if len(page.Items) == limit {
			return false // one more match exists: the page has a next one
		}
		page.Items = append(page.Items, l)
		return true
	})
	if err != nil {
		return lead.Page[lead.Lead]{}, stats, fmt.Errorf("list leads: %w", err)
	}
	if full || !m.exhausted() {
		// A next match exists, or the read budget ran out: continue after
		// the last entry consumed.
		page.NextCursor = pl.encodeCursor(tenantID, q, m.positions())
	}
	stats.Returned = len(page.Items)
	return page, stats, nil
}

// scan reads entries from m in order, fetches their leads in chunks of at
// most chunk and calls yield with every matching lead, marking the entry
// consumed when yield accepts it (or when it does not match). It returns
// true when yield refused a lead (the entries from that one on stay
// unconsumed), false when m ran out.
func (st *Store) scan(ctx context.Context, tenantID string, pl plan, q lead.Query, m *merger, chunk int,
	yield func(lead.Lead) bool) (bool, error) {
	for {
		var batch []entry
		m.want = chunk
		for len(batch) < chunk {
			e, ok, err := m.next(ctx)
			if err != nil {
				return false, err
			}
			if !ok {
				break
			}
			batch = append(batch, e)
		}
		if len(batch) == 0 {
			return false, nil
		}
		leads, err := st.fetchLeads(ctx, tenantID, batch, m.stats)
		if err != nil {
			return false, err
		}
		for _, e := range batch {
			l, ok := leads[str(e.item, AttrPK)]
			if ok {
				ok = q.Filter.Matches(l)
			}
			if ok && pl.search != "" {
				// One entry per lead: the one of its first matching token.
				ok = skSearch+lead.FirstSearchToken(l, pl.search) == str(e.item, AttrSK)
			}
			if ok && !yield(l) {
				return true, nil
			}
			m.consume(e)
		}
		chunk = min(2*chunk, 100)
	}
}

// fetchLeads reads the lead items of entries with BatchGetItem (eventually
// consistent, like the index itself), by lead partition key. Leads gone
// since the entry was read are missing.
func (st *Store) fetchLeads(ctx context.Context, tenantID string, es []entry, stats *ListStats) (map[string]lead.Lead, error) {
	out := map[string]lead.Lead{}
	var keys []map[string]types.AttributeValue
	seen := map[string]bool{}
	for _, e := range es {
		pk := str(e.item, AttrPK)
		if !seen[pk] {
			seen[pk] = true
			keys = append(keys, key(pk, skMeta))
		}
	}
	for len(keys) > 0 {
		n := min(len(keys), 100)
		req := map[string]types.KeysAndAttributes{*st.table: {Keys: keys[:n]}}
		keys = keys[n:]
		for len(req) > 0 {
			res, err := st.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, err
			}
			for _, it := range res.Responses[*st.table] {
				var l lead.Lead
				if err := unmarshal(it, &l); err != nil {
					return nil, err
				}
				l.TenantID = tenantID
				out[str(it, AttrPK)] = l
				stats.Fetched++
			}
			req = res.UnprocessedKeys
			if len(req) > 0 {
				if err := backoff(ctx, 1); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// queryInput is the Query of pl's partition pk from start in the given
// direction.
func (st *Store) queryInput(pl plan, pk string, start map[string]types.AttributeValue, forward bool) *dynamodb.QueryInput {
	values := maps.Clone(pl.values)
	values[":pk"] = s(pk)
	in := &dynamodb.QueryInput{
		TableName:                 st.table,
		IndexName:                 aws.String(pl.index),
		KeyConditionExpression:    aws.String(pl.keyCond),
		ExpressionAttributeNames:  map[string]string{"#pk": pl.pkAttr},
		ExpressionAttributeValues: values,
		ScanIndexForward:          aws.Bool(forward),
		ExclusiveStartKey:         start,
	}
	if strings.Contains(pl.keyCond, "#sk") {
		in.ExpressionAttributeNames["#sk"] = pl.skAttr
	}
	return in
}

// entry is one index entry read from shard.
type entry struct {
	shard int
	item  map[string]types.AttributeValue
}

// shardStream is the read position in one shard.
type shardStream struct {
	in       *dynamodb.QueryInput
	buf      []map[string]types.AttributeValue
	done     bool     // nothing left to query
	pos      shardPos // the last entry consumed
	inFlight int      // entries handed out, not yet consumed
}

// merger reads the shards of a plan in parallel and hands out their
// entries merged in index order. Each shard is queried for its share of
// what the reader still wants, and again only when its buffer runs dry, so
// a page reads about one entry per shard more than it returns.
type merger struct {
	st      *Store
	pl      plan
	forward bool
	streams []*shardStream
	budget  int
	want    int // entries the reader still wants (set by scan)
	stats   *ListStats
}

func (st *Store) newMerger(tenantID string, pl plan, forward bool, pos []shardPos, want, budget int, stats *ListStats) *merger {
	m := &merger{st: st, pl: pl, forward: forward, budget: budget, want: want, stats: stats}
	for i, pk := range pl.pks {
		var start map[string]types.AttributeValue
		if p := pos[i]; !p.Done && p.PK != "" {
			start = map[string]types.AttributeValue{AttrPK: s(p.PK), AttrSK: s(p.SK), pl.pkAttr: s(pk), pl.skAttr: s(p.ISK)}
		}
		m.streams = append(m.streams, &shardStream{in: st.queryInput(pl, pk, start, forward), done: pos[i].Done, pos: pos[i]})
	}
	return m
}

// fill queries, in parallel, every shard whose buffer is empty.
func (m *merger) fill(ctx context.Context) error {
	var need []*shardStream
	for _, sh := range m.streams {
		if len(sh.buf) == 0 && !sh.done {
			need = append(need, sh)
		}
	}
	if len(need) == 0 || m.stats.Read >= m.budget {
		return nil
	}
	left := m.budget - m.stats.Read
	// Each shard's share of what is still wanted beyond what the other
	// shards hold already: a shard that runs dry first is asked for its
	// next entries, not for another even share.
	buffered := 0
	for _, sh := range m.streams {
		buffered += len(sh.buf)
	}
	ask := max(m.want-buffered, 1)
	ask = min((ask+len(need)-1)/len(need), 400)
	errs := make([]error, len(need))
	outs := make([]*dynamodb.QueryOutput, len(need))
	var wg sync.WaitGroup
	for i, sh := range need {
		sh.in.Limit = aws.Int32(int32(max(1, min(ask, left))))
		wg.Go(func() { outs[i], errs[i] = m.st.db.Query(ctx, sh.in) })
	}
	wg.Wait()
	for i, sh := range need {
		if errs[i] != nil {
			return errs[i]
		}
		m.stats.Queries++
		m.stats.Read += len(outs[i].Items)
		sh.buf = outs[i].Items
		if len(outs[i].LastEvaluatedKey) == 0 {
			sh.done = true
		}
		sh.in.ExclusiveStartKey = outs[i].LastEvaluatedKey
	}
	return nil
}

// next hands out the next entry in index order; false when every shard is
// exhausted or the read budget is spent.
func (m *merger) next(ctx context.Context) (entry, bool, error) {
	if err := m.fill(ctx); err != nil {
		return entry{}, false, err
	}
	best := -1
	for i, sh := range m.streams {
		if len(sh.buf) == 0 {
			if !sh.done {
				return entry{}, false, nil // budget spent: this shard's next is unknown
			}
			continue
		}
		if best < 0 || m.before(sh.buf[0], m.streams[best].buf[0]) {
			best = i
		}
	}
	if best < 0 {
		return entry{}, false, nil
	}
	sh := m.streams[best]
	m.want--
	it := sh.buf[0]
	sh.buf = sh.buf[1:]
	sh.inFlight++
	return entry{shard: best, item: it}, true, nil
}

// before reports whether a comes before b in the read order.
func (m *merger) before(a, b map[string]types.AttributeValue) bool {
	ka, kb := str(a, m.pl.skAttr)+"\x00"+str(a, AttrPK), str(b, m.pl.skAttr)+"\x00"+str(b, AttrPK)
	if m.forward {
		return ka < kb
	}
	return ka > kb
}

// consume marks e read past: a cursor continues after it.
func (m *merger) consume(e entry) {
	sh := m.streams[e.shard]
	sh.inFlight--
	sh.pos = shardPos{PK: str(e.item, AttrPK), SK: str(e.item, AttrSK), ISK: str(e.item, m.pl.skAttr)}
}

// positions is where a cursor continues: after the last entry consumed in
// each shard; done where the shard is read to its end.
func (m *merger) positions() []shardPos {
	out := make([]shardPos, len(m.streams))
	for i, sh := range m.streams {
		out[i] = sh.pos
		if sh.done && len(sh.buf) == 0 && sh.inFlight == 0 {
			out[i] = shardPos{Done: true}
		}
	}
	return out
}

// exhausted reports whether every shard was read to its end and every
// entry consumed.
func (m *merger) exhausted() bool {
	for _, sh := range m.streams {
		if !sh.done || len(sh.buf) > 0 || sh.inFlight > 0 {
			return false
		}
	}
	return true
}

// listByCPF answers a CPF/CNPJ filter from the identity key: one GetItem
// for the key, one for the lead.
func (st *Store) listByCPF(ctx context.Context, tenantID string, q lead.Query, cursor string, stats *ListStats) (lead.Page[lead.Lead], error) {
	page := lead.Page[lead.Lead]{Items: []lead.Lead{}}
	if cursor != "" {
		return page, badCursor() // a CPF list has one page
	}
	owner, err := st.keyOwner(ctx, tenantID, lead.IdentityKey{Kind: "cpf", Value: q.Filter.CPF})
	stats.Read++
	if err != nil || owner == "" {
		return page, err
	}
	l, err := st.getLead(ctx, tenantID, owner)
	stats.Read++
	if err != nil {
		if errorsIsNotFound(err) {
			return page, nil
		}
		return page, err
	}
	if q.Filter.Matches(l) {
		page.Items = append(page.Items, l)
	}
	stats.Returned = len(page.Items)
	return page, nil
}

// Neighbors returns the ids before and after leadID in the list q ("" at
// an edge, or when none is found within the read budget).
func (st *Store) Neighbors(ctx context.Context, tenantID, leadID string, q lead.Query) (prev, next string, err error) {
	if err := q.Validate(); err != nil {
		return "", "", err
	}
	l, err := st.getLead(ctx, tenantID, leadID)
	if err == nil && l.DeletedAt != nil {
		err = lead.ErrNotFound
	}
	if err != nil {
		return "", "", fmt.Errorf("lead neighbors %s: %w", leadID, err)
	}
	if q.Filter.CPF != "" {
		return "", "", nil // at most one lead
	}
	pl := planFor(tenantID, q)
	// The lead's own position in the index read, whether or not it matches:
	// the same in every shard.
	at := shardPos{PK: leadPK(tenantID, l.ID)}
	switch {
	case pl.search != "":
		tok := lead.FirstSearchToken(l, pl.search)
		if tok == "" {
			tok = pl.search
		}
		at.SK, at.ISK = skSearch+tok, tok+"#"+l.ID
	default:
		switch pl.index {
		case IndexGSI3:
			at.ISK = createdKey(l)
		case IndexGSI4:
			at.ISK = nameKey(l)
		default:
			at.ISK = interactionsKey(l)
		}
		at.SK = skIndex + strings.TrimSuffix(strings.TrimPrefix(pl.pks[0], "T#"+tenantID+"#IX#"), "#0")
	}
	find := func(forward bool) (string, error) {
		var found string
		var stats ListStats
		pos := make([]shardPos, len(pl.pks))
		for i := range pos {
			pos[i] = at
		}
		m := st.newMerger(tenantID, pl, forward, pos, 2, readBudget(maxPageSize), &stats)
		_, err := st.scan(ctx, tenantID, pl, q, m, 2, func(n lead.Lead) bool {
			if n.ID != l.ID {
				found = n.ID
				return false
			}
			return true
		})
		return found, err
	}
	if next, err = find(pl.forward); err != nil {
		return "", "", fmt.Errorf("lead neighbors %s: %w", leadID, err)
	}
	if prev, err = find(!pl.forward); err != nil {
		return "", "", fmt.Errorf("lead neighbors %s: %w", leadID, err)
	}
	return prev, next, nil
}
