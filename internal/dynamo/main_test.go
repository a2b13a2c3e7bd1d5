package dynamo_test

// Temporary test environment until internal/testenv lands: it talks to an
// already running DynamoDB Local at LEADFLOW_TEST_DYNAMODB_ENDPOINT.

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func TestMain(m *testing.M) { os.Exit(m.Run()) }

func dynamoClient(tb testing.TB) *dynamodb.Client {
	tb.Helper()
	ep := os.Getenv("LEADFLOW_TEST_DYNAMODB_ENDPOINT")
	if ep == "" {
		tb.Skip("LEADFLOW_TEST_DYNAMODB_ENDPOINT not set")
	}
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(ep),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, nil
		}),
	})
}

var seq atomic.Int64

func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), seq.Add(1))
}
