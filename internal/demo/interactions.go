package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/interaction"
	"github.com/leadflow/leadflow/internal/lead"
)

// Interactions are the demo timeline beyond the captures: Ana Souza on
// five channels (her e-mail and phone locate her), Camila Ferreira on
// WhatsApp (her number), and one Instagram comment nobody is known by, to
// relate from the console. Upserted by channel and external id, so a
// re-seed updates them in place.
func Interactions(now time.Time) []interaction.Input {
	at := func(min int) string { return now.Add(-time.Duration(min) * time.Minute).UTC().Format(time.RFC3339) }
	ana := interaction.InputProfile{Name: "Ana Souza", Email: "ana.souza@example.com"}
	return []interaction.Input{
		{Channel: "whatsapp", ExternalID: "demo-wa-ana-1", Kind: "chat", Status: "finished", Polarity: "positive",
			AgentID: AgentID, OpenedAt: at(170), AnsweredAt: at(168), FinishedAt: at(150), Tags: []string{"orçamento"},
			Profile: interaction.InputProfile{Name: "Ana Souza", Phone: "(11) 98888-1234"},
			Messages: []interaction.InputMessage{
				{From: "visitor", Text: "Oi! Recebi o orçamento, podemos fechar com 20 usuários?", At: at(170)},
				{From: "agent", Text: "Claro, Ana! Envio o contrato hoje.", At: at(168)},
				{From: "visitor", Text: "Perfeito, obrigada!", At: at(151)},
			},
			Events: []interaction.InputEvent{
				{At: at(168), Type: "replied", Actor: AgentID},
				{At: at(151), Type: "polarized", Actor: AgentID, Detail: "positive"},
				{At: at(150), Type: "status_changed", Actor: AgentID, Detail: "finished"},
			}},
		{Channel: "instagram", ExternalID: "demo-ig-ana-1", Kind: "comment", Status: "answered", Polarity: "neutral",
			AgentID: Agent2ID, OpenedAt: at(140), AnsweredAt: at(130), Profile: ana,
			Messages: []interaction.InputMessage{
				{From: "visitor", Text: "Esse plano tem app para Android?", At: at(140)},
				{From: "agent", Text: "Tem sim! Android e iOS.", At: at(130)},
			}},
		{Channel: "facebook", ExternalID: "demo-fb-ana-1", Kind: "dm", Status: "open", Priority: "urgent", Polarity: "negative",
			OpenedAt: at(60), Tags: []string{"cobrança"}, Profile: ana,
			Attachments: []interaction.InputAttachment{{Name: "boleto.pdf", ContentType: "application/pdf", Size: 48213, URL: "https://files.example.com/demo/boleto.pdf"}},
			Messages: []interaction.InputMessage{
				{From: "visitor", Text: "Fui cobrada duas vezes este mês!", At: at(60)},
			},
			Events: []interaction.InputEvent{{At: at(59), Type: "tagged", Actor: "bot", Detail: "cobrança"}}},
		{Channel: "email", ExternalID: "demo-mail-ana-1", Kind: "email", Status: "open", Profile: ana, OpenedAt: at(30),
			Messages:    []interaction.InputMessage{{From: "visitor", Text: "Segue em anexo a nota fiscal para conferência.", At: at(30)}},
			Attachments: []interaction.InputAttachment{{Name: "nota-fiscal.xml", ContentType: "application/xml", Size: 5120, URL: "https://files.example.com/demo/nf.xml"}}},
		{Channel: "phone", ExternalID: "demo-call-ana-1", Kind: "call", Status: "finished", Polarity: "positive", AgentID: AgentID,
			OpenedAt: at(20), AnsweredAt: at(20), FinishedAt: at(12), Profile: ana,
			Events: []interaction.InputEvent{{At: at(12), Type: "status_changed", Actor: AgentID, Detail: "Estorno confirmado por telefone"}}},
		{Channel: "whatsapp", ExternalID: "demo-wa-camila-1", Kind: "chat", Status: "answered", Polarity: "positive", AgentID: Agent2ID,
			OpenedAt: at(110), AnsweredAt: at(105), Profile: interaction.InputProfile{Name: "Camila Ferreira", Phone: "+55 31 98765-4321"},
			Messages: []interaction.InputMessage{
				{From: "visitor", Text: "Quero o plano anual, como pago?", At: at(110)},
				{From: "agent", Text: "Pode ser no cartão em 12x ou Pix com desconto.", At: at(105)},
			}},
		{Channel: "instagram", ExternalID: "demo-ig-stray-1", Kind: "mention", Status: "open", Polarity: "positive",
			OpenedAt: at(45), Profile: interaction.InputProfile{Name: "Visitante", InstagramUsername: "@visitante.curioso"},
			Messages: []interaction.InputMessage{{From: "visitor", Text: "@loja adorei o atendimento de vocês!", At: at(45)}}},
	}
}

// SeedInteractions posts the demo interactions (see Interactions).
func SeedInteractions(ctx context.Context, st *dynamo.Store, acct account.Account, now time.Time) error {
	for _, in := range Interactions(now) {
		i, err := interaction.Normalize(acct.ID, in, lead.NewKinds(acct), now)
		if err != nil {
			return fmt.Errorf("demo: interaction %s: %w", in.ExternalID, err)
		}
		if _, _, err := st.PostInteraction(ctx, acct.ID, i); err != nil {
			return fmt.Errorf("demo: interaction %s: %w", in.ExternalID, err)
		}
	}
	return nil
}
