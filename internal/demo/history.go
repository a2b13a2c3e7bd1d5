package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/capture"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/lead"
)

// HistoryLeads is how many leads the demo account has from its last two
// months, besides the named leads of Leads.
const HistoryLeads = 300

// HistoryDays is how far back they go.
const HistoryDays = 60

// historyWorkers bounds concurrent writes while seeding.
const historyWorkers = 8

// The two months of history are written through a store whose clock is
// the capture's time (dynamo.Store.At), so created_at, the attribution day
// and history entries carry the dates of the story.

// HistoryLead is one generated lead: its capture, when it happened, and
// what the sales team did with it afterwards.
type HistoryLead struct {
	At      time.Time
	Site    int // index into the sites given to SeedHistory
	Method  lead.EntryMethod
	Request capture.Request
	// Ad attribution for meta_lead_ads and google_ads leads.
	Source, Medium, Campaign, AdPlatform string
	// Follow-up: by whom (empty: nobody took it), into which state.
	Owner    string
	State    lead.State
	SubState string
	Rating   int
	Notes    []string
	// Schedule, when set, is a pending change this many hours from now.
	ScheduleIn int
}

var (
	firstNames = []string{"Ana", "Bruno", "Camila", "Diego", "Eduarda", "Felipe", "Gabriela", "Henrique", "Isabela", "João",
		"Larissa", "Marcos", "Natália", "Otávio", "Patrícia", "Rafael", "Sabrina", "Thiago", "Vanessa", "William",
		"Beatriz", "Caio", "Fernanda", "Gustavo", "Helena", "Igor", "Juliana", "Leonardo", "Mariana", "Pedro"}
	lastNames = []string{"Souza", "Oliveira", "Santos", "Lima", "Pereira", "Costa", "Rodrigues", "Almeida", "Nascimento",
		"Carvalho", "Araújo", "Ribeiro", "Gomes", "Martins", "Rocha", "Barbosa", "Teixeira", "Moreira", "Cardoso", "Mendes"}
	ddds      = []string{"11", "21", "31", "41", "51", "61", "71", "81", "19", "48"}
	companies = []string{"Padaria Pão Quente", "Auto Peças Lima", "Clínica Sorriso", "Escola Aprender", "Mercado Bom Preço",
		"Studio Fit", "Ótica Visão", "Pet Shop Amigo", "Construtora Alicerce", "Café Aroma"}
	// utmMix are the web campaigns (chatbot, form, api): source, medium, campaign.
	utmMix = [][3]string{
		{"google", "cpc", "black-friday-2026"}, {"google", "cpc", "black-friday-2026"}, {"google", "cpc", "institucional"},
		{"facebook", "paid_social", "lancamento-verao"}, {"instagram", "paid_social", "black-friday-2026"},
		{"linkedin", "paid", "b2b-q4"}, {"newsletter", "email", "novembro-2026"}, {"google", "organic", ""}, {"", "", ""},
	}
	adCampaigns = map[lead.EntryMethod][][4]string{ // source, medium, campaign, platform
		lead.EntryMetaLeadAds: {{"facebook", "paid_social", "lancamento-verao", "facebook"}, {"instagram", "paid_social", "black-friday-2026", "instagram"}},
		lead.EntryGoogleAds:   {{"google", "cpc", "20000000001", "google"}, {"google", "cpc", "20000000002", "google"}},
	}
	pages = []string{"/precos", "/planos", "/contato", "/", "/blog/como-vender-mais", "/empresas", "/black-friday"}
	chats = [][]string{
		{"Olá! Como posso ajudar?", "Quero saber o preço do plano anual", "O plano anual sai por R$ 1.188. Posso enviar uma proposta?", "Pode sim, por e-mail"},
		{"Oi! Posso te ajudar a escolher um plano?", "Tenho uma loja pequena, 3 vendedores", "O plano Profissional atende bem. Quer uma demonstração?", "Quero, de preferência à tarde", "Perfeito, um consultor vai te chamar"},
		{"Olá! Quer falar com um consultor pelo WhatsApp?", "Sim, por favor"},
		{"Bem-vindo! Em que posso ajudar?", "Vocês emitem nota fiscal?", "Sim, para todos os planos.", "Ótimo, obrigado"},
	}
	noteTexts = []string{"Liguei, pediu retorno amanhã às 10h.", "Enviei proposta por e-mail.", "Cliente comparando com concorrente.",
		"Pediu desconto para pagamento à vista.", "Sem resposta no WhatsApp; tentar de novo na segunda.", "Fechou! Aguardando o boleto."}
	subStates = map[lead.State][]string{
		lead.StateInProgress: {"primeiro_contato", "proposta_enviada", "negociacao"},
		lead.StateSale:       {"pago", "aguardando_pagamento"},
		lead.StateNoSale:     {"sem_interesse", "sem_contato", "preco_alto", "concorrente"},
	}
)

