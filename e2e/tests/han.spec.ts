import { expect, test } from '@playwright/test';
import { expectNoHorizontalScroll, login, watchErrors } from './helpers';

// The simulator's smart meters (see e2e/start-server.sh: their "hour" lasts 20 s, so hourly
// totals arrive while the tests run).
const HAN_GATEWAY = 'HAN meter';
const HAN_DEVICE = 'Utility meter (HAN)';
const P1_GATEWAY = 'P1 meter';
const P1_DEVICE = 'Utility meter (P1)';

test('smart meters on My panel board: live values, estimated energy moving between hourly totals', async ({ page }, testInfo) => {
  const errors = watchErrors(page);
  await login(page);
  await page.getByTestId('nav-panel').click();
  await expect(page).toHaveURL(/\/panel/);

  const cards = page.getByTestId('device-card');
  await page.getByTestId('gateway-select').selectOption({ label: HAN_GATEWAY });
  await expect(cards).toHaveCount(1);
  const han = cards.filter({ hasText: HAN_DEVICE });
  await expect(han.getByTestId('device-status')).toHaveAttribute('data-status', 'on', { timeout: 30_000 });

  // Power follows the meter's list 1 (every 2 s) without a reload.
  const power = han.getByTestId('device-main-value');
  await expect(power).toContainText('W');
  const powerBefore = await power.textContent();
  await expect.poll(() => power.textContent(), { timeout: 15_000 }).not.toBe(powerBefore);

  // Once a real total has come, the estimate shows, marked, and moves between totals.
  const estimate = han.getByTestId('device-estimated-value');
  await expect(estimate).toBeVisible({ timeout: 30_000 });
  await expect(han.getByTestId('estimated-mark')).toBeVisible();
  await expect(estimate).toContainText('Wh');
  const wh = async () => Number(await estimate.getAttribute('data-wh'));
  const whBefore = await wh();
  expect(whBefore).toBeGreaterThan(52_000_000);
  await expect.poll(wh, { timeout: 20_000 }).toBeGreaterThan(whBefore);
  await expect(han.getByTestId('device-energy-value')).toContainText('Wh');
  await expectNoHorizontalScroll(page);
  await page.screenshot({ path: testInfo.outputPath('han-panel.png'), fullPage: true });

  // The device page lists the metered and the estimated totals apart, the estimate marked.
  await han.click();
  await expect(page).toHaveURL(/\/devices\/\d+/);
  await expect(page.getByTestId('device-title')).toContainText(HAN_DEVICE);
  await expect(page.getByTestId('value-active_power')).toContainText('W');
  await expect(page.getByTestId('value-voltage_l1')).toContainText('V');
  await expect(page.getByTestId('value-current_l1')).toContainText('A');
  await expect(page.getByTestId('value-active_energy_import')).toContainText('Wh');
  await expect(page.getByTestId('value-active_energy_import_estimated')).toContainText('Wh');
  await expect(page.getByTestId('estimated-mark').first()).toBeVisible();
  await expectNoHorizontalScroll(page);
  await page.screenshot({ path: testInfo.outputPath('han-device.png'), fullPage: true });
  await page.getByTestId('back-to-panel').click();

  // The P1 meter sends its totals in every telegram.
  await page.getByTestId('gateway-select').selectOption({ label: P1_GATEWAY });
  await expect(cards).toHaveCount(1);
  const p1 = cards.filter({ hasText: P1_DEVICE });
  await expect(p1.getByTestId('device-status')).toHaveAttribute('data-status', 'on', { timeout: 30_000 });
  await expect(p1.getByTestId('device-main-value')).toContainText('W');
  await expect(p1.getByTestId('device-energy-value')).toContainText('Wh');

  expect(errors).toEqual([]);
});

