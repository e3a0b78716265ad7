/**
 * The hub's concept search and steward-approval routes, in-process (inject): concept search in Chinese and English,
 * batch lookup, their bounds and roles; a steward reaches only their own hospital's held tasks, an admin lists but
 * cannot decide, and an unknown node is named.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { HubApps } from '../../src/hub/app.ts';
import type { HubDatabase } from '../../src/hub/schema.ts';
import { signInUsers, startTestHub } from './test-hub.ts';

let hub: HubApps;
let dispose: () => Promise<void>;
let db: Kysely<HubDatabase>;
let tokens: Record<string, string>;

before(async () => {
  ({ hub, dispose, db } = await startTestHub());
  tokens = await signInUsers(hub, [
    ['researcher', 'researcher', null],
    ['clinician', 'clinician', 'hospital-a'],
    ['steward-a', 'steward', 'hospital-a'],
    ['admin', 'admin', null],
  ]);
});

after(() => dispose());

const get = (url: string, user: string) =>
  hub.userApp.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens[user]}` } });
const post = (url: string, user: string, payload: unknown) =>
  hub.userApp.inject({
    method: 'POST',
    url,
    payload: payload as object,
    headers: { authorization: `Bearer ${tokens[user]}` },
  });

test('concept search finds a Chinese and an English term, best match first', async () => {
  const zh = await get(`/api/federation/concepts?q=${encodeURIComponent('糖尿病')}`, 'researcher');
  assert.equal(zh.statusCode, 200, zh.body);
  const zhHits = zh.json().hits as { code: string; vocabulary: string; zh: string }[];
  assert.ok(
    zhHits.some((h) => h.vocabulary === 'ICD-10' && h.code === 'E11'),
    zh.body,
  );
  const en = await get('/api/federation/concepts?q=hypertension&vocabulary=ICD-10&limit=3', 'researcher');
  assert.equal(en.statusCode, 200, en.body);
  const enHits = en.json().hits as { code: string; vocabulary: string }[];
  assert.ok(enHits.length > 0 && enHits.length <= 3);
  assert.ok(enHits.every((h) => h.vocabulary === 'ICD-10'));
  assert.ok(
    enHits.some((h) => h.code.startsWith('I10')),
    en.body,
  );
});

test('concept search and lookup refuse bad input with the field named, and other roles', async () => {
  const limit = await get('/api/federation/concepts?q=E11&limit=1000', 'researcher');
  assert.equal(limit.statusCode, 400);
  assert.equal(limit.json().error.code, 'MER_HTTP_VALIDATION');
  assert.match(limit.json().error.message, /limit/);
  const vocabulary = await get('/api/federation/concepts?q=E11&vocabulary=SNOMED', 'researcher');
  assert.equal(vocabulary.statusCode, 400);
  assert.match(vocabulary.json().error.message, /vocabulary/);
  const empty = await get('/api/federation/concepts?q=', 'researcher');
  assert.equal(empty.statusCode, 400);
  const blank = await get('/api/federation/concepts?q=%20%20', 'researcher');
  assert.equal(blank.statusCode, 400);
  assert.equal(blank.json().error.code, 'MER_COHORT_SEARCH_INVALID');
  const tooMany = await post('/api/federation/concepts/lookup', 'researcher', {
    codes: Array.from({ length: 1001 }, (_, i) => `E${i}`),
  });
  assert.equal(tooMany.statusCode, 400);
  assert.match(tooMany.json().error.message, /codes/);
  const clinician = await get('/api/federation/concepts?q=E11', 'clinician');
  assert.equal(clinician.statusCode, 403);
});

test('batch lookup names the known codes and returns the unknown ones as given', async () => {
  const res = await post('/api/federation/concepts/lookup', 'researcher', {
    codes: ['E11.900', 'i10.x00', 'Z99.999', 'E11.900'],
  });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json() as { known: { input: string; code: string; zh: string }[]; unknown: string[] };
  assert.deepEqual(
    body.known.map((k) => `${k.input}→${k.code}`),
    ['E11.900→E11.900', 'i10.x00→I10.x00'],
  );
  assert.deepEqual(body.unknown, ['Z99.999']);
});

test('a steward sees only their own hospital’s held tasks; an admin cannot decide; an unknown node is named', async () => {
  const other = await get('/api/federation/approvals/hospital-b', 'steward-a');
  assert.equal(other.statusCode, 403);
  assert.equal(other.json().error.code, 'MER_FED_OTHER_HOSPITAL');
  const own = await get('/api/federation/approvals/hospital-a', 'steward-a');
  assert.equal(own.statusCode, 404, own.body);
  assert.equal(own.json().error.code, 'MER_NODE_UNKNOWN');
  const admin = await post('/api/federation/approvals/hospital-a/task-1', 'admin', {
    decision: 'approve',
    comment: 'ok',
  });
  assert.equal(admin.statusCode, 403);
  const noComment = await post('/api/federation/approvals/hospital-a/task-1', 'steward-a', {
    decision: 'approve',
    comment: '   ',
  });
  assert.equal(noComment.statusCode, 400);
  assert.match(noComment.json().error.message, /comment/);
  const refused = await db
    .selectFrom('hub_audit')
    .select(['actor', 'outcome', 'target'])
    .where('actor', '=', 'steward-a')
    .where('outcome', '=', 'refused')
    .execute();
  assert.ok(
    refused.some((r) => r.target === 'hospital-b'),
    'the refusal of a foreign hospital is audited',
  );
});
