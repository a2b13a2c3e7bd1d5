package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/lead"
)

func userEvent(field string, before, after any) lead.Event {
	now := time.Now().UTC()
	return lead.Event{
		ID: lead.NewID(lead.PrefixEvent, now), At: now, Actor: lead.Actor{Type: lead.ActorUser, ID: "usr_1"},
		Action: lead.ActionUpdated, Field: field, Before: before, After: after,
	}
}

func setRating(r int) func(l *lead.Lead) ([]lead.Event, error) {
	return func(l *lead.Lead) ([]lead.Event, error) {
		old := l.Rating
		l.Rating = r
		return []lead.Event{userEvent("rating", old, r)}, nil
	}
}

func TestSchema(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := dynamo.CreateTable(ctx, e.client, e.table); err != nil {
		t.Fatalf("second CreateTable: %v", err)
	}
	out, err := e.client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(e.table)})
	if err != nil {
		t.Fatal(err)
	}
	var gsis []string
	for _, g := range out.Table.GlobalSecondaryIndexes {
		gsis = append(gsis, *g.IndexName)
	}
	var want []string
	for _, g := range dynamo.TableDefinition(e.table).GlobalSecondaryIndexes {
		want = append(want, *g.IndexName)
	}
	slices.Sort(gsis)
	slices.Sort(want)
	if !slices.Equal(gsis, want) || slices.Contains(gsis, "GSI1") || !slices.Contains(gsis, "GSI2") {
		t.Fatalf("gsis = %v, want %v", gsis, want)
	}
	ttl, err := e.client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(e.table)})
	if err != nil {
		t.Fatal(err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != "ttl" {
		t.Fatalf("ttl = %+v", ttl.TimeToLiveDescription)
	}
	if err := e.store.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := dynamo.New(e.client, "missing-table").Ping(ctx); err == nil {
		t.Fatal("ping of a missing table succeeded")
	}
}

func TestAccountsSitesUsers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	a, err := e.store.Account(ctx, tenant)
	if err != nil || a.ID != tenant || a.Country != "BR" {
		t.Fatalf("account = %+v, %v", a, err)
	}
	if _, err := e.store.Account(ctx, "nobody"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("missing account err = %v", err)
	}
	u := account.User{ID: "usr_1", TenantID: tenant, Name: "Bia", Email: "bia@acme.test", Role: account.RoleAdmin, Active: true}
	if err := e.store.PutUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	got, err := e.store.User(ctx, tenant, "usr_1")
	if err != nil || got.Name != "Bia" || got.Role != account.RoleAdmin || !got.Active {
		t.Fatalf("user = %+v, %v", got, err)
	}
	other := e.addTenant(t, uniqueName("other"))
	if _, err := e.store.User(ctx, other.TenantID, "usr_1"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("user of another tenant err = %v", err)
	}

	site, err := e.store.SiteByKey(ctx, e.site.Key)
	if err != nil || site.ID != e.site.ID || site.TenantID != tenant || site.RateLimitPerMinute != 1000 {
		t.Fatalf("site = %+v, %v", site, err)
	}
	if _, err := e.store.SiteByKey(ctx, "pk_unknown"); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("unknown key err = %v", err)
	}
	// Rotating the key removes the old lookup.
	rotated := e.site
	rotated.Key = "pk_rotated_" + tenant
	if err := e.store.PutSite(ctx, rotated); err != nil {
		t.Fatal(err)
	}
	fresh := dynamo.New(e.client, e.table) // no cache
	if _, err := fresh.SiteByKey(ctx, e.site.Key); !errors.Is(err, account.ErrNotFound) {
		t.Fatalf("old key still resolves: %v", err)
	}
	if s, err := fresh.SiteByKey(ctx, rotated.Key); err != nil || s.ID != e.site.ID {
		t.Fatalf("new key: %+v %v", s, err)
	}
}

func TestSiteCache(t *testing.T) {
	now := time.Now()
	e := newEnv(t, dynamo.WithClock(func() time.Time { return now }))
	ctx := context.Background()
	if _, err := e.store.SiteByKey(ctx, e.site.Key); err != nil {
		t.Fatal(err)
	}
	// Change the site behind the cache's back.
	changed := e.site
	changed.Name = "Renamed"
	if err := dynamo.New(e.client, e.table).PutSite(ctx, changed); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if s, err := e.store.SiteByKey(ctx, e.site.Key); err != nil || s.Name != "Shop" {
				t.Errorf("cached site = %+v, %v", s, err)
			}
		})
	}
	wg.Wait()
	now = now.Add(31 * time.Second)
	if s, err := e.store.SiteByKey(ctx, e.site.Key); err != nil || s.Name != "Renamed" {
		t.Fatalf("after ttl: %+v, %v", s, err)
	}
}

