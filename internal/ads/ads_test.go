package ads

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestIDKeepsSixtyFourBitNumbers(t *testing.T) {
	var v struct{ A, B, C ID }
	if err := json.Unmarshal([]byte(`{"A": 9223372036854775807, "B": " 123 ", "C": null}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != "9223372036854775807" || v.B != "123" || v.C != "" {
		t.Errorf("%+v", v)
	}
	if err := json.Unmarshal([]byte(`{"A": {}}`), &v); err == nil {
		t.Error("an object id was accepted")
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"object":"page"}`)
	sig := Sign("s3cret", body)
	if !VerifySignature("s3cret", body, sig) {
		t.Fatal("own signature rejected")
	}
	for _, bad := range []struct{ secret, header string }{
		{"other", sig}, {"", sig}, {"s3cret", strings.TrimPrefix(sig, "sha256=")},
		{"s3cret", "sha1=" + strings.TrimPrefix(sig, "sha256=")}, {"s3cret", "sha256=nothex"}, {"s3cret", sig[:len(sig)-2]},
	} {
		if VerifySignature(bad.secret, body, bad.header) {
			t.Errorf("accepted secret %q header %q", bad.secret, bad.header)
		}
	}
	if VerifySignature("s3cret", append(body, ' '), sig) {
		t.Error("accepted a changed body")
	}
}

func TestParseMetaNotificationSkipsOtherFields(t *testing.T) {
	changes, err := ParseMetaNotification([]byte(`{"object":"page","entry":[{"id":"1","time":1,"changes":[
		{"field":"feed","value":{"item":"post"}},
		{"field":"leadgen","value":{"leadgen_id":"7","page_id":1,"form_id":2}}]}]}`))
	if err != nil || len(changes) != 1 || changes[0].LeadgenID != "7" || changes[0].FormID != "2" {
		t.Fatalf("%+v %v", changes, err)
	}
	if _, err := ParseMetaNotification([]byte(`{"object":"instagram","entry":[]}`)); !errors.Is(err, ErrNotLeadgen) {
		t.Errorf("instagram object: %v", err)
	}
	if _, err := ParseMetaNotification([]byte(`{"object":"page","entry":[{"changes":[{"field":"leadgen","value":{}}]}]}`)); err == nil || errors.Is(err, ErrNotLeadgen) {
		t.Errorf("leadgen without id: %v", err)
	}
}
