package dynamo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/attribution"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/merge"
)

// Merges (internal/merge decides; this file writes).
//
//	PK                          SK                  what
//	T#<t>#MERGE#<merge_id>      MERGE               the merge record: survivor, absorbed, actor, status, progress (ttl: 30 days)
//	T#<t>#MERGE#<merge_id>      E#<nnnn>            entries: every item the merge read, before and after (ttl)
//	T#<t>#LEAD#<lead_id>        MERGED#<merge_id>   on each lead of the merge: its merge record
//
// A merge reads every item of the leads' partitions plus the items outside
// them that name an absorbed lead (its identity keys, its tasks' pointers,
// the duplicate records other leads keep about it), computes what each
// should become (the survivor's META and index copies from the merged
// lead, absorbed items moved under the survivor's partition, pointers and
// keys re-pointed, the absorbed META a tombstone: deleted, merged_into
// set, purged with its partition when the undo window ends) and writes
// only the differences, each conditional on the item it read (its
// version, updated_at or owner). The attribution and load counters move
// in the same transaction as the METAs (the absorbed leads stop counting;
// the survivor counts from its merged first touch and creation day).
//
// The entries keep every item's before image (and after image where it
// changed): an undo checks that every item is still as the merge left it
// (else 409 naming what changed, writing nothing) and puts the before
// images back, byte for byte, moving the counters back.
//
// A merge of at most 100 actions is one transaction. A larger one writes
// its entries first, then the METAs, counters and the record (status
// moving) in one transaction, then the remaining writes in transactions
// of up to 99 actions, each advancing the record's progress (done)
// conditionally: a merge interrupted anywhere is resumed (by repeating
// the request, or by its undo) from the step it reached, never half
// written, never written twice. Undos run the same way (status undoing).

const (
	skMergeRec     = "MERGE"
	skMergeEntries = "E#"
	skMerged       = "MERGED#"

	mergeMoving  = "moving"
	mergeDone    = "done"
	mergeUndoing = "undoing"
	mergeUndone  = "undone"

	// mergeChunkBytes bounds one entries item (DynamoDB's limit is 400 KB).
	mergeChunkBytes = 300 << 10
	// mergeStepBytes bounds one step's transaction (the limit is 4 MB).
	mergeStepBytes = 3 << 20
)

func mergePK(tenant, id string) string { return "T#" + tenant + "#MERGE#" + id }

// mergeRecord is the MERGE item.
type mergeRecord struct {
	ID        string      `json:"id"`
	Survivor  string      `json:"survivor"`
	Absorbed  []string    `json:"absorbed"`
	Actor     lead.Actor  `json:"actor"`
	At        time.Time   `json:"at"`
	Status    string      `json:"status"`
	Chunks    int         `json:"chunks"`
	Steps     int         `json:"steps"`      // merge steps planned
	Done      int         `json:"done"`       // merge steps written
	UndoSteps int         `json:"undo_steps"` // undo steps planned
	UndoDone  int         `json:"undo_done"`  // undo steps written
	Moves     merge.Moves `json:"moves"`
	UndoneAt  *time.Time  `json:"undone_at,omitempty"`
	UndoneBy  *lead.Actor `json:"undone_by,omitempty"`
	TTL       int64       `json:"ttl"`
}

// mergeEntry is one item a merge read: where, before, after (nil: absent).
type mergeEntry struct {
	k             ikey
	before, after avmap
}

func (e mergeEntry) changed() bool { return !itemsEqual(e.before, e.after) }

// mergeSet is what a merge reads and what it makes of it.
type mergeSet struct {
	order []ikey
	m     map[ikey]*mergeEntry
}

func newMergeSet() *mergeSet { return &mergeSet{m: map[ikey]*mergeEntry{}} }

// read records an item as read (nil: known to be absent).
func (ms *mergeSet) read(k ikey, it avmap) {
	if _, ok := ms.m[k]; ok {
		return
	}
	ms.order = append(ms.order, k)
	ms.m[k] = &mergeEntry{k: k, before: it, after: it}
}

func (ms *mergeSet) set(k ikey, it avmap) {
	ms.read(k, nil)
	ms.m[k].after = it
}

func (ms *mergeSet) del(k ikey) {
	if e, ok := ms.m[k]; ok {
		e.after = nil
	}
}

func (ms *mergeSet) entries() []mergeEntry {
	out := make([]mergeEntry, len(ms.order))
	for i, k := range ms.order {
		out[i] = *ms.m[k]
	}
	return out
}

// Merge merges req.Absorb into req.Survivor (see merge.Resolve for the
// rules). A dry run answers the same lead the merge would store and
// writes nothing. lead.ErrNotFound when a lead is missing, deleted, or of
// another tenant; *merge.ConflictError on strong-key conflicts without
// Force; *lead.InvalidError for a bad request. A request repeating a merge
// that was interrupted resumes it.
func (st *Store) Merge(ctx context.Context, tenant string, req merge.Request) (merge.Outcome, error) {
	for attempt := 1; ; attempt++ {
		out, retry, err := st.mergeOnce(ctx, tenant, req)
		if err != nil || !retry {
			return out, err
		}
		if attempt >= 8 {
			return out, fmt.Errorf("merge into %s: %w", req.Survivor, ErrContention)
		}
		if err := backoff(ctx, attempt); err != nil {
			return out, err
		}
	}
}

