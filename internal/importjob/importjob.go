// Package importjob runs CSV imports on the jobs queue: one message per
// chunk of rows (importer.ChunkRows), each within a few seconds, the next
// chunk enqueued by the one before, progress on the job record.
//
// Every row goes through capture.Normalize with entry method "import" (the
// validation of every other capture) and, when it is a new person, through
// the app's capturer (so the lead gets assigned). A row whose e-mail,
// phone, WhatsApp or CPF already belongs to a lead follows the import's
// dedupe policy. Re-running a file therefore changes nothing: every row
// finds its lead and, having nothing new to say, is skipped.
package importjob

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/leadflow/leadflow/internal/account"
	"github.com/leadflow/leadflow/internal/capture"
	"github.com/leadflow/leadflow/internal/importer"
	"github.com/leadflow/leadflow/internal/jobs"
	"github.com/leadflow/leadflow/internal/lead"
	"github.com/leadflow/leadflow/internal/queue"
)

// Store is what an import needs from storage.
type Store interface {
	jobs.Store
	Import(ctx context.Context, tenantID, id string) (importer.Meta, error)
	ImportChunk(ctx context.Context, tenantID, id string, chunk int) ([]importer.Row, error)
	PutImportResults(ctx context.Context, tenantID, id string, chunk int, res []importer.Result) ([]importer.Result, bool, error)
	LeadIDByKey(ctx context.Context, tenantID string, k lead.IdentityKey) (string, error)
	Update(ctx context.Context, tenantID, leadID string, ifVersion int64, change lead.Change) (lead.Lead, error)
	Account(ctx context.Context, tenantID string) (account.Account, error)
	Site(ctx context.Context, tenantID, siteID string) (account.Site, error)
	Groups(ctx context.Context, tenantID string) ([]account.Group, error)
	CreateGroup(ctx context.Context, tenantID string, g account.Group) error
	// An uploaded file's chunks, stored by the prepare step.
	PutImportChunks(ctx context.Context, tenantID, id string, first int, chunks [][]importer.Row) error
	PrepareImport(ctx context.Context, tenantID string, m importer.Meta) (bool, error)
}

// Captures stores a capture: the capture use case, leadcapture.Service
// (wired by internal/app), decides a new lead or an append.
type Captures interface {
	Capture(ctx context.Context, site account.Site, c lead.Capture) (lead.CaptureResult, error)
}

// Runner runs import jobs.
type Runner struct {
	Store    Store
	Captures Captures     // the store: new leads get assigned through the outbox
	Starter  jobs.Starter // where the next chunk goes
	Now      func() time.Time
	// Parallel rows of a chunk in flight (default 8).
	Parallel int

	// Uploads reads uploaded files (nil: imports by upload fail).
	Uploads Uploads
	// MaxUploadBytes bounds an uploaded file (0 = s3store.UploadMaxBytes).
	MaxUploadBytes int64
}

// Handle imports one chunk and enqueues the next.
func (r *Runner) Handle(ctx context.Context, j queue.Job) error {
	var p jobs.ImportPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return fmt.Errorf("import %s: payload: %w", j.ID, err)
	}
	if p.Prepare {
		return r.prepare(ctx, j, p)
	}
	meta, err := r.Store.Import(ctx, j.TenantID, p.ImportID)
	if err != nil {
		return fmt.Errorf("import %s: %w", j.ID, err)
	}
	rows, err := r.Store.ImportChunk(ctx, j.TenantID, p.ImportID, p.Chunk)
	if err != nil {
		return fmt.Errorf("import %s: %w", j.ID, err)
	}
	rc, err := r.context(ctx, j.TenantID, meta, p.Actor)
	if err != nil {
		return fmt.Errorf("import %s: %w", j.ID, err)
	}
	results := r.rows(ctx, rc, rows)
	results, _, err = r.Store.PutImportResults(ctx, j.TenantID, p.ImportID, p.Chunk, results)
	if err != nil {
		return err
	}
	prog := jobs.Progress{Chunk: p.Chunk, Finished: p.Chunk+1 >= meta.Chunks, Counts: map[string]int{}}
	for _, res := range results {
		prog.Counts[res.Status]++
		if res.Status == importer.StatusError {
			prog.Failed++
			prog.Errors = append(prog.Errors, jobs.ItemError{ID: "row " + strconv.Itoa(res.Line), Reason: res.Reason})
		} else {
			prog.Done++
		}
	}
	if prog.Finished {
		prog.Result = "/v1/imports/" + p.ImportID + "/report.csv"
	}
	if err := r.Store.AdvanceJob(ctx, j.TenantID, j.ID, prog); err != nil {
		// Already recorded: a plain duplicate stops here, so duplicates do
		// not multiply down the chain. SQS's redelivery after a failure
		// goes on, because the failure may have been the lost send of the
		// next chunk, which nothing else would send.
		if !errors.Is(err, jobs.ErrChunkDone) {
			return err
		}
		if !queue.Retried(ctx) {
			return nil
		}
	}
	if prog.Finished {
		return nil
	}
	p.Chunk++
	j.Payload, _ = json.Marshal(p)
	return r.Starter.Start(ctx, j)
}

