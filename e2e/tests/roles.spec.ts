// Users, roles and access (§8.1): the administrator creates users through the Web server page and
// the API; each role then sees exactly its menu, gets "not allowed" on the pages it may not open
// (without a refused request on the way), a tenant sees only its device; the logout dialog, the
// lock screen with a PIN on a phone, a lock made elsewhere, too many wrong unlock tries, a
// disabled account, the service accounts' write-only secrets and the login throttle.
import { APIRequestContext, expect, Page, test } from '@playwright/test';
import { ADMIN, expectNoHorizontalScroll, login, loginAs, watchErrors } from './helpers';

const PASSWORD = 'a long enough password';
const NAV = ['nav-home', 'nav-panel', 'nav-consumption', 'nav-config', 'nav-server'];

// The tests build on each other (the users made first log in later).
test.describe.configure({ mode: 'serial' });

/** The accounts of this project's run: names differ per project, the server is shared. */
function accounts(project: string) {
  const user = (name: string) => ({ username: `${name}-${project}`, password: PASSWORD });
  return {
    fromUi: user('clerk'),
    installer: user('installer'),
    greenUp: user('green'),
    user: user('reader'),
    custom: user('custom'),
    tenant: user('tenant'),
    disabled: user('gone'),
  };
}

async function createUser(request: APIRequestContext, form: Record<string, unknown>) {
  const response = await request.post('/api/users', { data: form });
  expect(response.status(), await response.text()).toBe(201);
}

/** Exactly these menu entries, no others. */
async function expectNav(page: Page, shown: string[]) {
  await expect(page.getByTestId('nav-home')).toBeVisible();
  for (const entry of NAV) {
    await expect(page.getByTestId(entry), entry).toHaveCount(shown.includes(entry) ? 1 : 0);
  }
}

async function expectNotAllowed(page: Page, path: string) {
  await page.goto(path);
  await expect(page.getByTestId('not-allowed')).toBeVisible();
  await expect(page.getByTestId('not-allowed-home')).toHaveAttribute('href', '/');
}

async function logout(page: Page) {
  await page.getByTestId('logout').click();
  await page.getByTestId('logout-confirm').click();
  await expect(page).toHaveURL(/\/login/);
}

