package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/outbox"
	"github.com/leadflow/leadflow/internal/task"
	"github.com/leadflow/leadflow/internal/text"
)

// Reminders of agenda records and the "due now" notifications they leave.
//
//	PK                        SK                GSI2PK           GSI2SK
//	T#<t>#LEAD#<lead_id>      REMIND#<task_id>  REMIND#<shard>   <remind at, fixed width>#<t>#<lead_id>#<task_id>
//	T#<t>#DUENOW#<user_id>    <task_id>         -                -      the user's due-now notification
//
// A pending, dated record has a REMIND item: its entry in the due-time
// index (GSI2, partitions REMIND#0..3, apart from scheduled changes and
// purges), due at task.RemindAt. It is written in the transactions that
// create, edit and delete the record, and only when the reminder moves
// (task.SameReminder): an edit of the description leaves a reminder that
// already fired alone, a new time or assignee moves it, done or deleted
// removes it, and each of those also deletes the assignee's notification.
//
// Firing is a transaction that deletes the REMIND item, conditional on it
// still naming the same instant and assignee, and puts the task.due outbox
// event: of two sweeps that read the same item only one commits, so the
// event is written once. The dispatcher's consumer then puts the
// notification (a deterministic key, conditional on the record still
// pending with that reminder), so a redelivered event changes nothing and
// one for a record completed, moved or deleted since does nothing.
// The console reads the notifications with one Query (DueNow).
//
// A soft-deleted lead's records do not remind: the sweep drops a due
// REMIND item whose lead is in the bin (no event), the consumer records
// nothing for one deleted since, and DueNow hides notifications recorded
// before the deletion. Restoring the lead within its window leaves the
// reminders still in the future in place, so they fire on time.
const (
	skRemind        = "REMIND#"
	remindDescShown = 200 // characters of the description a notification keeps
)

func remindGSI2PK(shard int) string       { return "REMIND#" + strconv.Itoa(shard) }
func dueNowPK(tenant, user string) string { return "T#" + tenant + "#DUENOW#" + user }

// errFired is a once-only transaction refused: the reminder fired or
// moved, or the record changed since.
var errFired = errors.New("reminder already fired or moved")

func remindItem(t task.Task, r task.Reminder) map[string]types.AttributeValue {
	due, _ := t.Due()
	at := r.At.UTC().Format(dueLayout)
	return map[string]types.AttributeValue{
		AttrPK: s(leadPK(r.TenantID, t.LeadID)), AttrSK: s(skRemind + t.ID),
		AttrGSI2PK:  s(remindGSI2PK(dueShard(r.TenantID, t.LeadID))),
		AttrGSI2SK:  s(at + "#" + r.TenantID + "#" + t.LeadID + "#" + t.ID),
		"tenant_id": s(r.TenantID), "lead_id": s(t.LeadID), "task_id": s(t.ID), "assignee_id": s(r.AssigneeID),
		"remind_at": s(at), "due_at": s(due.UTC().Format(dueLayout)),
		"all_day":     &types.AttributeValueMemberBOOL{Value: t.AllDay()},
		"description": s(text.Truncate(t.Description, remindDescShown)),
	}
}

// reminderWrites keeps a record's REMIND item and its assignee's
// notification in step with the record, from before (nil: created) to
// after (nil: deleted).
func (st *Store) reminderWrites(tenant string, before, after *task.Task) []types.TransactWriteItem {
	var b, a task.Task
	if before != nil {
		b = *before
	}
	if after != nil {
		a = *after
	}
	if before != nil && after != nil && task.SameReminder(b, a) {
		return nil
	}
	var items []types.TransactWriteItem
	ar, aok := a.Reminder(tenant)
	if br, ok := b.Reminder(tenant); ok && before != nil {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: st.table, Key: key(dueNowPK(tenant, br.AssigneeID), b.ID)}})
		if after == nil || !aok {
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: st.table, Key: key(leadPK(tenant, b.LeadID), skRemind+b.ID)}})
		}
	}
	if after != nil && aok {
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: remindItem(a, ar)}})
	}
	return items
}

