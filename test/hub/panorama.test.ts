/**
 * The patient panorama end to end, in process but with real parts: four ledger validator processes running the
 * production contracts, a hub built in-process, and two real hospital nodes (own database, lake with encrypted
 * identifiers, linkage key) answering over the mutual-TLS task channel. The hub signs `access.record` on the
 * ledger; each node checks it on the ledger before answering. Proves:
 *  - a clinician finds a patient seen at both hospitals by ID number and gets one merged timeline with entries of
 *    both, and one access record per hospital on the ledger, found by the auditor's search;
 *  - an invalid ID number is refused with MER_IDENTITY_INVALID_ID_NUMBER, an unknown one with
 *    MER_PANORAMA_PATIENT_NOT_FOUND; a patient with no local visit needs break glass, which is flagged;
 *  - a node refuses a fetch whose access record is missing from the ledger (or names another hospital);
 *  - every route refuses the wrong roles, a clinician without a hospital is refused;
 *  - not one ID number reaches the hub's database or its audit trail.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { makeIdNumber } from '../../src/demo/generator/id-number.ts';
import { validatorSetOf } from '../../src/ledger/host/index.ts';
import { verifyReceipt } from '../../src/ledger/receipt.ts';
import { ledgerAccessReader } from '../../src/panorama/access.ts';
import { type PanoramaNodeDeps, readRecords } from '../../src/panorama/node.ts';
import { PANORAMA_HUB, type PanoramaConsortium, startPanoramaConsortium } from '../panorama/panorama-consortium.ts';

const HUB = PANORAMA_HUB;

/** Ten persons; 0–4 registered at both hospitals, 5–7 only at A, 8–9 only at B. Person 0 never visited A. */
const PERSONS = Array.from({ length: 10 }, (_, i) => {
  const day = 4_000 + i * 131;
  return {
    id: makeIdNumber('310104', day, 200 + i * 2 + (i % 2)),
    name: `测试${'甲乙丙丁戊己庚辛壬癸'[i]}`,
    sex: i % 2 === 1 ? '男' : '女',
    born: new Date(day * 86_400_000).toISOString().slice(0, 10),
  };
});
/** Person `i`'s ID number. */
const idOf = (i: number): string => (PERSONS[i] as (typeof PERSONS)[number]).id;
const AT_A = [0, 1, 2, 3, 4, 5, 6, 7];
const AT_B = [0, 1, 2, 3, 4, 8, 9];

let c: PanoramaConsortium;

function exportFiles(h: string, members: number[]): Record<string, string> {
  const p = h === 'hospital-a' ? 'A' : 'B';
  const register = [
    'pid,idno,name,sex,born',
    ...members.map((i) => {
      const x = PERSONS[i] as (typeof PERSONS)[number];
      return `${p}${i},${x.id},${x.name},${x.sex},${x.born}`;
    }),
  ];
  const visits = ['pid,vid,type,start,dept'];
  const dx = ['pid,vid,code,name,date'];
  for (const i of members) {
    if (h === 'hospital-a' && i === 0) continue;
    const year = h === 'hospital-a' ? 2022 : 2024;
    visits.push(`${p}${i},${p}V${i},outpatient,${year}-0${1 + (i % 8)}-15,内科`);
    dx.push(
      `${p}${i},${p}V${i},${h === 'hospital-a' ? 'E11.9' : 'I10'},${h === 'hospital-a' ? '2型糖尿病' : '高血压'},${year}-0${1 + (i % 8)}-15`,
    );
  }
  return {
    'register.csv': `${register.join('\n')}\n`,
    'visits.csv': `${visits.join('\n')}\n`,
    'diagnoses.csv': `${dx.join('\n')}\n`,
  };
}

before(async () => {
  c = await startPanoramaConsortium({
    hospitals: [
      { name: 'hospital-a', files: exportFiles('hospital-a', AT_A) },
      { name: 'hospital-b', files: exportFiles('hospital-b', AT_B) },
    ],
    users: [
      ['clinician-a', 'clinician', 'hospital-a'],
      ['clinician-none', 'clinician', null],
      ['auditor', 'auditor', null],
      ['admin', 'admin', null],
      ['steward-a', 'steward', 'hospital-a'],
      ['researcher', 'researcher', null],
    ],
  });
});

after(async () => {
  await c?.close();
});

function call(user: string, method: 'GET' | 'POST', url: string, payload?: unknown) {
  return c.call(user, method, url, payload);
}