test('the administrator manages users on the Web server page', async ({ page }, testInfo) => {
  // 400: the refused forms below.
  const errors = watchErrors(page, [400]);
  const users = accounts(testInfo.project.name);
  await login(page);
  await expectNav(page, NAV);
  await expect(page.getByTestId('home-server-link')).toBeVisible();
  await page.getByTestId('nav-server').click();
  await expect(page).toHaveURL(/\/server$/);
  const section = page.getByTestId('users-section');
  await expect(section.locator(`[data-testid="user-row"][data-username="${ADMIN.username}"]`)).toBeVisible();

  // The shared rules answer before anything is sent.
  await page.getByTestId('user-add').click();
  const form = page.getByTestId('user-form');
  await form.getByTestId('user-save').click();
  await expect(form.getByTestId('error-user-username')).toBeVisible();
  await form.getByTestId('user-username').fill(users.fromUi.username);
  await form.getByTestId('user-role-select').selectOption('custom');
  await form.getByTestId('user-password').fill(PASSWORD);
  await form.getByTestId('user-save').click();
  await expect(form.getByTestId('error-user-pages')).toBeVisible();
  // The page that manages users cannot be given to a custom user: it is not offered.
  await expect(form.getByTestId('user-page-users')).toHaveCount(0);
  await form.getByTestId('user-page-consumption').check();
  await form.getByTestId('user-limited').check();
  await form.getByTestId('user-save').click();
  await expect(form.getByTestId('error-user-devices')).toBeVisible();
  await form.locator('[data-testid^="user-device-"]').first().check();
  await expectNoHorizontalScroll(page);
  await form.getByTestId('user-save').click();
  const row = section.locator(`[data-testid="user-row"][data-username="${users.fromUi.username}"]`);
  await expect(row).toHaveAttribute('data-role', 'custom');
  await expect(row.getByTestId('user-devices')).toBeVisible();
  await expect(row.getByTestId('user-pages')).toContainText('Consumption');

  // Changed: disabled, no longer limited.
  await row.getByTestId('user-edit').click();
  const edit = row.getByTestId('user-form');
  await expect(edit.getByTestId('user-username')).toBeDisabled();
  await expect(edit.getByTestId('user-password')).toHaveCount(0);
  await edit.getByTestId('user-enabled').uncheck();
  await edit.getByTestId('user-limited').uncheck();
  await edit.getByTestId('user-save').click();
  await expect(row).toHaveAttribute('data-enabled', 'false');
  await expect(row.getByTestId('user-devices')).toHaveCount(0);

  // The last administrator cannot be erased: said on the row, nothing sent.
  const adminRow = section.locator(`[data-testid="user-row"][data-username="${ADMIN.username}"]`);
  await adminRow.getByTestId('user-delete').click();
  await adminRow.getByTestId('user-erase').click();
  await expect(section.getByTestId('user-row-error')).toBeVisible();

  // Erased after confirming.
  await row.getByTestId('user-delete').click();
  await row.getByTestId('user-erase').click();
  await expect(row).toHaveCount(0);

  // The other roles, through the API with the administrator's session.
  const devices = await (await page.request.get('/api/devices')).json();
  const flat = devices.find((device: { name: string }) => device.name === 'Flat 1');
  expect(flat).toBeTruthy();
  const base = { pages: [], enabled: true, devices: null };
  await createUser(page.request, { ...base, ...users.installer, role: 'installer' });
  await createUser(page.request, { ...base, ...users.greenUp, role: 'green_up' });
  await createUser(page.request, { ...base, ...users.user, role: 'user' });
  await createUser(page.request, { ...base, ...users.custom, role: 'custom', pages: ['panel_board', 'consumption'] });
  await createUser(page.request, { ...base, ...users.tenant, role: 'user', devices: [flat.id] });
  await createUser(page.request, { ...base, ...users.disabled, role: 'user', enabled: false });
  await page.reload();
  for (const user of [users.installer, users.greenUp, users.user, users.custom, users.tenant, users.disabled]) {
    await expect(section.locator(`[data-testid="user-row"][data-username="${user.username}"]`)).toBeVisible();
  }
  await expect(
    section.locator(`[data-testid="user-row"][data-username="${users.tenant.username}"]`).getByTestId('user-devices'),
  ).toContainText('Flat 1');
  await expectNoHorizontalScroll(page);
  await page.screenshot({ path: testInfo.outputPath('users.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('each role sees exactly its menu and is refused the rest', async ({ page }, testInfo) => {
  // No refused request at all: what a role may not open is never asked for.
  const errors = watchErrors(page);
  const users = accounts(testInfo.project.name);
  const cases = [
    { user: users.installer, nav: ['nav-home', 'nav-panel', 'nav-consumption', 'nav-config'], refused: ['/server'] },
    { user: users.greenUp, nav: NAV, refused: [] },
    { user: users.user, nav: ['nav-home', 'nav-consumption'], refused: ['/config', '/panel', '/server', '/devices/1', '/diagnostics'] },
    { user: users.custom, nav: ['nav-home', 'nav-panel', 'nav-consumption'], refused: ['/config', '/config/installation', '/server'] },
    { user: users.tenant, nav: ['nav-home', 'nav-consumption'], refused: ['/panel', '/config'] },
  ];
  for (const { user, nav, refused } of cases) {
    await loginAs(page, user);
    await expect(page.getByTestId('home-welcome')).toContainText(user.username);
    await expectNav(page, nav);
    // The home page's tiles follow the same pages.
    await expect(page.getByTestId('home-panel-link')).toHaveCount(nav.includes('nav-panel') ? 1 : 0);
    await expect(page.getByTestId('home-config-link')).toHaveCount(nav.includes('nav-config') ? 1 : 0);
    await expect(page.getByTestId('home-server-link')).toHaveCount(nav.includes('nav-server') ? 1 : 0);
    await expectNoHorizontalScroll(page);
    for (const path of refused) {
      await expectNotAllowed(page, path);
      await expectNav(page, nav);
    }
    if (user === users.user) {
      await page.screenshot({ path: testInfo.outputPath('user-not-allowed.png'), fullPage: true });
      await page.getByTestId('not-allowed-home').click();
      await expect(page.getByTestId('home-consumption-link')).toBeVisible();
    }
    if (user === users.greenUp) {
      // greenUp manages users too.
      await page.getByTestId('nav-server').click();
      await expect(page.getByTestId('users-section')).toBeVisible();
    }
    await logout(page);
  }
  expect(errors).toEqual([]);
});

test('a tenant sees only its own device', async ({ page }, testInfo) => {
  const errors = watchErrors(page);
  const { tenant } = accounts(testInfo.project.name);
  await loginAs(page, tenant);
  await page.getByTestId('nav-consumption').click();
  await page.getByTestId('consumption-nav-details').click();
  const choices = page.getByTestId('details-device').locator('option');
  await expect(choices).toHaveCount(1);
  await expect(choices.first()).toContainText('Flat 1');
  const scopes = await (await page.request.get('/api/consumption/scopes')).json();
  expect(scopes.devices.map((device: { name: string }) => device.name)).toEqual(['Flat 1']);
  await expectNoHorizontalScroll(page);
  await logout(page);
  expect(errors).toEqual([]);
});

test('the logout dialog logs out, locks or cancels; a PIN unlocks and live values come back', async ({ page }, testInfo) => {
  // 401: a wrong PIN; 423: calls made while locked by the API.
  const errors = watchErrors(page, [401, 423]);
  const { custom } = accounts(testInfo.project.name);
  await loginAs(page, custom);

  // My account, from the user's name: choose a PIN (the password is asked for it).
  await page.getByTestId('current-user').click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('account-pin-state')).toHaveAttribute('data-has-pin', 'false');
  await page.getByTestId('account-pin-new').fill('12');
  await page.getByTestId('account-pin-save').click();
  await expect(page.getByTestId('error-pin-password')).toBeVisible();
  await page.getByTestId('account-pin-password').fill(PASSWORD);
  await page.getByTestId('account-pin-save').click();
  await expect(page.getByTestId('error-pin')).toBeVisible();
  await page.getByTestId('account-pin-new').fill('2468');
  await page.getByTestId('account-pin-save').click();
  await expect(page.getByTestId('account-pin-state')).toHaveAttribute('data-has-pin', 'true');
  await expectNoHorizontalScroll(page);

  // The panel board with its live values.
  await page.getByTestId('nav-panel').click();
  const values = async () => (await page.getByTestId('device-main-value').allTextContents()).join('|');
  await expect(page.getByTestId('device-card').first()).toBeVisible();
  await expect.poll(values).toMatch(/\d/);

  // Cancel, and Escape, leave things as they were.
  await page.getByTestId('logout').click();
  await expect(page.getByTestId('logout-dialog')).toBeVisible();
  await page.getByTestId('logout-cancel').click();
  await expect(page.getByTestId('logout-dialog')).toHaveCount(0);
  await page.getByTestId('logout').click();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('logout-dialog')).toHaveCount(0);

  // Lock: the lock screen covers everything and asks for the PIN on the number pad.
  await page.getByTestId('logout').click();
  await page.getByTestId('logout-lock').click();
  const lock = page.getByTestId('lock-screen');
  await expect(lock).toBeVisible();
  await expect(page.locator('.app-header')).toHaveCount(0);
  await expect(page.getByTestId('device-card')).toHaveCount(0);
  const secret = page.getByTestId('lock-secret');
  await expect(secret).toHaveAttribute('inputmode', 'numeric');
  await expect(secret).toBeFocused();
  const box = await secret.boundingBox();
  expect(box?.height ?? 0).toBeGreaterThanOrEqual(44);
  expect((await page.request.get('/api/devices')).status()).toBe(423);
  await expectNoHorizontalScroll(page);
  await page.screenshot({ path: testInfo.outputPath('lock-screen.png'), fullPage: true });

  await secret.fill('0000');
  await page.getByTestId('lock-unlock').click();
  await expect(page.getByTestId('lock-error')).toHaveAttribute('data-tries-left', '4');
  await secret.fill('2468');
  await page.getByTestId('lock-unlock').click();
  await expect(lock).toHaveCount(0);
  await expect(page).toHaveURL(/\/panel$/);
  // The feed the server closed while locked is open again: values move, no warning.
  const before = await values();
  await expect.poll(values, { timeout: 20_000 }).not.toBe(before);
  await expect(page.getByTestId('live-disconnected')).toHaveCount(0);

  // Locked elsewhere (another tab): the closed feed shows the lock screen here too; the
  // password works as well as the PIN.
  expect((await page.request.post('/api/lock')).status()).toBe(200);
  await expect(lock).toBeVisible({ timeout: 20_000 });
  await page.getByTestId('lock-switch').click();
  await expect(secret).toHaveAttribute('inputmode', 'text');
  await secret.fill(PASSWORD);
  await page.getByTestId('lock-unlock').click();
  await expect(lock).toHaveCount(0);
  await expect(page.getByTestId('device-card').first()).toBeVisible();

  await logout(page);
  expect((await page.request.get('/api/session')).status()).toBe(200);
  expect(await (await page.request.get('/api/session')).json()).toBeNull();
  expect(errors).toEqual([]);
});

test('any locked answer shows the lock screen; five wrong tries close the session', async ({ page }, testInfo) => {
  const errors = watchErrors(page, [401, 423]);
  const { user } = accounts(testInfo.project.name);
  await loginAs(page, user);
  // Locked from elsewhere; this tab does not know until its next call is refused.
  expect((await page.request.post('/api/lock')).status()).toBe(200);
  await page.getByTestId('nav-consumption').click();
  const lock = page.getByTestId('lock-screen');
  await expect(lock).toBeVisible();
  // No PIN: the password, on the ordinary keyboard.
  const secret = page.getByTestId('lock-secret');
  await expect(secret).toHaveAttribute('inputmode', 'text');
  await expect(page.getByTestId('lock-switch')).toHaveCount(0);
  for (const left of ['4', '3', '2', '1']) {
    await secret.fill('not the password');
    await page.getByTestId('lock-unlock').click();
    await expect(page.getByTestId('lock-error')).toHaveAttribute('data-tries-left', left);
  }
  await secret.fill('not the password');
  await page.getByTestId('lock-unlock').click();
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByTestId('login-locked-out')).toBeVisible();
  expect(await (await page.request.get('/api/session')).json()).toBeNull();
  expect(errors).toEqual([]);
});