func (st *Store) mergeOnce(ctx context.Context, tenant string, req merge.Request) (merge.Outcome, bool, error) {
	now := st.now().UTC()
	surv, err := st.getLead(ctx, tenant, req.Survivor)
	if err == nil && surv.DeletedAt != nil {
		err = mergedOr(surv)
	}
	if err != nil {
		return merge.Outcome{}, false, fmt.Errorf("merge into %s: %w", req.Survivor, err)
	}
	var abs []lead.Lead
	for i, id := range req.Absorb {
		a, err := st.getLead(ctx, tenant, id)
		if errors.Is(err, lead.ErrNotFound) {
			bad := &lead.InvalidError{}
			bad.Add(fmt.Sprintf("absorb[%d]", i), "not_found", "no lead "+id+" in this account")
			return merge.Outcome{}, false, bad
		}
		if err != nil {
			return merge.Outcome{}, false, fmt.Errorf("merge into %s: %w", req.Survivor, err)
		}
		if a.MergedInto == surv.ID && a.MergeID != "" && !req.DryRun {
			// A repeat of a merge that may have been interrupted.
			if out, ok, err := st.resumeMerge(ctx, tenant, a.MergeID); ok || err != nil {
				return out, false, err
			}
		}
		abs = append(abs, a)
	}
	mergeID := lead.NewID(merge.PrefixMerge, now)
	plan, err := merge.Resolve(mergeID, surv, abs, req.Force, req.Actor, now)
	if err != nil {
		return merge.Outcome{}, false, err
	}
	ms, moves, err := st.mergeBuild(ctx, tenant, plan, surv, abs, now)
	if err != nil {
		return merge.Outcome{}, false, fmt.Errorf("merge into %s: %w", surv.ID, err)
	}
	out := merge.Outcome{MergeID: mergeID, Lead: plan.Result, Fields: plan.Fields, Moves: moves}
	if req.DryRun {
		out.MergeID = ""
		return out, false, nil
	}
	changes := [][2]*lead.Lead{{&surv, &plan.Result}}
	for i := range abs {
		changes = append(changes, [2]*lead.Lead{&abs[i], &plan.Tombstones[i]})
	}
	// A tombstone owns nothing: its owner's open-lead count drops now
	// (and the purge of a tombstone leaves the count alone).
	load := map[string]map[string]int64{surv.ID: loadDelta(surv, plan.Result)}
	for _, a := range abs {
		load[a.ID] = loadDelta(a, lead.Lead{})
	}
	counters := append(st.counterChanges(tenant, changes), st.loadChanges(tenant, load)...)
	rec := mergeRecord{
		ID: mergeID, Survivor: surv.ID, Absorbed: req.Absorb, Actor: req.Actor, At: now,
		Chunks: 0, Moves: moves, TTL: now.Add(merge.UndoWindow).Unix(),
	}
	err = st.runMerge(ctx, tenant, &rec, ms.entries(), counters, false)
	var guard *guardError
	if errors.As(err, &guard) && guard.step == 0 {
		return merge.Outcome{}, true, nil // something changed since the reads: start over
	}
	if err != nil {
		return merge.Outcome{}, false, fmt.Errorf("merge into %s: %w", surv.ID, err)
	}
	return out, false, nil
}

// mergedOr is the error for reading a deleted lead: *lead.MergedError
// for a merge's tombstone, lead.ErrNotFound otherwise.
func mergedOr(l lead.Lead) error {
	if l.MergedInto != "" {
		return &lead.MergedError{ID: l.ID, Into: l.MergedInto}
	}
	return lead.ErrNotFound
}