// DueReminders returns the reminders due by now, oldest first, at most
// perShard from each of the index's shards (the rest wait for the next
// sweep). The index is eventually consistent; FireReminder re-checks.
func (st *Store) DueReminders(ctx context.Context, now time.Time, perShard int) ([]task.Reminder, error) {
	var out []task.Reminder
	// REMIND items carry no sent_at: the resend filter always passes.
	err := st.dueItems(ctx, remindGSI2PK, now, now, perShard, func(it map[string]types.AttributeValue) error {
		at, err := time.Parse(dueLayout, str(it, "remind_at"))
		if err != nil {
			return fmt.Errorf("%s: remind_at: %w", str(it, "task_id"), err)
		}
		out = append(out, task.Reminder{TenantID: str(it, "tenant_id"), LeadID: str(it, "lead_id"), TaskID: str(it, "task_id"),
			AssigneeID: str(it, "assignee_id"), At: at})
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("due reminders: %w", err)
	}
	return out, nil
}

// FireReminder turns r into a task.due outbox event, once: the REMIND item
// is deleted in the event's transaction, on condition that it still names
// r's instant and assignee and that the lead is not soft-deleted. fired is
// false when it fired already (another sweep) or moved since, and when the
// lead is in the bin: then the REMIND item is deleted without an event (on
// condition that the lead is still deleted), so the record does not remind
// and its entry leaves the due-time index instead of holding the shard's
// head. A lead restored before the reminder's time still has its REMIND
// item, which fires then; one restored after it is past due and stays
// silent (its record shows as overdue in My tasks).
func (st *Store) FireReminder(ctx context.Context, r task.Reminder, now time.Time) (fired bool, err error) {
	rk, mk := ikey{leadPK(r.TenantID, r.LeadID), skRemind + r.TaskID}, ikey{leadPK(r.TenantID, r.LeadID), skMeta}
	k, meta := key(rk.pk, rk.sk), key(mk.pk, mk.sk)
	at := r.At.UTC().Format(dueLayout)
	for attempt := 1; ; attempt++ {
		got, err := st.getItems(ctx, []ikey{rk, mk})
		if err != nil {
			return false, fmt.Errorf("fire reminder %s: %w", r.TaskID, err)
		}
		it, l := got[rk], got[mk]
		if it == nil || str(it, "remind_at") != at || str(it, "assignee_id") != r.AssigneeID {
			return false, nil
		}
		del := types.TransactWriteItem{Delete: &types.Delete{TableName: st.table, Key: k, ConditionExpression: aws.String("remind_at = :r AND assignee_id = :a"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":r": s(at), ":a": s(r.AssigneeID)}}}
		live := l != nil && l["deleted_at"] == nil
		items := []types.TransactWriteItem{del}
		if live {
			due, _ := time.Parse(dueLayout, str(it, "due_at"))
			allDay, _ := it["all_day"].(*types.AttributeValueMemberBOOL)
			ev := outbox.NewTaskDue(r.TenantID, outbox.TaskDue{TaskID: r.TaskID, LeadID: r.LeadID, AssigneeID: r.AssigneeID,
				RemindAt: r.At.UTC(), DueAt: due, AllDay: allDay != nil && allDay.Value, Description: str(it, "description")}, now)
			items = append(items, leadLive(st.table, meta), st.outboxPut(ev))
		} else {
			items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: st.table, Key: meta,
				ConditionExpression: aws.String("attribute_not_exists(PK) OR attribute_exists(deleted_at)")}})
		}
		ok, err := st.unlessFirstFails(ctx, "fire reminder "+r.TaskID, items, errLeadMoved)
		if errors.Is(err, errLeadMoved) && attempt < maxAttempts {
			continue // deleted or restored since the read: decide again
		}
		return ok && live, err
	}
}

