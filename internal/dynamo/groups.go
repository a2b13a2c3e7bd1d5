package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
)

// Groups and saved filters live in the account partition:
//
//	T#<tenant>   GROUP#<id>              group
//	T#<tenant>   GROUPNAME#<folded name> claims the name (unique per account)
//	T#<tenant>   SFILTER#<id>            saved filter
const (
	skGroup     = "GROUP#"
	skGroupName = "GROUPNAME#"
	skSaved     = "SFILTER#"
)

// CreateGroup stores a new group; account.ErrNameTaken when another group
// of the account has the same name (ignoring case and accents).
func (st *Store) CreateGroup(ctx context.Context, tenantID string, g account.Group) error {
	it, err := item(g, tenantPK(tenantID), skGroup+g.ID)
	if err != nil {
		return fmt.Errorf("create group: %w", err)
	}
	name := map[string]types.AttributeValue{
		AttrPK: s(tenantPK(tenantID)), AttrSK: s(skGroupName + lead.NormalizeTag(g.Name)), "group_id": s(g.ID),
	}
	reasons, err := st.transact(ctx, []types.TransactWriteItem{
		{Put: &types.Put{TableName: st.table, Item: it, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: st.table, Item: name, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	})
	if err != nil {
		return fmt.Errorf("create group: %w", err)
	}
	if reasons != nil {
		if failed(reasons, 1) {
			return fmt.Errorf("create group: %w", account.ErrNameTaken)
		}
		return fmt.Errorf("create group: %w", ErrContention)
	}
	return nil
}

// Groups lists the groups of an account (one Query on its partition).
func (st *Store) Groups(ctx context.Context, tenantID string) ([]account.Group, error) {
	out, err := queryItems[account.Group](ctx, st, tenantPK(tenantID), skGroup, nil)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return out, nil
}

// Group reads one group; account.ErrNotFound when missing.
func (st *Store) Group(ctx context.Context, tenantID, groupID string) (account.Group, error) {
	var g account.Group
	if badID(groupID) {
		return g, fmt.Errorf("group %s: %w", groupID, account.ErrNotFound)
	}
	if err := st.get(ctx, tenantPK(tenantID), skGroup+groupID, &g); err != nil {
		return g, fmt.Errorf("group %s: %w", groupID, err)
	}
	return g, nil
}

// PutSavedFilter creates or replaces a saved filter. With ifOwner set, the
// write only replaces a filter of that owner (lead.ErrForbidden otherwise).
func (st *Store) PutSavedFilter(ctx context.Context, tenantID string, f account.SavedFilter, create bool) error {
	it, err := item(f, tenantPK(tenantID), skSaved+f.ID)
	if err != nil {
		return fmt.Errorf("save filter: %w", err)
	}
	in := &dynamodb.PutItemInput{TableName: st.table, Item: it}
	if create {
		in.ConditionExpression = aws.String("attribute_not_exists(PK)")
	} else {
		in.ConditionExpression = aws.String("owner_id = :o")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":o": s(f.OwnerID)}
	}
	if _, err := st.db.PutItem(ctx, in); err != nil {
		var cf *types.ConditionalCheckFailedException
		if errors.As(err, &cf) {
			return fmt.Errorf("save filter: %w", lead.ErrForbidden)
		}
		return fmt.Errorf("save filter: %w", err)
	}
	return nil
}

// SavedFilter reads one saved filter; account.ErrNotFound when missing.
func (st *Store) SavedFilter(ctx context.Context, tenantID, id string) (account.SavedFilter, error) {
	var f account.SavedFilter
	if badID(id) {
		return f, fmt.Errorf("saved filter %s: %w", id, account.ErrNotFound)
	}
	if err := st.get(ctx, tenantPK(tenantID), skSaved+id, &f); err != nil {
		return f, fmt.Errorf("saved filter %s: %w", id, err)
	}
	return f, nil
}

// SavedFilters lists the filters a user sees: their own and shared ones.
func (st *Store) SavedFilters(ctx context.Context, tenantID, userID string) ([]account.SavedFilter, error) {
	out, err := queryItems(ctx, st, tenantPK(tenantID), skSaved, func(f account.SavedFilter) bool { return f.OwnerID == userID || f.Shared })
	if err != nil {
		return nil, fmt.Errorf("list saved filters: %w", err)
	}
	return out, nil
}

// DeleteSavedFilter deletes a filter of ownerID (lead.ErrForbidden for
// someone else's, account.ErrNotFound when missing).
func (st *Store) DeleteSavedFilter(ctx context.Context, tenantID, id, ownerID string) error {
	if _, err := st.SavedFilter(ctx, tenantID, id); err != nil {
		return err
	}
	_, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: st.table, Key: key(tenantPK(tenantID), skSaved+id),
		ConditionExpression:       aws.String("owner_id = :o"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":o": s(ownerID)},
	})
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		return fmt.Errorf("delete saved filter: %w", lead.ErrForbidden)
	}
	if err != nil {
		return fmt.Errorf("delete saved filter: %w", err)
	}
	return nil
}

// queryItems reads every item of partition pk whose SK starts with prefix
// into a T, keeping those keep accepts (nil keeps all).
func queryItems[T any](ctx context.Context, st *Store, pk, prefix string, keep func(T) bool) ([]T, error) {
	out := []T{}
	err := st.queryPrefix(ctx, pk, prefix, func(it map[string]types.AttributeValue) error {
		var v T
		if err := unmarshal(it, &v); err != nil {
			return err
		}
		if keep == nil || keep(v) {
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

// queryPrefix calls f for every item of partition pk whose SK starts with
// prefix.
func (st *Store) queryPrefix(ctx context.Context, pk, prefix string, f func(map[string]types.AttributeValue) error) error {
	in := &dynamodb.QueryInput{
		TableName:                 st.table,
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(pk), ":p": s(prefix)},
		ConsistentRead:            aws.Bool(true),
	}
	for {
		out, err := st.db.Query(ctx, in)
		if err != nil {
			return err
		}
		for _, it := range out.Items {
			if !strings.HasPrefix(str(it, AttrSK), prefix) {
				continue
			}
			if err := f(it); err != nil {
				return err
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}
