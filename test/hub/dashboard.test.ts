/**
 * The dashboard and catalog API end to end: a hub built in-process with its institution port on loopback and
 * two real hospital nodes in-process (own database, lake, quality service and `catalog.aggregates` handler),
 * each loaded with a small lab export. Reads come from the hub's cache; a stopped node shows as stale with its
 * last-known figures; every count is at or above the minimum cell; roles outside the dashboard's are refused.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { initCa, issueIdentity, loadTlsMaterial } from '../../src/ca/index.ts';
import { catalogTaskHandlers } from '../../src/catalog/tasks.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { NodeConfig } from '../../src/config/schema.ts';
import { buildHubApp, type HubApps } from '../../src/hub/app.ts';
import type { CatalogListResponse, CatalogTableResponse } from '../../src/hub/catalog/views.ts';
import type { DashboardResponse } from '../../src/hub/dashboard/views.ts';
import { HUB_MIGRATIONS, type HubDatabase } from '../../src/hub/schema.ts';
import { DWD_TABLES } from '../../src/model/dwd.ts';
import { buildNodeApp, type NodeApps } from '../../src/node/app.ts';
import { type NodeStores, openNodeStores } from '../../src/node/stores.ts';
import { openDatabase } from '../../src/store/index.ts';
import { waitUntil } from '../integration/processes.ts';
import { freshDatabase } from '../store/targets.ts';
import { signInUsers } from './test-hub.ts';

const MIN_CELL = 5;
const LAB_SPEC = {
  id: 'lab',
  version: 1,
  target: 'measurement',
  fields: {
    person_id: { from: '患者ID' },
    measurement_code: { from: '检验项目代码', codeMap: 'lab', nameFrom: '检验项目名称' },
    source_code: { from: '检验项目代码' },
    value: { from: '结果', as: 'number' },
    unit: { from: '单位' },
    measured_at: { from: '检验时间', as: 'datetime' },
  },
  codeMaps: { lab: { entries: { GLU: '14749-6', HBA: '4548-4' } } },
};
const PROFILE = { source: 'lis', rules: [{ match: '*.csv', specs: ['lab'] }] };

/** `glucose` glucose results and `hba1c` HbA1c results (a code too rare to show when under the minimum cell). */
function labCsv(glucose: number, hba1c: number): string {
  const rows = ['患者ID,检验项目代码,检验项目名称,结果,单位,检验时间'];
  for (let i = 0; i < glucose; i++) rows.push(`P${i},GLU,葡萄糖,5.${i % 10},mmol/L,2025-03-0${1 + (i % 9)} 08:00`);
  for (let i = 0; i < hba1c; i++) rows.push(`P${i},HBA,糖化血红蛋白,6.${i % 10},%,2025-03-02 09:00`);
  return `${rows.join('\n')}\n`;
}

interface TestNode {
  name: string;
  stores: NodeStores;
  apps: NodeApps;
  stopped: boolean;
}

let hub: HubApps;
let dir: string;
let disposeDb: () => Promise<void>;
const nodes: TestNode[] = [];
const tokens: Record<string, string> = {};

async function startNode(pkiDir: string, hubUrl: string, name: string, csv: string): Promise<TestNode> {
  await issueIdentity({ dir: pkiDir, name, role: 'node' });
  const home = join(dir, name);
  mkdirSync(join(home, 'export'), { recursive: true });
  writeFileSync(join(home, 'export', 'lab.csv'), csv);
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
  await stores.ingest.installMappings({ profile: PROFILE, specs: [LAB_SPEC] }, 'test');
  await stores.ingest.ingest({ path: join(home, 'export') });
  await waitUntil(`${name}'s after-load quality run`, 20_000, async () =>
    (await stores.quality.runs()).some((r) => r.status === 'completed') ? true : undefined,
  );
  const apps = await buildNodeApp({
    config,
    db: stores.db,
    lake: stores.lake,
    ingest: stores.ingest,
    quality: stores.quality,
    handlers: catalogTaskHandlers({
      lake: stores.lake,
      ingest: stores.ingest,
      dataDir: config.dataDir,
      minCell: config.node.federation.minCell,
    }),
    tls: loadTlsMaterial({ dir: pkiDir, name }),
    schemaVersion: stores.schemaVersion,
  });
  apps.channel.start();
  return { name, stores, apps, stopped: false };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hub-dashboard-test-'));
  const pkiDir = join(dir, 'pki');
  await initCa({ dir: pkiDir });
  await issueIdentity({ dir: pkiDir, name: 'hub', role: 'hub' });
  const fresh = freshDatabase();
  const store = await openDatabase<HubDatabase>({ ...fresh.options, migrations: HUB_MIGRATIONS });
  disposeDb = async () => {
    await store.close();
    await fresh.cleanup();
  };
  hub = await buildHubApp({
    config: loadConfig({
      role: 'hub',
      env: {},
      overrides: { dataDir: dir, pki: { caDir: pkiDir, identity: 'hub' }, hub: { nodeDownAfterMs: 3_000 } },
    }),
    db: store.db,
    tls: loadTlsMaterial({ dir: pkiDir, name: 'hub' }),
    sessionKey: new Uint8Array(32).fill(6),
  });
  const peer = await hub.peerApp.listen({ host: '127.0.0.1', port: 0 });
  Object.assign(
    tokens,
    await signInUsers(hub, [
      ['manager', 'manager', null],
      ['admin', 'admin', null],
      ['auditor', 'auditor', null],
      ['ethics', 'ethics', null],
      ['researcher', 'researcher', null],
      ['clinician', 'clinician', null],
      ['steward-a', 'steward', 'hospital-a'],
    ]),
  );
  nodes.push(await startNode(pkiDir, peer, 'hospital-a', labCsv(40, 3)));
  nodes.push(await startNode(pkiDir, peer, 'hospital-b', labCsv(25, 12)));
  await waitUntil('both nodes up', 20_000, async () =>
    hub.tracker.isUp('hospital-a') && hub.tracker.isUp('hospital-b') ? true : undefined,
  );
});

