// Package upload keeps CSV files uploaded for import in S3: the API
// presigns a PUT for imports/<tenant>/<upload id>.csv in the exports
// bucket, the client uploads the file straight to S3 (no 6 MB Lambda
// payload limit, no 29 s API Gateway limit), and the worker reads it.
//
// A presigned PUT cannot cap the size of what is uploaded (that takes a
// presigned POST policy with content-length-range, which is a form upload,
// not a plain PUT), so MaxBytes is enforced where the object is read: the
// API checks the object's size before accepting the import, and the worker
// reads at most MaxBytes of it.
package upload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// Limits of an uploaded file.
const (
	// MaxBytes bounds an uploaded file; importer.MaxRows (100,000 rows)
	// bounds it too, whatever its size.
	MaxBytes int64 = 100 << 20
	// URLTTL is how long a presigned upload URL works.
	URLTTL = 15 * time.Minute
	// ContentType is what the PUT must send: it is signed into the URL.
	ContentType = "text/csv"
	// IDPrefix starts upload ids.
	IDPrefix = "upl_"
)

// ErrNotFound says no file was uploaded under a key.
var ErrNotFound = errors.New("no file uploaded")

var idRE = regexp.MustCompile(`^upl_[0-9a-z]{26}$`)

// ValidID reports whether id can be an upload id (so a key built from it
// stays inside the tenant's prefix).
func ValidID(id string) bool { return idRE.MatchString(id) }

// Key is where the file of an upload lives: tenant-scoped, so an upload
// id of another account names nothing.
func Key(tenantID, uploadID string) string {
	return "imports/" + tenantID + "/" + uploadID + ".csv"
}

// S3 keeps uploads in a bucket.
type S3 struct {
	Client    *s3.Client
	Presigner *s3.PresignClient
	Bucket    string
}

// NewS3 uses client for bucket.
func NewS3(client *s3.Client, bucket string) *S3 {
	return &S3{Client: client, Presigner: s3.NewPresignClient(client), Bucket: bucket}
}

// PresignPut returns a URL that accepts one PUT of key with Content-Type
// ContentType until ttl passes.
func (u *S3) PresignPut(ctx context.Context, key string, ttl time.Duration) (string, error) {
	req, err := u.Presigner.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(u.Bucket), Key: aws.String(key),
		ContentType: aws.String(ContentType)}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", fmt.Errorf("presign put s3://%s/%s: %w", u.Bucket, key, err)
	}
	return req.URL, nil
}

// Size returns the size of the file at key (ErrNotFound when none).
func (u *S3) Size(ctx context.Context, key string) (int64, error) {
	out, err := u.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(u.Bucket), Key: aws.String(key)})
	if err != nil {
		return 0, u.wrap("head", key, err)
	}
	return aws.ToInt64(out.ContentLength), nil
}

// Open reads the file at key (ErrNotFound when none).
func (u *S3) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := u.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(u.Bucket), Key: aws.String(key)})
	if err != nil {
		return nil, u.wrap("get", key, err)
	}
	return out.Body, nil
}

// wrap names the object and turns S3's "no such key" into ErrNotFound.
// (S3 answers 403 rather than 404 for a missing key to a caller without
// s3:ListBucket; the template grants it so a missing file is a 404.)
func (u *S3) wrap(op, key string, err error) error {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	var api smithy.APIError
	if errors.As(err, &nsk) || errors.As(err, &nf) || (errors.As(err, &api) && (api.ErrorCode() == "NotFound" || api.ErrorCode() == "NoSuchKey")) {
		err = fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return fmt.Errorf("%s s3://%s/%s: %w", op, u.Bucket, key, err)
}
