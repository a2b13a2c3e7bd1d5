// Package demo creates the development account `demo` (api.md "Local
// server"): two sites, an admin and two agents, their tokens, a handful of
// named leads from the last hours, and two months of history (history.go:
// 300 leads across sources, campaigns, states, owners and ratings, with
// transcripts, notes and pending scheduled changes), all captured through
// the same path real captures take, each on its own date. Seeding is
// idempotent: run it on every start.
package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/capture"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/lead"
)

// TenantID is the demo account's id.
const TenantID = "demo"

// Demo users.
const (
	AdminID  = "usr_admin"
	AgentID  = "usr_agent"
	Agent2ID = "usr_agent2"
)

// Store is what seeding writes through.
type Store interface {
	PutAccount(ctx context.Context, a account.Account) error
	PutSite(ctx context.Context, s account.Site) error
	PutUser(ctx context.Context, u account.User) error
	Capture(ctx context.Context, site account.Site, c lead.Capture) (lead.CaptureResult, error)
	PutAdsSecrets(ctx context.Context, sec account.AdsSecrets) error
	CreateAPIKey(ctx context.Context, k account.APIKey) error
	// At is the same store with its clock at t (history is seeded with it).
	At(t time.Time) *dynamo.Store
}

// Issuer signs console tokens.
type Issuer interface {
	Issue(p account.Principal, ttl time.Duration) (string, error)
}

// Secrets are the development credentials kept in .local/demo.env, reused
// across restarts so a persisted database keeps matching them.
type Secrets map[string]string

// Keys written to demo.env.
const (
	EnvSiteKey         = "LEADFLOW_SITE_KEY"
	EnvAdminToken      = "LEADFLOW_ADMIN_TOKEN"
	EnvAgentToken      = "LEADFLOW_AGENT_TOKEN"
	EnvAgent2Token     = "LEADFLOW_AGENT2_TOKEN"
	EnvSite2Key        = "LEADFLOW_SITE2_KEY"
	EnvJWTSecret       = "LEADFLOW_JWT_SECRET"
	EnvMetaAppSecret   = "LEADFLOW_META_APP_SECRET"
	EnvMetaVerifyToken = "LEADFLOW_META_VERIFY_TOKEN"
	EnvGoogleKey       = "LEADFLOW_GOOGLE_KEY"
	EnvMetaPageToken   = "LEADFLOW_META_PAGE_TOKEN"
	EnvAPIKey          = "LEADFLOW_API_KEY" // secret account API key, every scope
	tokenTTL           = 30 * 24 * time.Hour
	siteID             = "site_demo"
	site2ID            = "site_demo_lp"
)

// LoadSecrets reads a demo.env file; a missing file gives empty secrets.
func LoadSecrets(path string) (Secrets, error) {
	s := Secrets{}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("demo: read %s: %w", path, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok && !strings.HasPrefix(k, "#") {
			s[k] = v
		}
	}
	return s, nil
}

// Ensure fills in any missing random secret (site key, JWT secret, ads
// webhook secrets).
func (s Secrets) Ensure() {
	for k, prefix := range map[string]string{
		EnvSiteKey: "pk_demo_", EnvSite2Key: "pk_demo_lp_", EnvJWTSecret: "", EnvMetaAppSecret: "",
		EnvMetaVerifyToken: "", EnvGoogleKey: "", EnvMetaPageToken: "EAAB_demo_",
	} {
		if s[k] == "" {
			s[k] = prefix + strings.ToLower(rand.Text())
		}
	}
	if len(s[EnvJWTSecret]) < 32 {
		s[EnvJWTSecret] = strings.ToLower(rand.Text() + rand.Text())
	}
	if !account.LooksLikeAPIKey(s[EnvAPIKey]) {
		s[EnvAPIKey] = account.NewAPIKeySecret()
	}
}

