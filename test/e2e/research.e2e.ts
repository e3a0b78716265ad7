/**
 * The research story in a real Chromium against the demo consortium (hub, three hospital nodes, four ledger
 * validators as real processes): a researcher creates a project, builds a cohort in the visual editor and sees
 * its count at every hospital, saves it, and requests data use for two hospitals; the ethics committee (zh-CN),
 * hospital A's steward (en) and hospital B's steward approve on the request page, each decision landing on the
 * ledger (the hospitals' signed by their own nodes); the researcher then runs a logistic regression, sees the
 * forest plot and downloads the PDF report. Screenshots of every page go to test-output/e2e/research-*.png.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type DemoBrowser, logIn, OUT, pageApi, pickCode, shot, startDemoBrowser, switchLang } from './demo-browser.ts';

/** Patients per demo hospital: enough diabetics for a logistic regression above every minimum cell. */
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

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  return context.newPage();
}

/** Opens the request's page as `username` in `lang`, approves it with `comment`, and waits for the ledger. */
async function approveAs(username: string, lang: 'en' | 'zh-CN', requestId: string, comment: string, n: number) {
  const page = await newPage();
  await logIn(page, portal, username);
  await switchLang(page, lang);
  await page.goto(`${portal}/requests`);
  await page.getByTestId(`request-link-${requestId}`).click();
  await page.getByTestId('decision-form').waitFor();
  await shot(page, `research-0${n}-${username}-request`);
  await page.getByTestId('decision-comment').fill(comment);
  await page.getByTestId('decision-submit').click();
  await page.getByTestId('decision-form').waitFor({ state: 'detached', timeout: 60_000 });
  await page.getByTestId(`approver-${username === 'ethics' ? 'ethics' : `hospital-${username.slice(-1)}`}`).waitFor();
  await shot(page, `research-0${n}-${username}-approved`);
  await page.context().close();
}

test('a researcher counts a cohort, requests data use, gets ethics and two hospitals to approve, and runs a logistic regression with a forest plot and a PDF report', {
  timeout: 900_000,
}, async () => {
  const page = await newPage();
  await logIn(page, portal, 'researcher');
  await switchLang(page, 'zh-CN');

  // A project, through its dialog.
  await page.goto(`${portal}/projects`);
  await page.getByTestId('project-new').click();
  await page.getByTestId('project-title').fill('2 型糖尿病并发症危险因素研究');
  await page.getByTestId('project-description').fill('HbA1c、年龄与 BMI 对糖尿病并发症的影响（多中心）');
  await page.getByTestId('project-create').click();
  await page.getByTestId('project-page').waitFor();
  const projectId = new URL(page.url()).pathname.split('/').pop() as string;
  await shot(page, 'research-01-project');

  // The cohort in the visual editor: index event = a type 2 diabetes diagnosis, picked by its Chinese name.
  await page.goto(`${portal}/cohorts?project=${encodeURIComponent(projectId)}`);
  await page.getByTestId('cohort-builder').waitFor();
  await page.getByTestId('cohort-index-switch').click();
  await pickCode(page, 'cohort-index-codes', '2型糖尿病', 'E11');
  await page.getByTestId('cohort-count').click();
  for (const h of ['hospital-a', 'hospital-b', 'hospital-c']) {
    await page.getByTestId(`cohort-count-row-${h}`).waitFor({ timeout: 60_000 });
  }
  const total = Number(((await page.getByTestId('cohort-count-total').textContent()) ?? '').replace(/[^\d]/g, ''));
  assert.ok(total > 0, `a positive total across the hospitals, not ${total}`);
  await shot(page, 'research-02-cohort-counts');
  await page.getByTestId('cohort-save').click();
  await page.getByTestId('cohort-save-name').fill('2 型糖尿病患者');
  await page.getByTestId('cohort-save-ok').click();
  await page.locator('[data-testid="cohort-saved"] tbody tr', { hasText: '2 型糖尿病患者' }).waitFor();

  // The request, for hospitals A and B, on the project's request tab.
  await page.goto(`${portal}/projects/${projectId}`);
  await page.getByRole('tab', { name: /数据申请/ }).click();
  await page.getByTestId('request-new').click();
  await page.getByTestId('request-statement').fill('研究 HbA1c、年龄和 BMI 与糖尿病并发症的关系（logistic 回归）');
  await page.getByTestId('request-hospitals').getByText('hospital-c', { exact: false }).click();
  await shot(page, 'research-03-request-form');
  await page.getByTestId('request-submit').click();
  const link = page.locator('[data-testid^="request-link-"]').first();
  await link.waitFor({ timeout: 60_000 });
  const requestId = ((await link.getAttribute('data-testid')) as string).replace('request-link-', '');
  await shot(page, 'research-04-requested');

  await approveAs('ethics', 'zh-CN', requestId, '伦理委员会同意：仅发布汇总结果', 5);
  await approveAs('steward-a', 'en', requestId, 'Hospital A agrees under its minimum cell', 6);
  await approveAs('steward-b', 'zh-CN', requestId, 'B 院同意', 7);
  const request = await pageApi(page, 'GET', `/api/requests/${requestId}`);
  assert.equal((request.body.request as { status: string }).status, 'approved', JSON.stringify(request.body));

  // The logistic regression on the saved cohort under the approved request.
  await page.goto(`${portal}/projects/${projectId}`);
  await page.getByRole('tab', { name: /分析/ }).click();
  await page.getByTestId('analysis-form').waitFor();
  await page.getByTestId('analysis-run').click();
  await page.getByTestId('forest-plot').first().waitFor({ timeout: 300_000 });
  const table = (await page.getByTestId('glm-table').first().textContent()) ?? '';
  for (const name of ['hba1c', 'age', 'bmi']) assert.match(table, new RegExp(name), `${name} in the coefficient table`);
  await page.getByTestId('forest-plot').first().scrollIntoViewIfNeeded();
  await shot(page, 'research-08-forest-plot');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-pdf').first().click()]);
  const pdf = readFileSync((await download.path()) as string);
  assert.equal(pdf.subarray(0, 8).toString('latin1'), '%PDF-1.4');
  assert.match(pdf.subarray(-32).toString('latin1'), /%%EOF\s*$/);
  assert.ok(pdf.length > 20_000, `a report with its pages drawn, not ${pdf.length} bytes`);
  writeFileSync(join(OUT, 'research-report.pdf'), pdf);

  // The project keeps the released result and shows the whole story on its timeline.
  await page.reload();
  await page.getByRole('tab', { name: /时间线/ }).click();
  await shot(page, 'research-09-timeline');
  const project = await pageApi(page, 'GET', `/api/projects/${projectId}`);
  const types = (project.body.timeline as { type: string }[]).map((e) => e.type);
  for (const type of ['project', 'cohort', 'request', 'decision', 'analysis']) assert.ok(types.includes(type), type);
  await page.context().close();
});
