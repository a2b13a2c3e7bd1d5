package testenv

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3 returns a client for the test S3 endpoint: fauxqs serves S3 on the
// same endpoint as SQS, with path-style addressing.
func S3(t testing.TB) *s3.Client {
	t.Helper()
	endpoint := SQSEndpoint(t)
	return s3.NewFromConfig(baseConfig(), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
}
