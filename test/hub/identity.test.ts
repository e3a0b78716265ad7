/**
 * The master patient index end to end: a hub built in-process and two real hospital nodes (own database, lake
 * and linkage key, connected over mutual TLS) that loaded patient registers with clear names, ID numbers and
 * phones. A sweep through the hub's API links them; the persons seen at both hospitals become one global id,
 * the roles are enforced, and not one clear identifier is found anywhere in the hub's database.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { issueIdentity, loadTlsMaterial } from '../../src/ca/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { NodeConfig } from '../../src/config/schema.ts';
import { makeIdNumber, toOldIdNumber } from '../../src/demo/generator/id-number.ts';
import { toFullWidth } from '../../src/demo/generator/identity.ts';
import type { HubApps } from '../../src/hub/app.ts';
import type { HubDatabase } from '../../src/hub/schema.ts';
import { identityTaskHandlers, LinkageKey } from '../../src/identity/index.ts';
import { buildNodeApp, type NodeApps } from '../../src/node/app.ts';
import { loadLinkageKey } from '../../src/node/keys.ts';
import { type NodeStores, openNodeStores } from '../../src/node/stores.ts';
import { waitUntil } from '../integration/processes.ts';
import { signInUsers, startTestHub } from './test-hub.ts';

const SPEC = {
  id: 'register',
  version: 1,
  target: 'person',
  fields: {
    person_id: { from: 'pid' },
    local_patient_id: { from: 'pid' },
    id_number: { from: 'idno' },
    name: { from: 'name' },
    phone: { from: 'phone' },
    gender: { from: 'sex', as: 'sex' },
    birth_date: { from: 'born', as: 'date' },
  },
};
const PROFILE = { source: 'his', rules: [{ match: '*.csv', specs: ['register'] }] };
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴'];
const GIVEN = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '洋', '艳', '勇', '军'];

interface Person {
  id: string;
  name: string;
  phone: string;
  sex: 'M' | 'F';
  born: string;
}

/** 60 persons with valid ID numbers; the first 20 are registered at both hospitals. */
const PERSONS: Person[] = Array.from({ length: 60 }, (_, i) => {
  const day = 3_000 + i * 97;
  const born = new Date(day * 86_400_000).toISOString().slice(0, 10);
  return {
    id: makeIdNumber('110101', day, 100 + i * 2 + (i % 2)),
    name: `${SURNAMES[i % SURNAMES.length]}${GIVEN[i % GIVEN.length]}${GIVEN[(i * 7) % GIVEN.length]}`,
    phone: `139${String(10_000_000 + i * 7_919).padStart(8, '0')}`,
    sex: i % 2 === 1 ? 'M' : 'F',
    born,
  };
});
const SHARED = 20;

function register(rows: { pid: string; p: Person; idno: string; name: string }[]): string {
  const lines = ['pid,idno,name,phone,sex,born'];
  for (const r of rows)
    lines.push(`${r.pid},${r.idno},${r.name},${r.p.phone},${r.p.sex === 'M' ? '男' : '女'},${r.p.born}`);
  return `${lines.join('\n')}\n`;
}

interface TestNode {
  stores: NodeStores;
  apps: NodeApps;
}

let hub: HubApps;
let hubDb: Kysely<HubDatabase>;
let dispose: () => Promise<void>;
const nodes: TestNode[] = [];
const tokens: Record<string, string> = {};

