// Command worker is the WorkerFunction: it consumes the jobs queue (SQS
// event source with ReportBatchItemFailures) and runs each job — assigning
// new leads, applying scheduled state changes, fetching Meta leads — reporting failed messages
// by MessageId so only those are retried.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/leadflow/leadflow/internal/app"
	"github.com/leadflow/leadflow/internal/worker"
)

func main() {
	ctx := context.Background()
	a, err := app.Load(ctx)
	var w *worker.Worker
	if err == nil {
		w, err = a.Worker(ctx)
	}
	if err != nil {
		slog.Error("worker: init failed", "err", err)
		os.Exit(1)
	}
	lambda.Start(w.Handle)
}
