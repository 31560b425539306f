// End-to-end tests in Debian's Chromium against the debug backend on the simulated bus.
// `scripts/test.sh` builds everything first; `npx playwright test -c e2e` then runs these alone.
import { defineConfig } from '@playwright/test';
import * as path from 'path';

const port = Number(process.env.E2E_PORT ?? 8091);

export default defineConfig({
  testDir: './tests',
  // One server, one first-run setup: tests run in order, one at a time.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  // The JSON report is what scripts/test.sh counts for CI's closing line.
  reporter: [['list'], ['json', { outputFile: path.join(__dirname, 'results.json') }]],
  outputDir: './test-results',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  projects: [
    { name: 'first-run', testMatch: /first-run\.spec\.ts/, use: { viewport: { width: 390, height: 844 } } },
    {
      name: 'phone',
      testMatch: /(panel-board|configuration|han|installation|outputs|consumption|roles)\.spec\.ts/,
      dependencies: ['first-run'],
      use: { viewport: { width: 390, height: 844 }, hasTouch: true },
    },
    {
      name: 'desktop',
      testMatch: /(panel-board|configuration|han|installation|outputs|consumption|roles)\.spec\.ts/,
      dependencies: ['phone'],
      use: { viewport: { width: 1440, height: 900 } },
    },
  ],
  webServer: {
    command: `bash e2e/start-server.sh ${port}`,
    cwd: path.join(__dirname, '..'),
    url: `http://127.0.0.1:${port}/api/health`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
