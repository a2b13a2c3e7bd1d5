package lead

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNewIDRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 20, 14, 3, 1, 234_000_000, time.FixedZone("BRT", -3*3600))
	id := NewID(PrefixLead, at)
	if !strings.HasPrefix(id, "ld_") || len(id) != len("ld_")+26 || id != strings.ToLower(id) {
		t.Fatalf("id %q", id)
	}
	got, ok := IDTime(id)
	if !ok || !got.Equal(at) || got.Location() != time.UTC {
		t.Errorf("IDTime(%q) = %v, %v; want %v in UTC", id, got, ok, at)
	}
}

func TestNewIDOrdered(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 1000 {
		// Same millisecond many times, then later ones.
		ids = append(ids, NewID(PrefixEvent, at.Add(time.Duration(i/100)*time.Millisecond)))
	}
	if !slices.IsSorted(ids) {
		t.Error("ids made in time order do not sort in time order")
	}
	if len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Error("duplicate ids")
	}
}

func TestNewIDOutOfRangeTimes(t *testing.T) {
	for _, at := range []time.Time{{}, time.Unix(-1, 0), time.Date(20000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		id := NewID(PrefixNote, at) // must not panic
		if _, ok := IDTime(id); !ok {
			t.Errorf("IDTime(NewID(%v)) not ok", at)
		}
	}
	if got, _ := IDTime(NewID(PrefixNote, time.Time{})); !got.Equal(time.UnixMilli(0)) {
		t.Errorf("zero time clamps to %v, want the Unix epoch", got)
	}
}

func TestIDTimeInvalid(t *testing.T) {
	for _, id := range []string{"", "ld_", "ld_notaulid", "nounderscore", "ld_" + strings.Repeat("z", 26), "ld_8zzzzzzzzzzzzzzzzzzzzzzz"} {
		if _, ok := IDTime(id); ok {
			t.Errorf("IDTime(%q) ok", id)
		}
	}
	// An id without a prefix still parses.
	id := NewID("", t0)
	if got, ok := IDTime(id); !ok || !got.Equal(t0) {
		t.Errorf("IDTime(%q) = %v, %v", id, got, ok)
	}
}
