package capacity

import (
	"context"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// Meter is an SDK middleware that prices every request of the client it is
// added to (dynamodb.Options.APIOptions) and files the charges under the
// operation that is running (Start). It reads the items a write touches
// before and after the write, and re-reads what a query read, through raw,
// an unmetered client of the same endpoint; so it is for benchmarks only.
//
// Requests run one operation at a time: everything between Start and the
// next Start belongs to that operation.
type Meter struct {
	raw    *dynamodb.Client
	table  string
	schema Schema

	mu  sync.Mutex
	cur string
	ops map[string]*opStats
}

type opStats struct {
	runs     int
	wcu, rcu float64
	tableWCU float64
	keys     map[string]float64      // "target\x00key" -> units (WCU and RCU apart: see keyOf)
	touched  map[string]map[int]bool // same keys -> the runs that touched them
	calls    int
}

// NewMeter meters requests to table, whose schema is s.
func NewMeter(raw *dynamodb.Client, table string, s Schema) *Meter {
	return &Meter{raw: raw, table: table, schema: s, ops: map[string]*opStats{}}
}

// Start files everything from now on under op, counting one more run of it.
// An empty op stops metering.
func (m *Meter) Start(op string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cur = op
	if op == "" {
		return
	}
	st := m.ops[op]
	if st == nil {
		st = &opStats{keys: map[string]float64{}, touched: map[string]map[int]bool{}}
		m.ops[op] = st
	}
	st.runs++
}

// AddTo adds the meter to a client's middleware stack.
func (m *Meter) AddTo(st *middleware.Stack) error {
	return st.Initialize.Add(middleware.InitializeMiddlewareFunc("capacity.Meter", m.handle), middleware.After)
}

func (m *Meter) current() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cur
}

func (m *Meter) handle(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	if m.current() == "" {
		return next.HandleInitialize(ctx, in)
	}
	var writes []write
	switch v := in.Parameters.(type) {
	case *dynamodb.PutItemInput:
		writes = []write{{key: m.keyOf(v.Item)}}
	case *dynamodb.UpdateItemInput:
		writes = []write{{key: v.Key}}
	case *dynamodb.DeleteItemInput:
		writes = []write{{key: v.Key}}
	case *dynamodb.TransactWriteItemsInput:
		for _, it := range v.TransactItems {
			switch {
			case it.Put != nil:
				writes = append(writes, write{key: m.keyOf(it.Put.Item), tx: true})
			case it.Update != nil:
				writes = append(writes, write{key: it.Update.Key, tx: true})
			case it.Delete != nil:
				writes = append(writes, write{key: it.Delete.Key, tx: true})
			case it.ConditionCheck != nil:
				writes = append(writes, write{key: it.ConditionCheck.Key, tx: true, check: true})
			}
		}
	case *dynamodb.BatchWriteItemInput:
		for _, reqs := range v.RequestItems {
			for _, r := range reqs {
				if r.PutRequest != nil {
					writes = append(writes, write{key: m.keyOf(r.PutRequest.Item)})
				} else if r.DeleteRequest != nil {
					writes = append(writes, write{key: r.DeleteRequest.Key})
				}
			}
		}
	}
	for i := range writes {
		writes[i].before = m.get(ctx, writes[i].key)
	}
	out, md, err := next.HandleInitialize(ctx, in)
	if err != nil {
		return out, md, err // a refused request is not priced (see BENCHMARKS.md)
	}
	var charges []Charge
	for _, w := range writes {
		if w.check {
			charges = append(charges, Charge{TableTarget, keyString(w.key[m.schema.PK]), WriteUnits(ItemSize(w.before), true)})
			continue
		}
		charges = append(charges, m.schema.Write(w.before, m.get(ctx, w.key), w.tx)...)
	}
	charges = append(charges, m.reads(ctx, in.Parameters, out.Result)...)
	m.file(charges, len(writes) > 0)
	return out, md, err
}

type write struct {
	key    map[string]types.AttributeValue
	before map[string]types.AttributeValue
	tx     bool
	check  bool
}

func (m *Meter) keyOf(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	k := map[string]types.AttributeValue{m.schema.PK: item[m.schema.PK]}
	if m.schema.SK != "" {
		k[m.schema.SK] = item[m.schema.SK]
	}
	return k
}

func (m *Meter) get(ctx context.Context, key map[string]types.AttributeValue) map[string]types.AttributeValue {
	out, err := m.raw.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(m.table), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil || len(out.Item) == 0 {
		return nil
	}
	return out.Item
}

