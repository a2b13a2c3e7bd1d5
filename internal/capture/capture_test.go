package capture

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
)

var (
	testNow  = time.Date(2026, 11, 20, 14, 5, 0, 0, time.UTC)
	testSite = account.Site{ID: "site_1", TenantID: "t1", Country: "BR"}
	testMeta = Meta{
		IP: "203.0.113.7", UserAgent: "HeaderUA/1.0",
		Country: "BR", Region: "SP", City: "São Paulo", Now: testNow,
	}
)

// fieldCodes flattens an error into "field=code" strings, failing the test
// when err is not a *lead.InvalidError.
func fieldCodes(t *testing.T, err error) []string {
	t.Helper()
	var inv *lead.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("error %v (%T) is not a *lead.InvalidError", err, err)
	}
	var out []string
	for _, e := range inv.Errors {
		if e.Detail == "" {
			t.Errorf("field %s code %s has no detail", e.Field, e.Code)
		}
		out = append(out, e.Field+"="+e.Code)
	}
	return out
}

func TestNormalizeFullRequest(t *testing.T) {
	body := `{
	  "source": "chatbot",
	  "external_id": "conv-8f2c",
	  "contact": {
	    "name": "  Ana   Souza\t", "email": "Ana@Example.com",
	    "phone": "+55 11 91234-5678", "whatsapp": "(11) 91234-5678",
	    "cpf": "529.982.247-25",
	    "attributes": {"Company": "Acme", "budget": "10k", "seats": 12, "vip": true, "gone": null, "ratio": 1.5}
	  },
	  "navigation": {
	    "page_url": "https://shop.example.com/pricing?utm_source=google&utm_medium=cpc&utm_campaign=bf2026",
	    "landing_url": "https://shop.example.com/?gclid=abc",
	    "generated_at_url": "https://shop.example.com/pricing",
	    "referrer": "https://www.google.com/",
	    "utm_term": "crm", "utm_content": "ad-1",
	    "fbclid": null,
	    "first_contact_at": "2026-11-20T11:03:00-03:00",
	    "user_agent": "Mozilla/5.0 test", "locale": "pt-BR",
	    "ip": "6.6.6.6", "country": "US", "future_field": {"x": 1}
	  },
	  "conversation": [
	    {"from": "bot", "text": "Olá! Como posso ajudar?", "at": "2026-11-20T14:03:01Z"},
	    {"from": "visitor", "text": "Quero um\r\norçamento\u0007"}
	  ],
	  "unknown_top_level": [1, 2, 3]
	}`
	req, err := DecodeJSON([]byte(body))
	if err != nil {
		t.Fatalf("DecodeJSON: %v", err)
	}
	c, err := Normalize(testSite, req, testMeta)
	if err != nil {
		t.Fatalf("Normalize: %v", err)
	}
	first := time.Date(2026, 11, 20, 14, 3, 0, 0, time.UTC)
	want := lead.Capture{
		SiteID:     "site_1",
		ExternalID: "conv-8f2c",
		Name:       "Ana Souza",
		Contact: lead.Contact{
			Email: "ana@example.com", Phone: "+5511912345678", WhatsApp: "+5511912345678",
			CPF: "52998224725",
			Attributes: map[string]string{
				"company": "Acme", "budget": "10k", "seats": "12", "vip": "true", "ratio": "1.5",
			},
		},
		Touch: lead.Touch{
			At: testNow, EntryMethod: lead.EntryChatbot, SiteID: "site_1",
			PageURL:        "https://shop.example.com/pricing?utm_source=google&utm_medium=cpc&utm_campaign=bf2026",
			LandingURL:     "https://shop.example.com/?gclid=abc",
			GeneratedAtURL: "https://shop.example.com/pricing",
			Referrer:       "https://www.google.com/",
			UTMSource:      "google", UTMMedium: "cpc", UTMCampaign: "bf2026", UTMTerm: "crm", UTMContent: "ad-1",
			GCLID: "abc",
			IP:    "203.0.113.7", Country: "BR", Region: "SP", City: "São Paulo",
			UserAgent: "Mozilla/5.0 test", Locale: "pt-BR", FirstContactAt: &first,
		},
		Conversation: []lead.Message{
			{From: lead.SpeakerBot, Text: "Olá! Como posso ajudar?", At: time.Date(2026, 11, 20, 14, 3, 1, 0, time.UTC)},
			{From: lead.SpeakerVisitor, Text: "Quero um\norçamento", At: testNow},
		},
	}
	if !reflect.DeepEqual(c, want) {
		gj, _ := json.MarshalIndent(c, "", " ")
		wj, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("Normalize =\n%s\nwant\n%s", gj, wj)
	}
	if c.Touch.FirstContactAt.Location() != time.UTC {
		t.Errorf("first_contact_at not stored in UTC: %v", c.Touch.FirstContactAt)
	}
	for _, m := range c.Conversation {
		if m.ID != "" {
			t.Errorf("message id %q must be left to the store", m.ID)
		}
	}
}

