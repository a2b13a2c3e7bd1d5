package dynamo_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/lead"
)

func TestCaptureNew(t *testing.T) {
	e := newEnv(t)
	c := capture("ana@example.com")
	c.Contact.Phone = "+5511912345678"
	c.Contact.Attributes = map[string]string{"company": "Acme"}
	c.Conversation = conversation(4, c.Touch.At, "hello")
	res := mustCapture(t, e, c)
	if !res.Created || !strings.HasPrefix(res.LeadID, lead.PrefixLead) || !strings.HasPrefix(res.ContactID, lead.PrefixContact) {
		t.Fatalf("result = %+v", res)
	}
	d := mustDetail(t, e, e.site.TenantID, res.LeadID)
	l := d.Lead
	if l.ID != res.LeadID || l.ContactID != res.ContactID || l.TenantID != e.site.TenantID {
		t.Fatalf("lead ids = %q %q %q", l.ID, l.ContactID, l.TenantID)
	}
	if l.Name != "Ana Souza" || l.Contact.Email != "ana@example.com" || l.Contact.Attributes["company"] != "Acme" ||
		l.State != lead.StateNew || l.Version != 1 || l.Interactions != 1 {
		t.Fatalf("lead = %+v", l)
	}
	if l.FirstTouch.UTMCampaign != "bf2026" || !l.FirstTouch.At.Equal(c.Touch.At) || l.LastTouch.PageURL != c.Touch.PageURL {
		t.Fatalf("touches = %+v / %+v", l.FirstTouch, l.LastTouch)
	}
	if got := actions(d.History.Items); !slices.Equal(got, []string{lead.ActionCreated}) {
		t.Fatalf("history = %v", got)
	}
	after, ok := d.History.Items[0].After.(map[string]any)
	if !ok || after["utm_campaign"] != "bf2026" {
		t.Fatalf("created event after = %#v", d.History.Items[0].After)
	}
	if len(d.Conversation.Items) != 4 || d.Conversation.NextCursor != "" {
		t.Fatalf("conversation = %+v", d.Conversation)
	}
	for i, m := range d.Conversation.Items {
		if !strings.HasPrefix(m.ID, lead.PrefixMessage) || !m.At.Equal(c.Conversation[i].At) || m.From != c.Conversation[i].From {
			t.Fatalf("message %d = %+v", i, m)
		}
	}
	if len(d.Notes.Items) != 0 {
		t.Fatalf("notes = %+v", d.Notes)
	}
}

func TestCaptureRepeat(t *testing.T) {
	first := func() lead.Capture {
		c := capture("ana@example.com")
		c.ExternalID = "conv-1"
		c.Contact.Phone = "+5511912345678"
		c.Conversation = conversation(3, c.Touch.At, "first")
		return c
	}
	cases := map[string]func(c *lead.Capture){
		"email": func(c *lead.Capture) { c.Contact.Phone = ""; c.ExternalID = "" },
		"phone": func(c *lead.Capture) { c.Contact.Email = ""; c.ExternalID = "" },
		"whatsapp": func(c *lead.Capture) {
			c.Contact.Email, c.Contact.Phone, c.Contact.WhatsApp, c.ExternalID = "", "", "+5511912345678", ""
		},
		"external_id": func(c *lead.Capture) { c.Contact = lead.Contact{}; c.Name = "" },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			c1 := first()
			r1 := mustCapture(t, e, c1)

			c2 := first()
			mod(&c2)
			c2.Touch.At = c1.Touch.At.Add(time.Hour)
			c2.Touch.PageURL = "https://shop.example.com/checkout"
			c2.Touch.UTMCampaign = "retarget"
			// the same transcript again plus two new lines
			c2.Conversation = append(first().Conversation, conversation(2, c2.Touch.At, "second")...)
			r2 := mustCapture(t, e, c2)
			if r2.Created || r2.LeadID != r1.LeadID || r2.ContactID != r1.ContactID {
				t.Fatalf("repeat = %+v, first = %+v", r2, r1)
			}
			d := mustDetail(t, e, e.site.TenantID, r1.LeadID)
			l := d.Lead
			if l.FirstTouch.UTMCampaign != "bf2026" || l.LastTouch.UTMCampaign != "retarget" ||
				l.LastTouch.PageURL != c2.Touch.PageURL || !l.LastTouch.At.Equal(c2.Touch.At) {
				t.Fatalf("touches first=%+v last=%+v", l.FirstTouch, l.LastTouch)
			}
			if l.Interactions != 2 || l.Version != 2 {
				t.Fatalf("interactions=%d version=%d", l.Interactions, l.Version)
			}
			want := []string{lead.ActionCaptured, lead.ActionCreated}
			if name == "whatsapp" { // the number is copied into the empty whatsapp field
				want = []string{lead.ActionUpdated, lead.ActionCaptured, lead.ActionCreated}
			}
			if got := actions(d.History.Items); !slices.Equal(got, want) {
				t.Fatalf("history = %v, want %v", got, want)
			}
			if len(d.Conversation.Items) != 5 {
				t.Fatalf("conversation has %d messages, want 5", len(d.Conversation.Items))
			}
			// Re-posting the identical capture adds a touch but no
			// messages; with an external id it is a retry: nothing at all.
			mustCapture(t, e, c2)
			d = mustDetail(t, e, e.site.TenantID, r1.LeadID)
			want3 := 3
			if c2.ExternalID != "" {
				want3 = 2
			}
			if len(d.Conversation.Items) != 5 || d.Lead.Interactions != want3 {
				t.Fatalf("after re-post: %d messages, %d interactions", len(d.Conversation.Items), d.Lead.Interactions)
			}
		})
	}
}

