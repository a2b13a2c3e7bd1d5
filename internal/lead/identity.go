package lead

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/text"
)

// Built-in identity-key kinds: the names of a lead's keys in the API
// (api.md § "Contacts, interactions and merges").
const (
	KeyEmail     = "email"
	KeyPhone     = "phone"
	KeyWhatsApp  = "whatsapp"
	KeyCPF       = "cpf" // CPF or CNPJ
	KeyRG        = "rg"
	KeyFacebook  = "facebook_id"
	KeyX         = "x_id"
	KeyInstagram = "instagram_username"
)

// KeyKind describes one kind of identity key: a built-in one or one the
// account defined (account.IdentityKind).
type KeyKind struct {
	Name    string `json:"name"`
	Label   string `json:"label"`
	Pattern string `json:"pattern,omitempty"`
	Unique  bool   `json:"unique"`
	BuiltIn bool   `json:"built_in"`
}

// BuiltInKinds are the kinds every account has, in the order screens show
// them. All are unique: one value belongs to one lead.
var BuiltInKinds = []KeyKind{
	{Name: KeyEmail, Label: "E-mail", Unique: true, BuiltIn: true},
	{Name: KeyPhone, Label: "Phone", Unique: true, BuiltIn: true},
	{Name: KeyWhatsApp, Label: "WhatsApp", Unique: true, BuiltIn: true},
	{Name: KeyCPF, Label: "CPF/CNPJ", Unique: true, BuiltIn: true},
	{Name: KeyRG, Label: "RG", Unique: true, BuiltIn: true},
	{Name: KeyFacebook, Label: "Facebook id", Unique: true, BuiltIn: true},
	{Name: KeyX, Label: "X id", Unique: true, BuiltIn: true},
	{Name: KeyInstagram, Label: "Instagram username", Unique: true, BuiltIn: true},
}

// Limits of identity keys.
const (
	// MaxCustomKinds is how many kinds an account may define.
	MaxCustomKinds = 20
	// MaxKindPatternLen caps a custom kind's pattern (characters); the
	// compiled program is capped too (maxPatternInsts).
	MaxKindPatternLen = 200
	maxPatternInsts   = 2000
	// MaxKeyValueLen caps one custom key value (characters).
	MaxKeyValueLen = 200
	// MaxLeadKeys is how many identity keys beyond its contact fields one
	// lead holds (ExtraKeys and SharedKeys together): every key is an item
	// written in the lead's transactions.
	MaxLeadKeys = 40
	// MaxKeysPerRequest bounds the keys one request gives.
	MaxKeysPerRequest = 20
)

// KeyTakenError says a unique identity key belongs to another lead. It
// wraps ErrIdentityTaken.
type KeyTakenError struct {
	Kind, Value string
	LeadID      string // the owner; "" when the store could not tell
}

func (e *KeyTakenError) Error() string {
	return fmt.Sprintf("identity key %s belongs to lead %s", e.Kind, e.LeadID)
}

// Unwrap makes errors.Is(err, ErrIdentityTaken) hold.
func (e *KeyTakenError) Unwrap() error { return ErrIdentityTaken }

// ErrUnknownKind is a key of a kind the account does not have.
var ErrUnknownKind = errors.New("unknown identity key kind")

// ItemKind is the kind under which a key's item is stored: WhatsApp numbers
// share the phone kind (a person reached on either is one person), every
// other kind is its own.
func ItemKind(kind string) string {
	if kind == KeyWhatsApp {
		return KeyPhone
	}
	return kind
}

// Kinds is the set of key kinds of one account, ready to validate values:
// the built-ins and the account's own, and the country that reads phone
// numbers typed without a country code.
type Kinds struct {
	region string
	custom map[string]customKind
	order  []string
}

type customKind struct {
	KeyKind
	re *regexp.Regexp
}

