// Command leadflow-admin creates what a new customer needs before the first
// lead arrives: the account, its capture sites (printing each site's public
// key) and its console users. It talks to the same table the functions use
// (LEADFLOW_TABLE, AWS credentials and endpoints from the environment), so
// it works against AWS and against `make dev` alike.
//
//	leadflow-admin account -id acme -name "Acme Ltda" -country BR -timezone America/Sao_Paulo
//	leadflow-admin site -tenant acme -name "acme.com.br" -origin https://acme.com.br -rate 30
//	leadflow-admin user -tenant acme -id usr_ana -name "Ana" -email ana@acme.com.br -role admin
//	leadflow-admin token -tenant acme -user usr_ana -role admin   (local HS256 only)
//	leadflow-admin api-key -tenant acme -name "ERP" -scopes leads:write,leads:read
//	leadflow-admin backfill-index [-page 500] [-restart]
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/app"
	"github.com/leadflow/leadflow/internal/auth"
	"github.com/leadflow/leadflow/internal/config"
	"github.com/leadflow/leadflow/internal/dynamo"
)

// Store is what the commands write to.
type Store interface {
	PutAccount(ctx context.Context, a account.Account) error
	Account(ctx context.Context, tenantID string) (account.Account, error)
	PutSite(ctx context.Context, s account.Site) error
	PutUser(ctx context.Context, u account.User) error
	CreateAPIKey(ctx context.Context, k account.APIKey) error
	BackfillIndex(ctx context.Context, o dynamo.BackfillOptions) (dynamo.BackfillResult, error)
}

func main() {
	ctx := context.Background()
	cfg, err := config.FromEnv()
	if err == nil {
		var st Store
		if st, err = openStore(ctx, cfg); err == nil {
			err = run(ctx, os.Args[1:], st, cfg, os.Stdout, time.Now().UTC())
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "leadflow-admin:", err)
		os.Exit(2)
	}
}

func openStore(ctx context.Context, cfg config.Config) (Store, error) {
	awsCfg, err := config.AWS(ctx)
	if err != nil {
		return nil, err
	}
	return dynamo.New(app.NewDynamoDB(awsCfg), cfg.Table), nil
}

const usage = `usage: leadflow-admin <account|site|user|token|api-key> [flags]
  account  create or update an account (tenant)
  site     create a capture site and print its public key
  user     create or update a console user
  token    print a local HS256 console token (needs LEADFLOW_JWT_SECRET)
  api-key  create an account API key and print its secret (shown only once)
  backfill-index  rewrite every lead's list-index entries to the current shape
           (resumable: progress saved per page; -restart walks the table again)`

