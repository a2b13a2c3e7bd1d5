// Package s3store is the S3 adapter: the one bucket behind exports and
// import uploads. Bucket has the reads both need and is the one place S3's
// "no such key" becomes ErrNotFound; ExportFiles keeps export files and
// their multipart pieces (exports.go), Uploads presigns and reads CSV files
// uploaded for import (uploads.go). The interfaces they satisfy live with
// their consumers (exportjob.Files, importjob.Uploads, httpapi.ExportFiles,
// httpapi.ImportUploads).
package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// ErrNotFound says no object is stored under a key.
var ErrNotFound = errors.New("no such object")

// Bucket is one S3 bucket.
type Bucket struct {
	Client    *s3.Client
	Presigner *s3.PresignClient
	Name      string
}

// New uses client for the bucket called name.
func New(client *s3.Client, name string) Bucket {
	return Bucket{Client: client, Presigner: s3.NewPresignClient(client), Name: name}
}

// Get opens the object under key (ErrNotFound when none).
func (b Bucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := b.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.Name), Key: aws.String(key)})
	if err != nil {
		return nil, b.Wrap("get", key, err)
	}
	return out.Body, nil
}

// Size returns the size of the object under key (ErrNotFound when none).
func (b Bucket) Size(ctx context.Context, key string) (int64, error) {
	out, err := b.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.Name), Key: aws.String(key)})
	if err != nil {
		return 0, b.Wrap("head", key, err)
	}
	return aws.ToInt64(out.ContentLength), nil
}

// Exists reports whether key holds an object.
func (b Bucket) Exists(ctx context.Context, key string) (bool, error) {
	_, err := b.Size(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Wrap names the object an S3 error is about and turns S3's "no such key"
// into ErrNotFound. (S3 answers 403 rather than 404 for a missing key to a
// caller without s3:ListBucket; the template grants it.) nil stays nil.
func (b Bucket) Wrap(op, key string, err error) error {
	if err == nil {
		return nil
	}
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	var api smithy.APIError
	if errors.As(err, &nsk) || errors.As(err, &nf) || (errors.As(err, &api) && (api.ErrorCode() == "NotFound" || api.ErrorCode() == "NoSuchKey")) {
		err = fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return fmt.Errorf("%s s3://%s/%s: %w", op, b.Name, key, err)
}

// Create creates the bucket called name unless it exists (local server
// and tests; in AWS the template owns it).
func Create(ctx context.Context, client *s3.Client, name string) error {
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	return nil
}