// History returns the generated leads for the two months before now. The
// same seed gives the same leads (names, sources, outcomes, offsets from
// now) on every start.
func History(now time.Time) []HistoryLead {
	rng := rand.New(rand.NewPCG(2026, 12))
	out := make([]HistoryLead, 0, HistoryLeads)
	for i := range HistoryLeads {
		// Newer days hold more leads, like an account that is growing.
		ageMin := 200 + int(float64(HistoryDays*24*60-200)*math.Pow(rng.Float64(), 1.4)) // before the named leads of the last hours
		at := now.Add(-time.Duration(ageMin) * time.Minute).Truncate(time.Second)
		first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
		name := first + " " + last
		h := HistoryLead{At: at, Site: rng.IntN(3) / 2} // a third of the leads on the landing page
		email := fmt.Sprintf("%s.%s.%03d@example.com", ascii(first), ascii(last), i)
		phone := fmt.Sprintf("+55 %s 9%04d-%04d", ddds[rng.IntN(len(ddds))], 1000+rng.IntN(9000), i)
		req := capture.Request{ExternalID: fmt.Sprintf("demo-h-%03d", i),
			Contact: capture.RequestContact{Name: name, Email: email, Phone: phone}}
		if rng.IntN(3) == 0 {
			req.Contact.Attributes = map[string]any{"empresa": companies[rng.IntN(len(companies))]}
		}
		switch r := rng.IntN(100); {
		case r < 30:
			h.Method, req.Source = lead.EntryChatbot, "chatbot"
		case r < 55:
			h.Method, req.Source = lead.EntryForm, "form"
		case r < 63:
			h.Method, req.Source = lead.EntryAPI, "api"
		case r < 78:
			h.Method = lead.EntryMetaLeadAds
		case r < 92:
			h.Method = lead.EntryGoogleAds
		default:
			h.Method = lead.EntryImport
		}
		host := "https://shop.example.com"
		if h.Site == 1 {
			host = "https://lp.example.com"
		}
		switch h.Method {
		case lead.EntryMetaLeadAds, lead.EntryGoogleAds:
			c := adCampaigns[h.Method][rng.IntN(2)]
			h.Source, h.Medium, h.Campaign, h.AdPlatform = c[0], c[1], c[2], c[3]
			req.Source = "api"
		case lead.EntryImport:
			req.Source = "api"
		default:
			u := utmMix[rng.IntN(len(utmMix))]
			page := host + pages[rng.IntN(len(pages))]
			if u[0] != "" {
				page += "?utm_source=" + u[0] + "&utm_medium=" + u[1]
				if u[2] != "" {
					page += "&utm_campaign=" + u[2]
				}
			}
			req.Navigation = capture.RequestNavigation{PageURL: page, Locale: "pt-BR",
				FirstContactAt: at.Add(-3 * time.Minute).UTC().Format(time.RFC3339)}
			if u[0] == "google" {
				req.Navigation.Referrer = "https://www.google.com/"
			}
		}
		if h.Method == lead.EntryChatbot {
			script := chats[rng.IntN(len(chats))]
			for j, text := range script {
				from := "bot"
				if j%2 == 1 {
					from = "visitor"
				}
				req.Conversation = append(req.Conversation, capture.RequestMessage{From: from, Text: text,
					At: at.Add(time.Duration(j*20-len(script)*20) * time.Second).UTC().Format(time.RFC3339)})
			}
		}
		h.Request = req

		// What happened next: older leads are further along.
		age := now.Sub(at)
		switch r := rng.IntN(100); {
		case age < 24*time.Hour && r < 70, r < 20:
			h.State = lead.StateNew
		case r < 55:
			h.State = lead.StateInProgress
		case r < 78:
			h.State = lead.StateSale
		default:
			h.State = lead.StateNoSale
		}
		if subs := subStates[h.State]; len(subs) > 0 {
			h.SubState = subs[rng.IntN(len(subs))]
		}
		if h.State != lead.StateNew || rng.IntN(2) == 0 {
			h.Owner = []string{AgentID, Agent2ID, AgentID, Agent2ID, AdminID}[rng.IntN(5)]
			h.Rating = rng.IntN(6)
		}
		if h.State != lead.StateNew && rng.IntN(5) < 2 {
			for range 1 + rng.IntN(2) {
				h.Notes = append(h.Notes, noteTexts[rng.IntN(len(noteTexts))])
			}
		}
		out = append(out, h)
	}
	// A few pending scheduled changes, on leads in progress with an owner.
	scheduled := 0
	for i := range out {
		if scheduled < 6 && out[i].State == lead.StateInProgress && out[i].Owner != "" {
			out[i].ScheduleIn = 24 * (1 + scheduled)
			scheduled++
		}
	}
	return out
}

// SeedHistory writes History(now) with bounded concurrency. Each lead is
// captured through the store's capture path with its own date (at), then,
// when the capture created it, owned, rated and moved along by its owner,
// noted and scheduled, each with its history. A lead already stored (its
// external id) is left as it is, so seeding again writes nothing; when the
// first and the last are both stored (a restart), nothing is even tried.
func SeedHistory(ctx context.Context, at func(time.Time) *dynamo.Store, acct account.Account, sites []account.Site, now time.Time) error {
	hist := History(now)
	stored := 0
	for _, h := range []HistoryLead{hist[0], hist[len(hist)-1]} {
		id, err := at(now).LeadIDByKey(ctx, TenantID, lead.ExternalKey(sites[h.Site%len(sites)].ID, h.Request.ExternalID))
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if id != "" {
			stored++
		}
	}
	if stored == 2 {
		return nil
	}
	work := make(chan int)
	errs := make(chan error, historyWorkers)
	var wg sync.WaitGroup
	for range historyWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := seedOne(ctx, at, acct, sites, hist[i], i, now); err != nil {
					errs <- fmt.Errorf("demo: history lead %d: %w", i, err)
					return
				}
			}
		}()
	}
	var err error
