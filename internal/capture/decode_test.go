package capture

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/leadflow/leadflow/internal/lead"
)

func TestDecodeJSONErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"not JSON", `{"contact":`, []string{"body=invalid"}},
		{"trailing garbage", `{} {}`, []string{"body=invalid"}},
		{"empty body", ``, []string{"body=invalid"}},
		{"array body", `[1,2]`, []string{"body=invalid_type"}},
		{"string body", `"hi"`, []string{"body=invalid_type"}},
		{"wrong scalar types", `{"source": 1, "external_id": true, "contact": {"email": 42, "phone": ["x"], "name": {}}}`,
			[]string{"contact.email=invalid_type", "contact.name=invalid_type", "contact.phone=invalid_type",
				"external_id=invalid_type", "source=invalid_type"}},
		{"contact not an object", `{"contact": "ana@example.com"}`, []string{"contact=invalid_type"}},
		{"navigation not an object", `{"navigation": []}`, []string{"navigation=invalid_type"}},
		{"navigation field types", `{"navigation": {"page_url": 1, "first_contact_at": 1700000000, "fbclid": false}}`,
			[]string{"navigation.fbclid=invalid_type", "navigation.first_contact_at=invalid_type", "navigation.page_url=invalid_type"}},
		{"conversation not an array", `{"conversation": {"from": "bot"}}`, []string{"conversation=invalid_type"}},
		{"conversation items", `{"conversation": [{"from":"bot","text":"hi"}, "hi", null, {"from":"bot","text":"x","at":1700000000}, {"text": 5}]}`,
			[]string{"conversation[1]=invalid_type", "conversation[2]=invalid_type", "conversation[3].at=invalid_type",
				"conversation[4].text=invalid_type"}},
		{"attributes not an object", `{"contact": {"attributes": ["a"]}}`, []string{"contact.attributes=invalid_type"}},
		{"invalid UTF-8 in a string", "{\"contact\": {\"name\": \"Ana\xff\"}}", []string{"contact.name=invalid"}},
		{"invalid UTF-8 in an attribute", "{\"contact\": {\"attributes\": {\"k\": \"\xc3\"}}}", []string{"contact.attributes.k=invalid"}},
		{"invalid UTF-8 in an attribute name", "{\"contact\": {\"attributes\": {\"k\xff\": \"v\"}}}", []string{"contact.attributes=invalid"}},
		{"lone surrogate escape", `{"conversation": [{"from": "bot", "text": "a\ud800b"}]}`, []string{"conversation[0].text=invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := DecodeJSON([]byte(tt.body))
			if err == nil {
				t.Fatalf("no error; request %+v", req)
			}
			if got := fieldCodes(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("errors\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestDecodeJSONLenient(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Request
	}{
		{"null body", `null`, Request{}},
		{"empty object", `{}`, Request{}},
		{"nulls everywhere", `{"source": null, "contact": null, "navigation": null, "conversation": null}`, Request{}},
		{"null fields", `{"contact": {"email": null, "attributes": null}, "navigation": {"fbclid": null}}`, Request{}},
		{"unknown fields ignored, keys are case-sensitive", `{"Source": "form", "contact": {"EMAIL": "x", "email": "a@b.co", "extra": [1]}, "v2": {"a": 1}}`,
			Request{Contact: RequestContact{Email: "a@b.co"}}},
		{"escaped replacement character is kept", `{"contact": {"name": "a\ufffdb \uFFFD �"}}`,
			Request{Contact: RequestContact{Name: "a\ufffdb \ufffd \ufffd"}}},
		{"valid surrogate pair", `{"contact": {"name": "\ud83d\ude00"}}`, Request{Contact: RequestContact{Name: "😀"}}},
		{"attribute kinds", `{"contact": {"attributes": {"s": "x", "n": 12.50, "b": true, "z": null, "o": {"a": 1}, "a": [1]}}}`,
			Request{Contact: RequestContact{Attributes: map[string]any{
				"s": "x", "n": json.Number("12.50"), "b": true, "z": nil,
				"o": map[string]any{"a": json.Number("1")}, "a": []any{json.Number("1")},
			}}}},
		{"conversation", `{"conversation": [{"from": "bot", "text": "hi", "at": "2026-11-20T14:03:01Z", "id": "ignored"}, {}]}`,
			Request{Conversation: []RequestMessage{{From: "bot", Text: "hi", At: "2026-11-20T14:03:01Z"}, {}}}},
		{"empty conversation", `{"conversation": []}`, Request{Conversation: []RequestMessage{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeJSON([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

// The api.md example decodes into the documented fields.
func TestDecodeJSONAPIExample(t *testing.T) {
	body := `{
	  "source": "chatbot", "external_id": "conv-8f2c",
	  "contact": {"name": "Ana Souza", "email": "ana@example.com", "phone": "+55 11 91234-5678",
	    "whatsapp": "+5511912345678", "cpf": "529.982.247-25", "attributes": {"company": "Acme", "budget": "10k"}},
	  "navigation": {"page_url": "https://shop.example.com/pricing?utm_source=google&utm_medium=cpc&utm_campaign=bf2026",
	    "landing_url": "https://shop.example.com/?gclid=abc", "referrer": "https://www.google.com/",
	    "utm_source": "google", "utm_medium": "cpc", "utm_campaign": "bf2026", "utm_term": "crm", "utm_content": "ad-1",
	    "gclid": "abc", "fbclid": null, "first_contact_at": "2026-11-20T14:03:00Z",
	    "user_agent": "Mozilla/5.0 ...", "locale": "pt-BR"},
	  "conversation": [
	    {"from": "bot", "text": "Olá! Como posso ajudar?", "at": "2026-11-20T14:03:01Z"},
	    {"from": "visitor", "text": "Quero um orçamento", "at": "2026-11-20T14:03:09Z"}]
	}`
	req, err := DecodeJSON([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := Request{
		Source: "chatbot", ExternalID: "conv-8f2c",
		Contact: RequestContact{Name: "Ana Souza", Email: "ana@example.com", Phone: "+55 11 91234-5678",
			WhatsApp: "+5511912345678", CPF: "529.982.247-25", Attributes: map[string]any{"company": "Acme", "budget": "10k"}},
		Navigation: RequestNavigation{
			PageURL:    "https://shop.example.com/pricing?utm_source=google&utm_medium=cpc&utm_campaign=bf2026",
			LandingURL: "https://shop.example.com/?gclid=abc", Referrer: "https://www.google.com/",
			UTMSource: "google", UTMMedium: "cpc", UTMCampaign: "bf2026", UTMTerm: "crm", UTMContent: "ad-1",
			GCLID: "abc", FirstContactAt: "2026-11-20T14:03:00Z", UserAgent: "Mozilla/5.0 ...", Locale: "pt-BR",
		},
		Conversation: []RequestMessage{
			{From: "bot", Text: "Olá! Como posso ajudar?", At: "2026-11-20T14:03:01Z"},
			{From: "visitor", Text: "Quero um orçamento", At: "2026-11-20T14:03:09Z"},
		},
	}
	if !reflect.DeepEqual(req, want) {
		t.Errorf("got  %#v\nwant %#v", req, want)
	}
	if _, err := Normalize(testSite, req, testMeta); err != nil {
		t.Errorf("Normalize: %v", err)
	}
}

func TestFromForm(t *testing.T) {
	v := url.Values{
		"name":         {"Ana Souza"},
		"email":        {"", "ana@example.com"},
		"phone":        {"(11) 91234-5678"},
		"whatsapp":     {"11912345678"},
		"cpf":          {"529.982.247-25"},
		"external_id":  {"form-1"},
		"utm_source":   {"newsletter"},
		"utm_medium":   {"email"},
		"utm_campaign": {"nov"},
		"utm_term":     {"crm"},
		"utm_content":  {"footer"},
		"gclid":        {"g1"},
		"fbclid":       {"f1"},
		"page_url":     {"https://s.example/contato"},
		"landing_url":  {"https://s.example/?utm_source=ignored"},
		"referrer":     {"https://www.google.com/"},
		"company":      {" Acme "},
		"interests":    {"crm", "", "erp"},
		"empty":        {"", "  "},
		"_hp":          {""},
		"_redirect":    {" https://s.example/obrigado "},
		"_csrf":        {"token"},
		"utm_id":       {"123"},
	}
	req, hp, redirect := FromForm(v)
	if hp {
		t.Error("empty _hp reported as honeypot")
	}
	if redirect != "https://s.example/obrigado" {
		t.Errorf("redirect %q", redirect)
	}
	want := Request{
		Source: "form", ExternalID: "form-1",
		Contact: RequestContact{
			Name: "Ana Souza", Email: "ana@example.com", Phone: "(11) 91234-5678", WhatsApp: "11912345678", CPF: "529.982.247-25",
			Attributes: map[string]any{"company": "Acme", "interests": "crm, erp", "utm_id": "123"},
		},
		Navigation: RequestNavigation{
			PageURL: "https://s.example/contato", LandingURL: "https://s.example/?utm_source=ignored",
			Referrer: "https://www.google.com/", UTMSource: "newsletter", UTMMedium: "email", UTMCampaign: "nov",
			UTMTerm: "crm", UTMContent: "footer", GCLID: "g1", FBCLID: "f1",
		},
	}
	if !reflect.DeepEqual(req, want) {
		t.Errorf("got  %#v\nwant %#v", req, want)
	}
	c, err := Normalize(testSite, req, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	if c.Touch.EntryMethod != lead.EntryForm || c.Contact.WhatsApp != "+5511912345678" || c.Touch.UTMSource != "newsletter" {
		t.Errorf("capture %+v", c)
	}
}

func TestFromFormHoneypot(t *testing.T) {
	for _, tt := range []struct {
		v    url.Values
		want bool
	}{
		{url.Values{"email": {"a@b.co"}}, false},
		{url.Values{"_hp": {""}}, false},
		{url.Values{"_hp": {"  "}}, false},
		{url.Values{"_hp": {"bot was here"}}, true},
		{url.Values{"_hp": {"", "x"}}, true},
	} {
		req, hp, _ := FromForm(tt.v)
		if hp != tt.want {
			t.Errorf("FromForm(%v) honeypot = %v, want %v", tt.v, hp, tt.want)
		}
		if req.Source != "form" {
			t.Errorf("source %q", req.Source)
		}
		if _, ok := req.Contact.Attributes["_hp"]; ok {
			t.Error("_hp became an attribute")
		}
	}
}

// A form with an attribute name that does not fit the rules is refused by
// Normalize with the field named.
func TestFromFormBadAttributeName(t *testing.T) {
	req, _, _ := FromForm(url.Values{"email": {"a@b.co"}, "first name": {"Ana"}})
	_, err := Normalize(testSite, req, testMeta)
	if got := fieldCodes(t, err); !slices.Equal(got, []string{"contact.attributes.first name=invalid"}) {
		t.Errorf("errors %q", got)
	}
}

// checkDecodedNormalizes is the property both fuzz targets share: Normalize
// never panics and fails only with a *lead.InvalidError.
func checkDecodedNormalizes(t *testing.T, req Request) {
	c, err := Normalize(testSite, req, testMeta)
	if err != nil {
		var inv *lead.InvalidError
		if !errors.As(err, &inv) || len(inv.Errors) == 0 {
			t.Fatalf("Normalize error %v (%T) is not a non-empty *lead.InvalidError", err, err)
		}
		for _, e := range inv.Errors {
			if e.Field == "" || e.Code == "" || e.Detail == "" {
				t.Fatalf("incomplete field error %+v", e)
			}
		}
		return
	}
	if len(c.Keys()) == 0 {
		t.Fatalf("capture without identity key: %+v", c)
	}
	if len(c.Conversation) > MaxMessages || len(c.Contact.Attributes) > MaxAttributes {
		t.Fatalf("limits exceeded: %d messages, %d attributes", len(c.Conversation), len(c.Contact.Attributes))
	}
	for _, s := range []string{c.Name, c.ExternalID, c.Contact.Email, c.Touch.PageURL, c.Touch.UTMSource, c.Touch.GCLID} {
		if strings.ContainsFunc(s, unicode.IsControl) {
			t.Fatalf("control character left in %q", s)
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"contact": {"email": "ana@example.com"}}`))
	f.Add([]byte(`{"source": "chatbot", "contact": {"phone": "(11) 91234-5678", "attributes": {"a": 1, "b": [1]}}, "conversation": [{"from": "bot", "text": "oi"}]}`))
	f.Add([]byte(`{"navigation": {"page_url": "https://x.example/?utm_source=a&gclid=b"}, "external_id": "x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeJSON(body)
		if err != nil {
			var inv *lead.InvalidError
			if !errors.As(err, &inv) || len(inv.Errors) == 0 {
				t.Fatalf("DecodeJSON error %v (%T) is not a non-empty *lead.InvalidError", err, err)
			}
			return
		}
		checkDecodedNormalizes(t, req)
	})
}

func FuzzFromForm(f *testing.F) {
	f.Add("email=ana%40example.com&name=Ana&_hp=")
	f.Add("phone=%2811%29+91234-5678&company=Acme&utm_source=x&_redirect=https%3A%2F%2Fs.example%2F")
	f.Add("cpf=529.982.247-25&page_url=https%3A%2F%2Fs.example%2F%3Fgclid%3Dg&bad+key=%ff")
	f.Fuzz(func(t *testing.T, query string) {
		v, err := url.ParseQuery(query)
		if err != nil && len(v) == 0 {
			return
		}
		req, _, _ := FromForm(v)
		if req.Source != "form" {
			t.Fatalf("source %q", req.Source)
		}
		checkDecodedNormalizes(t, req)
	})
}
