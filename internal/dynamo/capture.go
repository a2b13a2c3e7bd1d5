package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
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
//
// A capture whose external id was stored by a capture with the same
// fingerprint (a retry of the same body) writes nothing and answers as a
// repeat (Created false, the same ids). When the keys point to different leads, the capture
// joins the lead of the first (strongest) key, moves no key, and records
// the other leads as duplicate candidates (see DuplicateCandidates).
//
// Errors a retry can fix (throttling, 5xx, lost races) are wrapped so
// that errors.As finds interface{ Retryable() bool }; others are not.
func (st *Store) Capture(ctx context.Context, site account.Site, c lead.Capture) (lead.CaptureResult, error) {
	res, err := st.capture(ctx, site, c)
	return res, transient(err)
}

func (st *Store) capture(ctx context.Context, site account.Site, c lead.Capture) (lead.CaptureResult, error) {
	now := st.now().UTC()
	tenant := site.TenantID
	l, history := lead.New(tenant, lead.NewID(lead.PrefixLead, now), lead.NewID(lead.PrefixContact, now), c, now)
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
	fp := c.Fingerprint()
	rl := st.rateLimit(site, c, now)
	timeline, err := st.captureInteraction(tenant, &l, c, now)
	if err != nil {
		return lead.CaptureResult{}, fmt.Errorf("capture: %w", err)
	}

	meta, err := leadItem(l)
	if err != nil {
		return lead.CaptureResult{}, fmt.Errorf("capture: %w", err)
	}
	items := []types.TransactWriteItem{{Put: &types.Put{
		TableName: st.table, Item: meta, ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}}}
	for _, k := range keys {
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName:                           st.table,
			Item:                                keyItem(tenant, k, l, fp),
			ConditionExpression:                 aws.String("attribute_not_exists(PK)"),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}})
	}
	rlIdx := -1 // trusted captures (ads webhooks) have no per-IP limit
	if !c.Trusted {
		items = append(items, st.siteKeyCheck(site)) // at rlIdx-1
		rlIdx = len(items)
		items = append(items, rl...)
	}
	evs, err := st.eventItems(tenant, l.ID, append(history, then...), now)
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
	items, msgs = timeline.add(items, msgs)
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
		if again, err := st.collided(timeline, reasons, items); err != nil || again {
			if err != nil {
				return lead.CaptureResult{}, fmt.Errorf("capture: %w", err)
			}
			continue
		}
		if rlIdx >= 0 && failed(reasons, rlIdx-1) {
			return lead.CaptureResult{}, fmt.Errorf("capture: %w", account.ErrSiteKeyRevoked)
		}
		if c.ExternalID != "" && failed(reasons, 1) {
			// keys[0] is the external id. A redelivery (ads) or a retry of
			// the same body: nothing was written; answer with the lead.
			if c.ReplayNoop {
				return st.replayResult(ctx, tenant, keys[0], reasons[1].Item)
			}
			res, retried, err := st.retried(ctx, tenant, keys[0], reasons[1].Item, fp)
			if err != nil || retried {
				return res, err
			}
		}
		if failed(reasons, rlIdx) {
			return lead.CaptureResult{}, rateLimited(now)
		}
		taken := false
		for i, k := range keys {
			if failed(reasons, 1+i) {
				taken = true
				owners[k] = str(reasons[1+i].Item, "lead_id")
			}
		}
		if taken {
			return st.captureRepeat(ctx, site, c, fp, now, owners)
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
func (st *Store) captureRepeat(ctx context.Context, site account.Site, c lead.Capture, fp string, now time.Time, owners map[lead.IdentityKey]string) (lead.CaptureResult, error) {
	tenant := site.TenantID
	keys := c.Keys()
	for attempt := 1; ; attempt++ {
		if attempt > 1 && c.ExternalID != "" {
			// A concurrent retry of the same body may have been stored
			// since the last attempt read the lead.
			res, retried, err := st.retried(ctx, tenant, keys[0], nil, fp)
			if err != nil || retried {
				return res, err
			}
		}
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
			if known && ownerID == "" {
				ownerID = o
			}
		}
		if ownerID == "" {
			// Every key we saw taken is gone again; start over as new.
			return st.capture(ctx, site, c)
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
		timeline, err := st.captureInteraction(tenant, &l, c, now)
		if err != nil {
			return lead.CaptureResult{}, fmt.Errorf("capture: repeat: %w", err)
		}
		oldVersion := l.Version
		l.Version++
		put := added(before, l.Keys())
		if c.ExternalID != "" && containsKey(before, keys[0]) {
			put = append(put, keys[0]) // the new body's fingerprint
		}
		dups := lead.Conflicts(keys, owners, l.ID, now)
		items, keyIdx, rlIdx, overflow, err := st.repeatItems(tenant, site, c, fp, now, &prev, l, oldVersion, put, events, dups, timeline)
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
		if again, err := st.collided(timeline, reasons, items); err != nil || again {
			if err != nil {
				return lead.CaptureResult{}, fmt.Errorf("capture: repeat: %w", err)
			}
			continue
		}
		if rlIdx >= 0 && failed(reasons, rlIdx-1) {
			return lead.CaptureResult{}, fmt.Errorf("capture: repeat: %w", account.ErrSiteKeyRevoked)
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
func (st *Store) repeatItems(tenant string, site account.Site, c lead.Capture, fp string, now time.Time, prev *lead.Lead, l lead.Lead, oldVersion int64,
	putKeys []lead.IdentityKey, events []lead.Event, dups []lead.DuplicateCandidate, timeline *captureTimeline) (items []types.TransactWriteItem, keyIdx map[int]lead.IdentityKey, rlIdx int, overflow []map[string]types.AttributeValue, err error) {
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
	for _, k := range putKeys {
		keyIdx[len(items)] = k
		it := st.putKey(tenant, k, l)
		if k.Kind == lead.KindExternal {
			// Fails when a retry of this body got in first: the next
			// attempt answers it as a retry.
			it.Put.Item = keyItem(tenant, k, l, fp)
			it.Put.ConditionExpression = aws.String("attribute_not_exists(PK) OR (lead_id = :id AND (attribute_not_exists(#fp) OR #fp <> :fp))")
			it.Put.ExpressionAttributeNames = map[string]string{"#fp": attrFingerprint}
			it.Put.ExpressionAttributeValues[":fp"] = s(fp)
		}
		items = append(items, it)
	}
	items = append(items, st.duplicateItems(tenant, l.ID, dups)...)
	rlIdx = -1
	if !c.Trusted {
		items = append(items, st.siteKeyCheck(site)) // at rlIdx-1
		rlIdx = len(items)
		items = append(items, st.rateLimit(site, c, now)...)
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
	items, msgs = timeline.add(items, msgs)
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

// attrFingerprint is the attribute of an external id's key item holding
// the fingerprint of the last capture with that id.
const attrFingerprint = "fp"

// retried answers a capture whose external id k exists when the key item
// (old, or read when nil or incomplete) holds the capture's fingerprint fp:
// a retry of the same body, answered like any capture of a known person
// (api.md: 200, "created": false, the same ids), writing nothing.
func (st *Store) retried(ctx context.Context, tenant string, k lead.IdentityKey, old map[string]types.AttributeValue, fp string) (lead.CaptureResult, bool, error) {
	if str(old, "lead_id") == "" {
		out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: st.table, Key: key(identityPK(tenant, k), skKey), ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return lead.CaptureResult{}, false, fmt.Errorf("capture: retry check: %w", err)
		}
		old = out.Item
	}
	if old == nil || str(old, attrFingerprint) != fp {
		return lead.CaptureResult{}, false, nil
	}
	return lead.CaptureResult{LeadID: str(old, "lead_id"), ContactID: str(old, "contact_id")}, true, nil
}

// skDup prefixes a lead's duplicate candidates:
// SK=DUP#<other lead id>#<key kind>#<key value>, one item per key the
// other lead holds.
const skDup = "DUP#"

// duplicateItems records each candidate on both leads: in leadID's
// partition naming the other, and in the other's naming leadID. The puts
// are idempotent (the key names the pair and the reason).
func (st *Store) duplicateItems(tenant, leadID string, dups []lead.DuplicateCandidate) []types.TransactWriteItem {
	var out []types.TransactWriteItem
	put := func(owner, other string, r lead.DuplicateReason, at time.Time) {
		out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: map[string]types.AttributeValue{
			AttrPK: s(leadPK(tenant, owner)), AttrSK: s(skDup + other + "#" + r.Signal + "#" + r.Value),
			"lead_id": s(other), "signal": s(r.Signal), "value": s(r.Value), "at": s(at.UTC().Format(time.RFC3339Nano)),
		}}})
	}
	for _, d := range dups {
		for _, r := range d.Reasons {
			put(leadID, d.LeadID, r, d.At)
			put(d.LeadID, leadID, r, d.At)
		}
	}
	return out
}

// DuplicateCandidates lists the leads recorded as possibly the same person
// as leadID (see Capture), ordered by lead id, each with every key that
// suggested it and the time it was last recorded.
func (st *Store) DuplicateCandidates(ctx context.Context, tenant, leadID string) ([]lead.DuplicateCandidate, error) {
	if badID(leadID) {
		return nil, nil
	}
	in := &dynamodb.QueryInput{
		TableName:              st.table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :dup)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": s(leadPK(tenant, leadID)), ":dup": s(skDup),
		},
		ConsistentRead: aws.Bool(true),
	}
	var out []lead.DuplicateCandidate
	for {
		page, err := st.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("duplicate candidates of %s: %w", leadID, err)
		}
		for _, it := range page.Items {
			id := str(it, "lead_id")
			at, _ := time.Parse(time.RFC3339Nano, str(it, "at"))
			if len(out) == 0 || out[len(out)-1].LeadID != id {
				out = append(out, lead.DuplicateCandidate{LeadID: id})
			}
			d := &out[len(out)-1]
			d.Reasons = append(d.Reasons, lead.DuplicateReason{Signal: str(it, "signal"), Value: str(it, "value")})
			if at.After(d.At) {
				d.At = at
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// transientError marks a store error a retry can fix.
type transientError struct{ err error }

func (e transientError) Error() string   { return e.err.Error() }
func (e transientError) Unwrap() error   { return e.err }
func (e transientError) Retryable() bool { return true }

// transient wraps err when a retry can fix it: what the SDK itself retries
// (throttling, 5xx, connection errors) after its attempts ran out, lost
// races (ErrContention) and timeouts. Validation errors, an item too large
// and the like stay as they are: permanent, never answered as "retry".
func transient(err error) error {
	if err == nil {
		return nil
	}
	var r interface{ Retryable() bool }
	if errors.As(err, &r) && r.Retryable() {
		return err
	}
	if retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary ||
		errors.Is(err, context.DeadlineExceeded) {
		return transientError{err}
	}
	return err
}

// putKey writes identity key k for lead l unless another lead holds it.
func (st *Store) putKey(tenant string, k lead.IdentityKey, l lead.Lead) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{
		TableName:                           st.table,
		Item:                                keyItem(tenant, k, l, ""),
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

// siteKeyCheck fails the capture transaction (account.ErrSiteKeyRevoked)
// when site.Key's lookup item is gone: the key was rotated, and another
// instance's site cache may still hold it, so the capture transaction
// checks the key itself and stores nothing.
func (st *Store) siteKeyCheck(site account.Site) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: st.table, Key: key(siteKeyPK(site.Key), skSiteKey),
		ConditionExpression:       aws.String("#id = :id"),
		ExpressionAttributeNames:  map[string]string{"#id": "id"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": s(site.ID)},
	}}
}

func leadItem(l lead.Lead) (map[string]types.AttributeValue, error) {
	return item(l, leadPK(l.TenantID, l.ID), skMeta, "tenant_id", l.TenantID)
}

// keyItem is identity key k of lead l. An external id's item also holds
// fp, the fingerprint of the last capture with that id, so a retry of the
// same body is recognized.
func keyItem(tenant string, k lead.IdentityKey, l lead.Lead, fp string) map[string]types.AttributeValue {
	it := map[string]types.AttributeValue{
		AttrPK: s(identityPK(tenant, k)), AttrSK: s(skKey),
		"lead_id": s(l.ID), "contact_id": s(l.ContactID),
	}
	if k.Kind == lead.KindExternal && fp != "" {
		it[attrFingerprint] = s(fp)
	}
	return it
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

// batchPut writes items 25 at a time (batchWrite).
func (st *Store) batchPut(ctx context.Context, items []map[string]types.AttributeValue) error {
	reqs := make([]types.WriteRequest, len(items))
	for i, it := range items {
		reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}
	}
	return st.batchWrite(ctx, "batch write", reqs)
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