loop:
	for i := range hist {
		select {
		case work <- i:
		case err = <-errs:
			break loop
		case <-ctx.Done():
			err = ctx.Err()
			break loop
		}
	}
	close(work)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}

func seedOne(ctx context.Context, at func(time.Time) *dynamo.Store, acct account.Account, sites []account.Site, h HistoryLead, i int, now time.Time) error {
	site := sites[h.Site%len(sites)]
	meta := capture.Meta{IP: fmt.Sprintf("177.%d.%d.%d", 20+i%50, i%250, 10+i%200), Country: "BR", Region: "SP", City: "São Paulo", Now: h.At,
		UserAgent: "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"}
	c, err := capture.Normalize(site, h.Request, meta)
	if err != nil {
		return err
	}
	c.Touch.EntryMethod = h.Method
	c.ReplayNoop = true // a lead already seeded stays as it is
	if h.Method != lead.EntryChatbot && h.Method != lead.EntryForm && h.Method != lead.EntryAPI {
		c.Trusted = true // server-to-server deliveries: no per-visitor rate limit
		c.Touch.UTMSource, c.Touch.UTMMedium, c.Touch.UTMCampaign, c.Touch.AdPlatform = h.Source, h.Medium, h.Campaign, h.AdPlatform
		if h.Method == lead.EntryGoogleAds {
			c.Touch.CampaignID = h.Campaign
		} else if h.Campaign != "" {
			c.Touch.CampaignName = h.Campaign
		}
		c.Touch.IP, c.Touch.UserAgent, c.Touch.Country, c.Touch.Region, c.Touch.City = "", "", "", "", ""
	}
	res, err := at(h.At).Capture(ctx, site, c)
	if err != nil || !res.Created || (h.Owner == "" && h.State == lead.StateNew) {
		return err
	}
	// The follow-up happens hours later (never after now).
	then := h.At.Add(time.Duration(1+i%47) * time.Hour)
	if then.After(now) {
		then = now.Add(-time.Minute)
	}
	_, err = at(then).Update(ctx, TenantID, res.LeadID, 0, func(l *lead.Lead) ([]lead.Event, error) {
		var evs []lead.Event
		if h.Owner != "" {
			owner := h.Owner
			ev, err := l.Apply(lead.Patch{OwnerID: &owner}, lead.Actor{Type: lead.ActorWorker, ID: "assign"}, acct, then)
			if err != nil {
				return nil, err
			}
			for j := range ev {
				ev[j].Rule = "todos"
			}
			evs = append(evs, ev...)
		}
		actor := lead.Actor{Type: lead.ActorUser, ID: h.Owner}
		if h.Owner == "" {
			actor.ID = AdminID
		}
		state, sub, rating := h.State, h.SubState, h.Rating
		ev, err := l.Apply(lead.Patch{State: &state, SubState: &sub, Rating: &rating}, actor, acct, then)
		if err != nil {
			return nil, err
		}
		evs = append(evs, ev...)
		if h.ScheduleIn > 0 {
			when := now.Add(time.Duration(h.ScheduleIn) * time.Hour).Truncate(time.Hour).Format(time.RFC3339)
			sc, err := lead.NewScheduledChange(string(lead.StateSale), "aguardando_pagamento", when, acct, actor, now)
			if err != nil {
				return nil, err
			}
			evs = append(evs, l.Schedule(sc, then))
		}
		return evs, nil
	})
	if err != nil {
		return err
	}
	for j, text := range h.Notes {
		noteAt := then.Add(time.Duration(j+1) * 30 * time.Minute)
		if noteAt.After(now) {
			noteAt = now
		}
		author := h.Owner
		if author == "" {
			author = AdminID
		}
		n := lead.Note{ID: lead.NewID(lead.PrefixNote, noteAt), Text: text, AuthorID: author, CreatedAt: noteAt, UpdatedAt: noteAt}
		ev := lead.NoteEvent(lead.ActionNoteAdded, lead.Actor{Type: lead.ActorUser, ID: author}, noteAt, nil, &n)
		if err := at(noteAt).AddNote(ctx, TenantID, res.LeadID, n, ev); err != nil {
			return err
		}
	}
	return nil
}

// ascii lower-cases a name for an e-mail address.
func ascii(s string) string {
	return strings.ToLower(strings.NewReplacer("á", "a", "ã", "a", "â", "a", "é", "e", "ê", "e", "í", "i",
		"ó", "o", "ô", "o", "õ", "o", "ú", "u", "ç", "c", "Á", "a", "É", "e", "Ó", "o").Replace(s))
}
