package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/interaction"
	"github.com/leadflow/leadflow/internal/lead"
)

// Interactions (the timeline; see internal/interaction).
//
//	PK                                   SK                              what
//	T#<t>#INT#<interaction_id>           META                            the interaction (lead_id "" until related)
//	T#<t>#INT#<interaction_id>           MSG#<at ms UTC>#<hash12>        one message (deterministic key)
//	T#<t>#INT#<interaction_id>           EVT#<at ms UTC>#<hash12>        one event (deterministic key)
//	T#<t>#INTX#<channel>#<external_id>   KEY                             upsert key → interaction_id
//	T#<t>#PROTO#<protocol>               KEY                             protocol → interaction_id (unique)
//	T#<t>#LEAD#<lead_id>                 TL#<opened_at ms UTC>#<int_id>  timeline summary of one interaction
//
// The interaction, its upsert and protocol keys, its timeline summary and
// the counters of the lead(s) it moves are written in one transaction,
// conditional on the versions read; messages and events beyond the
// transaction's 100 actions follow in batches (deterministic keys, so a
// retry rewrites them harmlessly).
const (
	skTimeline = "TL#"
	attrIntID  = "interaction_id"
)

func interactionPK(tenant, id string) string { return "T#" + tenant + "#INT#" + id }

func upsertKeyPK(tenant string, ch interaction.Channel, externalID string) string {
	return "T#" + tenant + "#INTX#" + string(ch) + "#" + externalID
}

func protocolPK(tenant, protocol string) string { return "T#" + tenant + "#PROTO#" + protocol }

func timelineSK(i interaction.Interaction) string {
	return skTimeline + i.OpenedAt.UTC().Format(msgTimeLayout) + "#" + i.ID
}

func interactionMessageSK(m lead.Message) string {
	return skMsg + m.At.UTC().Format(msgTimeLayout) + "#" + strings.TrimPrefix(interaction.MessageID(m), lead.PrefixMessage)
}

func interactionEventSK(e interaction.Event) string {
	return skEvent + e.At.UTC().Format(msgTimeLayout) + "#" + strings.TrimPrefix(interaction.EventID(e), "iev_")
}

// ErrInteractionNotFound is an unknown interaction (or one of another tenant).
var ErrInteractionNotFound = fmt.Errorf("interaction: %w", lead.ErrNotFound)