async function startNode(pkiDir: string, hubUrl: string, name: string, csv: string, key: Buffer): Promise<TestNode> {
  await issueIdentity({ dir: pkiDir, name, role: 'node' });
  const home = join(pkiDir, '..', name);
  mkdirSync(join(home, 'export'), { recursive: true });
  writeFileSync(join(home, 'export', 'register.csv'), csv);
  mkdirSync(join(home, 'data', 'keys'), { recursive: true });
  writeFileSync(join(home, 'data', 'keys', 'linkage.key'), key, { mode: 0o600 });
  const config: NodeConfig = loadConfig({
    role: 'node',
    env: {},
    overrides: {
      dataDir: join(home, 'data'),
      pki: { caDir: pkiDir, identity: name },
      node: { name, displayName: `Hospital ${name}`, hubUrl, heartbeatMs: 200 },
    },
  });
  const linkageKey = loadLinkageKey(config);
  assert.ok(linkageKey, 'the default key file is found');
  const stores = await openNodeStores(config);
  await stores.ingest.installMappings({ profile: PROFILE, specs: [SPEC] }, 'test');
  const summary = await stores.ingest.ingest({ path: join(home, 'export') });
  assert.equal(summary.totals.failed, 0);
  const apps = await buildNodeApp({
    config,
    db: stores.db,
    lake: stores.lake,
    ingest: stores.ingest,
    handlers: identityTaskHandlers({
      lake: stores.lake,
      key: linkageKey,
      hospital: name,
      decrypt: (value, column) => stores.crypto.decrypt('person', column, value),
    }),
    tls: loadTlsMaterial({ dir: pkiDir, name }),
    schemaVersion: stores.schemaVersion,
  });
  apps.channel.start();
  return { stores, apps };
}

before(async () => {
  let pkiDir: string;
  ({ hub, db: hubDb, pkiDir, dispose } = await startTestHub({ hub: { nodeDownAfterMs: 3_000 } }));
  const peer = await hub.peerApp.listen({ host: '127.0.0.1', port: 0 });
  Object.assign(
    tokens,
    await signInUsers(hub, [
      ['steward-a', 'steward', 'hospital-a'],
      ['admin', 'admin', null],
      ['manager', 'manager', null],
      ['researcher', 'researcher', null],
      ['auditor', 'auditor', null],
    ]),
  );
  const key = randomBytes(32);
  const a = PERSONS.slice(0, 40).map((p, i) => ({ pid: `A${i}`, p, idno: p.id, name: p.name }));
  // Hospital B writes the shared persons' ID numbers differently: full-width digits, or the old 15-digit form.
  const b = [...PERSONS.slice(0, SHARED), ...PERSONS.slice(40)].map((p, i) => ({
    pid: `B${i}`,
    p,
    idno: i < SHARED ? (i % 2 === 0 ? toFullWidth(p.id) : toOldIdNumber(p.id)) : p.id,
    name: i < SHARED && i % 3 === 0 ? ` ${p.name} ` : p.name,
  }));
  nodes.push(await startNode(pkiDir, peer, 'hospital-a', register(a), key));
  nodes.push(await startNode(pkiDir, peer, 'hospital-b', register(b), key));
  await waitUntil('both nodes up', 20_000, async () =>
    hub.tracker.isUp('hospital-a') && hub.tracker.isUp('hospital-b') ? true : undefined,
  );
});

after(async () => {
  for (const n of nodes) {
    await n.apps.close();
    await n.stores.close();
  }
  await dispose();
});