// errLeadMoved is a reminder's transaction refused because its lead was
// deleted or restored between the read and the write.
var errLeadMoved = errors.New("lead deleted or restored meanwhile")

// leadLive is the condition that the lead exists and is not in the bin.
func leadLive(table *string, meta map[string]types.AttributeValue) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: table, Key: meta,
		ConditionExpression: aws.String("attribute_exists(PK) AND attribute_not_exists(deleted_at)")}}
}

// unlessFirstFails runs a transaction whose first item is the condition
// that makes it happen once: false (and no error) when that condition
// failed, true when it committed. When the second item is a condition
// and it failed, the error is second.
func (st *Store) unlessFirstFails(ctx context.Context, what string, items []types.TransactWriteItem, second error) (bool, error) {
	err := st.retryTx(ctx, what, items, func(reasons []types.CancellationReason) error {
		if failed(reasons, 0) {
			return errFired
		}
		if second != nil && failed(reasons, 1) {
			return second
		}
		return nil
	})
	if errors.Is(err, errFired) {
		return false, nil
	}
	return err == nil, err
}

// RecordDueNow puts the assignee's notification of a fired reminder, on
// condition that the record is still pending with that reminder (it may
// have been completed, moved or deleted since the event was written) and
// that its lead is not in the bin (deleted since). Idempotent: the
// notification's key is the record's id.
func (st *Store) RecordDueNow(ctx context.Context, tenant string, p outbox.TaskDue, at time.Time) (recorded bool, err error) {
	n := task.DueNow{TaskID: p.TaskID, LeadID: p.LeadID, Description: p.Description, DueAt: p.DueAt, AllDay: p.AllDay, At: at.UTC()}
	it, err := item(n, dueNowPK(tenant, p.AssigneeID), p.TaskID, "tenant_id", tenant)
	if err != nil {
		return false, fmt.Errorf("record due now %s: %w", p.TaskID, err)
	}
	ok, err := st.unlessFirstFails(ctx, "record due now "+p.TaskID, []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{TableName: st.table, Key: key(leadPK(tenant, p.LeadID), skTask+p.TaskID),
			ConditionExpression:       aws.String("attribute_exists(PK) AND done = :f AND assignee_id = :a AND remind_at = :r"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":f": &types.AttributeValueMemberBOOL{Value: false}, ":a": s(p.AssigneeID), ":r": s(p.RemindAt.UTC().Format(dueLayout))}}},
		leadLive(st.table, key(leadPK(tenant, p.LeadID), skMeta)),
		{Put: &types.Put{TableName: st.table, Item: it}},
	}, errLeadMoved)
	if errors.Is(err, errLeadMoved) {
		return false, nil
	}
	return ok, err
}

// DueNow lists a user's due-now notifications (at most limit): one Query
// on their partition, whatever the size of the account.
func (st *Store) DueNow(ctx context.Context, tenant, user string, limit int) ([]task.DueNow, error) {
	out := []task.DueNow{}
	res, err := st.db.Query(ctx, &dynamodb.QueryInput{
		TableName: st.table, KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(dueNowPK(tenant, user))},
		Limit:                     aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, fmt.Errorf("due now: %w", err)
	}
	var leads []ikey
	for _, it := range res.Items {
		var d task.DueNow
		if err := unmarshal(it, &d); err != nil {
			return nil, fmt.Errorf("due now: %w", err)
		}
		out = append(out, d)
		leads = append(leads, ikey{leadPK(tenant, d.LeadID), skMeta})
	}
	// A notification recorded before its lead went to the bin is hidden
	// while the lead is there (and shown again if it is restored).
	metas, err := st.getItems(ctx, leads)
	if err != nil {
		return nil, fmt.Errorf("due now: %w", err)
	}
	return slices.DeleteFunc(out, func(d task.DueNow) bool {
		l := metas[ikey{leadPK(tenant, d.LeadID), skMeta}]
		return l == nil || l["deleted_at"] != nil
	}), nil
}
