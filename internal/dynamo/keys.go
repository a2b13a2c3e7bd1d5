package dynamo

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/lead"
)

// Sort-key constants and prefixes.
const (
	skAccount = "ACCOUNT"
	skSite    = "SITE#"
	skUser    = "USER#"
	skSiteKey = "SITEKEY"
	skMeta    = "META"
	skNote    = "NOTE#"
	skEvent   = "EVT#"
	skMsg     = "MSG#"
	skKey     = "KEY"
)

// msgTimeLayout is fixed width so string order is time order.
const msgTimeLayout = "2006-01-02T15:04:05.000Z"

// createdLayout is fixed width (nanoseconds) for the list indexes' created
// order; RFC3339Nano trims trailing zeros and would not sort as a string.
const createdLayout = "2006-01-02T15:04:05.000000000Z"

func tenantPK(tenant string) string { return "T#" + tenant }

func leadPK(tenant, leadID string) string { return "T#" + tenant + "#LEAD#" + leadID }

func createdSK(created time.Time, leadID string) string {
	return created.UTC().Format(createdLayout) + "#" + leadID
}

func identityPK(tenant string, k lead.IdentityKey) string {
	return "T#" + tenant + "#KEY#" + k.Kind + "#" + k.Value
}

func siteKeyPK(key string) string { return "SITEKEY#" + key }

// messageKey returns the deterministic sort key and id of a conversation
// message: the same speaker, text and time always give the same item.
func messageKey(m lead.Message) (sk, id string) {
	at := m.At.UTC()
	sum := sha256.Sum256([]byte(string(m.From) + "|" + m.Text + "|" + at.Format(time.RFC3339Nano)))
	h := hex.EncodeToString(sum[:])[:12]
	return skMsg + at.Format(msgTimeLayout) + "#" + h, lead.PrefixMessage + h
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: s(pk), AttrSK: s(sk)}
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func jsonTags(o *attributevalue.EncoderOptions) { o.TagKey = "json" }

func jsonTagsDec(o *attributevalue.DecoderOptions) { o.TagKey = "json" }

// item marshals v through its json tags and adds the given key attributes.
func item(v any, pk, sk string, extra ...string) (map[string]types.AttributeValue, error) {
	m, err := attributevalue.MarshalMapWithOptions(v, jsonTags)
	if err != nil {
		return nil, err
	}
	m[AttrPK] = s(pk)
	m[AttrSK] = s(sk)
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = s(extra[i+1])
	}
	return m, nil
}

func unmarshal(m map[string]types.AttributeValue, v any) error {
	return attributevalue.UnmarshalMapWithOptions(m, v, jsonTagsDec)
}

func str(m map[string]types.AttributeValue, name string) string {
	if v, ok := m[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func num(m map[string]types.AttributeValue, name string) int64 {
	if v, ok := m[name].(*types.AttributeValueMemberN); ok {
		i, _ := strconv.ParseInt(v.Value, 10, 64)
		return i
	}
	return 0
}

// Cursors are opaque to clients: base64url JSON of the last sort key seen.
type cursor struct {
	SK string `json:"sk"`
}

func encodeCursor(sk string) string {
	b, _ := json.Marshal(cursor{SK: sk})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c, prefix string) (string, error) {
	bad := func() error {
		e := &lead.InvalidError{}
		e.Add("cursor", "invalid", "cursor is malformed or belongs to another list")
		return e
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", bad()
	}
	var cur cursor
	if err := json.Unmarshal(b, &cur); err != nil || !strings.HasPrefix(cur.SK, prefix) || len(cur.SK) == len(prefix) {
		return "", bad()
	}
	return cur.SK, nil
}