// mergeBuild reads everything the merge touches and computes each item's
// after image.
func (st *Store) mergeBuild(ctx context.Context, tenant string, p merge.Plan, surv lead.Lead, abs []lead.Lead, now time.Time) (*mergeSet, merge.Moves, error) {
	ms := newMergeSet()
	var moves merge.Moves
	in := map[string]bool{surv.ID: true}
	for _, a := range abs {
		in[a.ID] = true
	}
	sPK := leadPK(tenant, surv.ID)
	parts := map[string][]avmap{}
	for _, l := range append([]lead.Lead{surv}, abs...) {
		items, err := st.partitionItems(ctx, leadPK(tenant, l.ID))
		if err != nil {
			return nil, moves, err
		}
		parts[l.ID] = items
		for _, it := range items {
			ms.read(keyOf(it), it)
		}
	}
	// Items outside the partitions that name an absorbed lead.
	var extra []ikey
	for _, a := range abs {
		for _, it := range parts[a.ID] {
			sk := str(it, AttrSK)
			if id, ok := strings.CutPrefix(sk, skTask); ok {
				extra = append(extra, ikey{taskPointerPK(tenant, id), skTaskPointer})
			}
			if other, rest, ok := dupParts(sk); ok && !in[other] {
				extra = append(extra, ikey{leadPK(tenant, other), skDup + a.ID + "#" + rest})
			}
			if id, ok := timelineID(sk); ok {
				extra = append(extra, ikey{interactionPK(tenant, id), skMeta})
			}
		}
		for _, k := range a.Keys() {
			extra = append(extra, ikey{identityPK(tenant, k), skKey})
		}
		for _, k := range a.SharedKeyList() {
			extra = append(extra, ikey{identityPK(tenant, k), skSharedKey + a.ID}, ikey{identityPK(tenant, k), skSharedKey + surv.ID})
		}
	}
	got, err := st.getItems(ctx, extra)
	if err != nil {
		return nil, moves, err
	}
	for _, k := range extra {
		ms.read(k, got[k])
	}

	// The survivor: META, index copies, scheduled change, duplicates of
	// the absorbed leads.
	meta, err := leadItem(p.Result)
	if err != nil {
		return nil, moves, err
	}
	ms.set(ikey{sPK, skMeta}, meta)
	for _, it := range parts[surv.ID] {
		sk := str(it, AttrSK)
		switch {
		case strings.HasPrefix(sk, skIndex), strings.HasPrefix(sk, skSearch), strings.HasPrefix(sk, skSched):
			ms.del(keyOf(it))
		default:
			if other, _, ok := dupParts(sk); ok && in[other] {
				ms.del(keyOf(it))
			}
		}
	}
	ix, err := st.indexWrites(nil, p.Result)
	if err != nil {
		return nil, moves, err
	}
	for _, w := range ix {
		ms.set(keyOf(w.Put.Item), w.Put.Item)
	}
	if c := p.Result.ScheduledChange; c != nil {
		it, err := schedItem(tenant, surv.ID, *c)
		if err != nil {
			return nil, moves, err
		}
		ms.set(keyOf(it), it)
	}

	// The absorbed leads: tombstone, moves, re-pointed keys and pointers.
	for i, a := range abs {
		tomb := p.Tombstones[i]
		tomb.TenantID = tenant
		meta, err := leadItem(tomb)
		if err != nil {
			return nil, moves, err
		}
		aPK := leadPK(tenant, a.ID)
		ms.set(ikey{aPK, skMeta}, meta)
		ms.set(ikey{aPK, skPurge}, purgeItem(tenant, a.ID, *tomb.DeletedAt))
		if c := a.ScheduledChange; c != nil && (p.Result.ScheduledChange == nil || p.Result.ScheduledChange.ID != c.ID) {
			moves.ScheduledChangesDropped++
		}
		for _, it := range parts[a.ID] {
			k := keyOf(it)
			moveTo := ikey{sPK, k.sk}
			switch sk := k.sk; {
			case sk == skMeta, strings.HasPrefix(sk, skMerged), sk == skPurge:
				// stays: the tombstone keeps its own merge records
			case strings.HasPrefix(sk, skIndex), strings.HasPrefix(sk, skSearch), strings.HasPrefix(sk, skSched):
				ms.del(k)
			case strings.HasPrefix(sk, skDup):
				ms.del(k)
				other, rest, _ := dupParts(sk)
				if in[other] {
					continue
				}
				moves.Duplicates++
				ms.set(moveTo, withKey(it, moveTo))
				mirror := ikey{leadPK(tenant, other), skDup + a.ID + "#" + rest}
				if m := ms.m[mirror]; m != nil && m.before != nil {
					ms.del(mirror)
					to := ikey{mirror.pk, skDup + surv.ID + "#" + rest}
					ms.set(to, withKey(m.before, to, "lead_id", surv.ID))
				}
			case strings.HasPrefix(sk, skTimeline):
				// The interaction joins the survivor: its summary moves,
				// its META names the survivor (a new version, so a write
				// that read the old one fails instead of undoing this).
				moves.Interactions++
				ms.del(k)
				ms.set(moveTo, withKey(it, moveTo, "lead_id", surv.ID))
				id, _ := timelineID(sk)
				ik := ikey{interactionPK(tenant, id), skMeta}
				if m := ms.m[ik]; m != nil && m.before != nil && str(m.before, "lead_id") == a.ID {
					next := withKey(m.before, ik, "lead_id", surv.ID)
					next["version"] = n(num(m.before, "version") + 1)
					ms.set(ik, next)
				}
			case strings.HasPrefix(sk, skTask):
				moves.Tasks++
				ms.del(k)
				ms.set(moveTo, withKey(it, moveTo, "lead_id", surv.ID))
				ptr := ikey{taskPointerPK(tenant, strings.TrimPrefix(sk, skTask)), skTaskPointer}
				if m := ms.m[ptr]; m != nil && m.before != nil {
					ms.set(ptr, withKey(m.before, ptr, "lead_id", surv.ID))
				}
			default:
				switch {
				case strings.HasPrefix(sk, skNote):
					moves.Notes++
				case strings.HasPrefix(sk, skEvent):
					moves.History++
				case strings.HasPrefix(sk, skMsg):
					moves.Messages++
				}
				ms.del(k)
				ms.set(moveTo, withKey(it, moveTo))
			}
		}
		for _, k := range a.Keys() {
			kk := ikey{identityPK(tenant, k), skKey}
			if m := ms.m[kk]; m != nil && m.before != nil && str(m.before, "lead_id") == a.ID {
				moves.Keys++
				ms.set(kk, withKey(m.before, kk, "lead_id", surv.ID, "contact_id", surv.ContactID))
			}
		}
		for _, k := range a.SharedKeyList() {
			from := ikey{identityPK(tenant, k), skSharedKey + a.ID}
			if m := ms.m[from]; m != nil && m.before != nil {
				moves.Keys++
				ms.del(from)
				to := ikey{from.pk, skSharedKey + surv.ID}
				if t := ms.m[to]; t == nil || t.before == nil {
					ms.set(to, withKey(m.before, to, "lead_id", surv.ID, "contact_id", surv.ContactID))
				}
			}
		}
	}

	// History on every lead, and each lead's pointer to the record.
	for id, ev := range p.Events {
		it, err := item(ev, leadPK(tenant, id), skEvent+ev.ID)
		if err != nil {
			return nil, moves, err
		}
		ms.set(keyOf(it), it)
		ptr := ikey{leadPK(tenant, id), skMerged + p.MergeID}
		ms.set(ptr, avmap{AttrPK: s(ptr.pk), AttrSK: s(ptr.sk), "merge_id": s(p.MergeID), "survivor": s(p.Result.ID), "at": s(now.Format(time.RFC3339Nano))})
	}

	moves.Attribution = merge.Attribution{StopCounting: []string{}, FirstTouch: p.Result.FirstTouch, CountedOn: attribution.Day(&p.Result)}
	for _, a := range abs {
		if attribution.Counted(&a) {
			moves.Attribution.StopCounting = append(moves.Attribution.StopCounting, a.ID)
		}
	}
	for _, f := range p.Fields {
		if f.Field == "first_touch" {
			moves.Attribution.FirstTouchFrom = f.From
		}
	}
	return ms, moves, nil
}

