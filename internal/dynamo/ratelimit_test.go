package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/capacity"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/lead"
)

// captureAt captures a new person at the clock's current time and reports
// whether the rate limit refused it (any other error fails the test).
func captureAt(t *testing.T, e *env, c lead.Capture, i int) (limited bool) {
	t.Helper()
	c.Contact.Email = fmt.Sprintf("rl%d@example.com", i)
	_, err := e.store.Capture(context.Background(), e.site, c)
	var rl *lead.RateLimitedError
	if errors.As(err, &rl) {
		if rl.RetryAfter < time.Second || rl.RetryAfter > 15*time.Second {
			t.Errorf("capture %d: Retry-After %v, want within the next 15-second slice", i, rl.RetryAfter)
		}
		return true
	}
	if err != nil {
		t.Fatalf("capture %d: %v", i, err)
	}
	return false
}

// A client that spends its whole limit at 0:59 gets nothing more at 1:00,
// nor anywhere in the 60 seconds after its first capture: a calendar-minute
// counter would have let it send its limit twice across the boundary. The
// window slides; it is counted in the store, so it holds for any number of
// instances (two Store values share nothing but the table here).
func TestRateLimitHoldsAcrossTheMinuteBoundary(t *testing.T) {
	const limit = 5
	now := time.Date(2026, 11, 20, 14, 0, 59, 0, time.UTC)
	clock := func() time.Time { return now }
	e := newEnv(t, dynamo.WithClock(clock))
	other := dynamo.New(e.client, e.table, dynamo.WithClock(clock)) // a second Lambda instance
	e.site.RateLimitPerMinute = limit
	c := capture("")

	for i := range limit {
		if captureAt(t, e, c, i) {
			t.Fatalf("capture %d of %d at 0:59 refused", i+1, limit)
		}
	}
	if !captureAt(t, e, c, 100) {
		t.Fatal("capture over the limit at 0:59 accepted")
	}
	// Across the boundary, on another instance, and all through the minute
	// that started with the first capture.
	for i, at := range []time.Duration{time.Second, 20 * time.Second, 45 * time.Second, 59 * time.Second} {
		now = time.Date(2026, 11, 20, 14, 0, 59, 0, time.UTC).Add(at)
		st := e.store
		if i%2 == 0 {
			st = other
		}
		c.Contact.Email = fmt.Sprintf("late%d@example.com", i)
		_, err := st.Capture(context.Background(), e.site, c)
		var rl *lead.RateLimitedError
		if !errors.As(err, &rl) {
			t.Fatalf("capture %v after the burst: err = %v, want rate limited (2 × limit across the boundary)", at, err)
		}
	}
	// Another visitor is counted apart.
	c2 := c
	c2.Touch.IP = "198.51.100.9"
	if captureAt(t, e, c2, 200) {
		t.Error("another IP was limited by this one's captures")
	}
	// Once the burst's slice has left the window, the limit is available again.
	now = time.Date(2026, 11, 20, 14, 2, 15, 0, time.UTC)
	for i := range limit {
		if captureAt(t, e, c, 300+i) {
			t.Fatalf("capture %d after the window slid: refused", i+1)
		}
	}
	if !captureAt(t, e, c, 399) {
		t.Fatal("limit+1 in the new window accepted")
	}
}

// Captures spread evenly at the limit's pace are never refused, and no 60
// seconds hold more than the limit even when the pace is doubled.
func TestRateLimitSlidingWindowNeverExceedsTheLimitInAnyMinute(t *testing.T) {
	const limit = 6
	start := time.Date(2026, 11, 20, 14, 0, 7, 0, time.UTC)
	now := start
	e := newEnv(t, dynamo.WithClock(func() time.Time { return now }))
	e.site.RateLimitPerMinute = limit
	c := capture("")
	var accepted []time.Time
	// One attempt every 5 s for 4 minutes: twice the allowed pace.
	for i := range 48 {
		now = start.Add(time.Duration(i) * 5 * time.Second)
		if !captureAt(t, e, c, i) {
			accepted = append(accepted, now)
		}
	}
	for i, a := range accepted {
		n := 0
		for _, b := range accepted[i:] {
			if b.Sub(a) < time.Minute {
				n++
			}
		}
		if n > limit {
			t.Fatalf("%d captures accepted in the minute from %v, limit %d", n, a.Format(time.TimeOnly), limit)
		}
	}
	if len(accepted) < 3*limit {
		t.Errorf("only %d of 48 attempts accepted over 4 minutes at limit %d/min; the window is stricter than it needs to be", len(accepted), limit)
	}
}

