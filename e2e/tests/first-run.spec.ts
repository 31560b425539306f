import { expect, test } from '@playwright/test';
import { ADMIN, expectNoHorizontalScroll, setupToken, watchErrors } from './helpers';

test('first-run setup refuses bad input, then creates the administrator once', async ({ page, request }) => {
  // The server answers the deliberately bad submissions with 400 and 403.
  const errors = watchErrors(page, [400, 401, 403]);
  const token = setupToken();
  expect(token.length).toBeGreaterThanOrEqual(32);

  await page.goto('/setup');
  await expectNoHorizontalScroll(page);

  // Empty form: each problem is named on its field, nothing is sent.
  await page.getByTestId('setup-submit').click();
  await expect(page.getByTestId('error-token')).toBeVisible();

  const fill = async (values: { token: string; username: string; password: string; confirm: string }) => {
    await page.getByTestId('setup-token').fill(values.token);
    await page.getByTestId('setup-username').fill(values.username);
    await page.getByTestId('setup-password').fill(values.password);
    await page.getByTestId('setup-password-confirm').fill(values.confirm);
    await page.getByTestId('setup-submit').click();
  };

  await fill({ token, username: '', password: ADMIN.password, confirm: ADMIN.password });
  await expect(page.getByTestId('error-username')).toBeVisible();

  await fill({ token, username: 'a'.repeat(33), password: ADMIN.password, confirm: ADMIN.password });
  await expect(page.getByTestId('error-username')).toBeVisible();

  await fill({ token, username: ADMIN.username, password: 'short', confirm: 'short' });
  await expect(page.getByTestId('error-password')).toBeVisible();

  await fill({ token, username: ADMIN.username, password: ADMIN.password, confirm: 'something else' });
  await expect(page.getByTestId('error-password-confirm')).toBeVisible();

  // A wrong token is refused by the server.
  await fill({ token: 'deadbeefdeadbeefdeadbeef', username: ADMIN.username, password: ADMIN.password, confirm: ADMIN.password });
  await expect(page.getByTestId('error-token')).toBeVisible();

  // None of that changed anything.
  expect((await (await request.get('/api/health')).json()).setup_required).toBe(true);

  // The printed link pre-fills the token.
  await page.goto(`/setup?token=${token}`);
  await expect(page.getByTestId('setup-token')).toHaveValue(token);
  await page.getByTestId('setup-username').fill(ADMIN.username);
  await page.getByTestId('setup-password').fill(ADMIN.password);
  await page.getByTestId('setup-password-confirm').fill(ADMIN.password);
  await page.getByTestId('setup-submit').click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('home-welcome')).toContainText(ADMIN.username);

  // The token works once.
  const again = await request.post('/api/setup', {
    data: { token, username: 'eve', password: 'another long password' },
  });
  expect(again.status()).toBe(409);
  expect((await (await request.get('/api/health')).json()).setup_required).toBe(false);

  expect(errors).toEqual([]);
});
