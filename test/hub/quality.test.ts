/**
 * The quality dashboard's API end to end: a hub built in-process with its institution port listening on
 * loopback, and two real hospital nodes in-process (their own database, lake and quality service, connecting
 * out over mutual TLS and answering `quality.*` tasks). Each node loaded a small lab export, after which its
 * quality rules ran; hospital A's export has glucose results typed in mg/dL where mmol/L is expected.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { initCa, issueIdentity, loadTlsMaterial } from '../../src/ca/index.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { NodeConfig } from '../../src/config/schema.ts';
import { buildHubApp, type HubApps } from '../../src/hub/app.ts';
import type {
  QualityOverviewResponse,
  QualityRunsResponse,
  QualityTrendResponse,
  ReportResponse,
  RunResultsResponse,
  SampleResponse,
  ThresholdResponse,
} from '../../src/hub/quality/schemas.ts';
import { HUB_MIGRATIONS, type HubDatabase } from '../../src/hub/schema.ts';
import { buildNodeApp, type NodeApps } from '../../src/node/app.ts';
import { type NodeStores, openNodeStores } from '../../src/node/stores.ts';
import { openDatabase } from '../../src/store/index.ts';
import { waitUntil } from '../integration/processes.ts';
import { freshDatabase } from '../store/targets.ts';
import { announceSilentNode, signInUsers } from './test-hub.ts';

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
  codeMaps: { lab: { entries: { GLU: '14749-6' } } },
};
const PROFILE = { source: 'lis', rules: [{ match: '*.csv', specs: ['lab'] }] };
/** The rule hospital A's mg/dL glucose results fail. */
const UNIT_RULE = 'measurement.glucose.unit_scale';

/** A lab export of `glucose` results in mmol/L, the first `mgdl` of them typed as mg/dL numbers. */
function labCsv(glucose: number, mgdl: number): string {
  const rows = ['患者ID,检验项目代码,检验项目名称,结果,单位,检验时间'];
  for (let i = 0; i < glucose; i++) {
    const value = i < mgdl ? `9${i % 10}` : `5.${i % 10}`;
    rows.push(`P${i},GLU,葡萄糖,${value},mmol/L,2025-03-0${1 + (i % 9)} 08:00`);
  }
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
const latest: Record<string, string> = {};

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
  dir = mkdtempSync(join(tmpdir(), 'hub-quality-test-'));
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
    sessionKey: new Uint8Array(32).fill(5),
    qualityTimeouts: { readMs: 1_500, writeMs: 10_000, runMs: 30_000 },
  });
  const peer = await hub.peerApp.listen({ host: '127.0.0.1', port: 0 });
  Object.assign(
    tokens,
    await signInUsers(hub, [
      ['steward-a', 'steward', 'hospital-a'],
      ['steward-b', 'steward', 'hospital-b'],
      ['admin', 'admin', null],
      ['manager', 'manager', null],
      ['researcher', 'researcher', null],
    ]),
  );
  nodes.push(await startNode(pkiDir, peer, 'hospital-a', labCsv(40, 5)));
  nodes.push(await startNode(pkiDir, peer, 'hospital-b', labCsv(25, 0)));
  await waitUntil('both nodes up', 20_000, async () =>
    hub.tracker.isUp('hospital-a') && hub.tracker.isUp('hospital-b') ? true : undefined,
  );
  for (const node of nodes) {
    const [run] = (await node.stores.quality.runs()).filter((r) => r.status === 'completed');
    assert.ok(run);
    latest[node.name] = run.runId;
  }
});

