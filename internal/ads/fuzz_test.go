package ads

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/capture"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
)

// The fuzz targets cover every parser of untrusted ads input: Meta's
// webhook body, the Graph API lead (field_data) and Google's lead-form
// body (user_column_data). Seed corpora under testdata/fuzz hold the
// documentation examples the e2e tests use; `make test` runs them and
// `make fuzz` explores from them.

var (
	fuzzSite = account.Site{ID: "site_1", TenantID: "t1", Country: "BR"}
	fuzzNow  = time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
)

func FuzzParseMetaNotification(f *testing.F) {
	f.Add([]byte(`{"object":"page","entry":[{"id":"1","time":1,"changes":[{"field":"leadgen","value":{"leadgen_id":"7","page_id":1,"form_id":2}}]}]}`))
	f.Add([]byte(`{"object":"page","entry":[{"changes":[{"field":"leadgen","value":{}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		changes, err := ParseMetaNotification(body)
		if err != nil {
			if !errors.Is(err, ErrNotLeadgen) && !strings.HasPrefix(err.Error(), "meta webhook: ") {
				t.Fatalf("unclear error %q", err)
			}
			if changes != nil {
				t.Fatalf("changes %v with error %v", changes, err)
			}
			return
		}
		if len(changes) == 0 {
			t.Fatal("no changes and no error")
		}
		for _, ch := range changes {
			if ch.LeadgenID == "" {
				t.Fatalf("change without leadgen_id: %+v", ch)
			}
			// The change travels to the worker as a job payload: it must
			// come back the same.
			job := MetaJob("site_1", ch)
			b, err := json.Marshal(job)
			if err != nil {
				t.Fatalf("marshal job: %v", err)
			}
			var back jobs.FetchMetaLeadPayload
			if err := json.Unmarshal(b, &back); err != nil || back != job || metaLeadgen(back) != ch {
				t.Fatalf("job payload round trip: %+v -> %s -> %+v (%v)", job, b, back, err)
			}
		}
	})
}

func FuzzMetaCapture(f *testing.F) {
	f.Add([]byte(`{"id":"1","field_data":[{"name":"email","values":["a@b.co"]}]}`), "1")
	f.Add([]byte(`{"id":"1","created_time":"2030-01-01T00:00:00+0000","field_data":[{"name":"phone_number","values":["nope"]}],"platform":"ig"}`), "1")
	f.Fuzz(func(t *testing.T, body []byte, leadgenID string) {
		gl, err := DecodeGraphLead(body)
		if err != nil {
			if gl.ID != "" && !strings.HasPrefix(err.Error(), "decode: ") {
				t.Fatalf("unclear error %q", err)
			}
			return
		}
		// The webhook parser refuses changes without a leadgen_id.
		job := MetaLeadgen{LeadgenID: ID(strings.TrimSpace(leadgenID)), FormID: "1234512345", CreatedTime: 1438292065}
		if job.LeadgenID == "" {
			job.LeadgenID = gl.ID
		}
		c, err := MetaCapture(fuzzSite, job, gl, fuzzNow)
		if err != nil {
			checkInvalid(t, err)
			return
		}
		checkAdsCapture(t, c, lead.EntryMetaLeadAds, string(job.LeadgenID))
	})
}

func FuzzGoogleLead(f *testing.F) {
	f.Add([]byte(`{"lead_id":"L-1","user_column_data":[{"column_id":"EMAIL","string_value":"a@b.co"}],"google_key":"k"}`))
	f.Add([]byte(`{"lead_id":"L-2","user_column_data":[{"column_name":"Phone","string_value":"x"}],"campaign_id":1e3}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		g, err := DecodeGoogleLead(body)
		if err != nil {
			if !errors.Is(err, ErrBadGoogleLead) {
				t.Fatalf("error %v does not wrap ErrBadGoogleLead", err)
			}
			return
		}
		if g.LeadID == "" {
			return // the handler answers 400 lead_id required before mapping
		}
		c, err := GoogleCapture(fuzzSite, g, fuzzNow)
		if err != nil {
			checkInvalid(t, err)
			return
		}
		checkAdsCapture(t, c, lead.EntryGoogleAds, g.LeadID)
	})
}

// checkInvalid: a mapping failure is a 400 naming each field, never a 500.
func checkInvalid(t *testing.T, err error) {
	t.Helper()
	var inv *lead.InvalidError
	if !errors.As(err, &inv) || len(inv.Errors) == 0 {
		t.Fatalf("error %v (%T) is not a non-empty *lead.InvalidError", err, err)
	}
	for _, e := range inv.Errors {
		if e.Field == "" || e.Code == "" || e.Detail == "" {
			t.Fatalf("incomplete field error %+v", e)
		}
	}
}

// checkAdsCapture is what the store may rely on for an ads capture: the
// trusted entry method, the platform lead id, an idempotency key, bounded
// sizes, and text that is valid UTF-8 without control characters.
func checkAdsCapture(t *testing.T, c lead.Capture, method lead.EntryMethod, adLeadID string) {
	t.Helper()
	if c.Touch.EntryMethod != method || !c.Trusted || !c.ReplayNoop {
		t.Fatalf("entry method %q trusted %v replay-noop %v", c.Touch.EntryMethod, c.Trusted, c.ReplayNoop)
	}
	// The ad lead id is cleaned like every ad field; the external id keeps
	// the exact id (hashed when long), so redeliveries still match.
	if c.Touch.AdLeadID == "" || c.Touch.AdLeadID != adText(adLeadID) {
		t.Fatalf("ad lead id %q, want %q", c.Touch.AdLeadID, adLeadID)
	}
	if c.ExternalID == "" || utf8.RuneCountInString(c.ExternalID) > capture.MaxExternalIDLen || len(c.Keys()) == 0 {
		t.Fatalf("external id %q, keys %v", c.ExternalID, c.Keys())
	}
	if len(c.Contact.Attributes) > capture.MaxAttributes {
		t.Fatalf("%d attributes", len(c.Contact.Attributes))
	}
	if c.Touch.FirstContactAt != nil && c.Touch.FirstContactAt.After(fuzzNow) {
		t.Fatalf("first contact %v after now", c.Touch.FirstContactAt)
	}
	texts := map[string]string{
		"name": c.Name, "email": c.Contact.Email, "phone": c.Contact.Phone,
		"utm_source": c.Touch.UTMSource, "utm_medium": c.Touch.UTMMedium, "utm_campaign": c.Touch.UTMCampaign,
		"utm_content": c.Touch.UTMContent, "gclid": c.Touch.GCLID,
		"campaign_id": c.Touch.CampaignID, "campaign_name": c.Touch.CampaignName,
		"ad_group_id": c.Touch.AdGroupID, "ad_group_name": c.Touch.AdGroupName,
		"ad_id": c.Touch.AdID, "ad_name": c.Touch.AdName, "form_id": c.Touch.FormID, "ad_lead_id": c.Touch.AdLeadID,
	}
	for k, v := range c.Contact.Attributes {
		texts["attribute key "+k] = k
		texts["attribute "+k] = v
	}
	for field, s := range texts {
		if !utf8.ValidString(s) {
			t.Fatalf("%s: invalid UTF-8 %q", field, s)
		}
		if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) {
			t.Fatalf("%s: control character in %q", field, s)
		}
		if n := utf8.RuneCountInString(s); n > capture.MaxAttrValueLen {
			t.Fatalf("%s: %d characters", field, n)
		}
	}
}
