// Loads, measure groups, panel boards and the sample rate (§7.16.2, §7.16.4), as an installer
// uses them: add, refuse a bad entry on its field, rename, switch off, assign a device to a group,
// erase. Runs at phone and desktop width; each run cleans up after itself.
import { expect, test } from '@playwright/test';
import { expectNoHorizontalScroll, login, watchErrors } from './helpers';

test('an installer describes the installation with loads, groups and panel boards', async ({ page }, testInfo) => {
  // Refused entries answer 400 on purpose.
  const errors = watchErrors(page, [400]);
  const suffix = testInfo.project.name;
  const load = `Kitchen ${suffix}`;
  const group = `Floor ${suffix}`;
  const board = `Basement ${suffix}`;

  await login(page);
  await page.goto('/config');
  await page.getByTestId('nav-installation').click();
  await expect(page).toHaveURL(/\/config\/installation$/);

  // The predefined loads are there and cannot be erased, only switched off.
  const loads = page.getByTestId('load-section');
  await expect(loads.getByTestId('load-heating')).toBeVisible();
  await expect(loads.getByTestId('load-heating').getByTestId('item-delete')).toHaveCount(0);

  // A load: an empty name is refused on its field in the browser, then a good one is added.
  await loads.getByTestId('load-save').click();
  await expect(page.getByTestId('load-name-error')).toBeVisible();
  await loads.getByTestId('load-name').fill(load);
  await loads.getByTestId('load-save').click();
  const loadRow = loads.locator('li', { hasText: load });
  await expect(loadRow).toBeVisible();
  // The same name again is refused.
  await loads.getByTestId('load-name').fill(load.toUpperCase());
  await loads.getByTestId('load-save').click();
  await expect(page.getByTestId('load-name-error')).toBeVisible();
  await loads.getByTestId('load-name').fill('');

  // A group, renamed afterwards.
  const groups = page.getByTestId('group-section');
  await groups.getByTestId('group-name').fill(`${group} draft`);
  await groups.getByTestId('group-description').fill('East wing');
  await groups.getByTestId('group-save').click();
  const draftRow = groups.locator('li', { hasText: `${group} draft` });
  await expect(draftRow).toBeVisible();
  await draftRow.getByTestId('item-edit').click();
  await groups.getByTestId('group-name').fill(group);
  await groups.getByTestId('group-save').click();
  const groupRow = groups.locator('li', { hasText: group });
  await expect(groupRow).toBeVisible();
  await expect(groups.locator('li', { hasText: `${group} draft` })).toHaveCount(0);

  // A panel board holding the Local gateway.
  const boards = page.getByTestId('board-section');
  await boards.getByTestId('board-name').fill(board);
  await boards.getByTestId('board-gateway-1').check();
  await boards.getByTestId('board-save').click();
  const boardRow = boards.locator('li', { hasText: board });
  await expect(boardRow).toBeVisible();
  await expect(boardRow).toContainText('Local');

  // Switching a load off keeps it listed, marked off.
  await loadRow.getByTestId('item-switch').click();
  await expect(loadRow).toHaveAttribute('data-enabled', 'false');

  // The sample rate.
  await page.getByTestId('sample-minutes').selectOption('15');
  await page.getByTestId('recording-save').click();
  await expect(page.getByTestId('recording-saved')).toBeVisible();
  await expectNoHorizontalScroll(page);

  // The group is offered in a device's settings and kept when saved.
  await page.goto('/config');
  await page.getByTestId('device-edit').first().click();
  const groupBox = page.getByTestId('device-groups').getByRole('checkbox', { name: group });
  await groupBox.check();
  await page.getByTestId('device-save').click();
  await expect(page.getByTestId('device-save')).toHaveCount(0);
  // As saved on the server, not as the page last had it.
  await page.reload();
  await page.getByTestId('device-edit').first().click();
  await expect(page.getByTestId('device-groups').getByRole('checkbox', { name: group })).toBeChecked();
  await page.getByTestId('device-cancel').click();

  // Clean up: erase what this run made; the device leaves the erased group.
  await page.goto('/config/installation');
  for (const [section, name] of [
    ['load-section', load],
    ['group-section', group],
    ['board-section', board],
  ]) {
    const row = page.getByTestId(section).locator('li', { hasText: name });
    await row.getByTestId('item-delete').click();
    await row.getByTestId('item-erase').click();
    await expect(page.getByTestId(section).locator('li', { hasText: name })).toHaveCount(0);
  }
  await page.getByTestId('sample-minutes').selectOption('10');
  await page.getByTestId('recording-save').click();
  await expect(page.getByTestId('recording-saved')).toBeVisible();

  expect(errors).toEqual([]);
});
