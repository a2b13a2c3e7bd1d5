// Uploads keeps CSV files uploaded for import in S3: the API
// presigns a PUT for imports/<tenant>/<upload id>.csv in the exports
// bucket, the client uploads the file straight to S3 (no 6 MB Lambda
// payload limit, no 29 s API Gateway limit), and the worker reads it.
//
// A presigned PUT cannot cap the size of what is uploaded (that takes a
// presigned POST policy with content-length-range, which is a form upload,
// not a plain PUT), so MaxBytes is enforced where the object is read: the
// API checks the object's size before accepting the import, and the worker
// reads at most UploadMaxBytes of it.
package s3store

import (
	"context"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Limits of an uploaded file.
const (
	// UploadMaxBytes bounds an uploaded file; importer.MaxRows (100,000 rows)
	// bounds it too, whatever its size.
	UploadMaxBytes int64 = 100 << 20
	// UploadURLTTL is how long a presigned upload URL works.
	UploadURLTTL = 15 * time.Minute
	// UploadContentType is what the PUT must send: it is signed into the URL.
	UploadContentType = "text/csv"
)

var idRE = regexp.MustCompile(`^upl_[0-9a-z]{26}$`)

// ValidUploadID reports whether id can be an upload id (lead.PrefixUpload;
// so a key built from it stays inside the tenant's prefix).
func ValidUploadID(id string) bool { return idRE.MatchString(id) }

// UploadKey is where the file of an upload lives: tenant-scoped, so an
// upload id of another account names nothing.
func UploadKey(tenantID, uploadID string) string {
	return "imports/" + tenantID + "/" + uploadID + ".csv"
}

// Uploads keeps uploads in a bucket; Size and Get (ErrNotFound when no
// file was uploaded) come from Bucket.
type Uploads struct {
	Bucket
}

// NewUploads uses client for the bucket called name.
func NewUploads(client *s3.Client, name string) *Uploads {
	return &Uploads{Bucket: New(client, name)}
}

// PresignPut returns a URL that accepts one PUT of key with Content-Type
// UploadContentType until ttl passes.
func (u *Uploads) PresignPut(ctx context.Context, key string, ttl time.Duration) (string, error) {
	req, err := u.Presigner.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(u.Name), Key: aws.String(key),
		ContentType: aws.String(UploadContentType)}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", u.Wrap("presign put", key, err)
	}
	return req.URL, nil
}
