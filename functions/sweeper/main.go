// Command sweeper is the SweeperFunction: every minute (EventBridge
// schedule) it sends the scheduled changes due in the next minutes to the
// jobs queue, each delayed until its time, and a purge_lead job for each
// soft-deleted lead past its restore window.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/leadflow/leadflow/internal/app"
)

func main() {
	a, err := app.Load(context.Background())
	if err != nil {
		slog.Error("sweeper: init failed", "err", err)
		os.Exit(1)
	}
	s, err := a.Sweeper()
	if err != nil {
		slog.Error("sweeper: init failed", "err", err)
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context, _ events.EventBridgeEvent) error {
		_, err := s.Sweep(ctx)
		return err
	})
}