func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := mustCapture(t, e, capture("ana@example.com"))
	b := e.addTenant(t, uniqueName("tenant-b")).TenantID

	if _, err := e.store.Detail(ctx, b, r.LeadID); !errors.Is(err, lead.ErrNotFound) {
		t.Fatalf("detail err = %v", err)
	}
	if _, err := e.store.Update(ctx, b, r.LeadID, 0, setRating(5)); !errors.Is(err, lead.ErrNotFound) {
		t.Fatalf("update err = %v", err)
	}
	if _, err := e.store.History(ctx, b, r.LeadID, "", 10); !errors.Is(err, lead.ErrNotFound) {
		t.Fatalf("history err = %v", err)
	}
	if _, err := e.store.Conversation(ctx, b, r.LeadID, "", 10); !errors.Is(err, lead.ErrNotFound) {
		t.Fatalf("conversation err = %v", err)
	}
	if _, err := e.store.Notes(ctx, b, r.LeadID, "", 10); !errors.Is(err, lead.ErrNotFound) {
		t.Fatalf("notes err = %v", err)
	}
	n := lead.Note{ID: lead.NewID(lead.PrefixNote, time.Now()), Text: "x", AuthorID: "u", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := e.store.AddNote(ctx, b, r.LeadID, n, noteEvent(lead.ActionNoteAdded, n)); !errors.Is(err, lead.ErrNotFound) {
		t.Fatalf("add note err = %v", err)
	}
	// A note of tenant A cannot be edited through tenant B.
	if err := e.store.AddNote(ctx, e.site.TenantID, r.LeadID, n, noteEvent(lead.ActionNoteAdded, n)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.UpdateNote(ctx, b, r.LeadID, n.ID, editNote("hacked")); !errors.Is(err, lead.ErrNotFound) {
		t.Fatalf("update note err = %v", err)
	}
	if err := e.store.DeleteNote(ctx, b, r.LeadID, n.ID, editNote("")); !errors.Is(err, lead.ErrNotFound) {
		t.Fatalf("delete note err = %v", err)
	}
	// The same e-mail in tenant B is a different person.
	c := capture("ana@example.com")
	siteB, err := e.store.SiteByKey(ctx, "pk_"+b)
	if err != nil {
		t.Fatal(err)
	}
	c.SiteID = siteB.ID
	rb, err := e.store.Capture(ctx, siteB, c)
	if err != nil || !rb.Created || rb.LeadID == r.LeadID {
		t.Fatalf("tenant B capture = %+v, %v", rb, err)
	}
	if d := mustDetail(t, e, e.site.TenantID, r.LeadID); d.Lead.Rating != 0 || len(d.Notes.Items) != 1 || d.Notes.Items[0].Text != "x" {
		t.Fatalf("tenant A lead changed: %+v", d)
	}
}

func TestUnknownLead(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.store.Detail(ctx, e.site.TenantID, "ld_nope"); !errors.Is(err, lead.ErrNotFound) {
		t.Fatalf("detail err = %v", err)
	}
	if _, err := e.store.History(ctx, e.site.TenantID, "ld_nope", "", 0); !errors.Is(err, lead.ErrNotFound) {
		t.Fatalf("history err = %v", err)
	}
}

func TestPaging(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	c := capture("ana@example.com")
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	c.Conversation = conversation(50, start, "a")
	r := mustCapture(t, e, c)
	c.Conversation = conversation(50, start.Add(time.Hour), "b")
	mustCapture(t, e, c)
	c.Conversation = conversation(30, start.Add(2*time.Hour), "c")
	mustCapture(t, e, c) // 130 messages, 3 history entries
	for i := range 60 {  // 63 history entries
		if _, err := e.store.Update(ctx, tenant, r.LeadID, 0, setRating(i%6)); err != nil {
			t.Fatal(err)
		}
	}
	var noteIDs []string
	for i := range 55 {
		now := time.Now().UTC()
		n := lead.Note{ID: lead.NewID(lead.PrefixNote, now), Text: fmt.Sprint("note ", i), AuthorID: "usr_1", CreatedAt: now, UpdatedAt: now}
		if err := e.store.AddNote(ctx, tenant, r.LeadID, n, noteEvent(lead.ActionNoteAdded, n)); err != nil {
			t.Fatal(err)
		}
		noteIDs = append(noteIDs, n.ID)
	}
	// 118 history entries now.

	d := mustDetail(t, e, tenant, r.LeadID)
	if len(d.Notes.Items) != 50 || d.Notes.NextCursor == "" || d.Notes.Items[0].ID != noteIDs[54] {
		t.Fatalf("detail notes: %d, cursor %q", len(d.Notes.Items), d.Notes.NextCursor)
	}
	if len(d.History.Items) != 50 || d.History.NextCursor == "" || d.History.Items[0].Action != lead.ActionNoteAdded {
		t.Fatalf("detail history: %d, cursor %q", len(d.History.Items), d.History.NextCursor)
	}
	if len(d.Conversation.Items) != 100 || d.Conversation.NextCursor == "" || !d.Conversation.Items[0].At.Equal(start) {
		t.Fatalf("detail conversation: %d, cursor %q", len(d.Conversation.Items), d.Conversation.NextCursor)
	}
	// The detail's cursors continue where it stopped.
	notes, err := e.store.Notes(ctx, tenant, r.LeadID, d.Notes.NextCursor, 50)
	if err != nil || len(notes.Items) != 5 || notes.NextCursor != "" || notes.Items[4].ID != noteIDs[0] {
		t.Fatalf("notes page 2 = %d items, cursor %q, err %v", len(notes.Items), notes.NextCursor, err)
	}
	conv, err := e.store.Conversation(ctx, tenant, r.LeadID, d.Conversation.NextCursor, 0)
	if err != nil || len(conv.Items) != 30 || conv.NextCursor != "" {
		t.Fatalf("conversation page 2 = %d items, cursor %q, err %v", len(conv.Items), conv.NextCursor, err)
	}

	// History walked in pages of 7: newest first, nothing skipped or repeated.
	var all []lead.Event
	cursor := ""
	for pages := 0; ; pages++ {
		p, err := e.store.History(ctx, tenant, r.LeadID, cursor, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) == 0 || len(p.Items) > 7 || pages > 20 {
			t.Fatalf("page %d has %d items", pages, len(p.Items))
		}
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if len(all) != 118 || all[len(all)-1].Action != lead.ActionCreated {
		t.Fatalf("history has %d entries, last %q", len(all), all[len(all)-1].Action)
	}
	seen := map[string]bool{}
	for i, ev := range all {
		if seen[ev.ID] || (i > 0 && ev.ID > all[i-1].ID) {
			t.Fatalf("entry %d out of order or repeated", i)
		}
		seen[ev.ID] = true
	}
	// Limit defaults to 50 and is capped at 100.
	if p, _ := e.store.History(ctx, tenant, r.LeadID, "", 0); len(p.Items) != 50 {
		t.Fatalf("default limit gave %d", len(p.Items))
	}
	if p, _ := e.store.History(ctx, tenant, r.LeadID, "", 1000); len(p.Items) != 100 {
		t.Fatalf("max limit gave %d", len(p.Items))
	}
	// Malformed cursors, and cursors of another list, are invalid input.
	for _, bad := range []string{"!!!", "e30", d.Conversation.NextCursor} {
		_, err := e.store.History(ctx, tenant, r.LeadID, bad, 10)
		var inv *lead.InvalidError
		if !errors.As(err, &inv) || inv.Errors[0].Field != "cursor" {
			t.Fatalf("cursor %q: err = %v", bad, err)
		}
	}
}

func TestUpdate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	r := mustCapture(t, e, capture("ana@example.com"))

	l, err := e.store.Update(ctx, tenant, r.LeadID, 1, setRating(4))
	if err != nil || l.Rating != 4 || l.Version != 2 || l.TenantID != tenant {
		t.Fatalf("update = %+v, %v", l, err)
	}
	if _, err := e.store.Update(ctx, tenant, r.LeadID, 1, setRating(2)); !errors.Is(err, lead.ErrVersionMismatch) {
		t.Fatalf("stale update err = %v", err)
	}
	// A change that reports no events writes nothing.
	same, err := e.store.Update(ctx, tenant, r.LeadID, 0, func(l *lead.Lead) ([]lead.Event, error) {
		l.Rating = 1
		return nil, nil
	})
	if err != nil || same.Version != 2 || same.Rating != 4 {
		t.Fatalf("no-op update = %+v, %v", same, err)
	}
	// A change's error comes back as is.
	boom := errors.New("boom")
	if _, err := e.store.Update(ctx, tenant, r.LeadID, 0, func(*lead.Lead) ([]lead.Event, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("change error = %v", err)
	}
	d := mustDetail(t, e, tenant, r.LeadID)
	if d.Lead.Rating != 4 || d.Lead.Version != 2 || len(d.History.Items) != 2 {
		t.Fatalf("after updates: %+v, history %v", d.Lead, actions(d.History.Items))
	}
	ev := d.History.Items[0]
	if ev.Field != "rating" || ev.Before != float64(0) || ev.After != float64(4) || ev.Actor.ID != "usr_1" {
		t.Fatalf("history entry = %+v", ev)
	}
}

func TestUpdateConcurrent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	r := mustCapture(t, e, capture("ana@example.com"))

	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { _, errs[i] = e.store.Update(ctx, tenant, r.LeadID, 1, setRating(i%6)) })
	}
	wg.Wait()
	ok, stale := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, lead.ErrVersionMismatch):
			stale++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if ok != 1 || stale != n-1 {
		t.Fatalf("ok=%d stale=%d", ok, stale)
	}

	// Without If-Match every concurrent update lands, each with its entry.
	for i := range n {
		wg.Go(func() { _, errs[i] = e.store.Update(ctx, tenant, r.LeadID, 0, setRating(i%6)) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	h, err := e.store.History(ctx, tenant, r.LeadID, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Items) != 1+1+n {
		t.Fatalf("history has %d entries, want %d", len(h.Items), 2+n)
	}
	if d := mustDetail(t, e, tenant, r.LeadID); d.Lead.Version != int64(2+n) {
		t.Fatalf("version = %d", d.Lead.Version)
	}
}

func setEmail(email string) func(l *lead.Lead) ([]lead.Event, error) {
	return func(l *lead.Lead) ([]lead.Event, error) {
		old := l.Contact.Email
		l.Contact.Email = email
		return []lead.Event{userEvent("contact.email", old, email)}, nil
	}
}

func TestUpdateMovesIdentityKeys(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	ana := mustCapture(t, e, capture("ana@example.com"))
	bia := mustCapture(t, e, capture("bia@example.com"))

	if _, err := e.store.Update(ctx, tenant, ana.LeadID, 0, setEmail("ana.souza@example.com")); err != nil {
		t.Fatal(err)
	}
	// The new e-mail finds ana; the old one is free for a new person.
	if r := mustCapture(t, e, capture("ana.souza@example.com")); r.Created || r.LeadID != ana.LeadID {
		t.Fatalf("capture by new e-mail = %+v", r)
	}
	if r := mustCapture(t, e, capture("ana@example.com")); !r.Created {
		t.Fatalf("capture by old e-mail = %+v", r)
	}
	// Taking bia's e-mail fails and changes nothing.
	if _, err := e.store.Update(ctx, tenant, ana.LeadID, 0, setEmail("bia@example.com")); !errors.Is(err, lead.ErrIdentityTaken) {
		t.Fatalf("taken e-mail err = %v", err)
	}
	if d := mustDetail(t, e, tenant, ana.LeadID); d.Lead.Contact.Email != "ana.souza@example.com" {
		t.Fatalf("email = %q", d.Lead.Contact.Email)
	}
	if r := mustCapture(t, e, capture("bia@example.com")); r.LeadID != bia.LeadID {
		t.Fatalf("bia's key moved: %+v", r)
	}
	// Removing the e-mail frees its key.
	if _, err := e.store.Update(ctx, tenant, bia.LeadID, 0, setEmail("")); err != nil {
		t.Fatal(err)
	}
	if r := mustCapture(t, e, capture("bia@example.com")); !r.Created {
		t.Fatalf("freed key still owned: %+v", r)
	}
}

func TestIDsWithSeparator(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	r := mustCapture(t, e, capture("ana@example.com"))
	for _, id := range []string{"", r.LeadID + "#x", "x#KEY"} {
		if _, err := e.store.Detail(ctx, tenant, id); !errors.Is(err, lead.ErrNotFound) {
			t.Fatalf("detail %q: %v", id, err)
		}
		if _, err := e.store.Notes(ctx, tenant, id, "", 10); !errors.Is(err, lead.ErrNotFound) {
			t.Fatalf("notes %q: %v", id, err)
		}
		if _, err := e.store.Update(ctx, tenant, id, 0, setRating(1)); !errors.Is(err, lead.ErrNotFound) {
			t.Fatalf("update %q: %v", id, err)
		}
		if _, err := e.store.UpdateNote(ctx, tenant, r.LeadID, id, editNote("x")); !errors.Is(err, lead.ErrNotFound) {
			t.Fatalf("update note %q: %v", id, err)
		}
	}
}
