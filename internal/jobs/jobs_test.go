package jobs

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDelayNeverOvershoots(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct{ in, want time.Duration }{
		{-time.Second, 0}, {0, 0}, {400 * time.Millisecond, 0}, {3400 * time.Millisecond, 3 * time.Second},
		{15 * time.Minute, 15 * time.Minute}, {2 * time.Hour, 15 * time.Minute},
	} {
		if got := Delay(now.Add(c.in), now); got != c.want {
			t.Errorf("Delay(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestJobIDsAreIdempotencyKeys(t *testing.T) {
	at := time.Now()
	a, b := ScheduledChange("t", "ld_1", "sc_1", at), ScheduledChange("t", "ld_1", "sc_1", at)
	if a.ID != b.ID || a.ID != "sc_1" || Assign("t", "ld_1").ID != Assign("t", "ld_1").ID {
		t.Error("the same work must get the same job id")
	}
	var p ScheduledChangePayload
	if err := json.Unmarshal(a.Payload, &p); err != nil || p.LeadID != "ld_1" || p.ChangeID != "sc_1" || !p.At.Equal(at) {
		t.Errorf("payload %s (%v)", a.Payload, err)
	}
}
