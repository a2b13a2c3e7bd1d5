package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// ExportURLTTL is how long a presigned export download URL works.
const ExportURLTTL = 15 * time.Minute

// Part is one uploaded part of a multipart upload (an export's state
// keeps them between messages).
type Part struct {
	N    int32  `json:"n"`
	ETag string `json:"etag"`
}

// ExportFiles keeps export files and their pieces in an S3 bucket
// (exportjob.Files).
type ExportFiles struct {
	Bucket
}

// NewExportFiles uses client for the bucket called name.
func NewExportFiles(client *s3.Client, name string) *ExportFiles {
	return &ExportFiles{Bucket: New(client, name)}
}

// disposition names the download after the export's format.
func disposition(key string) *string {
	return aws.String(`attachment; filename="leads` + extOf(key) + `"`)
}

// Put uploads body under key.
func (f *ExportFiles) Put(ctx context.Context, key, contentType string, body io.ReadSeeker) error {
	_, err := f.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(f.Name), Key: aws.String(key),
		Body: body, ContentType: aws.String(contentType), ContentDisposition: disposition(key)})
	return f.Wrap("put", key, err)
}

// Delete removes keys (missing ones are no error).
func (f *ExportFiles) Delete(ctx context.Context, keys ...string) error {
	for len(keys) > 0 {
		n := min(len(keys), 1000) // DeleteObjects' limit
		objs := make([]types.ObjectIdentifier, n)
		for i, k := range keys[:n] {
			objs[i] = types.ObjectIdentifier{Key: aws.String(k)}
		}
		out, err := f.Client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(f.Name),
			Delete: &types.Delete{Objects: objs, Quiet: aws.Bool(true)}})
		if err != nil {
			return f.Wrap("delete", keys[0], err)
		}
		if len(out.Errors) > 0 {
			return f.Wrap("delete", aws.ToString(out.Errors[0].Key), errors.New(aws.ToString(out.Errors[0].Message)))
		}
		keys = keys[n:]
	}
	return nil
}

// StartUpload starts a multipart upload to key and returns its id.
func (f *ExportFiles) StartUpload(ctx context.Context, key, contentType string) (string, error) {
	out, err := f.Client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(f.Name),
		Key: aws.String(key), ContentType: aws.String(contentType), ContentDisposition: disposition(key)})
	if err != nil {
		return "", f.Wrap("start upload", key, err)
	}
	return aws.ToString(out.UploadId), nil
}

// UploadPart uploads part n and returns its ETag, unquoted: S3 accepts
// part ETags with or without quotes, and Go's XML encoder would escape
// the quotes as &#34;, which the local emulator does not read back.
func (f *ExportFiles) UploadPart(ctx context.Context, key, uploadID string, n int32, body []byte) (string, error) {
	out, err := f.Client.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String(f.Name), Key: aws.String(key),
		UploadId: aws.String(uploadID), PartNumber: aws.Int32(n), Body: bytes.NewReader(body)})
	if err != nil {
		return "", f.Wrap(fmt.Sprintf("upload part %d", n), key, err)
	}
	return strings.Trim(aws.ToString(out.ETag), `"`), nil
}

// CompleteUpload joins parts, in order, into the object.
func (f *ExportFiles) CompleteUpload(ctx context.Context, key, uploadID string, parts []Part) error {
	cp := make([]types.CompletedPart, len(parts))
	for i, p := range parts {
		cp[i] = types.CompletedPart{PartNumber: aws.Int32(p.N), ETag: aws.String(p.ETag)}
	}
	_, err := f.Client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String(f.Name),
		Key: aws.String(key), UploadId: aws.String(uploadID), MultipartUpload: &types.CompletedMultipartUpload{Parts: cp}})
	return f.Wrap("complete upload", key, err)
}

// AbortUpload drops a multipart upload and its parts.
func (f *ExportFiles) AbortUpload(ctx context.Context, key, uploadID string) error {
	_, err := f.Client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(f.Name),
		Key: aws.String(key), UploadId: aws.String(uploadID)})
	return f.Wrap("abort upload", key, err)
}

// Presign returns a GET URL for key, valid for ExportURLTTL. The URL asks
// for the attachment disposition itself (response-content-disposition):
// the console's download link points at another origin (the bucket), where
// the browser ignores the link's download attribute and would show an XML
// file instead of saving it; the signed override makes every format a
// download whatever the object's stored metadata says.
func (f *ExportFiles) Presign(ctx context.Context, key string) (string, error) {
	req, err := f.Presigner.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(f.Name), Key: aws.String(key),
		ResponseContentDisposition: disposition(key)},
		s3.WithPresignExpires(ExportURLTTL))
	if err != nil {
		return "", f.Wrap("presign", key, err)
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
