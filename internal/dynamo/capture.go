package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/outbox"
)

// Capture stores one capture: a new lead when none of its identity keys
// exists, otherwise an append to the lead owning the first existing key (in
// c.Keys() order). The site's per-IP rate limit is enforced in the same
// transaction, so a refused capture writes nothing.
//
// A new capture is one TransactWriteItems. A repeat costs that cancelled
// transaction (whose reasons name the owning lead), a consistent read of the
// lead and one more transaction conditional on the version read.
func (st *Store) Capture(ctx context.Context, site account.Site, c lead.Capture) (lead.CaptureResult, error) {
	now := st.now().UTC()
	tenant := site.TenantID
	l, created := lead.New(tenant, lead.NewID(lead.PrefixLead, now), lead.NewID(lead.PrefixContact, now), c, now)
	var then []lead.Event
	if c.Then != nil {
		var err error
		if then, err = c.Then(&l); err != nil {
			return lead.CaptureResult{}, fmt.Errorf("capture: %w", err)
		}
		if l.OwnerID != "" || l.ScheduledChange != nil {
			return lead.CaptureResult{}, errors.New("capture: Then may not set an owner or a scheduled change")
		}
	}
	keys := c.Keys()
	rl := st.rateLimit(site, c.Touch.IP, now)

	meta, err := leadItem(l)
	if err != nil {
		return lead.CaptureResult{}, fmt.Errorf("capture: %w", err)
	}
	evt, err := item(created, leadPK(tenant, l.ID), skEvent+created.ID)
	if err != nil {
		return lead.CaptureResult{}, fmt.Errorf("capture: %w", err)
	}
	items := []types.TransactWriteItem{{Put: &types.Put{
		TableName: st.table, Item: meta, ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}}}
	for _, k := range keys {
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName:                           st.table,
			Item:                                keyItem(tenant, k, l),
			ConditionExpression:                 aws.String("attribute_not_exists(PK)"),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}})
	}
	rlIdx := -1 // trusted captures (ads webhooks) have no per-IP limit
	if !c.Trusted {
		rlIdx = len(items)
		items = append(items, rl)
	}
	items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: evt}})
	evs, err := st.eventItems(tenant, l.ID, then, now)
	if err != nil {
		return lead.CaptureResult{}, fmt.Errorf("capture: %w", err)
	}
	items = append(items, evs...)
	items = append(items, st.counterItems(tenant, nil, &l)...)
	ix, err := st.indexWrites(nil, l)
	if err != nil {
		return lead.CaptureResult{}, fmt.Errorf("capture: %w", err)
	}
	items = append(items, ix...)
	// The new lead's side effects (assignment, …) go out through the outbox.
	items = append(items, st.outboxPut(outbox.NewLeadCreated(tenant, l.ID, now)))
	msgs, err := st.messageItems(tenant, l.ID, c.Conversation)
	if err != nil {
		return lead.CaptureResult{}, fmt.Errorf("capture: %w", err)
	}
	items, overflow := st.fill(items, msgs)

	owners := map[lead.IdentityKey]string{}
	for attempt := 1; ; attempt++ {
		reasons, err := st.transact(ctx, items)
		if err != nil {
			return lead.CaptureResult{}, fmt.Errorf("capture: new lead: %w", err)
		}
		if reasons == nil {
			if err := st.batchPut(ctx, overflow); err != nil {
				return lead.CaptureResult{}, fmt.Errorf("capture: conversation: %w", err)
			}
			return lead.CaptureResult{LeadID: l.ID, ContactID: l.ContactID, Created: true}, nil
		}
		if failed(reasons, rlIdx) {
			return lead.CaptureResult{}, rateLimited(now)
		}
		if c.ReplayNoop && c.ExternalID != "" && failed(reasons, 1) {
			// keys[0] is the external id: a redelivery of a lead already
			// stored. Nothing was written; answer with the existing lead.
			return st.replayResult(ctx, tenant, keys[0], reasons[1].Item)
		}
		taken := false
		for i, k := range keys {
			if failed(reasons, 1+i) {
				taken = true
				owners[k] = str(reasons[1+i].Item, "lead_id")
			}
		}
		if taken {
			return st.captureRepeat(ctx, site, c, now, owners)
		}
		if err := retryable(reasons); err != nil {
			return lead.CaptureResult{}, fmt.Errorf("capture: new lead: %w", err)
		}
		if attempt >= maxAttempts {
			return lead.CaptureResult{}, fmt.Errorf("capture: new lead after %d attempts: %w", attempt, ErrContention)
		}
		if err := backoff(ctx, attempt); err != nil {
			return lead.CaptureResult{}, fmt.Errorf("capture: %w", err)
		}
	}
}

