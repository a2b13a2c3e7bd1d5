package capture

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
)

func TestConsentFromJSONAndForms(t *testing.T) {
	site := account.Site{ID: "site_1", Country: "BR"}
	now := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	req, err := DecodeJSON([]byte(`{"contact":{"email":"ana@example.com"},"navigation":{"page_url":"https://shop.example.com/p"},
		"consent":{"text":"Aceito receber contato","checked":true,"at":"2026-11-20T13:59:00Z"}}`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Normalize(site, req, Meta{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := lead.Consent{Text: "Aceito receber contato", Checked: true, At: now.Add(-time.Minute), Page: "https://shop.example.com/p"}
	if c.Consent == nil || *c.Consent != want {
		t.Errorf("consent %+v, want %+v", c.Consent, want)
	}
	l, _ := lead.New("t", "ld_1", "ct_1", c, now)
	if len(l.Consents) != 1 || l.Consents[0] != want {
		t.Errorf("the lead keeps %+v", l.Consents)
	}

	for body, field := range map[string]string{
		`{"contact":{"email":"a@example.com"},"consent":{"checked":true}}`:                   "consent.text",
		`{"contact":{"email":"a@example.com"},"consent":{"text":"x","checked":"yes"}}`:       "consent.checked",
		`{"contact":{"email":"a@example.com"},"consent":{"text":"x","at":"yesterday"}}`:      "consent.at",
		`{"contact":{"email":"a@example.com"},"consent":{"text":"x","page":"javascript:1"}}`: "consent.page",
	} {
		req, err := DecodeJSON([]byte(body))
		if err == nil {
			_, err = Normalize(site, req, Meta{Now: now})
		}
		var inv *lead.InvalidError
		if !errors.As(err, &inv) || inv.Errors[0].Field != field {
			t.Errorf("%s: %v, want a problem naming %s", body, err, field)
		}
	}

	form, _, _ := FromForm(url.Values{"email": {"b@example.com"}, "consent_text": {"Li e aceito"}, "consent": {"on"}, "page_url": {"https://shop.example.com/f"}})
	c, err = Normalize(site, form, Meta{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if c.Consent == nil || !c.Consent.Checked || c.Consent.Text != "Li e aceito" || c.Consent.Page != "https://shop.example.com/f" || c.Contact.Attributes["consent"] != "" {
		t.Errorf("form consent %+v, attributes %v", c.Consent, c.Contact.Attributes)
	}
	form, _, _ = FromForm(url.Values{"email": {"b@example.com"}, "consent_text": {"Li e aceito"}})
	if c, _ := Normalize(site, form, Meta{Now: now}); c.Consent == nil || c.Consent.Checked {
		t.Errorf("an unchecked box: %+v", c.Consent)
	}
}
