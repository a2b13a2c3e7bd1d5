// Command api is the ApiFunction: the console routes, behind the HTTP API's
// JWT authorizer (payload format 2.0).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/leadflow/leadflow/internal/app"
	"github.com/leadflow/leadflow/internal/httpapi"
)

func main() {
	a, err := app.Load(context.Background())
	if err != nil {
		slog.Error("api: init failed", "err", err)
		os.Exit(1)
	}
	lambda.Start(httpadapter.NewV2(httpapi.NewAPI(a.HTTPDeps())).ProxyWithContext)
}
