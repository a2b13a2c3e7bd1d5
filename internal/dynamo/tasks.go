package dynamo

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/task"
)

// Agenda (tasks on a lead):
//
//	PK                         SK             GSI2PK / GSI2SK                                    GSI3PK / GSI3SK
//	T#<t>#LEAD#<lead_id>       TASK#<id>      T#<t>#AGENDA#<assignee> / P#<overdue from>#<id>    T#<t>#TASKC#<yyyy-mm> / <created>#<id>
//	                                          (done: X#<done at>#<id>)
//	T#<t>#TASK#<id>            TASK           -                                                  -    (→ lead_id)
//	T#<t>                      TASKTYPES / TASKPRESETS                                               the account's types and presets
//	T#<t>#LEAD#<lead_id>       REMIND#<id>    REMIND#<shard> / <remind at>#…                     -    the reminder (reminders.go)
//
// A record lives in its lead's partition (a purge takes it with the lead)
// and a small pointer finds the lead from the record's id. "My tasks" is one
// Query on the assignee's agenda partition of GSI2: pending records sort by
// the instant they become overdue (so overdue ones come first, then today's,
// then later ones, and "overdue" is a key range up to now), undated ones
// last, done ones after them by completion time. Statistics Query the
// months of GSI3 that a range covers. Neither reads another assignee's or
// tenant's records, so their cost does not grow with the account.
const (
	skTask        = "TASK#"
	skTaskPointer = "TASK"
	skTaskTypes   = "TASKTYPES"
	skTaskPresets = "TASKPRESETS"
	agendaPending = "P#"
	agendaDone    = "X#"
	agendaUndated = "~"
)

func taskPointerPK(tenant, id string) string  { return "T#" + tenant + "#TASK#" + id }
func agendaPK(tenant, assignee string) string { return "T#" + tenant + "#AGENDA#" + assignee }
func taskMonthPK(tenant string, t time.Time) string {
	return "T#" + tenant + "#TASKC#" + t.UTC().Format("2006-01")
}

func agendaSK(t task.Task) string {
	if t.Done && t.DoneAt != nil {
		return agendaDone + t.DoneAt.UTC().Format(createdLayout) + "#" + t.ID
	}
	if from, ok := t.OverdueFrom(); ok {
		return agendaPending + from.UTC().Format(createdLayout) + "#" + t.ID
	}
	return agendaPending + agendaUndated + "#" + t.ID
}

func (st *Store) taskItem(tenant string, t task.Task) (map[string]types.AttributeValue, error) {
	extra := []string{AttrGSI2PK, agendaPK(tenant, t.AssigneeID), AttrGSI2SK, agendaSK(t),
		AttrGSI3PK, taskMonthPK(tenant, t.CreatedAt), AttrGSI3SK, t.CreatedAt.UTC().Format(createdLayout) + "#" + t.ID,
		"tenant_id", tenant}
	if r, ok := t.Reminder(tenant); ok {
		// What a due-now notification re-checks (RecordDueNow, reminders.go).
		extra = append(extra, "remind_at", r.At.Format(dueLayout))
	}
	return item(t, leadPK(tenant, t.LeadID), skTask+t.ID, extra...)
}

// CreateTask stores a new record on its lead with the lead's history entry;
// lead.ErrNotFound when the lead does not exist or is deleted.
func (st *Store) CreateTask(ctx context.Context, tenant string, t task.Task, ev lead.Event) error {
	if badID(t.LeadID) {
		return fmt.Errorf("create task: %w", lead.ErrNotFound)
	}
	if badID(t.ID) {
		return errors.New("create task: id is empty or contains '#'")
	}
	t.Version = 1
	it, err := st.taskItem(tenant, t)
	if err != nil {
		return fmt.Errorf("create task: %w", err)
	}
	evItem, err := item(ev, leadPK(tenant, t.LeadID), skEvent+ev.ID)
	if err != nil {
		return fmt.Errorf("create task: %w", err)
	}
	items := []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{TableName: st.table, Key: key(leadPK(tenant, t.LeadID), skMeta),
			ConditionExpression: aws.String("attribute_exists(PK) AND attribute_not_exists(deleted_at)")}},
		{Put: &types.Put{TableName: st.table, Item: it, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: st.table, Item: map[string]types.AttributeValue{
			AttrPK: s(taskPointerPK(tenant, t.ID)), AttrSK: s(skTaskPointer), "lead_id": s(t.LeadID), "tenant_id": s(tenant),
		}}},
		{Put: &types.Put{TableName: st.table, Item: evItem}},
	}
	items = append(items, st.reminderWrites(tenant, nil, &t)...)
	return st.retryTx(ctx, "create task "+t.ID, items, func(reasons []types.CancellationReason) error {
		if failed(reasons, 0) {
			return lead.ErrNotFound
		}
		if failed(reasons, 1) {
			return fmt.Errorf("task %s already exists", t.ID)
		}
		return nil
	})
}