// timelineID is the interaction id of a timeline summary's sort key
// TL#<opened at>#<interaction id>.
func timelineID(sk string) (string, bool) {
	if !strings.HasPrefix(sk, skTimeline) {
		return "", false
	}
	i := strings.LastIndexByte(sk, '#')
	return sk[i+1:], i >= len(skTimeline)
}

// dupParts splits a duplicate record's sort key DUP#<other>#<kind>#<value>.
func dupParts(sk string) (other, rest string, ok bool) {
	r, ok := strings.CutPrefix(sk, skDup)
	if !ok {
		return "", "", false
	}
	other, rest, ok = strings.Cut(r, "#")
	return other, rest, ok
}

// --- running merges and undos ---

// guardError says a step's conditions failed: an item was not as read.
type guardError struct {
	step int
	key  ikey
}

func (e *guardError) Error() string {
	return fmt.Sprintf("step %d: item %s %s changed meanwhile", e.step, e.key.pk, e.key.sk)
}

// guard is the condition that an item is still cur (nil: absent): its
// version, else its updated_at, else its owner, else that it exists.
func guard(cur avmap) (string, map[string]string, map[string]types.AttributeValue) {
	if cur == nil {
		return "attribute_not_exists(PK)", nil, nil
	}
	for _, a := range []string{"version", "updated_at", "lead_id"} {
		if v, ok := cur[a]; ok {
			return "#g = :g", map[string]string{"#g": a}, map[string]types.AttributeValue{":g": v}
		}
	}
	return "attribute_exists(PK)", nil, nil
}

// write is the action taking an item from cur to next, conditional on cur.
func (st *Store) write(k ikey, cur, next avmap) types.TransactWriteItem {
	cond, names, vals := guard(cur)
	if next == nil {
		return types.TransactWriteItem{Delete: &types.Delete{
			TableName: st.table, Key: key(k.pk, k.sk), ConditionExpression: aws.String(cond),
			ExpressionAttributeNames: names, ExpressionAttributeValues: vals,
		}}
	}
	return types.TransactWriteItem{Put: &types.Put{
		TableName: st.table, Item: next, ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: names, ExpressionAttributeValues: vals,
	}}
}

// plannedStep is one transaction's writes: the keys and actions.
type plannedStep struct {
	keys []ikey
	tx   []types.TransactWriteItem
	off  int // index in tx of keys[0]'s action
}

// planSteps splits the changed entries into transactions. When they fit
// one with the counters, reserve more actions and the record (and multi
// is false), that is the plan; otherwise the METAs and counters go first,
// then batches of at most 99 actions and mergeStepBytes. The split depends
// only on the entries and multi, so a resume plans the same steps. undo
// reverses each entry (after → before).
func (st *Store) planSteps(entries []mergeEntry, counters []types.TransactWriteItem, undo bool, reserve int, multi bool) []plannedStep {
	var metas, rest []mergeEntry
	total := 0
	for _, e := range entries {
		if !e.changed() {
			continue
		}
		total += itemSize(e.before) + itemSize(e.after)
		if e.k.sk == skMeta {
			metas = append(metas, e)
		} else {
			rest = append(rest, e)
		}
	}
	act := func(e mergeEntry) types.TransactWriteItem {
		if undo {
			return st.write(e.k, e.after, e.before)
		}
		return st.write(e.k, e.before, e.after)
	}
	first := plannedStep{tx: slices.Clone(counters), off: len(counters)}
	for _, e := range metas {
		first.keys = append(first.keys, e.k)
		first.tx = append(first.tx, act(e))
	}
	if !multi && len(counters)+len(metas)+len(rest)+reserve+1 <= maxTxItems && total <= mergeStepBytes {
		for _, e := range rest {
			first.keys = append(first.keys, e.k)
			first.tx = append(first.tx, act(e))
		}
		return []plannedStep{first}
	}
	steps := []plannedStep{first}
	size := 0
	for _, e := range rest {
		sz := itemSize(e.before) + itemSize(e.after)
		if last := steps[len(steps)-1]; len(steps) == 1 || len(last.tx) >= maxTxItems-1 || size+sz > mergeStepBytes {
			steps = append(steps, plannedStep{})
			size = 0
		}
		cur := &steps[len(steps)-1]
		cur.keys = append(cur.keys, e.k)
		cur.tx = append(cur.tx, act(e))
		size += sz
	}
	return steps
}

