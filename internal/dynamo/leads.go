package dynamo

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/lead"
)

// Page sizes of the detail read and of paged lists.
const (
	detailNotes        = 50
	detailHistory      = 50
	detailConversation = 100
	defaultPageSize    = 50
	maxPageSize        = 100
)

// Detail reads a lead with its newest notes and history and the start of
// its conversation: one Query over the lead's partition (continued only
// past DynamoDB's 1 MB page size).
func (st *Store) Detail(ctx context.Context, tenantID, leadID string) (lead.Detail, error) {
	var d lead.Detail
	if badID(leadID) {
		return d, fmt.Errorf("lead detail: %w", lead.ErrNotFound)
	}
	var meta map[string]types.AttributeValue
	var notes, events, msgs []map[string]types.AttributeValue
	in := &dynamodb.QueryInput{
		TableName:                 st.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(leadPK(tenantID, leadID))},
		ConsistentRead:            aws.Bool(true),
	}
	for {
		out, err := st.db.Query(ctx, in)
		if err != nil {
			return d, fmt.Errorf("lead detail %s: %w", leadID, err)
		}
		for _, it := range out.Items {
			switch sk := str(it, AttrSK); {
			case sk == skMeta:
				meta = it
			case strings.HasPrefix(sk, skNote):
				notes = append(notes, it)
			case strings.HasPrefix(sk, skEvent):
				events = append(events, it)
			case strings.HasPrefix(sk, skMsg):
				msgs = append(msgs, it)
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if meta == nil {
		return d, fmt.Errorf("lead detail %s: %w", leadID, lead.ErrNotFound)
	}
	if err := unmarshal(meta, &d.Lead); err != nil {
		return d, fmt.Errorf("lead detail %s: %w", leadID, err)
	}
	if d.Lead.DeletedAt != nil {
		return d, fmt.Errorf("lead detail %s: %w", leadID, mergedOr(d.Lead))
	}
	d.Lead.TenantID = tenantID
	slices.Reverse(notes)
	slices.Reverse(events)
	var err error
	if d.Notes, err = pageOf[lead.Note](notes, detailNotes); err != nil {
		return d, fmt.Errorf("lead detail %s: notes: %w", leadID, err)
	}
	if d.History, err = pageOf[lead.Event](events, detailHistory); err != nil {
		return d, fmt.Errorf("lead detail %s: history: %w", leadID, err)
	}
	if d.Conversation, err = pageOf[lead.Message](msgs, detailConversation); err != nil {
		return d, fmt.Errorf("lead detail %s: conversation: %w", leadID, err)
	}
	return d, nil
}

// pageOf decodes the first limit items; NextCursor points after the last
// one returned when more exist.
func pageOf[T any](items []map[string]types.AttributeValue, limit int) (lead.Page[T], error) {
	p := lead.Page[T]{Items: []T{}}
	for i, it := range items {
		if i == limit {
			p.NextCursor = encodeCursor(str(items[i-1], AttrSK))
			break
		}
		var v T
		if err := unmarshal(it, &v); err != nil {
			return p, err
		}
		p.Items = append(p.Items, v)
	}
	return p, nil
}

// History pages a lead's history, newest first.
func (st *Store) History(ctx context.Context, tenantID, leadID, cursor string, limit int) (lead.Page[lead.Event], error) {
	p, err := page[lead.Event](ctx, st, tenantID, leadID, skEvent, cursor, limit, false)
	if err != nil {
		return p, fmt.Errorf("lead history %s: %w", leadID, err)
	}
	return p, nil
}

// Conversation pages a lead's conversation, oldest first.
func (st *Store) Conversation(ctx context.Context, tenantID, leadID, cursor string, limit int) (lead.Page[lead.Message], error) {
	p, err := page[lead.Message](ctx, st, tenantID, leadID, skMsg, cursor, limit, true)
	if err != nil {
		return p, fmt.Errorf("lead conversation %s: %w", leadID, err)
	}
	return p, nil
}

// Notes pages a lead's notes, newest first.
func (st *Store) Notes(ctx context.Context, tenantID, leadID, cursor string, limit int) (lead.Page[lead.Note], error) {
	p, err := page[lead.Note](ctx, st, tenantID, leadID, skNote, cursor, limit, false)
	if err != nil {
		return p, fmt.Errorf("lead notes %s: %w", leadID, err)
	}
	return p, nil
}

// eventItems puts history entries in a lead's partition (ids and times
// filled in when the change left them empty).
func (st *Store) eventItems(tenantID, leadID string, events []lead.Event, now time.Time) ([]types.TransactWriteItem, error) {
	var out []types.TransactWriteItem
	for _, ev := range events {
		ev.Stamp(now)
		it, err := item(ev, leadPK(tenantID, leadID), skEvent+ev.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: it}})
	}
	return out, nil
}

