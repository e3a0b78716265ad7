/**
 * The de-identification preview through the hub: a hub built in-process and two real hospital nodes (own
 * database, lake and keys, connected over mutual TLS, answering `privacy.preview`) that loaded a patient
 * register with clear names, ID numbers and phones, one person planted with a unique birth year and region.
 * The route answers the rules, de-identified rows and the k-anonymity the node computed, catches the planted
 * person, carries no clear identifier, enforces route × role (a steward for their own hospital only), is
 * audited, and answers 503 for a node that is down.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { issueIdentity, loadTlsMaterial } from '../../src/ca/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { NodeConfig } from '../../src/config/schema.ts';
import { makeIdNumber } from '../../src/demo/generator/id-number.ts';
import type { HubApps } from '../../src/hub/app.ts';
import { buildNodeApp, type NodeApps } from '../../src/node/app.ts';
import { type NodeStores, openNodeStores } from '../../src/node/stores.ts';
import { type PrivacyPreview, privacyTaskHandlers } from '../../src/privacy/index.ts';
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
    region_code: { from: 'region' },
  },
};
const PROFILE = { source: 'his', rules: [{ match: '*.csv', specs: ['register'] }] };
const NAMES = ['王建国', '李秀英', '张伟', '刘芳', '陈静', '杨洋', '赵磊', '黄丽', '周强', '吴敏'];

interface Person {
  pid: string;
  id: string;
  name: string;
  phone: string;
  sex: '男' | '女';
  born: string;
  region: string;
}

/** 40 persons in 2 birth years × 2 sexes × 2 cities (classes of 5), and one planted unique person. */
const PERSONS: Person[] = [
  ...Array.from({ length: 40 }, (_, i) => {
    const year = i % 2 === 0 ? 1960 : 1975;
    const born = `${year}-0${1 + (i % 9)}-1${i % 10}`;
    const day = Math.round(Date.parse(`${born}T00:00:00Z`) / 86_400_000);
    return {
      pid: `P${String(i).padStart(3, '0')}`,
      id: makeIdNumber('310101', day, 100 + i * 2 + (i % 2)),
      name: `${NAMES[i % NAMES.length]}${i}`,
      phone: `138${String(20_000_000 + i * 7_919).padStart(8, '0')}`,
      sex: (i >> 1) % 2 === 0 ? ('男' as const) : ('女' as const),
      born,
      region: (i >> 2) % 2 === 0 ? '310101' : '320102',
    };
  }),
  {
    pid: 'P999',
    id: makeIdNumber('650101', Math.round(Date.parse('1931-02-03T00:00:00Z') / 86_400_000), 998),
    name: '艾力·买买提',
    phone: '13912345678',
    sex: '女',
    born: '1931-02-03',
    region: '650101',
  },
];

function registerCsv(): string {
  const lines = ['pid,idno,name,phone,sex,born,region'];
  for (const p of PERSONS) lines.push(`${p.pid},${p.id},${p.name},${p.phone},${p.sex},${p.born},${p.region}`);
  return `${lines.join('\n')}\n`;
}

interface TestNode {
  name: string;
  stores: NodeStores;
  apps: NodeApps;
  stopped: boolean;
}

let hub: HubApps;
let dispose: () => Promise<void>;
const nodes: TestNode[] = [];
const tokens: Record<string, string> = {};

async function startNode(pkiDir: string, hubUrl: string, name: string): Promise<TestNode> {
  await issueIdentity({ dir: pkiDir, name, role: 'node' });
  const home = join(pkiDir, '..', name);
  mkdirSync(join(home, 'export'), { recursive: true });
  writeFileSync(join(home, 'export', 'register.csv'), registerCsv());
  const config: NodeConfig = loadConfig({
    role: 'node',
    env: {},
    overrides: {
      dataDir: join(home, 'data'),
      pki: { caDir: pkiDir, identity: name },
      node: { name, displayName: `Hospital ${name}`, hubUrl, heartbeatMs: 200 },
    },
  });
  const stores = await openNodeStores(config);
  await stores.ingest.installMappings({ profile: PROFILE, specs: [SPEC] }, 'test');
  const summary = await stores.ingest.ingest({ path: join(home, 'export') });
  assert.equal(summary.totals.failed, 0);
  const apps = await buildNodeApp({
    config,
    db: stores.db,
    lake: stores.lake,
    ingest: stores.ingest,
    handlers: privacyTaskHandlers({ lake: stores.lake, crypto: stores.crypto }),
    tls: loadTlsMaterial({ dir: pkiDir, name }),
    schemaVersion: stores.schemaVersion,
  });
  apps.channel.start();
  return { name, stores, apps, stopped: false };
}

