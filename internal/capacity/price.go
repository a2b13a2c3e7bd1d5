// Package capacity prices DynamoDB requests the way DynamoDB bills them and
// attributes every unit to the partition-key value it lands on, on the table
// and on each global secondary index. DynamoDB Local reports consumed
// capacity only for the base table, and not per key; `make bench` uses this
// package (through Meter, an SDK middleware) to build the capacity model in
// BENCHMARKS.md.
//
// The rules, from the DynamoDB Developer Guide ("DynamoDB item sizes and
// formats", "DynamoDB read and write operations", "Provisioned throughput
// considerations for Global Secondary Indexes"):
//   - an item's size is the sum of its attribute names and values: strings
//     and binaries by their bytes, numbers about one byte per two significant
//     digits plus one, booleans and nulls one byte, lists and maps three bytes
//     plus their elements plus one byte per element;
//   - a write costs one unit per 1 KB of the larger of the item before and
//     after (rounded up), twice that inside a transaction; a delete costs the
//     deleted item's size;
//   - a global secondary index is written when the item is or was in it: one
//     write of the projected entry when the entry appears, disappears or its
//     projected attributes change, two (a delete and a put) when its key
//     changes;
//   - a read costs one unit per 4 KB, half for an eventually consistent read,
//     twice inside a transaction; GetItem and BatchGetItem round each item,
//     Query and Scan round the sum of the items they read.
//
// The package imports the AWS SDK's types for attribute values; it is an
// adapter-side measuring tool, not domain code.
package capacity

import (
	"math"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Units of work per capacity unit.
const (
	WriteUnitBytes = 1024
	ReadUnitBytes  = 4096
)

// ItemSize is the size DynamoDB gives an item.
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += valueSize(e) + 1
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += len(k) + valueSize(e) + 1
		}
		return n
	}
	return 0
}

// numberSize is one byte per two significant digits, plus one byte.
func numberSize(s string) int {
	s = strings.TrimLeft(s, "+-")
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	digits := strings.ReplaceAll(s, ".", "")
	digits = strings.TrimLeft(digits, "0")
	digits = strings.TrimRight(digits, "0")
	sig := utf8.RuneCountInString(digits)
	return (sig+1)/2 + 1
}

// WriteUnits is what writing an item of the given size costs (at least 1).
func WriteUnits(size int, transactional bool) float64 {
	u := math.Max(1, math.Ceil(float64(size)/WriteUnitBytes))
	if transactional {
		u *= 2
	}
	return u
}

// Consistency is how a read is made.
type Consistency int

const (
	Eventual Consistency = iota
	Strong
	Transactional
)

// ReadUnits is what reading the given number of bytes costs, rounded up to
// 4 KB once (at least one 4 KB block).
func ReadUnits(size int, c Consistency) float64 {
	blocks := math.Max(1, math.Ceil(float64(size)/ReadUnitBytes))
	switch c {
	case Strong:
		return blocks
	case Transactional:
		return 2 * blocks
	}
	return blocks / 2
}

// ItemReadUnits is what GetItem/BatchGetItem charge for items of these sizes:
// each item rounded on its own.
func ItemReadUnits(sizes []int, c Consistency) float64 {
	u := 0.0
	for _, s := range sizes {
		u += ReadUnits(s, c)
	}
	return u
}