// NewKinds returns the kinds of a: built-ins plus a.IdentityKinds. A
// stored pattern that no longer compiles accepts nothing.
func NewKinds(a account.Account) Kinds {
	ks := Kinds{region: a.Country, custom: map[string]customKind{}}
	if ks.region == "" {
		ks.region = "BR"
	}
	for _, k := range a.IdentityKinds {
		ck := customKind{KeyKind: KeyKind{Name: k.Name, Label: k.Label, Pattern: k.Pattern, Unique: k.Unique}}
		if k.Pattern != "" {
			re, err := compilePattern(k.Pattern)
			if err != nil {
				re = regexp.MustCompile(`^\b\B$`) // matches nothing
			}
			ck.re = re
		}
		ks.custom[k.Name] = ck
		ks.order = append(ks.order, k.Name)
	}
	return ks
}

// All lists every kind, built-ins first.
func (ks Kinds) All() []KeyKind {
	out := slices.Clone(BuiltInKinds)
	for _, name := range ks.order {
		out = append(out, ks.custom[name].KeyKind)
	}
	return out
}

// Kind returns the kind called name.
func (ks Kinds) Kind(name string) (KeyKind, bool) {
	if k, ok := builtIn(name); ok {
		return k, true
	}
	c, ok := ks.custom[name]
	return c.KeyKind, ok
}

func builtIn(name string) (KeyKind, bool) {
	for _, k := range BuiltInKinds {
		if k.Name == name {
			return k, true
		}
	}
	return KeyKind{}, false
}

// Unique reports whether kind is a unique kind (unknown kinds are not).
func (ks Kinds) Unique(kind string) bool {
	k, ok := ks.Kind(kind)
	return ok && k.Unique
}

var (
	digitsRE    = regexp.MustCompile(`^[0-9]{1,20}$`)
	rgRE        = regexp.MustCompile(`^[0-9]{5,14}[0-9A-Z]?$`)
	instagramRE = regexp.MustCompile(`^[a-z0-9._]{1,30}$`)
)

// Normalize validates v as a key of kind and returns it as stored:
//
//   - email: lower-cased, syntax checked (NormalizeEmail);
//   - phone, whatsapp: E.164, read in the account's country (NormalizePhone);
//   - cpf: a CPF or CNPJ with valid check digits, digits only (NormalizeCPF);
//   - rg: digits and a check digit or letter as typed, upper-case, without
//     punctuation or spaces;
//   - facebook_id, x_id: digits;
//   - instagram_username: lower-case, without a leading @, Instagram's
//     charset (letters, digits, "." and "_", at most 30, no leading,
//     trailing or doubled ".");
//   - an account kind: trimmed, at most MaxKeyValueLen characters, matching
//     its pattern in full when it has one.
//
// The error's message is for people; KeyErrorCode names it for programs.
func (ks Kinds) Normalize(kind, v string) (string, error) {
	if !utf8.ValidString(v) {
		return "", errors.New("must be valid UTF-8 text")
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return "", errors.New("must not be empty")
	}
	switch kind {
	case KeyEmail:
		return NormalizeEmail(v)
	case KeyPhone, KeyWhatsApp:
		return NormalizePhone(v, ks.region)
	case KeyCPF:
		return NormalizeCPF(v)
	case KeyRG:
		s := strings.ToUpper(strip(v, ".-/ "))
		if !rgRE.MatchString(s) {
			return "", errors.New("not a valid RG: digits and an optional check digit or letter")
		}
		return s, nil
	case KeyFacebook, KeyX:
		s := strip(v, " ")
		if !digitsRE.MatchString(s) {
			return "", errors.New("must be the numeric id (up to 20 digits)")
		}
		return s, nil
	case KeyInstagram:
		s := strings.ToLower(strings.TrimPrefix(v, "@"))
		if !instagramRE.MatchString(s) || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
			return "", errors.New("not a valid Instagram username: up to 30 letters, digits, periods and underscores")
		}
		return s, nil
	}
	c, ok := ks.custom[kind]
	if !ok {
		return "", ErrUnknownKind
	}
	s, fe := text.Clean("", v, text.Rule{Max: MaxKeyValueLen, Required: true})
	if fe != nil {
		return "", errors.New(strings.TrimSuffix(strings.ToLower(fe.Detail[:1])+fe.Detail[1:], "."))
	}
	if c.re != nil && !c.re.MatchString(s) {
		return "", fmt.Errorf("does not match the pattern of %s", c.Label)
	}
	return s, nil
}

