package capture

import (
	"net/url"
	"strings"
	"time"

	"unicode/utf8"

	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/text"
)

// Limits on single fields. Lengths count characters (runes), not bytes.
const (
	MaxNameLen        = 200
	MaxExternalIDLen  = 128
	MaxEmailLen       = lead.MaxEmailLen // RFC 5321 path limit
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
	maxGenericMetaLen = 256
)

// Errors returned by the single-field normalizers (which live in the lead
// domain, beside the identity keys). Normalize turns them into field errors
// with the codes invalid_email, invalid_phone and invalid_cpf.
var (
	ErrInvalidEmail = lead.ErrInvalidEmail
	ErrInvalidPhone = lead.ErrInvalidPhone
	ErrInvalidCPF   = lead.ErrInvalidCPF
)

// NormalizeEmail is lead.NormalizeEmail.
func NormalizeEmail(s string) (string, error) { return lead.NormalizeEmail(s) }

// NormalizePhone is lead.NormalizePhone: E.164, numbers without a country
// code read in region.
func NormalizePhone(s, region string) (string, error) { return lead.NormalizePhone(s, region) }

// NormalizeCPF is lead.NormalizeCPF: a CPF or CNPJ with valid check
// digits, digits only.
func NormalizeCPF(s string) (string, error) { return lead.NormalizeCPF(s) }

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
