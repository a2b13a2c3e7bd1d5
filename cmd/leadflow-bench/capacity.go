package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/capacity"
	"github.com/leadflow/leadflow/internal/dynamo"
	"github.com/leadflow/leadflow/internal/httpapi"
	"github.com/leadflow/leadflow/internal/openapi"
)

// capacityRuns is how many times the capacity workload repeats each step.
const capacityRuns = 10

var capacityOps []capacity.Op

// capacityModel runs a realistic workload through the HTTP handler on its
// own table, with every DynamoDB request priced by capacity.Meter as
// DynamoDB bills it (all GSIs included) and attributed to its
// partition-key value. Each step runs capacityRuns times, one request at a
// time, so every unit belongs to the step that spent it.
func (b *bench) capacityModel(ctx context.Context) error {
	table := "capacity"
	if err := dynamo.CreateTable(ctx, b.db, table); err != nil {
		return err
	}
	meter := capacity.NewMeter(b.db, table, capacity.SchemaOf(dynamo.TableDefinition(table)))
	db := dynamodb.New(b.db.Options(), func(o *dynamodb.Options) {
		o.APIOptions = []func(*middleware.Stack) error{meter.AddTo}
	})
	store := dynamo.New(db, table)
	now := time.Now().UTC()
	for _, err := range []error{
		store.PutAccount(ctx, account.Account{ID: b.tenant, Name: "Bench", Country: "BR", Timezone: "America/Sao_Paulo", CreatedAt: now}),
		store.PutUser(ctx, account.User{ID: "usr_admin", TenantID: b.tenant, Name: "Admin", Role: account.RoleAdmin, Active: true, CreatedAt: now}),
		store.PutUser(ctx, account.User{ID: "usr_agent", TenantID: b.tenant, Name: "Agent", Role: account.RoleAgent, Active: true, CreatedAt: now}),
		store.PutSite(ctx, b.site),
	} {
		if err != nil {
			return err
		}
	}
	srv := httptest.NewServer(httpapi.NewLocal(httpapi.Deps{Sites: store, Captures: store, Accounts: store, Leads: store,
		Lists: store, Reports: store, Auth: b.auth, OpenAPI: openapi.Document()}))
	defer srv.Close()
	expect := func(want int) func(st int, body []byte, err error) error {
		return func(st int, body []byte, err error) error {
			if err == nil && st != want {
				err = fmt.Errorf("%d %s", st, body)
			}
			return err
		}
	}
	step := func(name string, want int, method, path, body string, headers ...string) ([]byte, error) {
		meter.Start(name)
		defer meter.Start("")
		token := b.admin
		if strings.HasPrefix(path, "/v1/capture/") {
			token = ""
		}
		st, rb, err := call(srv.URL, method, path, token, body, headers...)
		if err := expect(want)(st, rb, err); err != nil {
			return nil, fmt.Errorf("capacity %s: %w", name, err)
		}
		return rb, nil
	}
	for i := 0; i < capacityRuns; i++ {
		email := fmt.Sprintf("cap%d@bench.example.com", i)
		if _, err := step("capture: new lead", 202, "POST", "/v1/capture/leads", richCapture(i, email, "bf2026", 2), "X-Site-Key", b.site.Key); err != nil {
			return err
		}
		leadID, err := leadByEmail(srv.URL, b.admin, email)
		if err != nil {
			return err
		}
		if _, err := step("detail: new lead", 200, "GET", "/v1/leads/"+leadID, ""); err != nil {
			return err
		}
		if _, err := step("capture: repeat (same person, new touch)", 202, "POST", "/v1/capture/leads", richCapture(i+1000, email, "bf2026-retarget", 1), "X-Site-Key", b.site.Key); err != nil {
			return err
		}
		if _, err := step("assignment (owner set)", 200, "PATCH", "/v1/leads/"+leadID, `{"owner_id":"usr_agent"}`); err != nil {
			return err
		}
		if _, err := step("PATCH one field (rating)", 200, "PATCH", "/v1/leads/"+leadID, `{"rating":4}`); err != nil {
			return err
		}
		if _, err := step("note", 201, "POST", "/v1/leads/"+leadID+"/notes", `{"text":"ligar amanhã às 10h"}`); err != nil {
			return err
		}
		at := now.Add(48 * time.Hour).Format(time.RFC3339)
		if _, err := step("scheduled change", 201, "POST", "/v1/leads/"+leadID+"/scheduled-changes", `{"state":"in_progress","at":"`+at+`"}`); err != nil {
			return err
		}
		if _, err := step("detail: after the workload", 200, "GET", "/v1/leads/"+leadID, ""); err != nil {
			return err
		}
		if _, err := step("list page (20, newest)", 200, "GET", "/v1/leads?limit=20", ""); err != nil {
			return err
		}
		q := url.Values{"from": {now.AddDate(0, 0, -29).Format("2006-01-02")}, "to": {now.Format("2006-01-02")}, "group_by": {"campaign"}}
		if _, err := step("attribution report (30 days, by campaign)", 200, "GET", "/v1/reports/attribution?"+q.Encode(), ""); err != nil {
			return err
		}
	}
	capacityOps = meter.Report()
	if os.Getenv("LEADFLOW_CAPACITY_KEYS") != "" {
		// Where each operation's write units go, key by key.
		for _, o := range capacityOps {
			for _, h := range meter.Breakdown(o.Name) {
				fmt.Fprintf(os.Stderr, "%s\t%s\t%s\t%.2f\n", o.Name, h.Target, keyPattern(h.Key), h.Units)
			}
		}
	}
	for _, o := range capacityOps {
		emit(Result{Name: "capacity: " + o.Name, Value: round1(o.WCU), Unit: "WCU/op",
			Note: fmt.Sprintf("%.1f RCU/op; hottest shared key %s %s: %.2f units/op; max %.0f/s per tenant", o.RCU, o.Hottest.Target, keyPattern(o.Hottest.Key), o.Hottest.Units, o.MaxRate())})
	}
	return nil
}

