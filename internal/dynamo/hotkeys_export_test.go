package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/account"
)

// SiteGuards is how many guard items a site key's check is spread over.
const SiteGuards = siteGuards

// SiteGuardOf is the guard a capture with interaction id captureID checks.
func SiteGuardOf(captureID string) int { return siteGuard(captureID) }

// CheckSiteKey runs the capture transaction's site-key check alone, as a
// capture with interaction id captureID would: account.ErrSiteKeyRevoked
// when its guard refuses site.Key.
func CheckSiteKey(ctx context.Context, st *Store, site account.Site, captureID string) error {
	reasons, err := st.transact(ctx, []types.TransactWriteItem{st.siteKeyCheck(site, captureID)})
	if err != nil {
		return err
	}
	if failed(reasons, 0) {
		return account.ErrSiteKeyRevoked
	}
	return nil
}
