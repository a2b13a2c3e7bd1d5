package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
)

// Settings changes from the console (account, sites) are written in one
// transaction with their audit entries, in the tenant's partition:
//
//	PK          SK                 what
//	T#<tenant>  AUDIT#<event_id>   one changed setting: actor, action, field, before, after, target
const skAudit = "AUDIT#"

// UpdateAccount applies change (which edits the account in place and
// returns its audit entries) to the stored account with its audit
// entries in one transaction, conditional on the version read. ifVersion >
// 0 must equal that version (lead.ErrVersionMismatch otherwise). An account
// never changed from the console is at version 1.
func (st *Store) UpdateAccount(ctx context.Context, tenantID string, ifVersion int64, change func(*account.Account) ([]lead.Event, error)) (account.Account, error) {
	a, err := st.Account(ctx, tenantID)
	if err != nil {
		return a, err
	}
	stored := a.Version
	a.Version = max(stored, 1)
	if ifVersion > 0 && ifVersion != a.Version {
		return a, fmt.Errorf("update account %s: %w", tenantID, lead.ErrVersionMismatch)
	}
	evs, err := change(&a)
	if err != nil {
		return a, err
	}
	if len(evs) == 0 {
		return a, nil
	}
	a.Version++
	a.UpdatedAt = st.now().UTC()
	it, err := item(a, tenantPK(tenantID), skAccount)
	if err != nil {
		return a, fmt.Errorf("update account %s: %w", tenantID, err)
	}
	items := []types.TransactWriteItem{{Put: versioned(st.table, it, stored)}}
	audit, err := st.auditItems(tenantID, "account", evs)
	if err != nil {
		return a, fmt.Errorf("update account %s: %w", tenantID, err)
	}
	if err := st.writeVersioned(ctx, append(items, audit...)); err != nil {
		return a, fmt.Errorf("update account %s: %w", tenantID, err)
	}
	return a, nil
}

// CreateSite stores a new site, its public-key lookup item and its audit
// entries in one transaction; the site id and key must both be new.
func (st *Store) CreateSite(ctx context.Context, site account.Site, evs []lead.Event) error {
	siteItem, err := item(site, tenantPK(site.TenantID), skSite+site.ID)
	if err != nil {
		return fmt.Errorf("create site: %w", err)
	}
	lookup, err := item(site, siteKeyPK(site.Key), skSiteKey)
	if err != nil {
		return fmt.Errorf("create site: %w", err)
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: st.table, Item: siteItem, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: st.table, Item: lookup, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	}
	audit, err := st.auditItems(site.TenantID, site.ID, evs)
	if err != nil {
		return fmt.Errorf("create site: %w", err)
	}
	if err := st.writeVersioned(ctx, append(items, audit...)); err != nil {
		return fmt.Errorf("create site: %w", err)
	}
	return nil
}

// UpdateSite applies change to a stored site with its audit entries in one
// transaction conditional on the version read. When the key changes, the
// new key's lookup item is created, the old one deleted and the old key
// revoked (sitekey.go) in the same transaction, so the old key resolves to
// nothing from then on and an instance that still caches it stores nothing.
func (st *Store) UpdateSite(ctx context.Context, tenantID, siteID string, change func(*account.Site) ([]lead.Event, error)) (account.Site, error) {
	old, err := st.Site(ctx, tenantID, siteID)
	if err != nil {
		return old, err
	}
	site := old
	site.AllowedOrigins = append([]string(nil), old.AllowedOrigins...)
	evs, err := change(&site)
	if err != nil {
		return site, err
	}
	if len(evs) == 0 {
		return old, nil
	}
	site.Version = max(old.Version, 1) + 1
	siteItem, err := item(site, tenantPK(tenantID), skSite+site.ID)
	if err != nil {
		return site, fmt.Errorf("update site %s: %w", siteID, err)
	}
	lookup, err := item(site, siteKeyPK(site.Key), skSiteKey)
	if err != nil {
		return site, fmt.Errorf("update site %s: %w", siteID, err)
	}
	items := []types.TransactWriteItem{{Put: versioned(st.table, siteItem, old.Version)}}
	if site.Key != old.Key {
		items = append(items,
			types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: lookup, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			types.TransactWriteItem{Delete: &types.Delete{TableName: st.table, Key: key(siteKeyPK(old.Key), skSiteKey)}})
		items = append(items, st.siteKeyRotation(old.Key, site.Key, st.now())...)
	} else {
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: lookup}})
	}
	audit, err := st.auditItems(tenantID, siteID, evs)
	if err != nil {
		return site, fmt.Errorf("update site %s: %w", siteID, err)
	}
	if err := st.writeVersioned(ctx, append(items, audit...)); err != nil {
		return site, fmt.Errorf("update site %s: %w", siteID, err)
	}
	st.mu.Lock()
	delete(st.sites, old.Key)
	delete(st.sites, site.Key)
	st.mu.Unlock()
	return site, nil
}

// AuditLog lists an account's settings audit entries, oldest first.
func (st *Store) AuditLog(ctx context.Context, tenantID string) ([]lead.Event, error) {
	out, err := queryItems[lead.Event](ctx, st, tenantPK(tenantID), skAudit, nil)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return out, nil
}

// versioned is a Put conditional on the item still being at version
// (stored 0: an item that exists without a version attribute).
func versioned(table *string, it map[string]types.AttributeValue, version int64) *types.Put {
	if version == 0 {
		return &types.Put{TableName: table, Item: it,
			ConditionExpression: aws.String("attribute_exists(PK) AND attribute_not_exists(version)")}
	}
	return &types.Put{TableName: table, Item: it, ConditionExpression: aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(version)}}
}

// writeVersioned runs one transaction; a failed condition (a concurrent
// change, a reused key) is lead.ErrVersionMismatch.
func (st *Store) writeVersioned(ctx context.Context, items []types.TransactWriteItem) error {
	reasons, err := st.transact(ctx, items)
	if err != nil {
		return err
	}
	for i := range reasons {
		if failed(reasons, i) {
			return lead.ErrVersionMismatch
		}
	}
	if reasons != nil {
		if err := retryable(reasons); err != nil {
			return err
		}
		return errors.Join(lead.ErrVersionMismatch, ErrContention)
	}
	return nil
}

func (st *Store) auditItems(tenantID, target string, evs []lead.Event) ([]types.TransactWriteItem, error) {
	now := st.now().UTC()
	var out []types.TransactWriteItem
	for _, ev := range evs {
		ev.Stamp(now)
		it, err := item(ev, tenantPK(tenantID), skAudit+ev.ID, "target", target)
		if err != nil {
			return nil, err
		}
		out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: it}})
	}
	return out, nil
}

// At returns a store over the same table whose clock reads t: what it
// writes (a capture's created_at and attribution day, history times) is
// dated t. The demo seeds two months of leads with it.
func (st *Store) At(t time.Time) *Store {
	return &Store{db: st.db, table: st.table, now: func() time.Time { return t }, sites: map[string]cachedSite{}}
}
