// Package app wires Leadflow's parts from configuration: AWS clients, the
// DynamoDB store, the jobs queue and the authenticator. Every Lambda main and
// the local server build on it, so they run the same wiring.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/leadflow/leadflow/internal/ads"
	"github.com/leadflow/leadflow/internal/auth"
	"github.com/leadflow/leadflow/internal/config"
	"github.com/leadflow/leadflow/internal/dispatcher"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/httpapi"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/queue"
	"github.com/leadflow/leadflow/internal/s3store"
	"github.com/leadflow/leadflow/internal/secrets"
	"github.com/leadflow/leadflow/internal/sweeper"
	"github.com/leadflow/leadflow/internal/worker"
)

// App holds the wired dependencies.
type App struct {
	Config config.Config
	Logger *slog.Logger
	Store  *dynamo.Store
	Queue  *queue.Queue // nil when LEADFLOW_JOBS_QUEUE_URL is unset
	Auth   auth.Authenticator
	awsCfg aws.Config // kept for clients only some functions need (S3)
}

// Load reads the environment and builds clients. It does no network I/O, so
// a Lambda init stays fast.
func Load(ctx context.Context) (*App, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, err
	}
	awsCfg, err := config.AWS(ctx)
	if err != nil {
		return nil, err
	}
	a := &App{
		Config: cfg,
		Logger: cfg.Logger(),
		Store:  dynamo.New(NewDynamoDB(awsCfg), cfg.Table),
		awsCfg: awsCfg,
	}
	if cfg.JobsQueueURL != "" {
		a.Queue = queue.New(sqs.NewFromConfig(awsCfg), cfg.JobsQueueURL)
	}
	switch cfg.Auth {
	case config.AuthHMAC:
		h, err := auth.NewHMAC([]byte(cfg.JWTSecret), cfg.JWTIssuer)
		if err != nil {
			return nil, fmt.Errorf("app: %w", err)
		}
		a.Auth = h
	default:
		a.Auth = auth.FromAuthorizer{}
	}
	return a, nil
}

// NewDynamoDB is the DynamoDB client every Leadflow program uses.
func NewDynamoDB(awsCfg aws.Config) *dynamodb.Client {
	return dynamodb.NewFromConfig(awsCfg, localEmulatorFixes)
}

// NewS3 is the S3 client every Leadflow program uses. An overridden
// endpoint (fauxqs locally) gets path-style addressing: bucket subdomains
// of 127.0.0.1 do not resolve.
func NewS3(awsCfg aws.Config) *s3.Client {
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != "" {
			o.UsePathStyle = true
		}
	})
}

// localEmulatorFixes: DynamoDB Local answers cancelled transactions with an
// x-amz-crc32 header of 0, which the SDK reports as a checksum warning on
// every repeat capture. Real DynamoDB sends correct checksums, so validation
// stays on unless the endpoint is overridden (the local emulator).
func localEmulatorFixes(o *dynamodb.Options) {
	if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") != "" {
		o.DisableValidateResponseChecksum = true
	}
}

// exports keeps async export files in S3; nil without LEADFLOW_EXPORTS_BUCKET.
// It is built on demand, not in Load, so functions that never export (capture,
// sweeper) don't link the S3 client.
func (a *App) exports() *s3store.ExportFiles {
	if a.Config.ExportsBucket == "" {
		return nil
	}
	return s3store.NewExportFiles(NewS3(a.awsCfg), a.Config.ExportsBucket)
}

// uploads keeps import uploads (imports/ in the exports bucket); nil
// without LEADFLOW_EXPORTS_BUCKET.
func (a *App) uploads() *s3store.Uploads {
	if a.Config.ExportsBucket == "" {
		return nil
	}
	return s3store.NewUploads(NewS3(a.awsCfg), a.Config.ExportsBucket)
}

// attachments keeps interaction attachments (attachments/ in the exports
// bucket); nil without LEADFLOW_EXPORTS_BUCKET.
func (a *App) attachments() *s3store.Attachments {
	if a.Config.ExportsBucket == "" {
		return nil
	}
	return s3store.NewAttachments(NewS3(a.awsCfg), a.Config.ExportsBucket)
}

// parts are this App's wiring parts, without S3 (only the ApiFunction
// and the worker serve exports and uploads, and the CaptureFunction
// attachment uploads; see HTTPDeps, CaptureDeps and Worker).
func (a *App) parts() Parts {
	p := Parts{Store: a.Store, Starter: a.starter(), Auth: a.Auth, Logger: a.Logger, Now: time.Now,
		OriginVerifySecret: a.Config.OriginVerifySecret}
	if a.Queue != nil {
		p.Queue = a.Queue
	}
	return p
}

