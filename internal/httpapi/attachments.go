package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/leadflow/leadflow/internal/interaction"
)

// AttachmentUploads presigns a PUT of one attachment file with its
// content type and size signed in (s3store.Attachments).
type AttachmentUploads interface {
	PresignPut(ctx context.Context, key, contentType string, size int64, ttl time.Duration) (string, error)
}

// attachmentUploadCreate serves POST /v1/capture/interactions/attachments:
// an integration (API key with interactions:write) names a file it is
// about to attach, {"name", "content_type", "size"}, and gets a presigned
// PUT for it under the account's prefix (interaction.NewUpload checks the
// type and size and makes the key). It then PUTs the file and posts the
// interaction with the returned attachment, key included.
func (s *server) attachmentUploadCreate(w http.ResponseWriter, r *http.Request) {
	var in interaction.UploadRequest
	key, ok := s.integrationBody(w, r, s.AttachmentUploads != nil, &in)
	if !ok {
		return
	}
	att, err := interaction.NewUpload(key.TenantID, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	url, err := s.AttachmentUploads.PresignPut(r.Context(), att.Key, att.ContentType, att.Size, interaction.UploadURLTTL)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, map[string]any{
		"key": att.Key, "url": url, "method": http.MethodPut,
		"headers":    map[string]string{"Content-Type": att.ContentType},
		"expires_at": s.Now().UTC().Add(interaction.UploadURLTTL).Format(time.RFC3339), "max_bytes": interaction.MaxUploadBytes,
		"attachment": att,
	})
}
