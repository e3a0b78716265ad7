/**
 * The ledger explorer and validator status in a real Chromium against the real demo consortium (four validator
 * processes, the hub, three hospital nodes that notarize their loads on the ledger): an auditor opens the
 * explorer, opens a block, downloads a transaction's receipt, verifies it in the browser (WebCrypto: Merkle
 * proof, header hash, Ed25519 commit signatures), and sees the four validators live. A researcher is not shown
 * the ledger pages. Screenshots go to test-output/e2e/.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { txHash } from '../../src/ledger/transaction.ts';
import { type DemoBrowser, logIn, OUT, shot, startDemoBrowser } from './demo-browser.ts';

/** Patients per demo hospital: the loads only need to reach the ledger, so keep them small. */
const DEMO_PATIENTS = 40;
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

test('an auditor opens a block, downloads a receipt, verifies it in the browser, and sees 4 validators', {
  timeout: 300_000,
}, async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  await logIn(page, portal, 'auditor');
  await page.getByTestId('lang-switch').first().click();
  await page.waitForFunction(() => document.documentElement.lang === 'en');

  await page.getByTestId('nav-ledger').click();
  await page.waitForURL(/\/ledger$/);
  await page.getByTestId('ledger-tip').waitFor({ timeout: 60_000 });
  const rows = page.locator('[data-testid^="block-row-"]');
  await rows.first().waitFor();
  assert.ok((await rows.count()) >= 1);
  await shot(page, 'ledger-01-blocks');

  // The newest block with a transaction in it (the demo's loads notarize in every hospital).
  const heights = await rows.evaluateAll((els) =>
    els.map((el) => ({
      id: el.getAttribute('data-testid') ?? '',
      txs: Number((el.querySelectorAll('td')[3]?.textContent ?? '0').replace(/\D/g, '')),
    })),
  );
  const withTxs = heights.find((h) => h.txs > 0);
  assert.ok(withTxs, JSON.stringify(heights));
  await page.getByTestId(withTxs.id).click();
  await page.getByTestId('block-check').waitFor({ timeout: 60_000 });
  assert.match((await page.getByTestId('block-check').textContent()) ?? '', /match the header/);
  const download = page.locator('[data-testid^="receipt-download-"]').first();
  await download.waitFor();
  const hash = ((await download.getAttribute('data-testid')) ?? '').replace('receipt-download-', '');
  await shot(page, 'ledger-02-block');

  const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
  const saved = join(OUT, 'ledger-receipt.json');
  await file.saveAs(saved);
  const receipt = JSON.parse(readFileSync(saved, 'utf8'));
  assert.equal(receipt.version, 1);
  assert.equal(txHash(receipt.tx), hash, 'the downloaded receipt is the transaction clicked');

  await page.getByTestId(`receipt-verify-${hash}`).click();
  await page.getByTestId('verify-ok').waitFor({ timeout: 60_000 });
  assert.equal(await page.getByTestId('verify-result').getAttribute('data-ok'), 'true');
  assert.match((await page.getByTestId('verify-result').textContent()) ?? '', /Ed25519/);
  await shot(page, 'ledger-03-verified');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');

  await page.getByTestId('nav-validators').click();
  await page.waitForURL(/\/validators$/);
  const validatorRows = page.locator('[data-testid^="validator-row-"]');
  await page.waitForFunction(
    () =>
      [...document.querySelectorAll('[data-testid^="validator-state-"]')].filter(
        (el) => /reachable/.test(el.textContent ?? '') && !/unreachable/.test(el.textContent ?? ''),
      ).length === 4,
    undefined,
    { timeout: 60_000 },
  );
  assert.equal(await validatorRows.count(), 4);
  assert.equal((await page.getByTestId('validators-reachable').textContent())?.replace(/\D/g, ''), '4');
  await shot(page, 'ledger-04-validators');
  await context.close();
});

test('a researcher is not offered the ledger pages, and the hub refuses them', { timeout: 120_000 }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await logIn(page, portal, 'researcher');
  await page.getByTestId('nav-nodes').waitFor();
  assert.equal(await page.getByTestId('nav-ledger').count(), 0);
  assert.equal(await page.getByTestId('nav-validators').count(), 0);
  await page.goto(`${portal}/ledger`);
  await page.getByTestId('no-permission').waitFor({ timeout: 60_000 });
  await context.close();
});
