// Command dispatcher is the DispatcherFunction: it reads the table's
// DynamoDB stream (event source filtered to outbox inserts, with
// ReportBatchItemFailures) and sends each outbox event's job to the jobs
// queue — a new lead's assignment, a scheduled change due soon.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/leadflow/leadflow/internal/app"
	"github.com/leadflow/leadflow/internal/dispatcher"
)

func main() {
	a, err := app.Load(context.Background())
	var d *dispatcher.Dispatcher
	if err == nil {
		d, err = a.Dispatcher()
	}
	if err != nil {
		slog.Error("dispatcher: init failed", "err", err)
		os.Exit(1)
	}
	lambda.Start(d.Handle)
}