// runMerge writes a merge (or, with undo, its undo) from rec's progress:
// for a new merge its entries first (inside the one transaction when
// everything fits, else on their own before the first step), then each
// step with the record's progress. rec is updated as it goes.
func (st *Store) runMerge(ctx context.Context, tenant string, rec *mergeRecord, entries []mergeEntry, counters []types.TransactWriteItem, undo bool) error {
	pk := mergePK(tenant, rec.ID)
	var steps []plannedStep
	var chunks []avmap
	switch {
	case !undo && rec.Done == 0:
		var err error
		if chunks, err = st.entryItems(tenant, rec, entries); err != nil {
			return err
		}
		rec.Chunks = len(chunks)
		steps = st.planSteps(entries, counters, false, len(chunks), false)
		rec.Steps = len(steps)
		if len(steps) > 1 {
			// Entries first, on their own: harmless if nothing follows (ttl).
			if err := st.batchPut(ctx, chunks); err != nil {
				return fmt.Errorf("merge entries: %w", err)
			}
			chunks = nil
		}
	case !undo:
		steps = st.planSteps(entries, nil, false, rec.Chunks, rec.Steps > 1)
	case rec.UndoDone == 0:
		steps = st.planSteps(entries, counters, true, 0, false)
		rec.UndoSteps = len(steps)
	default:
		steps = st.planSteps(entries, nil, true, 0, rec.UndoSteps > 1)
	}
	progress, status, final := "done", mergeMoving, mergeDone
	done := &rec.Done
	if undo {
		progress, status, final = "undo_done", mergeUndoing, mergeUndone
		done = &rec.UndoDone
	}
	for i := *done; i < len(steps); i++ {
		step := steps[i]
		tx := slices.Clone(step.tx)
		next := rec.Status
		if i == 0 {
			next = status
		}
		if i == len(steps)-1 {
			next = final
		}
		var recWrite types.TransactWriteItem
		if !undo && i == 0 {
			for _, c := range chunks {
				tx = append(tx, types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: c}})
			}
			r := *rec
			r.Status, r.Done = next, 1
			it, err := item(r, pk, skMergeRec, "tenant_id", tenant)
			if err != nil {
				return err
			}
			it[AttrTTL] = n(rec.TTL)
			recWrite = types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: it, ConditionExpression: aws.String("attribute_not_exists(PK)")}}
		} else {
			upd := "SET #p = :next, #st = :status"
			names := map[string]string{"#p": progress, "#st": "status"}
			vals := map[string]types.AttributeValue{":next": n(int64(i + 1)), ":status": s(next), ":cur": n(int64(i))}
			cond := "#p = :cur"
			if undo && i == 0 {
				cond = "#st = :done AND #p = :cur"
				vals[":done"] = s(mergeDone)
				upd += ", undo_steps = :steps"
				vals[":steps"] = n(int64(len(steps)))
			}
			if undo && i == len(steps)-1 {
				upd += ", undone_at = :at, undone_by = :by"
				by, err := attributeMap(*rec.UndoneBy)
				if err != nil {
					return err
				}
				vals[":at"], vals[":by"] = s(rec.UndoneAt.UTC().Format(time.RFC3339Nano)), by
			}
			recWrite = types.TransactWriteItem{Update: &types.Update{
				TableName: st.table, Key: key(pk, skMergeRec), UpdateExpression: aws.String(upd),
				ConditionExpression: aws.String(cond), ExpressionAttributeNames: names, ExpressionAttributeValues: vals,
			}}
		}
		tx = append(tx, recWrite)
		for attempt := 1; ; attempt++ {
			reasons, err := st.transact(ctx, tx)
			if err != nil {
				return fmt.Errorf("step %d: %w", i, err)
			}
			if reasons == nil {
				break
			}
			if failed(reasons, len(tx)-1) {
				return fmt.Errorf("step %d: %w", i, errMergeRaced)
			}
			for j, k := range step.keys {
				if failed(reasons, step.off+j) {
					return &guardError{step: i, key: k}
				}
			}
			if err := retryable(reasons); err != nil {
				return fmt.Errorf("step %d: %w", i, err)
			}
			if attempt >= maxAttempts {
				return fmt.Errorf("step %d: %w", i, ErrContention)
			}
			if err := backoff(ctx, attempt); err != nil {
				return err
			}
		}
		*done = i + 1
		rec.Status = next
	}
	return nil
}

// errMergeRaced: another request advanced the same merge or undo.
var errMergeRaced = errors.New("the merge record moved on meanwhile (a concurrent resume or undo)")

func attributeMap(a lead.Actor) (types.AttributeValue, error) {
	m, err := item(a, "", "")
	if err != nil {
		return nil, err
	}
	delete(m, AttrPK)
	delete(m, AttrSK)
	return &types.AttributeValueMemberM{Value: m}, nil
}

