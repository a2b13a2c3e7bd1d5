package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/importer"
	"github.com/leadflow/leadflow/internal/lead"
)

// Imports live in the account partition next to their job record:
//
//	T#<tenant>  IMPORT#<id>            import meta (mapping, encoding, policy)
//	T#<tenant>  IMPORT#<id>#C#<n>      rows of chunk n (JSON), ≤ 300 KB
//	T#<tenant>  IMPORT#<id>#R#<n>      per-row results of chunk n (JSON)
//
// Chunk numbers are zero-padded so SK order is chunk order.
const skImport = "IMPORT#"

func importChunkSK(id, kind string, chunk int) string {
	return skImport + id + "#" + kind + "#" + fmt.Sprintf("%06d", chunk)
}

// PutImport stores an upload: its meta and its rows, chunk by chunk.
func (st *Store) PutImport(ctx context.Context, tenantID string, m importer.Meta, chunks [][]importer.Row) error {
	meta, err := item(m, tenantPK(tenantID), skImport+m.ID)
	if err != nil {
		return fmt.Errorf("put import: %w", err)
	}
	items := []map[string]types.AttributeValue{meta}
	for i, rows := range chunks {
		body, err := json.Marshal(rows)
		if err != nil {
			return fmt.Errorf("put import: %w", err)
		}
		items = append(items, map[string]types.AttributeValue{
			AttrPK: s(tenantPK(tenantID)), AttrSK: s(importChunkSK(m.ID, "C", i)), "rows": s(string(body)),
		})
	}
	if err := st.batchPut(ctx, items); err != nil {
		return fmt.Errorf("put import %s: %w", m.ID, err)
	}
	return nil
}

// Import reads an import's meta; account.ErrNotFound when missing.
func (st *Store) Import(ctx context.Context, tenantID, id string) (importer.Meta, error) {
	var m importer.Meta
	if badID(id) {
		return m, fmt.Errorf("import %s: %w", id, account.ErrNotFound)
	}
	if err := st.get(ctx, tenantPK(tenantID), skImport+id, &m); err != nil {
		return m, fmt.Errorf("import %s: %w", id, err)
	}
	return m, nil
}

// ImportChunk reads the rows of one chunk.
func (st *Store) ImportChunk(ctx context.Context, tenantID, id string, chunk int) ([]importer.Row, error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: st.table, Key: key(tenantPK(tenantID), importChunkSK(id, "C", chunk)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("import %s chunk %d: %w", id, chunk, err)
	}
	if out.Item == nil {
		return nil, fmt.Errorf("import %s chunk %d: %w", id, chunk, account.ErrNotFound)
	}
	var rows []importer.Row
	if err := json.Unmarshal([]byte(str(out.Item, "rows")), &rows); err != nil {
		return nil, fmt.Errorf("import %s chunk %d: %w", id, chunk, err)
	}
	return rows, nil
}

