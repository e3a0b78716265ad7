/**
 * The dashboard and the data catalog in a real Chromium against the real demo consortium (hub, three node
 * processes, four ledger validators): the manager logs in, lands on the dashboard and sees the three hospitals
 * with fresh figures and its charts, in Chinese and in English; then opens the catalog, picks the visit table and
 * a field's distribution at every hospital, and sees that an identifying field offers none.
 * Screenshots go to test-output/e2e/.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DEMO_HOSPITALS } from '../../src/demo/consortium.ts';
import { type DemoBrowser, logIn, shot, startDemoBrowser, switchLang } from './demo-browser.ts';

/** Patients per demo hospital: enough for every table and for categories above the minimum cell. */
const DEMO_PATIENTS = 300;
let browser: Browser;
let portal: string;
let demo: DemoBrowser | undefined;

before(
  async () => {
    demo = await startDemoBrowser({ patients: DEMO_PATIENTS, startTimeoutMs: 900_000 });
    ({ browser, portal } = demo);
  },
  { timeout: 960_000 },
);

after(async () => {
  await demo?.stop();
});

/** The catalog's search box (antd puts the test id on the input itself or on its wrapper). */
const searchBox = (page: Page) =>
  page.locator('input[data-testid="catalog-search"], [data-testid="catalog-search"] input').first();

test('the manager lands on the dashboard and sees three hospitals, in Chinese and in English', {
  timeout: 240_000,
}, async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await logIn(page, portal, 'manager');
  await page.waitForURL(/\/dashboard$/);
  await page.getByTestId('dashboard-page').waitFor();
  await switchLang(page, 'zh-CN');
  // The hub's cache is filled on the first read; reload until every hospital reported fresh figures.
  for (const h of DEMO_HOSPITALS) {
    const status = page.getByTestId(`dashboard-status-${h.name}`);
    for (let i = 0; i < 60 && (await status.textContent().catch(() => null)) !== '最新'; i++) {
      await page.getByTestId('dashboard-reload').click();
      await page.waitForTimeout(1_000);
    }
    assert.equal(await status.textContent(), '最新', `${h.name} fresh`);
  }
  assert.equal(await page.getByTestId('dashboard-table').locator('tbody tr.ant-table-row').count(), 3);
  const reporting = await page.getByTestId('dashboard-kpi-hospitals').textContent();
  assert.match(reporting ?? '', /3\s*\/\s*3/);
  for (const chart of ['dashboard-layers', 'dashboard-tables', 'dashboard-loads', 'dashboard-quality']) {
    await page.getByTestId(chart).locator('canvas').first().waitFor();
  }
  await page.getByTestId('dashboard-ledger').locator('canvas').first().waitFor();
  await page.waitForTimeout(800);
  await shot(page, 'dashboard-01-zh');

  await switchLang(page, 'en');
  await page.getByText('Volume per hospital and layer').waitFor();
  assert.equal(await page.getByTestId(`dashboard-status-${DEMO_HOSPITALS[0]?.name}`).textContent(), 'Fresh');
  await page.waitForTimeout(800);
  await shot(page, 'dashboard-02-en');
  await page.close();
});

test('the catalog shows a field’s distribution per hospital and none for an identifying field', {
  timeout: 180_000,
}, async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await logIn(page, portal, 'manager');
  await page.waitForURL(/\/dashboard$/);
  await switchLang(page, 'en');
  await page.getByTestId('nav-catalog').click();
  await page.getByTestId('catalog-page').waitFor();
  await searchBox(page).fill('visit');
  await page.getByTestId('catalog-table-visit_occurrence').click();
  await page.waitForURL(/table=visit_occurrence/);
  const fields = page.getByTestId('catalog-fields');
  await fields.getByText('visit_type', { exact: true }).waitFor();
  await searchBox(page).fill('');
  // An identifying field (the visit key) offers no distribution at all.
  const keyRow = fields.locator('tr', { has: page.getByText('visit_id', { exact: true }) });
  assert.equal(await keyRow.getByRole('button').count(), 0);
  await keyRow.getByText('Identifying').waitFor();
  await shot(page, 'catalog-01-en');

  await page.getByTestId('catalog-dist-visit_type').click();
  const drawer = page.getByTestId('catalog-drawer');
  for (const h of DEMO_HOSPITALS) await drawer.getByTestId(`catalog-dist-card-${h.name}`).locator('canvas').waitFor();
  await page.waitForTimeout(800);
  await shot(page, 'catalog-02-distribution-en');

  // The drawer covers the header: close it, switch to Chinese, open it again.
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'hidden' });
  await switchLang(page, 'zh-CN');
  await page.getByTestId('catalog-dist-visit_type').click();
  for (const h of DEMO_HOSPITALS) await drawer.getByTestId(`catalog-dist-card-${h.name}`).locator('canvas').waitFor();
  await drawer.getByText('定义').first().waitFor();
  await page.waitForTimeout(800);
  await shot(page, 'catalog-03-distribution-zh');
  await page.close();
});
