package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/lead"
)

// AddNote stores a new note and its history entry, provided the lead
// exists (lead.ErrNotFound otherwise).
func (st *Store) AddNote(ctx context.Context, tenantID, leadID string, note lead.Note, ev lead.Event) error {
	if badID(leadID) {
		return fmt.Errorf("add note: %w", lead.ErrNotFound)
	}
	if badID(note.ID) {
		return errors.New("add note: note id is empty or contains '#'")
	}
	pk := leadPK(tenantID, leadID)
	noteItem, err := item(note, pk, skNote+note.ID)
	if err != nil {
		return fmt.Errorf("add note: %w", err)
	}
	noteItem["version"] = n(1)
	evItem, err := item(ev, pk, skEvent+ev.ID)
	if err != nil {
		return fmt.Errorf("add note: %w", err)
	}
	items := []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{
			TableName: st.table, Key: key(pk, skMeta), ConditionExpression: aws.String("attribute_exists(PK)"),
		}},
		{Put: &types.Put{TableName: st.table, Item: noteItem, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: st.table, Item: evItem}},
	}
	for attempt := 1; ; attempt++ {
		reasons, err := st.transact(ctx, items)
		switch {
		case err != nil:
			return fmt.Errorf("add note to lead %s: %w", leadID, err)
		case reasons == nil:
			return nil
		case failed(reasons, 0):
			return fmt.Errorf("add note to lead %s: %w", leadID, lead.ErrNotFound)
		case failed(reasons, 1):
			return fmt.Errorf("add note to lead %s: note %s already exists", leadID, note.ID)
		}
		if err := retryable(reasons); err != nil {
			return fmt.Errorf("add note to lead %s: %w", leadID, err)
		}
		if attempt >= maxAttempts {
			return fmt.Errorf("add note to lead %s: %w", leadID, ErrContention)
		}
		if err := backoff(ctx, attempt); err != nil {
			return fmt.Errorf("add note: %w", err)
		}
	}
}

// UpdateNote reads a note, lets change edit it (change may refuse with
// lead.ErrForbidden, returned as is) and writes it with its history entry,
// conditional on the note's version read. On a concurrent edit it re-reads
// and calls change again.
func (st *Store) UpdateNote(ctx context.Context, tenantID, leadID, noteID string, change lead.NoteChange) (lead.Note, error) {
	var out lead.Note
	err := st.changeNote(ctx, tenantID, leadID, noteID, change, false, &out)
	return out, err
}

// DeleteNote reads a note, lets change authorize the deletion and build its
// history entry, then deletes the note with that entry in one transaction.
func (st *Store) DeleteNote(ctx context.Context, tenantID, leadID, noteID string, change lead.NoteChange) error {
	return st.changeNote(ctx, tenantID, leadID, noteID, change, true, nil)
}

func (st *Store) changeNote(ctx context.Context, tenantID, leadID, noteID string, change lead.NoteChange, del bool, out *lead.Note) error {
	pk := leadPK(tenantID, leadID)
	op := "update"
	if del {
		op = "delete"
	}
	if badID(leadID) || badID(noteID) {
		return fmt.Errorf("%s note: %w", op, lead.ErrNotFound)
	}
	for attempt := 1; ; attempt++ {
		got, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: st.table, Key: key(pk, skNote+noteID), ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return fmt.Errorf("%s note %s: %w", op, noteID, err)
		}
		if got.Item == nil {
			return fmt.Errorf("%s note %s: %w", op, noteID, lead.ErrNotFound)
		}
		var note lead.Note
		if err := unmarshal(got.Item, &note); err != nil {
			return fmt.Errorf("%s note %s: %w", op, noteID, err)
		}
		version := num(got.Item, "version")
		ev, err := change(&note)
		if err != nil {
			return err
		}
		note.ID = noteID
		now := st.now().UTC()
		ev.Stamp(now)
		evItem, err := item(ev, pk, skEvent+ev.ID)
		if err != nil {
			return fmt.Errorf("%s note %s: %w", op, noteID, err)
		}
		cond := map[string]types.AttributeValue{":v": n(version)}
		var first types.TransactWriteItem
		if del {
			first.Delete = &types.Delete{
				TableName: st.table, Key: key(pk, skNote+noteID),
				ConditionExpression:       aws.String("attribute_exists(PK) AND version = :v"),
				ExpressionAttributeValues: cond,
			}
		} else {
			noteItem, err := item(note, pk, skNote+noteID)
			if err != nil {
				return fmt.Errorf("%s note %s: %w", op, noteID, err)
			}
			noteItem["version"] = n(version + 1)
			first.Put = &types.Put{
				TableName: st.table, Item: noteItem,
				ConditionExpression:       aws.String("attribute_exists(PK) AND version = :v"),
				ExpressionAttributeValues: cond,
			}
		}
		reasons, err := st.transact(ctx, []types.TransactWriteItem{first, {Put: &types.Put{TableName: st.table, Item: evItem}}})
		if err != nil {
			return fmt.Errorf("%s note %s: %w", op, noteID, err)
		}
		if reasons == nil {
			if out != nil {
				*out = note
			}
			return nil
		}
		if !failed(reasons, 0) {
			if err := retryable(reasons); err != nil {
				return fmt.Errorf("%s note %s: %w", op, noteID, err)
			}
		}
		if attempt >= maxAttempts {
			return fmt.Errorf("%s note %s: %w", op, noteID, ErrContention)
		}
		if err := backoff(ctx, attempt); err != nil {
			return fmt.Errorf("%s note: %w", op, err)
		}
	}
}
