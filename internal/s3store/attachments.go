package s3store

import (
	"context"
	"mime"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// AttachmentURLTTL is how long a presigned attachment download works.
const AttachmentURLTTL = 15 * time.Minute

// Attachments keeps interaction attachment files (attachments/<tenant>/
// in the exports bucket): integrations upload them through a presigned
// PUT, the console downloads them through a presigned GET.
type Attachments struct {
	Bucket
}

// NewAttachments uses client for the bucket called name.
func NewAttachments(client *s3.Client, name string) *Attachments {
	return &Attachments{Bucket: New(client, name)}
}

// PresignPut returns a URL that accepts one PUT of key until ttl passes,
// with exactly this Content-Type and size (both signed: S3 refuses a body
// of any other length, which caps uploads as a plain PUT otherwise can't).
func (a *Attachments) PresignPut(ctx context.Context, key, contentType string, size int64, ttl time.Duration) (string, error) {
	req, err := a.Presigner.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(a.Name), Key: aws.String(key),
		ContentType: aws.String(contentType), ContentLength: aws.Int64(size)}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", a.Wrap("presign put", key, err)
	}
	return req.URL, nil
}

// PresignGet returns a GET URL for key, valid for AttachmentURLTTL, that
// downloads the file under name (a signed Content-Disposition override:
// never shown inline from the bucket's origin).
func (a *Attachments) PresignGet(ctx context.Context, key, name string) (string, error) {
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if disp == "" {
		disp = "attachment"
	}
	req, err := a.Presigner.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(a.Name), Key: aws.String(key),
		ResponseContentDisposition: aws.String(disp)}, s3.WithPresignExpires(AttachmentURLTTL))
	if err != nil {
		return "", a.Wrap("presign get", key, err)
	}
	return req.URL, nil
}
