// Package leadcapture is the capture use case: what storing one
// normalized capture means (a new lead, or an append to the lead of the
// same person), decided here and persisted by the store it is handed. The
// request's decoding and normalization are package capture's.
//
// It links no AWS SDK and no adapter, and keeps the store's cost: a new
// person is one transaction; a known one that cancelled transaction (whose
// reasons say who holds the keys), a read of the lead and one append.
package leadcapture

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/lead"
)

// Store is what a capture needs from storage (internal/dynamo). It
// persists the lead.CaptureWrite it is handed and reports what stopped
// it; it decides nothing.
type Store interface {
	// CreateLead writes a new lead, every key conditional on not
	// existing. The outcome names the keys found taken and by whom (from
	// the cancelled transaction: no extra read) and whether the rate
	// limit refused it.
	CreateLead(ctx context.Context, site account.Site, w lead.CaptureWrite) (lead.CaptureOutcome, error)
	// AppendCapture writes an append conditional on w.Prev's version.
	AppendCapture(ctx context.Context, site account.Site, w lead.CaptureWrite) (lead.CaptureOutcome, error)
	// KeyHolder reads who holds an identity key now.
	KeyHolder(ctx context.Context, tenant string, k lead.IdentityKey) (lead.KeyHolder, error)
	// Lead reads a lead consistently (lead.ErrNotFound when missing).
	Lead(ctx context.Context, tenant, leadID string) (lead.Lead, error)
}

// Service is the capture use case: what storing one capture means. The
// capture and ads handlers, the Meta fetch job and the import runner call
// it with a normalized lead.Capture (Normalize, ads.MetaCapture, …):
//
//  1. Ask the store to create a new lead with the capture's identity keys.
//  2. When keys exist, decide: a retry of the same body (the external
//     id's fingerprint) or an ads redelivery (ReplayNoop) is answered
//     with the lead, writing nothing; otherwise the capture joins the lead
//     of its first (strongest) existing key, lead.Absorb says what
//     changes, and keys of other leads become duplicate candidates
//     (lead.Conflicts) — no key moves.
//  3. Ask the store to append, conditional on the version read; a lost
//     race reads and decides again.
//
// The side effects (assignment of a new lead, …) are outbox events in the
// store's transaction, so a committed capture never loses them.
type Service struct {
	Store Store
	Now   lead.Clock // time.Now when nil
}

// maxAttempts bounds the read-decide-write rounds of one capture.
const maxAttempts = 40

// Capture stores c for site: a new lead (Created) or an append to the
// lead of the same person. Rate limits answer *lead.RateLimitedError, a
// rotated site key account.ErrSiteKeyRevoked; errors a retry can fix
// carry interface{ Retryable() bool }.
func (s Service) Capture(ctx context.Context, site account.Site, c lead.Capture) (lead.CaptureResult, error) {
	now := s.Now.UTC()
	tenant := site.TenantID
	l, history := lead.New(tenant, lead.NewID(lead.PrefixLead, now), lead.NewID(lead.PrefixContact, now), c, now)
	if c.Then != nil {
		then, err := c.Then(&l)
		if err != nil {
			return lead.CaptureResult{}, fmt.Errorf("capture: %w", err)
		}
		if l.OwnerID != "" || l.ScheduledChange != nil {
			return lead.CaptureResult{}, errors.New("capture: Then may not set an owner or a scheduled change")
		}
		history = append(history, then...)
	}
	keys := c.Keys()
	fp := c.Fingerprint()
	out, err := s.Store.CreateLead(ctx, site, lead.CaptureWrite{
		Capture: c, Fingerprint: fp, At: now, Lead: l, Keys: keys, Events: history,
	})
	if err != nil {
		return lead.CaptureResult{}, fmt.Errorf("capture: new lead: %w", err)
	}
	if out.Written {
		return lead.CaptureResult{LeadID: l.ID, ContactID: l.ContactID, Created: true}, nil
	}
	if c.ExternalID != "" {
		// keys[0] is the external id. Taken by a redelivery (ads) or a
		// retry of the same body: nothing was written; answer with the lead.
		if h, taken := out.Taken[keys[0]]; taken && c.ReplayNoop {
			return s.replay(ctx, tenant, keys[0], h)
		} else if taken {
			res, retried, err := s.retried(ctx, tenant, keys[0], h, fp)
			if err != nil || retried {
				return res, err
			}
		}
	}
	if out.RateLimited != nil {
		return lead.CaptureResult{}, out.RateLimited
	}
	owners := map[lead.IdentityKey]string{}
	for k, h := range out.Taken {
		owners[k] = h.LeadID
	}
	return s.repeat(ctx, site, c, fp, now, owners)
}