// PostInteraction upserts one normalized interaction (interaction.Normalize)
// by its channel and external id: a new one gets an id, a protocol and,
// when its profile's identity keys name a lead, that lead; a known one is
// changed by interaction.Upsert. created reports a new interaction; an
// identical redelivery writes nothing and returns the stored interaction.
func (st *Store) PostInteraction(ctx context.Context, tenant string, in interaction.Interaction) (out interaction.Interaction, created bool, err error) {
	defer func() { err = transient(err) }()
	for attempt := 1; ; attempt++ {
		old, err := st.interactionByExternalID(ctx, tenant, in.Channel, in.ExternalID)
		if err != nil {
			return out, false, fmt.Errorf("post interaction: %w", err)
		}
		if old != nil && old.Fingerprint == in.Fingerprint {
			return *old, false, nil // a redelivery: nothing read or written
		}
		var stored interaction.Stored
		if old != nil && len(in.Messages)+len(in.Events) > 0 {
			if stored, err = st.storedParts(ctx, tenant, old.ID); err != nil {
				return out, false, fmt.Errorf("post interaction: %w", err)
			}
		}
		now := st.now().UTC()
		next, changed := interaction.Upsert(old, in, stored, now)
		if !changed {
			return next, false, nil
		}
		if old == nil {
			next.ID = lead.NewID(lead.PrefixInteraction, now)
			next.Protocol = interaction.NewProtocol(next.OpenedAt)
		}
		if next.LeadID == "" {
			if next.LeadID, err = st.profileOwner(ctx, tenant, next.Profile.Keys()); err != nil {
				return out, false, fmt.Errorf("post interaction: %w", err)
			}
		}
		var items []types.TransactWriteItem
		if old == nil {
			items = append(items,
				types.TransactWriteItem{Put: &types.Put{TableName: st.table,
					Item: map[string]types.AttributeValue{
						AttrPK: s(upsertKeyPK(tenant, next.Channel, next.ExternalID)), AttrSK: s(skKey), attrIntID: s(next.ID),
					},
					ConditionExpression: aws.String("attribute_not_exists(PK)")}},
				types.TransactWriteItem{Put: &types.Put{TableName: st.table,
					Item: map[string]types.AttributeValue{
						AttrPK: s(protocolPK(tenant, next.Protocol)), AttrSK: s(skKey), attrIntID: s(next.ID),
					},
					ConditionExpression: aws.String("attribute_not_exists(PK)")}})
		}
		w, err := st.interactionWrites(ctx, tenant, old, next, nil)
		if errors.Is(err, lead.ErrNotFound) && attempt < maxAttempts {
			continue // the located lead is gone: locate again
		}
		if err != nil {
			return out, false, fmt.Errorf("post interaction: %w", err)
		}
		items = append(items, w.items...)
		done, err := st.commitInteraction(ctx, items, w, next)
		if err != nil {
			return out, false, fmt.Errorf("post interaction: %w", err)
		}
		if done {
			return next, old == nil, nil
		}
		// Lost a race (the upsert key, a protocol collision, a version):
		// read again and retry.
		if attempt >= maxAttempts {
			return out, false, fmt.Errorf("post interaction after %d attempts: %w", attempt, ErrContention)
		}
		if err := backoff(ctx, attempt); err != nil {
			return out, false, err
		}
	}
}

// RelateInteraction makes the interaction part of leadID's timeline (moving
// it off another lead's, counters included) and writes a history entry on
// the lead. Relating it to the lead it already has is a no-op; a missing
// or soft-deleted lead is lead.ErrNotFound. The lead's identity keys are
// the caller's (Store.JoinKeys, before this).
func (st *Store) RelateInteraction(ctx context.Context, tenant, interactionID, leadID string, actor lead.Actor) (out interaction.Interaction, err error) {
	defer func() { err = transient(err) }()
	if l, err := st.getLead(ctx, tenant, leadID); err != nil || l.DeletedAt != nil {
		if err == nil {
			err = lead.ErrNotFound // a soft-deleted lead takes no interactions
		}
		return out, fmt.Errorf("relate interaction to %s: %w", leadID, err)
	}
	for attempt := 1; ; attempt++ {
		old, err := st.interactionMeta(ctx, tenant, interactionID)
		if err != nil {
			return out, fmt.Errorf("relate interaction: %w", err)
		}
		if old.LeadID == leadID {
			return old, nil
		}
		now := st.now().UTC()
		next := old
		next.LeadID, next.Version, next.UpdatedAt = leadID, old.Version+1, now
		ev := lead.Event{ID: lead.NewID(lead.PrefixEvent, now), At: now, Actor: actor, Action: ActionInteractionRelated,
			After: map[string]string{"interaction_id": next.ID, "protocol": next.Protocol, "channel": string(next.Channel)}}
		w, err := st.interactionWrites(ctx, tenant, &old, next, map[string][]lead.Event{leadID: {ev}})
		if err != nil {
			return out, fmt.Errorf("relate interaction: %w", err)
		}
		done, err := st.commitInteraction(ctx, w.items, w, next)
		if err != nil {
			return out, fmt.Errorf("relate interaction: %w", err)
		}
		if done {
			return next, nil
		}
		if attempt >= maxAttempts {
			return out, fmt.Errorf("relate interaction after %d attempts: %w", attempt, ErrContention)
		}
		if err := backoff(ctx, attempt); err != nil {
			return out, err
		}
	}
}

