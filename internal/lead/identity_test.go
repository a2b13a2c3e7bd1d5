package lead

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/leadflow/leadflow/internal/account"
)

var identityAccount = account.Account{ID: "t1", Country: "BR", IdentityKinds: []account.IdentityKind{
	{Name: "member_no", Label: "Membership", Pattern: `[0-9]{6}`, Unique: true},
	{Name: "company_code", Label: "Company", Unique: false},
}}

func TestNormalizeEveryKind(t *testing.T) {
	ks := NewKinds(identityAccount)
	ok := []struct{ kind, in, want string }{
		{KeyEmail, " Ana@Example.COM ", "ana@example.com"},
		{KeyPhone, "(11) 91234-5678", "+5511912345678"},
		{KeyWhatsApp, "5511912345678", "+5511912345678"},
		{KeyCPF, "529.982.247-25", "52998224725"},
		{KeyCPF, "11.222.333/0001-81", "11222333000181"},
		{KeyRG, "12.345.678-x", "12345678X"},
		{KeyRG, "1234567", "1234567"},
		{KeyFacebook, "100012345678901", "100012345678901"},
		{KeyX, " 1234567890123456789 ", "1234567890123456789"},
		{KeyInstagram, "@Ana.Souza_", "ana.souza_"},
		{"member_no", " 123456 ", "123456"},
		{"company_code", "ACME-1", "ACME-1"},
	}
	for _, c := range ok {
		got, err := ks.Normalize(c.kind, c.in)
		if err != nil || got != c.want {
			t.Errorf("Normalize(%s, %q) = %q, %v; want %q", c.kind, c.in, got, err, c.want)
		}
	}
	bad := []struct{ kind, in, code string }{
		{KeyEmail, "ana@", "invalid_email"},
		{KeyPhone, "123", "invalid_phone"},
		{KeyWhatsApp, "abc", "invalid_phone"},
		{KeyCPF, "529.982.247-24", "invalid_cpf"},
		{KeyRG, "12.34", "invalid_rg"},
		{KeyRG, "ABC12345", "invalid_rg"},
		{KeyFacebook, "ana.souza", "invalid_facebook_id"},
		{KeyX, "@ana", "invalid_x_id"},
		{KeyInstagram, "ana souza", "invalid_instagram_username"},
		{KeyInstagram, ".ana", "invalid_instagram_username"},
		{KeyInstagram, "ana..souza", "invalid_instagram_username"},
		{"member_no", "12345", "invalid_key"},
		{"member_no", "1234567", "invalid_key"},
		{"nope", "x", "unknown_kind"},
		{KeyEmail, "   ", "invalid_email"},
	}
	for _, c := range bad {
		_, err := ks.Normalize(c.kind, c.in)
		if err == nil {
			t.Errorf("Normalize(%s, %q) accepted", c.kind, c.in)
			continue
		}
		if code := KeyErrorCode(c.kind, err); code != c.code {
			t.Errorf("Normalize(%s, %q) code %s, want %s", c.kind, c.in, code, c.code)
		}
	}
}

func TestParseKeysNamesTheField(t *testing.T) {
	ks := NewKinds(identityAccount)
	var in map[string]KeyValues
	if err := json.Unmarshal([]byte(`{"cpf": "529.982.247-25", "email": ["A@x.com", "a@x.com", "bad"], "rg": ["1"], "zzz": "1"}`), &in); err != nil {
		t.Fatal(err)
	}
	_, err := ks.ParseKeys("keys", in)
	var inv *InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("err = %v", err)
	}
	var fields []string
	for _, e := range inv.Errors {
		fields = append(fields, e.Field+":"+e.Code)
	}
	want := []string{"keys.email[2]:invalid_email", "keys.rg[0]:invalid_rg", "keys.zzz:unknown_kind"}
	if !reflect.DeepEqual(fields, want) {
		t.Fatalf("errors %v, want %v", fields, want)
	}

	delete(in, "zzz")
	in["email"], in["rg"] = in["email"][:2], KeyValues{"1234567"}
	keys, err := ks.ParseKeys("keys", in)
	if err != nil {
		t.Fatal(err)
	}
	wantKeys := []IdentityKey{{KeyEmail, "a@x.com"}, {KeyCPF, "52998224725"}, {KeyRG, "1234567"}}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Fatalf("keys %v, want %v", keys, wantKeys)
	}
}

func TestValidateKinds(t *testing.T) {
	old := identityAccount.IdentityKinds
	in := []KeyKind{
		{Name: "cpf", Label: "x"},
		{Name: "Bad Name", Label: "x"},
		{Name: "ok_one", Label: "", Pattern: "("},
		{Name: "ok_one", Label: "y"},
		{Name: "member_no", Label: "Membership", Unique: false},
		{Name: "huge", Label: "h", Pattern: "a{1000}{1000}"},
	}
	_, err := ValidateKinds(in, old)
	var inv *InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("err = %v", err)
	}
	var got []string
	for _, e := range inv.Errors {
		got = append(got, e.Field+":"+e.Code)
	}
	want := []string{"kinds[0].name:built_in", "kinds[1].name:invalid", "kinds[2].label:required",
		"kinds[2].pattern:invalid_pattern", "kinds[3].name:duplicate", "kinds[4].unique:immutable", "kinds[5].pattern:invalid_pattern"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("errors\n %v\nwant\n %v", got, want)
	}
	// The built-ins as GET lists them are left out.
	good, err := ValidateKinds(append(slices.Clone(BuiltInKinds), KeyKind{Name: "member_no", Label: "  Membership  no ", Pattern: "[0-9]{6}", Unique: true}), old)
	if err != nil || len(good) != 1 || good[0].Label != "Membership no" {
		t.Fatalf("good = %v, %v", good, err)
	}
}

