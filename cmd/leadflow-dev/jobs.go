package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/leadflow/leadflow/internal/app"
	"github.com/leadflow/leadflow/internal/config"
	"github.com/leadflow/leadflow/internal/demo"
	"github.com/leadflow/leadflow/internal/sqsrunner"
	"github.com/leadflow/leadflow/internal/streamrunner"
)

// sweepEvery is the local sweeper tick; EventBridge runs it every minute
// in AWS. A shorter tick only sends changes earlier (with a longer delay).
const sweepEvery = 5 * time.Second

// startJobs runs the WorkerFunction's handler on the jobs queue through the
// SQS runner and the DispatcherFunction's on the table's stream through the
// stream runner (as Lambda's event source mappings would), ticks the sweeper,
// and seeds the demo assignment rules and scheduled change. It returns the
// id of the lead with the demo change.
func startJobs(ctx context.Context, a *app.App, log *slog.Logger) (string, error) {
	awsCfg, err := config.AWS(ctx)
	if err != nil {
		return "", err
	}
	w, err := a.Worker(ctx)
	if err != nil {
		return "", err
	}
	w.Logger = log.With("fn", "worker")
	r := &sqsrunner.Runner{
		Client: sqs.NewFromConfig(awsCfg), QueueURL: a.Queue.URL(), Handler: w.Handle,
		WaitSeconds: 1, Region: awsCfg.Region, Logger: log,
	}
	go r.Run(ctx)

	// The DispatcherFunction's handler on DynamoDB Local's stream: the
	// outbox (assign jobs of new leads, scheduled changes due soon).
	d, err := a.Dispatcher()
	if err != nil {
		return "", err
	}
	arn, err := a.Store.StreamARN(ctx)
	if err != nil {
		return "", err
	}
	sr := &streamrunner.Runner{
		Client: app.NewDynamoDBStreams(awsCfg), StreamARN: arn, Handler: d.Handle,
		Region: awsCfg.Region, Logger: log.With("fn", "dispatcher"),
	}
	go sr.Run(ctx)

	sw, err := a.Sweeper()
	if err != nil {
		return "", err
	}
	sw.Logger = log.With("fn", "sweeper")
	go func() {
		t := time.NewTicker(sweepEvery)
		defer t.Stop()
		for {
			if _, err := sw.Sweep(ctx); err != nil && ctx.Err() == nil {
				log.Warn("sweep failed", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()

	// Queue coordinates for inspecting and redriving (README "Queue and DLQ").
	dlq := strings.TrimSuffix(a.Queue.URL(), "leadflow-jobs") + "leadflow-jobs-dlq"
	env := fmt.Sprintf("AWS_ENDPOINT_URL_SQS=%s\nLEADFLOW_SQS_ENDPOINT=%s\nLEADFLOW_JOBS_QUEUE_URL=%s\nLEADFLOW_JOBS_DLQ_URL=%s\n",
		os.Getenv("AWS_ENDPOINT_URL_SQS"), os.Getenv("AWS_ENDPOINT_URL_SQS"), a.Queue.URL(), dlq)
	if err := os.WriteFile(filepath.Join(".local", "jobs.env"), []byte(env), 0o644); err != nil {
		return "", err
	}

	id, err := demo.SeedJobs(ctx, a.Store, a.Queue, time.Now().UTC())
	if err != nil {
		return "", fmt.Errorf("seed jobs: %w", err)
	}
	return id, nil
}
