import { expect, test } from '@playwright/test';
import { ADMIN, AGENT, api, expectAccessible, unique } from './helpers';

test.describe('settings as admin', () => {
  test.use({ storageState: ADMIN });

  test('users can be marked away and back', async ({ page }) => {
    await page.goto('/leads?lang=en');
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
    await expectAccessible(page);
    await page.getByRole('tab', { name: 'Users' }).click();
    const away = page.getByRole('checkbox', { name: 'Juliana Rocha away' });
    await away.click();
    await expect(away).toBeChecked();
    await expect.poll(async () => (await api<{ items: { id: string; away: boolean }[] }>(page, '/v1/users')).items.find((u) => u.id === 'usr_agent2')?.away).toBe(true);
    await away.click();
    await expect(away).not.toBeChecked();
    await expect.poll(async () => (await api<{ items: { id: string; away: boolean }[] }>(page, '/v1/users')).items.find((u) => u.id === 'usr_agent2')?.away).toBe(false);
    await page.getByRole('tab', { name: 'Assignment rules' }).click();
    await expect(page.getByRole('textbox', { name: 'Rule name' }).first()).toBeVisible();
  });
});

test.describe('account and sites (admin)', () => {
  test.use({ storageState: ADMIN });

  test('the account name and a state\'s sub-states are saved', async ({ page }) => {
    await page.goto('/settings?lang=en');
    const name = page.getByRole('textbox', { name: 'Account name' });
    await expect(name).not.toHaveValue('');
    const newName = unique('Loja Demo');
    await name.fill(newName);
    const sale = page.getByRole('textbox', { name: 'Sale', exact: true });
    await sale.fill('Pago à vista\nParcelado');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
    const account = await api<{ name: string; sub_states: Record<string, { id: string; label: string }[]> }>(page, '/v1/account');
    expect(account.name).toBe(newName);
    expect(account.sub_states.sale.map((x) => x.label)).toEqual(['Pago à vista', 'Parcelado']);
  });

  test('a new site shows its key and snippet, and rotating gives a new key', async ({ page }) => {
    await page.goto('/settings?lang=en');
    await page.getByRole('tab', { name: 'Sites' }).click();
    const siteName = unique('site');
    await page.getByRole('textbox', { name: 'Site name' }).fill(siteName);
    await page.getByRole('textbox', { name: 'Allowed origins' }).fill('https://example.org');
    await page.getByRole('button', { name: 'Create site' }).click();
    const card = page.locator('.card', { has: page.getByRole('heading', { name: siteName }) });
    const key = card.locator('p code').first();
    await expect(key).toHaveText(/\S{8,}/);
    const first = await key.textContent();
    await expect(card.getByRole('textbox', { name: 'Form snippet' })).toHaveValue(new RegExp(`/v1/capture/forms/${first}`));
    await card.getByRole('button', { name: 'Rotate key' }).click();
    await expect(key).not.toHaveText(first!);
  });
});

test.describe('settings as agent', () => {
  test.use({ storageState: AGENT });
  test('agents have no settings', async ({ page }) => {
    await page.goto('/leads?lang=en');
    await expect(page.getByRole('link', { name: 'Leads' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Settings' })).toHaveCount(0);
    await page.goto('/settings?lang=en');
    await expect(page.getByText('Only admins can change settings.')).toBeVisible();
  });
});