// ActionInteractionRelated is the lead history action of a relate.
const ActionInteractionRelated = "interaction_related"

// interactionTx is one interaction write: the transaction's actions and the
// message and event items that did not fit.
type interactionTx struct {
	items    []types.TransactWriteItem
	overflow []map[string]types.AttributeValue
}

// interactionWrites builds the writes that take an interaction from old
// (nil: new) to next: its META (conditional on old's version), its
// timeline summary (moved when its lead or opening time changed), the new
// messages and events, and for every lead whose counters move
// (interaction.Deltas) the lead read now, changed, and put back
// conditional on its version with its list-index copies, plus history.
// lead.ErrNotFound when a lead to update is gone.
func (st *Store) interactionWrites(ctx context.Context, tenant string, old *interaction.Interaction, next interaction.Interaction, history map[string][]lead.Event) (interactionTx, error) {
	var w interactionTx
	pk := interactionPK(tenant, next.ID)
	meta, err := item(next, pk, skMeta, "tenant_id", tenant)
	if err != nil {
		return w, err
	}
	put := &types.Put{TableName: st.table, Item: meta, ConditionExpression: aws.String("attribute_not_exists(PK)")}
	if old != nil {
		put.ConditionExpression = aws.String("version = :v")
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":v": n(old.Version)}
	}
	w.items = append(w.items, types.TransactWriteItem{Put: put})
	if old != nil && old.LeadID != "" && (old.LeadID != next.LeadID || timelineSK(*old) != timelineSK(next)) {
		w.items = append(w.items, types.TransactWriteItem{Delete: &types.Delete{
			TableName: st.table, Key: key(leadPK(tenant, old.LeadID), timelineSK(*old)),
		}})
	}
	if next.LeadID != "" {
		tl, err := item(next.Summary(), leadPK(tenant, next.LeadID), timelineSK(next), "tenant_id", tenant, attrIntID, next.ID)
		if err != nil {
			return w, err
		}
		w.items = append(w.items, types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: tl}})
	}
	deltas := interaction.Deltas(old, &next)
	for id := range history {
		if _, ok := deltas[id]; !ok {
			deltas[id] = lead.CounterDelta{}
		}
	}
	for leadID, d := range deltas {
		l, err := st.getLead(ctx, tenant, leadID)
		if err != nil {
			return w, err
		}
		prev := l
		l.ApplyCounters(d)
		l.Version, l.UpdatedAt = prev.Version+1, next.UpdatedAt
		items, err := st.leadCounterWrites(tenant, prev, l, history[leadID])
		if err != nil {
			return w, err
		}
		w.items = append(w.items, items...)
	}
	parts, err := st.interactionParts(tenant, next)
	if err != nil {
		return w, err
	}
	w.items, w.overflow = st.fill(w.items, parts)
	return w, nil
}

// leadCounterWrites puts a lead whose counters changed (conditional on the
// version read) with its list-index copies and history entries.
func (st *Store) leadCounterWrites(tenant string, prev, l lead.Lead, history []lead.Event) ([]types.TransactWriteItem, error) {
	m, err := leadItem(l)
	if err != nil {
		return nil, err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{
		TableName: st.table, Item: m,
		ConditionExpression:       aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(prev.Version)},
	}}}
	ix, err := st.indexWrites(&prev, l)
	if err != nil {
		return nil, err
	}
	items = append(items, ix...)
	evs, err := st.eventItems(tenant, l.ID, history, l.UpdatedAt)
	if err != nil {
		return nil, err
	}
	return append(items, evs...), nil
}

