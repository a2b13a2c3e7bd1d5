import { expect, test } from '@playwright/test';
import { ADMIN, AGENT, api, expectAccessible } from './helpers';

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
    await expectAccessible(page);
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
