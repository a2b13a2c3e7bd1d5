package capture

import (
	"strings"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"ana@example.com", "ana@example.com", true},
		{"  Ana.Souza@Example.COM \n", "ana.souza@example.com", true},
		{"ana+promo@mail.example.com.br", "ana+promo@mail.example.com.br", true},
		{"", "", false},
		{"   ", "", false},
		{"ana", "", false},
		{"ana@", "", false},
		{"@example.com", "", false},
		{"ana@localhost", "", false},    // no dot in the domain
		{"ana@example.", "", false},     // trailing dot
		{"ana@.example.com", "", false}, // leading dot
		{"ana@example..com", "", false},
		{"Ana Souza <ana@example.com>", "", false}, // display name
		{"<ana@example.com>", "", false},           // angle brackets
		{"ana@example.com (Ana)", "", false},       // comment
		{"ana@example.com, bia@example.com", "", false},
		{"ana souza@example.com", "", false},
		{"ana@exa mple.com", "", false},
		{"a@" + strings.Repeat("b", 250) + ".com", "", false}, // over 254
		{"ana\xff@example.com", "", false},
	}
	for _, tt := range tests {
		got, err := NormalizeEmail(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, region, want string
		ok               bool
	}{
		{"+55 11 91234-5678", "BR", "+5511912345678", true},
		{"+55 11 91234-5678", "", "+5511912345678", true},
		{"+55 11 91234-5678", "US", "+5511912345678", true},
		{"(11) 91234-5678", "BR", "+5511912345678", true},
		{"(11) 91234-5678", "br", "+5511912345678", true}, // region case-insensitive
		{"11 91234 5678", "BR", "+5511912345678", true},
		{"011 91234-5678", "BR", "+5511912345678", true}, // trunk prefix 0
		{"(11) 3456-7890", "BR", "+551134567890", true},  // São Paulo landline
		{"+5511912345678", "BR", "+5511912345678", true},
		{"5511912345678", "BR", "+5511912345678", true}, // WhatsApp id style, no '+'
		{"(11) 91234-5678", "", "", false},              // no region, no country code
		{"(415) 555-2671", "US", "+14155552671", true},
		{"+1 415 555 2671", "BR", "+14155552671", true},
		{"+351 912 345 678", "BR", "+351912345678", true},
		{"91234-5678", "BR", "", false}, // no area code
		{"+55 11 1234", "BR", "", false},
		{"123", "BR", "", false},
		{"", "BR", "", false},
		{"not a phone", "BR", "", false},
		{"+55 00 91234-5678", "BR", "", false}, // area code 00 does not exist
		{"+5511912345678\xff", "BR", "", false},
		{strings.Repeat("1", 100), "BR", "", false},
	}
	for _, tt := range tests {
		got, err := NormalizePhone(tt.in, tt.region)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q, ok=%v", tt.in, tt.region, got, err, tt.want, tt.ok)
		}
	}
}

func TestNormalizeCPF(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"529.982.247-25", "52998224725", true},
		{"52998224725", "52998224725", true},
		{" 529 982 247 25 ", "52998224725", true},
		{"529.982.247-24", "", false}, // wrong second check digit
		{"529.982.247-15", "", false}, // wrong first check digit
		{"111.111.111-11", "", false}, // all digits equal passes the sums but is refused
		{"000.000.000-00", "", false},
		{"11.222.333/0001-81", "11222333000181", true}, // CNPJ
		{"11222333000181", "11222333000181", true},
		{"11.222.333/0001-80", "", false},
		{"11.222.333/0000-81", "", false}, // branch 0000 is not valid
		{"5299822472", "", false},         // 10 digits
		{"529982247255", "", false},       // 12 digits
		{"529a982247-25", "", false},
		{"", "", false},
		{"５２９９８２２４７２５", "", false}, // full-width digits
	}
	for _, tt := range tests {
		got, err := NormalizeCPF(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("NormalizeCPF(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseURLParams(t *testing.T) {
	tests := []struct {
		in   string
		want URLParams
	}{
		{"https://shop.example.com/pricing?utm_source=google&utm_medium=cpc&utm_campaign=bf2026&utm_term=crm&utm_content=ad-1",
			URLParams{UTMSource: "google", UTMMedium: "cpc", UTMCampaign: "bf2026", UTMTerm: "crm", UTMContent: "ad-1"}},
		{"https://shop.example.com/?gclid=abc&fbclid=xyz", URLParams{GCLID: "abc", FBCLID: "xyz"}},
		{"https://x.example/?UTM_Source=Google", URLParams{UTMSource: "Google"}},
		{"https://x.example/?utm_source=&utm_source=second", URLParams{UTMSource: "second"}},
		{"https://x.example/?utm_campaign=black%20friday%2B2026", URLParams{UTMCampaign: "black friday+2026"}},
		{"https://x.example/?utm_campaign=black+friday", URLParams{UTMCampaign: "black friday"}},
		{"https://x.example/?utm_source=%ff", URLParams{}},                         // not UTF-8
		{"https://x.example/?utm_source=a%00b", URLParams{UTMSource: "ab"}},        // control stripped
		{"https://x.example/?utm_source=ok&bad=%zz", URLParams{UTMSource: "ok"}},   // other pairs still parse
		{"https://x.example/#utm_source=fragment", URLParams{}},                    // fragments are not read
		{"https://x.example/?utm_source=" + strings.Repeat("a", 600), URLParams{}}, // too long
		{"", URLParams{}},
		{"::not a url", URLParams{}},
		{"/relative?utm_medium=email", URLParams{UTMMedium: "email"}},
	}
	for _, tt := range tests {
		if got := ParseURLParams(tt.in); got != tt.want {
			t.Errorf("ParseURLParams(%q) = %+v; want %+v", tt.in, got, tt.want)
		}
	}
}

func TestValidAttributeKey(t *testing.T) {
	for k, want := range map[string]bool{
		"company": true, "Company.Size_2-b": true, strings.Repeat("k", 64): true,
		"": false, strings.Repeat("k", 65): false, "has space": false, "çà": false, "a/b": false, "a\x00": false,
	} {
		if got := ValidAttributeKey(k); got != want {
			t.Errorf("ValidAttributeKey(%q) = %v, want %v", k, got, want)
		}
	}
}
