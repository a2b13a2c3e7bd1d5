package lead

import (
	"errors"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"github.com/paemuri/brdoc"
)

// MaxEmailLen is the longest e-mail address accepted (the RFC 5321 path
// limit), in characters.
const MaxEmailLen = 254

const maxPhoneInputLen = 64

// Errors returned by the single-value normalizers of the contact keys.
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
