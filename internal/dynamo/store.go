package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
)

// ErrContention is wrapped by errors returned after a write lost too many
// races (transaction conflicts or version changes) in a row. The request
// may be retried as is. Packages that must not import this one (httpapi)
// can detect it with errors.As on interface{ Retryable() bool }. It is
// lead.ErrContention, which the use cases above the store return too.
var ErrContention = lead.ErrContention

// siteCacheTTL bounds how stale a cached site may be. Lambda instances are
// reused, so the cache saves a read on most captures.
const siteCacheTTL = 30 * time.Second

// maxTxItems is DynamoDB's limit of actions in one transaction.
const maxTxItems = 100

// Store is the DynamoDB store. It is safe for concurrent use.
type Store struct {
	db    *dynamodb.Client
	table *string
	now   func() time.Time

	mu    sync.Mutex
	sites map[string]cachedSite
}

type cachedSite struct {
	site    account.Site
	expires time.Time
}

// Option configures a Store.
type Option func(*Store)

// WithClock replaces time.Now (tests pin the rate-limit minute with it).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// New returns a store over table.
func New(client *dynamodb.Client, table string, opts ...Option) *Store {
	st := &Store{db: client, table: aws.String(table), now: time.Now, sites: map[string]cachedSite{}}
	for _, o := range opts {
		o(st)
	}
	return st
}

// Ping reports whether the table is reachable.
func (st *Store) Ping(ctx context.Context) error {
	if _, err := st.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: st.table}); err != nil {
		return fmt.Errorf("ping dynamodb table %s: %w", *st.table, err)
	}
	return nil
}

// PutAccount creates or replaces an account.
func (st *Store) PutAccount(ctx context.Context, a account.Account) error {
	it, err := item(a, tenantPK(a.ID), skAccount)
	if err != nil {
		return fmt.Errorf("put account %s: %w", a.ID, err)
	}
	if _, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: st.table, Item: it}); err != nil {
		return fmt.Errorf("put account %s: %w", a.ID, err)
	}
	return nil
}

// Account reads an account; account.ErrNotFound when there is none.
func (st *Store) Account(ctx context.Context, tenantID string) (account.Account, error) {
	var a account.Account
	if err := st.get(ctx, tenantPK(tenantID), skAccount, &a); err != nil {
		return a, fmt.Errorf("get account %s: %w", tenantID, err)
	}
	return a, nil
}

// PutUser creates or replaces a console user.
func (st *Store) PutUser(ctx context.Context, u account.User) error {
	it, err := item(u, tenantPK(u.TenantID), skUser+u.ID)
	if err != nil {
		return fmt.Errorf("put user %s: %w", u.ID, err)
	}
	if _, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: st.table, Item: it}); err != nil {
		return fmt.Errorf("put user %s: %w", u.ID, err)
	}
	return nil
}

// User reads a console user of a tenant; account.ErrNotFound when there is
// none (also for a user of another tenant).
func (st *Store) User(ctx context.Context, tenantID, userID string) (account.User, error) {
	var u account.User
	if err := st.get(ctx, tenantPK(tenantID), skUser+userID, &u); err != nil {
		return u, fmt.Errorf("get user %s: %w", userID, err)
	}
	return u, nil
}

// PutSite creates or replaces a site and its public-key lookup item in one
// transaction. When the key changed, the old lookup item is deleted and the
// old key revoked (sitekey.go) in the same transaction.
func (st *Store) PutSite(ctx context.Context, site account.Site) error {
	siteItem, err := item(site, tenantPK(site.TenantID), skSite+site.ID)
	if err != nil {
		return fmt.Errorf("put site %s: %w", site.ID, err)
	}
	lookup, err := item(site, siteKeyPK(site.Key), skSiteKey)
	if err != nil {
		return fmt.Errorf("put site %s: %w", site.ID, err)
	}
	var old account.Site
	err = st.get(ctx, tenantPK(site.TenantID), skSite+site.ID, &old)
	if err != nil && !errors.Is(err, account.ErrNotFound) {
		return fmt.Errorf("put site %s: %w", site.ID, err)
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: st.table, Item: siteItem}},
		{Put: &types.Put{TableName: st.table, Item: lookup}},
	}
	if err == nil && old.Key != "" && old.Key != site.Key {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{
			TableName: st.table, Key: key(siteKeyPK(old.Key), skSiteKey),
		}})
		items = append(items, st.siteKeyRotation(old.Key, site.Key, st.now())...)
	}
	if _, err := st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
		return fmt.Errorf("put site %s: %w", site.ID, err)
	}
	st.mu.Lock()
	delete(st.sites, site.Key)
	delete(st.sites, old.Key)
	st.mu.Unlock()
	return nil
}

