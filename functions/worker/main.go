// Command worker is the WorkerFunction: it consumes the jobs queue (SQS
// event source with ReportBatchItemFailures) and runs each job — assigning
// new leads, applying scheduled state changes — reporting failed messages
// by MessageId so only those are retried.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/leadflow/leadflow/internal/app"
)

func main() {
	a, err := app.Load(context.Background())
	if err != nil {
		slog.Error("worker: init failed", "err", err)
		os.Exit(1)
	}
	lambda.Start(a.Worker().Handle)
}