// entryItems packs the entries into E#<nnnn> items of at most
// mergeChunkBytes: {k: [pk, sk], b: before, a: after (when changed), h:
// hash of after (when unchanged)}.
func (st *Store) entryItems(tenant string, rec *mergeRecord, entries []mergeEntry) ([]avmap, error) {
	pk := mergePK(tenant, rec.ID)
	var out []avmap
	var list []types.AttributeValue
	size := 0
	flush := func() {
		if len(list) == 0 {
			return
		}
		out = append(out, avmap{
			AttrPK: s(pk), AttrSK: s(fmt.Sprintf("%s%04d", skMergeEntries, len(out))),
			"entries": &types.AttributeValueMemberL{Value: list}, AttrTTL: n(rec.TTL),
		})
		list, size = nil, 0
	}
	for _, e := range entries {
		m := avmap{"pk": s(e.k.pk), "sk": s(e.k.sk)}
		if e.changed() {
			if e.before != nil {
				m["b"] = &types.AttributeValueMemberM{Value: e.before}
			}
			if e.after != nil {
				m["a"] = &types.AttributeValueMemberM{Value: e.after}
			}
			m["c"] = &types.AttributeValueMemberBOOL{Value: true}
		} else {
			m["h"] = s(itemHash(e.after))
		}
		sz := itemSize(m)
		if sz > mergeChunkBytes {
			return nil, fmt.Errorf("item %s %s is too large to keep for undo", e.k.pk, e.k.sk)
		}
		if size+sz > mergeChunkBytes {
			flush()
		}
		list = append(list, &types.AttributeValueMemberM{Value: m})
		size += sz
	}
	flush()
	return out, nil
}

// storedEntry is an entry as read back: unchanged ones carry only the
// hash of their (unchanged) item.
type storedEntry struct {
	mergeEntry
	changedByMerge bool
	hash           string // of after
}

// readMerge reads a merge record and its entries; lead.ErrNotFound when
// missing (or of another tenant).
func (st *Store) readMerge(ctx context.Context, tenant, id string) (mergeRecord, []storedEntry, error) {
	var rec mergeRecord
	if badID(id) {
		return rec, nil, lead.ErrNotFound
	}
	items, err := st.partitionItems(ctx, mergePK(tenant, id))
	if err != nil {
		return rec, nil, err
	}
	var entries []storedEntry
	found := false
	for _, it := range items {
		switch sk := str(it, AttrSK); {
		case sk == skMergeRec:
			if err := unmarshal(it, &rec); err != nil {
				return rec, nil, err
			}
			found = true
		case strings.HasPrefix(sk, skMergeEntries):
			l, _ := it["entries"].(*types.AttributeValueMemberL)
			if l == nil {
				continue
			}
			for _, v := range l.Value {
				m, _ := v.(*types.AttributeValueMemberM)
				if m == nil {
					continue
				}
				e := storedEntry{mergeEntry: mergeEntry{k: ikey{str(m.Value, "pk"), str(m.Value, "sk")}}}
				if b, ok := m.Value["b"].(*types.AttributeValueMemberM); ok {
					e.before = b.Value
				}
				if a, ok := m.Value["a"].(*types.AttributeValueMemberM); ok {
					e.after = a.Value
				}
				if c, ok := m.Value["c"].(*types.AttributeValueMemberBOOL); ok && c.Value {
					e.changedByMerge = true
					e.hash = itemHash(e.after)
				} else {
					e.hash = str(m.Value, "h")
				}
				entries = append(entries, e)
			}
		}
	}
	if !found {
		return rec, nil, lead.ErrNotFound
	}
	return rec, entries, nil
}

// resumeMerge finishes an interrupted merge (status moving) and answers
// its outcome; ok is false when the merge is not in progress.
func (st *Store) resumeMerge(ctx context.Context, tenant, id string) (merge.Outcome, bool, error) {
	rec, entries, err := st.readMerge(ctx, tenant, id)
	if errors.Is(err, lead.ErrNotFound) || (err == nil && rec.Status != mergeMoving) {
		return merge.Outcome{}, false, nil
	}
	if err != nil {
		return merge.Outcome{}, false, err
	}
	if err := st.runMerge(ctx, tenant, &rec, plain(entries), nil, false); err != nil {
		return merge.Outcome{}, true, fmt.Errorf("resume merge %s: %w", id, err)
	}
	l, err := st.getLead(ctx, tenant, rec.Survivor)
	if err != nil {
		return merge.Outcome{}, true, err
	}
	return merge.Outcome{MergeID: rec.ID, Lead: l, Moves: rec.Moves}, true, nil
}

func plain(es []storedEntry) []mergeEntry {
	out := make([]mergeEntry, len(es))
	for i, e := range es {
		out[i] = e.mergeEntry
		if !e.changedByMerge {
			out[i].before, out[i].after = nil, nil // unchanged: no write either way
		}
	}
	return out
}

