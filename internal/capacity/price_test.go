package capacity_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/capacity"
)

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

// The examples of the DynamoDB Developer Guide, "DynamoDB item sizes and
// formats" and "DynamoDB read and write operations".
func TestItemSizeFollowsTheDocumentedRules(t *testing.T) {
	cases := []struct {
		name string
		item map[string]types.AttributeValue
		want int
	}{
		{"string: name + UTF-8 bytes", map[string]types.AttributeValue{"name": s("Olá")}, 4 + 4},
		{"number: one byte per two significant digits plus one", map[string]types.AttributeValue{"n": n("12345")}, 1 + 3 + 1},
		{"leading and trailing zeroes trimmed", map[string]types.AttributeValue{"n": n("-000120.500")}, 1 + 2 + 1},
		{"boolean and null: one byte", map[string]types.AttributeValue{"ok": &types.AttributeValueMemberBOOL{Value: true}, "z": &types.AttributeValueMemberNULL{Value: true}}, 2 + 1 + 1 + 1},
		{"binary: raw bytes", map[string]types.AttributeValue{"b": &types.AttributeValueMemberB{Value: []byte{1, 2, 3}}}, 1 + 3},
		{"empty map: 3 bytes", map[string]types.AttributeValue{"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}}, 1 + 3},
		{"list: 3 bytes + elements + 1 byte each", map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("ab"), s("c")}}}, 1 + 3 + (2 + 1) + (1 + 1)},
		{"map: 3 bytes + names and values + 1 byte each", map[string]types.AttributeValue{"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": s("v")}}}, 1 + 3 + (1 + 1 + 1)},
		{"string set: its members", map[string]types.AttributeValue{"ss": &types.AttributeValueMemberSS{Value: []string{"a", "bc"}}}, 2 + 3},
	}
	for _, c := range cases {
		if got := capacity.ItemSize(c.item); got != c.want {
			t.Errorf("%s: size %d, want %d", c.name, got, c.want)
		}
	}
}

func TestReadAndWriteUnitsMatchTheGuidesExamples(t *testing.T) {
	const kb = 1024
	check := func(what string, got, want float64) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %v units, want %v", what, got, want)
		}
	}
	// "reading a 3,500-byte item consumes the same throughput as reading a 4 KB item"
	check("3,500-byte strongly consistent read", capacity.ReadUnits(3500, capacity.Strong), 1)
	// "if your item size is 8 KB, you require 2 read units ... 1 ... eventually consistent ... 4 ... transactional"
	check("8 KB strong", capacity.ReadUnits(8*kb, capacity.Strong), 2)
	check("8 KB eventual", capacity.ReadUnits(8*kb, capacity.Eventual), 1)
	check("8 KB transactional", capacity.ReadUnits(8*kb, capacity.Transactional), 4)
	// "If you read a 10 KB item, DynamoDB rounds the item size to 12 KB."
	check("10 KB GetItem", capacity.ReadUnits(10*kb, capacity.Strong), 3)
	// BatchGetItem of 1.5 KB and 6.5 KB items: "12 KB (4 KB + 8 KB)", not 8 KB.
	check("BatchGetItem 1.5 KB + 6.5 KB", capacity.ItemReadUnits([]int{3 * kb / 2, 13 * kb / 2}, capacity.Strong), 3)
	// Query: the sum is rounded once: 1.5 KB + 6.5 KB = 8 KB.
	check("Query 1.5 KB + 6.5 KB", capacity.ReadUnits(3*kb/2+13*kb/2, capacity.Strong), 2)
	// "if your item size is 2 KB, you require 2 write units ... or 4 ... for a transactional write"
	check("2 KB write", capacity.WriteUnits(2*kb, false), 2)
	check("2 KB transactional write", capacity.WriteUnits(2*kb, true), 4)
	check("500-byte write rounds up to 1 KB", capacity.WriteUnits(500, false), 1)
	check("1,025-byte write", capacity.WriteUnits(1025, false), 2)
}

// "Provisioned throughput considerations for Global Secondary Indexes":
// one write when an entry appears, goes or its projected attributes change;
// two when its key changes; none when the item is in the index neither
// before nor after.
func TestIndexWritesFollowTheEntry(t *testing.T) {
	sc := capacity.Schema{PK: "PK", SK: "SK", Indexes: []capacity.Index{
		{Name: "ALL", PK: "G1PK", SK: "G1SK", Projection: types.ProjectionTypeAll},
		{Name: "KEYS", PK: "G2PK", SK: "G2SK", Projection: types.ProjectionTypeKeysOnly},
	}}
	base := func(extra map[string]types.AttributeValue) map[string]types.AttributeValue {
		it := map[string]types.AttributeValue{"PK": s("T#t#LEAD#1"), "SK": s("META"), "name": s("Ana")}
		for k, v := range extra {
			it[k] = v
		}
		return it
	}
	indexed := map[string]types.AttributeValue{"G1PK": s("T#t#ALL"), "G1SK": s("1")}
	count := func(ch []capacity.Charge, target string) (int, float64) {
		c, u := 0, 0.0
		for _, x := range ch {
			if x.Target == target {
				c++
				u += x.Units
			}
		}
		return c, u
	}
	// New item in the index: table + one index put.
	ch := sc.Write(nil, base(indexed), false)
	if c, _ := count(ch, "ALL"); c != 1 {
		t.Errorf("new indexed item: %d writes to ALL, want 1 (%v)", c, ch)
	}
	if c, _ := count(ch, "KEYS"); c != 0 {
		t.Errorf("item without KEYS's key attributes: %d writes to KEYS, want 0", c)
	}
	// Projected attribute changed, key the same: one write.
	after := base(indexed)
	after["name"] = s("Ana Souza")
	if c, _ := count(sc.Write(base(indexed), after, false), "ALL"); c != 1 {
		t.Errorf("projected change: want 1 index write")
	}
	// Nothing changed in the entry: no index write (the table still pays).
	ch = sc.Write(base(indexed), base(indexed), false)
	if c, _ := count(ch, "ALL"); c != 0 {
		t.Errorf("unchanged entry: want no index write, got %v", ch)
	}
	if c, _ := count(ch, capacity.TableTarget); c != 1 {
		t.Errorf("unchanged item: the table write is still billed")
	}
	// Key changed: a delete and a put, on the old and the new partition.
	moved := base(map[string]types.AttributeValue{"G1PK": s("T#t#OTHER"), "G1SK": s("1")})
	ch = sc.Write(base(indexed), moved, true)
	if c, u := count(ch, "ALL"); c != 2 || u != 4 {
		t.Errorf("key change in a transaction: %d writes, %v units, want 2 and 4 (%v)", c, u, ch)
	}
	// Index attribute removed: one delete.
	if c, _ := count(sc.Write(base(indexed), base(nil), false), "ALL"); c != 1 {
		t.Errorf("leaving the index: want 1 write")
	}
	// A KEYS_ONLY entry is small whatever the item's size.
	big := base(map[string]types.AttributeValue{"G2PK": s("T#t#K"), "G2SK": s("k"), "blob": s(strings.Repeat("x", 5000))})
	for _, c := range sc.Write(nil, big, false) {
		if c.Target == "KEYS" && c.Units != 1 {
			t.Errorf("KEYS_ONLY entry of a 5 KB item: %v units, want 1", c.Units)
		}
		if c.Target == capacity.TableTarget && c.Units != 5 {
			t.Errorf("5 KB table write: %v units, want 5", c.Units)
		}
	}
}
