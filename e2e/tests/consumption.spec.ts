// The consumption pages (§8.2.2) at the project's width: every page shows its histogram or table
// without horizontal scroll and with tap targets of 44 px; the advanced view (§8.2.2.6) fills
// the screen, browses with previous/next and the date picker, and its datalogger.csv holds the
// same numbers as the bars shown. The server runs with --demo-history (two years of data).
import { expect, Page, test } from '@playwright/test';
import * as fs from 'fs';
import { expectNoHorizontalScroll, login, watchErrors } from './helpers';

/**
 * Waits until the demo history is in: today's grand total has data. The history is written
 * oldest first and ends at today's readings (a debug server takes most of a minute), so this
 * year's total has data long before today's has.
 */
async function waitForHistory(page: Page) {
  await expect
    .poll(
      async () => {
        const response = await page.request.get('/api/consumption?scope=total&period=day');
        if (!response.ok()) return null;
        return (await response.json()).total;
      },
      { timeout: 120_000, intervals: [1_000] },
    )
    .not.toBeNull();
}

async function expectTapTargets(page: Page, selector: string) {
  const boxes = await page.locator(selector).evaluateAll((elements) =>
    elements
      .filter((element) => (element as HTMLElement).offsetParent !== null)
      .map((element) => {
        const box = element.getBoundingClientRect();
        return { text: element.textContent?.trim(), width: box.width, height: box.height };
      }),
  );
  expect(boxes.length).toBeGreaterThan(0);
  for (const box of boxes) {
    expect(box.height, `${box.text} height`).toBeGreaterThanOrEqual(44);
    expect(box.width, `${box.text} width`).toBeGreaterThanOrEqual(44);
  }
}

/** The bars' raw values (base unit, Wh or m³) and local starts, as the page exposes them. */
async function bars(page: Page) {
  return page.getByTestId('histogram-0').getByTestId('bar').evaluateAll((elements) =>
    elements.map((element) => ({
      local: element.getAttribute('data-local') ?? '',
      value: element.getAttribute('data-value') ?? '',
    })),
  );
}

async function shownDate(page: Page) {
  return page.getByTestId('histogram-0').getByTestId('consumption-summary').getAttribute('data-date');
}

test('every consumption page shows its data at this width', async ({ page }) => {
  const errors = watchErrors(page);
  await login(page);
  await waitForHistory(page);

  await page.getByTestId('nav-consumption').click();
  await expect(page).toHaveURL(/\/consumption$/);
  await expect(page.getByTestId('consumption')).toHaveAttribute('data-view', 'total');

  // Grand total: this year per month has data, split by load with a legend.
  await page.getByTestId('period-year').click();
  const total = page.getByTestId('histogram-0');
  await expect(total.getByTestId('bar')).toHaveCount(12);
  await expect(total.getByTestId('legend-load').first()).toBeVisible();
  await expect(total.getByTestId('total-value')).toHaveText(/\d.*(Wh|kWh|MWh)$/);
  await expectNoHorizontalScroll(page);
  await expectTapTargets(page, '.segmented__item, .consumption-nav a, [data-testid="advanced-toggle"]');
  for (const [period, minimum, maximum] of [
    ['day', 23, 25],
    ['month', 28, 31],
    ['year', 12, 12],
  ] as const) {
    await page.getByTestId(`period-${period}`).click();
    await expect(page.getByTestId(`period-${period}`)).toHaveAttribute('aria-pressed', 'true');
    await expect
      .poll(async () => {
        const count = await total.getByTestId('bar').count();
        return count >= minimum && count <= maximum;
      })
      .toBe(true);
    // The table lists the same values as the bars.
    const barValues = (await bars(page)).map((bar) => bar.value);
    const rowValues = await total
      .getByTestId('histogram-row')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-value') ?? ''));
    expect(rowValues).toEqual(barValues);
  }

  // Overall: electricity, gas and water in their units.
  await page.getByTestId('consumption-nav-overall').click();
  await expect(page.getByTestId('consumption')).toHaveAttribute('data-view', 'overall');
  await expect(page.getByTestId('overall-row')).toHaveCount(3);
  const electricity = page.locator('[data-testid="overall-row"][data-commodity="electricity"]');
  await expect(electricity).not.toHaveAttribute('data-total', '');
  await expect(electricity.locator('td').first()).toHaveText(/Wh/);
  const water = page.locator('[data-testid="overall-row"][data-commodity="water"]');
  await expect(water.locator('td').first()).toHaveText(/m³|no data/);
  await expectNoHorizontalScroll(page);

  // Partials: a load of the installation.
  await page.getByTestId('consumption-nav-partials').click();
  await expect(page.getByTestId('consumption')).toHaveAttribute('data-view', 'partials');
  const scope = page.getByTestId('partials-scope');
  await expect(scope.locator('option').first()).toBeAttached();
  const loadOption = scope.locator('option[value^="load/"]').first();
  await scope.selectOption(await loadOption.getAttribute('value') ?? '');
  await page.getByTestId('period-year').click();
  await expect(page.getByTestId('histogram-0').getByTestId('consumption-summary')).toBeVisible();
  await expectNoHorizontalScroll(page);

  // Compare: two devices of one commodity, two histograms.
  await page.getByTestId('consumption-nav-compare').click();
  await expect(page.getByTestId('consumption')).toHaveAttribute('data-view', 'compare');
  await expect(page.getByTestId('histogram-0').getByTestId('consumption-summary')).toBeVisible();
  await expect(page.getByTestId('histogram-1').getByTestId('consumption-summary')).toBeVisible();
  const first = await page.getByTestId('compare-first').inputValue();
  const second = await page.getByTestId('compare-second').inputValue();
  expect(first).not.toEqual(second);
  await expectNoHorizontalScroll(page);

  // Details: a device's consumption and the statistics of what it measures.
  await page.getByTestId('consumption-nav-details').click();
  await expect(page.getByTestId('consumption')).toHaveAttribute('data-view', 'details');
  await expect(page.getByTestId('histogram-0').getByTestId('consumption-summary')).toBeVisible();
  const statistics = page.getByTestId('statistics-row');
  await expect(statistics.first()).toBeVisible({ timeout: 30_000 });
  const power = page.locator('[data-testid="statistics-row"][data-quantity="active_power"]');
  if (await power.count()) {
    const [min, mean, max] = await Promise.all(
      ['data-min', 'data-mean', 'data-max'].map(async (name) => Number(await power.getAttribute(name))),
    );
    expect(min).toBeLessThanOrEqual(mean);
    expect(mean).toBeLessThanOrEqual(max);
  }
  await expectNoHorizontalScroll(page);
  expect(errors).toEqual([]);
});

