package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/assign"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
)

// JobStore is what SeedJobs writes through.
type JobStore interface {
	AssignmentRules(ctx context.Context, tenantID string) (assign.Rules, error)
	PutAssignmentRules(ctx context.Context, tenantID string, r assign.Rules, ifVersion int64) (assign.Rules, error)
	LeadIDByKey(ctx context.Context, tenantID string, k lead.IdentityKey) (string, error)
	Account(ctx context.Context, tenantID string) (account.Account, error)
	Update(ctx context.Context, tenantID, leadID string, ifVersion int64, change lead.Change) (lead.Lead, error)
}

// ScheduledLead is the external id of the demo lead that gets a change
// scheduled a minute after start.
const ScheduledLead = "demo-conv-ana"

// SeedJobs gives the demo account assignment rules (once: an admin's edits
// are kept), asks the worker to assign the demo leads (a no-op for leads
// that have an owner), and schedules a state change on Ana Souza's lead one
// minute from now, so a newcomer sees the worker apply it. It returns that
// lead's id.
func SeedJobs(ctx context.Context, st JobStore, q jobs.Sender, now time.Time) (string, error) {
	rules, err := st.AssignmentRules(ctx, TenantID)
	if err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	if rules.Version == 0 {
		_, err := st.PutAssignmentRules(ctx, TenantID, assign.Rules{
			Rules: []assign.Rule{
				{ID: "google-bf", Name: "Google, Black Friday", Match: assign.Match{Source: "google", Campaign: "black-friday-2026"}, Strategy: assign.LeastLoaded},
				{ID: "todos", Name: "Everyone else", Strategy: assign.RoundRobin},
			},
			UpdatedAt: now, UpdatedBy: AdminID,
		}, 0)
		if err != nil {
			return "", fmt.Errorf("demo: %w", err)
		}
	}
	var anaID string
	for _, dl := range Leads(now) {
		id, err := st.LeadIDByKey(ctx, TenantID, lead.ExternalKey(siteID, dl.Request.ExternalID))
		if err != nil {
			return "", fmt.Errorf("demo: %w", err)
		}
		if id == "" {
			continue
		}
		if dl.Request.ExternalID == ScheduledLead {
			anaID = id
		}
		if err := q.Send(ctx, jobs.Assign(TenantID, id), 0); err != nil {
			return "", fmt.Errorf("demo: %w", err)
		}
	}
	if anaID == "" {
		return "", fmt.Errorf("demo: lead %s not found", ScheduledLead)
	}
	acct, err := st.Account(ctx, TenantID)
	if err != nil {
		return "", fmt.Errorf("demo: %w", err)
	}
	_, err = st.Update(ctx, TenantID, anaID, 0, func(l *lead.Lead) ([]lead.Event, error) {
		sub := "proposta_enviada"
		if l.SubState == sub {
			sub = "negociacao"
		}
		at := now.Add(time.Minute).Truncate(time.Second).Format(time.RFC3339)
		c, err := lead.NewScheduledChange(string(lead.StateInProgress), sub, at, acct,
			lead.Actor{Type: lead.ActorUser, ID: AgentID}, now)
		if err != nil {
			return nil, err
		}
		return []lead.Event{l.Schedule(c, now)}, nil
	})
	if err != nil {
		return "", fmt.Errorf("demo: schedule: %w", err)
	}
	// The change's outbox event, committed with it, gets it sent (the
	// dispatcher, through the schedule use case).
	return anaID, nil
}