// UndoMerge puts back every item a merge changed, exactly as it was, and
// moves the counters back; *merge.UndoConflictError (nothing written) when
// any item of the merged leads changed since, *merge.UndoStateError when
// the merge is undone already or past merge.UndoWindow, lead.ErrNotFound
// for an unknown merge (or another tenant's). Returns the survivor as
// restored.
func (st *Store) UndoMerge(ctx context.Context, tenant, mergeID string, actor lead.Actor) (lead.Lead, error) {
	now := st.now().UTC()
	rec, entries, err := st.readMerge(ctx, tenant, mergeID)
	if err != nil {
		return lead.Lead{}, fmt.Errorf("undo merge %s: %w", mergeID, err)
	}
	switch {
	case rec.Status == mergeUndone:
		return lead.Lead{}, &merge.UndoStateError{Reason: "this merge was undone already"}
	case now.Sub(rec.At) > merge.UndoWindow:
		return lead.Lead{}, &merge.UndoStateError{Reason: "a merge can be undone for 30 days; this one is older"}
	case rec.Status == mergeMoving:
		if err := st.runMerge(ctx, tenant, &rec, plain(entries), nil, false); err != nil {
			return lead.Lead{}, fmt.Errorf("undo merge %s: finish the merge first: %w", mergeID, err)
		}
	}
	if rec.Status == mergeDone {
		if err := st.undoCheck(ctx, tenant, rec, entries); err != nil {
			return lead.Lead{}, err
		}
	}
	// Counters back: from what the METAs are now (as the merge left them)
	// to what they were.
	var counters []types.TransactWriteItem
	var changes [][2]*lead.Lead
	load := map[string]map[string]int64{}
	if rec.UndoDone == 0 {
		for _, e := range entries {
			if e.k.sk != skMeta || !e.changedByMerge {
				continue
			}
			var before, after lead.Lead
			if err := unmarshal(e.before, &before); err != nil {
				return lead.Lead{}, err
			}
			if err := unmarshal(e.after, &after); err != nil {
				return lead.Lead{}, err
			}
			before.TenantID, after.TenantID = tenant, tenant
			changes = append(changes, [2]*lead.Lead{&after, &before})
			if before.ID == rec.Survivor {
				load[before.ID] = loadDelta(after, before)
			} else {
				load[before.ID] = loadDelta(lead.Lead{}, before)
			}
		}
		counters = append(st.counterChanges(tenant, changes), st.loadChanges(tenant, load)...)
	}
	rec.UndoneAt, rec.UndoneBy = &now, &actor
	if err := st.runMerge(ctx, tenant, &rec, plain(entries), counters, true); err != nil {
		var g *guardError
		if errors.As(err, &g) {
			return lead.Lead{}, &merge.UndoConflictError{Changes: []merge.Change{describe(tenant, g.key, "edited")}}
		}
		return lead.Lead{}, fmt.Errorf("undo merge %s: %w", mergeID, err)
	}
	// The before images hold the person's data: an undone merge keeps
	// only its ids, status and who undid it.
	var ks []map[string]types.AttributeValue
	for i := range rec.Chunks {
		ks = append(ks, key(mergePK(tenant, mergeID), fmt.Sprintf("%s%04d", skMergeEntries, i)))
	}
	if err := st.batchDelete(ctx, ks); err != nil {
		return lead.Lead{}, fmt.Errorf("undo merge %s: entries: %w", mergeID, err)
	}
	if _, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: st.table, Key: key(mergePK(tenant, mergeID), skMergeRec), UpdateExpression: aws.String("REMOVE moves"),
	}); err != nil {
		return lead.Lead{}, fmt.Errorf("undo merge %s: %w", mergeID, err)
	}
	l, err := st.getLead(ctx, tenant, rec.Survivor)
	if err != nil {
		return lead.Lead{}, fmt.Errorf("undo merge %s: %w", mergeID, err)
	}
	return l, nil
}

// undoCheck compares every item of the merged leads' partitions, and
// every other item the merge touched, with what the merge left.
func (st *Store) undoCheck(ctx context.Context, tenant string, rec mergeRecord, entries []storedEntry) error {
	want := map[ikey]string{}
	parts := map[string]bool{}
	for _, id := range append([]string{rec.Survivor}, rec.Absorbed...) {
		parts[leadPK(tenant, id)] = true
	}
	var outside []ikey
	for _, e := range entries {
		want[e.k] = e.hash
		if !parts[e.k.pk] {
			outside = append(outside, e.k)
		}
	}
	cur := map[ikey]avmap{}
	for pk := range parts {
		items, err := st.partitionItems(ctx, pk)
		if err != nil {
			return err
		}
		for _, it := range items {
			cur[keyOf(it)] = it
		}
	}
	got, err := st.getItems(ctx, outside)
	if err != nil {
		return err
	}
	for k, it := range got {
		cur[k] = it
	}
	var changes []merge.Change
	for _, e := range entries {
		if strings.HasPrefix(e.k.sk, skIndex) || strings.HasPrefix(e.k.sk, skSearch) {
			continue // copies of META: its change names them
		}
		c := cur[e.k]
		switch h := itemHash(c); {
		case h == e.hash:
		case c == nil:
			changes = append(changes, describe(tenant, e.k, "deleted"))
		case e.hash == "":
			changes = append(changes, describe(tenant, e.k, "added"))
		default:
			ch := describe(tenant, e.k, "edited")
			if e.k.sk == skMeta {
				ch.Detail += fmt.Sprintf(" (version %d; the merge left %d)", num(c, "version"), num(e.after, "version"))
			}
			changes = append(changes, ch)
		}
	}
	for k := range cur {
		if _, ok := want[k]; !ok && !strings.HasPrefix(k.sk, skIndex) && !strings.HasPrefix(k.sk, skSearch) {
			changes = append(changes, describe(tenant, k, "added"))
		}
	}
	if len(changes) > 0 {
		slices.SortFunc(changes, func(a, b merge.Change) int {
			return cmp.Or(strings.Compare(a.LeadID, b.LeadID), cmp.Compare(rank(a), rank(b)), strings.Compare(a.Item, b.Item))
		})
		return &merge.UndoConflictError{Changes: changes}
	}
	return nil
}