test('a disabled user cannot log in', async ({ page }, testInfo) => {
  const errors = watchErrors(page, [401]);
  const { disabled } = accounts(testInfo.project.name);
  await page.goto('/login');
  await page.getByTestId('login-username').fill(disabled.username);
  await page.getByTestId('login-password').fill(disabled.password);
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('login-error')).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
  expect(errors).toEqual([]);
});

test('service accounts keep their secrets write-only', async ({ page }) => {
  const errors = watchErrors(page, [400]);
  await login(page);
  await page.goto('/server');
  const services = page.getByTestId('services-section');
  await expect(services.getByTestId('services-form')).toBeVisible();

  // A mail server needs a sender address: refused on its field before sending.
  await services.getByTestId('service-mail-host').fill('smtp.example.com');
  await services.getByTestId('service-mail-sender').fill('');
  await services.getByTestId('services-save').click();
  await expect(services.getByTestId('error-mail-sender')).toBeVisible();
  await services.getByTestId('service-mail-sender').fill('energy@example.com');
  await services.getByTestId('service-mail-port').fill('465');
  await services.getByTestId('service-mail-security').selectOption('tls');
  await services.getByTestId('service-mail-password').fill('mail secret');
  await services.getByTestId('service-telegram-bot-token').fill('123:token');
  await services.getByTestId('services-save').click();
  await expect(services.getByTestId('services-saved')).toBeVisible();
  await expectNoHorizontalScroll(page);

  // Stored, never shown: the field is empty and says so.
  await page.reload();
  await expect(services.getByTestId('service-mail-password-stored')).toBeVisible();
  await expect(services.getByTestId('service-mail-password')).toHaveValue('');
  await expect(services.getByTestId('service-mail-host')).toHaveValue('smtp.example.com');
  const stored = await (await page.request.get('/api/config/services')).json();
  expect(stored.mail.password).toEqual({ set: true });
  expect(stored.telegram.bot_token).toEqual({ set: true });

  // Saving again without typing keeps them; "erase" erases one.
  await services.getByTestId('service-telegram-bot-token-erase').check();
  await services.getByTestId('services-save').click();
  await expect(services.getByTestId('services-saved')).toBeVisible();
  await expect(services.getByTestId('service-telegram-bot-token-stored')).toHaveCount(0);
  await expect(services.getByTestId('service-mail-password-stored')).toBeVisible();
  const after = await (await page.request.get('/api/config/services')).json();
  expect(after.mail.password).toEqual({ set: true });
  expect(after.telegram.bot_token).toEqual({ set: false });
  expect(errors).toEqual([]);
});

