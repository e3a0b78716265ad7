/**
 * The cohort builder in a real Chromium against the real demo consortium: a researcher opens one of their
 * projects, builds "type 2 diabetes (index: first E11 diagnosis), adults at the index date" with the condition
 * tree and the code search, counts it at the three hospitals (a count per hospital, suppressed ones as "< min
 * cell"), saves it to the project and finds it in the saved list; the page speaks both languages; other roles
 * get the no-permission page. Screenshots go to test-output/e2e.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { DEMO_HOSPITALS } from '../../src/demo/consortium.ts';
import { type DemoBrowser, logIn, pageApi, pickCode, shot, startDemoBrowser } from './demo-browser.ts';

/** Patients per demo hospital: enough for counts above the minimum cell, small enough to load in a minute. */
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

test('a researcher builds a cohort, counts it at every hospital and saves it to the project', async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await logIn(page, portal, 'researcher');
  const created = await pageApi(page, 'POST', '/api/projects', {
    title: '2 型糖尿病并发症研究',
    description: 'Cohort builder browser test',
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const projectId = (created.body.project as { projectId: string }).projectId;

  await page.goto(`${portal}/cohorts?project=${encodeURIComponent(projectId)}`);
  await page.getByTestId('cohorts-page').waitFor();
  await page.getByTestId('cohort-editor').waitFor();

  // Index event: the first E11 diagnosis, found by its Chinese name.
  await page.getByTestId('cohort-index-switch').click();
  await pickCode(page, 'cohort-index-codes', '2型糖尿病', 'E11');
  // Adults at the index date: the age criterion's defaults (at the index, 18 or older).
  await page.locator('[data-testid^="cohort-add-"]').first().click();
  await page.getByRole('menuitem', { name: '年龄' }).click();
  await page.locator('[data-testid^="cohort-criterion-"]').first().waitFor();
  assert.equal(await page.getByTestId('cohort-problems').count(), 0, 'the definition is complete');

  await page.getByTestId('cohort-count').click();
  await page.getByTestId('cohort-count-result').waitFor({ timeout: 60_000 });
  for (const h of DEMO_HOSPITALS) {
    const row = page.getByTestId(`cohort-count-row-${h.name}`);
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /\d|<|—/, `${h.name} has a count, a suppression or a reason`);
  }
  const total = Number(((await page.getByTestId('cohort-count-total').textContent()) ?? '').replace(/\D/g, ''));
  assert.ok(total > 0, `the demo hospitals have adult T2DM patients (${total})`);
  await shot(page, '20-cohort-count-zh');

  await page.getByTestId('cohort-save').click();
  await page.getByTestId('cohort-save-name').fill('成人 2 型糖尿病');
  await page.getByTestId('cohort-save-ok').click();
  await page.locator('[data-testid="cohort-saved"] tbody tr', { hasText: '成人 2 型糖尿病' }).waitFor();
  const project = await pageApi(page, 'GET', `/api/projects/${encodeURIComponent(projectId)}`);
  const cohorts = project.body.cohorts as { name: string; definition: { index?: unknown; criteria: unknown[] } }[];
  assert.equal(cohorts.length, 1);
  assert.deepEqual(cohorts[0]?.definition, {
    index: { event: { kind: 'diagnosis', codes: ['E11'], descendants: true } },
    criteria: [{ kind: 'age', at: 'index', range: { min: 18 } }],
  });

  await page.getByTestId('lang-switch').first().click();
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  await page.getByText('Feasibility count').waitFor();
  await page.getByText('Saved cohorts of this project').waitFor();
  await shot(page, '21-cohort-count-en');
  await page.close();
});

test('roles other than researcher get the no-permission page', async () => {
  const page = await browser.newPage();
  await logIn(page, portal, 'admin');
  assert.equal(await page.getByTestId('nav-cohorts').count(), 0, 'the menu has no cohort builder for admins');
  await page.goto(`${portal}/cohorts`);
  await page.getByTestId('no-permission').waitFor();
  await page.close();
});
