/**
 * Every page of the portal in both languages, in a real Chromium against the demo consortium: each role signs
 * in, opens every page its menu offers, in zh-CN and in en, and the page must render in that language — the
 * document says so, no message key leaks through untranslated, no page crashes the portal (its menu stays) or
 * lands on the not-found page. A screenshot of every page in every language goes to test-output/e2e/pages-<role>-<page>-<lang>.png.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { messages } from '../../web/src/i18n/messages.ts';
import { type DemoBrowser, logIn, shot, startDemoBrowser, switchLang } from './demo-browser.ts';

const DEMO_PATIENTS = 300;
/** How long a page may take to settle after it was opened (its first answers from the hub and the nodes). */
const SETTLE_MS = 1_500;
/** The roles whose menus together cover every page. */
const ROLES = ['admin', 'researcher', 'clinician', 'steward-a', 'ethics', 'auditor', 'manager'] as const;
/** Message keys as they would leak into the page: dotted words such as `projects.col.title`. */
const KEYS = new Set(Object.keys(messages.en));

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

/** The menu entries the signed-in user sees, by their nav keys. */
async function menu(page: Page): Promise<string[]> {
  const ids = await page
    .locator('[data-testid^="nav-"]')
    .evaluateAll((els) => els.map((el) => el.getAttribute('data-testid') ?? ''));
  return ids.map((id) => id.replace(/^nav-/, '')).filter((k) => k !== '');
}

/**
 * The message keys that appear as text on the page (a missing translation shows its key). The audit trail's rows
 * are left out: they list recorded action codes (`audit.search`, …) as data, some of which read like keys.
 */
async function leakedKeys(page: Page): Promise<string[]> {
  const text = await page.evaluate(() => {
    const data = [...document.querySelectorAll<HTMLElement>('[data-testid="audit-table"] tbody')];
    for (const el of data) el.style.display = 'none';
    // biome-ignore lint/performance/useDomNodeTextContent: only rendered text counts (hidden templates hold keys' values too)
    const visible = document.body.innerText;
    for (const el of data) el.style.display = '';
    return visible;
  });
  return [...new Set(text.match(/\b[a-z][A-Za-z]*(?:\.[A-Za-z0-9-]+)+\b/g) ?? [])].filter((w) => KEYS.has(w));
}

for (const role of ROLES) {
  test(`every page ${role} can open renders in zh-CN and en`, { timeout: 300_000 }, async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await logIn(page, portal, role);
    await page.locator('[data-testid^="nav-"]').first().waitFor();
    const pages = await menu(page);
    assert.ok(pages.length >= 3, `${role} sees a menu: ${pages.join(', ')}`);
    for (const lang of ['zh-CN', 'en'] as const) {
      await switchLang(page, lang);
      for (const key of pages) {
        await page.getByTestId(`nav-${key}`).click();
        await page.waitForURL((url) => url.pathname.startsWith(`/${key}`));
        await page.waitForTimeout(SETTLE_MS);
        assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
        assert.equal(await page.getByTestId('page-not-found').count(), 0, `/${key} is a page`);
        assert.equal(await page.getByTestId(`nav-${key}`).count(), 1, `/${key} did not crash the portal`);
        assert.deepEqual(await leakedKeys(page), [], `${role} /${key} in ${lang}: untranslated keys`);
        await shot(page, `pages-${role}-${key}-${lang}`);
      }
    }
    await context.close();
  });
}