test('an installer declares a smart meter port and its one meter; a port that is not there says so', async ({ page }, testInfo) => {
  const errors = watchErrors(page, [400]);
  const suffix = testInfo.project.name;
  const gatewayName = `Basement P1 ${suffix}`;
  const meterName = `Basement meter ${suffix}`;

  await login(page);
  await page.getByTestId('nav-config').click();
  await expect(page).toHaveURL(/\/config/);

  await page.getByTestId('han-gateway-add').click();
  const form = page.getByTestId('gateway-form');
  await expect(form.getByTestId('gateway-han-note')).toBeVisible();
  // M-Bus HAN first, 2400 8E1; P1 brings 115200 8N1.
  await expect(form.getByTestId('gateway-protocol')).toHaveValue('dlms_hdlc');
  await expect(form.getByTestId('gateway-baud')).toHaveValue('2400');
  await expect(form.getByTestId('gateway-parity')).toHaveValue('even');
  await form.getByTestId('gateway-protocol').selectOption('p1');
  await expect(form.getByTestId('gateway-baud')).toHaveValue('115200');
  await expect(form.getByTestId('gateway-parity')).toHaveValue('none');
  await expect(form.getByTestId('gateway-timeout')).toHaveCount(0);

  // A path that is not a device path is refused on its field.
  await form.getByTestId('gateway-name').fill(gatewayName);
  await form.getByTestId('gateway-serial-port').fill('ttyUSB0');
  await form.getByTestId('gateway-save').click();
  await expect(page.getByTestId('error-serial_port')).toBeVisible();
  await form.getByTestId('gateway-serial-port').fill(`/dev/ttyP1-not-plugged-${suffix}`);
  await form.getByTestId('gateway-save').click();

  const card = page.getByTestId('gateway-card').filter({ hasText: gatewayName });
  await expect(card).toHaveCount(1);
  await expect(card).toHaveAttribute('data-kind', 'han');
  await expect(card).toContainText('P1 port (DSMR)');

  // Only P1 meters are offered, and there is no address to give.
  await card.getByTestId('device-add').click();
  const deviceForm = page.getByTestId('device-form');
  await expect(deviceForm.getByTestId('device-family').locator('option')).toHaveCount(1);
  await expect(deviceForm.getByTestId('device-family')).toHaveValue('p1_meter');
  await expect(deviceForm.getByTestId('device-model')).toHaveValue('p1-meter');
  await expect(deviceForm.getByTestId('device-address')).toHaveCount(0);
  await expect(deviceForm.getByTestId('device-han-note')).toBeVisible();
  await deviceForm.getByTestId('device-name-input').fill(meterName);
  await deviceForm.getByTestId('device-save').click();
  await expect(card.getByTestId('config-device-row').filter({ hasText: meterName })).toHaveCount(1);
  // One meter per port.
  await expect(card.getByTestId('device-add')).toHaveCount(0);
  await expect(card.getByTestId('han-full')).toBeVisible();
  await expectNoHorizontalScroll(page);
  await page.screenshot({ path: testInfo.outputPath('han-config.png'), fullPage: true });

  // The port does not exist: the meter shows a communication error naming it.
  await page.getByTestId('nav-panel').click();
  await page.getByTestId('gateway-select').selectOption({ label: gatewayName });
  const meter = page.getByTestId('device-card').filter({ hasText: meterName });
  await expect(meter.getByTestId('device-status')).toHaveAttribute('data-status', 'communication_error', {
    timeout: 20_000,
  });
  await meter.click();
  await expect(page.getByTestId('device-last-error')).toContainText(`/dev/ttyP1-not-plugged-${suffix}`);

  // Leave the installation as it was.
  const config = await (await page.request.get('/api/config')).json();
  const gateway = config.gateways.find((g: { name: string }) => g.name === gatewayName);
  for (const device of config.devices.filter((d: { gateway: number }) => d.gateway === gateway.id)) {
    expect((await page.request.delete(`/api/config/devices/${device.id}`)).status()).toBe(204);
  }
  expect((await page.request.delete(`/api/config/gateways/${gateway.id}`)).status()).toBe(204);

  expect(errors).toEqual([]);
});