// page queries one page of the items with sort-key prefix in a lead's
// partition. It asks for one item more than limit to know whether a next
// page exists, so a cursor never leads to an empty page.
func page[T any](ctx context.Context, st *Store, tenantID, leadID, prefix, cursor string, limit int, forward bool) (lead.Page[T], error) {
	if limit <= 0 {
		limit = defaultPageSize
	}
	limit = min(limit, maxPageSize)
	// The lead record decides, not the page: a soft-deleted lead (or one
	// whose purge is under way) has no notes, history or conversation.
	l, err := st.getLead(ctx, tenantID, leadID)
	if err != nil {
		return lead.Page[T]{}, err
	}
	if l.DeletedAt != nil && !lead.DeletedAllowed(ctx) {
		return lead.Page[T]{}, lead.ErrNotFound
	}
	pk := leadPK(tenantID, leadID)
	in := &dynamodb.QueryInput{
		TableName:                 st.table,
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(pk), ":p": s(prefix)},
		ScanIndexForward:          aws.Bool(forward),
		ConsistentRead:            aws.Bool(true),
	}
	if cursor != "" {
		sk, err := decodeCursor(cursor, prefix)
		if err != nil {
			return lead.Page[T]{}, err
		}
		in.ExclusiveStartKey = key(pk, sk)
	}
	var items []map[string]types.AttributeValue
	for len(items) <= limit {
		in.Limit = aws.Int32(int32(limit + 1 - len(items)))
		out, err := st.db.Query(ctx, in)
		if err != nil {
			return lead.Page[T]{}, err
		}
		items = append(items, out.Items...)
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	return pageOf[T](items, limit)
}

// Update applies change to the lead atomically with its history entries
// and the identity-key moves its contact changes imply. change may run more
// than once (on a fresh read each time) when ifVersion is 0 and another
// write got in between.
func (st *Store) Update(ctx context.Context, tenantID, leadID string, ifVersion int64, change lead.Change) (lead.Lead, error) {
	for attempt := 1; ; attempt++ {
		l, err := st.getLead(ctx, tenantID, leadID)
		if err != nil {
			return lead.Lead{}, fmt.Errorf("update lead %s: %w", leadID, err)
		}
		if l.DeletedAt != nil && !lead.DeletedAllowed(ctx) {
			return lead.Lead{}, fmt.Errorf("update lead %s: %w", leadID, lead.ErrNotFound)
		}
		if ifVersion > 0 && l.Version != ifVersion {
			return lead.Lead{}, fmt.Errorf("update lead %s: %w", leadID, lead.ErrVersionMismatch)
		}
		orig := l
		orig.Contact.Attributes = maps.Clone(l.Contact.Attributes)
		orig.ExternalIDs = slices.Clone(l.ExternalIDs)
		l.ExtraKeys, l.SharedKeys = lead.CloneKeys(l.ExtraKeys), lead.CloneKeys(l.SharedKeys)
		events, err := change(&l)
		if err != nil {
			return lead.Lead{}, err
		}
		if len(events) == 0 {
			return orig, nil
		}
		now := st.now().UTC()
		l.ID, l.TenantID, l.Version, l.UpdatedAt = orig.ID, tenantID, orig.Version+1, now
		l.CreatedAt, l.ContactID = orig.CreatedAt, orig.ContactID

		meta, err := leadItem(l)
		if err != nil {
			return lead.Lead{}, fmt.Errorf("update lead %s: %w", leadID, err)
		}
		items := []types.TransactWriteItem{{Put: &types.Put{
			TableName: st.table, Item: meta,
			ConditionExpression:       aws.String("version = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(orig.Version)},
		}}}
		evs, err := st.eventItems(tenantID, leadID, events, now)
		if err != nil {
			return lead.Lead{}, fmt.Errorf("update lead %s: %w", leadID, err)
		}
		items = append(items, evs...)
		ix, err := st.indexWrites(&orig, l)
		if err != nil {
			return lead.Lead{}, fmt.Errorf("update lead %s: %w", leadID, err)
		}
		items = append(items, ix...)
		before, after := orig.Keys(), l.Keys()
		removedStart := len(items)
		for _, k := range added(after, before) {
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{
				TableName:                 st.table,
				Key:                       key(identityPK(tenantID, k), skKey),
				ConditionExpression:       aws.String("attribute_not_exists(PK) OR lead_id = :id"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":id": s(leadID)},
			}})
		}
		addedStart := len(items)
		for _, k := range added(before, after) {
			items = append(items, st.putKey(tenantID, k, l))
		}
		items = append(items, st.sharedKeyWrites(tenantID, orig, l)...)
		// A state change moves the lead between attribution counts.
		items = append(items, st.counterItems(tenantID, &orig, &l)...)
		derived, err := st.derivedItems(tenantID, orig, l)
		if err != nil {
			return lead.Lead{}, fmt.Errorf("update lead %s: %w", leadID, err)
		}
		items = append(items, derived...)
		if len(items) > maxTxItems {
			return lead.Lead{}, fmt.Errorf("update lead %s: %d history entries in one change is too many", leadID, len(events))
		}
		reasons, err := st.transact(ctx, items)
		if err != nil {
			return lead.Lead{}, fmt.Errorf("update lead %s: %w", leadID, err)
		}
		if reasons == nil {
			return l, nil
		}
		for i, k := range added(before, after) {
			if failed(reasons, addedStart+i) {
				return lead.Lead{}, fmt.Errorf("update lead %s: %w", leadID, keyTaken(l, k, reasons[addedStart+i].Item))
			}
		}
		for i := removedStart; i < addedStart; i++ {
			if failed(reasons, i) {
				return lead.Lead{}, fmt.Errorf("update lead %s: identity key held by another lead", leadID)
			}
		}
		if failed(reasons, 0) {
			if ifVersion > 0 {
				return lead.Lead{}, fmt.Errorf("update lead %s: %w", leadID, lead.ErrVersionMismatch)
			}
		} else if err := retryable(reasons); err != nil {
			return lead.Lead{}, fmt.Errorf("update lead %s: %w", leadID, err)
		}
		if attempt >= maxAttempts {
			return lead.Lead{}, fmt.Errorf("update lead %s after %d attempts: %w", leadID, attempt, ErrContention)
		}
		if err := backoff(ctx, attempt); err != nil {
			return lead.Lead{}, fmt.Errorf("update lead %s: %w", leadID, err)
		}
	}
}