after(async () => {
  for (const node of nodes) await stopNode(node);
  await hub?.close();
  await disposeDb?.();
  rmSync(dir, { recursive: true, force: true });
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

function ruleOf(results: RunResultsResponse, ruleId: string) {
  const rule = results.results.find((r) => r.ruleId === ruleId);
  assert.ok(rule, `${ruleId} is in the run`);
  return rule;
}

test("a steward sees their node's runs, one run's counts by category, the trend, and drills to failing rows", async () => {
  const { runs } = await ok<QualityRunsResponse>(await api('steward-a', 'GET', '/api/quality/hospital-a/runs'));
  assert.equal(runs[0]?.runId, latest['hospital-a']);
  assert.equal(runs[0]?.status, 'completed');
  assert.ok(runs[0]?.loadId, 'the run after a load is that load’s');

  const run = await ok<RunResultsResponse>(
    await api('steward-a', 'GET', `/api/quality/hospital-a/runs/${latest['hospital-a']}`),
  );
  assert.deepEqual(
    run.categories.map((c) => c.category),
    ['completeness', 'conformance', 'plausibility'],
  );
  const unit = ruleOf(run, UNIT_RULE);
  assert.equal(unit.failing, 5);
  assert.equal(unit.denominator, 40);
  assert.equal(unit.pct, 12.5);
  assert.equal(unit.passed, false);
  assert.equal(unit.sampled, 5);
  const conformance = run.categories.find((c) => c.category === 'conformance');
  assert.ok(conformance && conformance.failed >= 2 && conformance.score !== null && conformance.score < 100);
  for (const r of run.results) assert.ok(!('sample' in r), 'no lineage in the results list, for anyone');

  const drill = await ok<SampleResponse>(
    await api('steward-a', 'GET', `/api/quality/hospital-a/runs/${latest['hospital-a']}/rules/${UNIT_RULE}/sample`),
  );
  assert.equal(drill.failing, 5);
  assert.equal(drill.sample.length, 5);
  for (const s of drill.sample) {
    assert.match(s.source_sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.match(s.source_position ?? '', /lab\.csv/);
  }
  assert.ok(!JSON.stringify(drill).includes('mmol'), 'lineage carries positions, never values');
  const audit = await hub.audit.recent(10);
  const sampleAudit = audit.find((a) => a.action === 'quality.sample');
  assert.equal(sampleAudit?.actor, 'steward-a');
  assert.equal(sampleAudit?.outcome, 'ok');

  const report = await ok<ReportResponse>(
    await api('steward-a', 'GET', `/api/quality/hospital-a/runs/${latest['hospital-a']}/report?format=html&lang=en`),
  );
  assert.equal(report.format, 'html');
  assert.ok(report.format === 'html' && report.html.includes('Lineage sample'), 'the steward’s report has lineage');

  const trend = await ok<QualityTrendResponse>(await api('steward-a', 'GET', '/api/quality/hospital-a/trend'));
  assert.equal(trend.points.at(-1)?.runId, latest['hospital-a']);
  assert.equal(trend.points.at(-1)?.categories.conformance, conformance.score);
});

test('route × role: everyone reads counts; lineage and changes are the node’s own steward’s alone', async () => {
  const run = latest['hospital-a'];
  const reads = [
    '/api/quality/overview',
    '/api/quality/hospital-a/runs',
    `/api/quality/hospital-a/runs/${run}`,
    '/api/quality/hospital-a/trend?limit=5',
    `/api/quality/hospital-a/runs/${run}/report`,
    '/api/quality/hospital-a/rules',
  ];
  const sample = `/api/quality/hospital-a/runs/${run}/rules/${UNIT_RULE}/sample`;
  const writes = [
    ['/api/quality/hospital-a/thresholds', { ruleId: UNIT_RULE, thresholdPct: 50 }],
    ['/api/quality/hospital-a/run', {}],
    ['/api/quality/hospital-a/rules', { rule: { id: 'steward.x' } }],
  ] as const;
  for (const user of ['steward-a', 'steward-b', 'admin', 'manager', 'researcher']) {
    for (const url of reads) assert.equal((await api(user, 'GET', url)).statusCode, 200, `${user} GET ${url}`);
    const drill = await api(user, 'GET', sample);
    if (user === 'steward-a') assert.equal(drill.statusCode, 200);
    else {
      assert.equal(drill.statusCode, 403, `${user} may not drill into hospital A`);
      assert.equal(drill.json().error.code, user === 'steward-b' ? 'MER_QUALITY_OTHER_HOSPITAL' : 'MER_AUTH_FORBIDDEN');
    }
    if (user === 'steward-a') continue;
    for (const [url, body] of writes) {
      const res = await api(user, 'POST', url, body);
      assert.equal(res.statusCode, 403, `${user} POST ${url}`);
      assert.deepEqual(Object.keys(res.json()), ['error']);
      assert.equal(res.json().error.code, user === 'steward-b' ? 'MER_QUALITY_OTHER_HOSPITAL' : 'MER_AUTH_FORBIDDEN');
    }
  }
  const audit = await hub.audit.recent(100);
  for (const action of [
    'GET /api/quality/:node/runs/:runId/rules/:ruleId/sample',
    'POST /api/quality/:node/thresholds',
  ]) {
    assert.ok(
      audit.some(
        (a) => a.actor === 'steward-b' && a.action === action && a.target === 'hospital-a' && a.outcome === 'refused',
      ),
      `steward B's refusal of ${action} is audited`,
    );
  }
  assert.ok(audit.some((a) => a.actor === 'manager' && a.action === 'POST /api/quality/:node/thresholds'));
});

test('lineage and failure notes stay hidden from non-stewards and from other hospitals’ stewards', async () => {
  const run = latest['hospital-a'];
  for (const user of ['steward-b', 'admin', 'manager']) {
    const json = await ok<ReportResponse>(await api(user, 'GET', `/api/quality/hospital-a/runs/${run}/report`));
    assert.equal(json.format, 'json');
    if (json.format !== 'json') continue;
    assert.ok(
      json.report.results.every((r) => r.sample.length === 0),
      `${user} gets no lineage in the report`,
    );
    assert.ok(
      json.report.results.some((r) => r.ruleId === UNIT_RULE && r.failing === 5),
      'but gets the counts',
    );
    const html = await ok<ReportResponse>(
      await api(user, 'GET', `/api/quality/hospital-a/runs/${run}/report?format=html&lang=en`),
    );
    assert.ok(html.format === 'html' && !html.html.includes('Lineage sample') && !html.html.includes('lab.csv'));
    const results = await api(user, 'GET', `/api/quality/hospital-a/runs/${run}`);
    assert.ok(!results.body.includes('lab.csv') && !results.body.includes('source_sha256'), user);
  }
  const overview = await api('steward-a', 'GET', '/api/quality/overview');
  assert.ok(!overview.body.includes('lab.csv') && !overview.body.includes('source_sha256'), 'aggregates only');
  assert.ok(!overview.body.includes(UNIT_RULE), 'not even rule by rule');
});

test('the consortium overview scores every node by Kahn category from its newest run', async () => {
  const overview = await ok<QualityOverviewResponse>(await api('manager', 'GET', '/api/quality/overview'));
  assert.deepEqual(overview.categories, ['completeness', 'conformance', 'plausibility']);
  assert.deepEqual(
    overview.nodes.map((n) => [n.node, n.state]),
    [
      ['hospital-a', 'ok'],
      ['hospital-b', 'ok'],
    ],
  );
  const [a, b] = overview.nodes;
  assert.equal(a?.run?.runId, latest['hospital-a']);
  assert.equal(a?.run?.ruleSetVersion, b?.run?.ruleSetVersion, 'same built-in rules: comparable');
  const score = (n: typeof a, c: string) => n?.categories.find((x) => x.category === c)?.score;
  assert.ok((score(a, 'conformance') ?? 100) < (score(b, 'conformance') ?? 0), 'A’s unit errors cost conformance');
  const run = await ok<RunResultsResponse>(
    await api('admin', 'GET', `/api/quality/hospital-a/runs/${latest['hospital-a']}`),
  );
  assert.deepEqual(a?.categories, run.categories, 'the overview’s scores are the run’s');
});

test('a threshold change re-evaluates stored runs without re-running; it is audited', async () => {
  const before = await ok<QualityRunsResponse>(await api('steward-a', 'GET', '/api/quality/hospital-a/runs'));
  const changed = await ok<ThresholdResponse>(
    await api('steward-a', 'POST', '/api/quality/hospital-a/thresholds', { ruleId: UNIT_RULE, thresholdPct: 20 }),
  );
  assert.equal(changed.thresholdPct, 20);
  assert.equal(changed.trend.at(-1)?.passed, true);
  const run = await ok<RunResultsResponse>(
    await api('admin', 'GET', `/api/quality/hospital-a/runs/${latest['hospital-a']}`),
  );
  assert.equal(ruleOf(run, UNIT_RULE).passed, true, 'the stored run passes under the new threshold');
  assert.equal(ruleOf(run, UNIT_RULE).thresholdPct, 20);
  const afterRuns = await ok<QualityRunsResponse>(await api('steward-a', 'GET', '/api/quality/hospital-a/runs'));
  assert.equal(afterRuns.runs.length, before.runs.length, 'no run was made');

  const audit = await hub.audit.recent(20);
  const entry = audit.find((a) => a.action === 'quality.threshold' && a.outcome === 'ok');
  assert.equal(entry?.actor, 'steward-a');
  assert.equal(entry?.target, 'hospital-a');
  assert.deepEqual(
    { ...(entry?.detail as Record<string, unknown>) },
    { ruleId: UNIT_RULE, thresholdPct: 20, runs: changed.trend.length, newestPassed: true },
  );

  const unknown = await api('steward-a', 'POST', '/api/quality/hospital-a/thresholds', {
    ruleId: 'no.such.rule',
    thresholdPct: 5,
  });
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.json().error.code, 'MER_QUALITY_RULE_UNKNOWN');
  const refused = (await hub.audit.recent(5)).find((a) => a.action === 'quality.threshold' && a.outcome === 'refused');
  assert.equal(((refused?.detail ?? {}) as { code?: string }).code, 'MER_QUALITY_RULE_UNKNOWN');
  const bad = await api('steward-a', 'POST', '/api/quality/hospital-a/thresholds', {
    ruleId: UNIT_RULE,
    thresholdPct: 101,
  });
  assert.equal(bad.json().error.code, 'MER_HTTP_VALIDATION');
  await ok(
    await api('steward-a', 'POST', '/api/quality/hospital-a/thresholds', { ruleId: UNIT_RULE, thresholdPct: 0 }),
  );
});

test('the steward runs the checks now and saves a rule; a malformed rule is a clear 400; both audited', async () => {
  const summary = await ok<{ runId: string; rules: number; failed: number }>(
    await api('steward-a', 'POST', '/api/quality/hospital-a/run', {}),
  );
  assert.ok(summary.failed >= 2);
  const { runs } = await ok<QualityRunsResponse>(await api('steward-a', 'GET', '/api/quality/hospital-a/runs'));
  assert.equal(runs[0]?.runId, summary.runId);
  assert.equal(runs[0]?.loadId, null, 'an on-demand run covers the whole lake');
  const runAudit = (await hub.audit.recent(10)).find((a) => a.action === 'quality.run');
  assert.equal(((runAudit?.detail ?? {}) as { runId?: string }).runId, summary.runId);

  const rule = {
    id: 'steward.glucose.upper',
    category: 'plausibility',
    subcategory: 'atemporal',
    table: 'measurement',
    severity: 'warning',
    threshold: 1,
    where: { measurement_code: ['14749-6'] },
    check: { kind: 'range', field: 'value', max: 30 },
    description: { zh: '血糖不超过 30', en: 'glucose at most 30' },
  };
  const saved = await ok<{ ruleId: string; version: number; created: boolean }>(
    await api('steward-a', 'POST', '/api/quality/hospital-a/rules', { rule }),
  );
  assert.deepEqual([saved.ruleId, saved.version, saved.created], ['steward.glucose.upper', 1, true]);
  const { rules } = await ok<{ rules: { id: string }[] }>(await api('admin', 'GET', '/api/quality/hospital-a/rules'));
  assert.ok(rules.some((r) => r.id === 'steward.glucose.upper'));
  const other = await ok<{ rules: { id: string }[] }>(await api('admin', 'GET', '/api/quality/hospital-b/rules'));
  assert.ok(!other.rules.some((r) => r.id === 'steward.glucose.upper'), 'a rule is its node’s');

  const malformed = await api('steward-a', 'POST', '/api/quality/hospital-a/rules', {
    rule: { ...rule, id: 'steward.bad', table: 'no_such_table' },
  });
  assert.equal(malformed.statusCode, 400);
  assert.equal(malformed.json().error.code, 'MER_QUALITY_RULE_INVALID');
  assert.match(malformed.json().error.message, /steward\.bad/);
  const audit = await hub.audit.recent(10);
  assert.ok(audit.some((a) => a.action === 'quality.rule' && a.outcome === 'ok'));
  const refused = audit.find((a) => a.action === 'quality.rule' && a.outcome === 'refused');
  assert.deepEqual(refused?.detail, { ruleId: 'steward.bad', code: 'MER_QUALITY_RULE_INVALID' });

  const unknownRun = await api('admin', 'GET', '/api/quality/hospital-a/runs/qr-nope');
  assert.equal(unknownRun.statusCode, 404);
  assert.equal(unknownRun.json().error.code, 'MER_QUALITY_RUN_UNKNOWN');
  const unknownNode = await api('admin', 'GET', '/api/quality/hospital-x/runs');
  assert.equal(unknownNode.json().error.code, 'MER_NODE_UNKNOWN');
});

test('a silent node and a down node give 503 MER_NODE_UNAVAILABLE; the overview shows them and goes on', async () => {
  await announceSilentNode(hub, 'hospital-z');
  const stuck = await api('admin', 'GET', '/api/quality/hospital-z/runs');
  assert.equal(stuck.statusCode, 503);
  assert.equal(stuck.json().error.code, 'MER_NODE_UNAVAILABLE');
  assert.equal(stuck.json().error.details.reason, 'timeout');

  const b = nodes.find((n) => n.name === 'hospital-b');
  assert.ok(b);
  await stopNode(b);
  for (const url of ['/api/quality/hospital-b/runs', '/api/quality/hospital-b/trend']) {
    const down = await api('steward-b', 'GET', url);
    assert.equal(down.statusCode, 503, url);
    assert.equal(down.json().error.code, 'MER_NODE_UNAVAILABLE');
    assert.equal(down.json().error.details.reason, 'down');
  }
  const threshold = await api('steward-b', 'POST', '/api/quality/hospital-b/thresholds', {
    ruleId: UNIT_RULE,
    thresholdPct: 5,
  });
  assert.equal(threshold.statusCode, 503);
  const failed = (await hub.audit.recent(5)).find((a) => a.action === 'quality.threshold' && a.actor === 'steward-b');
  assert.equal(failed?.outcome, 'failed', 'a change the node could not take is audited as failed');

  const overview = await ok<QualityOverviewResponse>(await api('admin', 'GET', '/api/quality/overview'));
  assert.deepEqual(
    overview.nodes.map((n) => [n.node, n.state]),
    [
      ['hospital-a', 'ok'],
      ['hospital-b', 'down'],
      ['hospital-z', 'unavailable'],
    ],
  );
  assert.equal(overview.nodes[2]?.error?.code, 'MER_NODE_UNAVAILABLE');
});