func strip(s, chars string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(chars, r) {
			return -1
		}
		return r
	}, s)
}

// KeyErrorCode is the stable field-error code of a value kind refused.
func KeyErrorCode(kind string, err error) string {
	if errors.Is(err, ErrUnknownKind) {
		return "unknown_kind"
	}
	if _, ok := builtIn(kind); ok {
		return "invalid_" + ItemKind(kind) // a WhatsApp number is a phone
	}
	return "invalid_key"
}

// KeyValues is one kind's values in a request: a JSON string or an array
// of strings.
type KeyValues []string

// UnmarshalJSON accepts "v" as ["v"].
func (kv *KeyValues) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*kv = KeyValues{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return &json.UnmarshalTypeError{Value: "value", Type: reflect.TypeFor[[]string]()}
	}
	*kv = many
	return nil
}

// ParseKeys validates and normalizes the keys of a request (kind → values),
// naming each bad one as field + ".<kind>[i]" ("keys.cpf[0]"). The keys
// come back in kind order (built-ins first, then the account's), each
// once.
func (ks Kinds) ParseKeys(field string, in map[string]KeyValues) ([]IdentityKey, error) {
	bad := &InvalidError{}
	var out []IdentityKey
	n := 0
	for _, vs := range in {
		n += len(vs)
	}
	if n > MaxKeysPerRequest {
		bad.Add(field, "too_many", fmt.Sprintf("Give at most %d keys at once.", MaxKeysPerRequest))
		return nil, bad
	}
	for name := range in {
		if _, ok := ks.Kind(name); !ok {
			bad.Add(field+"."+name, "unknown_kind", "The account has no identity key called "+name+".")
		}
	}
	for _, k := range ks.All() {
		for i, v := range in[k.Name] {
			f := fmt.Sprintf("%s.%s[%d]", field, k.Name, i)
			norm, err := ks.Normalize(k.Name, v)
			if err != nil {
				bad.AddKey(f, k.Name, err)
				continue
			}
			key := IdentityKey{Kind: k.Name, Value: norm}
			if !slices.Contains(out, key) {
				out = append(out, key)
			}
		}
	}
	slices.SortStableFunc(bad.Errors, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
	if err := bad.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// AddKey records value of kind refused by Kinds.Normalize (err) as a bad
// field, with its stable code (KeyErrorCode).
func (e *InvalidError) AddKey(field, kind string, err error) {
	d := err.Error()
	e.Add(field, KeyErrorCode(kind, err), strings.ToUpper(d[:1])+d[1:]+".")
}

// ValidateKinds checks the kinds an admin puts (PUT /v1/identity-keys)
// against the account's stored ones (old) and returns the account's own:
// the built-ins may be listed as GET shows them (and are then left out),
// never changed; a name is a slug (lower-case letters, digits and "_",
// starting with a letter, at most 40) that is neither a built-in nor "ext"
// nor repeated; a label is required (one line, at most 100); a pattern
// compiles as a Go regular expression of bounded size; and a kind that
// exists keeps its uniqueness (its values' items are laid out by it).
// Field names are "kinds[i].name" etc.
func ValidateKinds(in []KeyKind, old []account.IdentityKind) ([]account.IdentityKind, error) {
	bad := &InvalidError{}
	if len(in) > MaxCustomKinds+len(BuiltInKinds) {
		bad.Add("kinds", "too_many", fmt.Sprintf("An account defines at most %d identity keys.", MaxCustomKinds))
		return nil, bad
	}
	seen := map[string]bool{}
	out := make([]account.IdentityKind, 0, len(in))
	for i, kk := range in {
		f := fmt.Sprintf("kinds[%d]", i)
		k := account.IdentityKind{Name: strings.TrimSpace(kk.Name), Label: kk.Label, Pattern: kk.Pattern, Unique: kk.Unique}
		b, isBuiltIn := builtIn(k.Name)
		if isBuiltIn && kk.Pattern == "" && kk.Unique == b.Unique && !seen[k.Name] {
			seen[k.Name] = true
			continue // listed as GET shows it
		}
		switch {
		case !kindNameRE.MatchString(k.Name):
			bad.Add(f+".name", "invalid", "A name is a slug: a lower-case letter, then letters, digits or _ (at most 40).")
		case isBuiltIn || k.Name == KindExternal:
			bad.Add(f+".name", "built_in", k.Name+" is a built-in identity key; it cannot be changed.")
		case seen[k.Name]:
			bad.Add(f+".name", "duplicate", k.Name+" is given twice.")
		}
		seen[k.Name] = true
		label, fe := text.Clean(f+".label", k.Label, text.Rule{Max: 100, Collapse: true, Required: true})
		if fe != nil {
			bad.Add(fe.Field, fe.Code, fe.Detail)
		}
		k.Label = label
		if k.Pattern != "" {
			if err := checkPattern(k.Pattern); err != nil {
				bad.Add(f+".pattern", "invalid_pattern", err.Error())
			}
		}
		for _, o := range old {
			if o.Name == k.Name && o.Unique != k.Unique {
				bad.Add(f+".unique", "immutable", "A key's uniqueness cannot change once it exists; define a new key instead.")
			}
		}
		out = append(out, k)
	}
	if len(out) > MaxCustomKinds {
		bad.Add("kinds", "too_many", fmt.Sprintf("An account defines at most %d identity keys.", MaxCustomKinds))
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

var kindNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

func checkPattern(p string) error {
	if utf8.RuneCountInString(p) > MaxKindPatternLen {
		return fmt.Errorf("A pattern is at most %d characters.", MaxKindPatternLen)
	}
	_, err := compilePattern(p)
	return err
}

// compilePattern compiles p anchored at both ends, refusing programs
// larger than maxPatternInsts instructions ("a{1000}{1000}" and the like).
func compilePattern(p string) (*regexp.Regexp, error) {
	full := `^(?:` + p + `)$`
	re, err := syntax.Parse(full, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("Not a valid regular expression: %v.", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil, fmt.Errorf("Not a valid regular expression: %v.", err)
	}
	if len(prog.Inst) > maxPatternInsts {
		return nil, errors.New("The pattern is too complex.")
	}
	return regexp.Compile(full)
}

// KeyMap is the lead's identity keys as the API shows them (the lead's
// "keys"): the contact fields' values first, then the other keys, by kind,
// each value once. It is the whole truth: every key the lead holds is here.
func (l Lead) KeyMap() map[string][]string {
	out := map[string][]string{}
	add := func(kind, v string) {
		if v != "" && !slices.Contains(out[kind], v) {
			out[kind] = append(out[kind], v)
		}
	}
	add(KeyEmail, l.Contact.Email)
	add(KeyPhone, l.Contact.Phone)
	add(KeyWhatsApp, l.Contact.WhatsApp)
	add(KeyCPF, l.Contact.CPF)
	for _, m := range []map[string][]string{l.ExtraKeys, l.SharedKeys} {
		for kind, vs := range m {
			for _, v := range vs {
				add(kind, v)
			}
		}
	}
	return out
}

// HasKey reports whether the lead holds k (an API kind, normalized value).
func (l Lead) HasKey(k IdentityKey) bool { return slices.Contains(l.KeyMap()[k.Kind], k.Value) }

// SharedKeyList returns the lead's keys of non-unique kinds: each has an
// item per lead and value rather than one item per value.
func (l Lead) SharedKeyList() []IdentityKey {
	var out []IdentityKey
	for _, kind := range sortedKinds(l.SharedKeys) {
		for _, v := range l.SharedKeys[kind] {
			out = append(out, IdentityKey{Kind: kind, Value: v})
		}
	}
	return out
}

// extraKeyList returns the unique keys held beyond the contact fields, as
// item keys (see ItemKind).
func (l Lead) extraKeyList() []IdentityKey {
	var out []IdentityKey
	for _, kind := range sortedKinds(l.ExtraKeys) {
		for _, v := range l.ExtraKeys[kind] {
			out = append(out, IdentityKey{Kind: ItemKind(kind), Value: v})
		}
	}
	return out
}

func sortedKinds(m map[string][]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// History actions of identity keys (Field "keys.<kind>", the value in
// After or Before).
const (
	ActionKeyAdded   = "key_added"
	ActionKeyRemoved = "key_removed"
)

// AddKeys gives the lead keys it does not hold yet (keys already held are
// skipped) and returns one history entry per key added. Values must be
// normalized (Kinds.ParseKeys). A key of a unique kind goes to ExtraKeys
// (the store writes its item, refusing it when another lead holds it); of
// a non-unique kind to SharedKeys. Contact fields are never changed: the
// console edits them with PATCH. At most MaxLeadKeys keys beyond the
// contact fields.
func (l *Lead) AddKeys(keys []IdentityKey, ks Kinds, actor Actor, now time.Time) ([]Event, error) {
	var events []Event
	held := l.KeyMap()
	count := keyCount(l.ExtraKeys) + keyCount(l.SharedKeys)
	for _, k := range keys {
		kind, ok := ks.Kind(k.Kind)
		if !ok {
			return nil, fmt.Errorf("add key %s: %w", k.Kind, ErrUnknownKind)
		}
		if slices.Contains(held[k.Kind], k.Value) {
			continue
		}
		if count >= MaxLeadKeys {
			bad := &InvalidError{}
			bad.Add("keys", "lead_limit", fmt.Sprintf("A lead holds at most %d identity keys beside its contact data.", MaxLeadKeys))
			return nil, bad
		}
		count++
		dst := &l.ExtraKeys
		if !kind.Unique {
			dst = &l.SharedKeys
		}
		if *dst == nil {
			*dst = map[string][]string{}
		}
		(*dst)[k.Kind] = append((*dst)[k.Kind], k.Value)
		held[k.Kind] = append(held[k.Kind], k.Value)
		events = append(events, Event{ID: NewID(PrefixEvent, now), At: now, Actor: actor,
			Action: ActionKeyAdded, Field: "keys." + k.Kind, After: k.Value})
	}
	if len(events) > 0 {
		l.UpdatedAt = now
	}
	return events, nil
}

// RemoveKeys takes keys from the lead (keys it does not hold are skipped)
// and returns one history entry per key removed. A key that is a contact
// field (contact.email …) clears that field.
func (l *Lead) RemoveKeys(keys []IdentityKey, actor Actor, now time.Time) []Event {
	var events []Event
	contact := map[string]*string{KeyEmail: &l.Contact.Email, KeyPhone: &l.Contact.Phone,
		KeyWhatsApp: &l.Contact.WhatsApp, KeyCPF: &l.Contact.CPF}
	for _, k := range keys {
		removed := false
		if f, ok := contact[k.Kind]; ok && *f == k.Value {
			*f = ""
			l.markUser("contact."+k.Kind, "")
			removed = true
		}
		for _, m := range []map[string][]string{l.ExtraKeys, l.SharedKeys} {
			if i := slices.Index(m[k.Kind], k.Value); i >= 0 {
				m[k.Kind] = slices.Delete(m[k.Kind], i, i+1)
				if len(m[k.Kind]) == 0 {
					delete(m, k.Kind)
				}
				removed = true
			}
		}
		if removed {
			events = append(events, Event{ID: NewID(PrefixEvent, now), At: now, Actor: actor,
				Action: ActionKeyRemoved, Field: "keys." + k.Kind, Before: k.Value})
		}
	}
	if len(l.ExtraKeys) == 0 {
		l.ExtraKeys = nil
	}
	if len(l.SharedKeys) == 0 {
		l.SharedKeys = nil
	}
	if len(events) > 0 {
		l.UpdatedAt = now
	}
	return events
}

func keyCount(m map[string][]string) int {
	n := 0
	for _, vs := range m {
		n += len(vs)
	}
	return n
}

// KeyMatch is one lead a locate found: which of the given kinds it holds
// (Matched) and which unique kinds it holds with another value than the
// one given (Conflicting).
type KeyMatch struct {
	LeadID      string   `json:"lead_id"`
	Name        string   `json:"name"`
	Matched     []string `json:"matched"`
	Conflicting []string `json:"conflicting"`
}

// Match says how l relates to the keys a locate gave: the kinds of the keys
// it holds, and the unique kinds given (not matched) of which it holds
// another value.
func Match(l Lead, given []IdentityKey, ks Kinds) KeyMatch {
	m := KeyMatch{LeadID: l.ID, Name: l.Name, Matched: []string{}, Conflicting: []string{}}
	held := l.KeyMap()
	for _, k := range given {
		if slices.Contains(held[k.Kind], k.Value) && !slices.Contains(m.Matched, k.Kind) {
			m.Matched = append(m.Matched, k.Kind)
		}
	}
	for _, k := range given {
		if ks.Unique(k.Kind) && len(held[k.Kind]) > 0 && !slices.Contains(m.Matched, k.Kind) &&
			!slices.Contains(m.Conflicting, k.Kind) {
			m.Conflicting = append(m.Conflicting, k.Kind)
		}
	}
	return m
}

// CloneKeys copies a kind → values map deeply (nil stays nil).
func CloneKeys(m map[string][]string) map[string][]string {
	if m == nil {
		return nil
	}
	out := make(map[string][]string, len(m))
	for k, vs := range m {
		out[k] = slices.Clone(vs)
	}
	return out
}

// Manual is a lead a user creates in the console (POST /v1/leads), its
// fields already validated: contact fields normalized, keys parsed with
// Kinds.ParseKeys.
type Manual struct {
	Name    string
	Contact Contact
	Keys    []IdentityKey
	OwnerID string
}

// NewManual builds the lead a user creates, entry method "manual", and its
// history: "created", then one key_added per key beyond the contact
// fields. A key of a contact kind (email, phone, whatsapp, cpf) fills its
// contact field when the body left it empty. Every value given is the
// user's (Provenance), so captures never overwrite it.
func NewManual(tenantID, leadID, contactID string, m Manual, ks Kinds, actor Actor, now time.Time) (Lead, []Event, error) {
	touch := Touch{At: now, EntryMethod: EntryManual}
	l := Lead{
		ID: leadID, TenantID: tenantID, ContactID: contactID,
		Name: m.Name, State: StateNew, OwnerID: m.OwnerID, EntryMethod: EntryManual,
		Contact: m.Contact, FirstTouch: touch, LastTouch: touch,
		Version: 1, CreatedAt: now, UpdatedAt: now,
	}
	contact := map[string]*string{KeyEmail: &l.Contact.Email, KeyPhone: &l.Contact.Phone,
		KeyWhatsApp: &l.Contact.WhatsApp, KeyCPF: &l.Contact.CPF}
	var rest []IdentityKey
	for _, k := range m.Keys {
		if f, ok := contact[k.Kind]; ok && *f == "" {
			*f = k.Value
			continue
		}
		rest = append(rest, k)
	}
	l.markUser("name", l.Name)
	for kind, f := range contact {
		l.markUser("contact."+kind, *f)
	}
	for k, v := range l.Contact.Attributes {
		l.markUser("contact.attributes."+k, v)
	}
	events := []Event{{ID: NewID(PrefixEvent, now), At: now, Actor: actor, Action: ActionCreated, After: touch}}
	added, err := l.AddKeys(rest, ks, actor, now)
	if err != nil {
		return Lead{}, nil, err
	}
	return l, append(events, added...), nil
}
