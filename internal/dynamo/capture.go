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
	"github.com/leadflow/leadflow/internal/leadcapture"
	"github.com/leadflow/leadflow/internal/outbox"
)

// The capture's writes. What a capture does (a new lead or an append, what
// the append changes, duplicate candidates, retries) is decided by the
// capture use case in internal/leadcapture; the store persists the
// lead.CaptureWrite it is handed and reports what stopped it:
//
//   - CreateLead is one TransactWriteItems. When a key exists, the
//     cancelled transaction's reasons name the lead holding it (and, for
//     an external id, the fingerprint of its last capture): one round trip
//     tells a new person from a known one.
//   - A repeat costs that cancelled transaction, a consistent read of the
//     lead (Lead) and one AppendCapture conditional on the version read.
//
// The site's per-IP rate limit and the site key are checked in the same
// transaction, so a refused capture writes nothing. Errors a retry can fix
// (throttling, 5xx, lost races) are wrapped so that errors.As finds
// interface{ Retryable() bool }; others are not.

// Capture runs the capture use case (leadcapture.Service) over this store at
// the store's clock (see At), for callers holding the store: the demo
// seed, schedbench and the store's own tests. The HTTP handlers, the ads
// fetcher and the import runner call the use case (wired in internal/app).
func (st *Store) Capture(ctx context.Context, site account.Site, c lead.Capture) (lead.CaptureResult, error) {
	return leadcapture.Service{Store: st, Now: st.now}.Capture(ctx, site, c)
}

// CreateLead writes w as a new lead: its META item and every key in
// w.Keys, each conditional on not existing, with its history, counters,
// list indexes, the outbox event of a new lead and its conversation. A
// cancelled transaction with transient reasons only is retried as is
// (ErrContention after maxAttempts); one that found keys taken or the rate
// limit reached is reported in the outcome; a revoked site key is
// account.ErrSiteKeyRevoked.
func (st *Store) CreateLead(ctx context.Context, site account.Site, w lead.CaptureWrite) (lead.CaptureOutcome, error) {
	out, err := st.createLead(ctx, site, w)
	return out, transient(err)
}

func (st *Store) createLead(ctx context.Context, site account.Site, w lead.CaptureWrite) (lead.CaptureOutcome, error) {
	tenant, c, l, now := site.TenantID, w.Capture, w.Lead, w.At
	keys := w.Keys
	rl := st.rateLimit(site, c, now)
	// The capture is the first interaction on the lead's timeline.
	timeline, err := st.captureInteraction(tenant, &l, c, now)
	if err != nil {
		return lead.CaptureOutcome{}, err
	}

	meta, err := leadItem(l)
	if err != nil {
		return lead.CaptureOutcome{}, err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{
		TableName: st.table, Item: meta, ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}}}
	for _, k := range keys {
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName:                           st.table,
			Item:                                keyItem(tenant, k, l, w.Fingerprint),
			ConditionExpression:                 aws.String("attribute_not_exists(PK)"),
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}})
	}
	rlIdx := -1 // trusted captures (ads webhooks) have no per-IP limit
	if !c.Trusted {
		items = append(items, st.siteKeyCheck(site, timeline.i.ID)) // at rlIdx-1
		rlIdx = len(items)
		items = append(items, rl)
	}
	evs, err := st.eventItems(tenant, l.ID, w.Events, now)
	if err != nil {
		return lead.CaptureOutcome{}, err
	}
	items = append(items, evs...)
	items = append(items, st.counterItems(tenant, nil, &l)...)
	ix, err := st.indexWrites(nil, l)
	if err != nil {
		return lead.CaptureOutcome{}, err
	}
	items = append(items, ix...)
	// The new lead's side effects (assignment, …) go out through the outbox.
	items = append(items, st.outboxPut(outbox.NewLeadCreated(tenant, l.ID, now)))
	msgs, err := st.messageItems(tenant, l.ID, c.Conversation)
	if err != nil {
		return lead.CaptureOutcome{}, err
	}
	items, msgs = timeline.add(items, msgs)
	items, overflow := st.fill(items, msgs)

	keyIdx := map[int]lead.IdentityKey{}
	for i, k := range keys {
		keyIdx[1+i] = k
	}
	for attempt := 1; ; attempt++ {
		out, reasons, err := st.captureTransact(ctx, items, overflow, keyIdx, rlIdx, now)
		if err != nil || out.Written || out.RateLimited != nil || out.Taken != nil {
			return out, err
		}
		if again, err := st.collided(timeline, reasons, items); err != nil || again {
			if err != nil {
				return lead.CaptureOutcome{}, err
			}
			continue
		}
		if err := retryable(reasons); err != nil {
			return lead.CaptureOutcome{}, err
		}
		if attempt >= maxAttempts {
			return lead.CaptureOutcome{}, fmt.Errorf("after %d attempts: %w", attempt, ErrContention)
		}
		if err := backoff(ctx, attempt); err != nil {
			return lead.CaptureOutcome{}, err
		}
	}
}

