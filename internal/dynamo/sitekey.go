package dynamo

import (
	"hash/fnv"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/account"
)

// The site-key guard. A capture resolves its public site key through
// SiteByKey, which caches the site for siteCacheTTL (30 s) per instance, so
// an instance may still hold a key that was rotated a moment ago. The
// capture transaction therefore checks that the key was not revoked and
// stores nothing if it was (account.ErrSiteKeyRevoked).
//
// That check is a ConditionCheck (2 WCU in a transaction) on every capture
// of the site. On one item it would cap a site at 500 captures a second, so
// it is spread over siteGuards guard items SITEKEY#<key>#<n> (SK GUARD),
// the one a capture checks picked by a hash of the capture's interaction id
// (unique per capture, new lead or repeat): on average 2/siteGuards WCU a
// capture on each. A guard passes while it has no revoked attribute, and a
// missing guard passes: sites that never rotated have no guard items at
// all, and nothing needs a backfill.
//
// Rotating a key writes the siteGuards tombstones of the old key (revoked,
// TTL siteGuardTTL) in the transaction that deletes its lookup item, so a
// capture with the old key fails whichever guard it hits. The tombstones
// must outlive every cached copy of the old site: siteCacheTTL (30 s) plus a
// request in flight. They live a day.
const (
	siteGuards   = 8
	siteGuardTTL = 24 * time.Hour
	skSiteGuard  = "GUARD"
	attrRevoked  = "revoked"
)

// siteGuard is the guard a capture checks: a hash of its id.
func siteGuard(captureID string) int {
	h := fnv.New32a()
	h.Write([]byte(captureID))
	return int(h.Sum32() % siteGuards)
}

func siteGuardPK(siteKey string, n int) string { return siteKeyPK(siteKey) + "#" + strconv.Itoa(n) }

// siteKeyCheck fails the capture transaction (account.ErrSiteKeyRevoked)
// when site.Key was revoked: the guard captureID hashes to carries a
// tombstone.
func (st *Store) siteKeyCheck(site account.Site, captureID string) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName:                st.table,
		Key:                      key(siteGuardPK(site.Key, siteGuard(captureID)), skSiteGuard),
		ConditionExpression:      aws.String("attribute_not_exists(#r)"),
		ExpressionAttributeNames: map[string]string{"#r": attrRevoked},
	}}
}

// siteKeyRotation is what a key change from oldKey to newKey writes besides
// the lookup items: a tombstone on every guard of oldKey, and the deletion
// of newKey's guards, so a key that was revoked before and is set again
// (a re-seeded site) is not refused by its old tombstones.
func (st *Store) siteKeyRotation(oldKey, newKey string, now time.Time) []types.TransactWriteItem {
	ttl := n(now.Add(siteGuardTTL).Unix())
	out := make([]types.TransactWriteItem, 0, 2*siteGuards)
	for g := range siteGuards {
		if oldKey != "" {
			out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: st.table, Item: map[string]types.AttributeValue{
				AttrPK: s(siteGuardPK(oldKey, g)), AttrSK: s(skSiteGuard), attrRevoked: &types.AttributeValueMemberBOOL{Value: true}, AttrTTL: ttl,
			}}})
		}
		out = append(out, types.TransactWriteItem{Delete: &types.Delete{TableName: st.table, Key: key(siteGuardPK(newKey, g), skSiteGuard)}})
	}
	return out
}
