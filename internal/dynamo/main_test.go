package dynamo_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/leadflow/leadflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func dynamoClient(tb testing.TB) *dynamodb.Client { return testenv.DynamoDB(tb) }

func uniqueName(prefix string) string { return testenv.UniqueName(prefix) }
