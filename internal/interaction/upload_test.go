package interaction

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/openapi"
)

func TestNewUpload(t *testing.T) {
	a, err := NewUpload("acme", UploadRequest{Name: " nota fiscal.xml ", ContentType: "Application/XML; charset=utf-8", Size: 5120})
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "nota fiscal.xml" || a.ContentType != "application/xml" || a.Size != 5120 || a.URL != "" ||
		!ValidAttachmentKey("acme", a.Key) || !strings.HasSuffix(a.Key, ".xml") {
		t.Errorf("upload %+v", a)
	}
	b, _ := NewUpload("acme", UploadRequest{Name: "x.xml", ContentType: "application/xml", Size: 1})
	// 160 random bits each: equal keys (or a shared stem) would mean a guessable source.
	if a.Key == b.Key || a.Key[:len(a.Key)-10] == b.Key[:len(b.Key)-10] {
		t.Errorf("keys %s and %s", a.Key, b.Key)
	}

	for _, c := range []struct {
		in     UploadRequest
		fields []string
	}{
		{UploadRequest{}, []string{"name", "content_type", "size"}},
		{UploadRequest{Name: "a.html", ContentType: "text/html", Size: 10}, []string{"content_type"}},
		{UploadRequest{Name: "a.svg", ContentType: "image/svg+xml", Size: 10}, []string{"content_type"}},
		{UploadRequest{Name: "a.pdf", ContentType: "application/pdf", Size: MaxUploadBytes + 1}, []string{"size"}},
		{UploadRequest{Name: "a.pdf", ContentType: "application/pdf", Size: -1}, []string{"size"}},
		{UploadRequest{Name: strings.Repeat("a", 1000), ContentType: "application/pdf", Size: 1}, []string{"name"}},
	} {
		_, err := NewUpload("acme", c.in)
		var bad *lead.InvalidError
		if !errors.As(err, &bad) {
			t.Errorf("%+v: %v, want an InvalidError", c.in, err)
			continue
		}
		var got []string
		for _, fe := range bad.Errors {
			got = append(got, fe.Field)
		}
		if !slices.Equal(got, c.fields) {
			t.Errorf("%+v: fields %v, want %v", c.in, got, c.fields)
		}
	}
	if _, err := NewUpload("acme", UploadRequest{Name: "a.pdf", ContentType: "application/pdf", Size: MaxUploadBytes}); err != nil {
		t.Errorf("the largest file: %v", err)
	}
}

// The OpenAPI document lists exactly the content types NewUpload accepts,
// and its size cap.
func TestUploadTypesMatchTheOpenAPIDocument(t *testing.T) {
	doc := string(openapi.Document())
	_, op, _ := strings.Cut(doc, "operationId: createInteractionAttachmentUpload")
	_, enum, _ := strings.Cut(op, "content_type:")
	enum, sizeEtc, _ := strings.Cut(enum, "size:")
	var listed []string
	for _, line := range strings.Split(enum, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "- "); ok {
			listed = append(listed, v)
		}
	}
	var want []string
	for ct := range UploadTypes {
		want = append(want, ct)
	}
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Errorf("openapi.yaml lists %v, want %v", listed, want)
	}
	if !strings.Contains(strings.SplitN(sizeEtc, "responses:", 2)[0], "maximum: 26214400") || MaxUploadBytes != 26214400 {
		t.Error("openapi.yaml's size maximum is not MaxUploadBytes")
	}
}