function call(user: string, method: 'GET' | 'POST', url: string, payload?: unknown) {
  return hub.userApp.inject({
    method,
    url,
    headers: { authorization: `Bearer ${tokens[user]}` },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

test('a sweep links both hospitals: persons at both get one global id, the rest their own', async () => {
  const res = await call('admin', 'POST', '/api/identity/sweep');
  assert.equal(res.statusCode, 200, res.body);
  const sweep = res.json();
  assert.deepEqual(
    sweep.nodes.map((n: { node: string; records: number; error?: unknown }) => [n.node, n.records, n.error]),
    [
      ['hospital-a', 40, undefined],
      ['hospital-b', 40, undefined],
    ],
  );
  const summary = (await call('manager', 'GET', '/api/identity/summary')).json();
  assert.deepEqual(summary.recordsByHospital, { 'hospital-a': 40, 'hospital-b': 40 });
  assert.equal(summary.persons, 60);
  assert.equal(summary.sharedPersons, SHARED);
  assert.equal(summary.lastSweep.sweepId, sweep.sweepId);

  const again = (await call('steward-a', 'POST', '/api/identity/sweep')).json();
  assert.deepEqual(
    again.nodes.map((n: { newGlobals: number; merges: number }) => [n.newGlobals, n.merges]),
    [
      [0, 0],
      [0, 0],
    ],
    'a second sweep renumbers no one',
  );
  const audit = await hub.audit.recent(50);
  assert.ok(
    audit.some((e) => e.action === 'identity.sweep' && e.actor === 'steward-a' && e.outcome === 'ok'),
    'sweeps are audited',
  );
});

test('roles: researchers see nothing of the index; managers only its figures; auditors its history', async () => {
  assert.equal((await call('researcher', 'GET', '/api/identity/summary')).statusCode, 403);
  assert.equal((await call('researcher', 'POST', '/api/identity/sweep')).statusCode, 403);
  assert.equal((await call('manager', 'POST', '/api/identity/sweep')).statusCode, 403);
  assert.equal((await call('manager', 'GET', '/api/identity/reviews')).statusCode, 403);
  assert.equal((await call('steward-a', 'GET', '/api/identity/reviews')).statusCode, 200);
  assert.equal((await call('auditor', 'GET', '/api/identity/events')).statusCode, 200);
  assert.equal((await call('steward-a', 'GET', '/api/identity/events')).statusCode, 403);
  const bad = await call('admin', 'POST', '/api/identity/reviews/no-such-review', { decision: 'maybe' });
  assert.equal(bad.statusCode, 400);
  const unknown = await call('admin', 'POST', '/api/identity/reviews/no-such-review', { decision: 'accept' });
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.json().error.code, 'MER_IDENTITY_NOT_FOUND');
});

test('no clear name, ID number or phone is anywhere in the hub database', async () => {
  const clear = new Set<string>();
  for (const p of PERSONS) {
    for (const v of [p.id, toOldIdNumber(p.id), toFullWidth(p.id), p.name, p.phone]) clear.add(v);
  }
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables where table_schema = current_schema()`.execute(hubDb);
  let cells = 0;
  for (const { table_name } of tables.rows) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table_name)}`.execute(hubDb);
    for (const row of rows.rows) {
      const text = JSON.stringify(row);
      cells++;
      for (const v of clear) assert.ok(!text.includes(v), `hub table ${table_name} holds a clear identifier`);
    }
  }
  assert.ok(cells > 80, `the hub database was inspected (${cells} rows)`);
});

test('a linkage key file readable by others stops the node; a short key is refused', async () => {
  const dir = join(nodes[0]?.stores.lake.dir ?? '.', '..', 'bad-keys');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'loose.key'), randomBytes(32), { mode: 0o644 });
  writeFileSync(join(dir, 'short.key'), randomBytes(8), { mode: 0o600 });
  const node = { name: 'x', displayName: 'x', host: '127.0.0.1', port: 1, hubUrl: 'https://127.0.0.1:1' };
  const base = { dataDir: dir, node } as unknown as NodeConfig;
  assert.throws(
    () => loadLinkageKey({ ...base, node: { ...base.node, linkageKeyFile: join(dir, 'loose.key') } }),
    /MER_KEY_PERMISSIONS|readable by its owner only/,
  );
  assert.throws(
    () => loadLinkageKey({ ...base, node: { ...base.node, linkageKeyFile: join(dir, 'short.key') } }),
    (e: { code?: string }) => e.code === 'MER_IDENTITY_KEY_INVALID',
  );
  assert.throws(
    () => loadLinkageKey({ ...base, node: { ...base.node, linkageKeyFile: join(dir, 'absent.key') } }),
    (e: { code?: string }) => e.code === 'MER_KEY_MISSING',
  );
  assert.equal(loadLinkageKey(base), null, 'no key configured and none at the default place: no linkage');
  assert.ok(new LinkageKey(randomBytes(32)).keyId.length > 0);
});
