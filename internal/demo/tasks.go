package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/agenda"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/task"
)

// TaskStore is what SeedTasks writes through (the DynamoDB store).
type TaskStore interface {
	agenda.Store
	LeadIDByKey(ctx context.Context, tenantID string, k lead.IdentityKey) (string, error)
	TaskPresets(ctx context.Context, tenant string) ([]task.Preset, error)
	PutTaskPresets(ctx context.Context, tenant string, ps []task.Preset) error
}

// Presets are the demo account's quick-entry presets.
func Presets() []task.Preset {
	one, three, zero := 1, 3, 0
	return []task.Preset{
		{ID: "retorno-amanha", Label: "Retorno amanhã 10:00", Description: "Ligar de volta para o cliente", Type: "call_back", DueInDays: &one, DueTime: "10:00"},
		{ID: "visita", Label: "Visita em 3 dias", Description: "Visita agendada ao cliente", Type: "visit", DueInDays: &three, DueTime: "14:00"},
		{ID: "ganho", Label: "Cliente ganho hoje", Description: "Cliente fechou negócio", Type: "won", DueInDays: &zero},
	}
}

// demoTask is one seeded record: on the lead of external id lead, for
// assignee, due days from today (the account's) at hhmm ("" all-day).
type demoTask struct {
	lead, assignee, description, typ, hhmm string
	days                                   int
}

var demoTasks = []demoTask{
	{"demo-conv-elisa", AgentID, "Retornar a ligação sobre o plano anual", "call_back", "10:00", -1},
	{"demo-conv-elisa", AgentID, "Enviar proposta revisada", "", "", 0},
	{"demo-form-joao", AgentID, "Visita ao escritório do cliente", "visit", "15:00", 3},
	{"demo-form-joao", Agent2ID, "Confirmar dados de faturamento", "call_back", "09:00", -2},
	{"demo-form-joao", Agent2ID, "Ligar para apresentar o plano empresarial", "call_back", "", 1},
	{"demo-conv-elisa", AdminID, "Revisar o contrato assinado", "won", "", 0},
}

// SeedTasks gives the demo account its presets (once: an admin's edits are
// kept) and a few records for each demo user — overdue, due today, later —
// on leads whose agenda is empty, so My tasks, the badge and Statistics
// show something in make dev. Re-seeding adds nothing.
func SeedTasks(ctx context.Context, st TaskStore, now time.Time) error {
	ps, err := st.TaskPresets(ctx, TenantID)
	if err != nil {
		return fmt.Errorf("demo: presets: %w", err)
	}
	if len(ps) == 0 {
		if err := st.PutTaskPresets(ctx, TenantID, Presets()); err != nil {
			return fmt.Errorf("demo: presets: %w", err)
		}
	}
	acct, err := st.Account(ctx, TenantID)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	loc, err := time.LoadLocation(acct.Timezone)
	if err != nil {
		loc = time.UTC
	}
	today := now.In(loc)
	svc := agenda.Service{Store: st, Now: func() time.Time { return now }}
	admin := account.Principal{TenantID: TenantID, UserID: AdminID, Role: account.RoleAdmin}
	seeded := map[string]bool{} // lead id → had no records before this run
	for _, d := range demoTasks {
		id, err := st.LeadIDByKey(ctx, TenantID, lead.ExternalKey(siteID, d.lead))
		if err != nil || id == "" {
			return fmt.Errorf("demo: lead %s: %v", d.lead, err)
		}
		if _, ok := seeded[id]; !ok {
			existing, err := st.LeadTasks(ctx, TenantID, id)
			if err != nil {
				return fmt.Errorf("demo: %w", err)
			}
			seeded[id] = len(existing) == 0
		}
		if !seeded[id] {
			continue
		}
		date := today.AddDate(0, 0, d.days).Format(task.DateLayout)
		in := task.Input{Description: &d.description, DueDate: &date, AssigneeID: &d.assignee}
		if d.hhmm != "" {
			in.DueTime = &d.hhmm
		}
		if d.typ != "" {
			in.Type = &d.typ
		}
		if _, err := svc.Create(ctx, admin, id, in); err != nil {
			return fmt.Errorf("demo: task on %s: %w", d.lead, err)
		}
	}
	return nil
}