// base returns a minimal valid request.
func base() Request {
	return Request{Contact: RequestContact{Email: "ana@example.com"}}
}

func TestNormalizeTouch(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Request, *Meta)
		check func(t *testing.T, tc lead.Touch)
	}{
		{"defaults", func(*Request, *Meta) {}, func(t *testing.T, tc lead.Touch) {
			if tc.EntryMethod != lead.EntryAPI || tc.At != testNow || tc.SiteID != "site_1" {
				t.Errorf("touch = %+v", tc)
			}
			if tc.UserAgent != "HeaderUA/1.0" {
				t.Errorf("user agent from meta: got %q", tc.UserAgent)
			}
			if tc.FirstContactAt != nil {
				t.Errorf("first_contact_at = %v, want nil", tc.FirstContactAt)
			}
		}},
		{"source form upper-case", func(r *Request, _ *Meta) { r.Source = " FORM " }, func(t *testing.T, tc lead.Touch) {
			if tc.EntryMethod != lead.EntryForm {
				t.Errorf("entry method %q", tc.EntryMethod)
			}
		}},
		{"trusted entry method overrides source", func(r *Request, m *Meta) {
			r.Source = "chatbot"
			m.EntryMethod = lead.EntryMetaLeadAds
		}, func(t *testing.T, tc lead.Touch) {
			if tc.EntryMethod != lead.EntryMetaLeadAds {
				t.Errorf("entry method %q", tc.EntryMethod)
			}
		}},
		{"body user agent wins over header", func(r *Request, _ *Meta) { r.Navigation.UserAgent = "BodyUA" }, func(t *testing.T, tc lead.Touch) {
			if tc.UserAgent != "BodyUA" {
				t.Errorf("user agent %q", tc.UserAgent)
			}
		}},
		{"meta values are cleaned and cut", func(_ *Request, m *Meta) {
			m.UserAgent = "UA\x00\xff" + strings.Repeat("x", 2000)
			m.City = " Rio\n"
		}, func(t *testing.T, tc lead.Touch) {
			if !strings.HasPrefix(tc.UserAgent, "UAxx") || len([]rune(tc.UserAgent)) != MaxUserAgentLen {
				t.Errorf("user agent %q...", tc.UserAgent[:10])
			}
			if tc.City != "Rio" {
				t.Errorf("city %q", tc.City)
			}
		}},
		{"zero meta.Now uses the clock", func(_ *Request, m *Meta) { m.Now = time.Time{} }, func(t *testing.T, tc lead.Touch) {
			if time.Since(tc.At) > time.Minute || tc.At.Location() != time.UTC {
				t.Errorf("at %v", tc.At)
			}
		}},
		{"first contact 4 minutes ahead is clock skew", func(r *Request, _ *Meta) {
			r.Navigation.FirstContactAt = testNow.Add(4 * time.Minute).Format(time.RFC3339)
		}, func(t *testing.T, tc lead.Touch) {
			if tc.FirstContactAt == nil || !tc.FirstContactAt.Equal(testNow.Add(4*time.Minute)) {
				t.Errorf("first contact %v", tc.FirstContactAt)
			}
		}},
		{"fractional seconds", func(r *Request, _ *Meta) { r.Navigation.FirstContactAt = "2026-11-20T14:00:00.123456Z" }, func(t *testing.T, tc lead.Touch) {
			if tc.FirstContactAt == nil || tc.FirstContactAt.Nanosecond() != 123456000 {
				t.Errorf("first contact %v", tc.FirstContactAt)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, meta := base(), testMeta
			tt.edit(&req, &meta)
			c, err := Normalize(testSite, req, meta)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c.Touch)
		})
	}
}

