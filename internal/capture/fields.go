package capture

import (
	"errors"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"github.com/paemuri/brdoc"

	"github.com/leadflow/leadflow/internal/text"
)

// Limits on single fields. Lengths count characters (runes), not bytes.
const (
	MaxNameLen        = 200
	MaxExternalIDLen  = 128
	MaxEmailLen       = 254 // RFC 5321 path limit
	MaxURLLen         = 2048
	MaxUTMLen         = 512 // utm_* and click ids given explicitly
	MaxUserAgentLen   = 1024
	MaxLocaleLen      = 35 // BCP 47 recommends supporting at least 35
	MaxAttributes     = 50
	MaxAttrKeyLen     = 64
	MaxAttrValueLen   = 1024
	MaxMessages       = 50 // one capture is written in one DynamoDB transaction (≤ 100 items)
	MaxMessageLen     = 4000
	MaxFutureSkew     = 5 * time.Minute
	maxPhoneInputLen  = 64
	maxGenericMetaLen = 256
)

// Errors returned by the single-field normalizers. Normalize turns them into
// field errors with the codes invalid_email, invalid_phone and invalid_cpf.
var (
	ErrInvalidEmail = errors.New("not a valid e-mail address")
	ErrInvalidPhone = errors.New("not a valid phone number")
	ErrInvalidCPF   = errors.New("not a valid CPF or CNPJ")
)

// NormalizeEmail trims and lower-cases an e-mail address and checks its
// syntax with net/mail: a bare address (no display name, no angle brackets,
// no comments) whose domain contains a dot.
func NormalizeEmail(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", ErrInvalidEmail
	}
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || utf8.RuneCountInString(s) > MaxEmailLen {
		return "", ErrInvalidEmail
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", ErrInvalidEmail
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return "", ErrInvalidEmail
	}
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", ErrInvalidEmail
	}
	return s, nil
}

// NormalizePhone parses a phone number with libphonenumber and returns it in
// E.164 ("+5511912345678"). Numbers written without a country code are read
// in region (ISO 3166-1 alpha-2, e.g. "BR"); with an empty region they must
// start with "+". A string of digits that is not valid in region but is a
// valid number once a "+" is put in front ("5511912345678", the way WhatsApp
// writes ids) is accepted as international.
func NormalizePhone(s, region string) (string, error) {
	s = strings.TrimSpace(s)
	region = strings.ToUpper(strings.TrimSpace(region))
	if s == "" || !utf8.ValidString(s) || len(s) > maxPhoneInputLen {
		return "", ErrInvalidPhone
	}
	if e164, ok := parsePhone(s, region); ok {
		return e164, nil
	}
	digits := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')':
			return -1
		}
		return r
	}, s)
	if len(digits) >= 8 && digits[0] != '0' && allASCIIDigits(digits) {
		if e164, ok := parsePhone("+"+digits, ""); ok {
			return e164, nil
		}
	}
	return "", ErrInvalidPhone
}

func parsePhone(s, region string) (string, bool) {
	n, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// NormalizeCPF accepts a CPF (11 digits, "529.982.247-25") or a CNPJ
// (14 digits, "11.222.333/0001-81"), with or without punctuation, verifies
// its check digits with brdoc and returns the digits only.
func NormalizeCPF(s string) (string, error) {
	digits := strings.Map(func(r rune) rune {
		switch r {
		case '.', '-', '/', ' ':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if !allASCIIDigits(digits) {
		return "", ErrInvalidCPF
	}
	switch len(digits) {
	case 11:
		if brdoc.IsCPF(digits) {
			return digits, nil
		}
	case 14:
		if brdoc.IsCNPJ(digits) {
			return digits, nil
		}
	}
	return "", ErrInvalidCPF
}

func allASCIIDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// URLParams are the campaign parameters a landing URL carries.
type URLParams struct {
	UTMSource, UTMMedium, UTMCampaign, UTMTerm, UTMContent string
	GCLID, FBCLID                                          string
}

// ParseURLParams reads utm_source, utm_medium, utm_campaign, utm_term,
// utm_content, gclid and fbclid from the query of raw. Parameter names match
// case-insensitively; the first non-empty value wins. Values that are not
// valid UTF-8 or are longer than MaxUTMLen are skipped; control characters
// are removed. A raw that does not parse gives the zero URLParams.
func ParseURLParams(raw string) URLParams {
	var p URLParams
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return p
	}
	q, _ := url.ParseQuery(u.RawQuery) // keeps the pairs that do parse
	dst := map[string]*string{
		"utm_source": &p.UTMSource, "utm_medium": &p.UTMMedium,
		"utm_campaign": &p.UTMCampaign, "utm_term": &p.UTMTerm,
		"utm_content": &p.UTMContent, "gclid": &p.GCLID, "fbclid": &p.FBCLID,
	}
	for k, vs := range q {
		d, ok := dst[strings.ToLower(k)]
		if !ok || *d != "" {
			continue
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				continue
			}
			v = strings.TrimSpace(text.Strip(v, false))
			if v != "" && utf8.RuneCountInString(v) <= MaxUTMLen {
				*d = v
				break
			}
		}
	}
	return p
}

// checkURL reports why s is not an absolute http(s) URL of at most
// MaxURLLen characters, or "" when it is one.
func checkURL(s string) (code, detail string) {
	if utf8.RuneCountInString(s) > MaxURLLen {
		return codeTooLong, "Must be at most 2048 characters."
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Hostname() == "" {
		return codeInvalidURL, "Must be an absolute http or https URL."
	}
	if sch := strings.ToLower(u.Scheme); sch != "http" && sch != "https" {
		return codeInvalidURL, "Must be an absolute http or https URL."
	}
	return "", ""
}
