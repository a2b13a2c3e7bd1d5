package lead

import (
	"testing"
	"time"
)

func TestPurgeDueOnlyAfterTheRestoreWindow(t *testing.T) {
	deleted := time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("BRT", -3*3600))
	at := PurgeAt(deleted)
	if want := time.Date(2026, 3, 31, 15, 0, 0, 0, time.UTC); !at.Equal(want) || at.Location() != time.UTC {
		t.Fatalf("PurgeAt = %v, want %v in UTC", at, want)
	}
	gone := Lead{DeletedAt: &deleted}
	for _, c := range []struct {
		name string
		l    Lead
		now  time.Time
		want bool
	}{
		{"live lead", Lead{}, deleted.Add(100 * 24 * time.Hour), false},
		{"just deleted", gone, deleted, false},
		{"a nanosecond before the window ends", gone, at.Add(-time.Nanosecond), false},
		{"window ends", gone, at, true},
		{"31 days later", gone, deleted.Add(31 * 24 * time.Hour), true},
	} {
		if got := PurgeDue(c.l, c.now); got != c.want {
			t.Errorf("%s: PurgeDue = %v, want %v", c.name, got, c.want)
		}
	}
	// Whenever a purge is due, a restore is refused (or it is the very
	// instant both allow, which the store's version check settles).
	for _, d := range []time.Duration{0, time.Second, time.Hour} {
		l := gone
		if _, err := l.Restore(Actor{Type: ActorUser, ID: "u"}, at.Add(d)); d > 0 && err != ErrNotFound {
			t.Errorf("restore %v after the purge time: %v", d, err)
		}
	}
}
