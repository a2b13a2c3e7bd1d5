package testenv

import (
	"context"
	"testing"

	"github.com/leadflow/leadflow/internal/dynamo"
)

// Store returns a Leadflow store over a fresh table (dynamo.TableDefinition)
// on DynamoDB Local, so each test starts empty and tests never share data.
// The table has no stream (DynamoDB Local writes slower with one); call the
// store's EnableStream before reading it.
func Store(t testing.TB, opts ...dynamo.Option) *dynamo.Store {
	t.Helper()
	client := DynamoDB(t)
	table := UniqueName("t")
	if err := dynamo.CreateTable(context.Background(), client, table, dynamo.WithoutStream()); err != nil {
		t.Fatalf("testenv: create table %s: %v", table, err)
	}
	return dynamo.New(client, table, opts...)
}