test('the advanced view browses periods and its datalogger.csv matches the bars', async ({ page }) => {
  const errors = watchErrors(page);
  await login(page);
  await waitForHistory(page);
  await page.goto('/consumption/total');
  await page.getByTestId('advanced-toggle').click();

  // Full screen: the view covers the viewport.
  const frame = await page.getByTestId('consumption').boundingBox();
  const viewport = page.viewportSize();
  expect(frame?.width).toBe(viewport?.width);
  expect(frame?.height).toBe(viewport?.height);
  await expectTapTargets(page, '.segmented__item, [data-testid="previous-period"], [data-testid="next-period"], [data-testid="advanced-toggle"]');

  // Per day of a month, then previous / next.
  await page.getByTestId('period-month').click();
  await expect(page.getByTestId('histogram-0').getByTestId('bar').first()).toBeAttached();
  const thisMonth = await shownDate(page);
  expect(thisMonth).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  await page.getByTestId('previous-period').click();
  await expect.poll(() => shownDate(page)).not.toEqual(thisMonth);
  const previousMonth = (await shownDate(page)) ?? '';
  expect(previousMonth.slice(0, 7) < (thisMonth ?? '').slice(0, 7)).toBe(true);
  await page.getByTestId('next-period').click();
  await expect.poll(() => shownDate(page)).toEqual(thisMonth);

  // The date picker: a month a year ago, inside the demo history.
  const year = Number((thisMonth ?? '').slice(0, 4)) - 1;
  const picked = `${year}-06-15`;
  // fill() sends input and change, as a user's pick does.
  await page.getByTestId('date-picker').fill(picked);
  await expect.poll(() => shownDate(page)).toEqual(picked);
  await expect(page.getByTestId('histogram-0').getByTestId('bar')).toHaveCount(30);
  await expect(page.getByTestId('histogram-0').getByTestId('no-data')).toHaveCount(0);

  // datalogger.csv of the month shown: one row per bar, the same values (kWh, three decimals,
  // the default separators: semicolon and decimal comma).
  const shown = await bars(page);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('download-csv-0').click(),
  ]);
  expect(download.suggestedFilename()).toBe('datalogger.csv');
  const file = await download.path();
  const lines = fs.readFileSync(file, 'utf8').trim().split(/\r\n/);
  expect(lines[0].split(';').slice(0, 2)).toEqual(['time', 'consumption (kWh)']);
  const rows = lines.slice(1).map((line) => line.split(';'));
  expect(rows.length).toBe(shown.length);
  rows.forEach((row, index) => {
    expect(row[0]).toBe(shown[index].local.replace('T', ' '));
    if (shown[index].value === '') {
      expect(row[1]).toBe('');
    } else {
      expect(row[1]).toMatch(/^\d+,\d{3}$/);
      const kwh = Number(row[1].replace(',', '.'));
      expect(Math.abs(kwh * 1000 - Number(shown[index].value))).toBeLessThanOrEqual(0.5);
    }
  });

  // Ten years, per year.
  await page.getByTestId('period-decade').click();
  await expect(page.getByTestId('histogram-0').getByTestId('bar')).toHaveCount(10);
  await expectNoHorizontalScroll(page);

  // Closing returns to the standard view of the current period.
  await page.getByTestId('advanced-toggle').click();
  await expect(page.getByTestId('period-decade')).toHaveCount(0);
  await expect(page.getByTestId('consumption-nav-total')).toBeVisible();
  expect(errors).toEqual([]);
});

