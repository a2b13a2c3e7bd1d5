package lead

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/leadflow/leadflow/internal/account"
)

func ptr[T any](v T) *T { return &v }

var testAccount = account.Account{ID: "t1", SubStates: map[string][]string{
	"in_progress": {"contacted", "negotiating"},
	"no_sale":     {"no_budget", "competitor"},
}}

var agent = Actor{Type: ActorUser, ID: "u_1"}

func patchLead() Lead {
	return Lead{
		ID: "ld_1", Name: "Ana Souza", Rating: 2, State: StateInProgress, SubState: "contacted",
		OwnerID: "u_1", Contact: Contact{
			Email: "ana@example.com", Phone: "+5511912345678",
			Attributes: map[string]string{"company": "Acme", "budget": "10k"},
		},
		Version: 7, CreatedAt: t0, UpdatedAt: t0,
	}
}

func TestApply(t *testing.T) {
	tests := []struct {
		name  string
		p     Patch
		want  []change
		check func(t *testing.T, l Lead)
	}{
		{"empty patch", Patch{}, nil, nil},
		{"no-op fields produce nothing", Patch{
			Name: ptr(" Ana  Souza "), Rating: ptr(2), State: ptr(StateInProgress), SubState: ptr("contacted"),
			OwnerID: ptr("u_1"), Email: ptr("ana@example.com"), WhatsApp: ptr(""),
			Attributes: map[string]*string{"company": ptr("Acme"), "missing": nil},
		}, nil, nil},
		{"name", Patch{Name: ptr("  Ana   Maria\tSouza ")}, []change{{"name", "Ana Souza", "Ana Maria Souza"}}, nil},
		{"rating", Patch{Rating: ptr(5)}, []change{{"rating", 2, 5}}, nil},
		{"rating to zero", Patch{Rating: ptr(0)}, []change{{"rating", 2, 0}}, nil},
		{"state change clears the old sub-state", Patch{State: ptr(StateSale)},
			[]change{{"state", "in_progress", "sale"}, {"sub_state", "contacted", nil}},
			func(t *testing.T, l Lead) {
				if l.State != StateSale || l.SubState != "" {
					t.Errorf("state %q sub %q", l.State, l.SubState)
				}
			}},
		{"state change with a sub-state of the new state", Patch{State: ptr(StateNoSale), SubState: ptr("competitor")},
			[]change{{"state", "in_progress", "no_sale"}, {"sub_state", "contacted", "competitor"}}, nil},
		{"sub-state alone, checked against the current state", Patch{SubState: ptr("negotiating")},
			[]change{{"sub_state", "contacted", "negotiating"}}, nil},
		{"sub-state cleared", Patch{SubState: ptr("")}, []change{{"sub_state", "contacted", nil}}, nil},
		{"owner cleared", Patch{OwnerID: ptr("")}, []change{{"owner_id", "u_1", nil}}, nil},
		{"owner changed", Patch{OwnerID: ptr("u_2")}, []change{{"owner_id", "u_1", "u_2"}}, nil},
		{"contact fields", Patch{Email: ptr("bia@example.com"), Phone: ptr(""), WhatsApp: ptr("+5511912345678"), CPF: ptr("52998224725")},
			[]change{
				{"contact.email", "ana@example.com", "bia@example.com"},
				{"contact.phone", "+5511912345678", nil},
				{"contact.whatsapp", nil, "+5511912345678"},
				{"contact.cpf", nil, "52998224725"},
			}, nil},
		{"attributes set, changed and removed", Patch{Attributes: map[string]*string{
			"company": nil, "budget": ptr("20k"), "Seats": ptr("5"), "notes": ptr(""),
		}}, []change{
			{"contact.attributes.budget", "10k", "20k"},
			{"contact.attributes.company", "Acme", nil},
			{"contact.attributes.seats", nil, "5"},
		}, func(t *testing.T, l Lead) {
			want := map[string]string{"budget": "20k", "seats": "5"}
			if !reflect.DeepEqual(l.Contact.Attributes, want) {
				t.Errorf("attributes %v", l.Contact.Attributes)
			}
		}},
		{"last attribute removed leaves nil map", Patch{Attributes: map[string]*string{"company": nil, "budget": nil}},
			[]change{{"contact.attributes.budget", "10k", nil}, {"contact.attributes.company", "Acme", nil}},
			func(t *testing.T, l Lead) {
				if l.Contact.Attributes != nil {
					t.Errorf("attributes %v", l.Contact.Attributes)
				}
			}},
		{"everything at once, fixed order", Patch{
			Name: ptr("Bia"), Rating: ptr(4), State: ptr(StateNew), OwnerID: ptr("u_9"), CPF: ptr("52998224725"),
			Attributes: map[string]*string{"x": ptr("1")},
		}, []change{
			{"name", "Ana Souza", "Bia"}, {"rating", 2, 4}, {"state", "in_progress", "new"},
			{"sub_state", "contacted", nil}, {"owner_id", "u_1", "u_9"}, {"contact.cpf", nil, "52998224725"},
			{"contact.attributes.x", nil, "1"},
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := patchLead()
			evs, err := l.Apply(tt.p, agent, testAccount, t1)
			if err != nil {
				t.Fatal(err)
			}
			if got := changes(evs); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("changes\n got %+v\nwant %+v", got, tt.want)
			}
			ids := map[string]bool{}
			for _, e := range evs {
				if e.Action != ActionUpdated || e.Actor != agent || e.At != t1 || !strings.HasPrefix(e.ID, PrefixEvent) || ids[e.ID] {
					t.Errorf("event %+v", e)
				}
				ids[e.ID] = true
			}
			wantUpdated := t0
			if len(tt.want) > 0 {
				wantUpdated = t1
			}
			if l.UpdatedAt != wantUpdated {
				t.Errorf("updated at %v, want %v", l.UpdatedAt, wantUpdated)
			}
			if l.Version != 7 {
				t.Errorf("version %d: Apply must leave it to the store", l.Version)
			}
			if tt.check != nil {
				tt.check(t, l)
			}
		})
	}
}

