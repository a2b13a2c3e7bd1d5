package dynamo

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/interaction"
	"github.com/leadflow/leadflow/internal/lead"
)

// The person's data: export and erasure (LGPD / GDPR).
//
// A person is a lead with everything that belongs to it: its partition
// (META, notes, history, conversation, tasks, duplicate records, index
// copies, timeline), the items outside it that hold its data or point at
// it (identity keys, task pointers, the duplicate records other leads keep
// about it), and the leads merged into it (tombstones, found through the
// MERGED# pointers, with the merge records that keep before images).
//
// Erasure deletes all of that. It is idempotent and resumable: everything
// but the METAs goes first (batches; a crash leaves the lead in place, so
// the request can simply be repeated), then one transaction deletes the
// METAs (conditional on the versions read), moves the attribution and
// load counters and writes the audit entry — who, when, which lead id,
// nothing about the person.

// ActionErased is the audit action of an erasure.
const ActionErased = "lead_erased"

// person is what erasure and export read of one person.
type person struct {
	lead   lead.Lead
	metas  map[string]lead.Lead // every lead of the person (the lead and its tombstones), by id
	items  []avmap              // every item but the METAs
	merges []string             // merge record ids
	files  []string             // attachment object keys
}

// readPerson gathers a person's items. A merge's tombstone is not a
// person of its own: *lead.MergedError names the survivor.
func (st *Store) readPerson(ctx context.Context, tenant, leadID string) (*person, error) {
	l, err := st.getLead(ctx, tenant, leadID)
	if err != nil {
		return nil, err
	}
	if l.MergedInto != "" {
		return nil, &lead.MergedError{ID: l.ID, Into: l.MergedInto}
	}
	p := &person{lead: l, metas: map[string]lead.Lead{l.ID: l}}
	seen := map[ikey]bool{}
	add := func(it avmap) {
		k := keyOf(it)
		if it == nil || seen[k] {
			return
		}
		seen[k] = true
		p.items = append(p.items, it)
	}
	queue := []string{l.ID}
	var extra []ikey
	var interactions []string
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		items, err := st.partitionItems(ctx, leadPK(tenant, id))
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			sk := str(it, AttrSK)
			switch {
			case sk == skMeta:
				if id != l.ID {
					var t lead.Lead
					if err := unmarshal(it, &t); err != nil {
						return nil, err
					}
					t.TenantID = tenant
					p.metas[id] = t
				}
				continue
			case strings.HasPrefix(sk, skMerged):
				mid := strings.TrimPrefix(sk, skMerged)
				if !slices.Contains(p.merges, mid) {
					p.merges = append(p.merges, mid)
					rec, _, err := st.readMerge(ctx, tenant, mid)
					if err == nil && rec.Survivor == id {
						for _, a := range rec.Absorbed {
							if _, ok := p.metas[a]; !ok && !slices.Contains(queue, a) {
								if t, err := st.getLead(ctx, tenant, a); err == nil && t.MergedInto == id {
									p.metas[a] = t
									queue = append(queue, a)
								}
							}
						}
					}
				}
			case strings.HasPrefix(sk, skTimeline):
				if iid, ok := timelineID(sk); ok && !slices.Contains(interactions, iid) {
					interactions = append(interactions, iid)
				}
			}
			extra = append(extra, linkedKeys(tenant, id, it)...)
			add(it)
		}
	}
	for _, m := range p.metas {
		for _, k := range m.Keys() {
			extra = append(extra, ikey{identityPK(tenant, k), skKey})
		}
		for _, k := range m.SharedKeyList() {
			extra = append(extra, ikey{identityPK(tenant, k), skSharedKey + m.ID})
		}
	}
	ints, lookups, files, err := st.interactionsOf(ctx, tenant, interactions, p.has)
	if err != nil {
		return nil, err
	}
	for _, it := range ints {
		add(it)
	}
	extra = append(extra, lookups...)
	p.files = files
	got, err := st.getItems(ctx, extra)
	if err != nil {
		return nil, err
	}
	for _, k := range extra {
		it := got[k]
		if it == nil {
			continue
		}
		if (k.sk == skKey && str(it, "lead_id") != "") || k.sk == skTaskPointer {
			if _, ours := p.metas[str(it, "lead_id")]; !ours {
				continue // a key another lead holds now
			}
		}
		add(it)
	}
	for _, mid := range p.merges {
		items, err := st.partitionItems(ctx, mergePK(tenant, mid))
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			add(it)
		}
	}
	return p, nil
}

// linkedKeys are the items outside a lead's partition that one item of
// it (it, in the partition of leadID) owns: a task's pointer and its
// assignee's due-now notification, the other lead's side of a duplicate
// record. Erasure and the purge delete them with the item.
func linkedKeys(tenant, leadID string, it avmap) []ikey {
	sk := str(it, AttrSK)
	if id, ok := strings.CutPrefix(sk, skTask); ok {
		out := []ikey{{taskPointerPK(tenant, id), skTaskPointer}}
		if a := str(it, "assignee_id"); a != "" {
			out = append(out, ikey{dueNowPK(tenant, a), id})
		}
		return out
	}
	if other, rest, ok := dupParts(sk); ok {
		return []ikey{{leadPK(tenant, other), skDup + leadID + "#" + rest}}
	}
	return nil
}