// PutImportResults stores the results of a chunk once. When a delivery
// before this one already stored them, those are returned (stored=false)
// and the new ones dropped, so the report tells what the first run did.
func (st *Store) PutImportResults(ctx context.Context, tenantID, id string, chunk int, res []importer.Result) ([]importer.Result, bool, error) {
	body, err := json.Marshal(res)
	if err != nil {
		return nil, false, err
	}
	sk := importChunkSK(id, "R", chunk)
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: st.table,
		Item: map[string]types.AttributeValue{
			AttrPK: s(tenantPK(tenantID)), AttrSK: s(sk), "results": s(string(body)),
		},
		ConditionExpression:                 aws.String("attribute_not_exists(PK)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var cf *types.ConditionalCheckFailedException
	if errors.As(err, &cf) {
		var old []importer.Result
		if err := json.Unmarshal([]byte(str(cf.Item, "results")), &old); err != nil {
			return nil, false, fmt.Errorf("import %s results %d: %w", id, chunk, err)
		}
		return old, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("import %s results %d: %w", id, chunk, err)
	}
	return res, true, nil
}

// ImportResults pages through the per-row results, chunks chunks a page
// (each chunk holds up to importer.ChunkRows rows). cursor is opaque.
func (st *Store) ImportResults(ctx context.Context, tenantID, id, cursor string, chunks int) (lead.Page[importer.Result], error) {
	var pg lead.Page[importer.Result]
	pg.Items = []importer.Result{}
	prefix := skImport + id + "#R#"
	in := &dynamodb.QueryInput{
		TableName:                 st.table,
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(tenantPK(tenantID)), ":p": s(prefix)},
		Limit:                     aws.Int32(int32(chunks)),
	}
	if cursor != "" {
		sk, err := decodeCursor(cursor, prefix)
		if err != nil {
			return pg, err
		}
		in.ExclusiveStartKey = key(tenantPK(tenantID), sk)
	}
	out, err := st.db.Query(ctx, in)
	if err != nil {
		return pg, fmt.Errorf("import %s results: %w", id, err)
	}
	for _, it := range out.Items {
		var rs []importer.Result
		if err := json.Unmarshal([]byte(str(it, "results")), &rs); err != nil {
			return pg, fmt.Errorf("import %s results: %w", id, err)
		}
		pg.Items = append(pg.Items, rs...)
	}
	if len(out.LastEvaluatedKey) > 0 {
		pg.NextCursor = encodeCursor(str(out.LastEvaluatedKey, AttrSK))
	}
	return pg, nil
}

// Sites lists an account's sites.
func (st *Store) Sites(ctx context.Context, tenantID string) ([]account.Site, error) {
	out, err := queryItems[account.Site](ctx, st, tenantPK(tenantID), skSite, nil)
	if err != nil {
		return nil, fmt.Errorf("sites: %w", err)
	}
	return out, nil
}

// PutImportChunks stores chunks first, first+1, … of an import's rows
// (an uploaded file, streamed by the worker). Writing the same chunk again
// overwrites it with the same rows, so a redelivered step may repeat it.
func (st *Store) PutImportChunks(ctx context.Context, tenantID, id string, first int, chunks [][]importer.Row) error {
	items := make([]map[string]types.AttributeValue, 0, len(chunks))
	for i, rows := range chunks {
		body, err := json.Marshal(rows)
		if err != nil {
			return fmt.Errorf("put import %s chunks: %w", id, err)
		}
		items = append(items, map[string]types.AttributeValue{
			AttrPK: s(tenantPK(tenantID)), AttrSK: s(importChunkSK(id, "C", first+i)), "rows": s(string(body)),
		})
	}
	if err := st.batchPut(ctx, items); err != nil {
		return fmt.Errorf("put import %s chunks: %w", id, err)
	}
	return nil
}

// PrepareImport records that an uploaded import's chunks are all stored:
// its meta (rows, chunks, columns…) and its job's expected row count, in
// one transaction, once. It reports false when the import was prepared
// already (a redelivered step), leaving the first outcome in place.
func (st *Store) PrepareImport(ctx context.Context, tenantID string, m importer.Meta) (bool, error) {
	meta, err := item(m, tenantPK(tenantID), skImport+m.ID)
	if err != nil {
		return false, fmt.Errorf("prepare import: %w", err)
	}
	_, err = st.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: st.table, Item: meta,
			ConditionExpression:       aws.String("attribute_exists(PK) AND chunks = :zero"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":zero": n(0)}}},
		{Update: &types.Update{TableName: st.table, Key: key(tenantPK(tenantID), skJob+m.ID),
			UpdateExpression:          aws.String("SET expected = :rows"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":rows": n(int64(m.Rows))}}},
	}})
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) && len(tc.CancellationReasons) > 0 && aws.ToString(tc.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("prepare import %s: %w", m.ID, err)
	}
	return true, nil
}
