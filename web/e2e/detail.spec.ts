import { expect, test, type Page } from '@playwright/test';
import { ADMIN, AGENT, api, expectAccessible, leadByName, unique, type LeadRow } from './helpers';

async function openLead(page: Page, name: string, query = '') {
  await page.goto(`/leads?lang=en${query}`);
  await page.getByRole('table', { name: 'Leads' }).getByRole('link', { name, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await expect(page).toHaveURL(/\/leads\/ld_/);
}

for (const [role, state, leadName] of [
  ['admin', ADMIN, 'Camila Ferreira'],
  ['agent', AGENT, 'Diego Martins'],
] as const) {
  test.describe(`lead detail as ${role}`, () => {
    test.use({ storageState: state });

    test('rate, change state, schedule and cancel, and see it in history', async ({ page }) => {
      await openLead(page, leadName, `&q=${encodeURIComponent(leadName.split(' ')[0])}`);
      if (role === 'admin') await expectAccessible(page);
      const rating = page.getByRole('radiogroup', { name: 'Rating' });
      await rating.getByRole('radio', { name: '4 stars' }).check();
      await expect(rating.getByRole('radio', { name: '4 stars' })).toBeChecked();
      await expect.poll(async () => (await leadByName(page, leadName)).rating).toBe(4);

      const stateBox = page.getByRole('combobox', { name: 'State', exact: true });
      await stateBox.selectOption('in_progress');
      await expect.poll(async () => (await leadByName(page, leadName)).state).toBe('in_progress');
      await expect(stateBox).toHaveValue('in_progress');

      await page.getByRole('button', { name: 'Schedule change' }).click();
      const dialog = page.getByRole('dialog', { name: 'Schedule a state change' });
      await dialog.getByRole('combobox', { name: 'New state' }).selectOption('sale');
      // Ten days ahead, 10:30 on the account's wall clock (the tests run in America/Sao_Paulo).
      const day = new Date(Date.now() + 10 * 86400_000).toISOString().slice(0, 10);
      await dialog.getByLabel('Date').fill(day);
      await dialog.getByLabel('Time').fill('10:30');
      await dialog.getByRole('button', { name: 'Schedule' }).click();
      await expect(page.getByRole('button', { name: 'Cancel scheduled change' })).toBeVisible();
      const lead = await api<{ scheduled_change: { at: string; state: string } | null }>(page, `/v1/leads/${(await leadByName(page, leadName)).id}`);
      expect(lead.scheduled_change?.state).toBe('sale');
      expect(new Date(lead.scheduled_change!.at).toISOString()).toBe(new Date(`${day}T10:30:00-03:00`).toISOString());
      await page.getByRole('button', { name: 'Cancel scheduled change' }).click();
      await expect(page.getByRole('button', { name: 'Cancel scheduled change' })).toHaveCount(0);

      await page.getByRole('tab', { name: 'History' }).click();
      const history = page.getByRole('tabpanel');
      await expect(history.getByText('cancelled the scheduled change').first()).toBeVisible();
      await expect(history.getByText('scheduled a change').first()).toBeVisible();
      await expect(history.locator('.history-change', { hasText: /^Rating:/ }).first()).toContainText('→ 4');
      await expect(history.locator('.history-change', { hasText: /^State:/ }).first()).toContainText('new → in_progress');
    });

    test('notes: add, edit, delete, each in history', async ({ page }) => {
      const text = unique('note');
      await openLead(page, leadName, `&q=${encodeURIComponent(leadName.split(' ')[0])}`);
      await page.getByRole('textbox', { name: 'New note' }).fill(text);
      await page.getByRole('button', { name: 'Add note' }).click();
      const note = page.locator('.note', { hasText: text });
      await expect(note).toBeVisible();
      await note.getByRole('button', { name: 'Edit note' }).click();
      await note.getByRole('textbox', { name: 'Note text' }).fill(`${text} edited`);
      await note.getByRole('button', { name: 'Save' }).click();
      await expect(page.locator('.note', { hasText: `${text} edited` })).toBeVisible();
      await page.locator('.note', { hasText: `${text} edited` }).getByRole('button', { name: 'Delete note' }).click();
      await expect(page.locator('.note', { hasText: text })).toHaveCount(0);
      await page.getByRole('tab', { name: 'History' }).click();
      const panel = page.getByRole('tabpanel');
      await expect(panel.getByText('added a note').first()).toBeVisible();
      await expect(panel.getByText('edited a note').first()).toBeVisible();
      await expect(panel.getByText('deleted a note').first()).toBeVisible();
    });

    test('keyboard: rate with digits, n starts a note, ? lists shortcuts, [ and ] move', async ({ page }) => {
      await page.goto('/leads?lang=en&sort=name');
      await expect(page.getByRole('table', { name: 'Leads' }).locator('tbody tr').nth(2)).toBeVisible();
      const names = await page.getByRole('table', { name: 'Leads' }).locator('tbody tr td:nth-child(2) a').allTextContents();
      await page.getByRole('table', { name: 'Leads' }).getByRole('link', { name: names[1], exact: true }).click();
      await expect(page.getByRole('heading', { level: 1, name: names[1] })).toBeVisible();
      await page.getByRole('heading', { level: 1 }).click();
      await page.keyboard.press('2');
      await expect(page.getByRole('radio', { name: '2 stars' })).toBeChecked();
      await page.keyboard.press('n');
      await expect(page.getByRole('textbox', { name: 'New note' })).toBeFocused();
      await page.keyboard.type('5 ]');
      await expect(page.getByRole('textbox', { name: 'New note' })).toHaveValue('5 ]');
      await expect(page.getByRole('radio', { name: '2 stars' })).toBeChecked();
      await page.getByRole('textbox', { name: 'New note' }).fill('');
      await page.getByRole('heading', { level: 1 }).click();
      await page.keyboard.press('?');
      const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
      await expect(help).toContainText('rate 0 to 5 stars');
      await page.keyboard.press('Escape');
      await expect(help).toBeHidden();
      await expect(page.getByRole('link', { name: 'Next lead' })).toBeVisible();
      await page.keyboard.press(']');
      await expect(page.getByRole('heading', { level: 1, name: names[2] })).toBeVisible();
      await expect(page.getByRole('link', { name: 'Previous lead' })).toBeVisible();
      await page.keyboard.press('[');
      await expect(page.getByRole('heading', { level: 1, name: names[1] })).toBeVisible();
      await page.keyboard.press('0');
      await expect(page.getByRole('radio', { name: 'No rating' })).toBeChecked();
    });
  });
}

test.describe('owner control', () => {
  test('an admin reassigns a lead', async ({ browser }) => {
    const ctx = await browser.newContext({ storageState: ADMIN });
    const page = await ctx.newPage();
    await openLead(page, 'Bruno Oliveira', '&q=bruno');
    const owner = page.getByRole('combobox', { name: 'Owner' });
    const before = (await leadByName(page, 'Bruno Oliveira')).owner_id;
    const target = before === 'usr_agent' ? 'usr_agent2' : 'usr_agent';
    await owner.selectOption(target);
    await expect.poll(async () => (await leadByName(page, 'Bruno Oliveira')).owner_id).toBe(target);
    await page.getByRole('tab', { name: 'History' }).click();
    await expect(page.getByRole('tabpanel').locator('.history-change', { hasText: /^Owner:/ }).first()).toContainText(`→ ${target}`);
    await ctx.close();
  });

  test('an agent has no owner control', async ({ browser }) => {
    const ctx = await browser.newContext({ storageState: AGENT });
    const page = await ctx.newPage();
    await openLead(page, 'Ana Souza', '&q=ana');
    await expect(page.getByRole('radiogroup', { name: 'Rating' })).toBeVisible();
    await expect(page.getByRole('combobox', { name: 'Owner' })).toHaveCount(0);
    // Navigation: first and last touch side by side.
    await page.getByRole('tab', { name: 'Navigation' }).click();
    const first = page.getByRole('region', { name: 'First touch' });
    const last = page.getByRole('region', { name: 'Last touch' });
    await expect(first).toContainText('google');
    await expect(last).toContainText('Campaign');
    const [a, b] = [await first.boundingBox(), await last.boundingBox()];
    expect(b!.x).toBeGreaterThan(a!.x + a!.width - 1);
    await ctx.close();
  });
});

test.describe('previous and next follow the list', () => {
  test.use({ storageState: ADMIN });

  test('within a filter and sort', async ({ page }) => {
    await page.goto('/leads?lang=en&state=new&sort=name');
    const list = await api<{ items: LeadRow[] }>(page, '/v1/leads?state=new&sort=name&limit=20');
    expect(list.items.length).toBeGreaterThan(2);
    await page.getByRole('table', { name: 'Leads' }).getByRole('link', { name: list.items[1].name, exact: true }).click();
    await expect(page).toHaveURL(/state=new/);
    await page.getByRole('link', { name: 'Next lead' }).click();
    await expect(page.getByRole('heading', { level: 1, name: list.items[2].name })).toBeVisible();
    await page.getByRole('link', { name: 'Previous lead' }).click();
    await page.getByRole('link', { name: 'Previous lead' }).click();
    await expect(page.getByRole('heading', { level: 1, name: list.items[0].name })).toBeVisible();
    // The first lead of the list has no previous one.
    await expect(page.getByRole('button', { name: 'Previous lead' })).toBeDisabled();
  });

  test('a stale version (412) is explained and the typed name survives the reload', async ({ page }) => {
    await openLead(page, 'Elisa Gonçalves', '&q=elisa');
    const lead = await leadByName(page, 'Elisa Gonçalves');
    await page.getByRole('button', { name: 'Edit name' }).click();
    await page.getByRole('textbox', { name: 'Name' }).fill('Elisa G. Renamed');
    // Someone else changes the lead meanwhile.
    const res = await page.request.patch(`/v1/leads/${lead.id}`, {
      headers: { Authorization: `Bearer ${await page.evaluate(() => JSON.parse(localStorage.getItem('leadflow.session')!).token)}` },
      data: { rating: (lead.rating + 1) % 6 },
    });
    expect(res.ok()).toBeTruthy();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'Someone changed this lead' })).toBeVisible();
    await page.getByRole('button', { name: 'Reload' }).click();
    await expect(page.getByRole('radiogroup', { name: 'Rating' }).getByRole('radio').nth((lead.rating + 1) % 6)).toBeChecked();
    await expect(page.getByRole('textbox', { name: 'Name' })).toHaveValue('Elisa G. Renamed');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Elisa G. Renamed' })).toBeVisible();
    await expect.poll(async () => (await api<{ name: string }>(page, `/v1/leads/${lead.id}`)).name).toBe('Elisa G. Renamed');
  });
});