func TestCaptureRepeatFillsContactAndKeys(t *testing.T) {
	e := newEnv(t)
	r1 := mustCapture(t, e, capture("ana@example.com"))
	// Another person already owns this phone.
	other := capture("bia@example.com")
	other.Contact.Phone = "+5511900000002"
	r2 := mustCapture(t, e, other)

	c := capture("ana@example.com")
	c.Contact.Phone = "+5511900000002"    // taken by bia: not copied
	c.Contact.WhatsApp = "+5511900000003" // new: copied, key added
	c.Contact.Attributes = map[string]string{"budget": "10k"}
	r := mustCapture(t, e, c)
	if r.Created || r.LeadID != r1.LeadID {
		t.Fatalf("repeat = %+v", r)
	}
	l := mustDetail(t, e, e.site.TenantID, r1.LeadID).Lead
	if l.Contact.Phone != "" || l.Contact.WhatsApp != "+5511900000003" || l.Contact.Attributes["budget"] != "10k" {
		t.Fatalf("contact = %+v", l.Contact)
	}
	// The WhatsApp number now finds ana.
	byWA := capture("")
	byWA.Contact.Phone = "+5511900000003"
	if r := mustCapture(t, e, byWA); r.LeadID != r1.LeadID {
		t.Fatalf("whatsapp key not added: %+v", r)
	}
	// bia keeps her phone.
	byPhone := capture("")
	byPhone.Contact.Phone = "+5511900000002"
	if r := mustCapture(t, e, byPhone); r.LeadID != r2.LeadID {
		t.Fatalf("phone moved: %+v", r)
	}
}

func TestCaptureConcurrentSamePerson(t *testing.T) {
	for _, n := range []int{20, 50} {
		t.Run(strings.Repeat("x", 0)+itoa(n), func(t *testing.T) {
			e := newEnv(t)
			var wg sync.WaitGroup
			results := make([]lead.CaptureResult, n)
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					c := capture("same@example.com")
					c.SiteID, c.Touch.SiteID = e.site.ID, e.site.ID
					c.Touch.At = c.Touch.At.Add(time.Duration(i) * time.Second)
					c.Conversation = conversation(4, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "same")
					results[i], errs[i] = e.store.Capture(context.Background(), e.site, c)
				})
			}
			wg.Wait()
			created := 0
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("capture %d: %v", i, errs[i])
				}
				if results[i].LeadID != results[0].LeadID {
					t.Fatalf("two leads: %s and %s", results[i].LeadID, results[0].LeadID)
				}
				if results[i].Created {
					created++
				}
			}
			if created != 1 {
				t.Fatalf("created = %d, want 1", created)
			}
			d := mustDetail(t, e, e.site.TenantID, results[0].LeadID)
			if d.Lead.Interactions != n || d.Lead.Version != int64(n) {
				t.Fatalf("interactions=%d version=%d, want %d", d.Lead.Interactions, d.Lead.Version, n)
			}
			h, err := e.store.History(context.Background(), e.site.TenantID, results[0].LeadID, "", 100)
			if err != nil {
				t.Fatal(err)
			}
			count := map[string]int{}
			for _, ev := range h.Items {
				count[ev.Action]++
			}
			if count[lead.ActionCreated] != 1 || count[lead.ActionCaptured] != n-1 {
				t.Fatalf("history counts = %v", count)
			}
			if len(d.Conversation.Items) != 4 {
				t.Fatalf("conversation = %d messages, want 4", len(d.Conversation.Items))
			}
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestCaptureRateLimit(t *testing.T) {
	now := time.Date(2026, 11, 20, 14, 3, 15, 0, time.UTC)
	e := newEnv(t, dynamo.WithClock(func() time.Time { return now }))
	site := e.site
	site.RateLimitPerMinute = 3
	ctx := context.Background()
	for i := range 3 {
		c := capture("")
		c.Contact.Email = "p" + itoa(i) + "@example.com"
		if i == 2 {
			c.Contact.Email = "p0@example.com" // repeats count too
		}
		if _, err := e.store.Capture(ctx, site, c); err != nil {
			t.Fatalf("capture %d: %v", i, err)
		}
	}
	for _, email := range []string{"p9@example.com", "p0@example.com"} {
		_, err := e.store.Capture(ctx, site, capture(email))
		var rl *lead.RateLimitedError
		if !errors.As(err, &rl) {
			t.Fatalf("capture over limit (%s): err = %v", email, err)
		}
		if rl.RetryAfter != 15*time.Second { // the next 15-second slice (ratelimit.go)
			t.Fatalf("retry after = %v", rl.RetryAfter)
		}
	}
	// Nothing was written by the refused captures.
	if _, err := e.store.Capture(ctx, site, capture("p9@example.com")); err == nil {
		t.Fatal("still limited expected")
	}
	// Another IP is not limited.
	c := capture("p9@example.com")
	c.Touch.IP = "198.51.100.1"
	res, err := e.store.Capture(ctx, site, c)
	if err != nil || !res.Created {
		t.Fatalf("other ip: %+v %v", res, err)
	}
	// A minute and a slice later the window has room again.
	now = now.Add(time.Minute + 15*time.Second)
	if _, err := e.store.Capture(ctx, site, capture("p8@example.com")); err != nil {
		t.Fatalf("a minute and a slice later: %v", err)
	}
}