// repeat appends c to the lead owning the first existing key. owners maps
// identity keys known to exist to their lead id ("" when the cancellation
// did not say).
func (s Service) repeat(ctx context.Context, site account.Site, c lead.Capture, fp string, now time.Time, owners map[lead.IdentityKey]string) (lead.CaptureResult, error) {
	tenant := site.TenantID
	keys := c.Keys()
	for attempt := 1; ; attempt++ {
		if attempt > 1 && c.ExternalID != "" {
			// A concurrent retry of the same body may have been stored
			// since the last attempt read the lead.
			res, retried, err := s.retried(ctx, tenant, keys[0], lead.KeyHolder{}, fp)
			if err != nil || retried {
				return res, err
			}
		}
		var ownerID string
		for _, k := range keys {
			o, known := owners[k]
			if known && o == "" {
				// The cancellation did not carry the old item; read the key.
				h, err := s.Store.KeyHolder(ctx, tenant, k)
				if err != nil {
					return lead.CaptureResult{}, fmt.Errorf("capture: repeat: %w", err)
				}
				o = h.LeadID
				owners[k] = o
				if o == "" { // deleted meanwhile
					delete(owners, k)
					continue
				}
			}
			if known && ownerID == "" {
				ownerID = o
			}
		}
		if ownerID == "" {
			// Every key we saw taken is gone again; start over as new.
			return s.Capture(ctx, site, c)
		}
		l, err := s.Store.Lead(ctx, tenant, ownerID)
		if errors.Is(err, lead.ErrNotFound) && attempt < maxAttempts {
			// Purged since its key was read (META and keys go in one
			// transaction): see who holds the keys now.
			if err := s.rereadOwners(ctx, tenant, ownerID, owners); err != nil {
				return lead.CaptureResult{}, fmt.Errorf("capture: repeat: %w", err)
			}
			continue
		}
		if err != nil {
			return lead.CaptureResult{}, fmt.Errorf("capture: repeat: read lead %s: %w", ownerID, err)
		}
		before := l.Keys()
		prev := l
		events := l.Absorb(c, now, func(k lead.IdentityKey) bool {
			o, ok := owners[k]
			return ok && o != l.ID
		})
		l.Version++
		put := lead.AddedKeys(before, l.Keys())
		if c.ExternalID != "" && slices.Contains(before, keys[0]) {
			put = append(put, keys[0]) // the new body's fingerprint
		}
		out, err := s.Store.AppendCapture(ctx, site, lead.CaptureWrite{
			Capture: c, Fingerprint: fp, At: now, Lead: l, Prev: &prev,
			Keys: put, Events: events, Duplicates: lead.Conflicts(keys, owners, l.ID, now),
		})
		if err != nil {
			return lead.CaptureResult{}, fmt.Errorf("capture: repeat: %w", err)
		}
		if out.Written {
			return lead.CaptureResult{LeadID: l.ID, ContactID: l.ContactID, Created: false}, nil
		}
		if out.RateLimited != nil {
			return lead.CaptureResult{}, out.RateLimited
		}
		for k, h := range out.Taken { // taken meanwhile: re-read and decide again
			owners[k] = h.LeadID
		}
		if attempt >= maxAttempts {
			return lead.CaptureResult{}, fmt.Errorf("capture: repeat after %d attempts: %w", attempt, lead.ErrContention)
		}
		if err := lead.Backoff(ctx, attempt); errors.Is(err, context.DeadlineExceeded) {
			// Out of time while losing races: a retry can still succeed.
			return lead.CaptureResult{}, fmt.Errorf("capture: %w (%w)", err, lead.ErrContention)
		} else if err != nil {
			return lead.CaptureResult{}, fmt.Errorf("capture: %w", err)
		}
	}
}

// rereadOwners refreshes the keys owners attributes to a lead that is
// gone. A key still naming it would send the capture round in circles, so
// it is an error rather than a retry.
func (s Service) rereadOwners(ctx context.Context, tenant, gone string, owners map[lead.IdentityKey]string) error {
	for k, o := range owners {
		if o != gone {
			continue
		}
		h, err := s.Store.KeyHolder(ctx, tenant, k)
		if err != nil {
			return err
		}
		switch h.LeadID {
		case gone:
			return fmt.Errorf("identity key %s names missing lead %s", k.Kind, gone)
		case "":
			delete(owners, k)
		default:
			owners[k] = h.LeadID
		}
	}
	return nil
}

// replay answers a ReplayNoop capture whose external id k exists, from
// what the cancelled put said of its holder h (or a read when it did not).
func (s Service) replay(ctx context.Context, tenant string, k lead.IdentityKey, h lead.KeyHolder) (lead.CaptureResult, error) {
	if h.LeadID == "" {
		var err error
		if h, err = s.Store.KeyHolder(ctx, tenant, k); err != nil {
			return lead.CaptureResult{}, fmt.Errorf("capture: replay: %w", err)
		}
	}
	return lead.CaptureResult{LeadID: h.LeadID, ContactID: h.ContactID, Created: false}, nil
}

// retried answers a capture whose external id k exists when its holder
// (h, or read when h does not name a lead) holds the capture's fingerprint
// fp: a retry of the same body, answered like any capture of a known
// person (api.md: 200, "created": false, the same ids), writing nothing.
func (s Service) retried(ctx context.Context, tenant string, k lead.IdentityKey, h lead.KeyHolder, fp string) (lead.CaptureResult, bool, error) {
	if h.LeadID == "" {
		var err error
		if h, err = s.Store.KeyHolder(ctx, tenant, k); err != nil {
			return lead.CaptureResult{}, false, fmt.Errorf("capture: retry check: %w", err)
		}
	}
	if h.LeadID == "" || h.Fingerprint != fp {
		return lead.CaptureResult{}, false, nil
	}
	return lead.CaptureResult{LeadID: h.LeadID, ContactID: h.ContactID}, true, nil
}
