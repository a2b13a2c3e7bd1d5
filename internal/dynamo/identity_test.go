package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
)

var identityKinds = []account.IdentityKind{
	{Name: "member_no", Label: "Membership", Pattern: `[0-9]{6}`, Unique: true},
	{Name: "company_code", Label: "Company", Unique: false},
}

// identityEnv is an env whose account defines a unique and a non-unique kind.
func identityEnv(t *testing.T) (*env, lead.Kinds) {
	t.Helper()
	e := newEnv(t)
	ctx := context.Background()
	a, err := e.store.Account(ctx, e.site.TenantID)
	if err != nil {
		t.Fatal(err)
	}
	a.IdentityKinds = identityKinds
	if err := e.store.PutAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	return e, lead.NewKinds(a)
}

var user = lead.Actor{Type: lead.ActorUser, ID: "u_1"}

func TestJoinKeysEveryKindLocateAndRemove(t *testing.T) {
	e, ks := identityEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	a := mustCapture(t, e, capture("ana@example.com")).LeadID
	b := mustCapture(t, e, capture("bia@example.com")).LeadID

	joined := []lead.IdentityKey{
		{Kind: "email", Value: "Ana@Work.com"}, {Kind: "phone", Value: "+55 11 91234-5678"},
		{Kind: "whatsapp", Value: "+5511987654321"}, {Kind: "cpf", Value: "529.982.247-25"},
		{Kind: "rg", Value: "12.345.678-x"}, {Kind: "facebook_id", Value: "1000123"},
		{Kind: "x_id", Value: "2000456"}, {Kind: "instagram_username", Value: "@Ana.Souza"},
		{Kind: "member_no", Value: "123456"}, {Kind: "company_code", Value: "ACME"},
	}
	if err := e.store.JoinKeys(ctx, tenant, a, joined, user); err != nil {
		t.Fatalf("join: %v", err)
	}
	d := mustDetail(t, e, tenant, a)
	want := map[string][]string{
		"email": {"ana@example.com", "ana@work.com"}, "phone": {"+5511912345678"}, "whatsapp": {"+5511987654321"},
		"cpf": {"52998224725"}, "rg": {"12345678X"}, "facebook_id": {"1000123"}, "x_id": {"2000456"},
		"instagram_username": {"ana.souza"}, "member_no": {"123456"}, "company_code": {"ACME"},
	}
	if got := d.Lead.KeyMap(); !reflect.DeepEqual(got, want) {
		t.Fatalf("keys\n %v\nwant\n %v", got, want)
	}
	added := 0
	for _, ev := range d.History.Items {
		if ev.Action == lead.ActionKeyAdded && ev.Actor == user {
			added++
		}
	}
	if added != len(joined) {
		t.Fatalf("%d key_added entries, want %d", added, len(joined))
	}

	// Joining keys the lead holds changes nothing.
	if err := e.store.JoinKeys(ctx, tenant, a, joined[:3], user); err != nil {
		t.Fatal(err)
	}
	if v := mustDetail(t, e, tenant, a).Lead.Version; v != d.Lead.Version {
		t.Fatalf("no-op join moved the version %d → %d", d.Lead.Version, v)
	}

	// Every key locates the lead; a second lead with the shared key is found too.
	if err := e.store.JoinKeys(ctx, tenant, b, []lead.IdentityKey{{Kind: "company_code", Value: "ACME"}}, user); err != nil {
		t.Fatal(err)
	}
	for kind, vs := range want {
		m, err := e.store.Locate(ctx, tenant, []lead.IdentityKey{{Kind: kind, Value: vs[len(vs)-1]}}, ks)
		if err != nil {
			t.Fatal(err)
		}
		wantN := 1
		if kind == "company_code" {
			wantN = 2
		}
		if len(m) != wantN || m[0].LeadID != a && m[len(m)-1].LeadID != a || !slices.Contains(m[0].Matched, kind) {
			t.Fatalf("locate %s: %+v", kind, m)
		}
	}
	// A CPF given with B's e-mail: B matches by e-mail and conflicts on nothing
	// (it has no CPF); A conflicts on e-mail.
	m, err := e.store.Locate(ctx, tenant, []lead.IdentityKey{{Kind: "cpf", Value: "52998224725"}, {Kind: "email", Value: "bia@example.com"}}, ks)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 2 || m[0].LeadID != a || !reflect.DeepEqual(m[0].Conflicting, []string{"email"}) ||
		m[1].LeadID != b || len(m[1].Conflicting) != 0 {
		t.Fatalf("locate both: %+v", m)
	}

	// A unique key of another lead: refused with its owner, nothing written.
	before := mustDetail(t, e, tenant, b).Lead
	for _, k := range []lead.IdentityKey{{Kind: "cpf", Value: "52998224725"}, {Kind: "whatsapp", Value: "+5511912345678"}, {Kind: "member_no", Value: "123456"}} {
		err := e.store.JoinKeys(ctx, tenant, b, []lead.IdentityKey{{Kind: "rg", Value: "7654321"}, k}, user)
		var taken *lead.KeyTakenError
		if !errors.As(err, &taken) || !errors.Is(err, lead.ErrIdentityTaken) || taken.LeadID != a || taken.Kind != k.Kind {
			t.Fatalf("join taken %s: %v", k.Kind, err)
		}
	}
	if after := mustDetail(t, e, tenant, b).Lead; after.Version != before.Version || after.KeyMap()["rg"] != nil {
		t.Fatalf("refused join wrote: %+v", after)
	}

	// A capture with a joined key is a repeat of the lead holding it.
	c := capture("someone@example.com")
	c.Contact.CPF = "52998224725"
	if res := mustCapture(t, e, c); res.Created || res.LeadID != a {
		t.Fatalf("capture with a joined CPF: %+v", res)
	}

	// Removing frees the items in the same transaction: B can take them.
	removed := []lead.IdentityKey{{Kind: "cpf", Value: "52998224725"}, {Kind: "company_code", Value: "ACME"}, {Kind: "email", Value: "ana@work.com"}}
	if _, err := e.store.Update(ctx, tenant, a, 0, func(l *lead.Lead) ([]lead.Event, error) {
		return l.RemoveKeys(removed, user, time.Now()), nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.JoinKeys(ctx, tenant, b, removed[:1], user); err != nil {
		t.Fatalf("join a freed key: %v", err)
	}
	m, err = e.store.Locate(ctx, tenant, removed, ks)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || m[0].LeadID != b || !reflect.DeepEqual(m[0].Matched, []string{"cpf", "company_code"}) {
		t.Fatalf("locate after remove: %+v", m)
	}

	// Another tenant sees none of it.
	other := e.addTenant(t, uniqueName("other"))
	if m, err := e.store.Locate(ctx, other.TenantID, []lead.IdentityKey{{Kind: "email", Value: "ana@example.com"}}, ks); err != nil || len(m) != 0 {
		t.Fatalf("other tenant locates %+v, %v", m, err)
	}
	if err := e.store.JoinKeys(ctx, other.TenantID, a, joined[:1], user); !errors.Is(err, lead.ErrNotFound) {
		t.Fatalf("other tenant joins: %v", err)
	}
}

// Twenty writers give one CPF to twenty different leads at once, half by
// JoinKeys on existing leads and half by creating a lead: exactly one wins,
// every other is refused naming the winner.
func TestOneCPFConcurrentlyJoinedAndCreated(t *testing.T) {
	e, ks := identityEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	const n = 20
	leads := make([]string, n)
	for i := 0; i < n; i += 2 {
		leads[i] = mustCapture(t, e, capture(fmt.Sprintf("p%d@example.com", i))).LeadID
	}
	cpf := lead.IdentityKey{Kind: "cpf", Value: "52998224725"}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if i%2 == 0 {
				errs[i] = e.store.JoinKeys(ctx, tenant, leads[i], []lead.IdentityKey{cpf}, user)
				return
			}
			now := time.Now().UTC()
			l, evs, err := lead.NewManual(tenant, lead.NewID(lead.PrefixLead, now), lead.NewID(lead.PrefixContact, now),
				lead.Manual{Name: fmt.Sprintf("Person %d", i), Keys: []lead.IdentityKey{cpf}, OwnerID: "u_1"}, ks, user, now)
			if err != nil {
				errs[i] = err
				return
			}
			leads[i] = l.ID
			errs[i] = e.store.CreateManualLead(ctx, l, evs)
		})
	}
	wg.Wait()
	winner := ""
	for i, err := range errs {
		if err == nil {
			if winner != "" {
				t.Fatalf("two winners: %s and %s", winner, leads[i])
			}
			winner = leads[i]
		}
	}
	if winner == "" {
		t.Fatalf("no winner: %v", errs)
	}
	for i, err := range errs {
		var taken *lead.KeyTakenError
		if err != nil && (!errors.As(err, &taken) || taken.LeadID != winner || taken.Kind != "cpf") {
			t.Fatalf("writer %d: %v (winner %s)", i, err, winner)
		}
	}
	m, err := e.store.Locate(ctx, tenant, []lead.IdentityKey{cpf}, ks)
	if err != nil || len(m) != 1 || m[0].LeadID != winner {
		t.Fatalf("locate: %+v, %v", m, err)
	}
	// Losing creates wrote nothing.
	for i := 1; i < n; i += 2 {
		if leads[i] == winner {
			continue
		}
		if _, err := e.store.Detail(ctx, tenant, leads[i]); !errors.Is(err, lead.ErrNotFound) {
			t.Fatalf("losing create %d left a lead: %v", i, err)
		}
	}
}

