package ads

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/capture"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/text"
)

// answer is one form answer, from Meta's field_data or Google's
// user_column_data, under a normalized field name.
type answer struct{ key, value string }

// contactOf maps form answers onto a capture contact. Name, e-mail and phone
// go to their fields; everything else becomes an attribute. A platform form
// can't be asked to resubmit, so an e-mail or phone that does not validate is
// kept as an attribute instead of failing the whole lead.
func contactOf(answers []answer, region string) (capture.RequestContact, string) {
	var c capture.RequestContact
	var first, last, full string
	attrs := map[string]any{}
	put := func(k, v string) {
		k = attrKey(k)
		if _, dup := attrs[k]; dup || len(attrs) >= capture.MaxAttributes {
			return
		}
		attrs[k] = truncate(v, capture.MaxAttrValueLen)
	}
	for _, a := range answers {
		v := strings.TrimSpace(a.value)
		if v == "" {
			continue
		}
		switch a.key {
		case "full_name":
			full = v
		case "first_name":
			first = v
		case "last_name":
			last = v
		case "email":
			if e, err := capture.NormalizeEmail(v); err == nil && c.Email == "" {
				c.Email = e
			} else {
				put("email_unverified", v)
			}
		case "phone_number", "phone":
			if p, err := capture.NormalizePhone(v, region); err == nil && c.Phone == "" {
				c.Phone = p
			} else {
				put("phone_unverified", v)
			}
		default:
			put(a.key, v)
		}
	}
	name := full
	if name == "" {
		name = strings.TrimSpace(first + " " + last)
	}
	c.Name = truncate(name, capture.MaxNameLen)
	if len(attrs) > 0 {
		c.Attributes = attrs
	}
	return c, name
}

// attrKey turns a question name into an attribute key: lower-case letters,
// digits, '_', '.' and '-', at most capture.MaxAttrKeyLen characters.
func attrKey(k string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(k)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		default:
			if s := b.String(); s != "" && !strings.HasSuffix(s, "_") {
				b.WriteByte('_')
			}
		}
	}
	s := strings.Trim(b.String(), "_")
	if len(s) > capture.MaxAttrKeyLen {
		s = s[:capture.MaxAttrKeyLen]
	}
	if s == "" {
		s = "field"
	}
	return s
}

// adText cleans an ad field the platform sent (ids, campaign and ad names)
// the way captures clean text: no control characters, at most
// capture.MaxUTMLen characters. These fields skip capture.Normalize, and
// found by FuzzMetaCapture, a name with "\u0000" was stored as sent.
func adText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	return truncate(strings.TrimSpace(s), capture.MaxUTMLen)
}

// truncate cuts s to at most max characters.
func truncate(s string, max int) string { return text.Truncate(s, max) }

// MetaCapture turns a Graph API lead (and the webhook's ids, which fill in
// what the lead read lacks) into a capture for site.
func MetaCapture(site account.Site, job MetaLeadgen, gl GraphLead, now time.Time) (lead.Capture, error) {
	answers := make([]answer, 0, len(gl.FieldData))
	for _, f := range gl.FieldData {
		answers = append(answers, answer{key: strings.ToLower(strings.TrimSpace(f.Name)), value: strings.Join(f.Values, ", ")})
	}
	contact, _ := contactOf(answers, site.Country)
	platform := "facebook"
	if strings.EqualFold(gl.Platform, "ig") || strings.EqualFold(gl.Platform, "instagram") {
		platform = "instagram"
	}
	medium := "paid_social"
	if gl.IsOrganic {
		medium = "organic_social"
	}
	campaignID := string(firstID(gl.CampaignID))
	campaign := gl.CampaignName
	if campaign == "" {
		campaign = campaignID
	}
	req := capture.Request{
		ExternalID: externalID("meta", string(job.LeadgenID)),
		Contact:    contact,
		Navigation: capture.RequestNavigation{
			UTMSource: platform, UTMMedium: medium, UTMCampaign: truncate(campaign, capture.MaxUTMLen),
			UTMContent: truncate(gl.AdName, capture.MaxUTMLen),
		},
	}
	if t, err := time.Parse("2006-01-02T15:04:05-0700", gl.CreatedTime); err == nil && !t.After(now) {
		req.Navigation.FirstContactAt = t.UTC().Format(time.RFC3339)
	} else if job.CreatedTime > 0 && !time.Unix(job.CreatedTime, 0).After(now) {
		req.Navigation.FirstContactAt = time.Unix(job.CreatedTime, 0).UTC().Format(time.RFC3339)
	}
	c, err := capture.Normalize(site, req, capture.Meta{Now: now, EntryMethod: lead.EntryMetaLeadAds})
	if err != nil {
		return lead.Capture{}, fmt.Errorf("meta lead %s: %w", job.LeadgenID, err)
	}
	t := &c.Touch
	t.AdPlatform = platform
	t.CampaignID, t.CampaignName = adText(campaignID), adText(gl.CampaignName)
	t.AdGroupID, t.AdGroupName = adText(string(firstID(gl.AdsetID, job.AdgroupID))), adText(gl.AdsetName)
	t.AdID, t.AdName = adText(string(firstID(gl.AdID, job.AdID))), adText(gl.AdName)
	t.FormID = adText(string(firstID(gl.FormID, job.FormID)))
	t.AdLeadID = adText(string(job.LeadgenID))
	c.Trusted, c.ReplayNoop = true, true
	return c, nil
}