func TestApplyInvalid(t *testing.T) {
	tests := []struct {
		name string
		p    Patch
		want []string
	}{
		{"empty name", Patch{Name: ptr("  \t ")}, []string{"name=required"}},
		{"name too long", Patch{Name: ptr(strings.Repeat("a", 201))}, []string{"name=too_long"}},
		{"rating above 5", Patch{Rating: ptr(6)}, []string{"rating=invalid"}},
		{"rating below 0", Patch{Rating: ptr(-1)}, []string{"rating=invalid"}},
		{"unknown state", Patch{State: ptr(State("won"))}, []string{"state=not_allowed"}},
		{"sub-state of another state", Patch{SubState: ptr("competitor")}, []string{"sub_state=not_allowed"}},
		{"sub-state not valid for the new state", Patch{State: ptr(StateSale), SubState: ptr("contacted")}, []string{"sub_state=not_allowed"}},
		{"bad attribute name", Patch{Attributes: map[string]*string{"bad key": ptr("v"), "": nil}},
			[]string{"contact.attributes.=invalid", "contact.attributes.bad key=invalid"}},
		{"attribute too long", Patch{Attributes: map[string]*string{"k": ptr(strings.Repeat("x", 1025))}}, []string{"contact.attributes.k=too_long"}},
		{"every bad field at once", Patch{
			Name: ptr(""), Rating: ptr(9), State: ptr(State("x")), SubState: ptr("nope"), Email: ptr("fine@example.com"),
		}, []string{"name=required", "rating=invalid", "state=not_allowed", "sub_state=not_allowed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := patchLead()
			before := patchLead()
			evs, err := l.Apply(tt.p, agent, testAccount, t1)
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("err = %v, want *InvalidError", err)
			}
			var got []string
			for _, e := range inv.Errors {
				got = append(got, e.Field+"="+e.Code)
				if e.Detail == "" {
					t.Errorf("no detail for %s", e.Field)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("errors\n got %q\nwant %q", got, tt.want)
			}
			if evs != nil || !reflect.DeepEqual(l, before) {
				t.Errorf("invalid patch changed the lead or returned events: %+v", evs)
			}
		})
	}
}

func TestApplySubStateOnAccountWithoutConfig(t *testing.T) {
	l := Lead{Name: "Ana", State: StateNew}
	if _, err := l.Apply(Patch{SubState: ptr("anything")}, agent, account.Account{}, t1); err == nil {
		t.Error("sub-state accepted on an account that configures none")
	}
	evs, err := l.Apply(Patch{State: ptr(StateSale), SubState: ptr("")}, agent, account.Account{}, t1)
	if err != nil || len(evs) != 1 || evs[0].Field != "state" {
		t.Errorf("events %+v, err %v", evs, err)
	}
}

func TestPatchEmpty(t *testing.T) {
	if !(Patch{}).Empty() || !(Patch{Attributes: map[string]*string{}}).Empty() {
		t.Error("empty patch not Empty")
	}
	if (Patch{Rating: ptr(0)}).Empty() || (Patch{Attributes: map[string]*string{"k": nil}}).Empty() {
		t.Error("non-empty patch reported Empty")
	}
}
