/**
 * Linkage end to end on generated data: a 3-hospital consortium is generated, each hospital's persons are
 * loaded with DEMO_MAPPINGS into its lake, each node answers `identity.tokens` pages, and the hub's
 * LinkageService links them. Checked against the manifest's ground-truth links: pair precision ≥ 0.99 and
 * recall ≥ 0.95; a second batch attaches to existing global ids without renumbering anyone, a bridging record
 * merges two globals (older id survives, event recorded) and a split is recorded; nothing clear (names, ID
 * numbers in any form, phones) is in any message the hub receives or any row it writes; bad batches are
 * refused with clear errors. Also EM recovers known m/u/λ from an exact mixture (pure core).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { toOldIdNumber } from '../../src/demo/generator/index.ts';
import { DEMO_HOSPITALS, type DemoHospital } from '../../src/demo/mappings/index.ts';
import { isMeridianError } from '../../src/errors/registry.ts';
import {
  estimateU,
  FIELDS,
  type FsModel,
  LEVELS,
  PATTERNS,
  patternLevel,
  runEm,
} from '../../src/identity/fellegi-sunter.ts';
import { cleanIdNumberText } from '../../src/identity/id-number.ts';
import { identityTaskHandlers, type TokenPage } from '../../src/identity/node.ts';
import { normalizeIdentity, normalizePhone } from '../../src/identity/normalize.ts';
import { IDENTITY_MIGRATIONS, type IdentityDatabase } from '../../src/identity/schema.ts';
import { LinkageService } from '../../src/identity/service.ts';
import { LinkageKey, type TokenRecord } from '../../src/identity/tokens.ts';
import { openDatabase } from '../../src/store/index.ts';
import { freshDatabase } from '../store/targets.ts';
import { type DemoPersons, openDemoPersons } from './demo-persons.ts';

const PATIENTS = 300;
const SEED = 42;
const PAGE = 250;
const KEY = new LinkageKey(Buffer.alloc(32, 11));

let root: string;
let demo: DemoPersons;
/** Every page each node sent, as the JSON text that crossed the wire. */
const messages = new Map<DemoHospital, string[]>();

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'identity-linkage-'));
  demo = await openDemoPersons({ dir: join(root, 'demo'), patients: PATIENTS, seed: SEED });
  for (const h of DEMO_HOSPITALS) {
    const handler = identityTaskHandlers({
      lake: demo.lakes.get(h) as never,
      key: KEY,
      hospital: h,
      decrypt: demo.decrypt.get(h),
    })['identity.tokens'] as (p: unknown) => Promise<TokenPage>;
    const pages: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 100; i++) {
      const page = await handler(JSON.parse(JSON.stringify({ after, limit: PAGE })));
      pages.push(JSON.stringify(page));
      if (page.next === null) break;
      after = page.next;
    }
    messages.set(h, pages);
  }
});

after(async () => {
  await demo.close();
  rmSync(root, { recursive: true, force: true });
});

async function openHub() {
  const fresh = freshDatabase();
  const store = await openDatabase<IdentityDatabase>({ ...fresh.options, migrations: IDENTITY_MIGRATIONS });
  let tick = 0;
  const service = new LinkageService({ db: store.db, now: () => new Date(Date.UTC(2026, 4, 1, 8, 0, tick++)) });
  return {
    db: store.db,
    service,
    async linkHospital(h: DemoHospital) {
      for (const [i, m] of (messages.get(h) as string[]).entries())
        await service.linkPage({ from: h, batchId: `${h}-${i}`, page: JSON.parse(m) });
    },
    async assignments() {
      const out = new Map<string, string>();
      let afterId: string | undefined;
      for (;;) {
        const rows = await service.assignments({ after: afterId, limit: 1000 });
        for (const r of rows) out.set(r.recordId, r.globalId);
        if (rows.length < 1000) return out;
        afterId = rows.at(-1)?.recordId;
      }
    },
    async close() {
      await store.close();
      await fresh.cleanup();
    },
  };
}

const isAscii = (s: string) => [...s].every((c) => c.charCodeAt(0) < 128);
const pair = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

/** Ground-truth pairs of record ids (`<hospital>:<person_id>`), from the manifest's links. */
function truthPairs(): Set<string> {
  const out = new Set<string>();
  for (const g of demo.manifest.links) {
    const ids = g.records.map((r) => `${r.hospital}:${r.resourceId ?? r.patientId}`);
    for (let i = 0; i < ids.length; i++)
      for (let j = i + 1; j < ids.length; j++) out.add(pair(ids[i] as string, ids[j] as string));
  }
  return out;
}

