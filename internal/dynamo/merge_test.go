package dynamo_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/leadflow/leadflow/internal/attribution"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/interaction"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/merge"
)

// snapshot is every item of the table but the shared counters (checked by
// reconciling them with the leads) and merge records: PK|SK → JSON of the
// exact attribute values. Tests may Scan; request paths never do.
func (e *env) snapshot(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	in := &dynamodb.ScanInput{TableName: aws.String(e.table), ConsistentRead: aws.Bool(true)}
	for {
		page, err := e.client.Scan(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			pk, sk := rawS(it, dynamo.AttrPK), rawS(it, dynamo.AttrSK)
			if strings.Contains(pk, "#ATTR#") || strings.HasPrefix(sk, "LOAD#") || strings.Contains(pk, "#MERGE#") {
				continue
			}
			out[pk+"|"+sk] = avJSON(it)
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// avJSON renders attribute values with their types, maps sorted (by
// encoding/json), so equal strings mean equal items.
func avJSON(it map[string]types.AttributeValue) string {
	var conv func(v types.AttributeValue) any
	conv = func(v types.AttributeValue) any {
		switch t := v.(type) {
		case *types.AttributeValueMemberS:
			return map[string]any{"S": t.Value}
		case *types.AttributeValueMemberN:
			return map[string]any{"N": t.Value}
		case *types.AttributeValueMemberBOOL:
			return map[string]any{"BOOL": t.Value}
		case *types.AttributeValueMemberNULL:
			return map[string]any{"NULL": true}
		case *types.AttributeValueMemberL:
			l := []any{}
			for _, x := range t.Value {
				l = append(l, conv(x))
			}
			return map[string]any{"L": l}
		case *types.AttributeValueMemberM:
			m := map[string]any{}
			for k, x := range t.Value {
				m[k] = conv(x)
			}
			return map[string]any{"M": m}
		case *types.AttributeValueMemberSS:
			return map[string]any{"SS": slices.Sorted(slices.Values(t.Value))}
		}
		return fmt.Sprintf("%T", v)
	}
	b, _ := json.Marshal(conv(&types.AttributeValueMemberM{Value: it}))
	return string(b)
}

func diffSnapshots(a, b map[string]string) []string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			out = append(out, "missing "+k)
		} else if v != w {
			out = append(out, "changed "+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, "extra "+k)
		}
	}
	slices.Sort(out)
	return out
}

// reconciled checks the attribution counters against a recount of the
// live leads, by both touches.
func reconciled(t *testing.T, e *env, live []string, day time.Time) {
	t.Helper()
	q := attribution.Query{From: day.AddDate(0, 0, -3), To: day.AddDate(0, 0, 3), GroupBy: attribution.AllDimensions, Daily: true}
	for _, touch := range []attribution.Touch{attribution.First, attribution.Last} {
		q.Touch = touch
		if want, got := expected(t, e, live, touch), reported(t, e, q); !equalCells(want, got) {
			t.Errorf("%s touch: counters %v, recount of %v %v", touch, got, live, want)
		}
	}
}

