import { expect, test } from '@playwright/test';
import { ADMIN, api, expectAccessible, unique } from './helpers';

// Settings → Task presets, as an admin: a preset made there is a button on a
// lead's Tasks tab that fills the form; removed, it is gone again.
test.describe('task presets (admin)', () => {
  test.use({ storageState: ADMIN });

  test('a preset created in Settings fills the task form on a lead, and can be removed', async ({ page }) => {
    test.setTimeout(120_000);
    const label = unique('Retorno em 2 dias');
    await page.goto('/settings?lang=en');
    await page.getByRole('tab', { name: 'Task presets' }).click();
    const list = page.getByRole('list', { name: 'Task presets' });
    await expect(list.getByRole('listitem', { name: 'Visita em 3 dias' })).toBeVisible(); // the demo's
    await expectAccessible(page);

    // Add one: every field.
    await page.getByRole('button', { name: 'Add preset' }).click();
    const card = list.getByRole('listitem').last();
    await expect(card).toHaveAccessibleName('New preset');
    await card.getByRole('textbox', { name: 'Description text' }).fill('Ligar para confirmar a proposta');
    await card.getByRole('combobox', { name: 'Type' }).selectOption({ label: 'Retorno' });
    await card.getByRole('spinbutton', { name: 'Due in N days' }).fill('2');
    await card.getByLabel('Time').fill('15:30');
    await card.getByRole('textbox', { name: 'Label' }).fill(label);
    await expect(card).toHaveAccessibleName(label);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
    const saved = (await api<{ presets: { label: string; type?: string; due_in_days?: number; due_time?: string }[] }>(page, '/v1/task-presets')).presets;
    expect(saved.find((p) => p.label === label)).toMatchObject({ type: 'call_back', due_in_days: 2, due_time: '15:30' });

    // On a lead's Tasks tab it is one button among the presets; one click fills the form.
    await page.goto('/leads?lang=en&q=joao');
    await page.getByRole('table', { name: 'Leads' }).getByRole('link', { name: 'João Silva', exact: true }).click();
    await page.getByRole('tab', { name: 'Tasks' }).click();
    await page.getByRole('group', { name: 'Presets' }).getByRole('button', { name: label }).click();
    const description = page.getByRole('textbox', { name: 'Description' });
    await expect(description).toHaveValue('Ligar para confirmar a proposta');
    await expect(page.getByRole('combobox', { name: 'Type' })).toHaveValue('call_back');
    await expect(page.getByLabel('Due time')).toHaveValue('15:30');
    await expect(page.getByLabel('Due date')).not.toHaveValue('');
    const text = unique('Confirmar proposta');
    await description.fill(text);
    await page.getByRole('button', { name: 'Add task' }).click();
    const row = page.getByRole('table', { name: 'Tasks' }).getByRole('row').filter({ hasText: text });
    await expect(row).toContainText('Retorno');
    await expect(row).toContainText('3:30 PM');
    await expectAccessible(page);

    // Removed in Settings, it leaves the lead's presets.
    await page.goto('/settings?lang=en');
    await page.getByRole('tab', { name: 'Task presets' }).click();
    await page.getByRole('button', { name: `Remove preset ${label}` }).click();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved' })).toBeVisible();
    await expect.poll(async () => (await api<{ presets: { label: string }[] }>(page, '/v1/task-presets')).presets.some((p) => p.label === label)).toBe(false);
  });
});