// captureRepeat appends c to the lead owning the first existing key.
// owners maps identity keys known to exist to their lead id ("" when the
// cancellation did not say).
func (st *Store) captureRepeat(ctx context.Context, site account.Site, c lead.Capture, now time.Time, owners map[lead.IdentityKey]string) (lead.CaptureResult, error) {
	tenant := site.TenantID
	keys := c.Keys()
	for attempt := 1; ; attempt++ {
		var ownerID string
		for _, k := range keys {
			o, known := owners[k]
			if known && o == "" {
				// The cancellation did not carry the old item; read the key.
				var err error
				if o, err = st.keyOwner(ctx, tenant, k); err != nil {
					return lead.CaptureResult{}, fmt.Errorf("capture: repeat: %w", err)
				}
				owners[k] = o
				if o == "" { // deleted meanwhile
					delete(owners, k)
					continue
				}
			}
			if known {
				ownerID = o
				break
			}
		}
		if ownerID == "" {
			// Every key we saw taken is gone again; start over as new.
			return st.Capture(ctx, site, c)
		}
		l, err := st.getLead(ctx, tenant, ownerID)
		if errors.Is(err, lead.ErrNotFound) && attempt < maxAttempts {
			// Purged since its key was read (META and keys go in one
			// transaction): see who holds the keys now.
			if err := st.rereadOwners(ctx, tenant, ownerID, owners); err != nil {
				return lead.CaptureResult{}, fmt.Errorf("capture: repeat: %w", err)
			}
			continue
		}
		if err != nil {
			return lead.CaptureResult{}, fmt.Errorf("capture: repeat: read lead %s: %w", ownerID, err)
		}
		before := l.Keys()
		prev := l
		events := l.Absorb(c, now, func(k lead.IdentityKey) bool {
			o, ok := owners[k]
			return ok && o != l.ID
		})
		oldVersion := l.Version
		l.Version++
		items, keyIdx, rlIdx, overflow, err := st.repeatItems(tenant, site, c, now, &prev, l, oldVersion, added(before, l.Keys()), events)
		if err != nil {
			return lead.CaptureResult{}, fmt.Errorf("capture: repeat: %w", err)
		}
		reasons, err := st.transact(ctx, items)
		if err != nil {
			return lead.CaptureResult{}, fmt.Errorf("capture: repeat: %w", err)
		}
		if reasons == nil {
			if err := st.batchPut(ctx, overflow); err != nil {
				return lead.CaptureResult{}, fmt.Errorf("capture: conversation: %w", err)
			}
			return lead.CaptureResult{LeadID: l.ID, ContactID: l.ContactID, Created: false}, nil
		}
		if failed(reasons, rlIdx) {
			return lead.CaptureResult{}, rateLimited(now)
		}
		progress := failed(reasons, 0) // version moved: re-read
		for i, k := range keyIdx {
			if failed(reasons, i) {
				owners[k] = str(reasons[i].Item, "lead_id")
				progress = true
			}
		}
		if !progress {
			if err := retryable(reasons); err != nil {
				return lead.CaptureResult{}, fmt.Errorf("capture: repeat: %w", err)
			}
		}
		if attempt >= maxAttempts {
			return lead.CaptureResult{}, fmt.Errorf("capture: repeat after %d attempts: %w", attempt, ErrContention)
		}
		if err := backoff(ctx, attempt); err != nil {
			return lead.CaptureResult{}, fmt.Errorf("capture: %w", err)
		}
	}
}

