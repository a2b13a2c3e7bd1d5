// Issue 14 in the console, against the real local stack (no route is
// mocked): Identify → create, relating an interaction that arrived without a
// lead, the cross-channel timeline, identity keys in Contact data, a merge
// with its side-by-side preview and its undo, and Settings → Identity keys.
import { expect, test, type Page } from '@playwright/test';
import { ADMIN, AGENT, api, expectAccessible, token, unique } from './helpers';

/** A valid CPF (check digits computed), different on every call. */
function cpf(): string {
  const d = Array.from({ length: 9 }, () => Math.floor(Math.random() * 10));
  if (d.every((x) => x === d[0])) d[0] = (d[0] + 1) % 10;
  for (const n of [9, 10]) {
    const sum = d.slice(0, n).reduce((a, x, i) => a + x * (n + 1 - i), 0);
    d.push(((sum * 10) % 11) % 10);
  }
  const s = d.join('');
  return `${s.slice(0, 3)}.${s.slice(3, 6)}.${s.slice(6, 9)}-${s.slice(9)}`;
}

/** A number no other test uses (facebook/x ids are digits). */
const digits = () => `${Date.now()}${Math.floor(Math.random() * 1e4)}`;

/** POST with the signed-in user's token; answers the status and the body. */
async function post<T>(page: Page, path: string, data: unknown, bearer?: string): Promise<{ status: number; body: T }> {
  const res = await page.request.post(path, { headers: { Authorization: `Bearer ${bearer ?? (await token(page))}` }, data });
  return { status: res.status(), body: (await res.json().catch(() => null)) as T };
}

/** An account API key allowed to post interactions (made by the admin, as an integration would get one). */
async function interactionsKey(page: Page): Promise<string> {
  const r = await post<{ key: string }>(page, '/v1/api-keys', { name: unique('e2e interactions'), scopes: ['interactions:write'] });
  expect(r.status, 'POST /v1/api-keys').toBe(201);
  return r.body.key;
}

interface Posted {
  id: string;
  lead_id: string | null;
  protocol: string;
}

async function postInteraction(page: Page, key: string, body: Record<string, unknown>): Promise<Posted> {
  const r = await post<Posted>(page, '/v1/capture/interactions', body, key);
  expect([200, 201], `POST /v1/capture/interactions → ${r.status} ${JSON.stringify(r.body)}`).toContain(r.status);
  return r.body;
}

async function createLead(page: Page, name: string, keys: Record<string, string[]>): Promise<string> {
  const r = await post<{ id: string }>(page, '/v1/leads', { name, keys });
  expect(r.status, `POST /v1/leads → ${JSON.stringify(r.body)}`).toBe(201);
  return r.body.id;
}

/**
 * A lead captured the way a server captures one (an account API key with
 * leads:write and a site's key), for tests that need a lead but not the
 * console's create.
 */
async function captureLead(page: Page, name: string, email: string): Promise<string> {
  const site = await post<{ key: string }>(page, '/v1/sites', { name: unique('e2e site'), allowed_origins: ['https://e2e.example.com'], rate_limit_per_minute: 100 });
  expect(site.status, 'POST /v1/sites').toBe(201);
  const key = await post<{ key: string }>(page, '/v1/api-keys', { name: unique('e2e leads'), scopes: ['leads:write'] });
  const res = await page.request.post('/v1/capture/leads', {
    headers: { Authorization: `Bearer ${key.body.key}`, 'X-Site-Key': site.body.key },
    data: { source: 'api', external_id: unique('e2e'), contact: { name, email } },
  });
  expect(res.status(), `POST /v1/capture/leads → ${await res.text()}`).toBe(201);
  return ((await res.json()) as { lead_id: string }).lead_id;
}

