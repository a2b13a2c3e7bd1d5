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
	"github.com/leadflow/leadflow/internal/assign"
	"github.com/leadflow/leadflow/internal/lead"
)

// Assignment items, in the tenant's partition:
//
//	PK          SK              what
//	T#<tenant>  ASSIGN#RULES    the ordered rule list (version)
//	T#<tenant>  RR#<rule_id>    round-robin counter n of a rule (ADD)
const (
	skRules = "ASSIGN#RULES"
	skRR    = "RR#"
)

// AssignmentRules reads the account's rules; none yet is an empty list at
// version 0.
func (st *Store) AssignmentRules(ctx context.Context, tenantID string) (assign.Rules, error) {
	var r assign.Rules
	err := st.get(ctx, tenantPK(tenantID), skRules, &r)
	if errors.Is(err, account.ErrNotFound) {
		return assign.Rules{Rules: []assign.Rule{}}, nil
	}
	if err != nil {
		return r, fmt.Errorf("assignment rules: %w", err)
	}
	if r.Rules == nil {
		r.Rules = []assign.Rule{}
	}
	return r, nil
}

// PutAssignmentRules replaces the rules. ifVersion > 0 makes the write
// conditional on that version (lead.ErrVersionMismatch when stale). The
// stored version is the old one plus one.
func (st *Store) PutAssignmentRules(ctx context.Context, tenantID string, r assign.Rules, ifVersion int64) (assign.Rules, error) {
	cur, err := st.AssignmentRules(ctx, tenantID)
	if err != nil {
		return r, err
	}
	if ifVersion > 0 && cur.Version != ifVersion {
		return r, fmt.Errorf("put assignment rules: %w", lead.ErrVersionMismatch)
	}
	r.Version = cur.Version + 1
	it, err := item(r, tenantPK(tenantID), skRules)
	if err != nil {
		return r, fmt.Errorf("put assignment rules: %w", err)
	}
	cond, vals := "attribute_not_exists(PK)", map[string]types.AttributeValue(nil)
	if cur.Version > 0 {
		cond, vals = "version = :v", map[string]types.AttributeValue{":v": n(cur.Version)}
	}
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: st.table, Item: it, ConditionExpression: aws.String(cond), ExpressionAttributeValues: vals,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return r, fmt.Errorf("put assignment rules: %w", lead.ErrVersionMismatch)
	}
	if err != nil {
		return r, fmt.Errorf("put assignment rules: %w", err)
	}
	return r, nil
}

// NextTurn atomically takes the next round-robin turn (1, 2, 3, ...) of a
// rule. Concurrent callers each get a distinct number, so the rotation
// stays fair under concurrent captures.
func (st *Store) NextTurn(ctx context.Context, tenantID, ruleID string) (int64, error) {
	out, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 st.table,
		Key:                       key(tenantPK(tenantID), skRR+ruleID),
		UpdateExpression:          aws.String("ADD #n :one"),
		ExpressionAttributeNames:  map[string]string{"#n": "n"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": n(1)},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return 0, fmt.Errorf("round robin %s: %w", ruleID, err)
	}
	return num(out.Attributes, "n"), nil
}

// Users lists the account's console users.
func (st *Store) Users(ctx context.Context, tenantID string) ([]account.User, error) {
	out, err := queryItems[account.User](ctx, st, tenantPK(tenantID), skUser, nil)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	return out, nil
}

// SetUserStatus changes a user's active and away flags (nil: unchanged)
// without touching the rest of the user; account.ErrNotFound for no such
// user.
func (st *Store) SetUserStatus(ctx context.Context, tenantID, userID string, active, away *bool) (account.User, error) {
	var u account.User
	if badID(userID) {
		return u, fmt.Errorf("set user status: %w", account.ErrNotFound)
	}
	var sets []string
	vals := map[string]types.AttributeValue{}
	if active != nil {
		sets = append(sets, "active = :active")
		vals[":active"] = &types.AttributeValueMemberBOOL{Value: *active}
	}
	if away != nil {
		sets = append(sets, "away = :away")
		vals[":away"] = &types.AttributeValueMemberBOOL{Value: *away}
	}
	if len(sets) == 0 {
		return st.User(ctx, tenantID, userID)
	}
	out, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 st.table,
		Key:                       key(tenantPK(tenantID), skUser+userID),
		UpdateExpression:          aws.String("SET " + strings.Join(sets, ", ")),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: vals,
		ReturnValues:              types.ReturnValueAllNew,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return u, fmt.Errorf("set user status %s: %w", userID, account.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("set user status %s: %w", userID, err)
	}
	if err := unmarshal(out.Attributes, &u); err != nil {
		return u, fmt.Errorf("set user status %s: %w", userID, err)
	}
	return u, nil
}

// LeadIDByKey returns the id of the lead holding an identity key; "" when
// none does.
func (st *Store) LeadIDByKey(ctx context.Context, tenantID string, k lead.IdentityKey) (string, error) {
	id, err := st.keyOwner(ctx, tenantID, k)
	if err != nil {
		return "", fmt.Errorf("lead by key: %w", err)
	}
	return id, nil
}