// rereadOwners refreshes the keys owners attributes to a lead that is
// gone. A key still naming it would send the capture round in circles, so
// it is an error rather than a retry.
func (st *Store) rereadOwners(ctx context.Context, tenant, gone string, owners map[lead.IdentityKey]string) error {
	for k, o := range owners {
		if o != gone {
			continue
		}
		now, err := st.keyOwner(ctx, tenant, k)
		if err != nil {
			return err
		}
		switch now {
		case gone:
			return fmt.Errorf("identity key %s names missing lead %s", k.Kind, gone)
		case "":
			delete(owners, k)
		default:
			owners[k] = now
		}
	}
	return nil
}

// repeatItems builds the transaction of a repeat capture. keyIdx maps item
// indexes of identity-key puts to their keys.
func (st *Store) repeatItems(tenant string, site account.Site, c lead.Capture, now time.Time, prev *lead.Lead, l lead.Lead, oldVersion int64,
	newKeys []lead.IdentityKey, events []lead.Event) (items []types.TransactWriteItem, keyIdx map[int]lead.IdentityKey, rlIdx int, overflow []map[string]types.AttributeValue, err error) {
	meta, err := leadItem(l)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	items = append(items, types.TransactWriteItem{Put: &types.Put{
		TableName: st.table, Item: meta,
		ConditionExpression:       aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(oldVersion)},
	}})
	keyIdx = map[int]lead.IdentityKey{}
	for _, k := range newKeys {
		keyIdx[len(items)] = k
		items = append(items, st.putKey(tenant, k, l))
	}
	rlIdx = -1
	if !c.Trusted {
		rlIdx = len(items)
		items = append(items, st.rateLimit(site, c.Touch.IP, now))
	}
	for _, ev := range events {
		it, err := item(ev, leadPK(tenant, l.ID), skEvent+ev.ID)
		if err != nil {
			return nil, nil, 0, nil, err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: it}})
	}
	// The last touch may have moved the lead to another group.
	items = append(items, st.counterItems(tenant, prev, &l)...)
	// A capture of the person restores a soft-deleted lead: no purge.
	items = append(items, st.purgeWrites(tenant, *prev, l)...)
	ix, err := st.indexWrites(prev, l)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	items = append(items, ix...)
	msgs, err := st.messageItems(tenant, l.ID, c.Conversation)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	if len(items) > maxTxItems {
		return nil, nil, 0, nil, fmt.Errorf("%d history entries in one capture is too many", len(events))
	}
	items, overflow = st.fill(items, msgs)
	return items, keyIdx, rlIdx, overflow, nil
}

// replayResult answers a ReplayNoop capture whose external id k exists,
// from the cancelled put's old item (or a read when it did not come back).
func (st *Store) replayResult(ctx context.Context, tenant string, k lead.IdentityKey, old map[string]types.AttributeValue) (lead.CaptureResult, error) {
	leadID, contactID := str(old, "lead_id"), str(old, "contact_id")
	if leadID == "" {
		out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: st.table, Key: key(identityPK(tenant, k), skKey), ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return lead.CaptureResult{}, fmt.Errorf("capture: replay: %w", err)
		}
		leadID, contactID = str(out.Item, "lead_id"), str(out.Item, "contact_id")
	}
	return lead.CaptureResult{LeadID: leadID, ContactID: contactID, Created: false}, nil
}

// putKey writes identity key k for lead l unless another lead holds it.
func (st *Store) putKey(tenant string, k lead.IdentityKey, l lead.Lead) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{
		TableName:                           st.table,
		Item:                                keyItem(tenant, k, l),
		ConditionExpression:                 aws.String("attribute_not_exists(PK) OR lead_id = :id"),
		ExpressionAttributeValues:           map[string]types.AttributeValue{":id": s(l.ID)},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
}

func (st *Store) keyOwner(ctx context.Context, tenant string, k lead.IdentityKey) (string, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: st.table, Key: key(identityPK(tenant, k), skKey), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return "", err
	}
	return str(out.Item, "lead_id"), nil
}

