import { expect, test } from '@playwright/test';
import { expectAccessible } from './helpers';

test('the login page lists the demo users and signs in and out', async ({ page }) => {
  await page.goto('/login?lang=en');
  for (const name of ['Carla Mendes', 'Rafael Lima', 'Juliana Rocha']) {
    await expect(page.getByRole('button', { name })).toBeVisible();
  }
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Juliana Rocha' }).click();
  await expect(page.getByRole('table', { name: 'Leads' })).toBeVisible();
  await expect(page.getByText('Juliana Rocha · Agent')).toBeVisible();
  // Agents get no Settings link.
  await expect(page.getByRole('link', { name: 'Settings' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto('/leads');
  await expect(page).toHaveURL(/\/login\?next=%2Fleads/);
});

test('a token the API refuses (401) sends the user back to login', async ({ page }) => {
  await page.goto('/login?lang=en');
  await page.evaluate(() => localStorage.setItem('leadflow.session', JSON.stringify({ token: 'not-a-token', via: 'local' })));
  await page.goto('/leads');
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole('button', { name: 'Carla Mendes' })).toBeVisible();
  expect(await page.evaluate(() => localStorage.getItem('leadflow.session'))).toBeNull();
});

test('the language follows ?lang=, the switcher, and persists', async ({ page }) => {
  await page.goto('/login?lang=en');
  await page.getByRole('button', { name: 'Carla Mendes' }).click();
  await expect(page.getByRole('link', { name: 'Attribution' })).toBeVisible();
  await page.getByRole('combobox', { name: 'Language' }).selectOption({ label: 'Español' });
  await expect(page.getByRole('link', { name: 'Atribución' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Aplicar filtros' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('combobox', { name: 'Idioma' })).toHaveValue('es');
  await page.getByRole('combobox', { name: 'Idioma' }).selectOption({ label: 'Português (Brasil)' });
  await expect(page.getByRole('link', { name: 'Atribuição' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Configurações' })).toBeVisible();
  await page.goto('/leads?lang=en');
  await expect(page.getByRole('button', { name: 'Apply filters' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
});

test.describe('default language', () => {
  test.describe('a French browser', () => {
    test.use({ locale: 'fr-FR' });
    test('gets Portuguese (Brazil)', async ({ page }) => {
      await page.goto('/login');
      await expect(page.getByRole('heading', { name: 'Entrar no Leadflow' })).toBeVisible();
      await expect(page.getByRole('combobox', { name: 'Idioma' })).toHaveValue('pt-BR');
    });
  });
  test.describe('a Spanish browser', () => {
    test.use({ locale: 'es-AR' });
    test('gets Spanish', async ({ page }) => {
      await page.goto('/login');
      await expect(page.getByRole('heading', { name: 'Iniciar sesión en Leadflow' })).toBeVisible();
    });
  });
});
