package dynamo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/capacity"
)

// Whole-item helpers for the writes that move, restore or erase items
// as they are (merge.go, erase.go): reading a partition or a set of keys,
// comparing items exactly, and sizing them.

// avmap is one stored item.
type avmap = map[string]types.AttributeValue

// ikey addresses one item.
type ikey struct{ pk, sk string }

func keyOf(it avmap) ikey { return ikey{str(it, AttrPK), str(it, AttrSK)} }

// partitionItems reads every item of a partition (consistent reads);
// with project, only those attributes of each.
func (st *Store) partitionItems(ctx context.Context, pk string, project ...string) ([]avmap, error) {
	in := &dynamodb.QueryInput{
		TableName:                 st.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(pk)},
		ConsistentRead:            aws.Bool(true),
	}
	if len(project) > 0 {
		in.ProjectionExpression = aws.String(strings.Join(project, ", "))
	}
	var out []avmap
	for {
		page, err := st.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("read partition: %w", err)
		}
		out = append(out, page.Items...)
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// getItems reads items by key, 100 at a time (consistent reads); a
// missing item is absent from the answer.
func (st *Store) getItems(ctx context.Context, keys []ikey) (map[ikey]avmap, error) {
	out := map[ikey]avmap{}
	var uniq []ikey
	for _, k := range keys {
		if !slices.Contains(uniq, k) {
			uniq = append(uniq, k)
		}
	}
	for len(uniq) > 0 {
		chunk := uniq[:min(100, len(uniq))]
		uniq = uniq[len(chunk):]
		req := &types.KeysAndAttributes{ConsistentRead: aws.Bool(true)}
		for _, k := range chunk {
			req.Keys = append(req.Keys, key(k.pk, k.sk))
		}
		pending := map[string]types.KeysAndAttributes{*st.table: *req}
		for attempt := 1; len(pending) > 0; attempt++ {
			res, err := st.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return nil, fmt.Errorf("batch get: %w", err)
			}
			for _, it := range res.Responses[*st.table] {
				out[keyOf(it)] = it
			}
			pending = res.UnprocessedKeys
			if len(pending) > 0 {
				if attempt >= maxAttempts {
					return nil, fmt.Errorf("batch get: %w", ErrContention)
				}
				if err := backoff(ctx, attempt); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// itemHash is a digest of an item's exact content ("" for no item): two
// items hash alike exactly when every attribute is equal.
func itemHash(it avmap) string {
	if it == nil {
		return ""
	}
	var b bytes.Buffer
	canon(&b, &types.AttributeValueMemberM{Value: it})
	sum := sha256.Sum256(b.Bytes())
	return hex.EncodeToString(sum[:16])
}

func itemsEqual(a, b avmap) bool { return itemHash(a) == itemHash(b) }

// canon writes a deterministic encoding of v (map keys and sets sorted).
func canon(b *bytes.Buffer, v types.AttributeValue) {
	str := func(tag byte, s string) {
		b.WriteByte(tag)
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	set := func(tag byte, vs []string) {
		b.WriteString("set" + strconv.Itoa(len(vs)))
		for _, s := range slices.Sorted(slices.Values(vs)) {
			str(tag, s)
		}
	}
	switch t := v.(type) {
	case *types.AttributeValueMemberS:
		str('S', t.Value)
	case *types.AttributeValueMemberN:
		str('N', t.Value)
	case *types.AttributeValueMemberB:
		str('B', string(t.Value))
	case *types.AttributeValueMemberBOOL:
		str('T', strconv.FormatBool(t.Value))
	case *types.AttributeValueMemberNULL:
		b.WriteByte('0')
	case *types.AttributeValueMemberSS:
		set('S', t.Value)
	case *types.AttributeValueMemberNS:
		set('N', t.Value)
	case *types.AttributeValueMemberBS:
		vs := make([]string, len(t.Value))
		for i, x := range t.Value {
			vs[i] = string(x)
		}
		set('B', vs)
	case *types.AttributeValueMemberL:
		b.WriteString("L" + strconv.Itoa(len(t.Value)) + "[")
		for _, x := range t.Value {
			canon(b, x)
		}
		b.WriteByte(']')
	case *types.AttributeValueMemberM:
		names := make([]string, 0, len(t.Value))
		for k := range t.Value {
			names = append(names, k)
		}
		slices.Sort(names)
		b.WriteString("M" + strconv.Itoa(len(names)) + "{")
		for _, k := range names {
			str('K', k)
			canon(b, t.Value[k])
		}
		b.WriteByte('}')
	}
}

// itemSize is DynamoDB's size of an item (batching, chunking).
func itemSize(it avmap) int { return capacity.ItemSize(it) }

// withKey returns a copy of it stored under another key, with attributes
// set (name, value pairs of strings).
func withKey(it avmap, k ikey, set ...string) avmap {
	out := make(avmap, len(it)+2)
	for n, v := range it {
		out[n] = v
	}
	out[AttrPK], out[AttrSK] = s(k.pk), s(k.sk)
	for i := 0; i+1 < len(set); i += 2 {
		out[set[i]] = s(set[i+1])
	}
	return out
}
