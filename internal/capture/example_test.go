package capture_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/capture"
	"github.com/leadflow/leadflow/internal/lead"
)

// A capture request goes through two steps before the store: DecodeJSON
// reads the body (type errors on their JSON path), Normalize validates and
// normalizes it for the site (e-mail lower-cased, phone to E.164 in the
// site's country, UTM parameters from the landing URL) and takes the
// touch's time, site and IP from the server, never from the body.
func ExampleNormalize() {
	body := []byte(`{
		"source": "chatbot",
		"contact": {"name": "  Ana   Souza ", "email": "Ana@Example.COM", "phone": "(11) 98765-4321"},
		"navigation": {"landing_url": "https://shop.example/?utm_source=google&utm_campaign=spring"},
		"conversation": [{"from": "visitor", "text": "Hi!", "at": "2026-03-01T12:00:00Z"}]
	}`)
	req, err := capture.DecodeJSON(body)
	if err != nil {
		fmt.Println(err)
		return
	}
	site := account.Site{ID: "site_1", TenantID: "acme", Country: "BR"}
	meta := capture.Meta{IP: "203.0.113.7", Now: time.Date(2026, 3, 1, 12, 0, 5, 0, time.UTC)}
	c, err := capture.Normalize(site, req, meta)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Name, c.Contact.Email, c.Contact.Phone)
	fmt.Println(c.Touch.EntryMethod, c.Touch.SiteID, c.Touch.IP, c.Touch.At.Format(time.RFC3339))
	fmt.Println(c.Touch.UTMSource, c.Touch.UTMCampaign, len(c.Conversation))

	// Every bad field at once, on its JSON path, with a stable code.
	_, err = capture.DecodeJSON([]byte(`{"contact": {"email": 42}, "conversation": [{"at": true}]}`))
	var bad *lead.InvalidError
	if errors.As(err, &bad) {
		for _, fe := range bad.Errors {
			fmt.Println(fe.Field, fe.Code)
		}
	}
	// Output:
	// Ana Souza ana@example.com +5511987654321
	// chatbot site_1 203.0.113.7 2026-03-01T12:00:05Z
	// google spring 1
	// contact.email invalid_type
	// conversation[0].at invalid_type
}
