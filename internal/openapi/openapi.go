// Package openapi holds Leadflow's OpenAPI 3.1 document: the HTTP contract
// of every route in httpapi.Routes, served at /v1/openapi.yaml. It is
// imported by the functions, so it holds nothing else: the validator that
// checks responses against the document (tests only) is in
// internal/openapi/validate, which keeps libopenapi out of the binaries.
package openapi

import (
	"bytes"
	_ "embed"
)

//go:embed openapi.yaml
var document []byte

// Document returns the OpenAPI 3.1 document (YAML). The caller gets its own
// copy and may modify it.
func Document() []byte { return bytes.Clone(document) }
