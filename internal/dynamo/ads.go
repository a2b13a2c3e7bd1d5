package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/leadflow/leadflow/internal/account"
)

// skAdsSecrets keys a site's ads webhook secrets in the tenant partition
// (PK=T#<tenant>, SK=ADS#<site_id>). They are their own item so that no
// read of a site (by id or by public key) ever carries them.
const skAdsSecrets = "ADS#"

// PutAdsSecrets creates or replaces a site's ads webhook secrets.
func (st *Store) PutAdsSecrets(ctx context.Context, sec account.AdsSecrets) error {
	if badID(sec.TenantID) || badID(sec.SiteID) {
		return fmt.Errorf("put ads secrets: bad tenant or site id")
	}
	it, err := item(sec, tenantPK(sec.TenantID), skAdsSecrets+sec.SiteID)
	if err != nil {
		return fmt.Errorf("put ads secrets for site %s: %w", sec.SiteID, err)
	}
	if _, err := st.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: st.table, Item: it}); err != nil {
		return fmt.Errorf("put ads secrets for site %s: %w", sec.SiteID, err)
	}
	return nil
}

// AdsSecrets reads a site's ads webhook secrets; account.ErrNotFound when
// the site has none.
func (st *Store) AdsSecrets(ctx context.Context, tenantID, siteID string) (account.AdsSecrets, error) {
	var sec account.AdsSecrets
	if badID(siteID) {
		return sec, fmt.Errorf("ads secrets: %w", account.ErrNotFound)
	}
	if err := st.get(ctx, tenantPK(tenantID), skAdsSecrets+siteID, &sec); err != nil {
		return account.AdsSecrets{}, fmt.Errorf("ads secrets for site %s: %w", siteID, err)
	}
	return sec, nil
}

// Site reads one site of a tenant; account.ErrNotFound when missing.
func (st *Store) Site(ctx context.Context, tenantID, siteID string) (account.Site, error) {
	var site account.Site
	if badID(siteID) {
		return site, fmt.Errorf("site: %w", account.ErrNotFound)
	}
	if err := st.get(ctx, tenantPK(tenantID), skSite+siteID, &site); err != nil {
		return account.Site{}, fmt.Errorf("site %s: %w", siteID, err)
	}
	return site, nil
}
