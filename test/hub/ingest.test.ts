/**
 * The stewards' ingest API end to end: a hub built in-process with its institution port listening on
 * loopback, and two real hospital nodes in-process (their own database, lake, ODS and ingest service, each
 * connecting out over mutual TLS and answering `ingest.*` tasks). Each node has loaded a small lab export;
 * hospital A's has a local code its code map lacks.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { issueIdentity, loadTlsMaterial } from '../../src/ca/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { NodeConfig } from '../../src/config/schema.ts';
import type { HubApps } from '../../src/hub/app.ts';
import type { LineageView, LoadSummaryView, LoadsResponse, UnmappedResponse } from '../../src/hub/ingest/schemas.ts';
import { buildNodeApp, type NodeApps } from '../../src/node/app.ts';
import { type NodeStores, openNodeStores } from '../../src/node/stores.ts';
import { waitUntil } from '../integration/processes.ts';
import { announceSilentNode, signInUsers, startTestHub } from './test-hub.ts';

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
  codeMaps: { lab: { entries: { GLU: '2345-7' } } },
};
const PROFILE = { source: 'lis', rules: [{ match: '*.csv', specs: ['lab'] }] };

/** A lab export: `glucose` glucose results, then `creatinine` results under a code the map does not know. */
function labCsv(glucose: number, creatinine: number): string {
  const rows = ['患者ID,检验项目代码,检验项目名称,结果,单位,检验时间'];
  for (let i = 0; i < glucose; i++) rows.push(`P${i},GLU,葡萄糖,5.${i % 10},mmol/L,2025-03-0${1 + (i % 9)} 08:00`);
  for (let i = 0; i < creatinine; i++) rows.push(`P${i},CREA,肌酐,8${i % 10},umol/L,2025-03-0${1 + (i % 9)} 09:00`);
  return `${rows.join('\n')}\n`;
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

async function startNode(pkiDir: string, hubUrl: string, name: string, csv: string): Promise<TestNode> {
  await issueIdentity({ dir: pkiDir, name, role: 'node' });
  const home = join(pkiDir, '..', name);
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
  const apps = await buildNodeApp({
    config,
    db: stores.db,
    lake: stores.lake,
    ingest: stores.ingest,
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
  ({ hub, pkiDir, dispose } = await startTestHub({
    hub: { nodeDownAfterMs: 3_000 },
    ingestTimeouts: { readMs: 1_500, writeMs: 10_000, rerunMs: 30_000 },
  }));
  const peer = await hub.peerApp.listen({ host: '127.0.0.1', port: 0 });
  Object.assign(
    tokens,
    await signInUsers(hub, [
      ['steward-a', 'steward', 'hospital-a'],
      ['steward-b', 'steward', 'hospital-b'],
      ['admin', 'admin', null],
      ['manager', 'manager', null],
    ]),
  );
  nodes.push(await startNode(pkiDir, peer, 'hospital-a', labCsv(40, 12)));
  nodes.push(await startNode(pkiDir, peer, 'hospital-b', labCsv(25, 0)));
  await waitUntil('both nodes up', 20_000, async () =>
    hub.tracker.isUp('hospital-a') && hub.tracker.isUp('hospital-b') ? true : undefined,
  );
});

after(async () => {
  for (const node of nodes) await stopNode(node);
  await dispose();
});

function api(user: string, method: 'GET' | 'POST', url: string, payload?: unknown) {
  return hub.userApp.inject({
    method,
    url,
    headers: { authorization: `Bearer ${tokens[user]}` },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

async function ok<T>(res: Awaited<ReturnType<typeof api>>): Promise<T> {
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as T;
}

test('a steward sees their hospital’s loads, one load in full, its rejects and unmapped codes', async () => {
  const { loads, running } = await ok<LoadsResponse>(await api('steward-a', 'GET', '/api/ingest/hospital-a/loads'));
  assert.equal(running, null);
  assert.equal(loads.length, 1);
  const load = loads[0];
  assert.ok(load);
  assert.equal(load.source, 'lis');
  assert.equal(load.rowsLoaded, 40);
  assert.equal(load.rejected, 12);

  const summary = await ok<LoadSummaryView>(
    await api('steward-a', 'GET', `/api/ingest/hospital-a/loads/${load.loadId}`),
  );
  assert.equal(summary.files.length, 1);
  assert.equal(summary.files[0]?.name, 'lab.csv');
  assert.deepEqual(summary.rejectsByReason, { MAP_CODE: 12 });
  assert.deepEqual(summary.rowsByTable, { measurement: 40 });

  const quarantine = await ok<{ rejects: { code: string; file: string; position: string }[] }>(
    await api('steward-a', 'GET', '/api/ingest/hospital-a/quarantine?code=MAP_CODE&limit=5'),
  );
  assert.equal(quarantine.rejects.length, 5);
  for (const r of quarantine.rejects) assert.equal(r.code, 'MAP_CODE');
  assert.ok(!JSON.stringify(quarantine).includes('umol/L'), 'record values never leave the node');
  const none = await ok<{ rejects: unknown[] }>(
    await api('steward-a', 'GET', '/api/ingest/hospital-a/quarantine?code=MAP_UNIT'),
  );
  assert.equal(none.rejects.length, 0);

  const { unmapped } = await ok<UnmappedResponse>(await api('steward-a', 'GET', '/api/ingest/hospital-a/unmapped'));
  assert.equal(unmapped.length, 1);
  assert.equal(unmapped[0]?.code, 'CREA');
  assert.equal(unmapped[0]?.name, '肌酐');
  assert.equal(unmapped[0]?.count, 12);
  assert.ok((unmapped[0]?.suggestions.length ?? 0) > 0, 'suggestions for a named code');

  const specs = await ok<{ specs: { id: string }[]; profiles: { source: string }[] }>(
    await api('steward-a', 'GET', '/api/ingest/hospital-a/specs'),
  );
  assert.deepEqual(
    specs.specs.map((s) => s.id),
    ['lab'],
  );
  assert.deepEqual(
    specs.profiles.map((p) => p.source),
    ['lis'],
  );
});

test('a steward traces a row to its file, notarization, mapping version and source line; nobody else can', async () => {
  const node = nodes[0] as TestNode;
  const [row] = await node.stores.lake.query<{ sha: string; pos: string; mv: string }>(
    `select source_sha256 as sha, source_position as pos, mapping_version as mv from measurement where person_id = 'P3' and source_position like '%:5'`,
  );
  assert.ok(row, 'P3 has a glucose row on line 5');
  const url = `/api/ingest/hospital-a/lineage?sha256=${row.sha}&position=${encodeURIComponent(row.pos)}&mappingVersion=${encodeURIComponent(row.mv)}`;
  const lineage = await ok<LineageView>(await api('steward-a', 'GET', url));
  assert.equal(lineage.file.name, 'lab.csv');
  assert.equal(lineage.file.source, 'lis');
  assert.equal(lineage.file.sha256, row.sha);
  assert.equal(lineage.mapping?.id, 'lab');
  assert.equal(lineage.mapping?.version, 1);
  assert.ok(lineage.notarized && lineage.notarized.batchRoot.length === 64, 'the file was notarized');
  assert.equal(lineage.record.found, true);
  assert.equal(lineage.record.position, 'lab.csv:5');
  assert.match(lineage.record.text ?? '', /"患者ID": "P3"/);
  assert.match(lineage.record.text ?? '', /"结果": "5\.3"/);

  assert.equal((await api('admin', 'GET', url)).statusCode, 403, 'an admin does not see source records');
  assert.equal((await api('steward-b', 'GET', url)).statusCode, 403, 'nor does another hospital');
  const audit = await hub.audit.recent(20);
  assert.ok(audit.some((e) => e.action === 'ingest.lineage' && e.actor === 'steward-a' && e.outcome === 'ok'));
  const missing = await api(
    'steward-a',
    'GET',
    `/api/ingest/hospital-a/lineage?sha256=${'0'.repeat(64)}&position=x.csv:1`,
  );
  assert.equal(missing.statusCode, 404, missing.body);
});

test('a steward cannot see or change another hospital; each refusal is a clear 403 and is audited', async () => {
  for (const [method, url, body] of [
    ['GET', '/api/ingest/hospital-b/loads', undefined],
    ['GET', '/api/ingest/hospital-b/quarantine', undefined],
    ['GET', '/api/ingest/hospital-b/unmapped', undefined],
    ['POST', '/api/ingest/hospital-b/codes', { spec: 'lab', codeMap: 'lab', entries: [{ code: 'X', to: 'Y' }] }],
    ['POST', '/api/ingest/hospital-b/rerun', {}],
  ] as const) {
    const res = await api('steward-a', method, url, body);
    assert.equal(res.statusCode, 403, `${method} ${url}`);
    assert.deepEqual(Object.keys(res.json()), ['error']);
    assert.equal(res.json().error.code, 'MER_INGEST_OTHER_HOSPITAL');
    assert.match(res.json().error.message, /hospital-a, not hospital-b/);
  }
  const audit = await hub.audit.recent(20);
  assert.ok(audit.some((a) => a.actor === 'steward-a' && a.target === 'hospital-b' && a.outcome === 'refused'));

  const own = await ok<LoadsResponse>(await api('steward-b', 'GET', '/api/ingest/hospital-b/loads'));
  assert.equal(own.loads[0]?.rowsLoaded, 25, 'steward B sees hospital B’s own load');
  const other = await api('steward-b', 'GET', '/api/ingest/hospital-a/loads');
  assert.equal(other.json().error.code, 'MER_INGEST_OTHER_HOSPITAL');
});

test('an admin reads every node but changes none; a manager gets nothing here', async () => {
  const a = await ok<LoadsResponse>(await api('admin', 'GET', '/api/ingest/hospital-a/loads'));
  const b = await ok<LoadsResponse>(await api('admin', 'GET', '/api/ingest/hospital-b/loads'));
  assert.equal(a.loads[0]?.rowsLoaded, 40);
  assert.equal(b.loads[0]?.rowsLoaded, 25);
  const edit = await api('admin', 'POST', '/api/ingest/hospital-a/codes', {
    spec: 'lab',
    codeMap: 'lab',
    entries: [{ code: 'CREA', to: '2160-0' }],
  });
  assert.equal(edit.statusCode, 403);
  assert.equal(edit.json().error.code, 'MER_AUTH_FORBIDDEN');
  const manager = await api('manager', 'GET', '/api/ingest/hospital-a/loads');
  assert.equal(manager.statusCode, 403);
  assert.equal(manager.json().error.code, 'MER_AUTH_FORBIDDEN');
});

test('a steward maps the unmapped code and re-runs: the rejects become rows; both changes are audited', async () => {
  const saved = await ok<{ spec: string }>(
    await api('steward-a', 'POST', '/api/ingest/hospital-a/codes', {
      spec: 'lab',
      codeMap: 'lab',
      entries: [{ code: 'CREA', to: ' 2160-0 ' }],
    }),
  );
  assert.equal(saved.spec, 'lab@2');
  const specs = await ok<{ specs: { codeMaps: Record<string, { entries: Record<string, string> }> }[] }>(
    await api('steward-a', 'GET', '/api/ingest/hospital-a/specs'),
  );
  assert.equal(specs.specs[0]?.codeMaps.lab?.entries.CREA, '2160-0', 'the code is trimmed and stored');

  const rerun = await ok<{ loadId: string; totals: { rowsLoaded: number; rejected: number } }>(
    await api('steward-a', 'POST', '/api/ingest/hospital-a/rerun', {}),
  );
  assert.equal(rerun.totals.rejected, 0);
  assert.equal(rerun.totals.rowsLoaded, 52);
  const { loads } = await ok<LoadsResponse>(await api('steward-a', 'GET', '/api/ingest/hospital-a/loads'));
  assert.equal(loads.length, 2);
  assert.equal(loads[0]?.loadId, rerun.loadId, 'the re-run is the newest load');
  const { unmapped } = await ok<UnmappedResponse>(await api('steward-a', 'GET', '/api/ingest/hospital-a/unmapped'));
  assert.deepEqual(unmapped, []);

  const audit = await hub.audit.recent(50);
  const codes = audit.find((a) => a.action === 'ingest.codes' && a.outcome === 'ok');
  assert.equal(codes?.actor, 'steward-a');
  assert.equal(codes?.actor_role, 'steward');
  assert.equal(codes?.target, 'hospital-a');
  assert.equal(((codes?.detail ?? {}) as { version?: string }).version, 'lab@2');
  const rerunAudit = audit.find((a) => a.action === 'ingest.rerun' && a.outcome === 'ok');
  assert.equal(((rerunAudit?.detail ?? {}) as { loadId?: string }).loadId, rerun.loadId);
});

test('bad input and what the node refuses come back as clear 4xx errors; a refused edit is audited', async () => {
  const unknownSpec = await api('steward-a', 'POST', '/api/ingest/hospital-a/codes', {
    spec: 'nope',
    codeMap: 'lab',
    entries: [{ code: 'A', to: 'B' }],
  });
  assert.equal(unknownSpec.statusCode, 400);
  assert.equal(unknownSpec.json().error.code, 'MER_INGEST_UNKNOWN_SPEC');
  const audit = await hub.audit.recent(10);
  const refused = audit.find((a) => a.action === 'ingest.codes' && a.outcome === 'refused');
  assert.equal(((refused?.detail ?? {}) as { code?: string }).code, 'MER_INGEST_UNKNOWN_SPEC');

  const noLoad = await api('steward-a', 'GET', '/api/ingest/hospital-a/loads/20990101-abcdef');
  assert.equal(noLoad.statusCode, 404);
  assert.equal(noLoad.json().error.code, 'MER_HTTP_NOT_FOUND');

  const empty = await api('steward-a', 'POST', '/api/ingest/hospital-a/codes', {
    spec: 'lab',
    codeMap: 'lab',
    entries: [],
  });
  assert.equal(empty.statusCode, 400);
  assert.equal(empty.json().error.code, 'MER_HTTP_VALIDATION');
  const by = await api('steward-a', 'POST', '/api/ingest/hospital-a/codes', {
    spec: 'lab',
    codeMap: 'lab',
    entries: [{ code: 'A', to: 'B' }],
    by: 'someone-else',
  });
  assert.equal(by.statusCode, 400, 'the editor is the signed-in user, never the body');
  const limit = await api('admin', 'GET', '/api/ingest/hospital-a/loads?limit=100000');
  assert.equal(limit.json().error.code, 'MER_HTTP_VALIDATION');
  const unknownNode = await api('admin', 'GET', '/api/ingest/hospital-x/loads');
  assert.equal(unknownNode.statusCode, 404);
  assert.equal(unknownNode.json().error.code, 'MER_NODE_UNKNOWN');
});

test('a node that does not answer in time, and a node that is down, give 503 MER_NODE_UNAVAILABLE', async () => {
  await announceSilentNode(hub, 'hospital-z');
  const stuck = await api('admin', 'GET', '/api/ingest/hospital-z/loads');
  assert.equal(stuck.statusCode, 503);
  assert.equal(stuck.json().error.code, 'MER_NODE_UNAVAILABLE');
  assert.equal(stuck.json().error.details.reason, 'timeout');

  const b = nodes.find((n) => n.name === 'hospital-b');
  assert.ok(b);
  await stopNode(b);
  const down = await api('steward-b', 'GET', '/api/ingest/hospital-b/loads');
  assert.equal(down.statusCode, 503);
  assert.equal(down.json().error.code, 'MER_NODE_UNAVAILABLE');
  assert.equal(down.json().error.details.reason, 'down');
  assert.match(down.json().error.message, /hospital-b is down/);
});
