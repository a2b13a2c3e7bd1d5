// Package identity is the use cases of identity keys: the account's key
// kinds (GET/PUT /v1/identity-keys), locating a person by any keys (POST
// /v1/contacts/locate), creating a lead from the console (POST /v1/leads)
// and adding or removing a lead's keys (POST /v1/leads/{id}/keys). The
// rules live in package lead (identity.go); the HTTP handlers call this
// package, and it calls the store through the interface below.
package identity

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/capture"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/text"
)

// Store is what identity keys need from storage (internal/dynamo).
type Store interface {
	Account(ctx context.Context, tenantID string) (account.Account, error)
	UpdateAccount(ctx context.Context, tenantID string, ifVersion int64, change func(*account.Account) ([]lead.Event, error)) (account.Account, error)
	User(ctx context.Context, tenantID, userID string) (account.User, error)
	Locate(ctx context.Context, tenant string, keys []lead.IdentityKey, ks lead.Kinds) ([]lead.KeyMatch, error)
	CreateManualLead(ctx context.Context, l lead.Lead, events []lead.Event) error
	Update(ctx context.Context, tenantID, leadID string, ifVersion int64, change lead.Change) (lead.Lead, error)
}

// Service runs the identity-key use cases.
type Service struct {
	Store Store
	Now   lead.Clock // time.Now when nil
}

func userActor(p account.Principal) lead.Actor { return lead.Actor{Type: lead.ActorUser, ID: p.UserID} }

func (s Service) kinds(ctx context.Context, tenant string) (lead.Kinds, error) {
	a, err := s.Store.Account(ctx, tenant)
	if err != nil {
		return lead.Kinds{}, err
	}
	return lead.NewKinds(a), nil
}

// Kinds lists the account's key kinds, built-ins first, with the account's
// version (the ETag: an account settings change moves it).
func (s Service) Kinds(ctx context.Context, tenant string) ([]lead.KeyKind, int64, error) {
	a, err := s.Store.Account(ctx, tenant)
	if err != nil {
		return nil, 0, err
	}
	return lead.NewKinds(a).All(), max(a.Version, 1), nil
}

// ActionIdentityKinds is the settings-audit action of PUT /v1/identity-keys.
const ActionIdentityKinds = "identity_keys_changed"

// PutKinds replaces the account's own kinds (admins; built-ins may be
// listed as Kinds shows them but not changed), conditional on ifVersion when > 0, with an
// audit entry in the same transaction.
func (s Service) PutKinds(ctx context.Context, p account.Principal, ifVersion int64, in []lead.KeyKind) ([]lead.KeyKind, int64, error) {
	if !p.IsAdmin() {
		return nil, 0, lead.ErrForbidden
	}
	now := s.Now.UTC()
	a, err := s.Store.UpdateAccount(ctx, p.TenantID, ifVersion, func(a *account.Account) ([]lead.Event, error) {
		kinds, err := lead.ValidateKinds(in, a.IdentityKinds)
		if err != nil {
			return nil, err
		}
		if len(kinds) == 0 {
			kinds = nil
		}
		if reflect.DeepEqual(kinds, a.IdentityKinds) {
			return nil, nil
		}
		ev := lead.Event{At: now, Actor: userActor(p), Action: ActionIdentityKinds, Field: "identity_keys",
			Before: names(a.IdentityKinds), After: names(kinds)}
		a.IdentityKinds = kinds
		return []lead.Event{ev}, nil
	})
	if err != nil {
		return nil, 0, err
	}
	return lead.NewKinds(a).All(), max(a.Version, 1), nil
}

func names(ks []account.IdentityKind) []string {
	out := []string{}
	for _, k := range ks {
		out = append(out, k.Name)
	}
	return out
}

// Locate finds the leads holding any of the keys given (kind → value or
// values): each once, with the kinds matched and the unique kinds given of
// which it holds another value.
func (s Service) Locate(ctx context.Context, tenant string, in map[string]lead.KeyValues) ([]lead.KeyMatch, error) {
	ks, err := s.kinds(ctx, tenant)
	if err != nil {
		return nil, err
	}
	keys, err := ks.ParseKeys("keys", in)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, &lead.InvalidError{Errors: []lead.FieldError{{Field: "keys", Code: "required", Detail: "Give at least one key."}}}
	}
	return s.Store.Locate(ctx, tenant, keys, ks)
}

// ContactInput is the contact of a lead created from the console.
type ContactInput struct {
	Email      string            `json:"email"`
	Phone      string            `json:"phone"`
	WhatsApp   string            `json:"whatsapp"`
	CPF        string            `json:"cpf"`
	Attributes map[string]string `json:"attributes"`
}

// CreateInput is a POST /v1/leads body.
type CreateInput struct {
	Name    string                    `json:"name"`
	Contact ContactInput              `json:"contact"`
	Keys    map[string]lead.KeyValues `json:"keys"`
	OwnerID *string                   `json:"owner_id"`
}

