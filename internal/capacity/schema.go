package capacity

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Index is one global secondary index: its key and what it projects.
type Index struct {
	Name       string
	PK, SK     string
	Projection types.ProjectionType
	NonKey     []string // for INCLUDE
}

// Schema is a table's key and its global secondary indexes.
type Schema struct {
	PK, SK  string
	Indexes []Index
}

// SchemaOf reads the schema from a CreateTable input (the table's one
// definition).
func SchemaOf(def *dynamodb.CreateTableInput) Schema {
	pk, sk := keyNames(def.KeySchema)
	s := Schema{PK: pk, SK: sk}
	for _, g := range def.GlobalSecondaryIndexes {
		ipk, isk := keyNames(g.KeySchema)
		ix := Index{Name: aws.ToString(g.IndexName), PK: ipk, SK: isk, Projection: types.ProjectionTypeAll}
		if g.Projection != nil {
			ix.Projection = g.Projection.ProjectionType
			ix.NonKey = g.Projection.NonKeyAttributes
		}
		s.Indexes = append(s.Indexes, ix)
	}
	return s
}

func keyNames(ks []types.KeySchemaElement) (pk, sk string) {
	for _, k := range ks {
		if k.KeyType == types.KeyTypeHash {
			pk = aws.ToString(k.AttributeName)
		} else {
			sk = aws.ToString(k.AttributeName)
		}
	}
	return pk, sk
}

// Entry is the index entry an item projects into ix, or nil when the item
// lacks the index's key attributes (a sparse index skips it).
func (s Schema) Entry(ix Index, item map[string]types.AttributeValue) map[string]types.AttributeValue {
	if item == nil || item[ix.PK] == nil || (ix.SK != "" && item[ix.SK] == nil) {
		return nil
	}
	if ix.Projection == types.ProjectionTypeAll || ix.Projection == "" {
		return item
	}
	e := map[string]types.AttributeValue{}
	for _, k := range []string{s.PK, s.SK, ix.PK, ix.SK} {
		if v, ok := item[k]; ok && k != "" {
			e[k] = v
		}
	}
	if ix.Projection == types.ProjectionTypeInclude {
		for _, k := range ix.NonKey {
			if v, ok := item[k]; ok {
				e[k] = v
			}
		}
	}
	return e
}

// Charge is capacity spent on one partition-key value of the table or of an
// index.
type Charge struct {
	Target string  // "table" or the index name
	Key    string  // the partition-key value
	Units  float64 // WCU or RCU
}

// TableTarget names the base table in a Charge.
const TableTarget = "table"

// Write prices writing one item: before is the item as it was (nil when
// new), after as it is (nil when deleted). The table is charged for the
// larger of the two; each index for the entries that appear, change or go.
func (s Schema) Write(before, after map[string]types.AttributeValue, transactional bool) []Charge {
	var out []Charge
	if before == nil && after == nil {
		return nil
	}
	size := max(ItemSize(before), ItemSize(after))
	key := keyString(before[s.PK])
	if after != nil {
		key = keyString(after[s.PK])
	}
	out = append(out, Charge{Target: TableTarget, Key: key, Units: WriteUnits(size, transactional)})
	for _, ix := range s.Indexes {
		b, a := s.Entry(ix, before), s.Entry(ix, after)
		switch {
		case b == nil && a == nil:
		case b == nil:
			out = append(out, Charge{ix.Name, keyString(a[ix.PK]), WriteUnits(ItemSize(a), transactional)})
		case a == nil:
			out = append(out, Charge{ix.Name, keyString(b[ix.PK]), WriteUnits(ItemSize(b), transactional)})
		case !sameKey(b, a, ix):
			out = append(out, Charge{ix.Name, keyString(b[ix.PK]), WriteUnits(ItemSize(b), transactional)})
			out = append(out, Charge{ix.Name, keyString(a[ix.PK]), WriteUnits(ItemSize(a), transactional)})
		case !equalItems(b, a):
			out = append(out, Charge{ix.Name, keyString(a[ix.PK]), WriteUnits(max(ItemSize(b), ItemSize(a)), transactional)})
		}
	}
	return out
}

func sameKey(a, b map[string]types.AttributeValue, ix Index) bool {
	return keyString(a[ix.PK]) == keyString(b[ix.PK]) && keyString(a[ix.SK]) == keyString(b[ix.SK])
}

func keyString(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	case *types.AttributeValueMemberB:
		return string(v.Value)
	}
	return ""
}

func equalItems(a, b map[string]types.AttributeValue) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !equalValue(v, w) {
			return false
		}
	}
	return true
}

func equalValue(a, b types.AttributeValue) bool {
	switch x := a.(type) {
	case *types.AttributeValueMemberS:
		y, ok := b.(*types.AttributeValueMemberS)
		return ok && x.Value == y.Value
	case *types.AttributeValueMemberN:
		y, ok := b.(*types.AttributeValueMemberN)
		return ok && x.Value == y.Value
	case *types.AttributeValueMemberBOOL:
		y, ok := b.(*types.AttributeValueMemberBOOL)
		return ok && x.Value == y.Value
	case *types.AttributeValueMemberNULL:
		_, ok := b.(*types.AttributeValueMemberNULL)
		return ok
	case *types.AttributeValueMemberB:
		y, ok := b.(*types.AttributeValueMemberB)
		return ok && string(x.Value) == string(y.Value)
	case *types.AttributeValueMemberL:
		y, ok := b.(*types.AttributeValueMemberL)
		if !ok || len(x.Value) != len(y.Value) {
			return false
		}
		for i := range x.Value {
			if !equalValue(x.Value[i], y.Value[i]) {
				return false
			}
		}
		return true
	case *types.AttributeValueMemberM:
		y, ok := b.(*types.AttributeValueMemberM)
		return ok && equalItems(x.Value, y.Value)
	case *types.AttributeValueMemberSS:
		y, ok := b.(*types.AttributeValueMemberSS)
		return ok && equalStrings(x.Value, y.Value)
	case *types.AttributeValueMemberNS:
		y, ok := b.(*types.AttributeValueMemberNS)
		return ok && equalStrings(x.Value, y.Value)
	}
	return false
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, s := range a {
		seen[s]++
	}
	for _, s := range b {
		if seen[s] == 0 {
			return false
		}
		seen[s]--
	}
	return true
}
