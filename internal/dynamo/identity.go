package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/outbox"
)

// Identity keys (lead/identity.go) are items of their own:
//
//	PK                                SK               what
//	T#<tenant>#KEY#<kind>#<value>     KEY              key of a unique kind → lead_id, contact_id
//	T#<tenant>#KEY#<kind>#<value>     LEAD#<lead_id>   key of a non-unique account kind, one per lead holding it
//
// A unique key's item is written with attribute_not_exists (or "is this
// lead's") in the same transaction as the lead, so one value belongs to one
// lead under any concurrency. WhatsApp numbers are phone items
// (lead.ItemKind). A non-unique key has one item per lead in the value's
// partition, so locating a value is one Query either way, never a Scan.
// The lead's META item lists its keys (Contact, ExtraKeys, SharedKeys);
// every write that changes them writes the items in the same transaction.
const skSharedKey = "LEAD#"

// sharedKeyWrites deletes the non-unique key items before holds and after
// does not, and puts those after holds and before does not.
func (st *Store) sharedKeyWrites(tenant string, before, after lead.Lead) []types.TransactWriteItem {
	var items []types.TransactWriteItem
	b, a := before.SharedKeyList(), after.SharedKeyList()
	for _, k := range added(a, b) {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{
			TableName: st.table, Key: key(identityPK(tenant, k), skSharedKey+before.ID),
		}})
	}
	for _, k := range added(b, a) {
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: map[string]types.AttributeValue{
			AttrPK: s(identityPK(tenant, k)), AttrSK: s(skSharedKey + after.ID),
			"lead_id": s(after.ID), "contact_id": s(after.ContactID),
		}}})
	}
	return items
}

// keyTaken is the error of unique item key k refused for l: old is the
// item the cancelled put returned (ALL_OLD), naming its owner. The kind is
// the one l was given (a WhatsApp number's item is a phone item).
func keyTaken(l lead.Lead, k lead.IdentityKey, old map[string]types.AttributeValue) error {
	kind := k.Kind
	held := l.KeyMap()
	if kind == lead.KeyPhone && !containsString(held[lead.KeyPhone], k.Value) && containsString(held[lead.KeyWhatsApp], k.Value) {
		kind = lead.KeyWhatsApp
	}
	return &lead.KeyTakenError{Kind: kind, Value: k.Value, LeadID: str(old, "lead_id")}
}

func containsString(vs []string, v string) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

// kinds reads the account's identity-key kinds.
func (st *Store) kinds(ctx context.Context, tenant string) (lead.Kinds, error) {
	a, err := st.Account(ctx, tenant)
	if err != nil && !errors.Is(err, account.ErrNotFound) {
		return lead.Kinds{}, err
	}
	return lead.NewKinds(a), nil
}

// JoinKeys adds keys to the lead (their items, the lead's keys and a
// key_added history entry each) in one transaction. Values are normalized
// here (a *lead.InvalidError names a bad one as "keys.<kind>[i]"); a key
// the lead already holds is a no-op. A unique key another lead owns fails
// with a *lead.KeyTakenError (wrapping lead.ErrIdentityTaken) naming the
// kind and the owner, and nothing is written.
func (st *Store) JoinKeys(ctx context.Context, tenant, leadID string, keys []lead.IdentityKey, actor lead.Actor) error {
	ks, err := st.kinds(ctx, tenant)
	if err != nil {
		return fmt.Errorf("join keys: %w", err)
	}
	in := map[string]lead.KeyValues{}
	for _, k := range keys {
		in[k.Kind] = append(in[k.Kind], k.Value)
	}
	norm, err := ks.ParseKeys("keys", in)
	if err != nil {
		return err
	}
	_, err = st.Update(ctx, tenant, leadID, 0, func(l *lead.Lead) ([]lead.Event, error) {
		return l.AddKeys(norm, ks, actor, st.now().UTC())
	})
	return err
}

