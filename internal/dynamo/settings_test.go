package dynamo_test

import (
	"context"
	"errors"
	"testing"
	"time"

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
