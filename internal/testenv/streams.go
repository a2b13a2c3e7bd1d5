package testenv

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
)

// DynamoDBStreams returns a DynamoDB Streams client for the test DynamoDB
// endpoint (DynamoDB Local serves the streams of its tables there).
func DynamoDBStreams(t testing.TB) *dynamodbstreams.Client {
	t.Helper()
	endpoint := DynamoEndpoint(t)
	return dynamodbstreams.NewFromConfig(baseConfig(), func(o *dynamodbstreams.Options) {
		o.BaseEndpoint = aws.String(endpoint)
	})
}