// SiteByKey resolves a public site key. Sites are cached in process for
// 30 s; an unknown key is account.ErrNotFound (and not cached, so a site
// created a moment ago is found).
func (st *Store) SiteByKey(ctx context.Context, siteKey string) (account.Site, error) {
	now := st.now()
	st.mu.Lock()
	c, ok := st.sites[siteKey]
	st.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.site, nil
	}
	var site account.Site
	if err := st.get(ctx, siteKeyPK(siteKey), skSiteKey, &site); err != nil {
		return site, fmt.Errorf("site by key: %w", err)
	}
	st.mu.Lock()
	if len(st.sites) > 10000 { // bound memory against key-guessing traffic
		clear(st.sites)
	}
	st.sites[siteKey] = cachedSite{site: site, expires: now.Add(siteCacheTTL)}
	st.mu.Unlock()
	return site, nil
}

// get reads one item with a consistent read into v; account.ErrNotFound
// when it does not exist.
func (st *Store) get(ctx context.Context, pk, sk string, v any) error {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: st.table, Key: key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return err
	}
	if out.Item == nil {
		return account.ErrNotFound
	}
	return unmarshal(out.Item, v)
}

// badID reports an id that cannot name an item: ids never contain the key
// separator, so one that does is simply not found.
func badID(id string) bool { return id == "" || strings.Contains(id, "#") }

// getLead reads a lead's META item; lead.ErrNotFound when missing.
func (st *Store) getLead(ctx context.Context, tenant, leadID string) (lead.Lead, error) {
	var l lead.Lead
	if badID(leadID) {
		return l, lead.ErrNotFound
	}
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: st.table, Key: key(leadPK(tenant, leadID), skMeta), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return l, err
	}
	if out.Item == nil {
		return l, lead.ErrNotFound
	}
	if err := unmarshal(out.Item, &l); err != nil {
		return l, err
	}
	l.TenantID = tenant
	return l, nil
}

// --- transactions ---

// maxAttempts bounds retries of one logical write under contention.
const maxAttempts = 40

// transact runs one TransactWriteItems. When it is cancelled, the reasons
// come back (one per item, in order) with a nil error.
func (st *Store) transact(ctx context.Context, items []types.TransactWriteItem) ([]types.CancellationReason, error) {
	_, err := st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil, nil
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		if len(tce.CancellationReasons) == 0 {
			// Should not happen; treat as a conflict so callers retry.
			return make([]types.CancellationReason, len(items)), nil
		}
		return tce.CancellationReasons, nil
	}
	var conflict *types.TransactionConflictException
	if errors.As(err, &conflict) {
		return make([]types.CancellationReason, len(items)), nil
	}
	return nil, err
}

// Cancellation reason codes.
const (
	codeNone      = "None"
	codeCondition = "ConditionalCheckFailed"
)

func reasonCode(r []types.CancellationReason, i int) string {
	if i < 0 || i >= len(r) || r[i].Code == nil {
		return ""
	}
	return *r[i].Code
}

func failed(r []types.CancellationReason, i int) bool { return reasonCode(r, i) == codeCondition }

// backoff sleeps a jittered, growing delay before attempt (1-based).
func backoff(ctx context.Context, attempt int) error { return lead.Backoff(ctx, attempt) }