// Create makes a lead from the console: entry method manual, owned by the
// caller unless an admin names another active user (an agent naming an
// owner is lead.ErrForbidden). Every field is validated at once (a
// *lead.InvalidError naming each); a unique key of another lead is a
// *lead.KeyTakenError and nothing is written.
func (s Service) Create(ctx context.Context, p account.Principal, in CreateInput) (lead.Lead, error) {
	ks, err := s.kinds(ctx, p.TenantID)
	if err != nil {
		return lead.Lead{}, err
	}
	bad := &lead.InvalidError{}
	name, fe := text.Clean("name", in.Name, text.Rule{Max: capture.MaxNameLen, Collapse: true, Required: true})
	if fe != nil {
		bad.Add(fe.Field, fe.Code, fe.Detail)
	}
	contact := s.contact(ks, in.Contact, bad)
	keys, err := ks.ParseKeys("keys", in.Keys)
	var inv *lead.InvalidError
	if errors.As(err, &inv) {
		bad.Errors = append(bad.Errors, inv.Errors...)
	}
	owner := p.UserID
	if in.OwnerID != nil && strings.TrimSpace(*in.OwnerID) != "" && strings.TrimSpace(*in.OwnerID) != p.UserID {
		if !p.IsAdmin() {
			return lead.Lead{}, fmt.Errorf("only admins choose another owner: %w", lead.ErrForbidden)
		}
		owner = strings.TrimSpace(*in.OwnerID)
		u, err := s.Store.User(ctx, p.TenantID, owner)
		if errors.Is(err, account.ErrNotFound) || err == nil && !u.Active {
			bad.Add("owner_id", "invalid", "No active user of this account has this id.")
		} else if err != nil {
			return lead.Lead{}, err
		}
	}
	if err := bad.Err(); err != nil {
		return lead.Lead{}, err
	}
	now := s.Now.UTC()
	l, events, err := lead.NewManual(p.TenantID, lead.NewID(lead.PrefixLead, now), lead.NewID(lead.PrefixContact, now),
		lead.Manual{Name: name, Contact: contact, Keys: keys, OwnerID: owner}, ks, userActor(p), now)
	if err != nil {
		return lead.Lead{}, err
	}
	if err := s.Store.CreateManualLead(ctx, l, events); err != nil {
		return lead.Lead{}, err
	}
	return l, nil
}

// contact validates and normalizes a created lead's contact, adding every
// bad field to bad ("contact.email" …).
func (s Service) contact(ks lead.Kinds, in ContactInput, bad *lead.InvalidError) lead.Contact {
	var c lead.Contact
	for _, f := range []struct {
		kind string
		in   string
		dst  *string
	}{{lead.KeyEmail, in.Email, &c.Email}, {lead.KeyPhone, in.Phone, &c.Phone}, {lead.KeyWhatsApp, in.WhatsApp, &c.WhatsApp}, {lead.KeyCPF, in.CPF, &c.CPF}} {
		if strings.TrimSpace(f.in) == "" {
			continue
		}
		v, err := ks.Normalize(f.kind, f.in)
		if err != nil {
			bad.AddKey("contact."+f.kind, f.kind, err)
			continue
		}
		*f.dst = v
	}
	if len(in.Attributes) > capture.MaxAttributes {
		bad.Add("contact.attributes", "too_many", fmt.Sprintf("At most %d attributes.", capture.MaxAttributes))
		return c
	}
	for _, k := range slices.Sorted(maps.Keys(in.Attributes)) {
		key := strings.ToLower(strings.TrimSpace(k))
		if !capture.ValidAttributeKey(key) {
			bad.Add("contact.attributes."+k, "invalid", "Attribute names are up to 64 letters, digits, _ . or -.")
			continue
		}
		v, fe := text.Clean("contact.attributes."+k, in.Attributes[k], text.Rule{Max: capture.MaxAttrValueLen, Multiline: true})
		if fe != nil {
			bad.Add(fe.Field, fe.Code, fe.Detail)
			continue
		}
		if c.Attributes == nil {
			c.Attributes = map[string]string{}
		}
		c.Attributes[key] = v
	}
	return c
}

// KeysInput is a POST /v1/leads/{id}/keys body: keys to add and keys to
// remove, kind → value or values.
type KeysInput struct {
	Add    map[string]lead.KeyValues `json:"add"`
	Remove map[string]lead.KeyValues `json:"remove"`
}

// ChangeKeys removes, then adds, keys of a lead in one transaction with a
// history entry per key (keys held are not added again, keys not held are
// not removed); removing frees a key's item in that transaction. Keys to
// add are validated ("add.<kind>[i]"); a value to remove is normalized
// when it can be and taken as given otherwise (a value of a kind the
// account no longer has can still be removed). ifVersion > 0 makes it
// conditional. A key to add that another lead holds is a
// *lead.KeyTakenError.
func (s Service) ChangeKeys(ctx context.Context, p account.Principal, leadID string, ifVersion int64, in KeysInput) (lead.Lead, error) {
	ks, err := s.kinds(ctx, p.TenantID)
	if err != nil {
		return lead.Lead{}, err
	}
	add, err := ks.ParseKeys("add", in.Add)
	if err != nil {
		return lead.Lead{}, err
	}
	var remove []lead.IdentityKey
	for _, kind := range slices.Sorted(maps.Keys(in.Remove)) {
		for _, v := range in.Remove[kind] {
			if n, err := ks.Normalize(kind, v); err == nil {
				v = n
			}
			remove = append(remove, lead.IdentityKey{Kind: kind, Value: strings.TrimSpace(v)})
		}
	}
	if len(add)+len(remove) == 0 {
		return lead.Lead{}, &lead.InvalidError{Errors: []lead.FieldError{{Field: "add", Code: "required", Detail: "Give keys to add or to remove."}}}
	}
	if len(add)+len(remove) > lead.MaxKeysPerRequest {
		return lead.Lead{}, &lead.InvalidError{Errors: []lead.FieldError{{Field: "add", Code: "too_many", Detail: fmt.Sprintf("Change at most %d keys at once.", lead.MaxKeysPerRequest)}}}
	}
	actor, now := userActor(p), s.Now.UTC()
	return s.Store.Update(ctx, p.TenantID, leadID, ifVersion, func(l *lead.Lead) ([]lead.Event, error) {
		events := l.RemoveKeys(remove, actor, now)
		added, err := l.AddKeys(add, ks, actor, now)
		return append(events, added...), err
	})
}
