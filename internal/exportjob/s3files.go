package exportjob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// S3Files keeps export files in an S3 bucket.
type S3Files struct {
	Client    *s3.Client
	Presigner *s3.PresignClient
	Bucket    string
}

// NewS3Files uses client for bucket.
func NewS3Files(client *s3.Client, bucket string) *S3Files {
	return &S3Files{Client: client, Presigner: s3.NewPresignClient(client), Bucket: bucket}
}

func (f *S3Files) wrap(op, key string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s s3://%s/%s: %w", op, f.Bucket, key, err)
}

// disposition names the download after the export's format.
func disposition(key string) *string {
	return aws.String(`attachment; filename="leads` + extOf(key) + `"`)
}

// Put uploads body under key.
func (f *S3Files) Put(ctx context.Context, key, contentType string, body io.ReadSeeker) error {
	_, err := f.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(f.Bucket), Key: aws.String(key),
		Body: body, ContentType: aws.String(contentType), ContentDisposition: disposition(key)})
	return f.wrap("put", key, err)
}

// Get opens the object under key.
func (f *S3Files) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := f.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(f.Bucket), Key: aws.String(key)})
	if err != nil {
		return nil, f.wrap("get", key, err)
	}
	return out.Body, nil
}

// Delete removes keys (missing ones are no error).
func (f *S3Files) Delete(ctx context.Context, keys ...string) error {
	for len(keys) > 0 {
		n := min(len(keys), 1000) // DeleteObjects' limit
		objs := make([]types.ObjectIdentifier, n)
		for i, k := range keys[:n] {
			objs[i] = types.ObjectIdentifier{Key: aws.String(k)}
		}
		out, err := f.Client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(f.Bucket),
			Delete: &types.Delete{Objects: objs, Quiet: aws.Bool(true)}})
		if err != nil {
			return f.wrap("delete", keys[0], err)
		}
		if len(out.Errors) > 0 {
			return f.wrap("delete", aws.ToString(out.Errors[0].Key), errors.New(aws.ToString(out.Errors[0].Message)))
		}
		keys = keys[n:]
	}
	return nil
}

// Exists reports whether key holds an object.
func (f *S3Files) Exists(ctx context.Context, key string) (bool, error) {
	_, err := f.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(f.Bucket), Key: aws.String(key)})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && (apiErr.ErrorCode() == "NotFound" || apiErr.ErrorCode() == "NoSuchKey") {
		return false, nil
	}
	return err == nil, f.wrap("head", key, err)
}

// StartUpload starts a multipart upload to key and returns its id.
func (f *S3Files) StartUpload(ctx context.Context, key, contentType string) (string, error) {
	out, err := f.Client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(f.Bucket),
		Key: aws.String(key), ContentType: aws.String(contentType), ContentDisposition: disposition(key)})
	if err != nil {
		return "", f.wrap("start upload", key, err)
	}
	return aws.ToString(out.UploadId), nil
}

// UploadPart uploads part n and returns its ETag, unquoted: S3 accepts
// part ETags with or without quotes, and Go's XML encoder would escape
// the quotes as &#34;, which the local emulator does not read back.
func (f *S3Files) UploadPart(ctx context.Context, key, uploadID string, n int32, body []byte) (string, error) {
	out, err := f.Client.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(f.Bucket), Key: aws.String(key),
		UploadId: aws.String(uploadID), PartNumber: aws.Int32(n), Body: bytes.NewReader(body)})
	if err != nil {
		return "", f.wrap(fmt.Sprintf("upload part %d", n), key, err)
	}
	return strings.Trim(aws.ToString(out.ETag), `"`), nil
}

// CompleteUpload joins parts, in order, into the object.
func (f *S3Files) CompleteUpload(ctx context.Context, key, uploadID string, parts []Part) error {
	cp := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		cp[i] = types.CompletedPart{PartNumber: aws.Int32(p.N), ETag: aws.String(p.ETag)}
	}
	_, err := f.Client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(f.Bucket),
		Key: aws.String(key), UploadId: aws.String(uploadID), MultipartUpload: &types.CompletedMultipartUpload{Parts: cp}})
	return f.wrap("complete upload", key, err)
}

// AbortUpload drops a multipart upload and its parts.
func (f *S3Files) AbortUpload(ctx context.Context, key, uploadID string) error {
	_, err := f.Client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(f.Bucket),
		Key: aws.String(key), UploadId: aws.String(uploadID)})
	return f.wrap("abort upload", key, err)
}

// Presign returns a GET URL for key, valid for URLTTL.
func (f *S3Files) Presign(ctx context.Context, key string) (string, error) {
	req, err := f.Presigner.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(f.Bucket), Key: aws.String(key)},
		s3.WithPresignExpires(URLTTL))
	if err != nil {
		return "", f.wrap("presign", key, err)
	}
	return req.URL, nil
}

func extOf(key string) string {
	for i := len(key) - 1; i >= 0 && key[i] != '/'; i-- {
		if key[i] == '.' {
			return key[i:]
		}
	}
	return ""
}

// CreateBucket creates bucket unless it exists (local server and tests; in
// AWS the template owns it).
func CreateBucket(ctx context.Context, client *s3.Client, bucket string) error {
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}