// Write saves s as KEY=value lines, readable by `source` and by make.
func (s Secrets) Write(path string) error {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# Leadflow development credentials, written by `make dev`. Not for production.\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, s[k])
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// Site returns the demo site for a site key.
func Site(key string, now time.Time) account.Site {
	return account.Site{
		ID: siteID, TenantID: TenantID, Name: "Loja Demo", Key: key,
		// The console's local origins and the demo shop's.
		AllowedOrigins:     []string{"http://127.0.0.1:8080", "http://localhost:8080", "http://localhost:5173", "https://shop.example.com"},
		Country:            "BR",
		RateLimitPerMinute: 120,
		CreatedAt:          now,
	}
}

// LandingSite returns the demo's second site, a Black Friday landing page.
func LandingSite(key string, now time.Time) account.Site {
	return account.Site{
		ID: site2ID, TenantID: TenantID, Name: "Landing Black Friday", Key: key,
		AllowedOrigins:     []string{"https://lp.example.com"},
		Country:            "BR",
		RateLimitPerMinute: 60,
		CreatedAt:          now,
	}
}

// Account returns the demo account with Portuguese sub-states.
func Account(now time.Time) account.Account {
	return account.Account{
		ID: TenantID, Name: "Loja Demo", Country: "BR", Timezone: "America/Sao_Paulo",
		SubStates: map[string][]string{
			string(lead.StateInProgress): {"primeiro_contato", "proposta_enviada", "negociacao"},
			string(lead.StateSale):       {"pago", "aguardando_pagamento"},
			string(lead.StateNoSale):     {"sem_interesse", "sem_contato", "preco_alto", "concorrente"},
		},
		SubStateLabels: map[string]map[string]string{
			string(lead.StateInProgress): {"primeiro_contato": "Primeiro contato", "proposta_enviada": "Proposta enviada", "negociacao": "Negociação"},
			string(lead.StateSale):       {"pago": "Pago", "aguardando_pagamento": "Aguardando pagamento"},
			string(lead.StateNoSale):     {"sem_interesse": "Sem interesse", "sem_contato": "Sem contato", "preco_alto": "Preço alto", "concorrente": "Foi para o concorrente"},
		},
		CreatedAt: now.AddDate(0, 0, -HistoryDays-1),
	}
}

// Users are the demo account's console users: one admin, two agents.
func Users(now time.Time) []account.User {
	return []account.User{
		{ID: AdminID, TenantID: TenantID, Name: "Carla Mendes", Email: "carla@lojademo.com.br", Role: account.RoleAdmin, Active: true, CreatedAt: now},
		{ID: AgentID, TenantID: TenantID, Name: "Rafael Lima", Email: "rafael@lojademo.com.br", Role: account.RoleAgent, Active: true, CreatedAt: now},
		{ID: Agent2ID, TenantID: TenantID, Name: "Juliana Rocha", Email: "juliana@lojademo.com.br", Role: account.RoleAgent, Active: true, CreatedAt: now},
	}
}

// TokenEnv names the demo.env key holding each demo user's bearer token.
var TokenEnv = map[string]string{AdminID: EnvAdminToken, AgentID: EnvAgentToken, Agent2ID: EnvAgent2Token}

// Seed writes the demo account, site, users and leads, and puts the site key
// and every demo user's console token into secrets.
func Seed(ctx context.Context, st Store, iss Issuer, secrets Secrets, now time.Time) error {
	secrets.Ensure()
	acct := Account(now)
	if err := st.PutAccount(ctx, acct); err != nil {
		return fmt.Errorf("demo: account: %w", err)
	}
	site := Site(secrets[EnvSiteKey], now)
	landing := LandingSite(secrets[EnvSite2Key], now)
	for _, s := range []account.Site{site, landing} {
		if err := st.PutSite(ctx, s); err != nil {
			return fmt.Errorf("demo: site: %w", err)
		}
	}
	// The ads webhooks of the demo site use the secrets in demo.env.
	if err := st.PutAdsSecrets(ctx, account.AdsSecrets{
		TenantID: TenantID, SiteID: site.ID,
		MetaAppSecret: secrets[EnvMetaAppSecret], MetaVerifyToken: secrets[EnvMetaVerifyToken],
		MetaPageToken: secrets[EnvMetaPageToken], GoogleKey: secrets[EnvGoogleKey],
	}); err != nil {
		return fmt.Errorf("demo: ads secrets: %w", err)
	}
	users := Users(now)
	for _, u := range users {
		if err := st.PutUser(ctx, u); err != nil {
			return fmt.Errorf("demo: user %s: %w", u.ID, err)
		}
	}
	// The demo API key: its id follows from the secret, so a re-seed with
	// the same demo.env finds it stored, and a new secret adds a new key.
	key := account.APIKeyFor(secrets[EnvAPIKey], TenantID, "", "demo (make dev)", account.Scopes, AdminID, now)
	key.ID = "ak_demo_" + key.Hash[:12]
	if err := st.CreateAPIKey(ctx, key); err != nil && !errors.Is(err, account.ErrNameTaken) {
		return fmt.Errorf("demo: api key: %w", err)
	}
	for _, u := range users {
		tok, err := iss.Issue(account.Principal{TenantID: TenantID, UserID: u.ID, Role: u.Role}, tokenTTL)
		if err != nil {
			return fmt.Errorf("demo: token: %w", err)
		}
		secrets[TokenEnv[u.ID]] = tok
	}
	// The leads, their timeline and their history are written once: their
	// times follow now, so capturing them again at a later start would add
	// one more interaction to every demo conversation whose body changed
	// (and another timeline item). The first demo lead's external id tells
	// whether a persisted table has them (make dev -fresh starts over).
	first := Leads(now)[0].Request.ExternalID
	if h, err := st.At(now).KeyHolder(ctx, TenantID, lead.ExternalKey(site.ID, first)); err != nil {
		return fmt.Errorf("demo: seeded already? %w", err)
	} else if h.LeadID != "" {
		return nil
	}
	for i, dl := range append(Leads(now), DuplicatePair(now)...) {
		meta := capture.Meta{IP: fmt.Sprintf("177.%d.10.%d", 20+i, 40+i), Country: "BR", Region: "SP", City: "São Paulo", Now: dl.At}
		c, err := capture.Normalize(site, dl.Request, meta)
		if err != nil {
			return fmt.Errorf("demo: lead %d: %w", i, err)
		}
		if _, err := st.At(dl.At).Capture(ctx, site, c); err != nil {
			return fmt.Errorf("demo: capture lead %d: %w", i, err)
		}
	}
	if err := SeedInteractions(ctx, st.At(now), acct, now); err != nil {
		return err
	}
	return SeedHistory(ctx, st.At, acct, []account.Site{site, landing}, now)
}

// Lead is one demo capture and when it happened.
type Lead struct {
	At      time.Time
	Request capture.Request
}

// Leads are the demo captures: Portuguese names, real-looking campaigns and
// chatbot transcripts, spread over the last hours. Seed writes them once
// (see Seed); their external ids would make a capture again a repeat.
func Leads(now time.Time) []Lead {
	at := func(min int) string { return now.Add(-time.Duration(min) * time.Minute).UTC().Format(time.RFC3339) }
	msg := func(from, text string, min int) capture.RequestMessage {
		return capture.RequestMessage{From: from, Text: text, At: at(min)}
	}
	reqs := []capture.Request{
		{
			Source: "chatbot", ExternalID: "demo-conv-ana",
			Contact: capture.RequestContact{Name: "Ana Souza", Email: "ana.souza@example.com", Phone: "(11) 98888-1234", CPF: "111.444.777-35",
				Attributes: map[string]any{"empresa": "Acme Ltda", "orcamento": "10 mil"}},
			Navigation: capture.RequestNavigation{
				PageURL:    "https://shop.example.com/precos?utm_source=google&utm_medium=cpc&utm_campaign=black-friday-2026&utm_term=crm",
				LandingURL: "https://shop.example.com/?gclid=Cj0KCQiA-demo", Referrer: "https://www.google.com/",
				FirstContactAt: at(190), Locale: "pt-BR", UserAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)",
			},
			Conversation: []capture.RequestMessage{
				msg("bot", "Olá! Como posso ajudar?", 190),
				msg("visitor", "Quero um orçamento para 20 usuários", 189),
				msg("bot", "Perfeito! Qual o seu e-mail?", 189),
				msg("visitor", "ana.souza@example.com", 188),
			},
		},
		{
			Source: "form", ExternalID: "demo-form-bruno",
			Contact: capture.RequestContact{Name: "Bruno Oliveira", Email: "bruno.oliveira@example.com", Phone: "+55 21 99876-5432"},
			Navigation: capture.RequestNavigation{
				PageURL:  "https://shop.example.com/contato?utm_source=facebook&utm_medium=social&utm_campaign=lancamento-verao",
				Referrer: "https://l.facebook.com/", Locale: "pt-BR",
			},
		},
		{
			Source: "chatbot", ExternalID: "demo-conv-camila",
			Contact: capture.RequestContact{Name: "Camila Ferreira", WhatsApp: "+55 31 98765-4321",
				Attributes: map[string]any{"interesse": "plano anual"}},
			Navigation: capture.RequestNavigation{
				PageURL: "https://shop.example.com/planos?utm_source=instagram&utm_medium=stories&utm_campaign=black-friday-2026",
				Locale:  "pt-BR",
			},
			Conversation: []capture.RequestMessage{
				msg("bot", "Oi! Quer falar com um consultor pelo WhatsApp?", 120),
				msg("visitor", "Sim, por favor", 119),
			},
		},
		{
			Source: "api", ExternalID: "demo-api-diego",
			Contact: capture.RequestContact{Name: "Diego Martins", Email: "diego@martins.com.br", CPF: "11.222.333/0001-81",
				Attributes: map[string]any{"empresa": "Martins Transportes", "funcionarios": 45}},
			Navigation: capture.RequestNavigation{
				PageURL: "https://shop.example.com/empresas?utm_source=linkedin&utm_medium=paid&utm_campaign=b2b-q4",
			},
		},
		{
			Source: "chatbot", ExternalID: "demo-conv-elisa",
			Contact: capture.RequestContact{Name: "Elisa Gonçalves", Email: "elisa.goncalves@example.com"},
			Navigation: capture.RequestNavigation{
				PageURL:  "https://shop.example.com/blog/como-vender-mais",
				Referrer: "https://www.bing.com/", Locale: "pt-BR",
			},
			Conversation: []capture.RequestMessage{
				msg("bot", "Olá! Posso te enviar nosso e-book?", 60),
				msg("visitor", "Pode sim, obrigada", 59),
			},
		},
		{
			Source: "form", ExternalID: "demo-form-joao",
			Contact: capture.RequestContact{Name: "João Silva", Phone: "11 3456-7890", Email: "joao.silva@example.com"},
			Navigation: capture.RequestNavigation{
				PageURL: "https://shop.example.com/?utm_source=google&utm_medium=organic",
			},
		},
	}
	// Captured after their last message, oldest first.
	ago := []int{185, 150, 118, 90, 58, 20}
	out := make([]Lead, len(reqs))
	for i, r := range reqs {
		out[i] = Lead{At: now.Add(-time.Duration(ago[i]) * time.Minute), Request: r}
	}
	return out
}