async function identify(page: Page) {
  await page.getByRole('banner').getByRole('button', { name: 'Identify', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Identify a person' });
  await expect(dialog).toBeVisible();
  return dialog;
}

test.describe('identify, create and relate', () => {
  test.use({ storageState: ADMIN });

  test('identify → nothing found → create lead; the same key again finds it and a second create is refused with a link to the owner', async ({ page }) => {
    const doc = cpf();
    const name = unique('Identified');
    await page.goto('/leads?lang=en');
    let dialog = await identify(page);
    const row = dialog.getByRole('group', { name: 'Key 1' });
    await row.getByRole('combobox', { name: 'Kind' }).selectOption('cpf');
    await row.getByRole('textbox', { name: 'Value' }).fill(doc);
    await dialog.getByRole('button', { name: 'Locate' }).click();
    await expect(dialog.getByText('No lead holds these keys.')).toBeVisible();
    await expectAccessible(page);
    await dialog.getByRole('textbox', { name: 'Name' }).fill(name);
    await dialog.getByRole('button', { name: 'Create lead' }).click();
    await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
    await expect(page).toHaveURL(/\/leads\/ld_/);
    const id = page.url().split('/leads/')[1].split('?')[0];
    const lead = await api<{ entry_method: string; keys: Record<string, string[]> }>(page, `/v1/leads/${id}`);
    expect(lead.entry_method).toBe('manual');
    expect(lead.keys.cpf).toEqual([doc.replace(/\D/g, '')]);
    // The key shows in Contact data, grouped under its kind.
    await expect(page.getByRole('group', { name: 'CPF/CNPJ' })).toContainText(doc.replace(/\D/g, ''));

    dialog = await identify(page);
    await dialog.getByRole('group', { name: 'Key 1' }).getByRole('combobox', { name: 'Kind' }).selectOption('cpf');
    await dialog.getByRole('group', { name: 'Key 1' }).getByRole('textbox', { name: 'Value' }).fill(doc);
    await dialog.getByRole('button', { name: 'Locate' }).click();
    const match = dialog.getByRole('listitem', { name });
    await expect(match).toContainText('Matched: CPF/CNPJ');
    await dialog.getByRole('textbox', { name: 'Name' }).fill(unique('Second'));
    await dialog.getByRole('button', { name: 'Create lead' }).click();
    await dialog.getByRole('link', { name: 'Open the lead that holds it' }).click();
    await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  });

  test('an interaction without a lead is related to the lead Identify finds; its channel key joins the lead', async ({ page }) => {
    await page.goto('/leads?lang=en');
    const email = `${unique('rel')}@example.com`;
    const name = unique('Related');
    const leadId = await createLead(page, name, { email: [email] });
    const key = await interactionsKey(page);
    const fb = digits();
    const it = await postInteraction(page, key, {
      channel: 'facebook',
      external_id: unique('fb-dm'),
      kind: 'dm',
      status: 'open',
      priority: 'high',
      opened_at: new Date(Date.now() - 60_000).toISOString(),
      polarity: 'negative',
      tags: ['entrega'],
      messages: [{ from: 'visitor', text: 'Meu pedido não chegou', at: new Date(Date.now() - 60_000).toISOString() }],
      profile: { name, facebook_id: fb },
    });
    expect(it.lead_id).toBeNull();

    await page.goto(`/interactions/${it.id}?lang=en`);
    await expect(page.getByText('This interaction is not related to a lead yet.')).toBeVisible();
    await expect(page.getByText('Meu pedido não chegou')).toBeVisible();
    await page.getByRole('main').getByRole('button', { name: 'Identify the person' }).click();
    const dialog = page.getByRole('dialog', { name: /Identify the person of interaction/ });
    // The profile's Facebook id is offered; nobody holds it yet.
    await expect(dialog.getByRole('group', { name: 'Key 1' }).getByRole('textbox', { name: 'Value' })).toHaveValue(fb);
    await dialog.getByRole('button', { name: 'Add another key' }).click();
    const row2 = dialog.getByRole('group', { name: 'Key 2' });
    await row2.getByRole('combobox', { name: 'Kind' }).selectOption('email');
    await row2.getByRole('textbox', { name: 'Value' }).fill(email);
    await dialog.getByRole('button', { name: 'Locate' }).click();
    const match = dialog.getByRole('listitem', { name });
    await expect(match).toContainText('Matched: E-mail');
    await expectAccessible(page);
    await match.getByRole('button', { name: 'Relate' }).click();
    await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
    expect(page.url()).toContain(`/leads/${leadId}`);
    await expect.poll(async () => (await api<{ lead_id: string | null }>(page, `/v1/interactions/${it.id}`)).lead_id).toBe(leadId);
    const lead = await api<{ keys: Record<string, string[]> }>(page, `/v1/leads/${leadId}`);
    expect(lead.keys.facebook_id).toEqual([fb]);
  });
});

test.describe('the timeline', () => {
  test.use({ storageState: ADMIN });

  test('interactions across channels, newest first, filtered by channel; one opens in place; the figures count them', async ({ page }) => {
    await page.goto('/leads?lang=en');
    const key = await interactionsKey(page);
    const email = `${unique('tl')}@example.com`;
    const name = unique('Timeline');
    const leadId = await captureLead(page, name, email);
    const at = (min: number) => new Date(Date.now() - min * 60_000).toISOString();
    const wa = await postInteraction(page, key, {
      channel: 'whatsapp', external_id: unique('wa'), kind: 'chat', status: 'answered', priority: 'normal', polarity: 'positive',
      opened_at: at(30), answered_at: at(25), tags: ['orcamento'],
      attachments: [{ name: 'orcamento.pdf', content_type: 'application/pdf', size: 20480, url: 'https://files.example.com/orcamento.pdf' }],
      events: [{ at: at(25), type: 'replied', actor: 'usr_agent', detail: 'Enviado o orçamento' }],
      messages: [{ from: 'visitor', text: 'Quanto custa o plano anual?', at: at(30) }, { from: 'agent', text: 'Segue o orçamento', at: at(25) }],
      profile: { name, email },
    });
    const ig = await postInteraction(page, key, {
      channel: 'instagram', external_id: unique('ig'), kind: 'comment', status: 'open', priority: 'low', polarity: 'neutral',
      opened_at: at(5), messages: [{ from: 'visitor', text: 'Vocês entregam no sábado?', at: at(5) }], profile: { name, email },
    });
    expect(wa.lead_id).toBe(leadId);
    expect(ig.lead_id).toBe(leadId);

    await page.goto(`/leads/${leadId}?lang=en`);
    await page.getByRole('tab', { name: 'Timeline' }).click();
    const figures = page.getByRole('region', { name: 'Occurrences and tickets' });
    await expect(figures.getByRole('img', { name: /1 positive, \d+ neutral, 0 negative/ })).toBeVisible();
    await expect(figures).toContainText('100%');
    const list = page.getByRole('list', { name: 'Interactions' });
    const heads = list.locator('.timeline-head');
    await expect(heads.filter({ hasText: 'Instagram' })).toContainText(ig.protocol);
    const order = (await heads.allTextContents()).map((h) => (h.includes('Instagram') ? 'ig' : h.includes('WhatsApp') ? 'wa' : '')).filter(Boolean);
    expect(order).toEqual(['ig', 'wa']);
    await expect(heads.filter({ hasText: 'WhatsApp' })).toContainText('Answered');
    await expectAccessible(page);

    await page.getByRole('combobox', { name: 'Channel' }).selectOption('whatsapp');
    await expect(heads.filter({ hasText: 'Instagram' })).toHaveCount(0);
    const item = heads.filter({ hasText: 'WhatsApp' });
    await item.click();
    await expect(item).toHaveAttribute('aria-expanded', 'true');
    const detail = list.locator('.timeline-detail');
    await expect(detail).toContainText('Segue o orçamento');
    await expect(detail).toContainText('orcamento');
    await expect(detail.getByRole('link', { name: 'orcamento.pdf' })).toHaveAttribute('href', /orcamento\.pdf/);
    await expect(detail).toContainText('Enviado o orçamento');
    await expect(detail).toContainText('Replied');
    await expectAccessible(page);
  });
});

test.describe('identity keys in Contact data', () => {
  test.use({ storageState: AGENT });

  test('add a key, see a problem named by its field, remove it', async ({ page }) => {
    await page.goto('/leads?lang=en');
    const name = unique('Keys');
    const id = await createLead(page, name, { email: [`${unique('k')}@example.com`] });
    await page.goto(`/leads/${id}?lang=en`);
    await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
    await page.getByRole('combobox', { name: 'Key kind' }).selectOption('instagram_username');
    await page.getByRole('textbox', { name: 'Key value' }).fill('not a valid handle!!');
    await page.getByRole('button', { name: 'Add key' }).click();
    await expect(page.locator('.lead-keys .field-invalid .field-error')).toBeVisible();
    const handle = unique('ig_user').replace(/-/g, '_').toLowerCase();
    await page.getByRole('textbox', { name: 'Key value' }).fill(`@${handle}`);
    await page.getByRole('button', { name: 'Add key' }).click();
    const group = page.getByRole('group', { name: 'Instagram username' });
    await expect(group).toContainText(handle);
    await expect.poll(async () => (await api<{ keys: Record<string, string[]> }>(page, `/v1/leads/${id}`)).keys.instagram_username).toEqual([handle]);
    await group.getByRole('button', { name: `Remove Instagram username ${handle}` }).click();
    await expect(group).toHaveCount(0);
    await expect.poll(async () => (await api<{ keys: Record<string, string[]> }>(page, `/v1/leads/${id}`)).keys.instagram_username ?? []).toEqual([]);
  });
});

test.describe('merges', () => {
  test.use({ storageState: ADMIN });

  test('a duplicate with its reasons, the side-by-side preview, merge, and undo', async ({ page }) => {
    await page.goto('/leads?lang=en');
    const name = `${unique('Dup')} Pessoa`;
    const box = unique('dup').replace(/-/g, '');
    const keep = await createLead(page, name, { email: [`${box}@gmail.com`] });
    const rg = String(Math.floor(1e8 + Math.random() * 9e8));
    const absorb = await createLead(page, name, { email: [`${box.slice(0, 3)}.${box.slice(3)}@hotmail.com`], rg: [rg] });

    await page.goto(`/leads/${keep}?lang=en`);
    await page.getByRole('tab', { name: 'Duplicates' }).click();
    const list = page.getByRole('list', { name: 'Possible duplicates' });
    const card = list.locator('.card', { has: page.getByRole('link', { name }) });
    await expect(card).toContainText('Same name and similar e-mail');
    await expectAccessible(page);
    await card.getByRole('button', { name: `Preview merge with ${name}` }).click();
    const dialog = page.getByRole('dialog', { name: `Merge ${name} into this lead` });
    const table = dialog.getByRole('table', { name: 'Merge preview' });
    await expect(table.getByRole('row', { name: /^E-mail/ })).toContainText(`${box}@gmail.com`);
    await expect(table.getByRole('row', { name: /^Identity keys/ })).toContainText(rg);
    await expect(dialog.getByRole('list', { name: 'What moves' })).toContainText('Identity keys');
    await expectAccessible(page);
    await dialog.getByRole('button', { name: 'Merge', exact: true }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('status').filter({ hasText: 'was merged into this lead' })).toBeVisible();
    await expect.poll(async () => (await page.request.get(`/v1/leads/${absorb}`, { headers: { Authorization: `Bearer ${await token(page)}` } })).status()).not.toBe(200);
    const merged = await api<{ keys: Record<string, string[]> }>(page, `/v1/leads/${keep}`);
    expect(merged.keys.rg).toEqual([rg]);

    // Undo survives a reload: it is read from the lead's history.
    await page.reload();
    await page.getByRole('tab', { name: 'Duplicates' }).click();
    await page.getByRole('button', { name: 'Undo merge' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'The merge was undone.' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Undo merge' })).toHaveCount(0);
    await expect.poll(async () => (await page.request.get(`/v1/leads/${absorb}`, { headers: { Authorization: `Bearer ${await token(page)}` } })).status()).toBe(200);
    const back = await api<{ keys: Record<string, string[]> }>(page, `/v1/leads/${keep}`);
    expect(back.keys.rg ?? []).toEqual([]);
  });
});

test.describe('settings: identity keys', () => {
  test.use({ storageState: ADMIN });

  test('built-ins are read-only; a custom kind is added and offered by Identify', async ({ page }) => {
    await page.goto('/settings?lang=en');
    await page.getByRole('tab', { name: 'Identity keys' }).click();
    await expect(page.getByRole('table', { name: 'Built-in identity keys' }).getByRole('row', { name: /cpf/ })).toBeVisible();
    await expectAccessible(page);
    const kind = `mat_${Date.now().toString(36)}`;
    await page.getByRole('button', { name: 'Add key kind' }).click();
    const card = page.getByRole('list', { name: "The account's identity keys" }).getByRole('listitem').last();
    await expect(card).toHaveAccessibleName('New key kind');
    await card.getByRole('textbox', { name: 'Key name' }).fill(kind);
    await card.getByRole('textbox', { name: 'Label' }).fill('Matrícula');
    await card.getByRole('textbox', { name: 'Validation pattern' }).fill('^[0-9]{6}$');
    await card.getByRole('checkbox', { name: 'Unique' }).check();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
    const kinds = await api<{ items?: { name: string; unique: boolean }[] }>(page, '/v1/identity-keys');
    expect(JSON.stringify(kinds)).toContain(kind);

    const dialog = await identify(page);
    await dialog.getByRole('group', { name: 'Key 1' }).getByRole('combobox', { name: 'Kind' }).selectOption(kind);
    await dialog.getByRole('group', { name: 'Key 1' }).getByRole('textbox', { name: 'Value' }).fill('12');
    await dialog.getByRole('button', { name: 'Locate' }).click();
    await expect(dialog.getByRole('group', { name: 'Key 1' }).locator('.field-error')).toBeVisible();
  });

  test('an agent cannot write identity keys', async ({ browser }) => {
    const ctx = await browser.newContext({ storageState: AGENT });
    const page = await ctx.newPage();
    await page.goto('/leads?lang=en');
    const res = await page.request.put('/v1/identity-keys', { headers: { Authorization: `Bearer ${await token(page)}` }, data: { items: [] } });
    expect(res.status()).toBe(403);
    await ctx.close();
  });
});

test.describe('list: occurrences', () => {
  test.use({ storageState: AGENT });

  test('sort by most occurrences, the column, and the sentiment filter in the query string', async ({ page }) => {
    await page.goto('/leads?lang=en');
    await page.getByRole('combobox', { name: 'Sort' }).selectOption('-occurrences');
    await expect(page).toHaveURL(/sort=-occurrences/);
    const api20 = await api<{ items: { name: string; occurrences?: { positive: number; neutral: number; negative: number } }[] }>(page, '/v1/leads?sort=-occurrences&limit=20');
    const table = page.getByRole('table', { name: 'Leads' });
    await expect(table.getByRole('columnheader', { name: 'Occurrences' })).toBeVisible();
    await expect(table.locator('tbody tr').first().locator('td').nth(1)).toHaveText(api20.items[0].name);
    await page.getByRole('combobox', { name: 'Sentiment' }).selectOption('positive');
    await page.getByRole('combobox', { name: 'Ticket status' }).selectOption('answered');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect(page).toHaveURL(/sentiment=positive/);
    await expect(page).toHaveURL(/ticket_status=answered/);
  });
});