function predictedPairs(assignments: Map<string, string>): Set<string> {
  const byGlobal = new Map<string, string[]>();
  for (const [r, g] of assignments) byGlobal.set(g, [...(byGlobal.get(g) ?? []), r]);
  const out = new Set<string>();
  for (const ids of byGlobal.values())
    for (let i = 0; i < ids.length; i++)
      for (let j = i + 1; j < ids.length; j++) out.add(pair(ids[i] as string, ids[j] as string));
  return out;
}

test('linkage on generated data: pair precision ≥ 0.99 and recall ≥ 0.95 against the manifest', async () => {
  const hub = await openHub();
  try {
    for (const h of DEMO_HOSPITALS) await hub.linkHospital(h);
    const assignments = await hub.assignments();
    const truth = truthPairs();
    const predicted = predictedPairs(assignments);
    const tp = [...predicted].filter((p) => truth.has(p)).length;
    const precision = tp / predicted.size;
    const recall = tp / truth.size;
    assert.ok(truth.size > 50, `enough true pairs (${truth.size})`);
    assert.ok(precision >= 0.99, `precision ${precision}`);
    assert.ok(recall >= 0.95, `recall ${recall}`);
    assert.ok(assignments.size >= PATIENTS * 3 * 0.95, `most persons are in the index (${assignments.size})`);
  } finally {
    await hub.close();
  }
});

test('incremental: a second batch attaches without renumbering; a bridge merges (older id survives); split', async () => {
  const hub = await openHub();
  try {
    await hub.linkHospital('hospital-a');
    await hub.linkHospital('hospital-b');
    const first = await hub.assignments();
    await hub.linkHospital('hospital-c');
    const second = await hub.assignments();
    const merges = (await hub.service.events()).filter((e) => e.kind === 'merge');
    const mergedInto = new Map(merges.map((e) => [e.other_global_id as string, e.global_id]));
    let attachedToOld = 0;
    for (const [r, g] of first) {
      const now = second.get(r);
      assert.ok(now === g || mergedInto.get(g) === now, `${r} kept ${g} (or its merge is recorded)`);
    }
    const oldGlobals = new Set(first.values());
    for (const [r, g] of second) if (r.startsWith('hospital-c:') && oldGlobals.has(g)) attachedToOld++;
    assert.ok(attachedToOld > 10, `hospital C records attached to existing ids (${attachedToOld})`);
    const again = await hub.service.linkPage({
      from: 'hospital-c',
      batchId: 'hospital-c-0',
      page: JSON.parse((messages.get('hospital-c') as string[])[0] as string),
    });
    assert.equal(again.batchId, 'hospital-c-0', 'a resent batch returns its summary');
    assert.deepEqual(await hub.assignments(), second, 'and changes nothing');

    // A new record carrying one global's ID token and another (ID-less) global's name, birth date, sex and
    // phone bridges the two: they merge, the older id survives, and the event is recorded.
    const records = await hub.db.selectFrom('identity_records').select(['record_id', 'tokens', 'global_id']).execute();
    const sizes = new Map<string, number>();
    for (const r of records) sizes.set(r.global_id, (sizes.get(r.global_id) ?? 0) + 1);
    const idOf = (g: string) => records.filter((r) => r.global_id === g).some((r) => JSON.parse(r.tokens).id);
    const withId = records.find((r) => JSON.parse(r.tokens).id && sizes.get(r.global_id) === 1);
    const without = records.find((r) => {
      const t = JSON.parse(r.tokens);
      return !idOf(r.global_id) && t.phone && t.name && t.dob && t.sex && r.global_id !== withId?.global_id;
    });
    assert.ok(withId && without, 'the index holds a global with an ID number and one without');
    const a = JSON.parse(withId.tokens);
    const b = JSON.parse(without.tokens);
    const bridge: TokenRecord = {
      hospital: 'hospital-c',
      recordKey: 'bridge-1',
      tokens: { ...b, id: a.id, nameDobSex: undefined },
    };
    const summary = await hub.service.linkPage({
      from: 'hospital-c',
      batchId: 'bridge',
      page: { hospital: 'hospital-c', keyId: KEY.keyId, records: [JSON.parse(JSON.stringify(bridge))], next: null },
    });
    assert.equal(summary.merges, 1, JSON.stringify(summary));
    const [older, younger] = [withId.global_id, without.global_id].sort() as [string, string];
    assert.equal(await hub.service.globalIdOf('hospital-c:bridge-1'), older);
    assert.equal(await hub.service.globalIdOf(withId.record_id), older);
    assert.equal(await hub.service.globalIdOf(without.record_id), older);
    assert.equal(await hub.service.resolveGlobalId(younger), older);
    const events = await hub.service.events();
    assert.ok(events.some((e) => e.kind === 'merge' && e.global_id === older && e.other_global_id === younger));

    const split = await hub.service.split({ recordId: 'hospital-c:bridge-1', by: 'steward-x', reason: 'test' });
    assert.equal(split.from, older);
    assert.notEqual(split.globalId, older);
    assert.equal(await hub.service.globalIdOf(withId.record_id), older, 'the others keep their id');
    assert.ok((await hub.service.events()).some((e) => e.kind === 'split' && e.record_id === 'hospital-c:bridge-1'));
  } finally {
    await hub.close();
  }
});

