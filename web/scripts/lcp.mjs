// Time from navigation to the lead detail's largest contentful paint, in
// Debian's chromium, against a running local server with a warm API:
//   node scripts/lcp.mjs [http://127.0.0.1:8080]
import { chromium } from '@playwright/test';

const base = process.argv[2] ?? 'http://127.0.0.1:8080';
const runs = 15;
const browser = await chromium.launch({
  executablePath: process.env.LEADFLOW_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const users = await (await fetch(`${base}/dev/users`)).json();
const agent = users.users.find((u) => u.role === 'agent');
const leads = await (await fetch(`${base}/v1/leads?q=ana&limit=20`, { headers: { Authorization: `Bearer ${agent.token}` } })).json();
const id = leads.items.find((l) => l.name === "Ana Souza").id;
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
await context.addInitScript((token) => localStorage.setItem('leadflow.session', JSON.stringify({ token, via: 'local' })), agent.token);
const times = [];
for (let i = 0; i < runs + 2; i++) {
  const page = await context.newPage();
  await page.goto(`${base}/leads/${id}?lang=en`);
  await page.getByRole('heading', { level: 1 }).waitFor();
  await page.getByRole('region', { name: 'Conversation' }).locator('li').first().waitFor();
  await page.waitForTimeout(300);
  const lcp = await page.evaluate(
    () =>
      new Promise((resolve) => {
        new PerformanceObserver((list) => {
          const e = list.getEntries();
          resolve(e[e.length - 1].startTime);
        }).observe({ type: 'largest-contentful-paint', buffered: true });
      }),
  );
  if (i >= 2) times.push(lcp); // the first two warm the API, the HTTP cache and the browser
  await page.close();
}
await browser.close();
times.sort((a, b) => a - b);
const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
console.log(`lead detail LCP over ${runs} navigations (warm API, cached assets): median ${q(0.5).toFixed(0)} ms, p90 ${q(0.9).toFixed(0)} ms, min ${times[0].toFixed(0)} ms`);