// rowContext is what every row of a chunk shares.
type rowContext struct {
	tenant string
	meta   importer.Meta
	site   account.Site
	acct   account.Account
	actor  lead.Actor
	now    time.Time

	mu     sync.Mutex
	groups map[string]string // folded name or id → id
}

func (r *Runner) context(ctx context.Context, tenant string, meta importer.Meta, actor lead.Actor) (*rowContext, error) {
	site, err := r.Store.Site(ctx, tenant, meta.SiteID)
	if err != nil {
		return nil, err
	}
	acct, err := r.Store.Account(ctx, tenant)
	if err != nil {
		return nil, err
	}
	gs, err := r.Store.Groups(ctx, tenant)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	rc := &rowContext{tenant: tenant, meta: meta, site: site, acct: acct, actor: actor, now: now().UTC(), groups: map[string]string{}}
	for _, g := range gs {
		rc.groups[g.ID] = g.ID
		rc.groups[lead.NormalizeTag(g.Name)] = g.ID
	}
	return rc, nil
}

// rows imports a chunk. Rows run in parallel, except that a row sharing an
// identity key with an earlier row of the chunk waits for a second,
// sequential pass: the same person twice in a file is one lead.
func (r *Runner) rows(ctx context.Context, rc *rowContext, rows []importer.Row) []importer.Result {
	out := make([]importer.Result, len(rows))
	seen := map[string]bool{}
	var first, later []int
	for i, row := range rows {
		dup := false
		for _, f := range []string{importer.FieldEmail, importer.FieldPhone, importer.FieldWhatsApp, importer.FieldCPF, importer.FieldExternalID} {
			if v := strings.ToLower(strings.TrimSpace(row.Values[f])); v != "" {
				k := f + ":" + v
				if f == importer.FieldWhatsApp {
					k = importer.FieldPhone + ":" + v
				}
				dup = dup || seen[k]
				seen[k] = true
			}
		}
		if dup {
			later = append(later, i)
		} else {
			first = append(first, i)
		}
	}
	par := r.Parallel
	if par <= 0 {
		par = 8
	}
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for _, i := range first {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i] = r.row(ctx, rc, rows[i])
		}()
	}
	wg.Wait()
	for _, i := range later {
		out[i] = r.row(ctx, rc, rows[i])
	}
	return out
}

// row imports one row.
func (r *Runner) row(ctx context.Context, rc *rowContext, row importer.Row) importer.Result {
	res := importer.Result{Line: row.Line}
	fail := func(reason string) importer.Result {
		res.Status, res.Reason = importer.StatusError, reason
		return res
	}
	if row.Err != "" {
		return fail(row.Err)
	}
	c, extra, err := Capture(rc.site, row.Values, rc.now)
	if err != nil {
		return fail(rc.reason(err))
	}
	patch, err := rc.patch(ctx, r, extra)
	if err != nil {
		return fail(rc.reason(err))
	}
	// Validate the pipeline fields before anything is written.
	var probe lead.Lead
	if _, err := probe.Apply(patch, rc.actor, rc.acct, rc.now); err != nil {
		return fail(rc.reason(err))
	}

	existing, how, err := r.find(ctx, rc.tenant, c)
	if err != nil {
		return fail("error: " + err.Error())
	}
	if existing == "" {
		if !patch.Empty() {
			// The row's pipeline fields go into the capture's own
			// transaction, timed with it so history reads in order.
			c.Then = func(l *lead.Lead) ([]lead.Event, error) {
				return l.Apply(patch, rc.actor, rc.acct, l.CreatedAt)
			}
		}
		cr, err := r.Captures.Capture(ctx, rc.site, c)
		if err != nil {
			return fail(rc.reason(err))
		}
		res.LeadID = cr.LeadID
		if !cr.Created { // someone captured this person a moment ago
			existing, how = cr.LeadID, "identity key"
		} else {
			res.Status = importer.StatusCreated
			return res
		}
	}
	res.LeadID = existing
	if rc.meta.Policy == importer.PolicySkip || rc.meta.Policy == "" {
		res.Status, res.Reason = importer.StatusSkipped, "duplicate: "+how+" belongs to "+existing
		return res
	}
	changed := false
	_, err = r.Store.Update(ctx, rc.tenant, existing, 0, func(l *lead.Lead) ([]lead.Event, error) {
		p := merge(*l, c, patch, rc.meta.Policy == importer.PolicyOverwrite)
		if p.Empty() {
			changed = false
			return nil, nil
		}
		evs, err := l.Apply(p, rc.actor, rc.acct, rc.now)
		changed = len(evs) > 0
		return evs, err
	})
	switch {
	case err != nil:
		return fail(rc.reason(err))
	case changed:
		res.Status = importer.StatusUpdated
	default:
		res.Status, res.Reason = importer.StatusSkipped, "unchanged"
	}
	return res
}

