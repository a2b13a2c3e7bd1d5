package dynamo

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

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

// plan is how one list query reads: which index partition, in which order.
type plan struct {
	index, pkAttr, skAttr, pk string
	forward                   bool
	keyCond                   string
	values                    map[string]types.AttributeValue
	search                    string // search prefix when reading the token index
}

// selectivity lists indexed filters, most selective first: the list reads
// the first one present and checks the others on each item.
var selectivity = []struct {
	kind  string
	value func(lead.Filter) string
}{
	{"tag", func(f lead.Filter) string { return lead.NormalizeTag(f.Tag) }},
	{"group", func(f lead.Filter) string { return f.Group }},
	{"campaign", func(f lead.Filter) string { return lead.Fold(f.Campaign) }},
	{"owner", func(f lead.Filter) string {
		if f.Owner == lead.OwnerUnassigned {
			return "-"
		}
		return f.Owner
	}},
	{"site", func(f lead.Filter) string { return f.Site }},
	{"class", func(f lead.Filter) string { return string(f.Classification) }},
	{"source", func(f lead.Filter) string { return lead.Fold(f.Source) }},
	{"medium", func(f lead.Filter) string { return lead.Fold(f.Medium) }},
	{"state", func(f lead.Filter) string { return string(f.State) }},
	{"entry", func(f lead.Filter) string { return string(f.EntryMethod) }},
	{"ticket", func(f lead.Filter) string { return f.TicketStatus }},
	{"sentiment", func(f lead.Filter) string { return f.Sentiment }},
}

func planFor(tenant string, q lead.Query) plan {
	f := q.Filter
	if p := lead.SearchPrefix(f.Q); p != "" {
		return plan{
			index: IndexGSI3, pkAttr: AttrGSI3PK, skAttr: AttrGSI3SK, pk: searchPK(tenant), forward: true,
			// BETWEEN rather than begins_with: the same items, but DynamoDB
			// Local answers begins_with by reading the whole partition
			// (latency grew 6× from 10k to 100k leads); a range is a seek.
			keyCond: "#pk = :pk AND #sk BETWEEN :p AND :hi",
			values:  map[string]types.AttributeValue{":pk": s(searchPK(tenant)), ":p": s(p), ":hi": s(p + maxRune)},
			search:  p,
		}
	}
	k := "all"
	for _, sel := range selectivity {
		if v := sel.value(f); v != "" {
			k = sel.kind + "#" + v
			break
		}
	}
	pl := plan{pk: ixPK(tenant, k), keyCond: "#pk = :pk"}
	pl.values = map[string]types.AttributeValue{":pk": s(pl.pk)}
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
	return pl
}

// listCursor is the last index item a page read: its index and table keys,
// plus a hash of tenant and query, so a cursor only continues the list it
// came from.
type listCursor struct {
	PK  string `json:"p"`
	SK  string `json:"s"`
	IPK string `json:"ip"`
	ISK string `json:"is"`
	H   string `json:"h"`
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

func (pl plan) encodeCursor(tenant string, q lead.Query, it map[string]types.AttributeValue) string {
	b, _ := json.Marshal(listCursor{PK: str(it, AttrPK), SK: str(it, AttrSK), IPK: str(it, pl.pkAttr), ISK: str(it, pl.skAttr), H: queryHash(tenant, q)})
	return base64.RawURLEncoding.EncodeToString(b)
}

func (pl plan) decodeCursor(tenant string, q lead.Query, c string) (map[string]types.AttributeValue, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, badCursor()
	}
	var cur listCursor
	if err := json.Unmarshal(b, &cur); err != nil || cur.H != queryHash(tenant, q) || cur.IPK != pl.pk ||
		!strings.HasPrefix(cur.PK, "T#"+tenant+"#LEAD#") || cur.ISK == "" || cur.SK == "" {
		return nil, badCursor()
	}
	return pl.startKey(cur.PK, cur.SK, cur.ISK), nil
}

func (pl plan) startKey(pk, sk, isk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: s(pk), AttrSK: s(sk), pl.pkAttr: s(pl.pk), pl.skAttr: s(isk)}
}

// ListStats says what a list request cost.
type ListStats struct {
	Read, Returned, Queries int
}