// reads prices a read request from what it read in full.
func (m *Meter) reads(ctx context.Context, params, result any) []Charge {
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		item := m.get(ctx, in.Key) // the whole item, whatever was projected
		return []Charge{{TableTarget, keyString(in.Key[m.schema.PK]), ReadUnits(ItemSize(item), consistency(in.ConsistentRead))}}
	case *dynamodb.BatchGetItemInput:
		var out []Charge
		for _, ka := range in.RequestItems {
			for _, k := range ka.Keys {
				item := m.get(ctx, k)
				if item != nil {
					out = append(out, Charge{TableTarget, keyString(k[m.schema.PK]), ReadUnits(ItemSize(item), consistency(ka.ConsistentRead))})
				}
			}
		}
		return out
	case *dynamodb.TransactGetItemsInput:
		var out []Charge
		for _, g := range in.TransactItems {
			if g.Get != nil {
				out = append(out, Charge{TableTarget, keyString(g.Get.Key[m.schema.PK]), ReadUnits(ItemSize(m.get(ctx, g.Get.Key)), Transactional)})
			}
		}
		return out
	case *dynamodb.QueryInput:
		return m.query(ctx, in)
	}
	return nil
}

var exprToken = regexp.MustCompile(`[#:][A-Za-z0-9_]+`)

// query re-runs a Query without its projection and filter, with the same key
// condition, page size and start key: the items DynamoDB read and billed.
func (m *Meter) query(ctx context.Context, in *dynamodb.QueryInput) []Charge {
	q := &dynamodb.QueryInput{
		TableName: in.TableName, IndexName: in.IndexName, KeyConditionExpression: in.KeyConditionExpression,
		Limit: in.Limit, ExclusiveStartKey: in.ExclusiveStartKey, ScanIndexForward: in.ScanIndexForward,
		ConsistentRead: in.ConsistentRead,
	}
	used := map[string]bool{}
	for _, t := range exprToken.FindAllString(aws.ToString(in.KeyConditionExpression), -1) {
		used[t] = true
	}
	for k, v := range in.ExpressionAttributeNames {
		if used[k] {
			if q.ExpressionAttributeNames == nil {
				q.ExpressionAttributeNames = map[string]string{}
			}
			q.ExpressionAttributeNames[k] = v
		}
	}
	for k, v := range in.ExpressionAttributeValues {
		if used[k] {
			if q.ExpressionAttributeValues == nil {
				q.ExpressionAttributeValues = map[string]types.AttributeValue{}
			}
			q.ExpressionAttributeValues[k] = v
		}
	}
	out, err := m.raw.Query(ctx, q)
	if err != nil {
		return nil
	}
	target, pkAttr := TableTarget, m.schema.PK
	var ix Index
	for _, x := range m.schema.Indexes {
		if x.Name == aws.ToString(in.IndexName) {
			target, pkAttr, ix = x.Name, x.PK, x
		}
	}
	size, key := 0, ""
	for _, it := range out.Items {
		if target != TableTarget {
			it = m.schema.Entry(ix, it)
		}
		size += ItemSize(it)
		key = keyString(it[pkAttr])
	}
	if key == "" {
		key = partitionValue(in, pkAttr)
	}
	return []Charge{{target, key, ReadUnits(size, consistency(in.ConsistentRead))}}
}

// partitionValue finds the value a key condition binds the partition key to.
var eqToken = regexp.MustCompile(`([#A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)`)

func partitionValue(in *dynamodb.QueryInput, pkAttr string) string {
	for _, mm := range eqToken.FindAllStringSubmatch(aws.ToString(in.KeyConditionExpression), -1) {
		name := mm[1]
		if n, ok := in.ExpressionAttributeNames[name]; ok {
			name = n
		}
		if name == pkAttr {
			return keyString(in.ExpressionAttributeValues[mm[2]])
		}
	}
	return ""
}

func consistency(consistent *bool) Consistency {
	if aws.ToBool(consistent) {
		return Strong
	}
	return Eventual
}

func (m *Meter) file(charges []Charge, isWrite bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.ops[m.cur]
	if st == nil {
		return
	}
	st.calls++
	for _, c := range charges {
		kind := "R"
		if isWrite {
			kind, st.wcu = "W", st.wcu+c.Units
			if c.Target == TableTarget {
				st.tableWCU += c.Units
			}
		} else {
			st.rcu += c.Units
		}
		k := kind + "\x00" + c.Target + "\x00" + c.Key
		st.keys[k] += c.Units
		if st.touched[k] == nil {
			st.touched[k] = map[int]bool{}
		}
		st.touched[k][st.runs] = true
	}
}