// externalID is the capture's idempotency key for a platform lead id; ids
// too long for an external id are hashed.
func externalID(platform, id string) string {
	ext := platform + ":" + id
	if utf8.RuneCountInString(ext) > capture.MaxExternalIDLen {
		sum := sha256.Sum256([]byte(id))
		ext = platform + ":sha256:" + hex.EncodeToString(sum[:])
	}
	return ext
}

func firstID(ids ...ID) ID {
	for _, id := range ids {
		if id != "" {
			return id
		}
	}
	return ""
}

// GoogleLead is the Google Ads lead-form webhook body. Unknown fields are
// ignored (Google adds fields over time).
type GoogleLead struct {
	LeadID         string         `json:"lead_id"`
	UserColumnData []GoogleColumn `json:"user_column_data"`
	APIVersion     string         `json:"api_version"`
	FormID         ID             `json:"form_id"`
	CampaignID     ID             `json:"campaign_id"`
	GoogleKey      string         `json:"google_key"`
	IsTest         bool           `json:"is_test"`
	GCLID          string         `json:"gcl_id"`
	AdgroupID      ID             `json:"adgroup_id"`
	CreativeID     ID             `json:"creative_id"`
	AssetGroupID   ID             `json:"asset_group_id"`
	LeadSubmitTime string         `json:"lead_submit_time"`
}

// GoogleColumn is one answer of a Google lead form.
type GoogleColumn struct {
	ColumnName  string `json:"column_name"`
	StringValue string `json:"string_value"`
	ColumnID    string `json:"column_id"`
}

// googleColumns maps Google's column ids to contact fields or attribute
// keys; other columns become attributes named after their id.
var googleColumns = map[string]string{
	"FULL_NAME": "full_name", "FIRST_NAME": "first_name", "LAST_NAME": "last_name",
	"EMAIL": "email", "WORK_EMAIL": "email", "PHONE_NUMBER": "phone_number", "WORK_PHONE": "phone_number",
	"POSTAL_CODE": "postal_code", "CITY": "city", "COUNTRY": "country", "REGION": "region",
	"COMPANY_NAME": "company", "JOB_TITLE": "job_title",
}

// ErrBadGoogleLead is wrapped by DecodeGoogleLead for bodies that are not a
// Google lead.
var ErrBadGoogleLead = errors.New("not a Google Ads lead")

// DecodeGoogleLead reads a webhook body.
func DecodeGoogleLead(body []byte) (GoogleLead, error) {
	var g GoogleLead
	if err := json.Unmarshal(body, &g); err != nil {
		return g, fmt.Errorf("%w: %v", ErrBadGoogleLead, err)
	}
	g.LeadID = strings.TrimSpace(g.LeadID)
	return g, nil
}

// GoogleCapture turns a Google lead into a capture for site.
func GoogleCapture(site account.Site, g GoogleLead, now time.Time) (lead.Capture, error) {
	answers := make([]answer, 0, len(g.UserColumnData))
	for _, col := range g.UserColumnData {
		id := strings.ToUpper(strings.TrimSpace(col.ColumnID))
		key, ok := googleColumns[id]
		switch {
		case ok:
		case id != "":
			key = strings.ToLower(id)
		default:
			key = col.ColumnName
		}
		answers = append(answers, answer{key: key, value: col.StringValue})
	}
	contact, _ := contactOf(answers, site.Country)
	campaignID := string(g.CampaignID)
	req := capture.Request{
		ExternalID: externalID("google", g.LeadID),
		Contact:    contact,
		Navigation: capture.RequestNavigation{
			UTMSource: "google", UTMMedium: "cpc", UTMCampaign: adText(campaignID),
			GCLID: truncate(g.GCLID, capture.MaxUTMLen),
		},
	}
	if t, err := time.Parse(time.RFC3339, g.LeadSubmitTime); err == nil && !t.After(now) {
		req.Navigation.FirstContactAt = t.UTC().Format(time.RFC3339)
	}
	c, err := capture.Normalize(site, req, capture.Meta{Now: now, EntryMethod: lead.EntryGoogleAds})
	if err != nil {
		return lead.Capture{}, err
	}
	t := &c.Touch
	t.AdPlatform = "google"
	t.CampaignID = adText(campaignID)
	t.AdGroupID = adText(string(g.AdgroupID))
	t.AdID = adText(string(g.CreativeID))
	t.FormID = adText(string(g.FormID))
	t.AdLeadID = adText(g.LeadID)
	c.Test, c.Trusted, c.ReplayNoop = g.IsTest, true, true
	return c, nil
}