test('the CSV separators chosen on the installation page shape datalogger.csv', async ({ page }) => {
  const errors = watchErrors(page);
  await login(page);
  await page.goto('/config/installation');
  const section = page.getByTestId('csv-section');
  await expect(section).toBeVisible();
  // A comma for both is refused on the spot, on the decimal separator.
  await section.getByTestId('csv-field-separator').selectOption(',');
  await section.getByTestId('csv-save').click();
  await expect(section.getByTestId('csv-decimal-separator-error')).toBeVisible();
  await section.getByTestId('csv-decimal-separator').selectOption('.');
  await section.getByTestId('csv-save').click();
  await expect(section.getByTestId('csv-saved')).toBeVisible();
  await expectNoHorizontalScroll(page);

  const csv = await (await page.request.get('/api/consumption/datalogger.csv?scope=total&period=year')).text();
  expect(csv.split('\r\n')[0]).toMatch(/^time,consumption \(kWh\)(,[^,]+ \(kWh\))*$/);
  expect(csv).toMatch(/\r\n\d{4}-\d{2}-01 00:00,\d+\.\d{3}/);

  // Back to the defaults (semicolon, decimal comma) for the next project's run.
  await section.getByTestId('csv-field-separator').selectOption(';');
  await section.getByTestId('csv-decimal-separator').selectOption(',');
  await section.getByTestId('csv-save').click();
  await expect(section.getByTestId('csv-saved')).toBeVisible();
  expect(errors).toEqual([]);
});