// captureTransact runs a capture's transaction (and, once it commits, the
// conversation items that did not fit) and reads a cancellation: a
// revoked site key (the check at rlIdx-1) is an error; the rate limit (at
// rlIdx) and the keys found taken (keyIdx: item index → key, with what the
// cancelled put said of the holder) go in the outcome. The reasons come
// back for the caller's own reading. A rate-limit item found past its TTL
// is dropped and the transaction run again (see ratelimit.go).
func (st *Store) captureTransact(ctx context.Context, items []types.TransactWriteItem, overflow []map[string]types.AttributeValue,
	keyIdx map[int]lead.IdentityKey, rlIdx int, now time.Time) (lead.CaptureOutcome, []types.CancellationReason, error) {
	reasons, err := st.transact(ctx, items)
	if err == nil && rlIdx >= 0 && failed(reasons, rlIdx) && rateItemExpired(reasons[rlIdx].Item, now) {
		if err := st.dropExpiredRateItem(ctx, items[rlIdx].Update, now); err != nil {
			return lead.CaptureOutcome{}, nil, err
		}
		reasons, err = st.transact(ctx, items)
	}
	if err != nil {
		return lead.CaptureOutcome{}, nil, err
	}
	if reasons == nil {
		if err := st.batchPut(ctx, overflow); err != nil {
			return lead.CaptureOutcome{}, nil, fmt.Errorf("conversation: %w", err)
		}
		return lead.CaptureOutcome{Written: true}, nil, nil
	}
	if rlIdx >= 0 && failed(reasons, rlIdx-1) {
		return lead.CaptureOutcome{}, nil, account.ErrSiteKeyRevoked
	}
	var out lead.CaptureOutcome
	if failed(reasons, rlIdx) {
		out.RateLimited = rateLimited(now)
	}
	for i, k := range keyIdx {
		if failed(reasons, i) {
			if out.Taken == nil {
				out.Taken = map[lead.IdentityKey]lead.KeyHolder{}
			}
			out.Taken[k] = keyHolder(reasons[i].Item)
		}
	}
	return out, reasons, nil
}

// AppendCapture writes w over the lead it was decided on: the lead's META
// item conditional on w.Prev's version, the keys w adds (each free or the
// lead's own; an external id's also free of w's fingerprint, so a
// concurrent retry of the same body is seen), the duplicate candidates,
// the history, counters, purge and list-index changes and the
// conversation. One TransactWriteItems; a cancellation is reported in the
// outcome (nothing in it when the reasons were transient only: read and
// decide again) or, when it cannot be retried, as an error.
func (st *Store) AppendCapture(ctx context.Context, site account.Site, w lead.CaptureWrite) (lead.CaptureOutcome, error) {
	out, err := st.appendCapture(ctx, site, w)
	return out, transient(err)
}

func (st *Store) appendCapture(ctx context.Context, site account.Site, w lead.CaptureWrite) (lead.CaptureOutcome, error) {
	if w.Prev == nil {
		return lead.CaptureOutcome{}, errors.New("append capture: no lead read")
	}
	// The capture is one more interaction on the lead's timeline.
	l := w.Lead
	timeline, err := st.captureInteraction(site.TenantID, &l, w.Capture, w.At)
	if err != nil {
		return lead.CaptureOutcome{}, err
	}
	items, keyIdx, rlIdx, overflow, err := st.repeatItems(site.TenantID, site, w.Capture, w.Fingerprint, w.At, w.Prev, l, w.Prev.Version, w.Keys, w.Events, w.Duplicates, timeline)
	if err != nil {
		return lead.CaptureOutcome{}, err
	}
	for {
		out, reasons, err := st.captureTransact(ctx, items, overflow, keyIdx, rlIdx, w.At)
		if err != nil || out.Written {
			return out, err
		}
		if again, err := st.collided(timeline, reasons, items); err != nil || again {
			if err != nil {
				return lead.CaptureOutcome{}, err
			}
			continue // another protocol number, the same decision
		}
		out.VersionMoved = failed(reasons, 0) // the lead changed since it was read
		if !out.VersionMoved && out.Taken == nil && out.RateLimited == nil {
			if err := retryable(reasons); err != nil {
				return lead.CaptureOutcome{}, err
			}
		}
		return out, nil
	}
}

// KeyHolder reads identity key k's item (consistently): who holds it now.
// A key nobody holds is the zero KeyHolder.
func (st *Store) KeyHolder(ctx context.Context, tenant string, k lead.IdentityKey) (lead.KeyHolder, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: st.table, Key: key(identityPK(tenant, k), skKey), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return lead.KeyHolder{}, transient(fmt.Errorf("identity key %s: %w", k.Kind, err))
	}
	return keyHolder(out.Item), nil
}

// keyHolder reads a key item (or a cancelled put's old item: nil when the
// cancellation did not carry it).
func keyHolder(it map[string]types.AttributeValue) lead.KeyHolder {
	return lead.KeyHolder{LeadID: str(it, "lead_id"), ContactID: str(it, "contact_id"), Fingerprint: str(it, attrFingerprint)}
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
		items = append(items, st.siteKeyCheck(site, timeline.i.ID)) // at rlIdx-1
		rlIdx = len(items)
		items = append(items, st.rateLimit(site, c, now))
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

// attrFingerprint is the attribute of an external id's key item holding
// the fingerprint of the last capture with that id.
const attrFingerprint = "fp"

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
