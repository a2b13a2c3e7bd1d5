// Command leadflow-dev runs the whole of Leadflow on one machine: DynamoDB
// Local and the SQS emulator (fetched and started by internal/emulator), the
// table and queues, the demo account with its credentials in .local/demo.env,
// and every HTTP route on 127.0.0.1:8080 — the same handlers Lambda runs.
// Ctrl-C stops everything it started.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/leadflow/leadflow/internal/app"
	"github.com/leadflow/leadflow/internal/auth"
	"github.com/leadflow/leadflow/internal/config"
	"github.com/leadflow/leadflow/internal/console"
	"github.com/leadflow/leadflow/internal/demo"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/emulator"
	"github.com/leadflow/leadflow/internal/httpapi"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/s3store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "leadflow-dev:", err)
		os.Exit(1)
	}
}

func run() error {
	port := flag.String("port", envOr("PORT", "8080"), "HTTP port on 127.0.0.1")
	dataDir := flag.String("data", ".local/dynamodb", "where DynamoDB Local keeps its data (empty: in memory)")
	fresh := flag.Bool("fresh", false, "delete the local data before starting")
	consoleDir := flag.String("console", "web/dist", "the built console served at / (missing: / says to run make web)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	if *fresh && *dataDir != "" {
		if err := os.RemoveAll(*dataDir); err != nil {
			return err
		}
	}
	if *dataDir != "" {
		abs, err := filepath.Abs(*dataDir)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return err
		}
		*dataDir = abs
	}

	log.Info("starting DynamoDB Local and the SQS emulator (first run downloads them)")
	ddb, err := emulator.StartDynamoDB(ctx, emulator.DynamoOptions{DataDir: *dataDir})
	if err != nil {
		return err
	}
	defer ddb.Stop()
	mq, err := emulator.StartSQS(ctx, emulator.SQSOptions{})
	if err != nil {
		return err
	}
	defer mq.Stop()

	envPath := filepath.Join(".local", "demo.env")
	secrets, err := demo.LoadSecrets(envPath)
	if err != nil {
		return err
	}
	secrets.Ensure()

	// Point the SDK at the emulators through its own variables, then wire
	// exactly as Lambda does.
	for k, v := range map[string]string{
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_ENDPOINT_URL_DYNAMODB": ddb.Endpoint, "AWS_ENDPOINT_URL_SQS": mq.Endpoint,
		"AWS_ENDPOINT_URL_S3": mq.Endpoint, "LEADFLOW_EXPORTS_BUCKET": "leadflow-exports",
		"LEADFLOW_TABLE": "leadflow", "LEADFLOW_AUTH": config.AuthHMAC,
		"LEADFLOW_JWT_SECRET": secrets[demo.EnvJWTSecret],
	} {
		os.Setenv(k, v)
	}
	awsCfg, err := config.AWS(ctx)
	if err != nil {
		return err
	}
	if err := dynamo.CreateTable(ctx, app.NewDynamoDB(awsCfg), "leadflow"); err != nil {
		return fmt.Errorf("create table: %w", err)
	}
	// A persisted .local/dynamodb from before the keys-only, sharded list
	// entries upgrades here (a no-op once done; see dynamo.BackfillIndex).
	if r, err := dynamo.New(app.NewDynamoDB(awsCfg), "leadflow").BackfillIndex(ctx, dynamo.BackfillOptions{}); err != nil {
		return fmt.Errorf("backfill list index: %w", err)
	} else if r.Leads > 0 {
		log.Info("list index backfilled", "leads", r.Leads, "rewritten", r.Changed)
	}
	queueURL, err := queue.CreateQueue(ctx, sqs.NewFromConfig(awsCfg), "leadflow-jobs", "leadflow-jobs-dlq")
	if err != nil {
		return fmt.Errorf("create queue: %w", err)
	}
	os.Setenv("LEADFLOW_JOBS_QUEUE_URL", queueURL)
	if err := s3store.Create(ctx, app.NewS3(awsCfg), "leadflow-exports"); err != nil {
		return fmt.Errorf("create exports bucket: %w", err)
	}
	if os.Getenv("LEADFLOW_GRAPH_URL") == "" {
		graphURL, err := startGraphStandIn(ctx)
		if err != nil {
			return fmt.Errorf("graph api stand-in: %w", err)
		}
		os.Setenv("LEADFLOW_GRAPH_URL", graphURL)
	}

	a, err := app.Load(ctx)
	if err != nil {
		return err
	}
	issuer, ok := a.Auth.(*auth.HMAC)
	if !ok {
		return errors.New("local server needs HMAC auth")
	}
	if err := demo.Seed(ctx, a.Store, issuer, secrets, time.Now().UTC()); err != nil {
		return err
	}
	if err := demo.SeedTasks(ctx, a.Store, time.Now().UTC()); err != nil {
		return err
	}
	if err := secrets.Write(envPath); err != nil {
		return err
	}
	scheduledLead, err := startJobs(ctx, a, log)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", *port))
	if err != nil {
		return err
	}
	deps := a.HTTPDeps()
	var devUsers []console.DevUser
	for _, u := range demo.Users(time.Now()) {
		devUsers = append(devUsers, console.DevUser{ID: u.ID, Name: u.Name, Role: string(u.Role), Token: secrets[demo.TokenEnv[u.ID]]})
	}
	handler := console.Local(httpapi.NewLocal(deps), console.Handler(os.DirFS(*consoleDir)), devUsers)
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	fmt.Printf(`
Leadflow is running on http://%s  (console: http://%[1]s/login, from %s)
  DynamoDB Local  %s
  SQS emulator    %s (queue %s)
  Graph API       %s
  credentials     %s  (source it: set -a; . %s; set +a)
  site key        %s
  API key         LEADFLOW_API_KEY in the credentials (server captures: Authorization: Bearer)
  worker          polling the jobs queue; dispatcher reading the table's stream; sweeper every %v
  demo schedule   lead %s moves to in_progress in one minute
Press Ctrl-C to stop.

`, ln.Addr(), *consoleDir, ddb.Endpoint, mq.Endpoint, queueURL, os.Getenv("LEADFLOW_GRAPH_URL"), envPath, envPath, secrets[demo.EnvSiteKey], sweepEvery, scheduledLead)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