// find returns the lead holding one of c's identity keys.
func (r *Runner) find(ctx context.Context, tenant string, c lead.Capture) (string, string, error) {
	for _, k := range c.Keys() {
		id, err := r.Store.LeadIDByKey(ctx, tenant, k)
		if err != nil {
			return "", "", err
		}
		if id != "" {
			return id, k.Kind, nil
		}
	}
	return "", "", nil
}

// Extra holds a row's pipeline fields, set on the lead after capture.
type Extra struct {
	Tags           []string
	Groups         []string
	Classification string
	State          string
	SubState       string
	Rating         string
}

// Capture builds the capture of a row (pure): contact, attributes and
// navigation go through capture.Normalize exactly as a captured lead's do.
func Capture(site account.Site, v map[string]string, now time.Time) (lead.Capture, Extra, error) {
	req := capture.Request{ExternalID: v[importer.FieldExternalID], Contact: capture.RequestContact{
		Name: v[importer.FieldName], Email: v[importer.FieldEmail], Phone: v[importer.FieldPhone],
		WhatsApp: v[importer.FieldWhatsApp], CPF: v[importer.FieldCPF],
	}, Navigation: capture.RequestNavigation{
		PageURL: v["page_url"], LandingURL: v["landing_url"], GeneratedAtURL: v["generated_at_url"], Referrer: v["referrer"],
		UTMSource: v["utm_source"], UTMMedium: v["utm_medium"], UTMCampaign: v["utm_campaign"], UTMTerm: v["utm_term"],
		UTMContent: v["utm_content"], GCLID: v["gclid"], FBCLID: v["fbclid"], UserAgent: v["user_agent"],
		FirstContactAt: v["first_contact_at"],
	}}
	for k, val := range v {
		if a, ok := strings.CutPrefix(k, importer.AttrPrefix); ok {
			if req.Contact.Attributes == nil {
				req.Contact.Attributes = map[string]any{}
			}
			req.Contact.Attributes[a] = val
		}
	}
	meta := capture.Meta{EntryMethod: lead.EntryImport, Now: now, IP: v[importer.FieldIP],
		Country: v[importer.FieldCountry], Region: v[importer.FieldRegion], City: v[importer.FieldCity]}
	c, err := capture.Normalize(site, req, meta)
	if err != nil {
		return c, Extra{}, err
	}
	c.Trusted = true // an admin's file, not a visitor: no per-IP limit
	ex := Extra{Tags: importer.SplitList(v[importer.FieldTags]), Groups: importer.SplitList(v[importer.FieldGroups]),
		Classification: v[importer.FieldClassification], State: v[importer.FieldState], SubState: v[importer.FieldSubState],
		Rating: v[importer.FieldRating]}
	return c, ex, nil
}

// patch turns a row's pipeline fields into a lead patch, resolving groups
// by id or name (creating missing ones by name).
func (rc *rowContext) patch(ctx context.Context, r *Runner, ex Extra) (lead.Patch, error) {
	var p lead.Patch
	bad := &lead.InvalidError{}
	for _, t := range ex.Tags {
		t = lead.NormalizeTag(t)
		if !lead.ValidTag(t) {
			bad.Add(importer.FieldTags, "invalid", "A tag is 1 to 50 characters.")
			continue
		}
		p.AddTags = append(p.AddTags, t)
	}
	for _, g := range ex.Groups {
		id, err := rc.group(ctx, r, g)
		if err != nil {
			return p, err
		}
		p.AddGroups = append(p.AddGroups, id)
	}
	if ex.Classification != "" {
		c := lead.Classification(strings.ToLower(ex.Classification))
		if !c.Valid() {
			bad.Add(importer.FieldClassification, "not_allowed", "classification must be male, female, press or company.")
		}
		p.Classification = &c
	}
	if ex.State != "" {
		st := lead.State(strings.ToLower(ex.State))
		p.State = &st
		if ex.SubState != "" {
			p.SubState = &ex.SubState
		}
	}
	if ex.Rating != "" {
		n, err := strconv.Atoi(ex.Rating)
		if err != nil {
			bad.Add(importer.FieldRating, "invalid", "rating is a whole number from 0 to 5.")
		}
		if n != 0 || err != nil {
			p.Rating = &n
		}
	}
	return p, bad.Err()
}

const maxGroupName = 100