// List returns one page of a tenant's leads matching q, in q's order.
// Reads are Query on one index partition (GetItem for a CPF filter),
// at most readBudget(limit) items.
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
	var start map[string]types.AttributeValue
	if cursor != "" {
		var err error
		if start, err = pl.decodeCursor(tenantID, q, cursor); err != nil {
			return lead.Page[lead.Lead]{}, stats, err
		}
	}
	page := lead.Page[lead.Lead]{Items: []lead.Lead{}}
	var lastRead map[string]types.AttributeValue
	exhausted := false
	err := st.walk(ctx, tenantID, pl, q, start, pl.forward, limit+1, readBudget(limit), &stats, func(l lead.Lead, it map[string]types.AttributeValue) bool {
		if l.ID != "" && len(page.Items) == limit {
			// One more match exists: the page is full and has a next page.
			page.NextCursor = pl.encodeCursor(tenantID, q, lastRead)
			return false
		}
		lastRead = it
		if l.ID != "" {
			page.Items = append(page.Items, l)
		}
		return true
	}, &exhausted)
	if err != nil {
		return lead.Page[lead.Lead]{}, stats, fmt.Errorf("list leads: %w", err)
	}
	if page.NextCursor == "" && !exhausted && lastRead != nil {
		// The read budget ran out: continue after the last item read.
		page.NextCursor = pl.encodeCursor(tenantID, q, lastRead)
	}
	stats.Returned = len(page.Items)
	return page, stats, nil
}

// queryInput is the Query of pl from start in the given direction.
func (st *Store) queryInput(pl plan, start map[string]types.AttributeValue, forward bool) *dynamodb.QueryInput {
	in := &dynamodb.QueryInput{
		TableName:                 st.table,
		IndexName:                 aws.String(pl.index),
		KeyConditionExpression:    aws.String(pl.keyCond),
		ExpressionAttributeNames:  map[string]string{"#pk": pl.pkAttr},
		ExpressionAttributeValues: pl.values,
		ScanIndexForward:          aws.Bool(forward),
		ExclusiveStartKey:         start,
	}
	if strings.Contains(pl.keyCond, "#sk") {
		in.ExpressionAttributeNames["#sk"] = pl.skAttr
	}
	return in
}

// walk queries pl from start in the given direction and calls yield for
// every item read: with the lead when it matches q, with a zero lead when
// it does not (so callers can remember where the read stopped). It stops
// when yield returns false, after budget items, or at the end of the index
// (setting *exhausted).
func (st *Store) walk(ctx context.Context, tenantID string, pl plan, q lead.Query, start map[string]types.AttributeValue, forward bool,
	first, budget int, stats *ListStats, yield func(lead.Lead, map[string]types.AttributeValue) bool, exhausted *bool) error {
	in := st.queryInput(pl, start, forward)
	read, ask := 0, first
	for {
		// Ask for what a page needs first, then more as filters drop items.
		in.Limit = aws.Int32(int32(min(budget-read, ask)))
		ask = min(2*ask, 400)
		out, err := st.db.Query(ctx, in)
		if err != nil {
			return err
		}
		stats.Queries++
		read += len(out.Items)
		stats.Read += len(out.Items)
		for _, it := range out.Items {
			var l lead.Lead
			if err := unmarshal(it, &l); err != nil {
				return err
			}
			l.TenantID = tenantID
			ok := q.Filter.Matches(l)
			if ok && pl.search != "" {
				// One entry per lead: the one of its first matching token.
				ok = lead.FirstSearchToken(l, pl.search) == str(it, attrTok)
			}
			if !ok {
				l = lead.Lead{}
			}
			if !yield(l, it) {
				return nil
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			*exhausted = true
			return nil
		}
		if read >= budget {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
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
	// The lead's own position in the index read, whether or not it matches.
	var start map[string]types.AttributeValue
	switch {
	case pl.search != "":
		tok := lead.FirstSearchToken(l, pl.search)
		if tok == "" {
			tok = pl.search
		}
		start = pl.startKey(leadPK(tenantID, l.ID), skSearch+tok, tok+"#"+l.ID)
	default:
		var isk string
		switch pl.index {
		case IndexGSI3:
			isk = createdKey(l)
		case IndexGSI4:
			isk = nameKey(l)
		default:
			isk = interactionsKey(l)
		}
		start = pl.startKey(leadPK(tenantID, l.ID), skIndex+strings.TrimPrefix(pl.pk, ixPK(tenantID, "")), isk)
	}
	find := func(forward bool) (string, error) {
		var found string
		var stats ListStats
		var exhausted bool
		err := st.walk(ctx, tenantID, pl, q, start, forward, 2, readBudget(maxPageSize), &stats, func(n lead.Lead, _ map[string]types.AttributeValue) bool {
			if n.ID != "" && n.ID != l.ID {
				found = n.ID
				return false
			}
			return true
		}, &exhausted)
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