// interactionsOf reads the interactions a person's timeline names (ids,
// from its TL# items) that still belong to one of its leads (ours of the
// META's lead_id): each one's partition (META, messages, events), the
// keys of its upsert and protocol items, and its attachment files. An
// interaction related to another lead since is that lead's and is left
// out. Everything else goes with the person: an interaction is one
// person's exchange on a channel, so it is erased, and purged, with them.
func (st *Store) interactionsOf(ctx context.Context, tenant string, ids []string, ours func(leadID string) bool) (items []avmap, lookups []ikey, files []string, err error) {
	for _, iid := range ids {
		part, err := st.partitionItems(ctx, interactionPK(tenant, iid))
		if err != nil {
			return nil, nil, nil, err
		}
		var in interaction.Interaction
		for _, it := range part {
			if str(it, AttrSK) == skMeta {
				if err := unmarshal(it, &in); err != nil {
					return nil, nil, nil, err
				}
			}
		}
		if in.LeadID == "" || !ours(in.LeadID) {
			continue // gone, or related to someone else since
		}
		items = append(items, part...)
		if in.ExternalID != "" {
			lookups = append(lookups, ikey{upsertKeyPK(tenant, in.Channel, in.ExternalID), skKey})
		}
		if in.Protocol != "" {
			lookups = append(lookups, ikey{protocolPK(tenant, in.Protocol), skKey})
		}
		for _, a := range in.Attachments {
			if strings.HasPrefix(a.Key, interaction.AttachmentPrefix(tenant)) {
				files = append(files, a.Key)
			}
		}
	}
	return items, lookups, files, nil
}

// deleteInOrder deletes items so that a run stopped anywhere is finished
// by reading again: first what is only found through other items (keys,
// pointers, other leads' duplicate records, an interaction's messages and
// events, merge records), then interactions' METAs, then the items of the
// person's own lead partitions (own), whose timeline, task, duplicate and
// merge items lead to the rest.
func (st *Store) deleteInOrder(ctx context.Context, tenant string, own func(leadID string) bool, keys []ikey) error {
	var phases [3][]map[string]types.AttributeValue
	seen := map[ikey]bool{}
	for _, k := range keys {
		if seen[k] {
			continue // a batch must not name an item twice
		}
		seen[k] = true
		i := 0
		switch {
		case strings.HasPrefix(k.pk, leadPK(tenant, "")) && own(strings.TrimPrefix(k.pk, leadPK(tenant, ""))):
			i = 2
		case strings.HasPrefix(k.pk, interactionPK(tenant, "")) && k.sk == skMeta:
			i = 1
		}
		phases[i] = append(phases[i], key(k.pk, k.sk))
	}
	for _, ph := range phases {
		if err := st.batchDelete(ctx, ph); err != nil {
			return err
		}
	}
	return nil
}

// Erase deletes a person (see the comment above) and returns how many
// items went. deleteFiles is called with the attachment object keys
// before any item is deleted (a failure stops the erasure with nothing
// deleted from the table, so it can be repeated). lead.ErrNotFound for an
// unknown lead; *lead.MergedError for a merge's tombstone.
func (st *Store) Erase(ctx context.Context, tenant, leadID string, actor lead.Actor, deleteFiles func(context.Context, []string) error) (int, error) {
	for attempt := 1; ; attempt++ {
		p, err := st.readPerson(ctx, tenant, leadID)
		if err != nil {
			return 0, fmt.Errorf("erase %s: %w", leadID, err)
		}
		if len(p.files) > 0 && deleteFiles != nil {
			if err := deleteFiles(ctx, p.files); err != nil {
				return 0, fmt.Errorf("erase %s: attachments: %w", leadID, err)
			}
		}
		keys := make([]ikey, len(p.items))
		for i, it := range p.items {
			keys[i] = keyOf(it)
		}
		if err := st.deleteInOrder(ctx, tenant, p.has, keys); err != nil {
			return 0, fmt.Errorf("erase %s: %w", leadID, err)
		}
		tx := []types.TransactWriteItem{}
		for _, id := range slices.Sorted(maps.Keys(p.metas)) {
			m := p.metas[id]
			tx = append(tx, types.TransactWriteItem{Delete: &types.Delete{
				TableName: st.table, Key: key(leadPK(tenant, id), skMeta),
				ConditionExpression:       aws.String("version = :v"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(m.Version)},
			}})
		}
		metas := len(tx)
		var changes [][2]*lead.Lead
		load := map[string]map[string]int64{}
		for _, id := range slices.Sorted(maps.Keys(p.metas)) {
			m := p.metas[id]
			changes = append(changes, [2]*lead.Lead{&m, nil})
			if m.MergedInto == "" { // a tombstone stopped counting at its merge
				load[id] = loadDelta(m, lead.Lead{})
			}
		}
		tx = append(tx, st.counterChanges(tenant, changes)...)
		tx = append(tx, st.loadChanges(tenant, load)...)
		audit, err := st.auditItems(tenant, leadID, []lead.Event{{Actor: actor, Action: ActionErased, Field: "lead", After: leadID}})
		if err != nil {
			return 0, err
		}
		tx = append(tx, audit...)
		if len(tx) > maxTxItems {
			return 0, fmt.Errorf("erase %s: %d merged leads do not fit one transaction", leadID, metas)
		}
		reasons, err := st.transact(ctx, tx)
		if err != nil {
			return 0, fmt.Errorf("erase %s: %w", leadID, err)
		}
		if reasons == nil {
			return len(p.items) + metas, nil
		}
		changed := false
		for i := range metas {
			changed = changed || failed(reasons, i)
		}
		if !changed {
			if err := retryable(reasons); err != nil {
				return 0, fmt.Errorf("erase %s: %w", leadID, err)
			}
		}
		if attempt >= maxAttempts {
			return 0, fmt.Errorf("erase %s: %w", leadID, ErrContention)
		}
		if err := backoff(ctx, attempt); err != nil {
			return 0, err
		}
	}
}

