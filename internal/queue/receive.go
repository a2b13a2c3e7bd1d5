package queue

import (
	"context"
	"strconv"
)

type receiveCountKey struct{}

// WithReceiveCount records on ctx how often SQS has delivered the message
// being processed (its ApproximateReceiveCount attribute).
func WithReceiveCount(ctx context.Context, attr string) context.Context {
	n, err := strconv.Atoi(attr)
	if err != nil || n < 1 {
		return ctx
	}
	return context.WithValue(ctx, receiveCountKey{}, n)
}

// ReceiveCount is how often the message being processed was delivered (0
// when unknown: a job run in process). A job that fails on delivery
// MaxReceiveCount goes to the dead-letter queue, so a handler can clean up
// before it fails for good.
func ReceiveCount(ctx context.Context) int {
	n, _ := ctx.Value(receiveCountKey{}).(int)
	return n
}

// LastDelivery reports whether a failure now sends the message to the
// dead-letter queue.
func LastDelivery(ctx context.Context) bool { return ReceiveCount(ctx) >= MaxReceiveCount }

// Retried reports whether SQS is delivering the message again after a
// failed attempt (not a first delivery, and not an in-process run). A
// chained job whose step is already recorded sends its next message again
// only then: the failure may have been that send.
func Retried(ctx context.Context) bool { return ReceiveCount(ctx) >= 2 }