async function stopNode(node: TestNode): Promise<void> {
  if (node.stopped) return;
  node.stopped = true;
  await node.apps.close();
  await node.stores.close();
}

before(async () => {
  let pkiDir: string;
  ({ hub, pkiDir, dispose } = await startTestHub({ hub: { nodeDownAfterMs: 2_000 } }));
  const peer = await hub.peerApp.listen({ host: '127.0.0.1', port: 0 });
  Object.assign(
    tokens,
    await signInUsers(hub, [
      ['steward-a', 'steward', 'hospital-a'],
      ['steward-b', 'steward', 'hospital-b'],
      ['admin', 'admin', null],
      ['manager', 'manager', null],
      ['researcher', 'researcher', null],
      ['auditor', 'auditor', null],
      ['clinician', 'clinician', null],
    ]),
  );
  nodes.push(await startNode(pkiDir, peer, 'hospital-a'));
  nodes.push(await startNode(pkiDir, peer, 'hospital-b'));
  await waitUntil('both nodes up', 20_000, async () =>
    hub.tracker.isUp('hospital-a') && hub.tracker.isUp('hospital-b') ? true : undefined,
  );
});

after(async () => {
  for (const n of nodes) await stopNode(n);
  await dispose?.();
});

function get(user: string, url: string) {
  return hub.userApp.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens[user]}` } });
}

test('a steward previews their person table: rules, de-identified rows, k = 1 from the planted person', async () => {
  const res = await get('steward-a', '/api/privacy/hospital-a/preview?table=person&k=5&sample=50');
  assert.equal(res.statusCode, 200, res.body);
  const preview = res.json() as PrivacyPreview;
  assert.equal(preview.examined, PERSONS.length);
  assert.deepEqual(preview.quasiIdentifiers, ['birth_date', 'gender', 'region_code']);
  assert.equal(preview.k.achieved, 1);
  assert.equal(preview.k.classes, 9);
  assert.deepEqual(preview.k.smallest[0], {
    values: { birth_date: 1931, gender: 'F', region_code: '6501' },
    size: 1,
  });
  assert.deepEqual(
    preview.k.smallest.slice(1).map((c) => c.size),
    Array(8).fill(5),
  );
  assert.deepEqual(preview.k.belowBySize, [{ size: 1, classes: 1, records: 1 }]);
  assert.deepEqual(preview.suppression, { rows: 1, classes: 1, remaining: 40, kAfter: 5 });
  assert.equal(preview.sample.length, PERSONS.length);

  const body = res.body.replace(/\s/g, '');
  for (const p of PERSONS)
    for (const secret of [p.id, p.name, p.phone, p.born])
      assert.ok(!body.includes(secret), `no clear identifier or birth date in the answer (${secret.slice(0, 2)}…)`);
  for (const row of preview.sample)
    assert.ok(!PERSONS.some((p) => p.pid === row.person_id), 'person keys pseudonymized');

  const [entry] = await hub.audit.recent(1);
  assert.equal(entry?.action, 'privacy.preview');
  assert.equal(entry?.actor, 'steward-a');
  assert.equal(entry?.target, 'hospital-a');
  assert.equal(entry?.outcome, 'ok');
  assert.equal((entry?.detail as { kAchieved?: number } | undefined)?.kAchieved, 1);
});

test('chosen quasi-identifiers and k reach the node; bad ones are refused with a clear code', async () => {
  const bySex = await get('admin', '/api/privacy/hospital-a/preview?table=person&k=10&qi=gender&sample=0');
  assert.equal(bySex.statusCode, 200, bySex.body);
  const preview = bySex.json() as PrivacyPreview;
  assert.deepEqual(preview.quasiIdentifiers, ['gender']);
  assert.equal(preview.k.target, 10);
  assert.equal(preview.k.achieved, 20);
  assert.deepEqual(preview.suppression, { rows: 0, classes: 0, remaining: 41, kAfter: 20 });
  assert.equal(preview.sample.length, 0);

  const dropped = await get('admin', '/api/privacy/hospital-a/preview?table=person&qi=gender,name');
  assert.equal(dropped.statusCode, 400, dropped.body);
  assert.equal(dropped.json().error.code, 'MER_PRIVACY_SPEC_INVALID');
  assert.match(dropped.json().error.message, /'name' is dropped/);
  for (const url of [
    '/api/privacy/hospital-a/preview?table=patients',
    '/api/privacy/hospital-a/preview?table=person&k=1',
    '/api/privacy/hospital-a/preview?table=person&k=101',
    '/api/privacy/hospital-a/preview?table=person&sample=51',
    '/api/privacy/hospital-a/preview?table=person&qi=a,b,c,d,e,f,g,h,i',
    '/api/privacy/hospital-a/preview',
  ]) {
    const res = await get('admin', url);
    assert.equal(res.statusCode, 400, url);
    assert.equal(res.json().error.code, 'MER_HTTP_VALIDATION', url);
  }
  const unknown = await get('admin', '/api/privacy/hospital-x/preview?table=person');
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.json().error.code, 'MER_NODE_UNKNOWN');
});

test('route × role: admin for any hospital, a steward for their own only; others are forbidden; refusals audited', async () => {
  const url = (node: string) => `/api/privacy/${node}/preview?table=person&sample=1`;
  for (const [user, node, status, code] of [
    ['admin', 'hospital-a', 200, null],
    ['admin', 'hospital-b', 200, null],
    ['steward-a', 'hospital-a', 200, null],
    ['steward-b', 'hospital-b', 200, null],
    ['steward-b', 'hospital-a', 403, 'MER_PRIVACY_OTHER_HOSPITAL'],
    ['steward-a', 'hospital-b', 403, 'MER_PRIVACY_OTHER_HOSPITAL'],
    ['manager', 'hospital-a', 403, 'MER_AUTH_FORBIDDEN'],
    ['researcher', 'hospital-a', 403, 'MER_AUTH_FORBIDDEN'],
    ['auditor', 'hospital-a', 403, 'MER_AUTH_FORBIDDEN'],
    ['clinician', 'hospital-a', 403, 'MER_AUTH_FORBIDDEN'],
  ] as const) {
    const res = await get(user, url(node));
    assert.equal(res.statusCode, status, `${user} → ${node}: ${res.body}`);
    if (code) assert.equal(res.json().error.code, code, `${user} → ${node}`);
  }
  const refusal = (await hub.audit.recent(50)).find(
    (e) => e.action === 'privacy.preview' && e.actor === 'steward-a' && e.outcome === 'refused',
  );
  assert.equal(refusal?.target, 'hospital-b');
  assert.equal((refusal?.detail as { code?: string } | undefined)?.code, 'MER_PRIVACY_OTHER_HOSPITAL');
  const anonymous = await hub.userApp.inject({ method: 'GET', url: url('hospital-a') });
  assert.equal(anonymous.statusCode, 401);
});

test('a node that is down answers 503 MER_NODE_UNAVAILABLE, audited as failed', async () => {
  const b = nodes.find((n) => n.name === 'hospital-b');
  assert.ok(b);
  await stopNode(b);
  await waitUntil('hospital-b marked down', 10_000, async () => (hub.tracker.isUp('hospital-b') ? undefined : true));
  const res = await get('steward-b', '/api/privacy/hospital-b/preview?table=person');
  assert.equal(res.statusCode, 503, res.body);
  assert.equal(res.json().error.code, 'MER_NODE_UNAVAILABLE');
  assert.equal(res.json().error.details.reason, 'down');
  const [entry] = await hub.audit.recent(1);
  assert.deepEqual([entry?.action, entry?.actor, entry?.outcome], ['privacy.preview', 'steward-b', 'failed']);
  assert.equal((entry?.detail as { code?: string } | undefined)?.code, 'MER_NODE_UNAVAILABLE');
  assert.equal((await get('steward-a', '/api/privacy/hospital-a/preview?table=person')).statusCode, 200);
});
