import { expect, test as setup } from '@playwright/test';
import { ADMIN, AGENT } from './helpers';

for (const [name, file, role] of [
  ['Carla Mendes', ADMIN, 'Admin'],
  ['Rafael Lima', AGENT, 'Agent'],
] as const) {
  setup(`sign in as ${name}`, async ({ page }) => {
    await page.goto('/login?lang=en');
    await page.getByRole('button', { name }).click();
    await expect(page).toHaveURL(/\/leads$/);
    await expect(page.getByText(`${name} · ${role}`)).toBeVisible();
    await page.context().storageState({ path: file });
  });
}