test('Overall shows a pie per commodity, split by load in units, legible at this width', async ({ page }) => {
  const errors = watchErrors(page);
  await login(page);
  await waitForHistory(page);
  await page.goto('/consumption/overall');
  await page.getByTestId('period-year').click();
  const rows = page.getByTestId('overall-row');
  await expect(rows).toHaveCount(3);
  const pies = page.getByTestId('overall-pie');
  // One pie per row of the table, the same commodities in the same order.
  await expect(pies).toHaveCount(3);
  const commodities = (element: string) =>
    page.getByTestId(element).evaluateAll((items) => items.map((item) => item.getAttribute('data-commodity')));
  expect(await commodities('overall-pie')).toEqual(await commodities('overall-row'));

  // Electricity: this year has data, its slices are the loads and add up to the table's total.
  const electricity = page.locator('[data-testid="overall-pie"][data-commodity="electricity"]');
  const row = page.locator('[data-testid="overall-row"][data-commodity="electricity"]');
  await expect(electricity.getByTestId('pie-slice').first()).toBeVisible();
  const total = Number(await row.getAttribute('data-total'));
  expect(total).toBeGreaterThan(0);
  expect(Number(await electricity.getAttribute('data-total'))).toBe(total);
  const slices = await electricity.getByTestId('pie-slice').evaluateAll((items) =>
    items.map((item) => ({
      load: item.getAttribute('data-load') ?? '',
      value: Number(item.getAttribute('data-value')),
      text: item.textContent ?? '',
    })),
  );
  const sum = slices.reduce((sum, slice) => sum + slice.value, 0);
  expect(Math.abs(sum - total)).toBeLessThanOrEqual(1e-6 * total);
  for (const slice of slices) {
    expect(slice.value).toBeGreaterThan(0);
    // In units, with the share.
    expect(slice.text).toMatch(/\d (Wh|kWh|MWh) · \d+ %/);
  }
  // Largest first, as the ring turns.
  expect(slices.map((slice) => slice.value)).toEqual([...slices.map((slice) => slice.value)].sort((a, b) => b - a));
  // The same loads as the grand total's stacks of the year.
  const grandTotal = await (await page.request.get('/api/consumption?scope=total&period=year')).json();
  expect(slices.map((slice) => slice.load).sort()).toEqual(
    grandTotal.stacks.map((stack: { load: string }) => stack.load).sort(),
  );

  // The drawing: charts-rs's SVG, a slice per load, named for screen readers and on hover.
  const pie = electricity.locator('.pie');
  await expect(pie).toHaveAttribute('role', 'img');
  const label = (await pie.getAttribute('aria-label')) ?? '';
  expect(label).toMatch(/^Electricity by load: /);
  expect(await pie.getAttribute('title')).toBe(label);
  expect(label.split(', ')).toHaveLength(slices.length);
  const svg = pie.locator('svg');
  await expect(svg).toBeVisible();
  expect(await svg.locator('path').count()).toBeGreaterThanOrEqual(slices.length);

  // Legible at this width: inside the viewport, drawn near its full size (its 15 px labels at
  // 12 px or more), the legend's text at 12 px or more.
  const viewport = page.viewportSize()!;
  const box = (await svg.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
  expect((box.width / 300) * 15).toBeGreaterThanOrEqual(12);
  const fontSize = await electricity
    .getByTestId('pie-slice')
    .first()
    .evaluate((item) => parseFloat(getComputedStyle(item).fontSize));
  expect(fontSize).toBeGreaterThanOrEqual(12);
  // Beside the table on a desktop, below it on a phone.
  const table = (await page.getByTestId('overall').boundingBox())!;
  const piesBox = (await page.getByTestId('overall-pies').boundingBox())!;
  if (viewport.width >= 1000) {
    expect(piesBox.x).toBeGreaterThanOrEqual(table.x + table.width);
  } else {
    expect(piesBox.y).toBeGreaterThanOrEqual(table.y + table.height);
  }

  // Water in cubic metres, or said to have no data.
  const water = page.locator('[data-testid="overall-pie"][data-commodity="water"]');
  await expect(water.getByTestId('pie-slice').first().or(water.getByTestId('pie-empty'))).toBeVisible();
  if (await water.getByTestId('pie-slice').count()) {
    await expect(water.getByTestId('pie-slice').first()).toHaveText(/(m³|dm³) · \d+ %/);
  }
  await expectNoHorizontalScroll(page);
  expect(errors).toEqual([]);
});

/** The test id of the element the browser shows full screen, or null. */
async function fullScreenElement(page: Page) {
  return page.evaluate(() => document.fullscreenElement?.getAttribute('data-testid') ?? null);
}

test('the advanced view goes full screen and back, by its button or Escape', async ({ page }) => {
  const errors = watchErrors(page);
  await login(page);
  await page.goto('/consumption/total');
  const view = page.getByTestId('consumption');
  const toggle = page.getByTestId('advanced-toggle');
  expect(await fullScreenElement(page)).toBeNull();

  await toggle.click();
  await expect.poll(() => fullScreenElement(page)).toBe('consumption');
  await expect(view).toHaveAttribute('data-full-screen', 'true');
  await expect(page.getByTestId('period-decade')).toBeVisible();
  await toggle.click();
  await expect.poll(() => fullScreenElement(page)).toBeNull();
  await expect(view).toHaveAttribute('data-full-screen', 'false');
  await expect(page.getByTestId('consumption-nav-total')).toBeVisible();

  // Escape leaves full screen and the advanced view with it.
  await toggle.click();
  await expect.poll(() => fullScreenElement(page)).toBe('consumption');
  await page.keyboard.press('Escape');
  await expect.poll(() => fullScreenElement(page)).toBeNull();
  await expect(page.getByTestId('period-decade')).toHaveCount(0);
  await expect(page.getByTestId('consumption-nav-total')).toBeVisible();
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  expect(errors).toEqual([]);
});

test('where the browser refuses full screen, the advanced view fills the window', async ({ page }) => {
  const errors = watchErrors(page);
  // As an embedding frame's policy would: the request is rejected.
  await page.addInitScript(() => {
    Element.prototype.requestFullscreen = () => Promise.reject(new TypeError('Permissions check failed'));
  });
  await login(page);
  await page.goto('/consumption/total');
  await page.getByTestId('advanced-toggle').click();
  await expect(page.getByTestId('period-decade')).toBeVisible();
  expect(await fullScreenElement(page)).toBeNull();
  await expect(page.getByTestId('consumption')).toHaveAttribute('data-full-screen', 'false');
  const frame = await page.getByTestId('consumption').boundingBox();
  const viewport = page.viewportSize();
  expect(frame?.width).toBe(viewport?.width);
  expect(frame?.height).toBe(viewport?.height);
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('period-decade')).toHaveCount(0);
  await expect(page.getByTestId('consumption-nav-total')).toBeVisible();
  // The refusal is handled, not an uncaught rejection.
  expect(errors).toEqual([]);
});