// interactionParts are the message and event items of next that are not
// stored yet (interaction.Upsert leaves only those).
func (st *Store) interactionParts(tenant string, next interaction.Interaction) ([]map[string]types.AttributeValue, error) {
	pk := interactionPK(tenant, next.ID)
	var out []map[string]types.AttributeValue
	for _, m := range next.Messages {
		m.ID, m.At = interaction.MessageID(m), m.At.UTC()
		it, err := item(m, pk, interactionMessageSK(m))
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	for _, e := range next.Events {
		e.ID, e.At = interaction.EventID(e), e.At.UTC()
		it, err := item(e, pk, interactionEventSK(e))
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

// commitInteraction runs the transaction and then the overflow batch. done
// is false when the transaction lost a race a fresh read can win (a
// condition failed, a conflict); other failures are errors.
func (st *Store) commitInteraction(ctx context.Context, items []types.TransactWriteItem, w interactionTx, next interaction.Interaction) (bool, error) {
	if len(items) > maxTxItems {
		return false, fmt.Errorf("interaction %s: %d actions in one transaction", next.ID, len(items))
	}
	reasons, err := st.transact(ctx, items)
	if err != nil {
		return false, err
	}
	if reasons != nil {
		for i := range reasons {
			if failed(reasons, i) {
				return false, nil
			}
		}
		if err := retryable(reasons); err != nil {
			return false, err
		}
		return false, nil
	}
	if err := st.batchPut(ctx, w.overflow); err != nil {
		return false, fmt.Errorf("interaction %s: messages: %w", next.ID, err)
	}
	return true, nil
}

// interactionByExternalID reads the interaction the upsert key names (nil
// when none).
func (st *Store) interactionByExternalID(ctx context.Context, tenant string, ch interaction.Channel, externalID string) (*interaction.Interaction, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: st.table, Key: key(upsertKeyPK(tenant, ch, externalID), skKey), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	id := str(out.Item, attrIntID)
	if id == "" {
		return nil, nil
	}
	i, err := st.interactionMeta(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	return &i, nil
}

// interactionMeta reads an interaction without its messages and events.
func (st *Store) interactionMeta(ctx context.Context, tenant, id string) (interaction.Interaction, error) {
	var i interaction.Interaction
	if badID(id) {
		return i, ErrInteractionNotFound
	}
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: st.table, Key: key(interactionPK(tenant, id), skMeta), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return i, err
	}
	if out.Item == nil {
		return i, ErrInteractionNotFound
	}
	return i, unmarshal(out.Item, &i)
}

// storedParts lists the ids of the messages and events stored for an
// interaction (keys only).
func (st *Store) storedParts(ctx context.Context, tenant, id string) (interaction.Stored, error) {
	stored := interaction.Stored{Messages: map[string]bool{}, Events: map[string]bool{}}
	in := &dynamodb.QueryInput{
		TableName:                 st.table,
		KeyConditionExpression:    aws.String("PK = :pk AND SK BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(interactionPK(tenant, id)), ":lo": s(skEvent), ":hi": s(skMsg + maxRune)},
		ProjectionExpression:      aws.String("SK"),
		ConsistentRead:            aws.Bool(true),
	}
	for {
		out, err := st.db.Query(ctx, in)
		if err != nil {
			return stored, err
		}
		for _, it := range out.Items {
			sk := str(it, AttrSK)
			h := sk[strings.LastIndexByte(sk, '#')+1:]
			switch {
			case strings.HasPrefix(sk, skMsg):
				stored.Messages[lead.PrefixMessage+h] = true
			case strings.HasPrefix(sk, skEvent):
				stored.Events["iev_"+h] = true
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return stored, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// profileOwner returns the lead owning the first of keys that has an identity key
// item ("" when none does): one BatchGetItem.
func (st *Store) profileOwner(ctx context.Context, tenant string, keys []lead.IdentityKey) (string, error) {
	if len(keys) == 0 {
		return "", nil
	}
	var ks []map[string]types.AttributeValue
	for _, k := range keys {
		ks = append(ks, key(identityPK(tenant, k), skKey))
	}
	owners := map[string]string{}
	req := map[string]types.KeysAndAttributes{*st.table: {Keys: ks, ConsistentRead: aws.Bool(true)}}
	for attempt := 1; len(req) > 0; attempt++ {
		out, err := st.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return "", fmt.Errorf("locate: %w", err)
		}
		for _, it := range out.Responses[*st.table] {
			owners[str(it, AttrPK)] = str(it, "lead_id")
		}
		req = out.UnprocessedKeys
		if len(req) > 0 {
			if attempt >= maxAttempts {
				return "", fmt.Errorf("locate: %w", ErrContention)
			}
			if err := backoff(ctx, attempt); err != nil {
				return "", err
			}
		}
	}
	for _, k := range keys {
		if id := owners[identityPK(tenant, k)]; id != "" {
			return id, nil
		}
	}
	return "", nil
}

// Interaction reads one interaction with its messages (oldest first) and
// events (oldest first): one Query over its partition.
func (st *Store) Interaction(ctx context.Context, tenant, id string) (interaction.Interaction, error) {
	var i interaction.Interaction
	if badID(id) {
		return i, ErrInteractionNotFound
	}
	in := &dynamodb.QueryInput{
		TableName:                 st.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(interactionPK(tenant, id))},
		ConsistentRead:            aws.Bool(true),
	}
	found := false
	for {
		out, err := st.db.Query(ctx, in)
		if err != nil {
			return i, fmt.Errorf("interaction %s: %w", id, err)
		}
		for _, it := range out.Items {
			switch sk := str(it, AttrSK); {
			case sk == skMeta:
				msgs, evs := i.Messages, i.Events
				if err := unmarshal(it, &i); err != nil {
					return i, fmt.Errorf("interaction %s: %w", id, err)
				}
				i.Messages, i.Events, found = msgs, evs, true
			case strings.HasPrefix(sk, skMsg):
				var m lead.Message
				if err := unmarshal(it, &m); err != nil {
					return i, fmt.Errorf("interaction %s: %w", id, err)
				}
				i.Messages = append(i.Messages, m)
			case strings.HasPrefix(sk, skEvent):
				var e interaction.Event
				if err := unmarshal(it, &e); err != nil {
					return i, fmt.Errorf("interaction %s: %w", id, err)
				}
				i.Events = append(i.Events, e)
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if !found {
		return interaction.Interaction{}, ErrInteractionNotFound
	}
	return i, nil
}

// Timeline pages a lead's interactions, newest first (by opening time),
// optionally of one channel. A channel filter reads at most
// readBudget(limit) summaries per page and continues with a cursor.
func (st *Store) Timeline(ctx context.Context, tenant, leadID string, ch interaction.Channel, cursor string, limit int) (lead.Page[interaction.Summary], error) {
	p := lead.Page[interaction.Summary]{Items: []interaction.Summary{}}
	if limit <= 0 {
		limit = defaultPageSize
	}
	limit = min(limit, maxPageSize)
	l, err := st.getLead(ctx, tenant, leadID)
	if err == nil && l.DeletedAt != nil {
		err = lead.ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("timeline of %s: %w", leadID, err)
	}
	pk := leadPK(tenant, leadID)
	in := &dynamodb.QueryInput{
		TableName:                 st.table,
		KeyConditionExpression:    aws.String("PK = :pk AND SK BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(pk), ":lo": s(skTimeline), ":hi": s(skTimeline + maxRune)},
		ScanIndexForward:          aws.Bool(false),
		ConsistentRead:            aws.Bool(true),
	}
	if ch != "" {
		in.FilterExpression = aws.String("channel = :ch")
		in.ExpressionAttributeValues[":ch"] = s(string(ch))
	}
	if cursor != "" {
		sk, err := decodeCursor(cursor, skTimeline)
		if err != nil {
			return p, err
		}
		in.ExclusiveStartKey = key(pk, sk)
	}
	var items []map[string]types.AttributeValue
	read, budget := 0, readBudget(limit)
	var lastRead string
	for len(items) <= limit {
		in.Limit = aws.Int32(int32(min(budget-read, max(limit+1-len(items), 25))))
		out, err := st.db.Query(ctx, in)
		if err != nil {
			return p, fmt.Errorf("timeline of %s: %w", leadID, err)
		}
		read += int(out.ScannedCount)
		items = append(items, out.Items...)
		if len(out.LastEvaluatedKey) == 0 {
			lastRead = ""
			break
		}
		lastRead = str(out.LastEvaluatedKey, AttrSK)
		if read >= budget {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if p, err = pageOf[interaction.Summary](items, limit); err != nil {
		return p, fmt.Errorf("timeline of %s: %w", leadID, err)
	}
	if p.NextCursor == "" && lastRead != "" && len(items) <= limit {
		p.NextCursor = encodeCursor(lastRead) // the read budget ran out
	}
	return p, nil
}

// captureTimeline is a capture's interaction (interaction.ForCapture):
// the transaction actions that put it on its lead's timeline (protocol key,
// interaction, timeline summary, at items[at:at+3] once added) and its
// message items, which the capture writes with its own (Store.fill).
type captureTimeline struct {
	tenant string
	i      interaction.Interaction
	items  []types.TransactWriteItem
	parts  []map[string]types.AttributeValue
	at     int
}

// captureInteraction puts a capture on its lead's timeline: it counts the
// interaction on l, whose META the capture writes (l.Interactions is the
// capture's own business: lead.New and Absorb count it), and returns the
// writes. The one function both capture paths call.
func (st *Store) captureInteraction(tenant string, l *lead.Lead, c lead.Capture, now time.Time) (*captureTimeline, error) {
	ct := &captureTimeline{tenant: tenant, i: interaction.ForCapture(c, l.ID, now)}
	d := interaction.Contribution(&ct.i)
	d.Interactions = 0
	l.ApplyCounters(d)
	if err := st.captureTimelineItems(ct); err != nil {
		return nil, err
	}
	var err error
	ct.parts, err = st.interactionParts(tenant, ct.i)
	return ct, err
}

func (st *Store) captureTimelineItems(ct *captureTimeline) error {
	meta, err := item(ct.i, interactionPK(ct.tenant, ct.i.ID), skMeta, "tenant_id", ct.tenant)
	if err != nil {
		return err
	}
	tl, err := item(ct.i.Summary(), leadPK(ct.tenant, ct.i.LeadID), timelineSK(ct.i), "tenant_id", ct.tenant, attrIntID, ct.i.ID)
	if err != nil {
		return err
	}
	ct.items = []types.TransactWriteItem{
		{Put: &types.Put{TableName: st.table, ConditionExpression: aws.String("attribute_not_exists(PK)"), Item: map[string]types.AttributeValue{
			AttrPK: s(protocolPK(ct.tenant, ct.i.Protocol)), AttrSK: s(skKey), attrIntID: s(ct.i.ID),
		}}},
		{Put: &types.Put{TableName: st.table, Item: meta}},
		{Put: &types.Put{TableName: st.table, Item: tl}},
	}
	return nil
}

// add appends the timeline's actions to a capture transaction and its
// messages to the capture's.
func (ct *captureTimeline) add(items []types.TransactWriteItem, msgs []map[string]types.AttributeValue) ([]types.TransactWriteItem, []map[string]types.AttributeValue) {
	ct.at = len(items)
	return append(items, ct.items...), append(msgs, ct.parts...)
}

// collided reports a cancelled capture whose protocol was taken (40 random
// bits a day make it rare); then it draws another protocol into items and
// the capture tries again.
func (st *Store) collided(ct *captureTimeline, reasons []types.CancellationReason, items []types.TransactWriteItem) (bool, error) {
	if !failed(reasons, ct.at) {
		return false, nil
	}
	ct.i.Protocol = interaction.NewProtocol(ct.i.OpenedAt)
	if err := st.captureTimelineItems(ct); err != nil {
		return false, err
	}
	copy(items[ct.at:], ct.items)
	return true, nil
}