// retryTx runs a transaction, retrying transient cancellations; refused
// maps a cancellation to the error to return (nil: transient, retry).
func (st *Store) retryTx(ctx context.Context, what string, items []types.TransactWriteItem, refused func([]types.CancellationReason) error) error {
	for attempt := 1; ; attempt++ {
		reasons, err := st.transact(ctx, items)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if reasons == nil {
			return nil
		}
		if err := refused(reasons); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := retryable(reasons); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if attempt >= maxAttempts {
			return fmt.Errorf("%s: %w", what, ErrContention)
		}
		if err := backoff(ctx, attempt); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
}

// Task reads one record by id; lead.ErrNotFound when there is none in the
// tenant.
func (st *Store) Task(ctx context.Context, tenant, id string) (task.Task, error) {
	var t task.Task
	if badID(id) {
		return t, fmt.Errorf("task %s: %w", id, lead.ErrNotFound)
	}
	ptr, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: st.table, Key: key(taskPointerPK(tenant, id), skTaskPointer), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return t, fmt.Errorf("task %s: %w", id, err)
	}
	leadID := str(ptr.Item, "lead_id")
	if leadID == "" {
		return t, fmt.Errorf("task %s: %w", id, lead.ErrNotFound)
	}
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: st.table, Key: key(leadPK(tenant, leadID), skTask+id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return t, fmt.Errorf("task %s: %w", id, err)
	}
	if out.Item == nil {
		return t, fmt.Errorf("task %s: %w", id, lead.ErrNotFound)
	}
	if err := unmarshal(out.Item, &t); err != nil {
		return t, fmt.Errorf("task %s: %w", id, err)
	}
	return t, nil
}

// UpdateTask reads a record, lets change edit it (returning the lead's
// history entry; an error stops the change and is returned as is) and writes it with its
// history entry, conditional on the version read. version > 0 is the
// version the caller saw (If-Match): lead.ErrVersionMismatch when the
// record moved on since. A concurrent edit without If-Match is re-read and
// re-applied.
func (st *Store) UpdateTask(ctx context.Context, tenant, id string, version int64, change func(*task.Task) (lead.Event, error)) (task.Task, error) {
	for attempt := 1; ; attempt++ {
		t, err := st.Task(ctx, tenant, id)
		if err != nil {
			return t, err
		}
		if version > 0 && t.Version != version {
			return t, fmt.Errorf("task %s: %w", id, lead.ErrVersionMismatch)
		}
		read, before := t.Version, t
		ev, err := change(&t)
		if err != nil {
			return t, err
		}
		t.Version = read + 1
		it, err := st.taskItem(tenant, t)
		if err != nil {
			return t, fmt.Errorf("update task %s: %w", id, err)
		}
		evItem, err := item(ev, leadPK(tenant, t.LeadID), skEvent+ev.ID)
		if err != nil {
			return t, fmt.Errorf("update task %s: %w", id, err)
		}
		reasons, err := st.transact(ctx, append([]types.TransactWriteItem{
			{Put: &types.Put{TableName: st.table, Item: it, ConditionExpression: aws.String("version = :v"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(read)}}},
			{Put: &types.Put{TableName: st.table, Item: evItem}},
		}, st.reminderWrites(tenant, &before, &t)...))
		if err != nil {
			return t, fmt.Errorf("update task %s: %w", id, err)
		}
		if reasons == nil {
			return t, nil
		}
		if failed(reasons, 0) && version > 0 {
			return t, fmt.Errorf("task %s: %w", id, lead.ErrVersionMismatch)
		}
		if !failed(reasons, 0) {
			if err := retryable(reasons); err != nil {
				return t, fmt.Errorf("update task %s: %w", id, err)
			}
		}
		if attempt >= maxAttempts {
			return t, fmt.Errorf("update task %s: %w", id, ErrContention)
		}
		if err := backoff(ctx, attempt); err != nil {
			return t, err
		}
	}
}

