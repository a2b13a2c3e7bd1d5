package httpapi_test

import (
	"testing"

	"github.com/leadflow/leadflow/internal/testenv"
)

// The system tests moved to internal/systemtest; the tests left here are
// of the HTTP layer's own parts (the Lambda adapter, the SAM template,
// handler benchmarks) and the fuzz tests of package httpapi.

func TestMain(m *testing.M) { testenv.Main(m) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