// withS3 adds the exports bucket's files and uploads when configured.
func (a *App) withS3(p Parts) Parts {
	p.ExportFiles, p.Uploads, p.Attachments = a.exports(), a.uploads(), a.attachments()
	return p
}

// CaptureDeps returns what the capture routes need (CaptureDeps): of S3,
// only the attachments integrations upload.
func (a *App) CaptureDeps() httpapi.Deps {
	p := a.parts()
	p.Attachments = a.attachments()
	return CaptureDeps(p)
}

// HTTPDeps returns what the HTTP handlers need (HTTPDeps).
func (a *App) HTTPDeps() httpapi.Deps { return HTTPDeps(a.withS3(a.parts())) }

// Worker returns the jobs-queue worker (the WorkerFunction's handler):
// the job runners of JobHandlers, the Meta fetch and the worker's own
// jobs (assignment, scheduled changes).
func (a *App) Worker(ctx context.Context) (*worker.Worker, error) {
	fetcher, err := a.MetaFetcher(ctx)
	if err != nil {
		return nil, err
	}
	w := &worker.Worker{Leads: a.Store, Accounts: a.Store, Assignment: a.Store, Records: a.Store, Logger: a.Logger, Now: time.Now,
		Extra: JobHandlers(a.withS3(a.parts()))}
	w.Extra[jobs.TypeFetchMetaLead] = fetcher.Handle
	if a.Queue != nil {
		w.Queue, w.Sent = a.Queue, a.Store
	}
	return w, nil
}

// Sweeper returns the scheduled-change and purge sweeper (the SweeperFunction's
// handler). It needs the jobs queue.
func (a *App) Sweeper() (*sweeper.Sweeper, error) {
	if a.Queue == nil {
		return nil, fmt.Errorf("app: the sweeper needs LEADFLOW_JOBS_QUEUE_URL")
	}
	return &sweeper.Sweeper{Due: a.Store, Purges: a.Store, Reminders: a.Store, Queue: a.Queue, Logger: a.Logger, Now: time.Now}, nil
}

// Dispatcher returns the outbox dispatcher (the DispatcherFunction's
// handler): the table's stream → the jobs queue. It needs the jobs queue.
func (a *App) Dispatcher() (*dispatcher.Dispatcher, error) {
	if a.Queue == nil {
		return nil, fmt.Errorf("app: the dispatcher needs LEADFLOW_JOBS_QUEUE_URL")
	}
	return dispatcher.New(a.Queue, a.Store, a.Logger, time.Now).WithTaskDue(a.Store, time.Now), nil
}

// NewDynamoDBStreams is the DynamoDB Streams client of the local stream
// runner; it follows AWS_ENDPOINT_URL_DYNAMODB (DynamoDB Local serves
// streams on the same endpoint).
func NewDynamoDBStreams(awsCfg aws.Config) *dynamodbstreams.Client {
	return dynamodbstreams.NewFromConfig(awsCfg, func(o *dynamodbstreams.Options) {
		if ep := os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"); ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
}

// jobs is the queue as an interface, nil (not a nil pointer) without one.
func (a *App) jobs() httpapi.JobQueue {
	if a.Queue == nil {
		return nil
	}
	return a.Queue
}

// MetaFetcher returns the fetch_meta_lead job handler: Graph API at
// LEADFLOW_GRAPH_URL, page tokens from Secrets Manager in AWS
// (LEADFLOW_META_TOKENS_SECRET) or from the sites' ads secrets locally.
func (a *App) MetaFetcher(ctx context.Context) (*ads.MetaFetcher, error) {
	var tokens ads.Tokens = ads.StoreTokens{Secrets: a.Store}
	if a.Config.MetaTokensSecret != "" {
		awsCfg, err := config.AWS(ctx)
		if err != nil {
			return nil, err
		}
		tokens = &secrets.PageTokens{Client: secretsmanager.NewFromConfig(awsCfg), SecretID: a.Config.MetaTokensSecret}
	}
	return &ads.MetaFetcher{
		Sites: a.Store, Captures: Captures(a.Store), Tokens: tokens,
		Graph: ads.NewGraph(a.Config.GraphURL), Logger: a.Logger, Now: time.Now,
	}, nil
}

// starter sends jobs to the queue; without one, jobs cannot start.
func (a *App) starter() jobs.Starter {
	if a.Queue == nil {
		return noQueue{}
	}
	return jobs.QueueStarter{Queue: a.Queue}
}

type noQueue struct{}

func (noQueue) Start(context.Context, queue.Job) error {
	return fmt.Errorf("app: LEADFLOW_JOBS_QUEUE_URL is not set; jobs cannot run")
}