// run executes one command; it is the whole program minus process setup,
// so tests drive it against DynamoDB Local.
func run(ctx context.Context, args []string, st Store, cfg config.Config, out io.Writer, now time.Time) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	tenant := fs.String("tenant", "", "account id")
	switch args[0] {
	case "account":
		id := fs.String("id", "", "account id (lower-case letters, digits, -)")
		name := fs.String("name", "", "display name")
		country := fs.String("country", "BR", "default country for phone numbers")
		tz := fs.String("timezone", "America/Sao_Paulo", "IANA timezone")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if !validID(*id) || *name == "" {
			return errors.New("account: -id (letters, digits, -, _) and -name are required")
		}
		if _, err := time.LoadLocation(*tz); err != nil {
			return fmt.Errorf("account: -timezone: %w", err)
		}
		a := account.Account{ID: *id, Name: *name, Country: strings.ToUpper(*country), Timezone: *tz, CreatedAt: now}
		if err := st.PutAccount(ctx, a); err != nil {
			return err
		}
		fmt.Fprintf(out, "account %s saved\n", a.ID)
	case "site":
		name := fs.String("name", "", "site name")
		id := fs.String("id", "", "site id (default: generated)")
		origins := fs.String("origin", "", "allowed browser origins, comma-separated (empty: any)")
		country := fs.String("country", "BR", "default phone region")
		rate := fs.Int("rate", account.DefaultRateLimitPerMinute, "captures per visitor IP per minute")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if err := accountExists(ctx, st, *tenant); err != nil {
			return err
		}
		if *name == "" {
			return errors.New("site: -name is required")
		}
		if *id == "" {
			*id = "site_" + strings.ToLower(rand.Text()[:10])
		}
		s := account.Site{ID: *id, TenantID: *tenant, Name: *name, Key: "pk_" + strings.ToLower(rand.Text()),
			Country: strings.ToUpper(*country), RateLimitPerMinute: *rate, CreatedAt: now}
		for _, o := range strings.Split(*origins, ",") {
			if o = strings.TrimSpace(o); o != "" {
				s.AllowedOrigins = append(s.AllowedOrigins, o)
			}
		}
		if err := st.PutSite(ctx, s); err != nil {
			return err
		}
		fmt.Fprintf(out, "site %s saved\nsite key: %s\n", s.ID, s.Key)
	case "user":
		id := fs.String("id", "", "user id; in AWS, the Cognito user's sub")
		name := fs.String("name", "", "display name")
		email := fs.String("email", "", "e-mail")
		role := fs.String("role", "agent", "admin or agent")
		inactive := fs.Bool("inactive", false, "deactivate the user")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if err := accountExists(ctx, st, *tenant); err != nil {
			return err
		}
		if *id == "" || *name == "" || !account.Role(*role).Valid() {
			return errors.New("user: -id, -name and -role admin|agent are required")
		}
		u := account.User{ID: *id, TenantID: *tenant, Name: *name, Email: strings.ToLower(*email),
			Role: account.Role(*role), Active: !*inactive, CreatedAt: now}
		if err := st.PutUser(ctx, u); err != nil {
			return err
		}
		fmt.Fprintf(out, "user %s (%s) saved in %s\n", u.ID, u.Role, u.TenantID)
	case "token":
		user := fs.String("user", "", "user id")
		role := fs.String("role", "agent", "admin or agent")
		ttl := fs.Duration("ttl", 24*time.Hour, "validity")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		h, err := auth.NewHMAC([]byte(cfg.JWTSecret), cfg.JWTIssuer)
		if err != nil {
			return fmt.Errorf("token: set LEADFLOW_JWT_SECRET (local servers only; in AWS, Cognito issues tokens): %w", err)
		}
		if *tenant == "" || *user == "" || !account.Role(*role).Valid() {
			return errors.New("token: -tenant, -user and -role admin|agent are required")
		}
		tok, err := h.Issue(account.Principal{TenantID: *tenant, UserID: *user, Role: account.Role(*role)}, *ttl)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, tok)
	case "api-key":
		name := fs.String("name", "", "key name")
		scopes := fs.String("scopes", string(account.ScopeLeadsWrite), "comma-separated: leads:write, leads:read, interactions:write")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		if err := accountExists(ctx, st, *tenant); err != nil {
			return err
		}
		var sc []account.Scope
		for _, v := range strings.Split(*scopes, ",") {
			if v = strings.TrimSpace(v); !account.ValidScope(account.Scope(v)) {
				return fmt.Errorf("api-key: unknown scope %q", v)
			}
			sc = append(sc, account.Scope(v))
		}
		if *name == "" {
			return errors.New("api-key: -name is required")
		}
		k, secret := account.NewAPIKey(*tenant, "ak_"+strings.ToLower(rand.Text()[:16]), *name, sc, "leadflow-admin", now)
		if err := st.CreateAPIKey(ctx, k); err != nil {
			return err
		}
		fmt.Fprintf(out, "api key %s saved in %s (scopes %s)\napi key: %s\n", k.ID, k.TenantID, *scopes, secret)
	case "backfill-index":
		page := fs.Int("page", 500, "items per Scan page (progress is saved after each)")
		restart := fs.Bool("restart", false, "ignore saved progress and walk the whole table again")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		r, err := st.BackfillIndex(ctx, dynamo.BackfillOptions{PageSize: *page, Restart: *restart})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "backfill-index: %d leads checked, %d rewritten, done=%v\n", r.Leads, r.Changed, r.Done)
	default:
		return errors.New(usage)
	}
	return nil
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %w", fs.Name(), err)
	}
	return nil
}

func accountExists(ctx context.Context, st Store, tenant string) error {
	if tenant == "" {
		return errors.New("-tenant is required")
	}
	if _, err := st.Account(ctx, tenant); err != nil {
		return fmt.Errorf("account %q: %w (create it first)", tenant, err)
	}
	return nil
}

func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