// A purge deletes the keys a lead was given beyond its contact: the
// unique items and the non-unique ones.
func TestPurgeDeletesJoinedKeys(t *testing.T) {
	e, _ := identityEnv(t)
	ctx := context.Background()
	tenant := e.site.TenantID
	id := mustCapture(t, e, capture("gone@example.com")).LeadID
	must(t, e.store.JoinKeys(ctx, tenant, id, []lead.IdentityKey{{Kind: "rg", Value: "1234567"}, {Kind: "company_code", Value: "ACME"}}, user))
	rg, shared := "T#"+tenant+"#KEY#rg#1234567", "T#"+tenant+"#KEY#company_code#ACME"
	if rawS(e.raw(t, rg, "KEY"), "lead_id") != id || rawS(e.raw(t, shared, "LEAD#"+id), "lead_id") != id {
		t.Fatal("joined key items missing")
	}
	softDelete(t, e, id)
	res, err := e.store.PurgeLead(ctx, tenant, id, deletedAt(t, e, id).Add(month), nil)
	must(t, err)
	if !res.Purged {
		t.Fatalf("purge %+v", res)
	}
	if e.raw(t, rg, "KEY") != nil || e.raw(t, shared, "LEAD#"+id) != nil {
		t.Fatal("a joined key item survived the purge")
	}
}
