import { expect, test } from '@playwright/test';
import { ADMIN, expectNoHorizontalScroll, login, watchErrors } from './helpers';

// Five devices on the RS485 line (the I/O module among them), three behind the TCP gateway, and
// the two smart meters on their HAN/P1 ports.
const SIMULATED_DEVICES = 11;

test('a wrong password is refused with a clear message', async ({ page }) => {
  const errors = watchErrors(page, [401]);
  await page.goto('/login');
  await page.getByTestId('login-username').fill(ADMIN.username);
  await page.getByTestId('login-password').fill('not the password');
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('login-error')).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
  // Empty fields are caught before anything is sent.
  await page.getByTestId('login-password').fill('');
  await page.getByTestId('login-submit').click();
  await expect(page).toHaveURL(/\/login/);
  expect(errors).toEqual([]);
});

test('the language is chosen on the login page and kept', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/login');
  const submit = page.getByTestId('login-submit');
  await page.getByTestId('language-select').selectOption('fr');
  await expect(submit).toHaveText('Se connecter');
  await page.reload();
  await expect(page.getByTestId('login-submit')).toHaveText('Se connecter');
  await page.getByTestId('language-select').selectOption('en');
  await expect(page.getByTestId('login-submit')).toHaveText('Log in');
  expect(errors).toEqual([]);
});

test('login, My panel board with live values, device page with its chart, logout', async ({ page }, testInfo) => {
  const errors = watchErrors(page);
  await login(page);
  await expect(page.getByTestId('home-welcome')).toContainText(ADMIN.username);
  await expect(page.getByTestId('current-user')).toContainText(ADMIN.username);

  await page.getByTestId('nav-panel').click();
  await expect(page).toHaveURL(/\/panel/);
  const cards = page.getByTestId('device-card');
  await expect(cards).toHaveCount(SIMULATED_DEVICES);
  await expect(page.locator('[data-testid="device-card"] [data-testid="device-status"][data-status="on"]')).toHaveCount(
    SIMULATED_DEVICES,
    { timeout: 30_000 },
  );
  for (const name of ['General supply', 'Flat 1', 'Workshop and roof solar', 'Cold water', 'Boiler gas', 'Building B lighting', 'Building B heat pump', 'Building B sockets', 'Utility meter (HAN)', 'Utility meter (P1)']) {
    await expect(page.getByTestId('device-name').filter({ hasText: name })).toHaveCount(1);
  }

  // Values move without a reload.
  const values = async () => (await page.getByTestId('device-main-value').allTextContents()).join('|');
  const before = await values();
  expect(before).toMatch(/\d/);
  await expect.poll(values, { timeout: 15_000 }).not.toBe(before);
  await expectNoHorizontalScroll(page);
  await page.screenshot({ path: testInfo.outputPath('panel-board.png'), fullPage: true });

  // Per gateway.
  const gatewaySelect = page.getByTestId('gateway-select');
  await gatewaySelect.selectOption({ label: 'Building B gateway' });
  await expect(cards).toHaveCount(3);
  await gatewaySelect.selectOption('all');
  await expect(cards).toHaveCount(SIMULATED_DEVICES);

  // Device page: live values and today's histogram.
  await cards.filter({ hasText: 'General supply' }).click();
  await expect(page).toHaveURL(/\/devices\/\d+/);
  await expect(page.getByTestId('device-title')).toContainText('General supply');
  const power = page.getByTestId('value-active_power');
  await expect(power).toContainText('W');
  await expect(page.getByTestId('value-voltage_l1')).toContainText('V');
  await expect(page.getByTestId('value-frequency')).toContainText('Hz');
  const powerBefore = await power.textContent();
  await expect.poll(async () => power.textContent(), { timeout: 15_000 }).not.toBe(powerBefore);
  await expect(page.getByTestId('energy-chart').locator('svg')).toBeVisible();
  await expectNoHorizontalScroll(page);
  await page.screenshot({ path: testInfo.outputPath('device.png'), fullPage: true });

  await page.getByTestId('back-to-panel').click();
  await expect(page).toHaveURL(/\/panel/);

  // Logout asks first: log out, lock or cancel (§8.1.4).
  await page.getByTestId('logout').click();
  await expect(page.getByTestId('logout-dialog')).toBeVisible();
  await page.getByTestId('logout-confirm').click();
  await expect(page).toHaveURL(/\/login/);
  // The session is gone on the server too.
  expect((await page.request.get('/api/devices')).status()).toBe(401);
  await page.goto('/panel');
  await expect(page).toHaveURL(/\/login/);

  expect(errors).toEqual([]);
});
