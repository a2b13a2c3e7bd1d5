package dynamo

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/lead"
)

// List indexes.
//
// Every lead has index items in its own partition,
// rewritten in the same transaction as META, so they never disagree:
//
//	PK                          SK              GSI3PK / GSI4PK / GSI5PK          GSI3SK / GSI4SK / GSI5SK
//	T#<t>#LEAD#<id>             IX#<kind>#<v>   T#<t>#IX#<kind>#<v> (all three)  created#id / name#id / interactions#created#id
//	T#<t>#LEAD#<id>             IXQ#<token>     T#<t>#Q (GSI3 only)              token#id
//
// kinds: all, state, owner ("-" = unassigned), site, entry, source,
// medium, campaign (folded, first and last touch), class, tag, group,
// sentiment (the dominant polarity), ticket (each status with a ticket). So
// every common filter is one index partition, in each of the three list
// orders. IXQ items hold the folded search tokens of name, e-mail and phone
// (prefix search with begins_with). Every index item is a full copy of the
// lead, so the conditions not chosen as the index read are checked on the
// item itself and list pages need no second read. Soft-deleted leads have
// no index items.
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

	skIndex  = "IX#"
	skSearch = "IXQ#"
	attrTok  = "tok"
)

// nameSep sorts below every printable character, so "ana" < "ana b".
const nameSep = "\x01"

func ixPK(tenant, k string) string  { return "T#" + tenant + "#IX#" + k }
func searchPK(tenant string) string { return "T#" + tenant + "#Q" }

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
		if v == "" {
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

// indexWrites returns the transaction actions that bring a lead's index
// items from before (nil for a new lead) to after: every current item is
// put (they copy the lead), entries that no longer apply are deleted.
func (st *Store) indexWrites(before *lead.Lead, after lead.Lead) ([]types.TransactWriteItem, error) {
	tenant := after.TenantID
	pk := leadPK(tenant, after.ID)
	var out []types.TransactWriteItem
	ix, q := indexKeys(after), searchKeys(after)
	for _, k := range ix {
		it, err := item(after, pk, skIndex+k,
			AttrGSI3PK, ixPK(tenant, k), AttrGSI3SK, createdKey(after),
			AttrGSI4PK, ixPK(tenant, k), AttrGSI4SK, nameKey(after),
			AttrGSI5PK, ixPK(tenant, k), AttrGSI5SK, interactionsKey(after),
			"tenant_id", tenant)
		if err != nil {
			return nil, err
		}
		out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: it}})
	}
	for _, t := range q {
		it, err := item(after, pk, skSearch+t,
			AttrGSI3PK, searchPK(tenant), AttrGSI3SK, t+"#"+after.ID,
			attrTok, t, "tenant_id", tenant)
		if err != nil {
			return nil, err
		}
		out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: it}})
	}
	if before != nil {
		for _, k := range indexKeys(*before) {
			if !slices.Contains(ix, k) {
				out = append(out, types.TransactWriteItem{Delete: &types.Delete{TableName: st.table, Key: key(pk, skIndex+k)}})
			}
		}
		for _, t := range searchKeys(*before) {
			if !slices.Contains(q, t) {
				out = append(out, types.TransactWriteItem{Delete: &types.Delete{TableName: st.table, Key: key(pk, skSearch+t)}})
			}
		}
	}
	return out, nil
}

func errorsIsNotFound(err error) bool { return errors.Is(err, lead.ErrNotFound) }