// rank puts a lead's own change before its items'.
func rank(c merge.Change) int {
	if c.Item == "lead" {
		return 0
	}
	return 1
}

// describe names an item for people: "lead", "note nt_…", "task tsk_…".
func describe(tenant string, k ikey, change string) merge.Change {
	c := merge.Change{Change: change}
	prefix := "T#" + tenant + "#"
	rest := strings.TrimPrefix(k.pk, prefix)
	if id, ok := strings.CutPrefix(rest, "LEAD#"); ok {
		c.LeadID = id
	}
	sk := k.sk
	switch {
	case sk == skMeta:
		c.Item = "lead"
	case strings.HasPrefix(sk, skNote):
		c.Item = "note " + strings.TrimPrefix(sk, skNote)
	case strings.HasPrefix(sk, skTask):
		c.Item = "task " + strings.TrimPrefix(sk, skTask)
	case strings.HasPrefix(sk, skEvent):
		c.Item = "history " + strings.TrimPrefix(sk, skEvent)
	case strings.HasPrefix(sk, skMsg):
		c.Item = "message " + strings.TrimPrefix(sk, skMsg)
	case strings.HasPrefix(sk, skIndex), strings.HasPrefix(sk, skSearch):
		c.Item = "lead" // index copies change with the lead
	case strings.HasPrefix(sk, skDup):
		c.Item = "duplicate record"
	case sk == skKey:
		c.Item = "identity key " + strings.TrimPrefix(rest, "KEY#")
		c.LeadID = ""
	case sk == skTaskPointer:
		c.Item = "task " + strings.TrimPrefix(rest, "TASK#")
	default:
		c.Item = strings.ToLower(strings.SplitN(sk, "#", 2)[0])
	}
	who := "lead " + c.LeadID
	if c.LeadID == "" {
		who = "the account"
	}
	c.Detail = fmt.Sprintf("%s of %s was %s since the merge", c.Item, who, change)
	return c
}

// --- duplicate suggestions ---

// maxNameCandidates bounds the same-name leads one suggestion reads.
const maxNameCandidates = 25

// Duplicates suggests leads that may be the same person as leadID: the
// duplicate candidates captures recorded, the leads holding one of its
// keys of a non-unique kind (one Query per key) and the leads with the
// same name (one Query of the name-ordered list index), scored by
// merge.Suggest.
func (st *Store) Duplicates(ctx context.Context, tenant, leadID string, force bool) ([]merge.Suggestion, error) {
	l, err := st.getLead(ctx, tenant, leadID)
	if err == nil && l.DeletedAt != nil {
		err = mergedOr(l)
	}
	if err != nil {
		return nil, fmt.Errorf("duplicates of %s: %w", leadID, err)
	}
	recorded, err := st.DuplicateCandidates(ctx, tenant, leadID)
	if err != nil {
		return nil, err
	}
	reasons := map[string][]lead.DuplicateReason{}
	var ids []string
	for _, c := range recorded {
		reasons[c.LeadID] = c.Reasons
		ids = append(ids, c.LeadID)
	}
	if folded := strings.Join(strings.Fields(lead.Fold(l.Name)), " "); folded != "" {
		out, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName: st.table, IndexName: aws.String(IndexGSI4),
			KeyConditionExpression: aws.String("GSI4PK = :pk AND begins_with(GSI4SK, :name)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": s(ixPK(tenant, "all")), ":name": s(folded + nameSep),
			},
			ProjectionExpression: aws.String("PK"),
			Limit:                aws.Int32(maxNameCandidates + 1),
		})
		if err != nil {
			return nil, fmt.Errorf("duplicates of %s: same name: %w", leadID, err)
		}
		for _, it := range out.Items {
			if id := strings.TrimPrefix(str(it, AttrPK), leadPK(tenant, "")); id != leadID && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	// Leads holding the same key of a non-unique (account) kind.
	for _, k := range l.SharedKeyList() {
		out, err := st.db.Query(ctx, &dynamodb.QueryInput{
			TableName: st.table, KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :p)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(identityPK(tenant, k)), ":p": s(skSharedKey)},
			Limit:                     aws.Int32(maxNameCandidates + 1),
		})
		if err != nil {
			return nil, fmt.Errorf("duplicates of %s: shared keys: %w", leadID, err)
		}
		for _, it := range out.Items {
			if id := str(it, "lead_id"); id != "" && id != leadID && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	keys := make([]ikey, len(ids))
	for i, id := range ids {
		keys[i] = ikey{leadPK(tenant, id), skMeta}
	}
	got, err := st.getItems(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("duplicates of %s: %w", leadID, err)
	}
	var cands []merge.Candidate
	for _, k := range keys {
		it := got[k]
		if it == nil {
			continue
		}
		var c lead.Lead
		if err := unmarshal(it, &c); err != nil {
			return nil, err
		}
		c.TenantID = tenant
		cands = append(cands, merge.Candidate{Lead: c, Recorded: reasons[c.ID]})
	}
	return merge.Suggest(l, cands, force), nil
}