test('Details charts each chosen quantity per bar, as the statistics say', async ({ page }) => {
  const errors = watchErrors(page);
  await login(page);
  await waitForHistory(page);
  await page.goto('/consumption/details');
  const charts = page.getByTestId('statistics-chart');
  await expect(charts.first()).toBeVisible({ timeout: 30_000 });
  // One quantity charted to start with: the active power where the device measures it.
  await expect(charts).toHaveCount(1);
  const device = await page.getByTestId('details-device').inputValue();
  const statistics = await (await page.request.get(`/api/devices/${device}/statistics?period=day`)).json();
  type Bucket = { min: number | null; mean: number | null; max: number | null };
  type Statistics = { quantity: string; buckets: Bucket[] };
  const quantities: Statistics[] = statistics.quantities;
  const first = quantities.find((quantity) => quantity.quantity === 'active_power') ?? quantities[0];
  await expect(charts.first()).toHaveAttribute('data-quantity', first.quantity);
  const picker = page.getByTestId('quantity-picker');
  await expect(picker.locator(`[data-testid="quantity-choice"][data-quantity="${first.quantity}"]`)).toBeChecked();
  await expect(picker.getByTestId('quantity-choice')).toHaveCount(quantities.length);

  // A bar per bucket, each with the statistics' minimum, mean and maximum (the current hour
  // may gain samples between the two reads: compare the hours before it).
  const bars = await charts
    .first()
    .getByTestId('statistics-bar')
    .evaluateAll((items) =>
      items.map((item) => ['data-min', 'data-mean', 'data-max'].map((name) => item.getAttribute(name) ?? '')),
    );
  expect(bars.length).toBe(first.buckets.length);
  expect(bars.length).toBeGreaterThanOrEqual(23);
  const number = (text: string) => (text === '' ? null : Number(text));
  const current = first.buckets.map((bucket) => bucket.mean !== null).lastIndexOf(true);
  for (let index = 0; index < current; index++) {
    const [min, mean, max] = bars[index].map(number);
    const bucket = first.buckets[index];
    expect({ min, mean, max }, `bar ${index}`).toEqual({ min: bucket.min, mean: bucket.mean, max: bucket.max });
  }
  for (const bar of bars) {
    const [min, mean, max] = bar.map(number);
    if (mean === null) continue;
    expect(min!).toBeLessThanOrEqual(mean);
    expect(mean).toBeLessThanOrEqual(max!);
  }

  // Another quantity: a second chart; the first one taken off: only the second stays.
  if (quantities.length > 1) {
    const second = quantities.find((quantity) => quantity.quantity !== first.quantity)!;
    await picker.locator('summary').click();
    await picker.locator(`[data-testid="quantity-choice"][data-quantity="${second.quantity}"]`).check();
    await expect(charts).toHaveCount(2);
    await expect(picker.locator('summary')).toContainText(`2 of ${quantities.length}`);
    await picker.locator(`[data-testid="quantity-choice"][data-quantity="${first.quantity}"]`).uncheck();
    await expect(charts).toHaveCount(1);
    await expect(charts.first()).toHaveAttribute('data-quantity', second.quantity);
  }

  // Per day of the month: a bar per day.
  await page.getByTestId('period-month').click();
  await expect
    .poll(async () => {
      const count = await charts.first().getByTestId('statistics-bar').count();
      return count >= 28 && count <= 31;
    })
    .toBe(true);
  // The charts sit beside the table on a desktop.
  const viewport = page.viewportSize()!;
  if (viewport.width >= 1000) {
    const chart = (await charts.first().boundingBox())!;
    const table = (await page.locator('.statistics-table').boundingBox())!;
    expect(table.x).toBeGreaterThanOrEqual(chart.x + chart.width);
  }
  await expectNoHorizontalScroll(page);
  expect(errors).toEqual([]);
});
