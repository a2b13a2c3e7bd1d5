import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import path from 'node:path';

export const ADMIN = path.join(import.meta.dirname, '.auth/admin.json');
export const AGENT = path.join(import.meta.dirname, '.auth/agent.json');

/** The bearer token the console keeps for the signed-in user. */
export async function token(page: Page): Promise<string> {
  const raw = await page.evaluate(() => localStorage.getItem('leadflow.session'));
  expect(raw, 'signed in').toBeTruthy();
  return JSON.parse(raw!).token as string;
}

/** Calls the API as the signed-in user, outside the console. */
export async function api<T>(page: Page, p: string, init: { method?: string; data?: unknown } = {}): Promise<T> {
  const res = await page.request.fetch(p, {
    method: init.method ?? 'GET',
    headers: { Authorization: `Bearer ${await token(page)}` },
    data: init.data,
  });
  expect(res.ok(), `${init.method ?? 'GET'} ${p} → ${res.status()}`).toBeTruthy();
  return (await res.json()) as T;
}

export interface LeadRow {
  id: string;
  name: string;
  state: string;
  rating: number;
  owner_id?: string | null;
  version: number;
  tags?: string[];
}

export async function leadByName(page: Page, name: string): Promise<LeadRow> {
  const page1 = await api<{ items: LeadRow[] }>(page, `/v1/leads?q=${encodeURIComponent(name)}&limit=20`);
  const lead = page1.items.find((l) => l.name === name);
  expect(lead, `lead ${name}`).toBeTruthy();
  return lead!;
}

/** No serious or critical axe violation on the page as it is. */
export async function expectAccessible(page: Page): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([]);
}

export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
