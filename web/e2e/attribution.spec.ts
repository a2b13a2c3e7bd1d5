import { expect, test } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { AGENT, api, expectAccessible } from './helpers';

interface Report {
  totals: { leads: number; sales: number; by_state: Record<string, number> };
  rows: { source?: string; leads: number; day?: string }[];
}

test.describe('attribution', () => {
  test.use({ storageState: AGENT });

  test('the chart and the table match the API, and the CSV downloads', async ({ page }) => {
    await page.goto('/attribution?lang=en&group_by=source&touch=first');
    const table = page.getByRole('table', { name: 'Attribution' });
    await expect(table).toBeVisible();
    const from = await page.getByLabel('From', { exact: true }).inputValue();
    const to = await page.getByLabel('To', { exact: true }).inputValue();
    const report = await api<Report>(page, `/v1/reports/attribution?from=${from}&to=${to}&group_by=source&touch=first`);
    const daily = await api<Report>(page, `/v1/reports/attribution?from=${from}&to=${to}&group_by=source&touch=first&interval=day`);
    await expect(table.locator('tbody tr')).toHaveCount(report.rows.length);
    const totals = table.locator('tfoot tr');
    await expect(totals.locator('td').nth(0)).toHaveText(String(report.totals.leads));
    await expect(totals.locator('td').nth(3)).toHaveText(String(report.totals.by_state.sale));
    const sum = daily.rows.reduce((a, r) => a + r.leads, 0);
    expect(sum).toBe(report.totals.leads);
    await expect(page.getByRole('img', { name: `Chart: ${report.totals.leads} leads over` })).toBeVisible();
    await expectAccessible(page);

    await page.getByRole('combobox', { name: 'Touch' }).selectOption('last');
    await expect(page).toHaveURL(/touch=last/);
    const last = await api<Report>(page, `/v1/reports/attribution?from=${from}&to=${to}&group_by=source&touch=last`);
    await expect(table.locator('tfoot td').first()).toHaveText(String(last.totals.leads));

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.trim().split(/\r?\n/).length).toBe(last.rows.length + 1);
  });
});
