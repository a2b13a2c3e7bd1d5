import { expect, test, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { AGENT, api, expectAccessible, unique } from './helpers';

// The agenda in the console, as an agent (Rafael Lima) on João Silva's lead
// (the demo gives it a few records of its own, which these tests leave alone).
const LEAD = 'João Silva';

async function openTasksTab(page: Page) {
  await page.goto('/leads?lang=en&q=joao');
  await page.getByRole('table', { name: 'Leads' }).getByRole('link', { name: LEAD, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: LEAD })).toBeVisible();
  await page.getByRole('tab', { name: 'Tasks' }).click();
  await expect(page.getByRole('table', { name: 'Tasks' })).toBeVisible();
}

async function addTask(page: Page, description: string) {
  await page.getByRole('textbox', { name: 'Description' }).fill(description);
  await page.getByRole('button', { name: 'Add task' }).click();
  await expect(page.getByRole('table', { name: 'Tasks' }).getByText(description, { exact: true })).toBeVisible();
}

const dueNow = async (page: Page) => (await api<{ count: number }>(page, '/v1/tasks/due-now')).count;
const badge = (page: Page) => page.locator('.nav-tasks .badge-due');

test.describe('agenda', () => {
  test.use({ storageState: AGENT });

  test('a task from a preset: edit it, see it on My tasks with the badge, complete it, and its history', async ({ page }) => {
    test.setTimeout(120_000);
    await openTasksTab(page);
    await expectAccessible(page);
    const before = await dueNow(page);

    // One click on a preset fills the form: all-day today, type "won".
    await page.getByRole('button', { name: 'Cliente ganho hoje' }).click();
    const description = page.getByRole('textbox', { name: 'Description' });
    await expect(description).toHaveValue('Cliente fechou negócio');
    await expect(page.getByLabel('Due date')).not.toHaveValue('');
    await expect(page.getByRole('combobox', { name: 'Type' })).toHaveValue('won');
    const text = unique('Fechou');
    await description.fill(text);
    await page.getByRole('button', { name: 'Add task' }).click();
    const tasks = page.getByRole('table', { name: 'Tasks' });
    await expect(tasks.getByText(text, { exact: true })).toBeVisible();

    // Edit it (If-Match under the hood).
    await page.getByRole('button', { name: `Edit ${text}` }).click();
    const edited = `${text} editado`;
    await description.fill(edited);
    await page.getByRole('button', { name: 'Save task' }).click();
    await expect(tasks.getByText(edited, { exact: true })).toBeVisible();

    // My tasks, from the main navigation: today's section, linked to the lead.
    await page.getByRole('link', { name: 'My tasks' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'My tasks' })).toBeVisible();
    const today = page.getByRole('region', { name: /^Today/ });
    const row = today.getByRole('row').filter({ hasText: edited });
    await expect(row).toBeVisible();
    await expect(row.getByRole('link', { name: LEAD })).toHaveAttribute('href', /\/leads\/ld_/);
    await expect(page.getByRole('region', { name: /^Overdue/ })).toBeVisible(); // the demo's overdue record, first
    await expectAccessible(page);

    // The reminder of an all-day record fires at the start of its day, so at
    // once: the badge counts it without a reload.
    await expect.poll(async () => Number(await badge(page).getAttribute('data-count')), { timeout: 60_000 }).toBe(before + 1);
    await expect(page.getByRole('link', { name: `My tasks (${before + 1} due now)` })).toBeVisible();

    // Done: it leaves My tasks and the badge, and stays on the lead.
    await row.getByRole('checkbox', { name: `Done: ${edited}` }).click();
    await expect(today.getByText(edited, { exact: true })).toHaveCount(0);
    await expect.poll(async () => Number((await badge(page).getAttribute('data-count')) ?? 0)).toBe(before);
    await page.getByRole('combobox', { name: 'Status' }).selectOption('done');
    await expect(page.getByRole('region', { name: /^Done/ }).getByText(edited, { exact: true })).toBeVisible();

    await openTasksTab(page);
    await expect(page.getByRole('checkbox', { name: `Done: ${edited}` })).toBeChecked();
    await page.getByRole('tab', { name: 'History' }).click();
    const history = page.getByRole('tabpanel');
    await expect(history.getByText('added a task').first()).toBeVisible();
    await expect(history.getByText('edited a task').first()).toBeVisible();
    await expect(history.getByText('completed a task').first()).toBeVisible();
  });

  test('complete selected and delete selected', async ({ page }) => {
    await openTasksTab(page);
    const [a, b, c] = [unique('bulk-a'), unique('bulk-b'), unique('bulk-c')];
    for (const d of [a, b, c]) await addTask(page, d);
    const tasks = page.getByRole('table', { name: 'Tasks' });

    await page.getByRole('checkbox', { name: `Select ${a}` }).check();
    await page.getByRole('button', { name: 'Complete selected' }).click();
    await expect(page.getByRole('checkbox', { name: `Done: ${a}` })).toBeChecked();

    await page.getByRole('checkbox', { name: `Select ${b}` }).check();
    await page.getByRole('checkbox', { name: `Select ${c}` }).check();
    await page.getByRole('button', { name: 'Delete selected' }).click();
    await expect(tasks.getByText(b, { exact: true })).toHaveCount(0);
    await expect(tasks.getByText(c, { exact: true })).toHaveCount(0);
    await expect(tasks.getByText(a, { exact: true })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Delete selected' })).toBeDisabled();
    const mine = await api<{ items: { description: string }[] }>(page, '/v1/tasks?status=all&limit=100');
    expect(mine.items.map((x) => x.description).filter((d) => [a, b, c].includes(d))).toEqual([a]);
  });

  test('statistics match the API and the XLSX downloads', async ({ page }) => {
    await page.goto('/leads?lang=en');
    await page.getByRole('link', { name: 'Statistics' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Task statistics' })).toBeVisible();
    const from = await page.getByLabel('From', { exact: true }).inputValue();
    const to = await page.getByLabel('To', { exact: true }).inputValue();
    const stats = await api<{ total: number; by_status: Record<string, number>; by_type: Record<string, number> }>(page, `/v1/tasks/stats?from=${from}&to=${to}`);
    expect(stats.total).toBeGreaterThan(0); // the demo's records and the ones above
    await expect(page.getByRole('status').filter({ hasText: 'created in the range' })).toHaveText(`${stats.total} records created in the range.`);
    const byStatus = page.getByRole('table', { name: 'By status' });
    for (const [status, label] of [['pending', 'Pending'], ['overdue', 'Overdue'], ['done', 'Done']] as const) {
      await expect(byStatus.getByRole('row', { name: new RegExp(`^${label} `) }).getByRole('cell')).toHaveText(String(stats.by_status[status]));
    }
    await expect(page.getByRole('table', { name: 'By type' }).locator('tbody tr')).toHaveCount(Object.keys(stats.by_type).length);
    await expect(page.getByRole('table', { name: 'By user' })).toBeVisible();
    await expect(page.getByRole('table', { name: 'Records' }).locator('tbody tr')).toHaveCount(stats.total);
    await expectAccessible(page);

    const [response, download] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/v1/tasks/stats') && r.url().includes('format=xlsx')),
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download XLSX' }).click(),
    ]);
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(download.suggestedFilename()).toBe(`tasks-${from}-${to}.xlsx`);
    const file = await readFile((await download.path())!);
    expect(file.length).toBeGreaterThan(0);
    // An XLSX is a zip (PK) whose directory names the worksheet.
    expect(file.subarray(0, 2).toString('latin1')).toBe('PK');
    expect(file.includes(Buffer.from('xl/worksheets/sheet1.xml'))).toBe(true);
  });
});
