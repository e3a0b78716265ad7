/** What the browser tests share: the demo consortium as real processes, Debian's Chromium, and screenshots. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { demoPortArgs, demoPorts, startMeridian, waitForOutput } from '../integration/processes.ts';

/** Where screenshots and downloads of the browser tests go. */
export const OUT = join(import.meta.dirname, '..', '..', 'test-output', 'e2e');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A running demo consortium with a browser: the portal's address, the browser, and how to stop both. */
export interface DemoBrowser {
  readonly portal: string;
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
  return { portal: `http://127.0.0.1:${ports.hubPort}`, browser, stop };
}

/** A full-page screenshot named `name` in {@link OUT}. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
}