func TestAddRemoveKeysAndKeyMap(t *testing.T) {
	ks := NewKinds(identityAccount)
	l := Lead{ID: "ld_1", Contact: Contact{Email: "ana@example.com", WhatsApp: "+5511912345678", CPF: "52998224725"}}
	evs, err := l.AddKeys([]IdentityKey{
		{KeyEmail, "ana@example.com"}, // held: no-op
		{KeyEmail, "ana@work.com"},
		{KeyFacebook, "1000"},
		{"company_code", "ACME"},
		{"member_no", "123456"},
	}, ks, agent, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 4 || evs[0].Action != ActionKeyAdded || evs[0].Field != "keys.email" || evs[0].After != "ana@work.com" {
		t.Fatalf("events %+v", evs)
	}
	want := map[string][]string{
		"email": {"ana@example.com", "ana@work.com"}, "whatsapp": {"+5511912345678"}, "cpf": {"52998224725"},
		"facebook_id": {"1000"}, "company_code": {"ACME"}, "member_no": {"123456"},
	}
	if got := l.KeyMap(); !reflect.DeepEqual(got, want) {
		t.Fatalf("KeyMap %v, want %v", got, want)
	}
	// Unique keys are items (WhatsApp as a phone item); the non-unique one is shared.
	if !slices.Contains(l.Keys(), IdentityKey{KeyPhone, "+5511912345678"}) || !slices.Contains(l.Keys(), IdentityKey{"member_no", "123456"}) ||
		slices.Contains(l.Keys(), IdentityKey{"company_code", "ACME"}) {
		t.Fatalf("Keys %v", l.Keys())
	}
	if got := l.SharedKeyList(); !reflect.DeepEqual(got, []IdentityKey{{"company_code", "ACME"}}) {
		t.Fatalf("SharedKeyList %v", got)
	}

	evs = l.RemoveKeys([]IdentityKey{{KeyEmail, "ana@example.com"}, {"company_code", "ACME"}, {KeyRG, "1"}}, agent, t0)
	if len(evs) != 2 || evs[0].Action != ActionKeyRemoved || evs[0].Before != "ana@example.com" {
		t.Fatalf("events %+v", evs)
	}
	if l.Contact.Email != "" || l.SharedKeys != nil || !reflect.DeepEqual(l.KeyMap()["email"], []string{"ana@work.com"}) {
		t.Fatalf("after remove: %+v %v", l.Contact, l.KeyMap())
	}

	if _, err := l.AddKeys([]IdentityKey{{"nope", "1"}}, ks, agent, t0); !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("unknown kind: %v", err)
	}
	var many []IdentityKey
	for i := range MaxLeadKeys + 1 {
		many = append(many, IdentityKey{KeyFacebook, string(rune('a'+i%26)) + string(rune('a'+i/26))})
	}
	var inv *InvalidError
	if _, err := l.AddKeys(many, ks, agent, t0); !errors.As(err, &inv) || inv.Errors[0].Code != "lead_limit" {
		t.Fatalf("cap: %v", err)
	}
}

func TestMatch(t *testing.T) {
	ks := NewKinds(identityAccount)
	l := Lead{ID: "ld_1", Name: "Ana", Contact: Contact{Email: "ana@example.com", CPF: "52998224725"},
		SharedKeys: map[string][]string{"company_code": {"ACME"}}}
	m := Match(l, []IdentityKey{{KeyEmail, "ana@example.com"}, {KeyCPF, "11222333000181"}, {KeyRG, "1234567"}, {"company_code", "OTHER"}}, ks)
	if !reflect.DeepEqual(m.Matched, []string{"email"}) || !reflect.DeepEqual(m.Conflicting, []string{"cpf"}) {
		t.Fatalf("match %+v", m)
	}
}

func TestNewManual(t *testing.T) {
	ks := NewKinds(identityAccount)
	l, evs, err := NewManual("t1", "ld_1", "ct_1", Manual{
		Name: "Ana", Contact: Contact{Phone: "+5511912345678"}, OwnerID: "u_1",
		Keys: []IdentityKey{{KeyEmail, "ana@example.com"}, {KeyPhone, "+5511987654321"}, {KeyRG, "1234567"}},
	}, ks, agent, t0)
	if err != nil {
		t.Fatal(err)
	}
	if l.EntryMethod != EntryManual || l.Contact.Email != "ana@example.com" || l.Contact.Phone != "+5511912345678" ||
		l.SetBy("contact.email") != ProvenanceUser || l.OwnerID != "u_1" {
		t.Fatalf("lead %+v", l)
	}
	if !reflect.DeepEqual(l.KeyMap()["phone"], []string{"+5511912345678", "+5511987654321"}) {
		t.Fatalf("phones %v", l.KeyMap())
	}
	if len(evs) != 3 || evs[0].Action != ActionCreated || evs[1].Field != "keys.phone" || evs[2].Field != "keys.rg" {
		t.Fatalf("events %+v", evs)
	}
}

func TestKeyTakenErrorIsIdentityTaken(t *testing.T) {
	var err error = &KeyTakenError{Kind: "cpf", Value: "1", LeadID: "ld_2"}
	if !errors.Is(err, ErrIdentityTaken) {
		t.Fatal("KeyTakenError does not wrap ErrIdentityTaken")
	}
}
