import { expect, Page } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

export const ADMIN = { username: 'admin', password: 'correct horse battery staple' };

/** The one-time setup token the server wrote into its data directory. */
export function setupToken(): string {
  return fs.readFileSync(path.join(__dirname, '..', '.run', 'data', 'setup-token'), 'utf8').trim();
}

/**
 * Collects what the page logs as errors. Browsers also log each HTTP error response as
 * "Failed to load resource"; those statuses a test expects (e.g. 401 before login) are allowed.
 */
export function watchErrors(page: Page, allowedStatuses: number[] = []): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    const status = /status of (\d{3})/.exec(text);
    if (status && allowedStatuses.includes(Number(status[1]))) return;
    errors.push(`console: ${text}`);
  });
  return errors;
}

export async function expectNoHorizontalScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, 'page wider than the viewport').toBeLessThanOrEqual(0);
}

export async function login(page: Page) {
  await loginAs(page, ADMIN);
}

/** Logs in through the login page and waits for the home page. */
export async function loginAs(page: Page, user: { username: string; password: string }) {
  await page.goto('/login');
  await page.getByTestId('login-username').fill(user.username);
  await page.getByTestId('login-password').fill(user.password);
  await page.getByTestId('login-submit').click();
  await expect(page).toHaveURL(/\/$/);
}
