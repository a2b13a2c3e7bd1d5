package dynamo_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/interaction"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/merge"
)

// A person with notes, a task, a conversation, keys, a duplicate record
// on another lead and a lead merged into it: the export holds all of it;
// after the erasure no item of the table holds any of it, the reports
// count the person no more, and the audit entry names only who, when and
// the lead id.
func TestEraseLeavesNothingOfThePerson(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	c := touched("beatriz.erasmo@example.com", "google", "cpc", "erase")
	c.Name = "Beatriz Erasmo"
	c.Contact.CPF, c.Contact.Phone = "52998224725", "+5511987650001"
	c.Contact.Attributes = map[string]string{"empresa": "Erasmo Tintas"}
	c.Conversation = []lead.Message{{From: lead.SpeakerVisitor, Text: "meu pedido secreto", At: time.Now().UTC()}}
	c.Touch.At = time.Now().UTC()
	p, q, r := seedPerson(t, e, c, "bia.erasmo@example.org", "rita@example.com", "erase")
	now := time.Now().UTC()
	must(t, e.store.AddNote(ctx, tenant, p, lead.Note{ID: lead.NewID(lead.PrefixNote, now), Text: "anotacao confidencial", AuthorID: "usr_a", CreatedAt: now, UpdatedAt: now},
		lead.Event{ID: lead.NewID(lead.PrefixEvent, now), At: now, Actor: lead.Actor{Type: lead.ActorUser, ID: "usr_a"}, Action: lead.ActionNoteAdded}))
	must(t, e.store.CreateTask(ctx, tenant, newTask(p, "usr_a", "2026-12-01", "10:00", now), taskEvent("task_added", now)))
	att := "attachments/" + tenant + "/contrato.pdf"
	chat, _ := post(t, e, tenant, interaction.Input{Channel: "whatsapp", ExternalID: "wa-erase", Kind: "chat", Polarity: "negative",
		OpenedAt: now.Format(time.RFC3339), Profile: interaction.InputProfile{Email: "beatriz.erasmo@example.com"},
		Attachments: []interaction.InputAttachment{{Name: "contrato.pdf", ContentType: "application/pdf", Size: 10, Key: att}},
		Messages:    []interaction.InputMessage{{From: "visitor", Text: "mensagem privada no whatsapp", At: now.Format(time.RFC3339)}}})
	if chat.LeadID != p {
		t.Fatalf("the interaction matched %q", chat.LeadID)
	}
	admin := lead.Actor{Type: lead.ActorUser, ID: "usr_admin"}
	if _, err := e.store.Merge(ctx, tenant, merge.Request{Survivor: p, Absorb: []string{q}, Actor: admin}); err != nil {
		t.Fatal(err)
	}

	doc, err := e.store.DataExport(ctx, tenant, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, section := range []string{"notes", "conversation", "tasks", "identity_keys", "merged_leads", "history", "interactions", "interaction_items"} {
		if v, _ := doc[section].([]any); len(v) == 0 {
			t.Errorf("export section %s is empty", section)
		}
	}
	if keys, _ := doc["identity_keys"].([]any); len(keys) < 4 { // her e-mail, phone, CPF and the merged e-mail
		t.Errorf("identity keys: %v", keys)
	}
	if _, err := e.store.DataExport(ctx, tenant, q); !errors.Is(err, lead.ErrMerged) {
		t.Errorf("export of the merged lead: %v", err)
	}

	var files []string
	n, err := e.store.Erase(ctx, tenant, p, admin, func(_ context.Context, keys []string) error { files = append(files, keys...); return nil })
	if err != nil || n < 10 {
		t.Fatalf("erase: %d items, %v", n, err)
	}
	if len(files) != 1 || files[0] != att {
		t.Errorf("attachment files deleted: %v", files)
	}
	secrets := []string{"Beatriz", "beatriz.erasmo@example.com", "bia.erasmo@example.org", "52998224725", "5511987650001",
		"Erasmo Tintas", "meu pedido secreto", "anotacao confidencial", "mensagem privada", "wa-erase", chat.ID, chat.Protocol}
	var audit int
	for k, v := range e.snapshot(t) {
		if strings.Contains(k, "|AUDIT#") {
			audit++
			if !strings.Contains(v, p) || !strings.Contains(v, dynamo.ActionErased) || !strings.Contains(v, "usr_admin") {
				t.Errorf("audit entry: %s", v)
			}
			if strings.Contains(v, "Beatriz") || strings.Contains(v, "example") {
				t.Errorf("the audit entry holds personal data: %s", v)
			}
			continue
		}
		for _, s := range secrets {
			if strings.Contains(k, s) || strings.Contains(v, s) {
				t.Errorf("after erasure %s still holds %q", k, s)
			}
		}
	}
	if audit != 1 {
		t.Errorf("%d audit entries", audit)
	}
	if _, err := e.store.Detail(ctx, tenant, p); !errors.Is(err, lead.ErrNotFound) {
		t.Errorf("detail after erasure: %v", err)
	}
	reconciled(t, e, []string{r}, now)
	// Rita is untouched.
	if d := mustDetail(t, e, tenant, r); d.Lead.Contact.Email != "rita@example.com" {
		t.Errorf("the other lead: %+v", d.Lead.Contact)
	}
	if _, err := e.store.Erase(ctx, tenant, p, admin, nil); !errors.Is(err, lead.ErrNotFound) {
		t.Errorf("second erase: %v", err)
	}
}

// seedPerson captures c (which has a CPF) as the person, another lead of
// theirs (otherEmail, to merge into it) and someone else (rival), whose
// e-mail then arrives with the person's CPF: that joins the person and
// records the rival as a duplicate (a DUP# record on each of the two).
func seedPerson(t *testing.T, e *env, c lead.Capture, otherEmail, rival, campaign string) (p, q, r string) {
	t.Helper()
	p = mustCapture(t, e, c).LeadID
	q = mustCapture(t, e, touched(otherEmail, "meta", "paid", campaign)).LeadID
	r = mustCapture(t, e, touched(rival, "google", "cpc", campaign)).LeadID
	j := touched(rival, "google", "cpc", campaign)
	j.Contact.CPF = c.Contact.CPF
	if got := mustCapture(t, e, j).LeadID; got != p {
		t.Fatalf("joined %s", got)
	}
	return p, q, r
}