after(async () => {
  for (const node of nodes) {
    if (node.stopped) continue;
    await node.apps.close();
    await node.stores.close();
  }
  await hub?.close();
  await disposeDb?.();
  rmSync(dir, { recursive: true, force: true });
});

function get(user: string | null, url: string) {
  return hub.userApp.inject({
    method: 'GET',
    url,
    headers: user ? { authorization: `Bearer ${tokens[user]}` } : {},
  });
}

/** Every number named like a count anywhere in a body. */
function counts(value: unknown, key = ''): number[] {
  if (Array.isArray(value)) return value.flatMap((v) => counts(v, key));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => counts(v, k));
  return typeof value === 'number' && ['count', 'nonNull', 'persons', 'visits', 'other', 'rows'].includes(key)
    ? [value]
    : [];
}

test('the manager’s dashboard: patients, volume per layer, loads and quality per hospital, all fresh', async () => {
  const res = await get('manager', '/api/dashboard');
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json() as DashboardResponse;
  assert.deepEqual(
    body.hospitals.map((h) => [h.node, h.status, h.state]),
    [
      ['hospital-a', 'fresh', 'up'],
      ['hospital-b', 'fresh', 'up'],
    ],
  );
  const a = body.hospitals.find((h) => h.node === 'hospital-a');
  assert.equal(a?.dwd?.tables.find((t) => t.table === 'measurement')?.rows, 43);
  assert.equal(a?.ods?.files, 1);
  assert.equal(a?.ods?.records, 43);
  assert.equal(
    a?.loads.reduce((s, d) => s + d.rows, 0),
    43,
  );
  assert.ok(a?.quality && a.quality.score !== null, JSON.stringify(a?.quality));
  assert.equal(body.totals.hospitals, 2);
  assert.equal(body.totals.reporting, 2);
  assert.equal(body.totals.dwdRows, 43 + 37);
  assert.equal(body.ledger.available, false);
  assert.deepEqual(
    counts(body).filter((n) => n > 0 && n < MIN_CELL),
    [],
  );
});

test('the dashboard is for managers and oversight; researchers, clinicians and stewards are refused', async () => {
  for (const user of ['manager', 'admin', 'auditor', 'ethics']) {
    assert.equal((await get(user, '/api/dashboard')).statusCode, 200, user);
  }
  for (const user of ['researcher', 'clinician', 'steward-a']) {
    const res = await get(user, '/api/dashboard');
    assert.equal(res.statusCode, 403, user);
    assert.equal(res.json().error.code, 'MER_AUTH_FORBIDDEN');
  }
  assert.equal((await get(null, '/api/dashboard')).statusCode, 401);
  assert.equal((await get(null, '/api/catalog')).statusCode, 401);
  assert.equal((await get(null, '/api/catalog/measurement')).statusCode, 401);
});

test('every signed-in role reads the catalog: tables, levels and rows per hospital', async () => {
  for (const user of Object.keys(tokens)) {
    const res = await get(user, '/api/catalog');
    assert.equal(res.statusCode, 200, user);
    const body = res.json() as CatalogListResponse;
    assert.equal(body.tables.length, 10);
    const m = body.tables.find((t) => t.name === 'measurement');
    assert.deepEqual(m?.rows, [
      { node: 'hospital-a', rows: 43 },
      { node: 'hospital-b', rows: 37 },
    ]);
    assert.deepEqual([m?.zh, m?.en], [DWD_TABLES.measurement.zh, DWD_TABLES.measurement.en]);
    assert.equal(body.tables.find((t) => t.name === 'person')?.level, 4);
  }
});

