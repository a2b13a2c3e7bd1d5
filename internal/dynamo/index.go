package dynamo

import (
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/lead"
)

// List indexes.
//
// Every lead has index entries in its own partition, written in the same
// transaction as META, so they never disagree. An entry holds keys only:
// a list reads entries from one index partition (or a few shards of it,
// merged in order) and then the rows' META items with BatchGetItem, so a
// change to a lead rewrites only the entries whose keys it changes (a
// rating or a note rewrites none):
//
//	PK                 SK               GSI3PK / GSI4PK / GSI5PK           GSI3SK / GSI4SK / GSI5SK
//	T#<t>#LEAD#<id>    ~IX#<kind>#<v>   T#<t>#IX#<kind>#<v>#<shard>        created#id / name#id / interactions#created#id
//	T#<t>#LEAD#<id>    ~IXQ#<token>     T#<t>#Q#<first rune>#<shard>       token#id (GSI3 only)
//
// (GSI5 keys only on the kinds in interactionsOrderKinds.)
//
// kinds: all, state, owner ("-" = unassigned), site, entry, source,
// medium, campaign (folded, first and last touch), class, tag, group,
// sentiment (the dominant polarity, unless neutral), ticket (each status
// with a ticket, except finished). So every common filter is one index
// partition, split into ixShards shards by a hash of the lead id so that
// no index key takes every capture of a tenant; a list reads the shards in
// parallel and merges them.
//
// Every entry is in the created order (GSI3) and the name order (GSI4): a
// lead's name rarely changes, so those keys are written once. The
// interaction order (GSI5) moves with every capture of the lead (its key
// is the interaction count), and each partition kept in it costs a GSI5
// delete and put per capture (and, with ALL projections, a rewrite of the
// entry's copies in the other two GSIs); so it is kept only where it is
// asked for: the unfiltered list, and the sentiment and ticket partitions
// it came with ("open tickets, most occurrences first"). A list in the
// interaction order filtered by another kind reads the unfiltered
// partition in that order and checks the filter on each row, like any
// filter the index does not answer (bounded by readBudget; short pages
// carry a cursor). The two values not indexed, sentiment "neutral" and
// ticket "finished", are what most leads have (every capture is a neutral,
// finished occurrence), so their partitions would be nearly the unfiltered
// one: checking them on the rows of "all" reads about one entry per row.
const (
	AttrGSI3PK = "GSI3PK"
	AttrGSI3SK = "GSI3SK"
	AttrGSI4PK = "GSI4PK"
	AttrGSI4SK = "GSI4SK"
	AttrGSI5PK = "GSI5PK"
	AttrGSI5SK = "GSI5SK"

	IndexGSI3 = "GSI3" // filtered lists by created time; search tokens
	IndexGSI4 = "GSI4" // filtered lists by name
	IndexGSI5 = "GSI5" // filtered lists by interactions

	skEntries = "~"     // every index entry's SK starts with it
	skIndex   = "~IX#"  // list-index entry
	skSearch  = "~IXQ#" // search-token entry

	// ixShards is how many partitions each list index is split into.
	ixShards = 2
)

// interactionsOrderKinds are the kinds whose entries are in the
// interaction order (GSI5); every entry is in the other two.
var interactionsOrderKinds = []string{"all", "sentiment", "ticket"}

// inInteractionOrder reports whether the entries of index key k
// ("<kind>#<value>" or "all") are in the interaction order.
func inInteractionOrder(k string) bool {
	kind, _, _ := strings.Cut(k, "#")
	return slices.Contains(interactionsOrderKinds, kind)
}

// indexed reports whether a value of kind has its own index partition.
func indexed(kind, v string) bool {
	switch {
	case v == "":
		return false
	case kind == "sentiment":
		return v != lead.PolarityNeutral
	case kind == "ticket":
		return v != lead.TicketFinished
	}
	return true
}

// nameSep sorts below every printable character, so "ana" < "ana b".
const nameSep = "\x01"

// ixShard is the shard of a lead's list-index entries.
func ixShard(leadID string) int {
	h := fnv.New32a()
	h.Write([]byte(leadID))
	return int(h.Sum32() % ixShards)
}

func ixPK(tenant, k string, shard int) string {
	return "T#" + tenant + "#IX#" + k + "#" + strconv.Itoa(shard)
}

// ixPKs are the partitions of index k, one per shard.
func ixPKs(tenant, k string) []string {
	return shardPKs(func(shard int) string { return ixPK(tenant, k, shard) })
}

// shardPKs lists pk(shard) for every shard.
func shardPKs(pk func(shard int) string) []string {
	pks := make([]string, ixShards)
	for i := range pks {
		pks[i] = pk(i)
	}
	return pks
}

// searchPK is the search partition, in shard, of the tokens starting
// like p.
func searchPK(tenant, p string, shard int) string {
	r, _ := utf8.DecodeRuneInString(p)
	return "T#" + tenant + "#Q#" + string(r) + "#" + strconv.Itoa(shard)
}

// searchPKs are the partitions, one per shard, of the tokens starting
// like p.
func searchPKs(tenant, p string) []string {
	return shardPKs(func(shard int) string { return searchPK(tenant, p, shard) })
}

func createdKey(l lead.Lead) string { return createdSK(l.CreatedAt, l.ID) }

func nameKey(l lead.Lead) string {
	return strings.Join(strings.Fields(lead.Fold(l.Name)), " ") + nameSep + l.ID
}

