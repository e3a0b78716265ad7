/**
 * The admin page in a real Chromium against the real demo consortium: an administrator creates a data steward
 * bound to a hospital, sees the institutions from the ledger and the nodes, raises the consortium minimum cell
 * size, and finds all of it again after a reload, in English and in Chinese; the new steward can sign in, and a
 * researcher is not offered the page. Screenshots go to test-output/e2e/.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { chooseOption, type DemoBrowser, logIn, shot, startDemoBrowser, switchLang } from './demo-browser.ts';

/** Patients per demo hospital: the page needs nodes and a ledger, not data. */
const DEMO_PATIENTS = 40;
const NEW_USER = 'steward-e2e';
const NEW_PASSWORD = 'a-new-steward-password';
let browser: Browser;
let portal: string;
let demo: DemoBrowser | undefined;

before(
  async () => {
    demo = await startDemoBrowser({ patients: DEMO_PATIENTS, startTimeoutMs: 1_100_000 });
    ({ browser, portal } = demo);
  },
  { timeout: 1_200_000 },
);

after(async () => {
  await demo?.stop();
});

test('an administrator creates a steward, sees institutions and nodes, and raises the minimum cell size', {
  timeout: 300_000,
}, async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await logIn(page, portal, 'admin');
  await switchLang(page, 'en');

  await page.getByTestId('nav-admin').click();
  await page.waitForURL(/\/admin$/);
  await page.getByTestId('user-row-researcher').waitFor();
  assert.match((await page.getByTestId('user-role-researcher').textContent()) ?? '', /Researcher/);

  await page.getByTestId('user-new').click();
  await page.getByTestId('user-form-username').fill(NEW_USER);
  await page.getByTestId('user-form-display-name').fill('E2E Steward');
  await chooseOption(page, 'user-form-role', 'Data steward');
  await page.getByTestId('user-form-password').fill('short');
  await page.getByTestId('user-form-submit').click();
  await page.getByText('Choose the hospital this role acts for').waitFor();
  await page.getByText('Too short: use at least 10 characters').waitFor();
  await shot(page, 'admin-01-create-invalid-en');
  await page.getByTestId('user-form-password').fill(NEW_PASSWORD);
  await page.locator('[data-testid="user-form-hospital"]').click();
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: 'hospital-a' }).click();
  await page.getByTestId('user-form-submit').click();
  await page.getByTestId(`user-row-${NEW_USER}`).waitFor();
  assert.match((await page.getByTestId(`user-status-${NEW_USER}`).textContent()) ?? '', /active/);
  assert.match((await page.getByTestId(`user-row-${NEW_USER}`).textContent()) ?? '', /hospital-a/);
  await shot(page, 'admin-02-users-en');

  await page.getByTestId('admin-tab-institutions').click();
  await page.getByTestId('institution-row-hospital-a').waitFor({ timeout: 60_000 });
  assert.match((await page.getByTestId('institution-status-hospital-a').textContent()) ?? '', /active/);
  await shot(page, 'admin-03-institutions-en');

  await page.getByTestId('admin-tab-nodes').click();
  await page.getByTestId('admin-node-row-hospital-a').waitFor();
  await shot(page, 'admin-04-nodes-en');

  await page.getByTestId('admin-tab-settings').click();
  await page.waitForURL(/tab=settings/);
  const minCell = page.locator('[data-testid="settings-form"] input#minCell');
  await page.waitForFunction(
    () => (document.querySelector('[data-testid="settings-form"] input#minCell') as HTMLInputElement | null)?.value,
  );
  assert.equal(await minCell.inputValue(), '5', 'the default minimum cell size');
  await minCell.fill('0');
  await page.getByTestId('settings-save').click();
  await page.getByText('Enter a number from 1 to 1000').waitFor();
  await minCell.fill('11');
  await page.getByTestId('settings-save').click();
  await page.waitForFunction(() =>
    /Last changed by admin/.test(document.querySelector('[data-testid="settings-updated"]')?.textContent ?? ''),
  );
  await shot(page, 'admin-05-settings-en');

  await page.reload();
  await switchLang(page, 'zh-CN');
  await page.getByText('联盟设置').first().waitFor();
  await page.waitForFunction(
    () =>
      (document.querySelector('[data-testid="settings-form"] input#minCell') as HTMLInputElement | null)?.value ===
      '11',
  );
  assert.match((await page.getByTestId('settings-updated').textContent()) ?? '', /最近由 admin/);
  await shot(page, 'admin-06-settings-zh');
  await page.getByTestId('admin-tab-users').click();
  await page.getByTestId(`user-row-${NEW_USER}`).waitFor();
  assert.match((await page.getByTestId(`user-role-${NEW_USER}`).textContent()) ?? '', /数据治理员/);
  assert.match((await page.getByTestId(`user-status-${NEW_USER}`).textContent()) ?? '', /启用/);
  await shot(page, 'admin-07-users-zh');

  const consortium = await page.evaluate(async () => {
    const token = Object.values(sessionStorage).find((v) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(v));
    const res = await fetch('/api/settings/consortium', { headers: { authorization: `Bearer ${token}` } });
    return res.json();
  });
  assert.equal(consortium.settings.minCell, 11, 'the hub serves the new setting');
  await context.close();
});

test('the new steward signs in; a researcher is not offered the admin page', { timeout: 120_000 }, async () => {
  const steward = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await steward.newPage();
  await logIn(page, portal, NEW_USER, NEW_PASSWORD);
  assert.equal(await page.getByTestId('nav-admin').count(), 0);
  await steward.close();

  const researcher = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const other = await researcher.newPage();
  await logIn(other, portal, 'researcher');
  assert.equal(await other.getByTestId('nav-admin').count(), 0);
  await other.goto(`${portal}/admin`);
  await other.getByTestId('no-permission').waitFor();
  await shot(other, 'admin-08-researcher-refused');
  await researcher.close();
});
