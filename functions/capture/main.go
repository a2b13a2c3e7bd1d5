// Command capture is the CaptureFunction: public capture routes (chatbots,
// forms) behind API Gateway's HTTP API, payload format 2.0.
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
		slog.Error("capture: init failed", "err", err)
		os.Exit(1)
	}
	lambda.Start(httpadapter.NewV2(httpapi.NewCapture(a.CaptureDeps())).ProxyWithContext)
}