test('a patient seen at both hospitals opens as one merged timeline, one ledger access record per hospital', async () => {
  const found = await call('clinician-a', 'POST', '/api/panorama/search', { idNumber: idOf(2) });
  assert.equal(found.statusCode, 200, found.body);
  const s = found.json();
  assert.equal(s.hospital, 'hospital-a');
  assert.equal(s.breakGlassRequired, false);
  assert.deepEqual(s.hospitals, [
    { hospital: 'hospital-a', records: 1 },
    { hospital: 'hospital-b', records: 1 },
  ]);
  const opened = await call('clinician-a', 'POST', '/api/panorama/open', { handle: s.handle });
  assert.equal(opened.statusCode, 200, opened.body);
  const o = opened.json();
  assert.deepEqual(
    o.hospitals.map((h: { hospital: string; status: string }) => [h.hospital, h.status]),
    [
      ['hospital-a', 'ok'],
      ['hospital-b', 'ok'],
    ],
  );
  assert.deepEqual(
    o.timeline.entries.map((e: { hospital: string; kind: string; code?: string }) => [
      e.hospital,
      e.kind,
      e.code ?? null,
    ]),
    [
      ['hospital-b', 'visit', null],
      ['hospital-b', 'diagnosis', 'I10'],
      ['hospital-a', 'visit', null],
      ['hospital-a', 'diagnosis', 'E11.9'],
    ],
  );
  assert.deepEqual(o.patient, { gender: 'female', birthYear: PERSONS[2]?.born.slice(0, 4) });
  assert.deepEqual(Object.keys(o.resources), ['hospital-a', 'hospital-b']);
  assert.equal(o.access.length, 2);
  for (const a of o.access) {
    const res = await c.client.get(HUB, `/v1/query/access?patientToken=${a.patientToken}`);
    const items = (res.body as { value: { items: { contentHash: string; hospital: string; user: { id: string } }[] } })
      .value.items;
    const rec = items.find((r) => r.contentHash === a.contentHash);
    assert.ok(rec, `access record for ${a.hospital} on the ledger`);
    assert.equal(rec.hospital, a.hospital);
    assert.equal(rec.user.id, 'clinician-a');
  }

  const audit = await call(
    'auditor',
    'GET',
    `/api/audit?type=access&user=clinician-a&patientToken=${o.access[0].patientToken}`,
  );
  assert.equal(audit.statusCode, 200, audit.body);
  const records = audit.json().records as { txHash: string | null; hospital: string; breakGlass: boolean }[];
  assert.ok(records.length >= 1);
  assert.ok(records.every((r) => r.txHash !== null && r.breakGlass === false));
  // The access record's receipt, from the ledger, verifies offline against the validator set.
  const receipt = await c.client.get(HUB, `/v1/txs/${records[0]?.txHash}/receipt`);
  assert.equal(receipt.status, 200, JSON.stringify(receipt.body));
  const verified = verifyReceipt(receipt.body, validatorSetOf(c.ledgerConfig));
  assert.ok(verified.ok, JSON.stringify(verified));
});

test('invalid and unknown ID numbers are refused with clear codes', async () => {
  const bad = idOf(1).slice(0, 17) + (idOf(1).endsWith('0') ? '1' : '0');
  const r1 = await call('clinician-a', 'POST', '/api/panorama/search', { idNumber: bad });
  assert.equal(r1.statusCode, 400);
  assert.equal(r1.json().error.code, 'MER_IDENTITY_INVALID_ID_NUMBER');
  const r2 = await call('clinician-a', 'POST', '/api/panorama/search', { idNumber: idOf(8) });
  assert.equal(r2.statusCode, 404);
  assert.equal(r2.json().error.code, 'MER_PANORAMA_PATIENT_NOT_FOUND');
});

test('without a visit at the own hospital only break glass opens the patient, and the audit flags it', async () => {
  const s = (await call('clinician-a', 'POST', '/api/panorama/search', { idNumber: idOf(0) })).json();
  assert.equal(s.breakGlassRequired, true);
  const refused = await call('clinician-a', 'POST', '/api/panorama/open', { handle: s.handle });
  assert.equal(refused.statusCode, 403);
  assert.equal(refused.json().error.code, 'MER_PANORAMA_BREAK_GLASS_REQUIRED');
  const opened = await call('clinician-a', 'POST', '/api/panorama/open', {
    handle: s.handle,
    breakGlass: { reasonCode: 'unconscious-patient', reason: '急诊昏迷，需查既往史' },
  });
  assert.equal(opened.statusCode, 200, opened.body);
  const o = opened.json();
  assert.equal(o.breakGlass, true);
  assert.ok(o.timeline.entries.some((e: { hospital: string }) => e.hospital === 'hospital-b'));
  const audit = (await call('auditor', 'GET', '/api/audit?type=access&user=clinician-a')).json();
  const flagged = audit.records.filter((r: { breakGlass: boolean }) => r.breakGlass);
  assert.ok(flagged.length >= 2);
  assert.ok(
    flagged.every(
      (r: { reasonCode: string; reason: string }) => r.reasonCode === 'unconscious-patient' && r.reason.length > 0,
    ),
  );
  const ops = (await call('admin', 'GET', '/api/audit?type=operation&action=panorama.open')).json();
  assert.ok(ops.records.some((r: { action: string }) => r.action === 'panorama.open.break-glass'));
  assert.ok(
    ops.records.some(
      (r: { action: string; outcome: string }) => r.action === 'panorama.open' && r.outcome === 'refused',
    ),
  );
});

