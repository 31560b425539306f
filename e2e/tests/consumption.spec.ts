// The consumption pages (§8.2.2) at the project's width: every page shows its histogram or table
// without horizontal scroll and with tap targets of 44 px; the advanced view (§8.2.2.6) fills
// the screen, browses with previous/next and the date picker, and its datalogger.csv holds the
// same numbers as the bars shown. The server runs with --demo-history (two years of data).
import { expect, Page, test } from '@playwright/test';
import * as fs from 'fs';
import { expectNoHorizontalScroll, login, watchErrors } from './helpers';

/**
 * Waits until the demo history is in: this year's grand total has data, and so has today (the
 * history is written oldest first, so on a busy machine the year fills up well before today).
 */
async function waitForHistory(page: Page) {
  for (const period of ['year', 'day']) {
    await expect
      .poll(
        async () => {
          const response = await page.request.get(`/api/consumption?scope=total&period=${period}`);
          if (!response.ok()) return null;
          return (await response.json()).total;
        },
        { timeout: 120_000, intervals: [1_000] },
      )
      .not.toBeNull();
  }
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