func TestUTMPrecedence(t *testing.T) {
	const (
		page    = "https://s.example/p?utm_source=page&utm_medium=page-medium&gclid=page-gclid"
		landing = "https://s.example/?utm_source=landing&utm_campaign=landing-campaign&gclid=landing-gclid&fbclid=landing-fb&utm_term=landing-term"
	)
	type utm struct{ Source, Medium, Campaign, Term, Content, GCLID, FBCLID string }
	tests := []struct {
		name string
		nav  RequestNavigation
		want utm
	}{
		{"body wins over both URLs",
			RequestNavigation{PageURL: page, LandingURL: landing, UTMSource: "body", GCLID: "body-gclid"},
			utm{"body", "page-medium", "landing-campaign", "landing-term", "", "body-gclid", "landing-fb"}},
		{"page_url before landing_url, field by field",
			RequestNavigation{PageURL: page, LandingURL: landing},
			utm{"page", "page-medium", "landing-campaign", "landing-term", "", "page-gclid", "landing-fb"}},
		{"landing_url only",
			RequestNavigation{LandingURL: landing},
			utm{"landing", "", "landing-campaign", "landing-term", "", "landing-gclid", "landing-fb"}},
		{"blank body value counts as missing",
			RequestNavigation{PageURL: page, UTMSource: "   "},
			utm{"page", "page-medium", "", "", "", "page-gclid", ""}},
		{"referrer and generated_at_url are not read",
			RequestNavigation{Referrer: page, GeneratedAtURL: landing},
			utm{}},
		{"nothing anywhere", RequestNavigation{}, utm{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := base()
			req.Navigation = tt.nav
			c, err := Normalize(testSite, req, testMeta)
			if err != nil {
				t.Fatal(err)
			}
			tc := c.Touch
			got := utm{tc.UTMSource, tc.UTMMedium, tc.UTMCampaign, tc.UTMTerm, tc.UTMContent, tc.GCLID, tc.FBCLID}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestNormalizeContactRules(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Request)
		check func(t *testing.T, c lead.Capture)
	}{
		{"name whitespace collapsed and controls stripped", func(r *Request) { r.Contact.Name = " Ana\u0000 \n de\tSouza  " }, func(t *testing.T, c lead.Capture) {
			if c.Name != "Ana de Souza" {
				t.Errorf("name %q", c.Name)
			}
		}},
		{"name of exactly 200 characters", func(r *Request) { r.Contact.Name = strings.Repeat("é", 200) }, func(t *testing.T, c lead.Capture) {
			if len([]rune(c.Name)) != 200 {
				t.Errorf("name length %d", len([]rune(c.Name)))
			}
		}},
		{"phone only, national BR format", func(r *Request) { *r = Request{Contact: RequestContact{Phone: "(11) 91234-5678"}} }, func(t *testing.T, c lead.Capture) {
			if c.Contact.Phone != "+5511912345678" {
				t.Errorf("phone %q", c.Contact.Phone)
			}
		}},
		{"whatsapp only", func(r *Request) { *r = Request{Contact: RequestContact{WhatsApp: "5511912345678"}} }, func(t *testing.T, c lead.Capture) {
			if c.Contact.WhatsApp != "+5511912345678" {
				t.Errorf("whatsapp %q", c.Contact.WhatsApp)
			}
		}},
		{"cnpj only", func(r *Request) { *r = Request{Contact: RequestContact{CPF: "11.222.333/0001-81"}} }, func(t *testing.T, c lead.Capture) {
			if c.Contact.CPF != "11222333000181" {
				t.Errorf("cpf %q", c.Contact.CPF)
			}
		}},
		{"external id only", func(r *Request) { *r = Request{ExternalID: " conv-1 "} }, func(t *testing.T, c lead.Capture) {
			if c.ExternalID != "conv-1" {
				t.Errorf("external id %q", c.ExternalID)
			}
		}},
		{"external id of 128 characters", func(r *Request) { r.ExternalID = strings.Repeat("ç", 128) }, func(t *testing.T, c lead.Capture) {
			if len([]rune(c.ExternalID)) != 128 {
				t.Errorf("external id length %d", len([]rune(c.ExternalID)))
			}
		}},
		{"exactly 50 attributes", func(r *Request) { r.Contact.Attributes = attrs(50) }, func(t *testing.T, c lead.Capture) {
			if len(c.Contact.Attributes) != 50 {
				t.Errorf("%d attributes", len(c.Contact.Attributes))
			}
		}},
		{"nulls do not count towards the limit", func(r *Request) {
			r.Contact.Attributes = attrs(50)
			r.Contact.Attributes["extra_null"] = nil
		}, func(t *testing.T, c lead.Capture) {
			if len(c.Contact.Attributes) != 50 {
				t.Errorf("%d attributes", len(c.Contact.Attributes))
			}
		}},
		{"attribute values stringified", func(r *Request) {
			r.Contact.Attributes = map[string]any{
				"n": json.Number("1e3"), "f": 2.50, "i": 7, "u": uint8(3), "b": false, "s": "  padded\x01 ",
				"empty": "", "nil": nil, "Key.With-Dots_1": "ok",
			}
		}, func(t *testing.T, c lead.Capture) {
			want := map[string]string{"n": "1e3", "f": "2.5", "i": "7", "u": "3", "b": "false", "s": "padded", "key.with-dots_1": "ok"}
			if !reflect.DeepEqual(c.Contact.Attributes, want) {
				t.Errorf("attributes %v", c.Contact.Attributes)
			}
		}},
		{"no attributes gives nil map", func(r *Request) { r.Contact.Attributes = map[string]any{"x": nil} }, func(t *testing.T, c lead.Capture) {
			if c.Contact.Attributes != nil {
				t.Errorf("attributes %v", c.Contact.Attributes)
			}
		}},
		{"attribute of 1024 characters", func(r *Request) { r.Contact.Attributes = map[string]any{"k": strings.Repeat("x", 1024)} }, func(t *testing.T, c lead.Capture) {
			if len(c.Contact.Attributes["k"]) != 1024 {
				t.Errorf("value length %d", len(c.Contact.Attributes["k"]))
			}
		}},
		{"exactly 50 messages, at defaulted", func(r *Request) { r.Conversation = msgs(50) }, func(t *testing.T, c lead.Capture) {
			if len(c.Conversation) != 50 || c.Conversation[0].At != testNow {
				t.Errorf("%d messages, first at %v", len(c.Conversation), c.Conversation[0].At)
			}
		}},
		{"message text keeps newlines and tabs", func(r *Request) {
			r.Conversation = []RequestMessage{{From: "Agent", Text: "  a\tb\r\nc\x1b[31m  ", At: "2026-11-20T14:00:00+02:00"}}
		}, func(t *testing.T, c lead.Capture) {
			m := c.Conversation[0]
			if m.From != lead.SpeakerAgent || m.Text != "a\tb\nc[31m" || m.At != time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC) {
				t.Errorf("message %+v", m)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := base()
			tt.edit(&req)
			c, err := Normalize(testSite, req, testMeta)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func attrs(n int) map[string]any {
	m := map[string]any{}
	for i := range n {
		m[fmt.Sprintf("k%02d", i)] = "v"
	}
	return m
}

func msgs(n int) []RequestMessage {
	out := make([]RequestMessage, n)
	for i := range out {
		out[i] = RequestMessage{From: "visitor", Text: fmt.Sprint("message ", i)}
	}
	return out
}

func TestNormalizeErrors(t *testing.T) {
	future := testNow.Add(6 * time.Minute).Format(time.RFC3339)
	tests := []struct {
		name string
		edit func(*Request, *Meta)
		want []string // field=code, in order
	}{
		{"no identity at all", func(r *Request, _ *Meta) { *r = Request{Contact: RequestContact{Name: "Ana"}} },
			[]string{"contact=required"}},
		{"blank and control-only identity", func(r *Request, _ *Meta) {
			*r = Request{ExternalID: "  ", Contact: RequestContact{Email: " \x01 ", Phone: "\t"}}
		}, []string{"contact=required"}},
		{"invalid identity is reported, not required", func(r *Request, _ *Meta) { *r = Request{Contact: RequestContact{Email: "nope"}} },
			[]string{"contact.email=invalid_email"}},
		{"unknown source", func(r *Request, _ *Meta) { r.Source = "fax" }, []string{"source=not_allowed"}},
		{"unknown trusted entry method", func(_ *Request, m *Meta) { m.EntryMethod = "carrier_pigeon" }, []string{"source=not_allowed"}},
		{"bad phone BR", func(r *Request, _ *Meta) { r.Contact.Phone = "91234-5678" }, []string{"contact.phone=invalid_phone"}},
		{"bad whatsapp", func(r *Request, _ *Meta) { r.Contact.WhatsApp = "+55 11 1" }, []string{"contact.whatsapp=invalid_phone"}},
		{"bad CPF check digits", func(r *Request, _ *Meta) { r.Contact.CPF = "529.982.247-26" }, []string{"contact.cpf=invalid_cpf"}},
		{"bad CNPJ check digits", func(r *Request, _ *Meta) { r.Contact.CPF = "11.222.333/0001-82" }, []string{"contact.cpf=invalid_cpf"}},
		{"name too long", func(r *Request, _ *Meta) { r.Contact.Name = strings.Repeat("a", 201) }, []string{"contact.name=too_long"}},
		{"external id too long", func(r *Request, _ *Meta) { r.ExternalID = strings.Repeat("a", 129) }, []string{"external_id=too_long"}},
		{"external id not printable", func(r *Request, _ *Meta) { r.ExternalID = "a\nb" }, []string{"external_id=invalid"}},
		{"51 attributes", func(r *Request, _ *Meta) { r.Contact.Attributes = attrs(51) }, []string{"contact.attributes=too_many"}},
		{"attribute key rules", func(r *Request, _ *Meta) {
			r.Contact.Attributes = map[string]any{"": "x", "has space": "x", strings.Repeat("k", 65): "x", "ok": "x", "çà": "x"}
		}, []string{"contact.attributes.=invalid", "contact.attributes.has space=invalid",
			"contact.attributes." + strings.Repeat("k", 65) + "=invalid", "contact.attributes.çà=invalid"}},
		{"attribute object and array", func(r *Request, _ *Meta) {
			r.Contact.Attributes = map[string]any{"obj": map[string]any{"a": 1}, "arr": []any{1}, "ok": "fine"}
		}, []string{"contact.attributes.arr=invalid_type", "contact.attributes.obj=invalid_type"}},
		{"attribute too long and NaN", func(r *Request, _ *Meta) {
			r.Contact.Attributes = map[string]any{"long": strings.Repeat("x", 1025), "nan": math.NaN()}
		}, []string{"contact.attributes.long=too_long", "contact.attributes.nan=invalid"}},
		{"attribute names differing in case", func(r *Request, _ *Meta) {
			r.Contact.Attributes = map[string]any{"Company": "A", "company": "B"}
		}, []string{"contact.attributes.company=invalid"}},
		{"urls", func(r *Request, _ *Meta) {
			r.Navigation = RequestNavigation{
				PageURL: "/relative", LandingURL: "ftp://x.example/", GeneratedAtURL: "https://x.example/" + strings.Repeat("a", 2048),
				Referrer: "javascript:alert(1)",
			}
		}, []string{"navigation.page_url=invalid_url", "navigation.landing_url=invalid_url",
			"navigation.generated_at_url=too_long", "navigation.referrer=invalid_url"}},
		{"url without host", func(r *Request, _ *Meta) { r.Navigation.PageURL = "https:///path" }, []string{"navigation.page_url=invalid_url"}},
		{"first contact in the future", func(r *Request, _ *Meta) { r.Navigation.FirstContactAt = future }, []string{"navigation.first_contact_at=invalid_time"}},
		{"first contact not RFC 3339", func(r *Request, _ *Meta) { r.Navigation.FirstContactAt = "20/11/2026 14:03" }, []string{"navigation.first_contact_at=invalid_time"}},
		{"first contact without zone", func(r *Request, _ *Meta) { r.Navigation.FirstContactAt = "2026-11-20T14:03:00" }, []string{"navigation.first_contact_at=invalid_time"}},
		{"first contact before 1970", func(r *Request, _ *Meta) { r.Navigation.FirstContactAt = "0001-01-01T00:00:00Z" }, []string{"navigation.first_contact_at=invalid_time"}},
		{"utm too long and bad locale", func(r *Request, _ *Meta) {
			r.Navigation.UTMCampaign = strings.Repeat("c", 513)
			r.Navigation.Locale = "pt BR"
		}, []string{"navigation.utm_campaign=too_long", "navigation.locale=invalid"}},
		{"51 messages", func(r *Request, _ *Meta) { r.Conversation = msgs(51) }, []string{"conversation=too_many"}},
		{"bad messages", func(r *Request, _ *Meta) {
			r.Conversation = []RequestMessage{
				{From: "visitor", Text: "ok"},
				{From: "robot", Text: " \x00 "},
				{From: "", Text: strings.Repeat("x", 4001), At: "yesterday"},
				{From: "bot", Text: "ok", At: future},
			}
		}, []string{"conversation[1].from=not_allowed", "conversation[1].text=required",
			"conversation[2].from=required", "conversation[2].text=too_long", "conversation[2].at=invalid_time",
			"conversation[3].at=invalid_time"}},
		{"invalid UTF-8 names the field", func(r *Request, _ *Meta) {
			r.Contact.Name = "Ana\xff"
			r.Contact.Email = "a\xc3@example.com"
			r.Navigation.UTMSource = "\xfe"
			r.Contact.Attributes = map[string]any{"k": "v\xff", "bad\xffkey": "v"}
			r.Conversation = []RequestMessage{{From: "bot", Text: "\xff"}}
		}, []string{"contact.name=invalid", "contact.email=invalid",
			"contact.attributes=invalid", "contact.attributes.k=invalid",
			"navigation.utm_source=invalid", "conversation[0].text=invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, meta := base(), testMeta
			tt.edit(&req, &meta)
			c, err := Normalize(testSite, req, meta)
			if err == nil {
				t.Fatalf("no error; capture %+v", c)
			}
			if got := fieldCodes(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("errors\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// Every bad field of one request is reported in one error.
func TestNormalizeReportsEveryBadFieldAtOnce(t *testing.T) {
	req := Request{
		Source:     "sms",
		ExternalID: strings.Repeat("x", 200),
		Contact: RequestContact{
			Name: strings.Repeat("n", 300), Email: "ana@", Phone: "12", WhatsApp: "abc", CPF: "123.456.789-00",
			Attributes: map[string]any{"bad key": "v", "list": []any{"a"}},
		},
		Navigation: RequestNavigation{
			PageURL: "nope", LandingURL: "mailto:a@b.c", Referrer: "//x", GeneratedAtURL: "http://",
			FirstContactAt: "tomorrow", UTMSource: strings.Repeat("s", 600), Locale: "!!",
		},
		Conversation: []RequestMessage{{From: "cat", Text: ""}},
	}
	_, err := Normalize(testSite, req, testMeta)
	got := fieldCodes(t, err)
	want := []string{
		"source=not_allowed", "external_id=too_long", "contact.name=too_long",
		"contact.email=invalid_email", "contact.phone=invalid_phone", "contact.whatsapp=invalid_phone",
		"contact.cpf=invalid_cpf", "contact.attributes.bad key=invalid", "contact.attributes.list=invalid_type",
		"navigation.page_url=invalid_url", "navigation.landing_url=invalid_url",
		"navigation.generated_at_url=invalid_url", "navigation.referrer=invalid_url",
		"navigation.utm_source=too_long", "navigation.first_contact_at=invalid_time", "navigation.locale=invalid",
		"conversation[0].from=not_allowed", "conversation[0].text=required",
	}
	if !slices.Equal(got, want) {
		t.Errorf("errors\n got %q\nwant %q", got, want)
	}
}

func TestNormalizeConversationLimitDetail(t *testing.T) {
	req := base()
	req.Conversation = msgs(MaxMessages + 1)
	_, err := Normalize(testSite, req, testMeta)
	var inv *lead.InvalidError
	if !errors.As(err, &inv) || len(inv.Errors) != 1 {
		t.Fatalf("err = %v", err)
	}
	if d := inv.Errors[0].Detail; !strings.Contains(d, "external_id") || !strings.Contains(d, "50") {
		t.Errorf("detail %q should say to split with the same external_id", d)
	}
}

func TestNormalizeCaptureKeys(t *testing.T) {
	req := Request{ExternalID: "c1", Contact: RequestContact{
		Email: "ANA@example.com", Phone: "(11) 91234-5678", WhatsApp: "+55 11 91234-5678", CPF: "529.982.247-25",
	}}
	c, err := Normalize(testSite, req, testMeta)
	if err != nil {
		t.Fatal(err)
	}
	want := []lead.IdentityKey{
		{Kind: "ext", Value: "site_1#c1"}, {Kind: "cpf", Value: "52998224725"},
		{Kind: "email", Value: "ana@example.com"}, {Kind: "phone", Value: "+5511912345678"},
	}
	if got := c.Keys(); !reflect.DeepEqual(got, want) {
		t.Errorf("keys %v, want %v", got, want)
	}
}