// One merge scenario on the emulator, large enough to take several
// transactions (60 notes move): the dry run answers the lead the merge
// stores; everything moves or is re-pointed; the absorbed lead is a
// tombstone naming the survivor; the reports count the person once from
// the earliest first touch; the undo restores every item byte for byte
// and the counters; an undo after a change answers what changed and
// writes nothing.
func TestMergeMovesEverythingAndUndoRestoresEveryItem(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	day := time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *dynamo.Store { return e.store.At(day.Add(d)) }
	capAt := func(d time.Duration, c lead.Capture) string {
		c.SiteID, c.Touch.SiteID = e.site.ID, e.site.ID
		c.Touch.At = day.Add(d)
		res, err := at(d).Capture(ctx, e.site, c)
		if err != nil {
			t.Fatal(err)
		}
		return res.LeadID
	}
	// The absorbed lead came first (a form, campaign "early"), the
	// survivor a day later; a third lead shares a phone with the absorbed.
	ca := touched("ana.b@example.com", "facebook", "paid", "early")
	ca.Contact.Phone, ca.Conversation = "+5511912345678", conversation(4, day, "absorbed")
	absorbed := capAt(0, ca)
	cs := touched("ana@example.com", "google", "cpc", "late")
	cs.Contact.CPF = "52998224725"
	survivor := capAt(24*time.Hour, cs)
	cx := touched("x@example.com", "google", "cpc", "late")
	cx.Name = "Xavier"
	other := capAt(25*time.Hour, cx)
	// Its e-mail with the absorbed lead's phone: joins it (the stronger
	// key) and records the absorbed lead as a duplicate candidate.
	cx.Contact.Phone = "+5511912345678"
	if got := capAt(25*time.Hour+time.Minute, cx); got != other {
		t.Fatalf("the e-mail capture joined %s", got)
	}
	// A capture with the survivor's CPF and the absorbed lead's phone
	// joins the survivor and records the pair as duplicates.
	cj := touched("", "google", "cpc", "late")
	cj.Contact.CPF, cj.Contact.Phone = "52998224725", "+5511912345678"
	if got := capAt(26*time.Hour, cj); got != survivor {
		t.Fatalf("the CPF capture joined %s, want the survivor", got)
	}
	for i := range 60 {
		now := day.Add(time.Duration(i) * time.Minute)
		must(t, e.store.AddNote(ctx, tenant, absorbed, lead.Note{ID: lead.NewID(lead.PrefixNote, now), Text: fmt.Sprintf("note %d", i), AuthorID: "usr_a", CreatedAt: now, UpdatedAt: now},
			lead.Event{ID: lead.NewID(lead.PrefixEvent, now), At: now, Actor: lead.Actor{Type: lead.ActorUser, ID: "usr_a"}, Action: lead.ActionNoteAdded}))
	}
	tk := newTask(absorbed, "usr_a", "2026-12-01", "10:00", day)
	must(t, e.store.CreateTask(ctx, tenant, tk, taskEvent("task_added", day)))
	setState(t, e, absorbed, lead.StateSale)
	chat, _ := post(t, e, tenant, interaction.Input{Channel: "whatsapp", ExternalID: "wa-merge", Kind: "chat", Status: "open", Polarity: "negative",
		OpenedAt: day.Add(time.Hour).Format(time.RFC3339), Profile: interaction.InputProfile{Email: "ana.b@example.com"},
		Messages: []interaction.InputMessage{{From: "visitor", Text: "oi", At: day.Add(time.Hour).Format(time.RFC3339)}}})
	if chat.LeadID != absorbed {
		t.Fatalf("the interaction matched %q", chat.LeadID)
	}

	if _, err := e.store.Update(ctx, tenant, survivor, 0, func(l *lead.Lead) ([]lead.Event, error) {
		l.OwnerID = "usr_s"
		return []lead.Event{{Action: lead.ActionUpdated, Field: "owner_id", After: "usr_s"}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	load := func() int64 {
		m, err := e.store.OpenLeads(ctx, tenant)
		must(t, err)
		return m["usr_s"]
	}
	sug, err := e.store.Duplicates(ctx, tenant, survivor, false)
	if err != nil || len(sug) != 1 || sug[0].LeadID != absorbed || sug[0].Reasons[0].Match != merge.MatchRecorded {
		t.Fatalf("duplicates of the survivor: %+v, %v", sug, err)
	}
	live := []string{survivor, absorbed, other}
	reconciled(t, e, live, day)
	before := e.snapshot(t)

	mergedAt := day.Add(48 * time.Hour)
	req := merge.Request{Survivor: survivor, Absorb: []string{absorbed}, DryRun: true, Actor: lead.Actor{Type: lead.ActorUser, ID: "usr_admin"}}
	dry, err := e.store.At(mergedAt).Merge(ctx, tenant, req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := diffSnapshots(before, e.snapshot(t)); len(diff) > 0 {
		t.Fatalf("the dry run wrote: %v", diff)
	}
	if dry.Moves.Notes != 60 || dry.Moves.Tasks != 1 || dry.Moves.Messages != 4 || dry.Moves.Keys != 2 || dry.Moves.Duplicates != 1 || dry.Moves.Interactions != 2 {
		t.Errorf("moves: %+v", dry.Moves)
	}
	req.DryRun = false
	done, err := e.store.At(mergedAt).Merge(ctx, tenant, req)
	if err != nil {
		t.Fatal(err)
	}
	dj, _ := json.Marshal(dry.Lead)
	rj, _ := json.Marshal(done.Lead)
	if string(dj) != string(rj) {
		t.Errorf("dry run result\n%s\nreal merge\n%s", dj, rj)
	}
	stored := mustDetail(t, e, tenant, survivor)
	sj, _ := json.Marshal(stored.Lead)
	if string(sj) != string(rj) {
		t.Errorf("stored\n%s\nanswered\n%s", sj, rj)
	}
	l := stored.Lead
	if l.State != lead.StateSale || l.FirstTouch.UTMCampaign != "early" || !l.CreatedAt.Equal(day) || l.Contact.CPF != "52998224725" {
		t.Errorf("merged lead: state %s, first touch %q, created %v", l.State, l.FirstTouch.UTMCampaign, l.CreatedAt)
	}
	if _, err := e.store.Detail(ctx, tenant, absorbed); !errors.Is(err, lead.ErrNotFound) {
		t.Errorf("absorbed detail: %v, want not found", err)
	} else if me := (*lead.MergedError)(nil); !errors.As(err, &me) || me.Into != survivor {
		t.Errorf("absorbed detail: %v, want merged into the survivor", err)
	}
	notes, err := e.store.Notes(ctx, tenant, survivor, "", 100)
	if err != nil || len(notes.Items) != 60 {
		t.Errorf("survivor notes: %d, %v", len(notes.Items), err)
	}
	if l.Occurrences.Negative != 1 || l.Tickets.Open != 1 || l.Interactions != 4 || len(l.KeyMap()["email"]) != 2 {
		t.Errorf("merged counters and keys: %+v %+v %d %v", l.Occurrences, l.Tickets, l.Interactions, l.KeyMap())
	}
	if got, err := e.store.Interaction(ctx, tenant, chat.ID); err != nil || got.LeadID != survivor {
		t.Errorf("the interaction names %q (%v)", got.LeadID, err)
	}
	if tl, err := e.store.Timeline(ctx, tenant, survivor, "", "", 50); err != nil || len(tl.Items) != 4 {
		t.Errorf("survivor timeline: %d items, %v", len(tl.Items), err)
	}
	if got, err := e.store.Task(ctx, tenant, tk.ID); err != nil || got.LeadID != survivor {
		t.Errorf("task: %+v, %v", got, err)
	}
	if id, err := e.store.LeadIDByKey(ctx, tenant, lead.IdentityKey{Kind: "email", Value: "ana.b@example.com"}); err != nil || id != survivor {
		t.Errorf("the absorbed e-mail's key names %q (%v)", id, err)
	}
	if c, err := e.store.DuplicateCandidates(ctx, tenant, other); err != nil || len(c) != 1 || c[0].LeadID != survivor {
		t.Errorf("the third lead's duplicate record: %+v, %v", c, err)
	}
	page, err := e.store.List(ctx, tenant, lead.Query{}, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range page.Items {
		if it.ID == absorbed {
			t.Error("the absorbed lead is still listed")
		}
	}
	reconciled(t, e, []string{survivor, other}, day)
	if n := load(); n != 0 {
		t.Errorf("the owner's open leads after the merge (state sale): %d", n)
	}

	if _, err := e.store.At(mergedAt.Add(time.Hour)).UndoMerge(ctx, tenant, done.MergeID, req.Actor); err != nil {
		t.Fatal(err)
	}
	if diff := diffSnapshots(before, e.snapshot(t)); len(diff) > 0 {
		t.Fatalf("after the undo %d items differ: %v", len(diff), diff[:min(len(diff), 10)])
	}
	reconciled(t, e, live, day)
	if n := load(); n != 1 {
		t.Errorf("the owner's open leads after the undo: %d", n)
	}
	var state *merge.UndoStateError
	if _, err := e.store.UndoMerge(ctx, tenant, done.MergeID, req.Actor); !errors.As(err, &state) {
		t.Errorf("second undo: %v", err)
	}

	// Merge again, then change the survivor: the undo names the change
	// and writes nothing.
	again, err := e.store.Merge(ctx, tenant, req)
	if err != nil {
		t.Fatal(err)
	}
	setState(t, e, survivor, lead.StateNoSale)
	changed := e.snapshot(t)
	var conflict *merge.UndoConflictError
	if _, err := e.store.UndoMerge(ctx, tenant, again.MergeID, req.Actor); !errors.As(err, &conflict) {
		t.Fatalf("undo after an edit: %v", err)
	}
	if c := conflict.Changes[0]; c.LeadID != survivor || c.Change != "edited" || !strings.Contains(c.Detail, "version") {
		t.Errorf("conflict: %+v", conflict.Changes)
	}
	if diff := diffSnapshots(changed, e.snapshot(t)); len(diff) > 0 {
		t.Errorf("a refused undo wrote: %v", diff)
	}

	// Strong keys: another CPF is another person.
	cy := touched("y@example.com", "google", "cpc", "late")
	cy.Contact.CPF = "11144477735"
	y := capAt(27*time.Hour, cy)
	var ce *merge.ConflictError
	if _, err := e.store.Merge(ctx, tenant, merge.Request{Survivor: survivor, Absorb: []string{y}, Actor: req.Actor}); !errors.As(err, &ce) {
		t.Errorf("merge across CPFs: %v", err)
	}
	// Another tenant's lead is not found.
	ot := e.addTenant(t, uniqueName("other"))
	oc := capture("z@example.com")
	oc.SiteID, oc.Touch.SiteID = ot.ID, ot.ID
	ores, err := e.store.Capture(ctx, ot, oc)
	if err != nil {
		t.Fatal(err)
	}
	var inv *lead.InvalidError
	if _, err := e.store.Merge(ctx, tenant, merge.Request{Survivor: survivor, Absorb: []string{ores.LeadID}, Actor: req.Actor}); !errors.As(err, &inv) {
		t.Errorf("absorbing another tenant's lead: %v", err)
	}
	if _, err := e.store.Merge(ctx, ot.TenantID, merge.Request{Survivor: survivor, Absorb: []string{ores.LeadID}, Actor: req.Actor}); !errors.Is(err, lead.ErrNotFound) {
		t.Errorf("merging into another tenant's lead: %v", err)
	}
}

// crashAfter makes TransactWriteItems fail, for good, after n calls: a
// process that dies in the middle of a merge.
func crashAfter(n int64) func(*middleware.Stack) error {
	var calls atomic.Int64
	return func(stack *middleware.Stack) error {
		return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("crash", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if awsmiddleware.GetOperationName(ctx) == "TransactWriteItems" && calls.Add(1) > n {
				return middleware.FinalizeOutput{}, middleware.Metadata{}, errors.New("crashed")
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.Before)
	}
}

// A merge of several transactions interrupted after its second one is
// finished by repeating the request, and then undone to the very bytes.
func TestMergeInterruptedIsResumed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	survivor := mustCapture(t, e, capture("resume-s@example.com")).LeadID
	absorbed := mustCapture(t, e, capture("resume-a@example.com")).LeadID
	for i := range 50 {
		now := time.Now().UTC()
		must(t, e.store.AddNote(ctx, tenant, absorbed, lead.Note{ID: lead.NewID(lead.PrefixNote, now), Text: fmt.Sprintf("n%d", i), AuthorID: "u", CreatedAt: now, UpdatedAt: now},
			lead.Event{ID: lead.NewID(lead.PrefixEvent, now), At: now, Actor: lead.Actor{Type: lead.ActorUser, ID: "u"}, Action: lead.ActionNoteAdded}))
	}
	before := e.snapshot(t)
	crashing := dynamo.New(dynamodb.New(e.client.Options(), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, crashAfter(2))
	}), e.table)
	req := merge.Request{Survivor: survivor, Absorb: []string{absorbed}, Actor: lead.Actor{Type: lead.ActorUser, ID: "usr_admin"}}
	if _, err := crashing.Merge(ctx, tenant, req); err == nil {
		t.Fatal("the crashing store finished the merge: the test needs a bigger one")
	}
	if _, err := e.store.Detail(ctx, tenant, absorbed); !errors.Is(err, lead.ErrMerged) {
		t.Fatalf("after the first steps the absorbed lead: %v", err)
	}
	done, err := e.store.Merge(ctx, tenant, req)
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	notes, err := e.store.Notes(ctx, tenant, survivor, "", 100)
	if err != nil || len(notes.Items) != 50 || done.MergeID == "" {
		t.Fatalf("resumed merge %q: %d notes on the survivor (%v)", done.MergeID, len(notes.Items), err)
	}
	if left := e.partition(t, tenant, absorbed); len(left) > 6 {
		t.Errorf("the absorbed partition still holds %v", left)
	}
	if _, err := e.store.UndoMerge(ctx, tenant, done.MergeID, req.Actor); err != nil {
		t.Fatal(err)
	}
	if diff := diffSnapshots(before, e.snapshot(t)); len(diff) > 0 {
		t.Fatalf("after the undo %d items differ: %v", len(diff), diff[:min(len(diff), 10)])
	}
}
