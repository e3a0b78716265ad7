/** What the browser tests share: the demo consortium as real processes, Debian's Chromium, and screenshots. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../src/demo/consortium.ts';
import { demoPortArgs, demoPorts, startMeridian, waitForOutput } from '../integration/processes.ts';

/** Where screenshots and downloads of the browser tests go. */
export const OUT = join(import.meta.dirname, '..', '..', 'test-output', 'e2e');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A running demo consortium with a browser: the portal's address, the browser, and how to stop both. */
export interface DemoBrowser {
  readonly portal: string;
  /** The demo's home directory (its generated data and ground truth are under `demo-data/`). */
  readonly home: string;
  readonly browser: Browser;
  stop(): Promise<void>;
}

/**
 * Starts `meridian demo` in a fresh home with `patients` per hospital on free ports, waits up to `startTimeoutMs`
 * for it (failing at once if it exits), then launches Chromium (never a downloaded browser).
 */
export async function startDemoBrowser(o: { patients: number; startTimeoutMs: number }): Promise<DemoBrowser> {
  mkdirSync(OUT, { recursive: true });
  const home = mkdtempSync(join(tmpdir(), 'meridian-e2e-'));
  const ports = await demoPorts(3);
  const demo = startMeridian(['demo', '--home', home, ...demoPortArgs(ports), '--patients', String(o.patients)]);
  let browser: Browser | undefined;
  const stop = async () => {
    await browser?.close();
    if (demo.child.exitCode === null) {
      demo.child.kill('SIGINT');
      const exit = await Promise.race([
        demo.exited,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 20_000)),
      ]);
      if (!exit) demo.child.kill('SIGKILL');
    }
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await waitForOutput(demo, 'consortium is up', o.startTimeoutMs);
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
  } catch (e) {
    await stop();
    throw e;
  }
  return { portal: `http://127.0.0.1:${ports.hubPort}`, home, browser, stop };
}

/** A full-page screenshot named `name` in {@link OUT}. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
}

/** Signs `username` in through the login page of `portal` and waits to leave it. */
export async function logIn(page: Page, portal: string, username: string, password = DEMO_PASSWORD): Promise<void> {
  await page.goto(`${portal}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

/** Switches the portal's language with its switch (no-op when it already speaks `lang`). */
export async function switchLang(page: Page, lang: 'en' | 'zh-CN'): Promise<void> {
  if ((await page.evaluate(() => document.documentElement.lang)) === lang) return;
  await page.getByTestId('lang-switch').first().click();
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
}

/** Calls the hub API from inside the page with the signed-in user's session token. */
export async function pageApi(
  page: Page,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const res = await fetch(path, {
        method,
        headers: {
          authorization: `Bearer ${sessionStorage.getItem('meridian.token')}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    { method, path, body },
  );
}

/** Picks the option titled `label` in the antd Select with `testId`. */
export async function chooseOption(page: Page, testId: string, label: string): Promise<void> {
  await page.getByTestId(testId).click();
  await page.locator(`.ant-select-dropdown:visible .ant-select-item-option[title="${label}"]`).click();
}

/** Types `query` into a code picker's search box and picks the option whose title starts with `code `. */
export async function pickCode(page: Page, testId: string, query: string, code: string): Promise<void> {
  const select = page.getByTestId(testId);
  await select.click();
  await select.locator('input').fill(query);
  const option = page.locator(`.ant-select-item-option[title^="${code} "]`).first();
  await option.waitFor();
  await option.click();
  await page.keyboard.press('Escape');
}
