import { expect, test } from '@playwright/test';
import { expectNoHorizontalScroll, login, watchErrors } from './helpers';

const MODULE = 'Boiler room I/O';

/** Opens the device page of the simulated I/O module from My panel board. */
async function openModule(page: import('@playwright/test').Page) {
  await page.getByTestId('nav-panel').click();
  await page.getByTestId('device-card').filter({ hasText: MODULE }).click();
  await expect(page).toHaveURL(/\/devices\/\d+/);
  await expect(page.getByTestId('device-title')).toContainText(MODULE);
}

test('switch and pulse the I/O module relays from its page, and label an output', async ({ page }, testInfo) => {
  const errors = watchErrors(page);
  await login(page);
  await openModule(page);

  // Inputs with their states, outputs with their NO/NC wiring read from the module.
  const inputs = page.getByTestId('io-inputs');
  await expect(inputs).toBeVisible();
  await expect(inputs.getByTestId('input-state-digital_input.1')).toHaveText(/Open|Closed/);
  const outputs = page.getByTestId('io-outputs');
  await expect(outputs.getByTestId('output-normal-1')).toHaveText('NO');
  await expect(outputs.getByTestId('output-normal-2')).toHaveText('NC');

  // Relay 1 (normally open): on, then off; the state shown is the one read back.
  const state1 = outputs.getByTestId('output-state-1');
  await outputs.getByTestId('output-on-1').click();
  await expect(outputs.getByTestId('output-answer-1')).toContainText('switched on');
  await expect(state1).toHaveText('On');
  await outputs.getByTestId('output-off-1').click();
  await expect(outputs.getByTestId('output-answer-1')).toContainText('switched off');
  await expect(state1).toHaveText('Off');

  // Relay 2 (normally closed): "off" energises its coil to open the contact.
  const state2 = outputs.getByTestId('output-state-2');
  await outputs.getByTestId('output-off-2').click();
  await expect(outputs.getByTestId('output-answer-2')).toContainText('normally closed relay energised');
  await expect(state2).toHaveText('Off');
  await outputs.getByTestId('output-on-2').click();
  await expect(state2).toHaveText('On');

  // A pulse: on at once, off again by itself after its ON time.
  await outputs.getByTestId('output-pulse-ms-1').fill('1500');
  await outputs.getByTestId('output-pulse-1').click();
  await expect(outputs.getByTestId('output-answer-1')).toContainText('off again in 1500 ms');
  await expect(state1).toHaveText('On');
  await expect(state1).toHaveText('Off', { timeout: 15_000 });
  // An ON time out of range is refused before it is sent.
  await outputs.getByTestId('output-pulse-ms-1').fill('20');
  await outputs.getByTestId('output-pulse-1').click();
  await expect(outputs.getByTestId('output-answer-1')).toContainText('between 100 ms and 600000 ms');
  await expectNoHorizontalScroll(page);
  await page.screenshot({ path: testInfo.outputPath('io-module.png'), fullPage: true });

  // A custom label, set in the device form's advanced section, shows on the device page.
  const label = `Pump ${testInfo.project.name}`;
  await page.getByTestId('nav-config').click();
  const row = page.getByTestId('config-device-row').filter({ hasText: MODULE });
  await row.getByTestId('device-edit').click();
  const form = page.getByTestId('device-form');
  // The advanced section starts open once the device has labels (the other project's run).
  const advanced = form.locator('details.config-advanced');
  if (!(await advanced.evaluate((details) => (details as HTMLDetailsElement).open))) {
    await form.getByTestId('device-advanced').click();
  }
  const field = form.getByTestId('device-label-output.1');
  await field.fill(label);
  await form.getByTestId('device-save').click();
  await expect(form).toHaveCount(0);
  await openModule(page);
  await expect(page.getByTestId('output-label-1')).toHaveText(label);
  await expect(page.getByTestId('output-label-2')).toHaveText('Relay output 2');

  expect(errors).toEqual([]);
});