// Op is what one operation costs on average per run.
type Op struct {
	Name     string
	Runs     int
	Requests float64 // DynamoDB requests per run
	WCU, RCU float64 // per run, all indexes included
	TableWCU float64 // per run, the base table alone (what DynamoDB Local reports)
	// Hottest is the partition key (table or index) that takes the most
	// units per run among the keys runs share: what bounds how many runs
	// one tenant can make per second. A key only one run touched (the new
	// lead's own partition) is not shared: another run writes another
	// lead's. A hash-sharded key (".../<n>", several n seen) counts as its
	// shards' average, the load each takes under a long stream of runs
	// (sampled: 10 runs can hash 7 of 10 leads to one of two shards).
	Hottest      HotKey
	HottestRead  HotKey
	HottestWrite HotKey
	// Own is the key one run alone spends the most on (its own lead's
	// partition), in units per run that touches it.
	Own HotKey
}

// HotKey is units per run on one partition-key value (for a sharded key,
// Key ends in "#<n shards>", n the shards seen, and Units is their average).
type HotKey struct {
	Target string
	Key    string
	Units  float64
}

// Per-key limits of DynamoDB, per second.
const (
	KeyWCUPerSecond = 1000
	KeyRCUPerSecond = 3000
)

// MaxRate is how many runs of the operation per second its hottest keys
// allow: 1,000 WCU/s and 3,000 RCU/s per partition-key value.
func (o Op) MaxRate() float64 {
	r := 0.0
	if o.HottestWrite.Units > 0 {
		r = KeyWCUPerSecond / o.HottestWrite.Units
	}
	if o.HottestRead.Units > 0 {
		rr := KeyRCUPerSecond / o.HottestRead.Units
		if r == 0 || rr < r {
			r = rr
		}
	}
	return r
}

// shardSuffix matches a key's trailing shard number.
var shardSuffix = regexp.MustCompile(`#([0-9]+)$`)

// Report lists every operation metered so far, by name.
func (m *Meter) Report() []Op {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Op
	for name, st := range m.ops {
		if st.runs == 0 {
			continue
		}
		n := float64(st.runs)
		o := Op{Name: name, Runs: st.runs, Requests: float64(st.calls) / n, WCU: st.wcu / n, RCU: st.rcu / n, TableWCU: st.tableWCU / n}
		type family struct {
			units  float64
			shards map[string]bool
			runs   map[int]bool
			top    HotKey // its key with the most units
		}
		families := map[string]*family{}
		for k, u := range st.keys {
			f, shard := k, ""
			if loc := shardSuffix.FindStringSubmatchIndex(k); loc != nil {
				f, shard = k[:loc[0]], k[loc[2]:loc[3]]
			}
			fam := families[f]
			if fam == nil {
				fam = &family{shards: map[string]bool{}, runs: map[int]bool{}}
				families[f] = fam
			}
			fam.units += u
			fam.shards[shard] = true
			for r := range st.touched[k] {
				fam.runs[r] = true
			}
			if parts := splitKey(k); u > fam.top.Units {
				fam.top = HotKey{Target: parts[1], Key: parts[2], Units: u}
			}
		}
		for f, fam := range families {
			parts := splitKey(f)
			kind, target, key := parts[0], parts[1], parts[2]
			if st.runs > 1 && len(fam.runs) == 1 {
				// One run's own key: another run writes another one.
				if kind == "W" && fam.top.Units > o.Own.Units {
					o.Own = fam.top
				}
				continue
			}
			shards := len(fam.shards)
			if shards > 1 {
				key += "#<" + strconv.Itoa(shards) + " shards>"
			} else {
				for sh := range fam.shards {
					if sh != "" {
						key += "#" + sh
					}
				}
			}
			h := HotKey{Target: target, Key: key, Units: fam.units / float64(shards) / n}
			if kind == "W" && h.Units > o.HottestWrite.Units {
				o.HottestWrite = h
			}
			if kind == "R" && h.Units > o.HottestRead.Units {
				o.HottestRead = h
			}
		}
		o.Hottest = o.HottestWrite
		if o.HottestRead.Units/KeyRCUPerSecond > o.HottestWrite.Units/KeyWCUPerSecond {
			o.Hottest = o.HottestRead
		}
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func splitKey(k string) []string { return strings.SplitN(k, "\x00", 3) }

// Breakdown lists the write units per run of operation op by key ("target
// key"), largest first: where an operation's cost goes.
func (m *Meter) Breakdown(op string) []HotKey {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.ops[op]
	if st == nil || st.runs == 0 {
		return nil
	}
	var out []HotKey
	for k, u := range st.keys {
		if parts := splitKey(k); parts[0] == "W" {
			out = append(out, HotKey{Target: parts[1], Key: parts[2], Units: u / float64(st.runs)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Units > out[j].Units })
	return out
}