// DataExport is everything stored about a person as one document: the
// lead, then its items by kind (attribute maps without the table's key
// and index attributes).
func (st *Store) DataExport(ctx context.Context, tenant, leadID string) (map[string]any, error) {
	p, err := st.readPerson(ctx, tenant, leadID)
	if err != nil {
		return nil, fmt.Errorf("data export %s: %w", leadID, err)
	}
	doc := map[string]any{"lead": p.lead}
	sections := map[string][]any{}
	for _, id := range slices.Sorted(maps.Keys(p.metas)) {
		if id != p.lead.ID {
			sections["merged_leads"] = append(sections["merged_leads"], p.metas[id])
		}
	}
	for _, it := range p.items {
		sk, pk := str(it, AttrSK), str(it, AttrPK)
		var section string
		switch {
		case strings.HasPrefix(pk, "T#"+tenant+"#INT#"):
			section = map[bool]string{true: "interactions", false: "interaction_items"}[sk == skMeta]
		case strings.HasPrefix(pk, "T#"+tenant+"#INTX#"), strings.HasPrefix(pk, "T#"+tenant+"#PROTO#"),
			strings.HasPrefix(sk, skTimeline):
			continue // lookups and summary copies of the interactions
		case strings.HasPrefix(sk, skIndex), strings.HasPrefix(sk, skSearch), sk == skPurge,
			strings.HasPrefix(sk, skMerged), strings.Contains(pk, "#MERGE#"):
			continue // copies of the lead, bookkeeping, before images of merges
		case strings.HasPrefix(sk, skNote):
			section = "notes"
		case strings.HasPrefix(sk, skEvent):
			section = "history"
		case strings.HasPrefix(sk, skMsg):
			section = "conversation"
		case strings.HasPrefix(sk, skTask):
			section = "tasks"
		case strings.HasPrefix(sk, skSched):
			section = "scheduled_changes"
		case strings.HasPrefix(sk, skDup):
			if !strings.HasPrefix(pk, leadPK(tenant, "")) || !p.has(strings.TrimPrefix(pk, leadPK(tenant, ""))) {
				continue // another lead's record about this one
			}
			section = "duplicate_candidates"
		case strings.HasPrefix(pk, "T#"+tenant+"#KEY#"):
			kind, value, _ := strings.Cut(strings.TrimPrefix(pk, "T#"+tenant+"#KEY#"), "#")
			sections["identity_keys"] = append(sections["identity_keys"], map[string]string{"kind": kind, "value": value})
			continue
		case sk == skTaskPointer, strings.HasPrefix(pk, dueNowPK(tenant, "")):
			continue // pointers and notifications of the tasks
		default:
			section = "other"
		}
		var v map[string]any
		if err := attributevalue.UnmarshalMapWithOptions(it, &v, jsonTagsDec); err != nil {
			return nil, fmt.Errorf("data export %s: %w", leadID, err)
		}
		for _, a := range []string{AttrPK, AttrSK, AttrGSI2PK, AttrGSI2SK, AttrGSI3PK, AttrGSI3SK, AttrGSI4PK, AttrGSI4SK, AttrGSI5PK, AttrGSI5SK, "tenant_id", AttrTTL} {
			delete(v, a)
		}
		sections[section] = append(sections[section], v)
	}
	for _, name := range []string{"notes", "history", "conversation", "tasks", "identity_keys", "duplicate_candidates", "merged_leads", "interactions", "interaction_items"} {
		if sections[name] == nil {
			sections[name] = []any{}
		}
	}
	for k, v := range sections {
		doc[k] = v
	}
	return doc, nil
}

func (p *person) has(id string) bool { _, ok := p.metas[id]; return ok }
