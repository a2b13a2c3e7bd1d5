package dynamo_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/attribution"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/interaction"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/merge"
	"github.com/leadflow/leadflow/internal/outbox"
)

const month = 31 * 24 * time.Hour

// partition returns the sort keys of every item in a lead's partition.
func (e *env) partition(t *testing.T, tenant, id string) []string {
	t.Helper()
	in := &dynamodb.QueryInput{
		TableName: aws.String(e.table), KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "T#" + tenant + "#LEAD#" + id}},
		ConsistentRead:            aws.Bool(true),
	}
	var sks []string
	for {
		out, err := e.client.Query(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range out.Items {
			sks = append(sks, it[dynamo.AttrSK].(*types.AttributeValueMemberS).Value)
		}
		if len(out.LastEvaluatedKey) == 0 {
			return sks
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// raw reads one item by key (nil when missing).
func (e *env) raw(t *testing.T, pk, sk string) map[string]types.AttributeValue {
	t.Helper()
	out, err := e.client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(e.table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{dynamo.AttrPK: &types.AttributeValueMemberS{Value: pk}, dynamo.AttrSK: &types.AttributeValueMemberS{Value: sk}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func rawS(it map[string]types.AttributeValue, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func deletedAt(t *testing.T, e *env, id string) time.Time {
	t.Helper()
	l, err := e.store.Lead(context.Background(), e.site.TenantID, id)
	if err != nil || l.DeletedAt == nil {
		t.Fatalf("lead %s: deleted_at %v (%v)", id, l.DeletedAt, err)
	}
	return *l.DeletedAt
}

func duePurgeIDs(t *testing.T, e *env, now, resendBefore time.Time) []string {
	t.Helper()
	due, err := e.store.DuePurges(context.Background(), now, resendBefore, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range due {
		ids = append(ids, d.TenantID+"/"+d.LeadID)
	}
	return ids
}

// The purge entry is written with the soft delete and removed with the
// restore (by an admin or by a new capture of the person), it is due 30
// days after the deletion, and the scheduled-change sweep never sees it.
func TestPurgeEntryFollowsDeleteAndRestore(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	id := mustCapture(t, e, capture("purge-entry@example.com")).LeadID
	pk := "T#" + tenant + "#LEAD#" + id
	if e.raw(t, pk, "PURGE") != nil {
		t.Fatal("a live lead has a purge entry")
	}

	softDelete(t, e, id)
	del := deletedAt(t, e, id)
	it := e.raw(t, pk, "PURGE")
	if it == nil {
		t.Fatal("soft delete wrote no purge entry")
	}
	at := lead.PurgeAt(del)
	if gpk, gsk := rawS(it, dynamo.AttrGSI2PK), rawS(it, dynamo.AttrGSI2SK); len(gpk) != len("PURGE#0") || gpk[:6] != "PURGE#" ||
		gsk != at.Format("2006-01-02T15:04:05.000000000Z")+"#"+tenant+"#"+id {
		t.Errorf("purge entry GSI2 key %q / %q", gpk, gsk)
	}
	key := tenant + "/" + id
	long := del.Add(-time.Hour) // resendBefore: nothing sent yet counts as unsent
	if got := duePurgeIDs(t, e, at.Add(-time.Second), long); slices.Contains(got, key) {
		t.Errorf("due a second before the window ends: %v", got)
	}
	if got := duePurgeIDs(t, e, at, long); !slices.Contains(got, key) {
		t.Errorf("not due when the window ends: %v", got)
	}
	changes, err := e.store.DueChanges(ctx, del.Add(2*month), del.Add(2*month))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		if c.LeadID == id {
			t.Errorf("the scheduled-change sweep sees the purge entry: %+v", c)
		}
	}

	// Sent: skipped until the re-send time, then found again.
	sentAt := at.Add(time.Minute)
	must(t, e.store.MarkPurgeSent(ctx, lead.DuePurge{TenantID: tenant, LeadID: id, At: at}, sentAt))
	if got := duePurgeIDs(t, e, sentAt.Add(time.Minute), sentAt.Add(-time.Minute)); slices.Contains(got, key) {
		t.Errorf("sent purge found again before its re-send time: %v", got)
	}
	if got := duePurgeIDs(t, e, sentAt.Add(time.Hour), sentAt.Add(time.Second)); !slices.Contains(got, key) {
		t.Errorf("sent purge not re-sent after a while: %v", got)
	}

	restore(t, e, id)
	if e.raw(t, pk, "PURGE") != nil {
		t.Fatal("restore left the purge entry")
	}
	if got := duePurgeIDs(t, e, del.Add(2*month), long); slices.Contains(got, key) {
		t.Errorf("restored lead still due for purge: %v", got)
	}
	// Marking a purge that is no longer there creates nothing.
	must(t, e.store.MarkPurgeSent(ctx, lead.DuePurge{TenantID: tenant, LeadID: id, At: at}, sentAt))
	if e.raw(t, pk, "PURGE") != nil {
		t.Fatal("MarkPurgeSent created an entry")
	}

	// Deleted again, then the person comes back through a capture: the
	// capture restores the lead and removes the entry in its transaction.
	softDelete(t, e, id)
	if e.raw(t, pk, "PURGE") == nil {
		t.Fatal("second soft delete wrote no purge entry")
	}
	if r := mustCapture(t, e, capture("purge-entry@example.com")); r.Created || r.LeadID != id {
		t.Fatalf("recapture before purge: %+v", r)
	}
	delete(deletedLeads, id)
	if e.raw(t, pk, "PURGE") != nil {
		t.Fatal("a capture restored the lead but left its purge entry")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A purge deletes every item of the lead and the identity keys that still
// point to it, leaves a key another lead holds, moves no attribution
// counter (the soft delete did), and changes nothing when run again.
func TestPurgeLeadDeletesEverything(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	now := time.Now().UTC()

	c := touched("purge-me@example.com", "google", "cpc", "bf2026")
	c.Contact.Phone, c.Contact.CPF = "+5511987654321", "52998224725"
	c.ExternalID = "crm-77"
	c.Conversation = conversation(6, now.Add(-time.Minute), "purge")
	id := mustCapture(t, e, c).LeadID
	other := mustCapture(t, e, capture("someone-else@example.com")).LeadID

	// Notes, history, an owner (open-lead counter) and a scheduled change.
	for i := range 3 {
		nt := lead.Note{ID: lead.NewID(lead.PrefixNote, now.Add(time.Duration(i))), Text: "nota", AuthorID: "usr_admin", CreatedAt: now, UpdatedAt: now}
		must(t, e.store.AddNote(ctx, tenant, id, nt, lead.Event{ID: lead.NewID(lead.PrefixEvent, now), At: now, Action: lead.ActionNoteAdded}))
	}
	_, err := e.store.Update(ctx, tenant, id, 0, func(l *lead.Lead) ([]lead.Event, error) {
		l.OwnerID = "usr_owner"
		return []lead.Event{{Action: lead.ActionUpdated, Field: "owner_id", After: "usr_owner"}}, nil
	})
	must(t, err)
	acct, err := e.store.Account(ctx, tenant)
	must(t, err)
	sc, err := lead.NewScheduledChange("sale", "", now.Add(48*time.Hour).Format(time.RFC3339), acct, lead.Actor{Type: lead.ActorUser, ID: "usr_admin"}, now)
	must(t, err)
	_, err = e.store.Update(ctx, tenant, id, 0, func(l *lead.Lead) ([]lead.Event, error) { return []lead.Event{l.Schedule(sc, now)}, nil })
	must(t, err)
	setState(t, e, id, lead.StateInProgress)
	open, err := e.store.OpenLeads(ctx, tenant)
	must(t, err)
	if open["usr_owner"] != 1 {
		t.Fatalf("open leads before %v", open)
	}

	// The phone key was re-taken by another lead (the deleted lead still
	// lists the phone): the purge must leave it to that lead.
	phoneKey := "T#" + tenant + "#KEY#phone#+5511987654321"
	if e.raw(t, phoneKey, "KEY") == nil {
		t.Fatalf("no phone key item %s", phoneKey)
	}
	_, err = e.client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(e.table), Item: map[string]types.AttributeValue{
		dynamo.AttrPK: &types.AttributeValueMemberS{Value: phoneKey}, dynamo.AttrSK: &types.AttributeValueMemberS{Value: "KEY"},
		"lead_id": &types.AttributeValueMemberS{Value: other}, "contact_id": &types.AttributeValueMemberS{Value: "ct_other"},
	}})
	must(t, err)

	softDelete(t, e, id)
	del := deletedAt(t, e, id)
	q := attribution.Query{Touch: attribution.First, From: now.Add(-72 * time.Hour), To: now.Add(72 * time.Hour),
		GroupBy: attribution.AllDimensions, Daily: true}
	counters := reported(t, e, q)
	before := e.partition(t, tenant, id)
	for _, prefix := range []string{"META", "NOTE#", "EVT#", "MSG#", "SCHED#", "PURGE"} {
		if !slices.ContainsFunc(before, func(sk string) bool { return len(sk) >= len(prefix) && sk[:len(prefix)] == prefix }) {
			t.Fatalf("seeded partition lacks %s items: %v", prefix, before)
		}
	}
	ownKeys := []string{"T#" + tenant + "#KEY#email#purge-me@example.com", "T#" + tenant + "#KEY#cpf#52998224725"}
	for _, k := range ownKeys {
		if it := e.raw(t, k, "KEY"); rawS(it, "lead_id") != id {
			t.Fatalf("key %s = %v", k, it)
		}
	}

	res, err := e.store.PurgeLead(ctx, tenant, id, del.Add(month), nil)
	must(t, err)
	if !res.Purged || res.Items != len(before) || res.Keys != 3 || res.KeysKept != 1 || !res.DeletedAt.Equal(del) {
		t.Errorf("purge result %+v, want %d items, 3 keys deleted (e-mail, CPF, external id), 1 kept", res, len(before))
	}
	if left := e.partition(t, tenant, id); len(left) != 0 {
		t.Errorf("purge left %v", left)
	}
	for _, k := range ownKeys {
		if it := e.raw(t, k, "KEY"); it != nil {
			t.Errorf("key %s survived the purge: %v", k, it)
		}
	}
	if it := e.raw(t, phoneKey, "KEY"); rawS(it, "lead_id") != other {
		t.Errorf("the key another lead holds was touched: %v", it)
	}
	if _, err := e.store.Detail(ctx, tenant, id); !errors.Is(err, lead.ErrNotFound) {
		t.Errorf("detail after purge: %v", err)
	}
	if got := reported(t, e, q); !equalCells(got, counters) {
		t.Errorf("attribution counters moved at purge: %v → %v", counters, got)
	}
	if open, _ := e.store.OpenLeads(ctx, tenant); open["usr_owner"] != 0 {
		t.Errorf("open leads after purge %v, want usr_owner back to 0", open)
	}
	if got := duePurgeIDs(t, e, del.Add(2*month), del); slices.Contains(got, tenant+"/"+id) {
		t.Errorf("purged lead still due: %v", got)
	}

	// Idempotent: a second run finds nothing and touches nothing.
	again, err := e.store.PurgeLead(ctx, tenant, id, del.Add(month), nil)
	if err != nil || again.Purged || again.Skipped != lead.PurgeSkippedGone {
		t.Errorf("second purge %+v (%v)", again, err)
	}
	if open, _ := e.store.OpenLeads(ctx, tenant); open["usr_owner"] != 0 {
		t.Errorf("second purge moved the open-lead counter: %v", open)
	}
	if got := reported(t, e, q); !equalCells(got, counters) {
		t.Errorf("second purge moved attribution counters")
	}
	// The person comes back (without the phone another lead holds): a
	// new lead.
	c.Contact.Phone = ""
	if r := mustCapture(t, e, c); !r.Created || r.LeadID == id {
		t.Errorf("capture after purge %+v, want a new lead", r)
	}
	if _, err := e.store.Lead(ctx, tenant, other); err != nil {
		t.Errorf("the other lead: %v", err)
	}
}

func equalCells(a, b map[string]cell) bool {
	if len(a) != len(b) {
		return false
	}
	for k, x := range a {
		y, ok := b[k]
		if !ok || x.leads != y.leads || len(x.byState) != len(y.byState) {
			return false
		}
		for s, n := range x.byState {
			if y.byState[s] != n {
				return false
			}
		}
	}
	return true
}

// The worker re-checks: a lead not yet due or restored meanwhile is left
// whole.
func TestPurgeSkipsRestoredAndNotDue(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	id := mustCapture(t, e, capture("kept@example.com")).LeadID
	softDelete(t, e, id)
	del := deletedAt(t, e, id)
	items := e.partition(t, tenant, id)

	res, err := e.store.PurgeLead(ctx, tenant, id, del.Add(29*24*time.Hour), nil)
	if err != nil || res.Purged || res.Skipped != lead.PurgeSkippedNotDue {
		t.Fatalf("purge inside the window: %+v (%v)", res, err)
	}
	restore(t, e, id)
	res, err = e.store.PurgeLead(ctx, tenant, id, del.Add(month), nil)
	if err != nil || res.Purged || res.Skipped != lead.PurgeSkippedRestored {
		t.Fatalf("purge of a restored lead: %+v (%v)", res, err)
	}
	after := e.partition(t, tenant, id)
	if len(after) < len(items) { // the restore added a history entry and index items
		t.Errorf("partition shrank: %v → %v", items, after)
	}
	if d := mustDetail(t, e, tenant, id); d.Lead.DeletedAt != nil {
		t.Errorf("restored lead deleted: %+v", d.Lead)
	}
	if r := mustCapture(t, e, capture("kept@example.com")); r.Created || r.LeadID != id {
		t.Errorf("recapture of the restored lead: %+v", r)
	}
}

// A purge that stopped after deleting META (a crash) is finished by the
// redelivered job: the purge entry is what says there is work left.
func TestPurgeFinishesAfterACrash(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	id := mustCapture(t, e, capture("crash@example.com")).LeadID
	setState(t, e, id, lead.StateInProgress)
	softDelete(t, e, id)
	del := deletedAt(t, e, id)
	pk := "T#" + tenant + "#LEAD#" + id
	_, err := e.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(e.table), Key: map[string]types.AttributeValue{
		dynamo.AttrPK: &types.AttributeValueMemberS{Value: pk}, dynamo.AttrSK: &types.AttributeValueMemberS{Value: "META"},
	}})
	must(t, err)
	left := e.partition(t, tenant, id)
	if len(left) < 3 {
		t.Fatalf("too little left to prove anything: %v", left)
	}
	// Keys naming a lead without META (which a purge never leaves: it
	// deletes both in one transaction) fail a capture instead of looping.
	if _, err := e.store.Capture(ctx, e.site, capture("crash@example.com")); err == nil {
		t.Error("capture onto a dangling identity key succeeded")
	}
	res, err := e.store.PurgeLead(ctx, tenant, id, del.Add(month), nil)
	if err != nil || !res.Purged || res.Items != len(left) || !res.DeletedAt.Equal(del) || res.Interactions != 1 {
		t.Fatalf("resumed purge %+v (%v), want %d items and the capture's interaction", res, err, len(left))
	}
	if got := e.partition(t, tenant, id); len(got) != 0 {
		t.Errorf("left %v", got)
	}
	// The capture's interaction, found through the timeline item that
	// outlived META, went too.
	for _, sk := range left {
		if strings.HasPrefix(sk, "TL#") {
			if it := e.raw(t, "T#"+tenant+"#INT#"+sk[strings.LastIndexByte(sk, '#')+1:], "META"); it != nil {
				t.Errorf("the interaction of %s survived the resumed purge", sk)
			}
		}
	}
}

// Each sweep takes a bounded batch; marking them sent lets the next sweep
// take the next ones until every due purge was sent once.
func TestDuePurgesIsBounded(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var latest time.Time
	want := map[string]bool{}
	for i := range 6 {
		id := mustCapture(t, e, capture("bounded"+itoa(i)+"@example.com")).LeadID
		softDelete(t, e, id)
		latest = deletedAt(t, e, id)
		want[id] = true
	}
	now := latest.Add(month)
	seen := map[string]bool{}
	for sweep := 0; len(seen) < len(want); sweep++ {
		if sweep > len(want) {
			t.Fatalf("after %d sweeps saw %d of %d", sweep, len(seen), len(want))
		}
		due, err := e.store.DuePurges(ctx, now, now.Add(-time.Hour), 2)
		must(t, err)
		if len(due) == 0 || len(due) > 2 {
			t.Fatalf("sweep %d: %d due, want 1..2", sweep, len(due))
		}
		for _, d := range due {
			if seen[d.LeadID] || !want[d.LeadID] || d.TenantID != e.site.TenantID {
				t.Fatalf("sweep %d: unexpected %+v", sweep, d)
			}
			seen[d.LeadID] = true
			must(t, e.store.MarkPurgeSent(ctx, d, now))
		}
	}
	if due, _ := e.store.DuePurges(ctx, now, now.Add(-time.Hour), 2); len(due) != 0 {
		t.Errorf("all sent, still due %v", due)
	}
}

// A purge deletes what erasing the person would: after the 30 days, a
// scan of the table finds nothing of the lead or of the lead merged into
// it — no interaction (META, messages, events, upsert and protocol keys),
// attachment file, identity key (unique or not), timeline item, task or
// its notification, duplicate record on another lead, merge record,
// conversation message. An interaction related to another lead before
// the purge is that lead's and stays whole.
func TestPurgeLeavesNothingOfTheLead(t *testing.T) {
	e, _ := identityEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	now := time.Now().UTC()
	c := touched("otavio.purga@example.com", "google", "cpc", "purge")
	c.Name = "Otavio Purga"
	c.Contact.CPF, c.Contact.Phone = "52998224725", "+5511987650002"
	c.Conversation = []lead.Message{{From: lead.SpeakerVisitor, Text: "conversa secreta", At: now}}
	// Otavio, an older lead of his to merge, and Rosa with a duplicate
	// record on each side.
	p, q, r := seedPerson(t, e, c, "otavio.antigo@example.org", "rosa@example.com", "purge")
	must(t, e.store.JoinKeys(ctx, tenant, p, []lead.IdentityKey{{Kind: "rg", Value: "7654321"}, {Kind: "company_code", Value: "PURGA"}}, user))
	tk := newTask(p, "usr_a", "2026-12-01", "10:00", now)
	must(t, e.store.CreateTask(ctx, tenant, tk, taskEvent("task_added", now)))
	remind, _ := tk.RemindAt()
	if ok, err := e.store.RecordDueNow(ctx, tenant, outbox.TaskDue{TaskID: tk.ID, LeadID: p, AssigneeID: "usr_a", RemindAt: remind, Description: tk.Description}, now); !ok || err != nil {
		t.Fatalf("due-now notification: %v %v", ok, err)
	}
	att := "attachments/" + tenant + "/laudo.pdf"
	chat, _ := post(t, e, tenant, interaction.Input{Channel: "whatsapp", ExternalID: "wa-purge", Kind: "chat", Polarity: "negative",
		OpenedAt: now.Format(time.RFC3339), Profile: interaction.InputProfile{Email: "otavio.purga@example.com"},
		Attachments: []interaction.InputAttachment{{Name: "laudo.pdf", ContentType: "application/pdf", Size: 10, Key: att}},
		Messages:    []interaction.InputMessage{{From: "visitor", Text: "mensagem privada no whatsapp", At: now.Format(time.RFC3339)}}})
	moved, _ := post(t, e, tenant, interaction.Input{Channel: "instagram", ExternalID: "ig-moved", Kind: "dm",
		OpenedAt: now.Format(time.RFC3339), Profile: interaction.InputProfile{Email: "otavio.purga@example.com"},
		Messages: []interaction.InputMessage{{From: "visitor", Text: "isto e da Rosa", At: now.Format(time.RFC3339)}}})
	if chat.LeadID != p || moved.LeadID != p {
		t.Fatalf("the interactions matched %q and %q", chat.LeadID, moved.LeadID)
	}
	if _, err := e.store.RelateInteraction(ctx, tenant, moved.ID, r, user); err != nil {
		t.Fatal(err)
	}
	m, err := e.store.Merge(ctx, tenant, merge.Request{Survivor: p, Absorb: []string{q}, Actor: user})
	must(t, err)
	mergePK := "T#" + tenant + "#MERGE#" + m.MergeID
	softDelete(t, e, p)
	del := deletedAt(t, e, p)

	// What the purge must remove, proven there first.
	before := e.snapshot(t)
	has := func(snap map[string]string, s string) bool {
		for k, v := range snap {
			if strings.Contains(k, s) || strings.Contains(v, s) {
				return true
			}
		}
		return false
	}
	gone := []string{p, q, "Otavio", "otavio.purga@example.com", "otavio.antigo@example.org", "52998224725", "5511987650002",
		"7654321", "PURGA", "conversa secreta", "mensagem privada", "wa-purge", chat.ID, chat.Protocol, tk.ID}
	for _, s := range gone {
		if !has(before, s) {
			t.Fatalf("nothing holds %q before the purge", s)
		}
	}
	if e.raw(t, mergePK, "MERGE") == nil || e.raw(t, "T#"+tenant+"#LEAD#"+r, "DUP#"+p+"#email#rosa@example.com") == nil {
		t.Fatal("no merge record or no duplicate record on Rosa before the purge")
	}

	var files []string
	deleteFiles := func(_ context.Context, keys []string) error { files = append(files, keys...); return nil }
	res, err := e.store.PurgeLead(ctx, tenant, p, del.Add(month), deleteFiles)
	if err != nil || !res.Purged || res.Interactions < 2 { // the chat and the capture's form interactions
		t.Fatalf("purge %+v (%v)", res, err)
	}
	// The tombstone's purge entry is due as well (its window started at
	// the merge, before the deletion).
	if res, err := e.store.PurgeLead(ctx, tenant, q, del.Add(month), deleteFiles); err != nil || !res.Purged {
		t.Fatalf("purge of the merged lead %+v (%v)", res, err)
	}
	if len(files) != 1 || files[0] != att {
		t.Errorf("attachment files deleted: %v", files)
	}
	after := e.snapshot(t)
	for k, v := range after {
		if strings.Contains(k, "#INT#"+moved.ID+"|") {
			continue // Rosa's now, with the profile the channel sent (checked below)
		}
		for _, s := range gone {
			if strings.Contains(k, s) || strings.Contains(v, s) {
				t.Errorf("after the purge %s still holds %q: %.300s", k, s, v)
			}
		}
	}
	if e.raw(t, mergePK, "MERGE") != nil {
		t.Error("the merge record survived the purge")
	}
	// Rosa keeps her lead and the interaction related to her.
	if d := mustDetail(t, e, tenant, r); d.Lead.Contact.Email != "rosa@example.com" {
		t.Errorf("the other lead: %+v", d.Lead.Contact)
	}
	if in, err := e.store.Interaction(ctx, tenant, moved.ID); err != nil || in.LeadID != r || len(in.Messages) != 1 {
		t.Errorf("Rosa's interaction after the purge: %+v (%v)", in, err)
	}
	if e.raw(t, "T#"+tenant+"#INTX#instagram#ig-moved", "KEY") == nil || e.raw(t, "T#"+tenant+"#PROTO#"+moved.Protocol, "KEY") == nil {
		t.Error("the purge deleted the lookups of Rosa's interaction")
	}
	// Run again: nothing left to do, nothing touched.
	if again, err := e.store.PurgeLead(ctx, tenant, p, del.Add(month), deleteFiles); err != nil || again.Purged || len(files) != 1 {
		t.Errorf("second purge %+v (%v), files %v", again, err, files)
	}
	if got := e.snapshot(t); len(got) != len(after) {
		t.Errorf("second purge changed the table: %d → %d items", len(after), len(got))
	}
}
