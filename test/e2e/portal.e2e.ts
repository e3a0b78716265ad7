/**
 * The portal in a real Chromium against the real demo consortium (one hub, three node processes, each loaded
 * with a small generated data set on first start): log in through the page, switch language, and see the
 * three hospital nodes live; a data steward reviews their hospital's loads and quarantine, maps a local code
 * and re-runs, then reads their hospital's data quality, drills into a failing rule, and compares hospitals.
 * Screenshots go to test-output/.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { DEMO_HOSPITALS, DEMO_PASSWORD } from '../../src/demo/consortium.ts';
import { type DemoBrowser, pageApi, shot, startDemoBrowser } from './demo-browser.ts';

/** Patients per demo hospital: enough for every table and a few rejects, small enough to load in a minute. */
const DEMO_PATIENTS = 300;
let browser: Browser;
let portal: string;
let demo: DemoBrowser | undefined;

before(
  async () => {
    demo = await startDemoBrowser({ patients: DEMO_PATIENTS, startTimeoutMs: 400_000 });
    ({ browser, portal } = demo);
  },
  { timeout: 420_000 },
);

after(async () => {
  await demo?.stop();
});

test('log in through the page, switch language, and see the three nodes up', async () => {
  const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
  await page.goto(`${portal}/`);
  await page.getByTestId('login-username').waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  await shot(page, '01-login-zh');

  await page.getByTestId('login-username').fill('admin');
  await page.getByTestId('login-password').fill('not-the-password');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('login-error').waitFor();
  assert.match((await page.getByTestId('login-error').textContent()) ?? '', /密码|password/i);

  await page.getByTestId('lang-switch').first().click();
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  await shot(page, '02-login-en');

  await page.getByTestId('login-password').fill(DEMO_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL(/\/nodes$/);
  for (const h of DEMO_HOSPITALS) {
    const state = page.getByTestId(`node-state-${h.name}`);
    await state.waitFor();
    await page.waitForFunction(
      (id) => /up/i.test(document.querySelector(`[data-testid="${id}"]`)?.textContent ?? ''),
      `node-state-${h.name}`,
    );
    assert.match((await page.getByTestId(`node-row-${h.name}`).textContent()) ?? '', new RegExp(h.name));
  }
  await shot(page, '03-nodes-en');

  await page.getByTestId('lang-switch').first().click();
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
  await page.waitForFunction(() =>
    /在线/.test(document.querySelector('[data-testid="node-state-hospital-a"]')?.textContent ?? ''),
  );
  await shot(page, '04-nodes-zh');

  await page.getByTestId('nav-dashboard').click();
  await page.getByTestId('dashboard-page').waitFor();
  await shot(page, '05-dashboard-zh');
  await page.close();
});

test('a researcher sees the navigation but gets a plain no-permission page for nodes', async () => {
  const page = await browser.newPage();
  await page.goto(`${portal}/login`);
  await page.getByTestId('login-username').fill('researcher');
  await page.getByTestId('login-password').fill(DEMO_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL(/\/catalog$/);
  await page.getByTestId('nav-nodes').click();
  await page.getByTestId('no-permission').waitFor();
  await shot(page, '06-researcher-no-permission');
  await page.close();
});

test('a data steward reviews their loads and quarantine, maps a local code and re-runs', async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${portal}/login`);
  await page.getByTestId('login-username').fill('steward-a');
  await page.getByTestId('login-password').fill(DEMO_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL(/\/nodes$/);

  await page.getByTestId('nav-sources').click();
  await page.getByTestId('sources-page').waitFor();
  await page.getByTestId('ingest-node').filter({ hasText: '华东第一人民医院' }).waitFor();
  const rows = page.locator('[data-testid^="load-rows-"]').first();
  await rows.waitFor();
  const loaded = Number(((await rows.textContent()) ?? '').replace(/\D/g, ''));
  assert.ok(loaded > 0, `the demo load has rows (${loaded})`);
  await page.locator('[data-testid="quarantine-table"] tbody tr').first().waitFor();
  await shot(page, '07-steward-sources-zh');

  await page.locator('[data-testid^="load-open-"]').first().click();
  await page.getByTestId('load-files').waitFor();
  await page.locator('[data-testid="load-drawer"] canvas').first().waitFor();
  await shot(page, '08-steward-load-drawer-zh');
  await page.keyboard.press('Escape');
  await page.getByTestId('load-drawer').waitFor({ state: 'detached' });

  const other = await pageApi(page, 'GET', '/api/ingest/hospital-b/loads');
  assert.equal(other.status, 403, 'a steward cannot read another hospital');
  assert.equal((other.body.error as { code: string }).code, 'MER_INGEST_OTHER_HOSPITAL');

  // Take one lab code out of its code map, as when a hospital's local code table changes.
  const specs = await pageApi(page, 'GET', '/api/ingest/hospital-a/specs');
  type Spec = { id: string; codeMaps: Record<string, { entries: Record<string, string> }> };
  const lab = (specs.body.specs as Spec[]).find((s) => s.id.endsWith('-lab') && s.codeMaps.lab);
  assert.ok(lab, 'the demo hospital has a lab spec with a lab code map');
  const [code, standard] = Object.entries(lab.codeMaps.lab?.entries ?? {})[0] ?? [];
  assert.ok(code && standard);
  const removed = await pageApi(page, 'POST', '/api/ingest/hospital-a/codes', {
    spec: lab.id,
    codeMap: 'lab',
    entries: [{ code, to: null }],
  });
  assert.equal(removed.status, 200, JSON.stringify(removed.body));

  await page.getByTestId('nav-mappings').click();
  await page.getByTestId('mappings-page').waitFor();
  await page.getByTestId('specs-table').locator('tbody tr').first().waitFor();
  await page.getByTestId('mappings-rerun').click();
  await page.locator('.ant-popconfirm .ant-btn-primary').click();
  await page.getByTestId('rerun-result').waitFor({ timeout: 120_000 });
  const row = page.getByTestId(`unmapped-row-${code}`);
  await row.waitFor();
  const suggestion = row.locator('[data-testid^="suggestion-"]').first();
  if ((await suggestion.count()) > 0) {
    await suggestion.click();
    assert.notEqual(await page.getByTestId(`standard-${code}`).inputValue(), '', 'a suggestion fills the code');
  }
  await page.getByTestId(`standard-${code}`).fill(standard);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, '09-steward-mappings-zh');

  await page.getByTestId('mappings-save').click();
  await page.getByTestId('mappings-saved').waitFor();
  assert.match((await page.getByTestId('mappings-saved').textContent()) ?? '', new RegExp(`${lab.id}@\\d+`));
  await page.getByTestId('mappings-rerun').click();
  await page.locator('.ant-popconfirm .ant-btn-primary').click();
  await page.getByTestId('rerun-result').waitFor({ timeout: 120_000 });
  await row.waitFor({ state: 'detached' });
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, '10-steward-rerun-zh');

  const history = await pageApi(page, 'GET', '/api/ingest/hospital-a/loads?limit=5');
  assert.ok((history.body.loads as unknown[]).length >= 3, 'the two re-runs are in the load history');
  await page.close();
});

test('a data steward reads their hospital’s quality, drills into a failing rule, and compares hospitals', async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${portal}/login`);
  await page.getByTestId('login-username').fill('steward-a');
  await page.getByTestId('login-password').fill(DEMO_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL(/\/nodes$/);

  await page.getByTestId('nav-quality').click();
  await page.getByTestId('quality-node').waitFor();
  await page.waitForFunction(() =>
    /\d%/.test(document.querySelector('[data-testid="quality-score"]')?.textContent ?? ''),
  );
  await page.locator('[data-testid="quality-node"] canvas').first().waitFor();
  const open = page.locator('[data-testid^="rule-open-"]').first();
  await open.waitFor();
  await page.waitForTimeout(800); // let the trend chart finish its entry animation before the screenshot
  await shot(page, '11-steward-quality-node-zh');

  await open.click();
  await page.getByTestId('rule-drawer').waitFor();
  await page.getByTestId('lineage-table').locator('tbody tr').first().waitFor();
  assert.match((await page.getByTestId('lineage-table').textContent()) ?? '', /#|\[|\d/);
  await shot(page, '12-steward-quality-drawer-zh');
  await page.getByTestId('lineage-trace').first().click();
  await page.getByTestId('lineage-record').waitFor();
  assert.match((await page.getByTestId('lineage-drawer').textContent()) ?? '', /SHA-256[\s\S]*存证[\s\S]*映射规则/);
  await page.waitForTimeout(400);
  await shot(page, '12b-steward-lineage-zh');
  await page.keyboard.press('Escape');
  await page.getByTestId('lineage-drawer').waitFor({ state: 'detached' });
  await page.keyboard.press('Escape');
  await page.getByTestId('rule-drawer').waitFor({ state: 'detached' });

  const foreign = await pageApi(page, 'GET', '/api/quality/overview');
  assert.equal(foreign.status, 200);
  assert.ok(!JSON.stringify(foreign.body).includes('source_sha256'), 'the overview carries aggregates only');

  await page.getByTestId('quality-view').getByText('联盟总览').click();
  await page.getByTestId('quality-consortium').waitFor();
  await page.locator('[data-testid="quality-consortium"] canvas').first().waitFor();
  for (const h of DEMO_HOSPITALS) await page.getByTestId(`overview-${h.name}-conformance`).waitFor();
  await page.waitForTimeout(800);
  await shot(page, '13-quality-consortium-zh');
  await page.close();
});

test('an administrator links the patient index, reads the review queue and history, and previews a de-identified extract', async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${portal}/login`);
  await page.getByTestId('login-username').fill('admin');
  await page.getByTestId('login-password').fill(DEMO_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL(/\/nodes$/);

  await page.getByTestId('nav-identity').click();
  await page.getByTestId('identity-page').waitFor();
  await page.getByTestId('identity-sweep').click();
  await page
    .getByTestId('identity-sweep-table')
    .locator('tbody tr')
    .nth(DEMO_HOSPITALS.length - 1)
    .waitFor({
      timeout: 120_000,
    });
  await page.waitForFunction(
    () =>
      Number(
        (
          document.querySelector('[data-testid="identity-shared"] .ant-statistic-content-value')?.textContent ?? '0'
        ).replace(/\D/g, ''),
      ) > 0,
  );
  await page.getByTestId('review-table').waitFor();
  await page.getByTestId('history-table').waitFor();
  await page.locator('[data-testid="identity-page"] canvas').first().waitFor();
  const summary = await pageApi(page, 'GET', '/api/identity/summary');
  assert.ok(!/"(name|id_number|phone)"/.test(JSON.stringify(summary.body)), 'figures and tokens only');
  await page.waitForTimeout(800);
  await shot(page, '14-identity-admin-zh');

  await page.getByTestId('nav-deid').click();
  await page.getByTestId('deid-page').waitFor();
  await page.getByTestId('deid-result').waitFor({ timeout: 30_000 });
  await page.locator('[data-testid="deid-result"] canvas').first().waitFor();
  assert.match((await page.getByTestId('rule-name').textContent()) ?? '', /删除/);
  const cells = await page.locator('[data-testid="deid-sample"] td').allTextContents();
  assert.ok(cells.length > 0, 'the sample has rows');
  for (const cell of cells) {
    assert.ok(!/^\+?(86)?1[3-9]\d{9}$/.test(cell.trim()), 'no phone number in the sample');
    assert.ok(!/^\d{17}[\dXx]$/.test(cell.trim()), 'no ID number in the sample');
  }
  await page.waitForTimeout(800);
  await shot(page, '15-deid-admin-person-zh');
  await page.close();
});

test('a data steward previews de-identified notes of their own hospital in English; another hospital is refused', async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${portal}/login`);
  await page.getByTestId('login-username').fill('steward-a');
  await page.getByTestId('login-password').fill(DEMO_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL(/\/nodes$/);
  await page.getByTestId('lang-switch').first().click();
  await page.waitForFunction(() => document.documentElement.lang === 'en');

  await page.getByTestId('nav-deid').click();
  await page.getByTestId('deid-result').waitFor({ timeout: 30_000 });
  await page.getByTestId('deid-table').click();
  await page
    .locator('.ant-select-item-option[title*="note"], .ant-select-item-option:has-text("note")')
    .first()
    .click();
  await page.locator('#deid-k').fill('3');
  await page.getByTestId('deid-run').click();
  await page.waitForFunction(() =>
    /note_text/.test(document.querySelector('[data-testid="deid-rules"]')?.textContent ?? ''),
  );
  assert.match((await page.getByTestId('rule-note_text').textContent()) ?? '', /scrub/i);
  await page.locator('[data-testid="deid-result"] canvas').first().waitFor();
  await page.waitForTimeout(800);
  await shot(page, '16-deid-steward-notes-en');

  const other = await pageApi(page, 'GET', '/api/privacy/hospital-b/preview?table=person');
  assert.equal(other.status, 403);
  assert.equal((other.body.error as { code: string }).code, 'MER_PRIVACY_OTHER_HOSPITAL');

  await page.getByTestId('nav-identity').click();
  await page.getByTestId('identity-reviews').waitFor();
  await page.waitForTimeout(600);
  await shot(page, '17-identity-steward-en');
  await page.close();
});
