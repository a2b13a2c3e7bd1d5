// Package validate checks real HTTP responses against Leadflow's OpenAPI
// document (internal/openapi), so handler tests fail when a response drifts
// from the documented shape. Tests use it; the functions never import it
// (libopenapi and its JSON Schema engine would weigh ~4 MB in each binary).
package validate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/leadflow/leadflow/internal/openapi"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	valerrors "github.com/pb33f/libopenapi-validator/errors"
)

// Operation is one documented method and path (API Gateway / ServeMux
// {param} syntax, as in httpapi.Route).
type Operation struct {
	Method string
	Path   string
}

// Validator checks HTTP responses against the document. It is safe for
// concurrent use.
type Validator struct {
	// The libopenapi-validator schema validator keeps per-instance state
	// (compiled schema caches, a lock of its own); serializing calls keeps
	// every use of it well-defined regardless of library internals.
	mu         sync.Mutex
	v          validator.Validator
	doc        libopenapi.Document
	operations []Operation
}

// NewValidator parses the embedded document and builds a validator. Format
// assertions (date-time, uri-reference, ...) are on.
func NewValidator() (*Validator, error) {
	doc, err := libopenapi.NewDocument(openapi.Document())
	if err != nil {
		return nil, fmt.Errorf("openapi: parse document: %w", err)
	}
	if info := doc.GetSpecInfo(); info == nil || !strings.HasPrefix(info.Version, "3.1") {
		return nil, fmt.Errorf("openapi: document is not OpenAPI 3.1")
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("openapi: build model: %w", err)
	}
	var ops []Operation
	if model.Model.Paths != nil && model.Model.Paths.PathItems != nil {
		for pair := model.Model.Paths.PathItems.First(); pair != nil; pair = pair.Next() {
			path, item := pair.Key(), pair.Value()
			for pm := item.GetOperations().First(); pm != nil; pm = pm.Next() {
				ops = append(ops, Operation{Method: strings.ToUpper(pm.Key()), Path: path})
			}
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		return nil, fmt.Errorf("openapi: build validator: %w", errors.Join(errs...))
	}
	return &Validator{v: v, doc: doc, operations: ops}, nil
}

// Operations lists every documented method and path, sorted by path then
// method.
func (v *Validator) Operations() []Operation {
	return append([]Operation(nil), v.operations...)
}

// ValidateDocument checks the document itself against the OpenAPI 3.1
// schema. It returns nil when the document is valid.
func (v *Validator) ValidateDocument() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	ok, verrs := v.v.ValidateDocument()
	if ok {
		return nil
	}
	return &DocumentError{Problems: describe(verrs)}
}

// ValidateResponse checks resp (status, content type, headers, body) against
// the response the document declares for req's method and path. It returns
// nil when the response matches, or a *ResponseError listing every
// mismatch: an undocumented route or status, a missing required header, a
// body that does not match the schema.
//
// The response body is read and then restored, so the caller can still
// read it afterwards. req's body is not read.
func (v *Validator) ValidateResponse(req *http.Request, resp *http.Response) error {
	if req == nil || resp == nil {
		return errors.New("openapi: ValidateResponse needs a request and a response")
	}
	var body []byte
	if resp.Body != nil && resp.Body != http.NoBody {
		b, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return fmt.Errorf("openapi: read response body: %w", err)
		}
		body = b
	}
	restore := func() {
		if body == nil {
			resp.Body = http.NoBody
		} else {
			resp.Body = io.NopCloser(bytes.NewReader(body))
		}
	}
	restore()
	defer restore()

	v.mu.Lock()
	ok, verrs := v.v.ValidateHttpResponse(req, resp)
	v.mu.Unlock()
	if ok && len(verrs) == 0 {
		return nil
	}
	problems := describe(verrs)
	if len(problems) == 0 {
		problems = []string{"response does not match the document"}
	}
	return &ResponseError{
		Method:   req.Method,
		Path:     req.URL.Path,
		Status:   resp.StatusCode,
		Problems: problems,
	}
}

// ResponseError lists how a response differs from the documented one.
type ResponseError struct {
	Method   string
	Path     string
	Status   int
	Problems []string
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("openapi: %s %s -> %d does not match the document:\n  - %s",
		e.Method, e.Path, e.Status, strings.Join(e.Problems, "\n  - "))
}

// DocumentError lists what is wrong with the document itself.
type DocumentError struct{ Problems []string }

func (e *DocumentError) Error() string {
	return "openapi: invalid document:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// describe turns validation errors into one line per problem, with the JSON
// location of each schema failure.
func describe(verrs []*valerrors.ValidationError) []string {
	var out []string
	for _, ve := range verrs {
		if ve == nil {
			continue
		}
		head := ve.Message
		if ve.Reason != "" && ve.Reason != ve.Message {
			head += ": " + ve.Reason
		}
		if len(ve.SchemaValidationErrors) == 0 {
			out = append(out, head)
			continue
		}
		for _, sf := range ve.SchemaValidationErrors {
			if sf == nil {
				continue
			}
			loc := sf.FieldPath
			if loc == "" && len(sf.InstancePath) > 0 {
				loc = "/" + strings.Join(sf.InstancePath, "/")
			}
			if loc == "" {
				loc = sf.KeywordLocation
			}
			line := ve.Message + ": " + sf.Reason
			if loc != "" {
				line += " (at " + loc + ")"
			}
			out = append(out, line)
		}
	}
	return out
}
