/**
 * The portal in a real Chromium against the real demo consortium (one hub, three node processes): log in
 * through the page, switch language, and see the three hospital nodes live. Screenshots go to test-output/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { DEMO_HOSPITALS, DEMO_PASSWORD } from '../../src/demo/consortium.ts';
import { freePort, type Proc, startMeridian, waitUntil } from '../integration/processes.ts';

const OUT = join(import.meta.dirname, '..', '..', 'test-output', 'e2e');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let home: string;
let demo: Proc;
let browser: Browser;
let portal: string;

async function consecutiveFreePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await freePort();
    if (base + count > 65_000) continue;
    const ok = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        import('node:net').then(
          ({ createServer }) =>
            new Promise<boolean>((res) => {
              const s = createServer();
              s.once('error', () => res(false));
              s.listen(base + i, '127.0.0.1', () => s.close(() => res(true)));
            }),
        ),
      ),
    );
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no run of free ports found');
}

before(async () => {
  mkdirSync(OUT, { recursive: true });
  home = mkdtempSync(join(tmpdir(), 'meridian-e2e-'));
  const hubPort = await freePort();
  portal = `http://127.0.0.1:${hubPort}`;
  demo = startMeridian([
    'demo',
    '--home',
    home,
    '--hub-port',
    String(hubPort),
    '--hub-peer-port',
    String(await freePort()),
    '--node-base-port',
    String(await consecutiveFreePorts(DEMO_HOSPITALS.length)),
  ]);
  await waitUntil(
    () => `demo up\n${demo.output()}`,
    180_000,
    async () => (demo.output().includes('consortium is up') ? true : undefined),
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
  if (demo && demo.child.exitCode === null) {
    demo.child.kill('SIGINT');
    const exit = await Promise.race([
      demo.exited,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 20_000)),
    ]);
    if (!exit) demo.child.kill('SIGKILL');
  }
  rmSync(home, { recursive: true, force: true });
});

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
}

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

  await page.getByTestId('nav-cohorts').click();
  await page.getByTestId('page-not-built').waitFor();
  await shot(page, '05-not-built-zh');
  await page.close();
});

test('a researcher sees the navigation but gets a plain no-permission page for nodes', async () => {
  const page = await browser.newPage();
  await page.goto(`${portal}/login`);
  await page.getByTestId('login-username').fill('researcher');
  await page.getByTestId('login-password').fill(DEMO_PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL(/\/dashboard$/);
  await page.getByTestId('nav-nodes').click();
  await page.getByTestId('no-permission').waitFor();
  await shot(page, '06-researcher-no-permission');
  await page.close();
});