// An API key is counted per key with its own limit, whatever IP it comes
// from, and apart from the site's visitors.
func TestRateLimitPerAPIKey(t *testing.T) {
	now := time.Date(2026, 11, 20, 14, 0, 30, 0, time.UTC)
	e := newEnv(t, dynamo.WithClock(func() time.Time { return now }))
	e.site.RateLimitPerMinute = 1
	c := capture("")
	c.RateKey, c.RatePerMinute = "key#ak_1", 3
	for i := range 3 {
		c.Touch.IP = fmt.Sprintf("198.51.100.%d", i) // the IP does not matter
		if captureAt(t, e, c, i) {
			t.Fatalf("key capture %d refused", i+1)
		}
	}
	if !captureAt(t, e, c, 9) {
		t.Fatal("4th capture of a key limited to 3/min accepted")
	}
	other := c
	other.RateKey = "key#ak_2"
	if captureAt(t, e, other, 10) {
		t.Error("another key was limited by this one's captures")
	}
	// The site's visitor limit is untouched by the key's captures.
	if captureAt(t, e, capture(""), 11) {
		t.Error("a visitor was limited by an API key's captures")
	}
}

// Issue 13: a subject's counters are one item of its partition (one write
// of 1 KB or less, 2 WCU a capture), however many slices go by: a capture
// removes the windows nobody reads any more, and an item past its TTL that
// DynamoDB has not deleted yet (Local never does) is started over, not
// grown. The limit holds after each gap.
func TestRateLimitKeepsOneSmallCounterItem(t *testing.T) {
	const limit = 5 // a window spans 5 slices: one capture a slice is never refused
	now := time.Date(2026, 11, 20, 14, 0, 7, 0, time.UTC)
	e := newEnv(t, dynamo.WithClock(func() time.Time { return now }))
	e.site.RateLimitPerMinute = limit
	c := capture("")
	pk := "T#" + e.site.TenantID + "#RL#" + e.site.ID + "#" + c.Touch.IP
	check := func(when string) {
		t.Helper()
		out, err := e.client.Query(context.Background(), &dynamodb.QueryInput{
			TableName: aws.String(e.table), KeyConditionExpression: aws.String("PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Items) != 1 {
			t.Fatalf("%s: %d counter items, want 1", when, len(out.Items))
		}
		it := out.Items[0]
		windows := 0
		for a := range it {
			if strings.HasPrefix(a, "w") {
				windows++
			}
		}
		if windows > 6 || capacity.ItemSize(it) > 1024 {
			t.Fatalf("%s: %d windows, %d bytes; want at most a minute and two slices' windows, under 1 KB: %v",
				when, windows, capacity.ItemSize(it), it)
		}
	}
	i := 0
	// One capture a slice for five minutes: never limited, one item.
	for range 20 {
		if captureAt(t, e, c, i) {
			t.Fatalf("capture %d at one a slice refused (limit %d/min)", i, limit)
		}
		check(now.Format(time.TimeOnly))
		i++
		now = now.Add(15 * time.Second)
	}
	// Gaps past the item's TTL (the item is still there), then a burst:
	// the limit counts from zero and holds.
	for _, gap := range []time.Duration{3 * time.Minute, 2 * time.Hour, 90 * time.Second} {
		now = now.Add(gap)
		for k := range limit + 1 {
			limited := captureAt(t, e, c, i)
			i++
			if limited != (k == limit) {
				t.Fatalf("after a %v gap, capture %d of the burst: limited = %v (limit %d)", gap, k+1, limited, limit)
			}
		}
		check("after a " + gap.String() + " gap")
	}
}