test('review queue: a borderline pair is queued; accepting merges and is recorded; deciding twice is refused', async () => {
  const hub = await openHub();
  try {
    await hub.linkHospital('hospital-a');
    await hub.linkHospital('hospital-b');
    const records = await hub.db
      .selectFrom('identity_records')
      .select(['record_id', 'tokens', 'global_id'])
      .orderBy('record_id')
      .limit(1)
      .execute();
    const t = JSON.parse((records[0] as { tokens: string }).tokens);
    // Same pinyin (a homophone), month and day of birth and sex, another birth year, nothing else: borderline.
    const borderline: TokenRecord = {
      hospital: 'hospital-c',
      recordKey: 'borderline-1',
      tokens: {
        namePinyin: t.namePinyin,
        name: KEY.token('name', 'other'),
        dob: KEY.token('dob', 'another year'),
        birthMonthDay: t.birthMonthDay,
        sex: t.sex,
      },
    };
    // Thresholds wide enough that this pair falls between them whatever the estimated weights are.
    const thresholds = { accept: 1 - 1e-12, review: 1e-6 };
    const strict = new LinkageService({ db: hub.db, now: () => new Date(Date.UTC(2026, 5, 1)), thresholds });
    const s = await strict.linkPage({
      from: 'hospital-c',
      batchId: 'c-1',
      page: { hospital: 'hospital-c', keyId: KEY.keyId, records: [borderline], next: null },
    });
    const pending = await hub.service.reviews({ status: 'pending' });
    assert.equal(s.reviewsQueued, pending.length);
    assert.ok(pending.length >= 1, JSON.stringify(s));
    const item = pending[0] as (typeof pending)[number];
    assert.deepEqual(Object.keys(item.comparison).sort(), [...FIELDS].sort());
    assert.ok(item.probability >= thresholds.review && item.probability < thresholds.accept);
    const r = await hub.service.decide({ reviewId: item.reviewId, decision: 'accept', by: 'reviewer-1' });
    assert.equal(r.merged, true);
    assert.equal(await hub.service.globalIdOf(item.recordA), await hub.service.globalIdOf(item.recordB));
    await assert.rejects(hub.service.decide({ reviewId: item.reviewId, decision: 'reject', by: 'reviewer-1' }), (e) =>
      isMeridianError(e, 'MER_IDENTITY_REVIEW_DECIDED'),
    );
    await assert.rejects(hub.service.decide({ reviewId: 'R999999999', decision: 'reject', by: 'reviewer-1' }), (e) =>
      isMeridianError(e, 'MER_IDENTITY_NOT_FOUND'),
    );
    assert.ok((await hub.service.events()).some((e) => e.kind === 'review-accepted' && e.actor === 'reviewer-1'));
  } finally {
    await hub.close();
  }
});

test('no clear identifier reaches the hub: not in any message it receives nor any row it writes', async () => {
  // Every clear form the nodes hold: as written in the lake, normalized, and the other ID spellings.
  const clear = new Set<string>();
  for (const lake of demo.lakes.values()) {
    const rows = await lake.query<{ id_number: string | null; name: string | null; phone: string | null }>(
      'select id_number, name, phone from person',
    );
    for (const r of rows) {
      const n = normalizeIdentity({ idNumber: r.id_number, name: r.name, phone: r.phone });
      for (const v of [r.id_number, r.name, r.phone, n.idNumber, n.name, n.phone, normalizePhone(r.phone)])
        if (v) clear.add(v);
      if (r.id_number) clear.add(cleanIdNumberText(r.id_number));
      if (n.idNumber) {
        clear.add(toOldIdNumber(n.idNumber));
        clear.add(n.idNumber.replace(/X$/, 'x'));
      }
      if (n.name) clear.add(n.name.replaceAll('·', ''));
    }
  }
  assert.ok(clear.size > PATIENTS * 3, `collected ${clear.size} clear values`);
  const numeric = [...clear].filter((v) => /^[0-9Xx]+$/.test(v));
  const lengths = [...new Set(numeric.map((v) => v.length))];
  const numericSet = new Set(numeric);
  const inspect = (what: string, text: string) => {
    assert.ok(isAscii(text), `${what}: only ASCII (no name, no full-width number)`);
    for (const run of text.match(/[0-9Xx]{7,}/g) ?? [])
      for (const len of lengths)
        for (let i = 0; i + len <= run.length; i++)
          assert.ok(!numericSet.has(run.slice(i, i + len)), `${what}: a clear ID number or phone`);
    for (const v of clear) if (!/^[0-9Xx]+$/.test(v) && isAscii(v)) assert.ok(!text.includes(v), what);
  };
  const hub = await openHub();
  try {
    for (const h of DEMO_HOSPITALS) {
      for (const m of messages.get(h) as string[]) inspect(`message from ${h}`, m);
      await hub.linkHospital(h);
    }
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables
      where table_name like 'identity_%' and table_schema = current_schema()`.execute(hub.db);
    assert.equal(tables.rows.length, 8, 'every identity table is inspected');
    for (const { table_name } of tables.rows) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table_name)}`.execute(hub.db);
      inspect(table_name, JSON.stringify(rows.rows));
    }
  } finally {
    await hub.close();
  }
});

