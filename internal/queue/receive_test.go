package queue

import (
	"context"
	"testing"
)

func TestReceiveCount(t *testing.T) {
	ctx := context.Background()
	if ReceiveCount(ctx) != 0 || LastDelivery(ctx) {
		t.Error("a job run in process has no receive count")
	}
	for attr, want := range map[string]int{"1": 1, "2": 2, "5": 5, "": 0, "x": 0, "0": 0} {
		c := WithReceiveCount(ctx, attr)
		if got := ReceiveCount(c); got != want {
			t.Errorf("ReceiveCount(%q) = %d, want %d", attr, got, want)
		}
		if Retried(c) != (want >= 2) {
			t.Errorf("Retried(%q) = %v", attr, Retried(c))
		}
		if LastDelivery(c) != (want >= MaxReceiveCount) {
			t.Errorf("LastDelivery(%q) = %v", attr, LastDelivery(c))
		}
	}
}
