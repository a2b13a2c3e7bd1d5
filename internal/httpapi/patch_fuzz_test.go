package httpapi

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/leadflow/leadflow/internal/account"
)

// FuzzDecodePatch: any body decodes without panicking into a patch or a
// list of field errors, each naming a field and a code; accepted strings are
// valid UTF-8. Seeds live in testdata/fuzz/FuzzDecodePatch.
func FuzzDecodePatch(f *testing.F) {
	f.Add([]byte(`{"rating": 4, "name": "Ana P. Souza"}`))
	f.Add([]byte(`{"state": "no_sale", "sub_state": "sem_interesse", "owner_id": null}`))
	f.Add([]byte(`{"contact": {"email": "a@example.com", "phone": "+55 11 91234-5678", "attributes": {"x": "y"}}}`))
	acct := account.Account{ID: "acme", Country: "BR", SubStates: map[string][]string{"no_sale": {"sem_interesse"}}}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, errs := decodePatch(body, acct)
		for _, e := range errs {
			if e.Field == "" || e.Code == "" {
				t.Fatalf("field error without field or code: %+v", e)
			}
		}
		for _, s := range []*string{p.Name, p.SubState, p.OwnerID, p.Email, p.Phone, p.CPF} {
			if s != nil && !utf8.ValidString(*s) {
				t.Fatalf("accepted invalid UTF-8 %q", *s)
			}
			if s != nil && strings.ContainsFunc(*s, unicode.IsControl) {
				t.Fatalf("accepted a control character in %q", *s)
			}
		}
	})
}