func (rc *rowContext) group(ctx context.Context, r *Runner, name string) (string, error) {
	k := lead.NormalizeTag(name)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if id, ok := rc.groups[name]; ok {
		return id, nil
	}
	if id, ok := rc.groups[k]; ok {
		return id, nil
	}
	if len([]rune(name)) > maxGroupName {
		return "", &lead.InvalidError{Errors: []lead.FieldError{{Field: importer.FieldGroups, Code: "invalid", Detail: "A group name is 1 to 100 characters."}}}
	}
	g := account.Group{ID: lead.NewID(lead.PrefixGroup, rc.now), Name: name, CreatedBy: rc.actor.ID, CreatedAt: rc.now}
	if err := r.Store.CreateGroup(ctx, rc.tenant, g); err != nil {
		if !errors.Is(err, account.ErrNameTaken) {
			return "", err
		}
		gs, err := r.Store.Groups(ctx, rc.tenant) // created by a parallel chunk
		if err != nil {
			return "", err
		}
		for _, x := range gs {
			if lead.NormalizeTag(x.Name) == k {
				g = x
			}
		}
	}
	rc.groups[k] = g.ID
	return g.ID, nil
}

// merge is the patch a row makes to an existing lead: with overwrite the
// file's non-empty values win; otherwise only empty fields are filled.
// Tags and groups are added either way.
func merge(l lead.Lead, c lead.Capture, extra lead.Patch, overwrite bool) lead.Patch {
	p := lead.Patch{AddTags: extra.AddTags, AddGroups: extra.AddGroups}
	set := func(cur, v string, dst **string) {
		if v != "" && v != cur && (overwrite || cur == "") {
			*dst = &v
		}
	}
	set(l.Name, c.Name, &p.Name)
	// Identity fields: only filled, never moved (that would re-key the
	// person); an overwrite of another e-mail would take it from its lead.
	set(l.Contact.Email, c.Contact.Email, &p.Email)
	set(l.Contact.Phone, c.Contact.Phone, &p.Phone)
	set(l.Contact.WhatsApp, c.Contact.WhatsApp, &p.WhatsApp)
	set(l.Contact.CPF, c.Contact.CPF, &p.CPF)
	for _, k := range slices.Sorted(maps.Keys(c.Contact.Attributes)) {
		v := c.Contact.Attributes[k]
		cur := l.Contact.Attributes[k]
		if v != cur && (overwrite || cur == "") {
			if p.Attributes == nil {
				p.Attributes = map[string]*string{}
			}
			p.Attributes[k] = &v
		}
	}
	if extra.Classification != nil && *extra.Classification != l.Classification && (overwrite || l.Classification == "") {
		p.Classification = extra.Classification
	}
	if extra.Rating != nil && *extra.Rating != l.Rating && (overwrite || l.Rating == 0) {
		p.Rating = extra.Rating
	}
	if extra.State != nil && overwrite && (*extra.State != l.State || (extra.SubState != nil && *extra.SubState != l.SubState)) {
		p.State, p.SubState = extra.State, extra.SubState
	}
	return p
}

// columnOf names the CSV column behind a capture field path.
var columnOf = map[string]string{
	"contact.name": importer.FieldName, "contact.email": importer.FieldEmail, "contact.phone": importer.FieldPhone,
	"contact.whatsapp": importer.FieldWhatsApp, "contact.cpf": importer.FieldCPF, "contact": "contact",
	"email": importer.FieldEmail, "phone": importer.FieldPhone, "whatsapp": importer.FieldWhatsApp, "cpf": importer.FieldCPF,
	"name": importer.FieldName, "sub_state": importer.FieldSubState, "state": importer.FieldState, "rating": importer.FieldRating,
}

// reason says why a row failed, naming the file's column.
func (rc *rowContext) reason(err error) string {
	var invalid *lead.InvalidError
	if errors.As(err, &invalid) {
		var parts []string
		for _, e := range invalid.Errors {
			parts = append(parts, rc.column(e.Field)+": "+e.Code+" ("+e.Detail+")")
		}
		return strings.Join(parts, "; ")
	}
	if errors.Is(err, lead.ErrIdentityTaken) {
		return "identity_taken: an e-mail, phone or CPF of this row belongs to another lead"
	}
	return "error: " + err.Error()
}

// column maps a field path to the header of the file that fed it.
func (rc *rowContext) column(path string) string {
	field := path
	if f, ok := columnOf[path]; ok {
		field = f
	} else if a, ok := strings.CutPrefix(path, "contact.attributes."); ok {
		field = importer.AttrPrefix + a
	} else if nav, ok := strings.CutPrefix(path, "navigation."); ok {
		field = nav
	}
	for h, f := range rc.meta.Columns {
		if f == field {
			return h
		}
	}
	return field
}
