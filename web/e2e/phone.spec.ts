// 390×844: the list stays usable and the detail's columns become tabs; and
// the screenshots the README shows, at 1280×800 and 390×844.
import { expect, test, type Page } from '@playwright/test';
import path from 'node:path';
import { AGENT } from './helpers';

const shots = path.join(import.meta.dirname, '../../docs/screenshots');

async function shoot(page: Page, name: string) {
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

test.use({ storageState: AGENT });

for (const [size, viewport] of [
  ['desktop', { width: 1280, height: 800 }],
  ['phone', { width: 390, height: 844 }],
] as const) {
  test(`list, detail and attribution at ${viewport.width}×${viewport.height}`, async ({ page }) => {
    await page.setViewportSize(viewport);
    await page.goto('/leads?lang=en');
    const table = page.getByRole('table', { name: 'Leads' });
    await expect(table.locator('tbody tr').first()).toBeVisible();
    await shoot(page, `list-${size}`);

    await page.goto('/leads?lang=en&q=ana');
    await table.getByRole('link', { name: 'Ana Souza', exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Ana Souza' })).toBeVisible();
    if (size === 'phone') {
      // Columns are tabs under the header; the conversation is one of them.
      await expect(page.getByRole('tab', { name: 'Contact data' })).toBeVisible();
      await expect(page.getByRole('region', { name: 'Conversation' })).toHaveCount(0);
      await page.getByRole('tab', { name: 'Chat' }).click();
      await expect(page.getByRole('region', { name: 'Conversation' })).toBeVisible();
      await page.getByRole('tab', { name: 'Contact', exact: true }).click();
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width).toBeLessThanOrEqual(390);
    } else {
      await expect(page.getByRole('region', { name: 'Conversation' })).toBeVisible();
      await expect(page.getByRole('tab', { name: 'Notes' })).toBeVisible();
    }
    await shoot(page, `detail-${size}`);

    await page.goto('/attribution?lang=en');
    await expect(page.getByRole('table', { name: 'Attribution' })).toBeVisible();
    await shoot(page, `attribution-${size}`);
  });
}