func interactionsKey(l lead.Lead) string {
	return fmt.Sprintf("%010d#", max(l.Interactions, 0)) + createdKey(l)
}

// indexKeys returns the "<kind>#<value>" index entries of a lead.
func indexKeys(l lead.Lead) []string {
	if l.DeletedAt != nil {
		return nil
	}
	var keys []string
	add := func(kind, v string) {
		if !indexed(kind, v) {
			return
		}
		k := kind + "#" + v
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	keys = append(keys, "all")
	add("state", string(l.State))
	owner := l.OwnerID
	if owner == "" {
		owner = "-"
	}
	add("owner", owner)
	add("site", l.SiteID)
	add("entry", string(l.EntryMethod))
	for _, t := range []lead.Touch{l.FirstTouch, l.LastTouch} {
		add("source", lead.Fold(t.UTMSource))
		add("medium", lead.Fold(t.UTMMedium))
		add("campaign", lead.Fold(t.UTMCampaign))
	}
	add("class", string(l.Classification))
	for _, t := range l.Tags {
		add("tag", t)
	}
	for _, g := range l.Groups {
		add("group", g)
	}
	add("sentiment", l.Occurrences.Dominant())
	for _, st := range l.Tickets.Statuses() {
		add("ticket", st)
	}
	return keys
}

func searchKeys(l lead.Lead) []string {
	if l.DeletedAt != nil {
		return nil
	}
	return lead.SearchTokens(l)
}

// indexEntries returns a lead's index entries by SK: keys only.
func indexEntries(l lead.Lead) map[string]map[string]types.AttributeValue {
	tenant := l.TenantID
	pk := leadPK(tenant, l.ID)
	shard := ixShard(l.ID)
	out := map[string]map[string]types.AttributeValue{}
	for _, k := range indexKeys(l) {
		ipk := ixPK(tenant, k, shard)
		e := map[string]types.AttributeValue{
			AttrPK: s(pk), AttrSK: s(skIndex + k),
			AttrGSI3PK: s(ipk), AttrGSI3SK: s(createdKey(l)),
			AttrGSI4PK: s(ipk), AttrGSI4SK: s(nameKey(l)),
		}
		if inInteractionOrder(k) {
			e[AttrGSI5PK], e[AttrGSI5SK] = s(ipk), s(interactionsKey(l))
		}
		out[skIndex+k] = e
	}
	for _, t := range searchKeys(l) {
		out[skSearch+t] = map[string]types.AttributeValue{
			AttrPK: s(pk), AttrSK: s(skSearch + t),
			AttrGSI3PK: s(searchPK(tenant, t, shard)), AttrGSI3SK: s(t + "#" + l.ID),
		}
	}
	return out
}

// indexWrites returns the transaction actions that bring a lead's index
// entries from before (nil for a new lead) to after: entries that are new
// or whose keys changed are put, entries that no longer apply are
// deleted, the rest are left alone.
func (st *Store) indexWrites(before *lead.Lead, after lead.Lead) ([]types.TransactWriteItem, error) {
	now := indexEntries(after)
	var was map[string]map[string]types.AttributeValue
	if before != nil {
		b := *before
		b.TenantID, b.ID = after.TenantID, after.ID
		was = indexEntries(b)
	}
	var out []types.TransactWriteItem
	for _, sk := range slices.Sorted(maps.Keys(now)) {
		if old, ok := was[sk]; ok && sameEntry(old, now[sk]) {
			continue
		}
		out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: now[sk]}})
	}
	pk := leadPK(after.TenantID, after.ID)
	for _, sk := range slices.Sorted(maps.Keys(was)) {
		if _, ok := now[sk]; !ok {
			out = append(out, types.TransactWriteItem{Delete: &types.Delete{TableName: st.table, Key: key(pk, sk)}})
		}
	}
	return out, nil
}

// splitStaleEntries takes the index-entry deletes out of a transaction
// that would exceed DynamoDB's limit, to be sent after it commits. Only
// deletes move: a list checks every row on its lead item, so an entry that
// lingers a moment is skipped, while a missing one would hide the lead.
func splitStaleEntries(items []types.TransactWriteItem) (tx []types.TransactWriteItem, stale []types.WriteRequest) {
	if len(items) <= maxTxItems {
		return items, nil
	}
	for _, it := range items {
		if d := it.Delete; d != nil && d.ConditionExpression == nil && strings.HasPrefix(str(d.Key, AttrSK), skEntries) {
			stale = append(stale, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: d.Key}})
			continue
		}
		tx = append(tx, it)
	}
	return tx, stale
}

// tooBigChange is the answer to a change that needs more writes than one
// transaction holds even so: a 422 naming the list fields it changes.
func tooBigChange(before, after lead.Lead, writes int) error {
	e := &lead.InvalidError{}
	msg := fmt.Sprintf("This change needs %d writes; one change holds at most %d. Change fewer tags, groups or contact fields at once.", writes, maxTxItems)
	if !slices.Equal(before.Tags, after.Tags) {
		e.Add("tags", "too_many_changes", msg)
	}
	if !slices.Equal(before.Groups, after.Groups) {
		e.Add("groups", "too_many_changes", msg)
	}
	if len(e.Errors) == 0 {
		e.Add("body", "too_many_changes", msg)
	}
	return e
}

func sameEntry(a, b map[string]types.AttributeValue) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if str(b, k) != str(map[string]types.AttributeValue{k: v}, k) {
			return false
		}
	}
	return true
}

func errorsIsNotFound(err error) bool { return errors.Is(err, lead.ErrNotFound) }