// DeleteTask deletes a record and its pointer with the lead's history
// entry; authorize sees the record first and may refuse (its error is
// returned as is).
func (st *Store) DeleteTask(ctx context.Context, tenant, id string, authorize func(task.Task) (lead.Event, error)) (task.Task, error) {
	for attempt := 1; ; attempt++ {
		t, err := st.Task(ctx, tenant, id)
		if err != nil {
			return t, err
		}
		ev, err := authorize(t)
		if err != nil {
			return t, err
		}
		evItem, err := item(ev, leadPK(tenant, t.LeadID), skEvent+ev.ID)
		if err != nil {
			return t, fmt.Errorf("delete task %s: %w", id, err)
		}
		reasons, err := st.transact(ctx, append([]types.TransactWriteItem{
			{Delete: &types.Delete{TableName: st.table, Key: key(leadPK(tenant, t.LeadID), skTask+id),
				ConditionExpression: aws.String("version = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(t.Version)}}},
			{Delete: &types.Delete{TableName: st.table, Key: key(taskPointerPK(tenant, id), skTaskPointer)}},
			{Put: &types.Put{TableName: st.table, Item: evItem}},
		}, st.reminderWrites(tenant, &t, nil)...))
		if err != nil {
			return t, fmt.Errorf("delete task %s: %w", id, err)
		}
		if reasons == nil {
			return t, nil
		}
		if !failed(reasons, 0) {
			if err := retryable(reasons); err != nil {
				return t, fmt.Errorf("delete task %s: %w", id, err)
			}
		}
		if attempt >= maxAttempts {
			return t, fmt.Errorf("delete task %s: %w", id, ErrContention)
		}
		if err := backoff(ctx, attempt); err != nil {
			return t, err
		}
	}
}

// LeadTasks lists a lead's records, oldest first.
func (st *Store) LeadTasks(ctx context.Context, tenant, leadID string) ([]task.Task, error) {
	if badID(leadID) {
		return nil, fmt.Errorf("lead tasks: %w", lead.ErrNotFound)
	}
	out := []task.Task{}
	err := st.queryPrefix(ctx, leadPK(tenant, leadID), skTask, func(it map[string]types.AttributeValue) error {
		var t task.Task
		if err := unmarshal(it, &t); err != nil {
			return err
		}
		out = append(out, t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lead tasks %s: %w", leadID, err)
	}
	return out, nil
}

// agendaCursor is the position after the last record of a page.
type agendaCursor struct {
	PK, SK, GPK, GSK string
}

// Agenda lists one assignee's records: one Query on their agenda partition
// (GSI2), overdue first, then by when they fall due; done ones last.
func (st *Store) Agenda(ctx context.Context, tenant string, q task.Query) ([]task.Task, string, error) {
	pk := agendaPK(tenant, q.Assignee)
	cond, vals := "GSI2PK = :pk", map[string]types.AttributeValue{":pk": s(pk)}
	switch q.Status {
	case task.StatusPending:
		cond += " AND begins_with(GSI2SK, :p)"
		vals[":p"] = s(agendaPending)
	case task.StatusOverdue:
		cond += " AND GSI2SK BETWEEN :a AND :b"
		vals[":a"], vals[":b"] = s(agendaPending), s(agendaPending+q.Now.UTC().Format(createdLayout)+"#~")
	case task.StatusDone:
		cond += " AND begins_with(GSI2SK, :p)"
		vals[":p"] = s(agendaDone)
	}
	in := &dynamodb.QueryInput{
		TableName: st.table, IndexName: aws.String(IndexGSI2),
		KeyConditionExpression: aws.String(cond), ExpressionAttributeValues: vals,
		ScanIndexForward: aws.Bool(q.Status != task.StatusDone),
	}
	var filters []string
	names := map[string]string{}
	if q.Type != "" {
		filters = append(filters, "#type = :type")
		names["#type"], vals[":type"] = "type", s(q.Type)
	}
	if q.From != "" {
		filters = append(filters, "due_date >= :from")
		vals[":from"] = s(q.From)
	}
	if q.To != "" {
		filters = append(filters, "due_date <= :to")
		vals[":to"] = s(q.To)
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
		if len(names) > 0 {
			in.ExpressionAttributeNames = names
		}
	}
	if q.Cursor != "" {
		var c agendaCursor
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || json.Unmarshal(b, &c) != nil || c.GPK != pk || !strings.HasPrefix(c.PK, "T#"+tenant+"#LEAD#") {
			e := &lead.InvalidError{}
			e.Add("cursor", "invalid", "cursor is malformed or belongs to another list")
			return nil, "", e
		}
		in.ExclusiveStartKey = map[string]types.AttributeValue{AttrPK: s(c.PK), AttrSK: s(c.SK), AttrGSI2PK: s(c.GPK), AttrGSI2SK: s(c.GSK)}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	out := []task.Task{}
	for {
		page, err := st.db.Query(ctx, in)
		if err != nil {
			return nil, "", fmt.Errorf("agenda: %w", err)
		}
		for _, it := range page.Items {
			var t task.Task
			if err := unmarshal(it, &t); err != nil {
				return nil, "", fmt.Errorf("agenda: %w", err)
			}
			out = append(out, t)
			if len(out) == limit {
				b, _ := json.Marshal(agendaCursor{PK: str(it, AttrPK), SK: str(it, AttrSK), GPK: str(it, AttrGSI2PK), GSK: str(it, AttrGSI2SK)})
				return out, base64.RawURLEncoding.EncodeToString(b), nil
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, "", nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// TasksCreated lists the records created in [from, to) (instants), one
// Query per month of GSI3 the range covers.
func (st *Store) TasksCreated(ctx context.Context, tenant string, from, to time.Time) ([]task.Task, error) {
	out := []task.Task{}
	lo, hi := from.UTC().Format(createdLayout), to.UTC().Format(createdLayout)
	for m := time.Date(from.UTC().Year(), from.UTC().Month(), 1, 0, 0, 0, 0, time.UTC); m.Before(to); m = m.AddDate(0, 1, 0) {
		in := &dynamodb.QueryInput{
			TableName: st.table, IndexName: aws.String(IndexGSI3),
			KeyConditionExpression:    aws.String("GSI3PK = :pk AND GSI3SK BETWEEN :lo AND :hi"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(taskMonthPK(tenant, m)), ":lo": s(lo), ":hi": s(hi)},
		}
		for {
			page, err := st.db.Query(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("tasks created: %w", err)
			}
			for _, it := range page.Items {
				var t task.Task
				if err := unmarshal(it, &t); err != nil {
					return nil, fmt.Errorf("tasks created: %w", err)
				}
				if !t.CreatedAt.Before(from) && t.CreatedAt.Before(to) {
					out = append(out, t)
				}
			}
			if len(page.LastEvaluatedKey) == 0 {
				break
			}
			in.ExclusiveStartKey = page.LastEvaluatedKey
		}
	}
	return out, nil
}

// TaskTypes reads the account's task types (task.DefaultTypes when it set
// none).
func (st *Store) TaskTypes(ctx context.Context, tenant string) ([]task.TaskType, error) {
	var v struct {
		Types []task.TaskType `json:"types"`
	}
	ok, err := st.getTenantDoc(ctx, tenant, skTaskTypes, &v)
	if err != nil || !ok {
		return task.DefaultTypes, err
	}
	return v.Types, nil
}

// PutTaskTypes replaces the account's task types.
func (st *Store) PutTaskTypes(ctx context.Context, tenant string, ts []task.TaskType) error {
	return st.putTenantDoc(ctx, tenant, skTaskTypes, map[string]any{"types": ts})
}

// TaskPresets reads the account's quick-entry presets.
func (st *Store) TaskPresets(ctx context.Context, tenant string) ([]task.Preset, error) {
	var v struct {
		Presets []task.Preset `json:"presets"`
	}
	if _, err := st.getTenantDoc(ctx, tenant, skTaskPresets, &v); err != nil {
		return nil, err
	}
	if v.Presets == nil {
		v.Presets = []task.Preset{}
	}
	return v.Presets, nil
}

// PutTaskPresets replaces the account's presets.
func (st *Store) PutTaskPresets(ctx context.Context, tenant string, ps []task.Preset) error {
	return st.putTenantDoc(ctx, tenant, skTaskPresets, map[string]any{"presets": ps})
}

func (st *Store) getTenantDoc(ctx context.Context, tenant, sk string, v any) (bool, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: st.table, Key: key(tenantPK(tenant), sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return false, fmt.Errorf("read %s: %w", strings.ToLower(sk), err)
	}
	if out.Item == nil {
		return false, nil
	}
	return true, unmarshal(out.Item, v)
}

func (st *Store) putTenantDoc(ctx context.Context, tenant, sk string, v any) error {
	it, err := item(v, tenantPK(tenant), sk)
	if err != nil {
		return err
	}
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: st.table, Item: it})
	if err != nil {
		return fmt.Errorf("write %s: %w", strings.ToLower(sk), err)
	}
	return nil
}
