package dynamo

import (
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
// slice a request falls in. Its counter is an item of the subject's
// partition with SK e. A capture in slice s adds 1 to the counters of every
// window it belongs to, e = s … s+rateSlices, and is refused when the
// counter of its own window (e = s) has reached the limit. No arithmetic
// over several items is needed, so one conditional update decides.
//
// Any 60-second interval lies inside one such window, so no interval of a
// minute ever holds more than the limit — across a minute boundary
// included, unlike a calendar-minute counter, which lets a client send its
// limit at 0:59 and again at 1:00. A client that spent its limit waits until
// its oldest captures' slice leaves the window: at most a minute and a slice.
const (
	rateSlice  = 15 * time.Second
	rateSlices = int64(time.Minute / rateSlice)
)

// rateLimit returns the counter updates of one capture, the conditional
// one first (capture.go reads its cancellation reason as "rate limited").
// The subject is the visitor IP on the site, or c.RateKey (an API key)
// with its own limit.
func (st *Store) rateLimit(site account.Site, c lead.Capture, now time.Time) []types.TransactWriteItem {
	pk, limit := rateLimitPK(site.TenantID, site.ID, c.Touch.IP), site.Limit()
	if c.RateKey != "" {
		pk = tenantPK(site.TenantID) + "#RL#" + c.RateKey
		limit = c.RatePerMinute
		if limit <= 0 {
			limit = account.DefaultAPIKeyRateLimitPerMinute
		}
	}
	slice := now.Unix() / int64(rateSlice/time.Second)
	out := make([]types.TransactWriteItem, 0, rateSlices+1)
	for e := slice; e <= slice+rateSlices; e++ {
		// The counter is read by captures up to slice e; keep it a minute more.
		ttl := (e+1)*int64(rateSlice/time.Second) + 60
		u := &types.Update{
			TableName:                st.table,
			Key:                      key(pk, rateLimitSK(e)),
			UpdateExpression:         aws.String("ADD #n :one SET #ttl = if_not_exists(#ttl, :ttl)"),
			ExpressionAttributeNames: map[string]string{"#n": "n", "#ttl": AttrTTL},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":one": n(1), ":ttl": n(ttl),
			},
		}
		if e == slice {
			u.ConditionExpression = aws.String("attribute_not_exists(#n) OR #n < :limit")
			u.ExpressionAttributeValues[":limit"] = n(int64(limit))
		}
		out = append(out, types.TransactWriteItem{Update: u})
	}
	return out
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

func rateLimitSK(slice int64) string { return strconv.FormatInt(slice, 10) }
