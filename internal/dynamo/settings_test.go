package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/lead"
)

// A rotated site key stops working at once, even on an instance that
// cached the site a moment before (each Lambda instance has its own cache):
// the capture transaction checks the key's lookup item and stores nothing.
func TestRotatedSiteKeyFailsOnAStaleCache(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	other := dynamo.New(e.client, e.table) // another instance, with its own cache
	cached, err := other.SiteByKey(ctx, e.site.Key)
	if err != nil {
		t.Fatal(err)
	}
	capture := func(st *dynamo.Store, site account.Site, email string) error {
		c := lead.Capture{SiteID: site.ID, Name: "Rota", Contact: lead.Contact{Email: email},
			Touch: lead.Touch{EntryMethod: lead.EntryForm, SiteID: site.ID, IP: "10.1.2.3"}}
		_, err := st.Capture(ctx, site, c)
		return err
	}
	if err := capture(other, cached, "before@example.com"); err != nil {
		t.Fatalf("capture before rotation: %v", err)
	}
	rotated, err := e.store.UpdateSite(ctx, e.site.TenantID, e.site.ID, func(s *account.Site) ([]lead.Event, error) {
		s.Key = "pk_rotated_" + e.site.ID
		return []lead.Event{{Action: "site_key_rotated", Field: "key"}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The other instance still resolves the old key from its cache…
	if stale, err := other.SiteByKey(ctx, e.site.Key); err != nil || stale.Key != e.site.Key {
		t.Fatalf("the cache no longer holds the old key (%v); the test proves nothing", err)
	}
	// …but a capture with it (new lead or repeat) stores nothing.
	for _, email := range []string{"after@example.com", "before@example.com"} {
		if err := capture(other, cached, email); !errors.Is(err, account.ErrSiteKeyRevoked) {
			t.Errorf("capture of %s with the rotated key: %v, want ErrSiteKeyRevoked", email, err)
		}
	}
	if id, err := e.store.LeadIDByKey(ctx, e.site.TenantID, lead.IdentityKey{Kind: "email", Value: "after@example.com"}); err != nil || id != "" {
		t.Errorf("the refused capture stored lead %q (%v)", id, err)
	}
	if err := capture(other, rotated, "new-key@example.com"); err != nil {
		t.Errorf("capture with the new key: %v", err)
	}
	// Edits that keep the key keep it working; the audit has the rotation.
	if _, err := e.store.UpdateSite(ctx, e.site.TenantID, e.site.ID, func(s *account.Site) ([]lead.Event, error) {
		s.Name = "Renomeado"
		return []lead.Event{{Action: "site_updated", Field: "name", At: time.Now()}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := capture(other, rotated, "renamed@example.com"); err != nil {
		t.Errorf("capture after a rename: %v", err)
	}
	audit, err := e.store.AuditLog(ctx, e.site.TenantID)
	if err != nil || len(audit) != 2 || audit[0].Field != "key" || audit[1].Field != "name" {
		t.Errorf("audit %+v (%v)", audit, err)
	}
}

// Issue 13: the site-key check is spread over dynamo.SiteGuards guard items
// (no key shared by a site's captures takes a write on each), and a rotated
// key is refused whichever guard a capture hits. Guards that were never
// written pass (no backfill); setting a revoked key again lifts its
// tombstones.
func TestRotatedSiteKeyRefusedOnEveryGuard(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ids := map[int]string{} // guard → a capture id that hashes to it
	for i := 0; len(ids) < dynamo.SiteGuards; i++ {
		id := fmt.Sprintf("int_%d", i)
		if _, ok := ids[dynamo.SiteGuardOf(id)]; !ok {
			ids[dynamo.SiteGuardOf(id)] = id
		}
	}
	checkAll := func(site account.Site, want error) {
		t.Helper()
		for g, id := range ids {
			if err := dynamo.CheckSiteKey(ctx, e.store, site, id); !errors.Is(err, want) {
				t.Errorf("key %s, guard %d: %v, want %v", site.Key, g, err, want)
			}
		}
	}
	old := e.site
	checkAll(old, nil)

	rotated, err := e.store.UpdateSite(ctx, old.TenantID, old.ID, func(s *account.Site) ([]lead.Event, error) {
		s.Key = "pk_rotated_" + old.ID
		return []lead.Event{{Action: "site_key_rotated", Field: "key"}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checkAll(old, account.ErrSiteKeyRevoked)
	checkAll(rotated, nil)

	// A tombstone outlives every cached copy of the old site (30 s).
	out, err := e.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(e.table), Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "SITEKEY#" + old.Key + "#0"}, "SK": &types.AttributeValueMemberS{Value: "GUARD"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var ttl int64
	if v, ok := out.Item["ttl"].(*types.AttributeValueMemberN); ok {
		ttl, _ = strconv.ParseInt(v.Value, 10, 64)
	}
	if ttl < time.Now().Add(time.Hour).Unix() {
		t.Errorf("tombstone ttl %d: expires within the hour (item %v)", ttl, out.Item)
	}

	// The old key set again (a re-seeded site) works again; the key it
	// replaced is revoked in turn.
	if err := e.store.PutSite(ctx, old); err != nil {
		t.Fatal(err)
	}
	checkAll(old, nil)
	checkAll(rotated, account.ErrSiteKeyRevoked)
}
