// Browser tests: Debian's chromium (Playwright's own browser download is not
// used), against a stack the run starts itself — the local server with an
// in-memory DynamoDB Local and fresh demo data, serving the built console.
import { defineConfig, devices } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

// One free port for the whole run; workers inherit it through the environment.
if (!process.env.LEADFLOW_E2E_PORT) {
  process.env.LEADFLOW_E2E_PORT = execFileSync(process.execPath, ['-e', "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"])
    .toString()
    .trim();
}
const port = process.env.LEADFLOW_E2E_PORT;
const baseURL = process.env.LEADFLOW_E2E_URL ?? `http://127.0.0.1:${port}`;
const repo = path.resolve(import.meta.dirname, '..');

export default defineConfig({
  testDir: './e2e',
  outputDir: './test-results',
  timeout: 45_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    locale: 'en-US',
    timezoneId: 'America/Sao_Paulo',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.LEADFLOW_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  projects: [
    { name: 'setup', testMatch: /auth\.setup\.ts/ },
    // The screenshots come first, while the demo data is as `make dev` seeds it.
    { name: 'screens', testMatch: /phone\.spec\.ts/, use: { ...devices['Desktop Chrome'] }, dependencies: ['setup'] },
    { name: 'chromium', use: { ...devices['Desktop Chrome'], viewport: { width: 1280, height: 800 } }, dependencies: ['screens'], testIgnore: /auth\.setup\.ts|phone\.spec\.ts/ },
  ],
  webServer: process.env.LEADFLOW_E2E_URL
    ? undefined
    : {
        command: `go run ./cmd/leadflow-dev -data '' -port ${port} -console web/dist`,
        cwd: repo,
        url: `${baseURL}/healthz`,
        timeout: 300_000,
        reuseExistingServer: false,
        stdout: 'ignore',
        stderr: 'pipe',
        env: { LOG_LEVEL: 'WARN', LEADFLOW_CACHE_DIR: process.env.LEADFLOW_CACHE_DIR ?? path.join(repo, '.cache/emulators') },
      },
});
