package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
)

// The capture rate limit is a sliding window counted in DynamoDB inside the
// capture's own transaction, so it holds across Lambda instances and a
// refused capture writes nothing.
//
// Time is cut into slices of rateSlice; the window ending at slice e
// covers the rateSlices+1 slices e-rateSlices … e, one minute plus the
// slice a request falls in. Its counter is attribute w<e> of the subject's
// one item (SK "RL"). A capture in slice s adds 1 to the counters of every
// window it belongs to, w<s> … w<s+rateSlices>, and is refused when the
// counter of its own window (w<s>) has reached the limit. No arithmetic
// over several counters is needed, so one conditional update decides.
//
// Any 60-second interval lies inside one such window, so no interval of a
// minute ever holds more than the limit — across a minute boundary
// included, unlike a calendar-minute counter, which lets a client send its
// limit at 0:59 and again at 1:00. A client that spent its limit waits until
// its oldest captures' slice leaves the window: at most a minute and a slice.
//
// One item, not one per window: a capture writes one item of a few dozen
// bytes (2 WCU in the transaction) instead of rateSlices+1 items (10 WCU),
// all on the subject's partition. The same update removes the windows no
// capture reads any more (s-rateForget … s-2; w<s-1> stays for an instance
// whose clock is a slice behind) and moves the item's TTL to a minute after
// its last window closes, so a live item holds at most rateSlices+2
// counters. Window names are absolute slice numbers, so a counter is never
// mistaken for another window's.
//
// An item past its TTL that DynamoDB has not deleted yet (TTL deletion lags
// by hours or days) holds only windows nobody reads, but possibly ones
// below the removed range: the update's condition refuses such an item
// (ttl > now), and the capture deletes it and runs its transaction again
// (captureTransact), so the item never accumulates stale counters.
//
// Items written before this layout (SK = the slice number, attribute n)
// are no longer read or written; they carry a TTL and simply expire.
const (
	rateSlice  = 15 * time.Second
	rateSlices = int64(time.Minute / rateSlice)
	// rateForget: the update removes windows s-rateForget … s-2. A live
	// item's last write was less than rateForget slices ago (its TTL is
	// rateSlices+1 slices plus a minute after that write), so every window
	// it holds below s-1 is in that range.
	rateForget = rateSlices + 1 + int64(time.Minute/rateSlice)
	rateSK     = "RL"
)

// rateLimit returns the capture's conditional counter update (capture.go
// reads its cancellation reason as "rate limited", or as an expired item
// to drop). The subject is the visitor IP on the site, or c.RateKey (an
// API key) with its own limit.
func (st *Store) rateLimit(site account.Site, c lead.Capture, now time.Time) types.TransactWriteItem {
	pk, limit := rateLimitPK(site.TenantID, site.ID, c.Touch.IP), site.Limit()
	if c.RateKey != "" {
		pk = tenantPK(site.TenantID) + "#RL#" + c.RateKey
		limit = c.RatePerMinute
		if limit <= 0 {
			limit = account.DefaultAPIKeyRateLimitPerMinute
		}
	}
	sec := int64(rateSlice / time.Second)
	slice := now.Unix() / sec
	names := map[string]string{"#ttl": AttrTTL}
	add := make([]string, 0, rateSlices+1)
	for e := slice; e <= slice+rateSlices; e++ {
		p := "#a" + strconv.FormatInt(e-slice, 10) // #a0 is the capture's own window
		names[p] = rateWindow(e)
		add = append(add, p+" :one")
	}
	var drop []string
	for e := slice - rateForget; e <= slice-2; e++ {
		p := "#d" + strconv.FormatInt(slice-e, 10)
		names[p] = rateWindow(e)
		drop = append(drop, p)
	}
	// The last window is read by captures up to slice+rateSlices; keep the
	// item a minute more.
	ttl := (slice+rateSlices+1)*sec + 60
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                st.table,
		Key:                      key(pk, rateSK),
		UpdateExpression:         aws.String("ADD " + strings.Join(add, ", ") + " SET #ttl = :ttl REMOVE " + strings.Join(drop, ", ")),
		ConditionExpression:      aws.String("(attribute_not_exists(#a0) OR #a0 < :limit) AND (attribute_not_exists(#ttl) OR #ttl > :now)"),
		ExpressionAttributeNames: names,
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": n(1), ":ttl": n(ttl), ":limit": n(int64(limit)), ":now": n(now.Unix()),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}
}

func rateWindow(slice int64) string { return "w" + strconv.FormatInt(slice, 10) }

// rateItemExpired reports whether the counter item a cancelled rate-limit
// update found is past its TTL: its refusal is not the limit's.
func rateItemExpired(old map[string]types.AttributeValue, now time.Time) bool {
	v, ok := old[AttrTTL].(*types.AttributeValueMemberN)
	if !ok {
		return false
	}
	ttl, err := strconv.ParseInt(v.Value, 10, 64)
	return err == nil && ttl <= now.Unix()
}

// dropExpiredRateItem deletes the expired counter item of the rate-limit
// update u, as DynamoDB's TTL would have. Deleting loses nothing: every
// window it holds has closed. A concurrent capture that dropped it first
// (or started it over) leaves nothing to do.
func (st *Store) dropExpiredRateItem(ctx context.Context, u *types.Update, now time.Time) error {
	_, err := st.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: st.table, Key: u.Key,
		ConditionExpression:       aws.String("#ttl <= :now"),
		ExpressionAttributeNames:  map[string]string{"#ttl": AttrTTL},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": n(now.Unix())},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("rate limit: drop expired counters: %w", err)
	}
	return nil
}

// rateLimited is the error of a refused capture. Retry-After points at the
// next slice, the earliest time the window can have room again.
func rateLimited(now time.Time) error {
	next := now.Truncate(rateSlice).Add(rateSlice)
	wait := next.Sub(now).Round(time.Second)
	if wait < time.Second {
		wait = time.Second
	}
	return &lead.RateLimitedError{RetryAfter: wait}
}

func rateLimitPK(tenant, siteID, ip string) string {
	if ip == "" {
		ip = "-"
	}
	return "T#" + tenant + "#RL#" + siteID + "#" + ip
}