// richCapture is a chatbot capture like events/capture-lead.json: contact
// with a CPF-free identity, attributes, full navigation, messages.
func richCapture(i int, email, campaign string, messages int) string {
	var msgs []string
	for m := 0; m < messages; m++ {
		msgs = append(msgs, fmt.Sprintf(`{"from":"visitor","text":"mensagem %d de %d: quero um orçamento para 10 licenças","at":"2026-11-20T14:%02d:%02dZ"}`, m, i, m%60, i%60))
	}
	return fmt.Sprintf(`{"source":"chatbot","external_id":"cap-%d","contact":{"name":"Pessoa %d","email":%q,"phone":"+55 11 9%04d-%04d",`+
		`"attributes":{"company":"Acme %d","budget":"10k"}},"navigation":{"page_url":"https://shop.example.com/pricing?utm_source=google&utm_medium=cpc&utm_campaign=%s",`+
		`"referrer":"https://www.google.com/","user_agent":"Mozilla/5.0 (X11; Linux x86_64)","locale":"pt-BR"},"conversation":[%s]}`,
		i, i, email, 1000+i%9000, 1000+i%9000, i, campaign, strings.Join(msgs, ","))
}

// leadByEmail finds a lead through the list's search, outside the meter.
func leadByEmail(base, token, email string) (string, error) {
	st, body, err := call(base, "GET", "/v1/leads?q="+url.QueryEscape(email)+"&limit=20", token, "")
	if err != nil || st != 200 {
		return "", fmt.Errorf("find %s: %d %s %v", email, st, body, err)
	}
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &page); err != nil || len(page.Items) != 1 {
		return "", fmt.Errorf("find %s: %d leads (%s)", email, len(page.Items), body)
	}
	return page.Items[0].ID, nil
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }

// keyPattern shows a partition-key value with ids replaced, so a key of one
// lead reads as a kind of key.
func keyPattern(k string) string {
	parts := strings.Split(k, "#")
	for i, p := range parts {
		if j := strings.IndexByte(p, '_'); j > 0 && j <= 4 && len(p) > j+8 {
			parts[i] = p[:j+1] + "…"
		}
	}
	return strings.Join(parts, "#")
}

// capacityMarkdown is the capacity model's section of BENCHMARKS.md.
func capacityMarkdown() string {
	if len(capacityOps) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n## 3. Capacity model (`make bench`)\n\n")
	fmt.Fprintf(&b, "Each step ran %d times through the HTTP handler on DynamoDB Local; every request priced by `internal/capacity` as DynamoDB bills it "+
		"(1 KB write / 4 KB read rounding, transactions ×2 — index entries of a transaction counted ×2 too, an upper bound — every GSI's projected entry) "+
		"and filed under its partition-key value. *Hottest shared key* is the key (table or GSI) that takes the most units per run among the keys "+
		"several runs share: what bounds one tenant's rate. A hash-sharded key (`…#<n shards>`) counts as its shards' average, the load each takes "+
		"under a long stream of runs. *Own key* is the key a run alone writes most (its own lead's partition): another run writes another one, so it "+
		"bounds that one lead, not the tenant. *Max/s per tenant* is 1,000 WCU/s and 3,000 RCU/s per key divided by the hottest shared key's units. "+
		"Requests a refusal ended (a failed condition, a cancelled transaction) are not priced.\n\n", capacityRuns)
	b.WriteString("| operation | requests | WCU | of which table | RCU | hottest shared key | units/op on it | max/s per tenant | own key (units) |\n|---|---:|---:|---:|---:|---|---:|---:|---|\n")
	for _, o := range capacityOps {
		own := "—"
		if o.Own.Units > 0 {
			own = fmt.Sprintf("%s `%s` (%.1f)", o.Own.Target, keyPattern(o.Own.Key), o.Own.Units)
		}
		fmt.Fprintf(&b, "| %s | %.1f | %.1f | %.1f | %.1f | %s `%s` | %.2f | %.0f | %s |\n", o.Name, o.Requests, o.WCU, o.TableWCU, o.RCU, o.Hottest.Target, keyPattern(o.Hottest.Key), o.Hottest.Units, o.MaxRate(), own)
	}
	return b.String()
}
