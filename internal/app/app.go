// Package app wires Leadflow's parts from configuration: AWS clients, the
// DynamoDB store, the jobs queue and the authenticator. Every Lambda main and
// the local server build on it, so they run the same wiring.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/leadflow/leadflow/internal/auth"
	"github.com/leadflow/leadflow/internal/config"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/httpapi"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/openapi"
	"github.com/leadflow/leadflow/internal/queue"
)

// App holds the wired dependencies.
type App struct {
	Config config.Config
	Logger *slog.Logger
	Store  *dynamo.Store
	Queue  *queue.Queue // nil when LEADFLOW_JOBS_QUEUE_URL is unset
	Auth   auth.Authenticator
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
		Store:  dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table),
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

// HTTPDeps returns what the HTTP handlers need.
func (a *App) HTTPDeps() httpapi.Deps {
	health := []httpapi.Pinger{a.Store}
	if a.Queue != nil {
		health = append(health, a.Queue)
	}
	return httpapi.Deps{
		Sites:        a.Store,
		Captures:     a.Store,
		Accounts:     a.Store,
		Leads:        a.Store,
		Lists:        a.Store,
		Groups:       a.Store,
		SavedFilters: a.Store,
		Jobs:         a.Store,
		JobStarter:   a.starter(),
		Auth:         a.Auth,
		Health:       health,
		OpenAPI:      openapi.Document(),
		Logger:       a.Logger,
		Now:          time.Now,
	}
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
