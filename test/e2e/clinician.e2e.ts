/**
 * The patient panorama and the audit trail in a real Chromium against the real demo consortium (four validator
 * processes, the hub, three hospital nodes): a clinician of hospital A finds a patient who was seen at two
 * hospitals (picked from the generator's ground truth) by ID number, opens the record and sees one merged
 * timeline with entries from both hospitals; then the auditor finds that access on the audit page and verifies
 * its ledger receipt in the browser. Screenshots go to test-output/e2e/.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { DEMO_PASSWORD } from '../../src/demo/consortium.ts';
import { checkIdNumber } from '../../src/identity/id-number.ts';
import { waitUntil } from '../integration/processes.ts';
import { type DemoBrowser, logIn, OUT, shot, startDemoBrowser } from './demo-browser.ts';

/** Patients per demo hospital: enough for persons seen at two hospitals, small enough to load quickly. */
const DEMO_PATIENTS = 60;
/** Candidates from the ground truth tried through the API before the browser walk. */
const CANDIDATES_MAX = 40;
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

/** ID numbers of persons the ground truth places at hospital A and at another hospital. */
function sharedAtA(home: string): string[] {
  const lines = readFileSync(join(home, 'demo-data', 'ground-truth', 'persons.csv'), 'utf8')
    .trim()
    .split('\n');
  const header = (lines[0] ?? '').split(',');
  const col = (name: string) => header.indexOf(name);
  const [h, person, id] = [col('hospital'), col('person_id'), col('id_number')];
  const byPerson = new Map<string, { hospitals: Set<string>; id: string }>();
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    const p = f[person] as string;
    const entry = byPerson.get(p) ?? { hospitals: new Set<string>(), id: f[id] as string };
    entry.hospitals.add(f[h] as string);
    byPerson.set(p, entry);
  }
  return [...byPerson.values()]
    .filter((e) => e.hospitals.has('hospital-a') && e.hospitals.size >= 2 && checkIdNumber(e.id).ok)
    .map((e) => e.id);
}

async function api<T>(path: string, token: string | null, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${portal}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

test('a clinician opens a patient seen at two hospitals as one merged timeline; the auditor verifies the access', {
  timeout: 600_000,
}, async () => {
  const candidates = sharedAtA((demo as DemoBrowser).home).slice(0, CANDIDATES_MAX);
  assert.ok(candidates.length > 0, 'the ground truth has persons seen at hospital A and elsewhere');
  const login = await api<{ token: string }>('/api/auth/login', null, {
    username: 'clinician',
    password: DEMO_PASSWORD,
  });
  // The hub links the hospitals' tokens in periodic sweeps; run one now rather than wait for the next, then take
  // the first candidate that resolves to two hospitals with a visit at hospital A (a normal, not an emergency, access).
  const admin = await api<{ token: string }>('/api/auth/login', null, { username: 'admin', password: DEMO_PASSWORD });
  const sweep = await api<unknown>('/api/identity/sweep', admin.body.token, {});
  assert.equal(sweep.status, 200, JSON.stringify(sweep.body));
  const idNumber = await waitUntil('a patient linked across two hospitals', 300_000, async () => {
    for (const id of candidates) {
      const r = await api<{ hospitals?: unknown[]; breakGlassRequired?: boolean }>(
        '/api/panorama/search',
        login.body.token,
        { idNumber: id },
      );
      if (r.status === 200 && (r.body.hospitals?.length ?? 0) >= 2 && r.body.breakGlassRequired === false) return id;
    }
    return undefined;
  });

  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, acceptDownloads: true });
  const page = await context.newPage();
  await logIn(page, portal, 'clinician');
  await page.waitForURL(/\/panorama$/);
  await page.getByTestId('panorama-id-input').fill(idNumber);
  await shot(page, 'clinician-01-search');
  await page.getByTestId('panorama-search').click();
  await page.getByTestId('panorama-found').waitFor();
  await page.getByTestId('panorama-open').click();
  await page.getByTestId('panorama-timeline').waitFor({ timeout: 60_000 });
  const hospitals = await page
    .locator('[data-testid="timeline-entry"]')
    .evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-hospital')))].sort());
  assert.ok(hospitals.length >= 2, `entries from two hospitals, got ${hospitals.join(', ')}`);
  assert.ok(hospitals.includes('hospital-a'));
  const recorded = await page.getByTestId('panorama-access').textContent();
  for (const h of hospitals) assert.match(recorded ?? '', new RegExp(h as string));
  await page.screenshot({ path: join(OUT, 'clinician-02-panorama-zh-top.png') });
  await shot(page, 'clinician-02-panorama-zh');
  await page.getByTestId('lang-switch').first().click();
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  await page.screenshot({ path: join(OUT, 'clinician-03-panorama-en-top.png') });
  await shot(page, 'clinician-03-panorama-en');
  await context.close();

  const auditContext = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const audit = await auditContext.newPage();
  await logIn(audit, portal, 'auditor');
  await audit.getByTestId('nav-audit').click();
  await audit.waitForURL(/\/audit$/);
  await audit.getByTestId('audit-user').fill('clinician');
  await audit.getByTestId('audit-search').click();
  const row = audit.locator('[data-testid="audit-row-access"]').first();
  await row.waitFor({ timeout: 60_000 });
  await shot(audit, 'audit-01-search');
  const verify = row.locator('[data-testid^="receipt-verify-"]');
  await verify.click();
  await audit.getByTestId('verify-result').waitFor({ timeout: 60_000 });
  assert.equal(await audit.getByTestId('verify-result').getAttribute('data-ok'), 'true');
  await audit.getByTestId('verify-ok').waitFor();
  await shot(audit, 'audit-02-receipt-verified');
  await auditContext.close();
});