// CreateLead stores a lead a user created (lead.NewManual) with its key
// items, history, list-index copies, attribution counters, owner load and
// lead.created outbox event in one transaction. A unique key another lead
// holds fails it with a *lead.KeyTakenError, writing nothing: a capture
// and a manual create can never both own a key.
func (st *Store) CreateLead(ctx context.Context, l lead.Lead, events []lead.Event) error {
	tenant := l.TenantID
	now := l.CreatedAt
	meta, err := leadItem(l)
	if err != nil {
		return fmt.Errorf("create lead: %w", err)
	}
	items := []types.TransactWriteItem{{Put: &types.Put{
		TableName: st.table, Item: meta, ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}}}
	keys := l.Keys()
	for _, k := range keys {
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName:                           st.table,
			Item:                                keyItem(tenant, k, l, ""),
			ConditionExpression:                 aws.String("attribute_not_exists(PK)"),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}})
	}
	items = append(items, st.sharedKeyWrites(tenant, lead.Lead{ID: l.ID}, l)...)
	evs, err := st.eventItems(tenant, l.ID, events, now)
	if err != nil {
		return fmt.Errorf("create lead: %w", err)
	}
	items = append(items, evs...)
	items = append(items, st.counterItems(tenant, nil, &l)...)
	ix, err := st.indexWrites(nil, l)
	if err != nil {
		return fmt.Errorf("create lead: %w", err)
	}
	items = append(items, ix...)
	items = append(items, st.loadItems(tenant, l.ID, loadDelta(lead.Lead{}, l))...)
	items = append(items, st.outboxPut(outbox.NewLeadCreated(tenant, l.ID, now)))
	if len(items) > maxTxItems {
		return fmt.Errorf("create lead: %d items do not fit one transaction", len(items))
	}
	for attempt := 1; ; attempt++ {
		reasons, err := st.transact(ctx, items)
		if err != nil {
			return fmt.Errorf("create lead: %w", transient(err))
		}
		if reasons == nil {
			return nil
		}
		for i, k := range keys {
			if failed(reasons, 1+i) {
				return fmt.Errorf("create lead: %w", keyTaken(l, k, reasons[1+i].Item))
			}
		}
		if err := retryable(reasons); err != nil {
			return fmt.Errorf("create lead: %w", err)
		}
		if attempt >= maxAttempts {
			return fmt.Errorf("create lead after %d attempts: %w", attempt, ErrContention)
		}
		if err := backoff(ctx, attempt); err != nil {
			return fmt.Errorf("create lead: %w", err)
		}
	}
}

// Locate finds the leads holding any of keys (normalized, API kinds):
// one GetItem per unique key, one Query per non-unique key, then one
// GetItem per lead found. Each lead comes once, in the order of the first
// key that found it, with what matched and what conflicts (lead.Match).
// Soft-deleted leads are left out.
func (st *Store) Locate(ctx context.Context, tenant string, keys []lead.IdentityKey, ks lead.Kinds) ([]lead.KeyMatch, error) {
	var ids []string
	for _, k := range keys {
		found, err := st.keyLeads(ctx, tenant, k, ks.Unique(k.Kind))
		if err != nil {
			return nil, fmt.Errorf("locate: %w", err)
		}
		for _, id := range found {
			if !containsString(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	out := []lead.KeyMatch{}
	for _, id := range ids {
		l, err := st.getLead(ctx, tenant, id)
		if errors.Is(err, lead.ErrNotFound) {
			continue // purged since its key was read
		}
		if err != nil {
			return nil, fmt.Errorf("locate: lead %s: %w", id, err)
		}
		if l.DeletedAt != nil {
			continue
		}
		out = append(out, lead.Match(l, keys, ks))
	}
	return out, nil
}

// maxLocatePerKey bounds the leads one non-unique key returns.
const maxLocatePerKey = 50

// keyLeads returns the ids of the leads holding k.
func (st *Store) keyLeads(ctx context.Context, tenant string, k lead.IdentityKey, unique bool) ([]string, error) {
	ik := lead.IdentityKey{Kind: lead.ItemKind(k.Kind), Value: k.Value}
	if unique {
		o, err := st.keyOwner(ctx, tenant, ik)
		if err != nil || o == "" {
			return nil, err
		}
		return []string{o}, nil
	}
	out, err := st.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              st.table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": s(identityPK(tenant, ik)), ":p": s(skSharedKey),
		},
		Limit:          aws.Int32(maxLocatePerKey),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(out.Items))
	for _, it := range out.Items {
		ids = append(ids, str(it, "lead_id"))
	}
	return ids, nil
}

// IdentityKinds reads the account's key kinds (built-ins and its own) and
// the account version (the ETag of GET /v1/identity-keys).
func (st *Store) IdentityKinds(ctx context.Context, tenant string) (lead.Kinds, int64, error) {
	a, err := st.Account(ctx, tenant)
	if err != nil {
		return lead.Kinds{}, 0, err
	}
	return lead.NewKinds(a), max(a.Version, 1), nil
}
