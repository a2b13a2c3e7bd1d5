package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/account"
)

// Account API keys:
//
//	T#<tenant>        APIKEY#<id>   the key (listed by the account's admins; never the secret)
//	APIKEYHASH#<hash> APIKEY        copy of the key by the SHA-256 of its secret (deleted on revoke)
//
// Like SITEKEY, the lookup item carries no tenant prefix: a server call
// arrives with nothing but the secret, and its hash is how it finds the key.
const (
	skAPIKey     = "APIKEY#"
	skAPIKeyHash = "APIKEY"
)

func apiKeyHashPK(hash string) string { return "APIKEYHASH#" + hash }

// CreateAPIKey stores a new key and its lookup item in one transaction,
// neither overwriting anything (account.ErrNameTaken when the id or the
// hash is already stored).
func (st *Store) CreateAPIKey(ctx context.Context, k account.APIKey) error {
	it, err := item(k, tenantPK(k.TenantID), skAPIKey+k.ID)
	if err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	lookup, err := item(k, apiKeyHashPK(k.Hash), skAPIKeyHash)
	if err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	notThere := aws.String("attribute_not_exists(PK)")
	reasons, err := st.transact(ctx, []types.TransactWriteItem{
		{Put: &types.Put{TableName: st.table, Item: it, ConditionExpression: notThere}},
		{Put: &types.Put{TableName: st.table, Item: lookup, ConditionExpression: notThere}},
	})
	if err != nil {
		return fmt.Errorf("create api key: %w", err)
	}
	if reasons != nil {
		if failed(reasons, 0) || failed(reasons, 1) {
			return fmt.Errorf("create api key: %w", account.ErrNameTaken)
		}
		return fmt.Errorf("create api key: %w", ErrContention)
	}
	return nil
}

// APIKeys lists an account's keys, revoked ones included (one Query).
func (st *Store) APIKeys(ctx context.Context, tenantID string) ([]account.APIKey, error) {
	out, err := queryItems[account.APIKey](ctx, st, tenantPK(tenantID), skAPIKey, nil)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	return out, nil
}

// APIKeyByHash resolves a secret's hash with a consistent read and no
// cache, so a revoked key is refused at once: account.ErrNotFound for an
// unknown or revoked key.
func (st *Store) APIKeyByHash(ctx context.Context, hash string) (account.APIKey, error) {
	var k account.APIKey
	if badID(hash) {
		return k, fmt.Errorf("api key: %w", account.ErrNotFound)
	}
	if err := st.get(ctx, apiKeyHashPK(hash), skAPIKeyHash, &k); err != nil {
		return k, fmt.Errorf("api key: %w", err)
	}
	if k.RevokedAt != nil {
		return k, fmt.Errorf("api key: %w", account.ErrNotFound)
	}
	return k, nil
}

// RevokeAPIKey marks a key revoked and deletes its lookup item in one
// transaction; account.ErrNotFound when the account has no such key.
// Revoking a revoked key changes nothing.
func (st *Store) RevokeAPIKey(ctx context.Context, tenantID, keyID string, at time.Time) error {
	var k account.APIKey
	if badID(keyID) {
		return fmt.Errorf("revoke api key: %w", account.ErrNotFound)
	}
	if err := st.get(ctx, tenantPK(tenantID), skAPIKey+keyID, &k); err != nil {
		return fmt.Errorf("revoke api key %s: %w", keyID, err)
	}
	if k.RevokedAt != nil {
		return nil
	}
	reasons, err := st.transact(ctx, []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: st.table, Key: key(tenantPK(tenantID), skAPIKey+keyID),
			UpdateExpression:          aws.String("SET revoked_at = :at"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":at": s(at.UTC().Format(time.RFC3339Nano))},
		}},
		{Delete: &types.Delete{TableName: st.table, Key: key(apiKeyHashPK(k.Hash), skAPIKeyHash)}},
	})
	if err != nil {
		return fmt.Errorf("revoke api key %s: %w", keyID, err)
	}
	if reasons != nil {
		if failed(reasons, 0) {
			return fmt.Errorf("revoke api key %s: %w", keyID, account.ErrNotFound)
		}
		return fmt.Errorf("revoke api key %s: %w", keyID, ErrContention)
	}
	return nil
}

// TouchAPIKey records that a key was used, at most once a minute: the
// write is conditional on the stored last_used_at being a minute old, so
// concurrent calls cost one write, and a key revoked meanwhile is not
// touched.
func (st *Store) TouchAPIKey(ctx context.Context, k account.APIKey, at time.Time) error {
	if !k.NeedsTouch(at) {
		return nil
	}
	stamp := at.UTC().Format(time.RFC3339Nano)
	cutoff := at.Add(-time.Minute).UTC().Format(time.RFC3339Nano)
	set := func(pk, sk string) types.TransactWriteItem {
		return types.TransactWriteItem{Update: &types.Update{
			TableName: st.table, Key: key(pk, sk),
			UpdateExpression:    aws.String("SET last_used_at = :at"),
			ConditionExpression: aws.String("attribute_exists(PK) AND attribute_not_exists(revoked_at) AND (attribute_not_exists(last_used_at) OR last_used_at < :cutoff)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":at": s(stamp), ":cutoff": s(cutoff),
			},
		}}
	}
	// Both copies, so the next lookup sees the new time and skips the write.
	// A cancellation means another call touched it first (or it was
	// revoked): nothing to do.
	if _, err := st.transact(ctx, []types.TransactWriteItem{
		set(tenantPK(k.TenantID), skAPIKey+k.ID),
		set(apiKeyHashPK(k.Hash), skAPIKeyHash),
	}); err != nil {
		return fmt.Errorf("touch api key %s: %w", k.ID, err)
	}
	return nil
}