test('a table’s fields: definitions, coverage and distributions without any count under the minimum cell', async () => {
  const res = await get('researcher', '/api/catalog/measurement');
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json() as CatalogTableResponse;
  const code = body.fields.find((f) => f.name === 'measurement_code');
  assert.equal(code?.level, 3);
  assert.ok(code?.zh && code.en);
  const at = (node: string) => code?.distributions.find((d) => d.node === node)?.distribution;
  // Hospital A has 3 HbA1c results: hidden, and its label with it; B's 12 are shown.
  assert.deepEqual(at('hospital-a'), { kind: 'categories', categories: [], other: 43 });
  assert.deepEqual(at('hospital-b'), {
    kind: 'categories',
    categories: [
      { value: '14749-6', count: 25 },
      { value: '4548-4', count: 12 },
    ],
    other: 0,
  });
  assert.deepEqual(
    code?.coverage.map((c) => [c.node, c.share]),
    [
      ['hospital-a', 1],
      ['hospital-b', 1],
    ],
  );
  const value = body.fields.find((f) => f.name === 'value');
  assert.equal(value?.distribution, 'histogram');
  assert.equal(value?.distributions.length, 2);
  for (const f of body.fields.filter((x) => x.name === 'person_id' || x.name === 'source_position')) {
    assert.equal(f.distribution, 'none');
    assert.equal(f.withheld, 'identifying');
    assert.deepEqual(f.distributions, []);
  }
  assert.deepEqual(
    counts(body).filter((n) => n > 0 && n < MIN_CELL),
    [],
  );
  const person = (await get('clinician', '/api/catalog/person')).json() as CatalogTableResponse;
  const name = person.fields.find((f) => f.name === 'name');
  assert.deepEqual([name?.distribution, name?.withheld, name?.encrypted], ['none', 'identifying', true]);
});

test('an unknown table is a 404 with its own code, audited as refused; reads are audited, coalesced', async () => {
  const res = await get('researcher', '/api/catalog/patients');
  assert.equal(res.statusCode, 404);
  assert.equal(res.json().error.code, 'MER_CATALOG_TABLE_UNKNOWN');
  for (let i = 0; i < 5; i++) assert.equal((await get('auditor', '/api/dashboard')).statusCode, 200);
  await hub.insights.reads.flush();
  const recent = await hub.audit.recent(200);
  const refused = recent.find((r) => r.action === 'catalog.read' && r.target === 'patients');
  assert.equal(refused?.outcome, 'refused');
  const reads = recent.filter((r) => r.action === 'dashboard.read' && r.actor === 'auditor');
  const detail = (d: unknown) => (typeof d === 'string' ? JSON.parse(d) : d) as { reads: number };
  const total = reads.reduce((s, r) => s + detail(r.detail).reads, 0);
  assert.ok(total >= 5, `auditor's dashboard reads recorded: ${total}`);
  assert.ok(reads.length < total, 'reads of one window share one record');
});

test('a higher consortium minimum cell (hub settings) is applied by the nodes on the next refresh', async () => {
  const put = (minCell: number) =>
    hub.userApp.inject({
      method: 'PUT',
      url: '/api/admin/settings',
      headers: { authorization: `Bearer ${tokens.admin}` },
      payload: { minCell, epsilonDefault: 1, epsilonMax: 10 },
    });
  assert.equal((await put(15)).statusCode, 200);
  await hub.insights.aggregates.refresh();
  const body = (await get('manager', '/api/catalog/measurement')).json() as CatalogTableResponse;
  const code = body.fields.find((f) => f.name === 'measurement_code');
  const b = code?.distributions.find((d) => d.node === 'hospital-b')?.distribution;
  // 12 HbA1c results fall under 15, and 25 glucose results would give them away from the total of 37.
  assert.deepEqual(b, { kind: 'categories', categories: [], other: 37 });
  assert.deepEqual(
    counts(body).filter((n) => n > 0 && n < 15),
    [],
  );
  assert.equal((await put(MIN_CELL)).statusCode, 200);
  await hub.insights.aggregates.refresh();
});

test('a stopped node shows as stale with its last-known figures and the time they were taken', async () => {
  const before = ((await get('manager', '/api/dashboard')).json() as DashboardResponse).hospitals.find(
    (h) => h.node === 'hospital-b',
  );
  assert.ok(before?.takenAt);
  const b = nodes.find((n) => n.name === 'hospital-b') as TestNode;
  b.stopped = true;
  await b.apps.close();
  await b.stores.close();
  await waitUntil('hospital-b down', 10_000, async () => (hub.tracker.isUp('hospital-b') ? undefined : true));
  await hub.insights.aggregates.refresh();
  const body = (await get('manager', '/api/dashboard')).json() as DashboardResponse;
  const after = body.hospitals.find((h) => h.node === 'hospital-b');
  assert.equal(after?.status, 'stale');
  assert.equal(after?.state, 'down');
  assert.equal(after?.takenAt, before.takenAt);
  assert.equal(after?.dwd?.rows, before.dwd?.rows);
  assert.equal(after?.error?.code, 'MER_NODE_UNAVAILABLE');
  assert.equal(body.hospitals.find((h) => h.node === 'hospital-a')?.status, 'fresh');
  assert.equal(body.totals.stale, 1);
  const catalog = (await get('manager', '/api/catalog')).json() as CatalogListResponse;
  assert.equal(catalog.hospitals.find((h) => h.node === 'hospital-b')?.status, 'stale');
});