// rateLimit counts one capture for the visitor IP in the current minute,
// failing its condition once the site's limit is reached.
func (st *Store) rateLimit(site account.Site, ip string, now time.Time) types.TransactWriteItem {
	minute := now.Unix() / 60
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                st.table,
		Key:                      key(rateLimitPK(site.TenantID, site.ID, ip), rateLimitSK(minute)),
		UpdateExpression:         aws.String("ADD #n :one SET #ttl = :ttl"),
		ConditionExpression:      aws.String("attribute_not_exists(#n) OR #n < :limit"),
		ExpressionAttributeNames: map[string]string{"#n": "n", "#ttl": AttrTTL},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": n(1), ":limit": n(int64(site.Limit())), ":ttl": n((minute + 2) * 60),
		},
	}}
}

func rateLimited(now time.Time) error {
	next := now.Truncate(time.Minute).Add(time.Minute)
	wait := next.Sub(now).Round(time.Second)
	if wait < time.Second {
		wait = time.Second
	}
	return &lead.RateLimitedError{RetryAfter: wait}
}

func leadItem(l lead.Lead) (map[string]types.AttributeValue, error) {
	return item(l, leadPK(l.TenantID, l.ID), skMeta,
		AttrGSI1PK, leadsGSI1PK(l.TenantID),
		AttrGSI1SK, leadsGSI1SK(l.CreatedAt, l.ID),
		"tenant_id", l.TenantID)
}

func keyItem(tenant string, k lead.IdentityKey, l lead.Lead) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: s(identityPK(tenant, k)), AttrSK: s(skKey),
		"lead_id": s(l.ID), "contact_id": s(l.ContactID),
	}
}

// messageItems builds the conversation items of a lead, one per distinct
// message (identical lines share a key and are written once).
func (st *Store) messageItems(tenant, leadID string, msgs []lead.Message) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	seen := map[string]bool{}
	for _, m := range msgs {
		sk, id := messageKey(m)
		if seen[sk] {
			continue
		}
		seen[sk] = true
		m.ID = id
		m.At = m.At.UTC()
		it, err := item(m, leadPK(tenant, leadID), sk)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// fill appends message puts to a transaction up to DynamoDB's 100-action
// limit and returns the rest, which are written after the transaction
// commits (their keys are deterministic, so a retry rewrites them harmlessly).
func (st *Store) fill(items []types.TransactWriteItem, msgs []map[string]types.AttributeValue) ([]types.TransactWriteItem, []map[string]types.AttributeValue) {
	for i, m := range msgs {
		if len(items) >= maxTxItems {
			return items, msgs[i:]
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: m}})
	}
	return items, nil
}

// batchPut writes items 25 at a time, resubmitting unprocessed ones.
func (st *Store) batchPut(ctx context.Context, items []map[string]types.AttributeValue) error {
	for len(items) > 0 {
		chunk := items[:min(25, len(items))]
		items = items[len(chunk):]
		reqs := make([]types.WriteRequest, len(chunk))
		for i, it := range chunk {
			reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}
		}
		pending := map[string][]types.WriteRequest{*st.table: reqs}
		for attempt := 1; len(pending) > 0; attempt++ {
			out, err := st.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return err
			}
			pending = out.UnprocessedItems
			if len(pending) > 0 {
				if attempt >= maxAttempts {
					return fmt.Errorf("batch write: %w", ErrContention)
				}
				if err := backoff(ctx, attempt); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// added returns the keys in after that are not in before.
func added(before, after []lead.IdentityKey) []lead.IdentityKey {
	var out []lead.IdentityKey
	for _, k := range after {
		if !containsKey(before, k) && !containsKey(out, k) {
			out = append(out, k)
		}
	}
	return out
}

func containsKey(keys []lead.IdentityKey, k lead.IdentityKey) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// retryable returns nil when a cancelled transaction failed only for
// transient reasons (conflicts with concurrent transactions, throttling).
func retryable(reasons []types.CancellationReason) error {
	for i := range reasons {
		switch c := reasonCode(reasons, i); c {
		case "", codeNone, "TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded":
		default:
			msg := ""
			if reasons[i].Message != nil {
				msg = ": " + *reasons[i].Message
			}
			return errors.New("transaction cancelled: item " + fmt.Sprint(i) + ": " + c + msg)
		}
	}
	return nil
}