test('bad batches are refused: another key, another hospital, a malformed record, too many records', async () => {
  const hub = await openHub();
  try {
    const page = JSON.parse((messages.get('hospital-a') as string[])[0] as string) as TokenPage;
    await hub.service.linkPage({ from: 'hospital-a', batchId: 'a-0', page });
    const other = new LinkageKey(Buffer.alloc(32, 12));
    await assert.rejects(
      hub.service.linkPage({ from: 'hospital-a', batchId: 'a-x', page: { ...page, keyId: other.keyId } }),
      (e) => isMeridianError(e, 'MER_IDENTITY_KEY_MISMATCH'),
    );
    await assert.rejects(hub.service.linkPage({ from: 'hospital-b', batchId: 'b-x', page }), (e) =>
      isMeridianError(e, 'MER_IDENTITY_INVALID_TOKENS'),
    );
    const bad = { ...page, records: [{ hospital: 'hospital-a', recordKey: 'p1', tokens: { name: '张伟' } }] };
    await assert.rejects(
      hub.service.linkPage({ from: 'hospital-a', batchId: 'a-y', page: bad }),
      (e) => isMeridianError(e, 'MER_IDENTITY_INVALID_TOKENS') && !e.message.includes('张伟'),
    );
    const small = new LinkageService({ db: hub.db, now: () => new Date(0), batchRecordsMax: 2 });
    await assert.rejects(small.linkPage({ from: 'hospital-a', batchId: 'a-z', page }), (e) =>
      isMeridianError(e, 'MER_IDENTITY_INVALID_TOKENS'),
    );
  } finally {
    await hub.close();
  }
});

test('EM recovers m, u and λ from an exact two-class mixture (pure core)', () => {
  const truth: FsModel = {
    m: {
      id: [0.01, 0.99],
      name: [0.05, 0.15, 0.8],
      dob: [0.02, 0.03, 0.95],
      sex: [0.02, 0.98],
      phone: [0.1, 0.1, 0.8],
    },
    u: {
      id: [0.999, 0.001],
      name: [0.97, 0.02, 0.01],
      dob: [0.99, 0.008, 0.002],
      sex: [0.5, 0.5],
      phone: [0.998, 0.001, 0.001],
    },
    lambdaCandidates: 0.2,
    prior: 0,
    iterations: 0,
  };
  const counts = new Array<number>(PATTERNS).fill(0);
  const N = 1e7;
  for (let p = 0; p < PATTERNS; p++) {
    let pm = truth.lambdaCandidates;
    let pu = 1 - truth.lambdaCandidates;
    let ok = true;
    FIELDS.forEach((f, k) => {
      const l = patternLevel(p, k);
      if (l === null) {
        ok = false;
        return;
      }
      pm *= truth.m[f][l] as number;
      pu *= truth.u[f][l] as number;
    });
    if (ok) counts[p] = N * (pm + pu);
  }
  const em = runEm(counts, estimateU(new Array<number>(PATTERNS).fill(1)));
  assert.ok(Math.abs(em.lambda - 0.2) < 1e-3, `λ ${em.lambda}`);
  for (const f of FIELDS)
    for (let l = 0; l < LEVELS[f]; l++) {
      assert.ok(Math.abs((em.m[f][l] as number) - (truth.m[f][l] as number)) < 2e-3, `m ${f}${l}`);
      assert.ok(Math.abs((em.u[f][l] as number) - (truth.u[f][l] as number)) < 2e-3, `u ${f}${l}`);
    }
});