// A repeat capture with 50 new attributes and a 50-message transcript needs
// more than DynamoDB's 100 actions per transaction: the messages that do
// not fit are written right after it commits.
func TestCaptureRepeatOverTransactionLimit(t *testing.T) {
	e := newEnv(t)
	r := mustCapture(t, e, capture("ana@example.com"))
	c := capture("ana@example.com")
	c.Contact.Attributes = map[string]string{}
	for i := range 50 {
		c.Contact.Attributes["k"+itoa(i)] = "v"
	}
	c.Conversation = conversation(50, c.Touch.At, "long")
	if res := mustCapture(t, e, c); res.Created || res.LeadID != r.LeadID {
		t.Fatalf("repeat = %+v", res)
	}
	d := mustDetail(t, e, e.site.TenantID, r.LeadID)
	if len(d.Conversation.Items) != 50 || len(d.Lead.Contact.Attributes) != 50 {
		t.Fatalf("%d messages, %d attributes", len(d.Conversation.Items), len(d.Lead.Contact.Attributes))
	}
	h, err := e.store.History(context.Background(), e.site.TenantID, r.LeadID, "", 100)
	if err != nil || len(h.Items) != 3 { // created, captured, the 50 attribute changes in one entry
		t.Fatalf("history = %d entries, %v", len(h.Items), err)
	}
}

// Then changes a new lead inside the capture's transaction: the lead, its
// history and its list indexes come out of one write, in order. A repeat
// capture does not write its change.
func TestCaptureThenChangesTheNewLeadInItsTransaction(t *testing.T) {
	e := newEnv(t)
	acct := account.Account{ID: e.site.TenantID}
	actor := lead.Actor{Type: lead.ActorUser, ID: "usr_importer"}
	rating, state := 4, lead.StateInProgress
	c := capture("then@example.com")
	c.Then = func(l *lead.Lead) ([]lead.Event, error) {
		return l.Apply(lead.Patch{Rating: &rating, State: &state, AddTags: []string{"Lote 7"}}, actor, acct, l.CreatedAt)
	}
	res := mustCapture(t, e, c)
	d := mustDetail(t, e, e.site.TenantID, res.LeadID)
	if d.Lead.Rating != 4 || d.Lead.State != lead.StateInProgress || !slices.Equal(d.Lead.Tags, []string{"lote 7"}) || d.Lead.Version != 1 {
		t.Fatalf("lead = %+v", d.Lead)
	}
	hist := d.History.Items // newest first
	if len(hist) < 2 || hist[len(hist)-1].Action != lead.ActionCreated || hist[0].Actor != actor {
		t.Fatalf("history = %v", actions(hist))
	}
	page, err := e.store.List(context.Background(), e.site.TenantID, lead.Query{Filter: lead.Filter{Tag: "lote 7", State: lead.StateInProgress}}, "", 20)
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != res.LeadID {
		t.Fatalf("list by tag = %+v, %v", page.Items, err)
	}
	// A repeat capture of the same person finds the lead: Then's change
	// is not written.
	one := 1
	c.Then = func(l *lead.Lead) ([]lead.Event, error) {
		return l.Apply(lead.Patch{Rating: &one}, actor, acct, l.CreatedAt)
	}
	again := mustCapture(t, e, c)
	if d := mustDetail(t, e, e.site.TenantID, res.LeadID); again.Created || d.Lead.Rating != 4 {
		t.Fatalf("repeat = %+v, rating %d", again, d.Lead.Rating)
	}
	// Then may not assign: that is assignment's path.
	c2 := capture("owner@example.com")
	c2.Then = func(l *lead.Lead) ([]lead.Event, error) { l.OwnerID = "usr_x"; return nil, nil }
	if _, err := e.store.Capture(context.Background(), e.site, c2); err == nil {
		t.Fatal("a Then that sets the owner was accepted")
	}
}
