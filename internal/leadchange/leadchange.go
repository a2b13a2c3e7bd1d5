// Package leadchange is the use case of changing a lead by hand: PATCH
// /v1/leads/{id} and each lead of a bulk action. Both come here, so the
// rules are in one place:
//
//   - who may change what: only admins set the owner (Authorize);
//   - what a change may reference: the owner is an active user of the
//     account, groups exist (Authorize, CheckOwner);
//   - what the change does (lead.Lead.Apply, in the store's optimistic
//     update): validation of every field, reported together with what the
//     transport could not decode; provenance, so captures never overwrite
//     a value a user set; a state change by a user cancels the pending
//     scheduled change in the same write; one history entry per changed
//     field.
//
// It links no AWS SDK; the store is the small interface below.
package leadchange

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
)

// Store is what a lead change needs from storage (internal/dynamo).
type Store interface {
	User(ctx context.Context, tenantID, userID string) (account.User, error)
	Group(ctx context.Context, tenantID, groupID string) (account.Group, error)
	// Update applies change atomically with its history entries;
	// ifVersion > 0 makes it conditional on that version.
	Update(ctx context.Context, tenantID, leadID string, ifVersion int64, change lead.Change) (lead.Lead, error)
}

// Service runs lead changes.
type Service struct {
	Store Store
	Now   lead.Clock // time.Now when nil
}

// Request is one change of one lead.
type Request struct {
	LeadID    string
	IfVersion int64 // 0: whatever version the store reads
	Patch     lead.Patch
	// Invalid are the fields the transport could not decode; they are
	// reported together with the ones Apply finds against the stored
	// lead, so the caller sees every bad field at once.
	Invalid []lead.FieldError
}

// ErrAdminsOnly is lead.ErrForbidden for a change only admins make.
var ErrAdminsOnly = fmt.Errorf("only admins assign leads: %w", lead.ErrForbidden)

// Patch is PATCH /v1/leads/{id} by p in account acct (which the
// transport read to decode the body): authorize, then apply as p.
func (s Service) Patch(ctx context.Context, p account.Principal, acct account.Account, req Request) (lead.Lead, error) {
	if err := s.Authorize(ctx, p, req.Patch); err != nil {
		return lead.Lead{}, err
	}
	return s.Apply(ctx, p.TenantID, lead.Actor{Type: lead.ActorUser, ID: p.UserID}, acct, req)
}

// Authorize checks what p's patch may touch before any lead is read: only
// admins set the owner, who must be an active user (or "" to unassign);
// groups must exist. A bulk action is authorized when it starts (by the
// same rules) and its leads are changed with Apply.
func (s Service) Authorize(ctx context.Context, p account.Principal, patch lead.Patch) error {
	if patch.OwnerID != nil {
		if !p.IsAdmin() {
			return ErrAdminsOnly
		}
		if err := s.CheckOwner(ctx, p.TenantID, *patch.OwnerID); err != nil {
			return err
		}
	}
	if patch.Groups != nil {
		return s.CheckGroups(ctx, p.TenantID, "groups", *patch.Groups)
	}
	return nil
}

// CheckOwner accepts "" (unassign) or an active user of the tenant.
func (s Service) CheckOwner(ctx context.Context, tenantID, ownerID string) error {
	if ownerID = strings.TrimSpace(ownerID); ownerID == "" {
		return nil
	}
	u, err := s.Store.User(ctx, tenantID, ownerID)
	if errors.Is(err, account.ErrNotFound) || (err == nil && !u.Active) {
		return &lead.InvalidError{Errors: []lead.FieldError{{Field: "owner_id", Code: "invalid", Detail: "No active user of this account has this id."}}}
	}
	return err
}

// CheckGroups accepts ids of existing groups of the tenant; field names
// the request field in the error.
func (s Service) CheckGroups(ctx context.Context, tenantID, field string, ids []string) error {
	for _, id := range ids {
		if _, err := s.Store.Group(ctx, tenantID, strings.TrimSpace(id)); err != nil {
			if errors.Is(err, account.ErrNotFound) {
				return &lead.InvalidError{Errors: []lead.FieldError{{Field: field, Code: "invalid", Detail: "No group of this account has the id " + id + "."}}}
			}
			return err
		}
	}
	return nil
}

// Apply changes one lead in its own transaction as actor (authorization
// already done): lead.Lead.Apply inside the store's optimistic update.
func (s Service) Apply(ctx context.Context, tenantID string, actor lead.Actor, acct account.Account, req Request) (lead.Lead, error) {
	now := s.Now.UTC()
	return s.Store.Update(ctx, tenantID, req.LeadID, req.IfVersion, func(l *lead.Lead) ([]lead.Event, error) {
		events, err := l.Apply(req.Patch, actor, acct, now)
		if len(req.Invalid) == 0 {
			return events, err
		}
		all := &lead.InvalidError{Errors: req.Invalid}
		var invalid *lead.InvalidError
		if errors.As(err, &invalid) {
			all.Errors = append(all.Errors, invalid.Errors...)
		} else if err != nil {
			return nil, err
		}
		return nil, all
	})
}