test('too many failed logins make the login page wait', async ({ page }, testInfo) => {
  const errors = watchErrors(page, [401, 429]);
  await page.goto('/login');
  const retry = page.getByTestId('login-retry');
  // The first failures are free; then each one doubles the wait (1 s, 2 s, 4 s …). Tried until a
  // wait long enough to look at; the page says how long and keeps the button off meanwhile.
  for (let attempt = 0; attempt < 12; attempt++) {
    await expect(page.getByTestId('login-submit')).toBeEnabled({ timeout: 10_000 });
    await page.getByTestId('login-username').fill(`nobody-${testInfo.project.name}`);
    await page.getByTestId('login-password').fill('not the password');
    const answered = page.waitForResponse((response) => response.url().endsWith('/api/login'));
    await page.getByTestId('login-submit').click();
    const response = await answered;
    if (response.status() === 429 && Number(response.headers()['retry-after']) >= 3) break;
  }
  await expect(retry).toBeVisible();
  await expect(page.getByTestId('login-error')).toContainText('Too many failed logins');
  await expect(page.getByTestId('login-submit')).toBeDisabled();
  // Once the wait is over the right password opens (and forgives this address).
  await expect(page.getByTestId('login-submit')).toBeEnabled({ timeout: 70_000 });
  await page.getByTestId('login-username').fill(ADMIN.username);
  await page.getByTestId('login-password').fill(ADMIN.password);
  await page.getByTestId('login-submit').click();
  await expect(page).toHaveURL(/\/$/);
  expect(errors).toEqual([]);
});
