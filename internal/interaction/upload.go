package interaction

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"mime"
	"slices"
	"strings"
	"time"

	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/text"
)

// Uploads of attachment files: an integration asks for a presigned PUT
// (POST /v1/capture/interactions/attachments), uploads the file straight
// to the bucket, then posts the interaction naming the file by its key.
const (
	// MaxUploadBytes bounds an uploaded attachment. The size is signed
	// into the PUT (Content-Length), so S3 refuses any other size.
	MaxUploadBytes int64 = 25 << 20
	// UploadURLTTL is how long a presigned attachment upload works.
	UploadURLTTL = 15 * time.Minute
)

// UploadTypes are the content types an uploaded attachment may have, with
// the extension its key gets: what chats, e-mails and tickets carry
// (images, audio notes, short videos, documents, NF-e XML). No HTML, SVG
// or scripts, which a browser could run.
var UploadTypes = map[string]string{
	"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp", "image/heic": ".heic",
	"audio/mpeg": ".mp3", "audio/ogg": ".ogg", "audio/mp4": ".m4a", "audio/aac": ".aac", "audio/amr": ".amr",
	"video/mp4": ".mp4", "video/3gpp": ".3gp", "video/quicktime": ".mov", "video/webm": ".webm",
	"application/pdf": ".pdf", "text/plain": ".txt", "text/csv": ".csv", "application/xml": ".xml",
	"application/msword": ".doc", "application/vnd.ms-excel": ".xls",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":       ".xlsx",
}

// UploadRequest is the body of POST /v1/capture/interactions/attachments.
type UploadRequest struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// NewUpload checks an upload request of tenant (every bad field named in a
// *lead.InvalidError) and returns the attachment the interaction will
// name: the file gets an unguessable key under AttachmentPrefix(tenant).
func NewUpload(tenant string, in UploadRequest) (Attachment, error) {
	bad := &lead.InvalidError{}
	name, fe := text.Clean("name", in.Name, text.Rule{Max: text.MaxShort, Required: true})
	if fe != nil {
		bad.Add(fe.Field, fe.Code, fe.Detail)
	}
	ct, ext := "", ""
	if mt, _, err := mime.ParseMediaType(in.ContentType); err == nil {
		ct, ext = mt, UploadTypes[mt]
	}
	switch {
	case strings.TrimSpace(in.ContentType) == "":
		bad.Add("content_type", text.CodeRequired, "Give the file's content type, one of "+UploadTypeNames()+".")
	case ext == "":
		bad.Add("content_type", "not_allowed", "Attachments may be "+UploadTypeNames()+".")
	}
	switch {
	case in.Size <= 0:
		bad.Add("size", "invalid", "Give the file's size in bytes (the upload must be exactly that size).")
	case in.Size > MaxUploadBytes:
		bad.Add("size", "too_large", fmt.Sprintf("An attachment is at most %d bytes.", MaxUploadBytes))
	}
	if err := bad.Err(); err != nil {
		return Attachment{}, err
	}
	return Attachment{Name: name, ContentType: ct, Size: in.Size,
		Key: AttachmentPrefix(tenant) + newFileID() + ext}, nil
}

// UploadTypeNames lists UploadTypes for messages, sorted.
func UploadTypeNames() string {
	var ts []string
	for t := range UploadTypes {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return strings.Join(ts, ", ")
}

var fileIDEnc = base32.StdEncoding.WithPadding(base32.NoPadding)

// newFileID is "file_" and 160 random bits: lead.NewID's ULIDs are
// monotonic within a millisecond, so one key would tell the next.
func newFileID() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return "file_" + strings.ToLower(fileIDEnc.EncodeToString(b))
}