test('a node refuses to return records without a matching access record on its own ledger replica', async () => {
  const s = (await call('clinician-a', 'POST', '/api/panorama/search', { idNumber: idOf(3) })).json();
  const o = (await call('clinician-a', 'POST', '/api/panorama/open', { handle: s.handle })).json();
  const forA = o.access.find((a: { hospital: string }) => a.hospital === 'hospital-a');
  const forB = o.access.find((a: { hospital: string }) => a.hospital === 'hospital-b');
  const nodeB = c.nodes.get('hospital-b');
  assert.ok(nodeB);
  const deps: PanoramaNodeDeps = {
    lake: nodeB.stores.lake,
    crypto: nodeB.stores.crypto,
    key: nodeB.linkageKey,
    hospital: 'hospital-b',
    ledger: ledgerAccessReader({ client: c.client, prefer: HUB, order: [HUB] }),
  };
  // The record written for hospital A does not open hospital B's records, nor does a made-up one.
  for (const contentHash of [forA.contentHash, 'f'.repeat(64)]) {
    await assert.rejects(
      readRecords(deps, { persons: [{ personKey: 'B3', patientToken: forB.patientToken, contentHash }] }),
      (e: Error & { code?: string }) => e.code === 'MER_PANORAMA_ACCESS_NOT_RECORDED',
    );
  }
  // The right record for another person's key is refused too: the token is the node's own, not the hub's word.
  await assert.rejects(
    readRecords(deps, {
      persons: [{ personKey: 'B4', patientToken: forB.patientToken, contentHash: forB.contentHash }],
    }),
    (e: Error & { code?: string }) => e.code === 'MER_PANORAMA_ACCESS_NOT_RECORDED',
  );
  const ok = await readRecords(deps, {
    persons: [{ personKey: 'B3', patientToken: forB.patientToken, contentHash: forB.contentHash }],
  });
  assert.ok(ok.resources.length > 1);
});

test('routes refuse the wrong roles, and a clinician without a hospital', async () => {
  const body = { idNumber: idOf(2) };
  for (const user of ['auditor', 'admin', 'steward-a', 'researcher']) {
    assert.equal((await call(user, 'POST', '/api/panorama/search', body)).statusCode, 403, user);
    assert.equal(
      (await call(user, 'POST', '/api/panorama/open', { handle: '5b0c7a1e-1c1d-4a53-9a0e-2d0f6f1b1a11' })).statusCode,
      403,
      user,
    );
  }
  for (const user of ['clinician-a', 'steward-a', 'researcher'])
    assert.equal((await call(user, 'GET', '/api/audit')).statusCode, 403, user);
  const none = await call('clinician-none', 'POST', '/api/panorama/search', body);
  assert.equal(none.statusCode, 403);
  assert.equal(none.json().error.code, 'MER_PANORAMA_NO_HOSPITAL');
  const other = (await call('clinician-a', 'POST', '/api/panorama/search', { idNumber: idOf(5) })).json();
  const stolen = await call('clinician-none', 'POST', '/api/panorama/open', { handle: other.handle });
  assert.equal(stolen.statusCode, 403);
});

test('no ID number reaches the hub: not in any table, not in the audit trail', async () => {
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables where table_schema = current_schema()`.execute(c.hubDb);
  const dump: string[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table_name)}`.execute(c.hubDb);
    dump.push(JSON.stringify(rows.rows));
  }
  const all = dump.join('\n');
  assert.ok(all.includes('panorama.search'), 'the searches were audited');
  for (const p of PERSONS) {
    assert.ok(!all.includes(p.id), 'an ID number in the hub database');
    assert.ok(!all.includes(p.id.slice(0, 17)), 'the body of an ID number in the hub database');
  }
});
