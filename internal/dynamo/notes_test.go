package dynamo_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/lead"
)

func noteEvent(action string, n lead.Note) lead.Event {
	now := time.Now().UTC()
	return lead.Event{
		ID: lead.NewID(lead.PrefixEvent, now), At: now, Actor: lead.Actor{Type: lead.ActorUser, ID: n.AuthorID},
		Action: action, Field: "note", After: n.ID,
	}
}

func editNote(text string) func(n *lead.Note) (lead.Event, error) {
	return func(n *lead.Note) (lead.Event, error) {
		n.Text = text
		n.UpdatedAt = time.Now().UTC()
		return noteEvent(lead.ActionNoteEdited, *n), nil
	}
}

func TestNotes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	r := mustCapture(t, e, capture("ana@example.com"))
	now := time.Now().UTC()
	n := lead.Note{ID: lead.NewID(lead.PrefixNote, now), Text: "called, no answer", AuthorID: "usr_1", CreatedAt: now, UpdatedAt: now}

	if err := e.store.AddNote(ctx, tenant, "ld_missing", n, noteEvent(lead.ActionNoteAdded, n)); !errors.Is(err, lead.ErrNotFound) {
		t.Fatalf("note on missing lead: %v", err)
	}
	if err := e.store.AddNote(ctx, tenant, r.LeadID, n, noteEvent(lead.ActionNoteAdded, n)); err != nil {
		t.Fatal(err)
	}
	if err := e.store.AddNote(ctx, tenant, r.LeadID, n, noteEvent(lead.ActionNoteAdded, n)); err == nil {
		t.Fatal("duplicate note id accepted")
	}

	got, err := e.store.UpdateNote(ctx, tenant, r.LeadID, n.ID, editNote("called back, interested"))
	if err != nil || got.Text != "called back, interested" || got.ID != n.ID || got.AuthorID != "usr_1" {
		t.Fatalf("update note = %+v, %v", got, err)
	}
	forbid := func(*lead.Note) (lead.Event, error) { return lead.Event{}, lead.ErrForbidden }
	if _, err := e.store.UpdateNote(ctx, tenant, r.LeadID, n.ID, forbid); !errors.Is(err, lead.ErrForbidden) {
		t.Fatalf("forbidden edit err = %v", err)
	}
	if err := e.store.DeleteNote(ctx, tenant, r.LeadID, n.ID, forbid); !errors.Is(err, lead.ErrForbidden) {
		t.Fatalf("forbidden delete err = %v", err)
	}
	if _, err := e.store.UpdateNote(ctx, tenant, r.LeadID, "nt_missing", editNote("x")); !errors.Is(err, lead.ErrNotFound) {
		t.Fatalf("missing note err = %v", err)
	}
	page, err := e.store.Notes(ctx, tenant, r.LeadID, "", 10)
	if err != nil || len(page.Items) != 1 || page.Items[0].Text != "called back, interested" {
		t.Fatalf("notes = %+v, %v", page, err)
	}

	del := func(n *lead.Note) (lead.Event, error) { return noteEvent(lead.ActionNoteDeleted, *n), nil }
	if err := e.store.DeleteNote(ctx, tenant, r.LeadID, n.ID, del); err != nil {
		t.Fatal(err)
	}
	if err := e.store.DeleteNote(ctx, tenant, r.LeadID, n.ID, del); !errors.Is(err, lead.ErrNotFound) {
		t.Fatalf("second delete err = %v", err)
	}
	d := mustDetail(t, e, tenant, r.LeadID)
	if len(d.Notes.Items) != 0 {
		t.Fatalf("notes after delete = %+v", d.Notes.Items)
	}
	want := []string{lead.ActionNoteDeleted, lead.ActionNoteEdited, lead.ActionNoteAdded, lead.ActionCreated}
	if got := actions(d.History.Items); !slices.Equal(got, want) {
		t.Fatalf("history = %v, want %v", got, want)
	}
	// An empty page of an existing lead is not "not found".
	if p, err := e.store.Notes(ctx, tenant, r.LeadID, "", 10); err != nil || len(p.Items) != 0 {
		t.Fatalf("empty notes = %+v, %v", p, err)
	}
}

func TestNotesConcurrentEdits(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	r := mustCapture(t, e, capture("ana@example.com"))
	now := time.Now().UTC()
	n := lead.Note{ID: lead.NewID(lead.PrefixNote, now), Text: "v0", AuthorID: "usr_1", CreatedAt: now, UpdatedAt: now}
	if err := e.store.AddNote(ctx, tenant, r.LeadID, n, noteEvent(lead.ActionNoteAdded, n)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for i := range 10 {
		go func() {
			_, err := e.store.UpdateNote(ctx, tenant, r.LeadID, n.ID, editNote("edit "+itoa(i)))
			done <- err
		}()
	}
	for range 10 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	h, err := e.store.History(ctx, tenant, r.LeadID, "", 100)
	if err != nil || len(h.Items) != 12 {
		t.Fatalf("history = %d entries, %v", len(h.Items), err)
	}
}
