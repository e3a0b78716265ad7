/**
 * Federated analysis across real processes: the demo consortium (four ledger validators, the hub, three hospital
 * nodes, each loaded with generated data and notarizing on the ledger) answers a researcher through the hub's
 * HTTP API. A data-use request is submitted and approved on the ledger (hub for the researcher and the ethics
 * committee, each hospital with its own key — what the portal's request pages will sign); then:
 *  - a federated count equals each hospital's own count of the same cohort (read straight from its Parquet files);
 *  - a federated logistic GLM equals the pooled fit of the same rows within 1e-8 (coefficients and SEs);
 *  - an analysis kind outside the approved request is refused by the ledger (nodes refusing a task the ledger
 *    never authorized is covered in test/federation/protocol.test.ts);
 *  - with one node stopped, the count is partial and names it, and the exact GLM refuses to answer;
 *  - Kaplan–Meier (time to a diabetic complication, by sex) equals the pooled curves of the Parquet rows on the
 *    intervals the hub releases, and Cox (stratified, and unstratified on the grid) equals the pooled fit within
 *    1e-8; the lung-cancer survival effect (a handful of C34 patients per demo hospital) is refused by the
 *    hospitals whose Parquet rows fall under the minimum cell, with no count in the message.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { aucMannWhitney, predictLogits } from '../../src/analytics/fedavg/index.ts';
import { INTERCEPT_NAME } from '../../src/analytics/glm.ts';
import {
  fitCoxPooled,
  fitGlmPooled,
  type GlmData,
  kaplanMeier,
  kmNodeCounts,
  logRankTest,
} from '../../src/analytics/index.ts';
import { identityPaths, loadTlsMaterial } from '../../src/ca/index.ts';
import { homeLayout } from '../../src/cli/home.ts';
import { DEMO_HOSPITALS, DEMO_PASSWORD } from '../../src/demo/consortium.ts';
import { compileCohort, compileCohortCount, parseCohort } from '../../src/federation/cohort/index.ts';
import { compileDataset, designMatrix, parseVariables } from '../../src/federation/dataset/index.ts';
import { PARAMETER_SHARE_MAX_DEFAULT } from '../../src/federation/disclosure/index.ts';
import { contractHash, epsilonToMicros, signContractTx } from '../../src/ledger/contracts/index.ts';
import { LedgerClient, readLedgerConfig } from '../../src/ledger/host/index.ts';
import { DWD_TABLES } from '../../src/model/dwd.ts';
import {
  demoPortArgs,
  demoPorts,
  type Proc,
  runMeridian,
  startMeridian,
  waitForOutput,
  waitUntil,
} from './processes.ts';

const PATIENTS = 240;
const HOSPITALS = DEMO_HOSPITALS.map((h) => h.name);

let home: string;
let demo: Proc;
let api: string;
let token: string;
let client: LedgerClient;
let chainId: string;

const COHORT = { index: { event: { kind: 'diagnosis', codes: ['E11'], descendants: true } }, criteria: [] };
const VARIABLES = [
  {
    name: 'hba1c',
    kind: 'measurement',
    code: '4548-4',
    value: 'first',
    window: { start: 0, end: 0 },
    unit: '%',
    decimals: 1,
  },
  { name: 'age', kind: 'age' },
  { name: 'bmi', kind: 'measurement', code: '39156-5', value: 'first', window: { start: 0, end: 0 } },
  {
    name: 'complication',
    kind: 'condition',
    codes: ['E11.2', 'E11.3', 'E11.4'],
    descendants: true,
    window: { start: 0 },
  },
];
const GLM_PARAMETERS = { family: 'binomial', outcome: 'complication', covariates: ['hba1c', 'age', 'bmi'] };

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${api}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function keyOf(name: string) {
  return createPrivateKey(readFileSync(identityPaths(homeLayout(home).caDir, name).signingKey, 'utf8'));
}

/** Submits a data-use request for `kinds` and has the ethics committee and every hospital approve it. */
async function approvedRequest(kinds: string[]): Promise<{ requestId: string; projectId: string }> {
  const requestId = `req-${randomUUID()}`;
  const projectId = `proj-${randomUUID()}`;
  const now = Date.now();
  const commit = async (tx: ReturnType<typeof signContractTx>) => {
    const { txHash } = await client.submitAndWait(tx, { timeoutMs: 20_000 });
    const status = await client.get(HOSPITALS[0] as string, `/v1/txs/${txHash}`);
    assert.deepEqual((status.body as { outcome?: { ok: boolean } }).outcome?.ok, true, JSON.stringify(status.body));
  };
  await commit(
    signContractTx({
      chainId,
      kind: 'request.submit',
      institution: 'hub',
      user: { id: 'researcher', role: 'researcher' },
      payload: {
        requestId,
        projectId,
        purpose: 'research',
        cohortHash: contractHash('cohort', COHORT),
        analysisKinds: kinds,
        hospitals: HOSPITALS,
        periodStart: new Date(now - 86_400_000).toISOString(),
        periodEnd: new Date(now + 30 * 86_400_000).toISOString(),
        epsilonMicros: epsilonToMicros(1),
      },
      timeMs: now,
      privateKey: keyOf('hub'),
    }),
  );
  const decide = (institution: string, user?: { id: string; role: string }) =>
    signContractTx({
      chainId,
      kind: 'request.decide',
      institution,
      ...(user ? { user } : {}),
      payload: { requestId, decision: 'approve', commentHash: contractHash('comment', 'approved in the test') },
      timeMs: Date.now(),
      privateKey: keyOf(institution),
    });
  await commit(decide('hub', { id: 'ethics', role: 'ethics' }));
  for (const h of HOSPITALS) await commit(decide(h));
  return { requestId, projectId };
}

/** A DuckDB over one node's Parquet files (read only, beside the running node), as its lake exposes them. */
async function nodeDuck(node: string) {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const lake = join(homeLayout(home).nodeDir(node), 'lake');
  const present = new Set<string>();
  for (const table of Object.keys(DWD_TABLES)) {
    const glob = join(lake, table, '**', '*.parquet');
    try {
      await conn.run(
        `create view ${table} as select * from read_parquet('${glob}', hive_partitioning = true, union_by_name = true)`,
      );
      await conn.run(`select 1 from ${table} limit 1`);
      present.add(table);
    } catch {
      await conn.run(`drop view if exists ${table}`);
    }
  }
  const query = async (sql: string, params: readonly unknown[]) => {
    const reader = await conn.runAndReadAll(sql, params as never);
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  };
  return { query, present, close: () => conn.closeSync() };
}

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'meridian-fed-'));
  const ports = await demoPorts(3);
  api = `http://127.0.0.1:${ports.hubPort}`;
  demo = startMeridian(['demo', '--home', home, ...demoPortArgs(ports), '--patients', String(PATIENTS)]);
  await waitForOutput(demo, 'consortium is up', 400_000);
  const login = await post('/api/auth/login', { username: 'researcher', password: DEMO_PASSWORD });
  token = login.body.token as string;
  const ledger = readLedgerConfig(join(home, 'ledger', 'ledger.json'));
  chainId = ledger.chainId;
  client = new LedgerClient({ config: ledger, tls: loadTlsMaterial({ dir: homeLayout(home).caDir, name: 'hub' }) });
});

after(async () => {
  client?.close();
  demo?.child.kill('SIGTERM');
  await demo?.exited;
  rmSync(home, { recursive: true, force: true });
});

test('a federated count under an approved request equals each hospital’s own count', { timeout: 180_000 }, async () => {
  const { requestId, projectId } = await approvedRequest(['count', 'glm']);
  const res = await post('/api/federation/count', { requestId, projectId, cohort: COHORT, hospitals: HOSPITALS });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const byHospital = res.body.byHospital as { hospital: string; status: string; count: unknown }[];
  for (const h of HOSPITALS) {
    const duck = await nodeDuck(h);
    const q = compileCohortCount(parseCohort(COHORT), { present: duck.present });
    const [row] = await duck.query(q.sql, q.params);
    duck.close();
    const n = Number(row?.n);
    const line = byHospital.find((b) => b.hospital === h);
    assert.deepEqual(line?.count, n >= 5 ? n : { suppressed: true }, `${h}: ${JSON.stringify(line)}`);
  }
  assert.equal(res.body.partial, false);
  // The task's trail on the ledger: authorized, a receipt from every hospital, the released result's hash.
  const trail = res.body.ledger as {
    receipts: Record<string, { txHash: string }>;
    release: { txHash: string; resultHash: string } | null;
  };
  assert.deepEqual(Object.keys(trail.receipts).sort(), [...HOSPITALS].sort());
  assert.ok(trail.release, JSON.stringify(res.body.ledger));
  const onChain = (await client.get(HOSPITALS[1] as string, `/v1/query/tasks/${res.body.taskId as string}`)).body as {
    value: { status: string; receipts: Record<string, { status: string }>; release?: { resultHash: string } };
  };
  assert.equal(onChain.value.status, 'released');
  assert.deepEqual(Object.keys(onChain.value.receipts).sort(), [...HOSPITALS].sort());
  assert.equal(onChain.value.release?.resultHash, trail.release.resultHash);
});

test('a federated logistic GLM equals the pooled fit within 1e-8; out-of-scope and unauthorized tasks are refused', {
  timeout: 300_000,
}, async () => {
  const { requestId, projectId } = await approvedRequest(['count', 'glm']);
  const body = {
    requestId,
    projectId,
    cohort: COHORT,
    variables: VARIABLES,
    parameters: GLM_PARAMETERS,
    hospitals: HOSPITALS,
  };
  const res = await post('/api/federation/glm', body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const parts: GlmData[] = [];
  for (const h of HOSPITALS) {
    const duck = await nodeDuck(h);
    const cohort = compileCohort(parseCohort(COHORT), { present: duck.present });
    const q = compileDataset(cohort, parseVariables(VARIABLES), { present: duck.present });
    const d = designMatrix(await duck.query(q.sql, q.params), {
      outcome: 'complication',
      covariates: ['hba1c', 'age', 'bmi'],
      intercept: false,
    });
    duck.close();
    parts.push({ X: d.X, y: d.y, names: d.names });
  }
  const pooled = fitGlmPooled(
    {
      X: parts.flatMap((p) => p.X as number[][]),
      y: parts.flatMap((p) => p.y as number[]),
      names: ['hba1c', 'age', 'bmi'],
    },
    { family: 'binomial' },
  );
  const fed = (res.body.result as { coefficients: { name: string; estimate: number; standardError: number }[] })
    .coefficients;
  assert.equal(fed.length, 4);
  fed.forEach((c, i) => {
    const r = pooled.coefficients[i];
    assert.ok(r && Math.abs(c.estimate - r.estimate) <= 1e-8, `${c.name}: ${c.estimate} vs ${r?.estimate}`);
    assert.ok(r && Math.abs(c.standardError - r.standardError) <= 1e-8, `${c.name} SE`);
  });
  assert.equal(
    res.body.n,
    parts.reduce((s, p) => s + p.y.length, 0),
  );

  const countOnly = await approvedRequest(['count']);
  const refused = await post('/api/federation/glm', { ...body, ...countOnly });
  assert.equal(refused.status, 403, JSON.stringify(refused.body));
  assert.equal((refused.body.error as { code: string }).code, 'MER_FED_OUT_OF_SCOPE');
});

/** Signs in as a demo account and returns its calls to the hub's API. */
async function signedInAs(username: string) {
  const login = await post('/api/auth/login', { username, password: DEMO_PASSWORD });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  const bearer = login.body.token as string;
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { get: (path: string) => call('GET', path), post: (path: string, body: unknown) => call('POST', path, body) };
}

test('the research workflow through the hub: project, feasibility count, request approved on the ledger by ethics and each hospital’s own key, GLM in the project', {
  timeout: 300_000,
}, async () => {
  const researcher = await signedInAs('researcher');
  const created = await researcher.post('/api/projects', {
    title: '糖尿病并发症 T2DM complications',
    description: 'HbA1c',
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const projectId = (created.body.project as { projectId: string }).projectId;
  const saved = await researcher.post(`/api/projects/${projectId}/cohorts`, { name: 'T2DM', definition: COHORT });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  const cohort = saved.body.cohort as { cohortId: string; hash: string };
  assert.equal(cohort.hash, contractHash('cohort', COHORT));
  const bad = await researcher.post(`/api/projects/${projectId}/cohorts`, { name: 'bad', definition: { criteria: 3 } });
  assert.equal((bad.body.error as { code: string }).code, 'MER_COHORT_INVALID', JSON.stringify(bad.body));

  // Feasibility: a count before any request, authorized on the ledger as task.feasibility, equal to each
  // hospital's own count of the same cohort.
  const feasible = await researcher.post('/api/cohorts/count', { projectId, cohort: COHORT });
  assert.equal(feasible.status, 200, JSON.stringify(feasible.body));
  for (const line of feasible.body.byHospital as { hospital: string; count: unknown }[]) {
    const n = await ownCount(line.hospital);
    assert.deepEqual(line.count, n >= 5 ? n : { suppressed: true }, line.hospital);
  }
  const task = (await client.get('hub', `/v1/query/tasks/${feasible.body.taskId as string}`)).body as {
    value: { requestId: string; analysisKind: string; status: string };
  };
  assert.deepEqual(
    [task.value.requestId, task.value.analysisKind, task.value.status],
    ['feasibility', 'count', 'released'],
  );

  // The request names two hospitals; the ethics committee and both stewards approve, each hospital through its node.
  const listed = ['hospital-a', 'hospital-b'];
  const submitted = await researcher.post(`/api/projects/${projectId}/requests`, {
    cohortId: cohort.cohortId,
    purpose: 'research',
    statement: 'Risk factors of diabetic complications (HbA1c, age, BMI)',
    analysisKinds: ['count', 'glm'],
    hospitals: listed,
    periodStart: new Date(Date.now() - 60_000).toISOString(),
    periodEnd: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    epsilon: 1,
  });
  assert.equal(submitted.status, 200, JSON.stringify(submitted.body));
  const requestId = (submitted.body.request as { requestId: string }).requestId;
  const early = await researcher.post(`/api/projects/${projectId}/analyses`, {
    kind: 'glm',
    requestId,
    cohortId: cohort.cohortId,
    hospitals: listed,
    body: { variables: VARIABLES, parameters: GLM_PARAMETERS },
  });
  assert.equal((early.body.error as { code: string }).code, 'MER_FED_NOT_AUTHORIZED', JSON.stringify(early.body));

  const ethics = await signedInAs('ethics');
  const decide = (who: Awaited<ReturnType<typeof signedInAs>>, comment: string) =>
    who.post(`/api/requests/${requestId}/decision`, { decision: 'approve', comment });
  const byEthics = await decide(ethics, '同意 approved by the committee');
  assert.equal(byEthics.status, 200, JSON.stringify(byEthics.body));
  assert.equal((await decide(ethics, 'again')).status, 409, 'a decision is final');
  const outsider = await decide(await signedInAs('steward-c'), 'not mine');
  assert.equal(
    (outsider.body.error as { code: string }).code,
    'MER_REQUEST_NOT_APPROVER',
    JSON.stringify(outsider.body),
  );
  assert.equal(
    (await researcher.post(`/api/requests/${requestId}/decision`, { decision: 'approve', comment: 'x' })).status,
    403,
  );
  for (const steward of ['steward-a', 'steward-b']) {
    const res = await decide(await signedInAs(steward), `${steward} agrees`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
  const read = await researcher.get(`/api/requests/${requestId}`);
  const view = read.body.request as {
    ledger: { status: string; awaiting: string[]; decisions: Record<string, { decision: string }> };
  };
  assert.equal(view.ledger.status, 'approved', JSON.stringify(read.body));
  assert.deepEqual(Object.keys(view.ledger.decisions).sort(), ['ethics', ...listed]);
  // Each hospital's decision was signed by that hospital's institution on the ledger, not by the hub.
  for (const e of (read.body.events as { kind: string; approver: string; txHash: string }[]).filter(
    (x) => x.kind === 'decide',
  )) {
    const receipt = await waitUntil(`the receipt of ${e.txHash}`, 30_000, async () => {
      const res = await client.get('hub', `/v1/txs/${e.txHash}/receipt`);
      return res.status === 200 ? (res.body as { tx: { body: { institution: string } } }) : undefined;
    });
    assert.equal(receipt.tx.body.institution, e.approver === 'ethics' ? 'hub' : e.approver, JSON.stringify(e));
  }

  const run = await researcher.post(`/api/projects/${projectId}/analyses`, {
    kind: 'glm',
    requestId,
    cohortId: cohort.cohortId,
    hospitals: listed,
    body: { variables: VARIABLES, parameters: GLM_PARAMETERS },
  });
  assert.equal(run.status, 200, JSON.stringify(run.body));
  const analysis = run.body.analysis as { status: string; result: { result: { coefficients: { name: string }[] } } };
  assert.equal(analysis.status, 'done');
  assert.deepEqual(
    analysis.result.result.coefficients.map((c) => c.name),
    [INTERCEPT_NAME, 'hba1c', 'age', 'bmi'],
  );
  const project = await researcher.get(`/api/projects/${projectId}`);
  const types = (project.body.timeline as { type: string }[]).map((t) => t.type);
  for (const t of ['project', 'cohort', 'request', 'decision', 'analysis']) assert.ok(types.includes(t), t);
  assert.equal((await (await signedInAs('clinician')).get(`/api/projects/${projectId}`)).status, 403);
});

test('on the demo data the federated GLM reproduces the generator’s fit of its ground-truth rows, and the truth lies in its intervals', {
  timeout: 180_000,
}, async () => {
  const manifest = JSON.parse(readFileSync(join(home, 'demo-data', 'manifest.json'), 'utf8')) as {
    effects: {
      diabeticComplication: {
        truth: { intercept: number; coefficients: Record<string, number> };
        sampleFit: { intercept: number; coefficients: Record<string, number> } | null;
      };
    };
  };
  const effect = manifest.effects.diabeticComplication;
  assert.ok(effect.sampleFit, 'the manifest has a sample fit');
  const { requestId, projectId } = await approvedRequest(['glm']);
  const res = await post('/api/federation/glm', {
    requestId,
    projectId,
    cohort: COHORT,
    variables: VARIABLES,
    parameters: GLM_PARAMETERS,
    hospitals: HOSPITALS,
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const coefficients = (res.body.result as { coefficients: { estimate: number; lower: number; upper: number }[] })
    .coefficients;
  const manifestNames = ['intercept', 'hba1cPercent', 'ageYears', 'bmiKgM2'];
  coefficients.forEach((c, i) => {
    const name = manifestNames[i] as string;
    const sample = i === 0 ? effect.sampleFit?.intercept : effect.sampleFit?.coefficients[name];
    const truth = i === 0 ? effect.truth.intercept : effect.truth.coefficients[name];
    assert.ok(
      sample !== undefined && Math.abs(c.estimate - sample) <= 1e-6,
      `${name}: ${c.estimate} vs sample fit ${sample}`,
    );
    assert.ok(
      truth !== undefined && c.lower <= truth && truth <= c.upper,
      `${name}: truth ${truth} in [${c.lower}, ${c.upper}]`,
    );
  });
});

test('a count under the minimum cell never leaves a hospital; an invalid cohort is refused before anything runs', {
  timeout: 120_000,
}, async () => {
  const { requestId, projectId } = await approvedRequest(['count']);
  // Lung cancer in women: a handful of patients per demo hospital.
  const rare = {
    criteria: [
      { kind: 'diagnosis', codes: ['C34'], descendants: true },
      { kind: 'sex', values: ['F'] },
    ],
  };
  const res = await post('/api/federation/count', {
    requestId,
    projectId,
    cohort: rare,
    hospitals: HOSPITALS.slice(0, 2),
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const byHospital = res.body.byHospital as { hospital: string; count: number | { suppressed: true } }[];
  let suppressed = 0;
  for (const line of byHospital) {
    const duck = await nodeDuck(line.hospital);
    const q = compileCohortCount(parseCohort(rare), { present: duck.present });
    const [row] = await duck.query(q.sql, q.params);
    duck.close();
    const n = Number(row?.n);
    if (n < 5) {
      assert.deepEqual(line.count, { suppressed: true }, `${line.hospital} holds ${n}`);
      suppressed++;
    } else assert.equal(line.count, n);
  }
  assert.ok(suppressed > 0, 'the rare cohort is small at some hospital (otherwise this test proves nothing)');
  assert.equal((res.body.suppressed as string[]).length, suppressed);

  const bad = await post('/api/federation/count', {
    requestId,
    projectId,
    cohort: { criteria: [{ kind: 'diagnosis', codes: ["E11' or 1=1 --"] }] },
    hospitals: HOSPITALS,
  });
  assert.equal(bad.status, 400, JSON.stringify(bad.body));
  assert.equal((bad.body.error as { code: string }).code, 'MER_COHORT_INVALID');
  assert.match((bad.body.error as { message: string }).message, /criteria\[0\]\.codes\[0\]/);
});

/** Time to the first diabetic complication (E11.2/E11.3/E11.4) after the first E11 diagnosis, censored at the last visit. */
const SURVIVAL_VARIABLES = [
  {
    name: 'dm',
    kind: 'survival',
    event: { kind: 'condition', codes: ['E11.2', 'E11.3', 'E11.4'], descendants: true },
    censor: 'last_visit',
  },
  { name: 'sex', kind: 'sex' },
  VARIABLES[0],
  { name: 'age', kind: 'age' },
];
/** The generator's lung-cancer survival effect: C34 patients, death or last visit, ever-smoker and age. */
const LUNG_COHORT = { index: { event: { kind: 'diagnosis', codes: ['C34'], descendants: true } }, criteria: [] };
const LUNG_VARIABLES = [
  { name: 'os', kind: 'survival', event: { kind: 'death' }, censor: 'last_visit' },
  { name: 'smoker', kind: 'observation', code: '72166-2', value: 'indicator', text: ['449868002', '8517006'] },
  { name: 'age', kind: 'age' },
];
const SURVIVAL_GRID = { unitDays: 30, maxDays: 3600 };

/** Each hospital's analysis rows of a cohort, read straight from its Parquet files (numbers as numbers). */
async function parquetRows(cohortDef: unknown, variables: unknown): Promise<Map<string, Record<string, unknown>[]>> {
  const byHospital = new Map<string, Record<string, unknown>[]>();
  for (const h of HOSPITALS) {
    const duck = await nodeDuck(h);
    const cohort = compileCohort(parseCohort(cohortDef), { present: duck.present });
    const q = compileDataset(cohort, parseVariables(variables), { present: duck.present });
    const rows = await duck.query(q.sql, q.params);
    duck.close();
    byHospital.set(
      h,
      rows.map((r) =>
        Object.fromEntries(
          Object.entries(r).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v]),
        ),
      ),
    );
  }
  return byHospital;
}

/** A survival time on the grid: up to the next grid time, censored at maxDays beyond it. */
function onGrid(time: number, event: number): { time: number; event: number } {
  const up = Math.ceil(time / SURVIVAL_GRID.unitDays) * SURVIVAL_GRID.unitDays;
  return up > SURVIVAL_GRID.maxDays ? { time: SURVIVAL_GRID.maxDays, event: 0 } : { time: up, event };
}

/** The hospitals the minimum cell of 5 makes refuse a lung-cancer analysis, from their complete cases. */
async function lungRefusers(check: (rows: Record<string, unknown>[]) => boolean): Promise<string[]> {
  const rows = await parquetRows(LUNG_COHORT, LUNG_VARIABLES);
  return HOSPITALS.filter((h) =>
    check((rows.get(h) ?? []).filter((r) => r.os_time_days !== null && r.smoker !== null && r.age !== null)),
  );
}

test('federated Kaplan–Meier on the demo equals the pooled curves on the released intervals; lung cancer is too rare to release', {
  timeout: 240_000,
}, async (t) => {
  const { requestId, projectId } = await approvedRequest(['km', 'cox']);
  const parameters = { time: 'dm', group: 'sex', grid: SURVIVAL_GRID };
  const body = {
    requestId,
    projectId,
    cohort: COHORT,
    variables: SURVIVAL_VARIABLES,
    parameters,
    hospitals: HOSPITALS,
  };
  const res = await post('/api/federation/km', body);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const pooled = { time: [] as number[], status: [] as number[], group: [] as string[] };
  for (const rows of (await parquetRows(COHORT, SURVIVAL_VARIABLES)).values()) {
    for (const r of rows) {
      if (r.dm_time_days === null || r.dm_event === null || (r.sex !== 'F' && r.sex !== 'M')) continue;
      const g = onGrid(Number(r.dm_time_days), Number(r.dm_event));
      pooled.time.push(g.time);
      pooled.status.push(g.event);
      pooled.group.push(r.sex as string);
    }
  }
  type Row = { time: number; atRisk: number; events: number; censored: number; survival: number };
  const curves = res.body.curves as { group: string; status: string; n: number; rows: Row[] }[];
  let rowsSeen = 0;
  for (const group of ['F', 'M']) {
    const curve = curves.find((c) => c.group === group);
    assert.equal(curve?.status, 'released', JSON.stringify(curve));
    const ends = curve.rows.map((r) => r.time);
    const time: number[] = [];
    const status: number[] = [];
    pooled.time.forEach((t, i) => {
      if (pooled.group[i] !== group) return;
      const end = ends.find((e) => e >= t);
      time.push(end ?? SURVIVAL_GRID.maxDays);
      status.push(end === undefined ? 0 : (pooled.status[i] as number));
    });
    assert.equal(curve.n, time.length, `${group}: n`);
    const ref = kaplanMeier(kmNodeCounts({ time, status })).curves[0];
    curve.rows.forEach((r, i) => {
      const w = ref?.rows[i];
      assert.ok(w && w.time === r.time && w.atRisk === r.atRisk && w.events === r.events, `${group} row ${i}`);
      assert.ok(Math.abs(r.survival - w.survival) <= 1e-8, `${group} S(${r.time}): ${r.survival} vs ${w.survival}`);
      for (const v of [r.atRisk, r.events, r.censored]) assert.ok(v === 0 || v >= 5, `${group} at ${r.time}: ${v}`);
    });
    rowsSeen += curve.rows.length;
  }
  assert.ok(rowsSeen > 0, 'some part of the curves is released');
  t.diagnostic(
    `${pooled.time.length} pooled rows; ${rowsSeen} released curve rows; log-rank ${JSON.stringify(res.body.logRank)}`,
  );
  const logRank = logRankTest(kmNodeCounts(pooled));
  const fedLogRank = res.body.logRank as { chiSquare: number };
  assert.ok(
    Math.abs(fedLogRank.chiSquare - logRank.chiSquare) <= 1e-8,
    `log-rank ${fedLogRank.chiSquare} vs ${logRank.chiSquare}`,
  );

  // Lung cancer: a few patients per demo hospital. A hospital under the minimum cell refuses and names no count.
  const refusers = await lungRefusers((rows) => rows.length < 5);
  const lung = await post('/api/federation/km', {
    ...body,
    cohort: LUNG_COHORT,
    variables: LUNG_VARIABLES,
    parameters: { time: 'os', grid: SURVIVAL_GRID },
  });
  assert.ok(
    refusers.length > 0,
    'the demo has a hospital with fewer than 5 lung-cancer patients (else this proves little)',
  );
  assert.equal(lung.status, 503, JSON.stringify(lung.body));
  const message = (lung.body.error as { code: string; message: string }).message;
  assert.equal((lung.body.error as { code: string }).code, 'MER_FED_PARTIAL');
  for (const h of refusers)
    assert.match(
      message,
      new RegExp(
        `${h} \\(MER_DISCLOSURE_COHORT_TOO_SMALL: [^)]*${h} refuses: the survival analysis \\(complete cases\\) has fewer rows than the minimum cell of 5\\)`,
      ),
    );
});

test('federated Cox on the demo equals the pooled fit within 1e-8, stratified and on the grid; lung cancer is refused at the node', {
  timeout: 300_000,
}, async (t) => {
  const { requestId, projectId } = await approvedRequest(['km', 'cox']);
  const covariates = ['hba1c', 'age'];
  const body = { requestId, projectId, cohort: COHORT, variables: SURVIVAL_VARIABLES, hospitals: HOSPITALS };
  const data = {
    time: [] as number[],
    status: [] as number[],
    X: [] as number[][],
    strata: [] as string[],
    binned: [] as number[],
    binnedStatus: [] as number[],
  };
  for (const [h, rows] of await parquetRows(COHORT, SURVIVAL_VARIABLES)) {
    const d = designMatrix(rows, { outcome: 'dm_time_days', event: 'dm_event', covariates, intercept: false });
    d.y.forEach((t, i) => {
      const e = d.event?.[i] as number;
      const g = onGrid(t, e);
      data.time.push(t);
      data.status.push(e);
      data.X.push(d.X[i] as number[]);
      data.strata.push(h);
      data.binned.push(g.time);
      data.binnedStatus.push(g.event);
    });
  }
  for (const [parameters, ref] of [
    [
      { time: 'dm', covariates, stratified: true, ties: 'efron' },
      fitCoxPooled(
        { time: data.time, status: data.status, X: data.X, strata: data.strata },
        { ties: 'efron', names: covariates },
      ),
    ],
    [
      { time: 'dm', covariates, stratified: false, ties: 'breslow', grid: SURVIVAL_GRID },
      fitCoxPooled({ time: data.binned, status: data.binnedStatus, X: data.X }, { ties: 'breslow', names: covariates }),
    ],
  ] as const) {
    const res = await post('/api/federation/cox', { ...body, parameters });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    t.diagnostic(
      `cox ${JSON.stringify(parameters)}: ${JSON.stringify(res.body.result && (res.body.result as { coefficients: unknown }).coefficients)}`,
    );
    const result = res.body.result as {
      n: number;
      events: number;
      coefficients: { name: string; estimate: number; standardError: number }[];
    };
    assert.equal(result.n, ref.n);
    assert.equal(result.events, ref.events);
    result.coefficients.forEach((c, j) => {
      const r = ref.coefficients[j];
      assert.ok(r && Math.abs(c.estimate - r.estimate) <= 1e-8, `${c.name}: ${c.estimate} vs pooled ${r?.estimate}`);
      assert.ok(r && Math.abs(c.standardError - r.standardError) <= 1e-8, `${c.name} SE`);
    });
  }

  // Lung cancer on smoking and age: some hospital has its rows or a category (smokers, never-smokers, deaths,
  // survivors) under the minimum cell, or too few deaths for two parameters, and refuses before computing anything.
  const refusers = await lungRefusers((rows) => {
    const smokers = rows.filter((r) => Number(r.smoker) === 1).length;
    const deaths = rows.filter((r) => Number(r.os_event) === 1).length;
    const rare = Math.min(rows.length, smokers, rows.length - smokers, deaths, rows.length - deaths) < 5;
    return rare || 2 > PARAMETER_SHARE_MAX_DEFAULT * deaths;
  });
  assert.ok(refusers.length > 0, 'lung cancer is rare in the demo (else this proves little)');
  const lung = await post('/api/federation/cox', {
    ...body,
    cohort: LUNG_COHORT,
    variables: LUNG_VARIABLES,
    parameters: { time: 'os', covariates: ['smoker', 'age'], stratified: true, ties: 'efron' },
  });
  assert.equal(lung.status, 503, JSON.stringify(lung.body));
  const message = (lung.body.error as { message: string }).message;
  for (const h of refusers)
    assert.match(message, new RegExp(`${h} \\(MER_DISCLOSURE_(COHORT_TOO_SMALL|GLM_REFUSED): [^)]*${h} refuses`));
});

test('FedAvg trains a logistic model of diabetic complications on the demo: the loss falls, the AUC beats 0.6 and is the pooled one', {
  timeout: 240_000,
}, async (t) => {
  const { requestId, projectId } = await approvedRequest(['fedavg']);
  const features = ['hba1c', 'age', 'bmi'];
  const parameters = {
    outcome: 'complication',
    features,
    rounds: 8,
    epochs: 2,
    batchSize: 16,
    learningRate: 0.2,
    clipNorm: 5,
    seed: 11,
  };
  const res = await post('/api/federation/fedavg', {
    requestId,
    projectId,
    cohort: COHORT,
    variables: VARIABLES,
    parameters,
    hospitals: HOSPITALS,
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  type Round = { round: number; trainLoss: number; loss: number; auc: number | null; aucError: number | null };
  const history = res.body.history as Round[];
  t.diagnostic(`fedavg history ${JSON.stringify(history)}; weights ${JSON.stringify(res.body.weights)}`);
  assert.equal(history.length, parameters.rounds);
  const first = history[0] as Round;
  const last = history.at(-1) as Round;
  assert.ok(last.loss < first.trainLoss, `loss ${first.trainLoss} → ${last.loss}`);
  assert.ok(last.auc !== null && last.auc > 0.6, `AUC ${last.auc}: HbA1c, age and BMI raise the generator's risk`);
  assert.ok((res.body.ledger as { release: unknown }).release, JSON.stringify(res.body.ledger));

  // The released AUC is the exact AUC of the final model on the pooled Parquet rows, within the grid's error.
  const scaling = res.body.features as { name: string; mean: number; sd: number }[];
  const x: number[] = [];
  const y: number[] = [];
  for (const rows of (await parquetRows(COHORT, VARIABLES)).values()) {
    const d = designMatrix(rows, { outcome: 'complication', covariates: features, intercept: false });
    for (const row of d.X) {
      row.forEach((v, k) => {
        x.push((v - (scaling[k]?.mean as number)) / (scaling[k]?.sd as number));
      });
    }
    y.push(...d.y);
  }
  assert.equal(res.body.n, y.length);
  const data = { features: features.length, x: Float64Array.from(x), y: Float64Array.from(y) };
  const model = {
    spec: { kind: 'logistic' as const, features: features.length },
    params: Float64Array.from(res.body.weights as number[]),
  };
  const exact = aucMannWhitney(predictLogits(model, data), data.y) as number;
  assert.ok(Math.abs(last.auc - exact) <= (last.aucError as number) + 1e-12, `AUC ${last.auc} vs exact ${exact}`);
});

// Keep last: it stops a hospital node for good.
test('with one hospital stopped, a count is partial and names it; the exact GLM refuses', {
  timeout: 180_000,
}, async () => {
  const { requestId, projectId } = await approvedRequest(['count', 'glm']);
  const stopped = HOSPITALS[2] as string;
  const config = join(homeLayout(home).nodeDir(stopped), 'meridian.json');
  const pids = execFileSync('pgrep', ['-f', `node start --config ${config}`], { encoding: 'utf8' })
    .trim()
    .split('\n');
  for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
  const admin = await post('/api/auth/login', { username: 'admin', password: DEMO_PASSWORD });
  await waitUntil(
    () => `${stopped} down`,
    30_000,
    async () => {
      const res = await fetch(`${api}/api/nodes`, {
        headers: { authorization: `Bearer ${admin.body.token as string}` },
      });
      const nodes = ((await res.json()) as { nodes?: { name: string; state: string }[] }).nodes ?? [];
      return nodes.find((n) => n.name === stopped)?.state === 'down' ? true : undefined;
    },
  );
  const count = await post('/api/federation/count', { requestId, projectId, cohort: COHORT, hospitals: HOSPITALS });
  assert.equal(count.status, 200, JSON.stringify(count.body));
  assert.equal(count.body.partial, true);
  assert.deepEqual(count.body.missing, [stopped]);
  const trail = count.body.ledger as { receipts: Record<string, unknown>; release: unknown; unreleased: string };
  assert.equal(trail.release, null);
  assert.deepEqual(Object.keys(trail.receipts).sort(), HOSPITALS.filter((h) => h !== stopped).sort());
  assert.match(trail.unreleased, new RegExp(stopped));
  const glm = await post('/api/federation/glm', {
    requestId,
    projectId,
    cohort: COHORT,
    variables: VARIABLES,
    parameters: GLM_PARAMETERS,
    hospitals: HOSPITALS,
  });
  assert.equal(glm.status, 503, JSON.stringify(glm.body));
  assert.equal((glm.body.error as { code: string }).code, 'MER_FED_PARTIAL');
});

// After the test above stopped hospital C: re-running a partial count, the steward's approval, concept search
// and `meridian analyze`. These restart hospital C themselves (and leave it running under its own config).

/** Hospital node processes these tests started (stopped after the suite). */
const restartedNodes: Proc[] = [];

after(async () => {
  for (const p of restartedNodes) {
    p.child.kill('SIGTERM');
    await p.exited;
  }
});

async function nodeState(name: string): Promise<string | undefined> {
  const admin = await post('/api/auth/login', { username: 'admin', password: DEMO_PASSWORD });
  const res = await fetch(`${api}/api/nodes`, { headers: { authorization: `Bearer ${admin.body.token as string}` } });
  const nodes = ((await res.json()) as { nodes?: { name: string; state: string }[] }).nodes ?? [];
  return nodes.find((n) => n.name === name)?.state;
}

/** Stops hospital `name` (the demo's process or one these tests started) and waits until the hub sees it down. */
async function stopHospital(name: string): Promise<void> {
  const config = join(homeLayout(home).nodeDir(name), 'meridian.json');
  let pids: string[] = [];
  try {
    pids = execFileSync('pgrep', ['-f', `node start --config ${config}`], { encoding: 'utf8' })
      .trim()
      .split('\n');
  } catch {
    pids = [];
  }
  for (const pid of pids.filter((p) => p !== '')) process.kill(Number(pid), 'SIGKILL');
  for (const p of restartedNodes.splice(0)) {
    p.child.kill('SIGTERM');
    await p.exited;
  }
  await waitUntil(`${name} down`, 30_000, async () => ((await nodeState(name)) === 'down' ? true : undefined));
}

/** Starts hospital `name` with `configFile` and waits until the hub sees it up. */
async function startHospital(name: string, configFile: string): Promise<void> {
  const proc = startMeridian(['node', 'start', '--config', configFile]);
  restartedNodes.push(proc);
  await waitUntil(
    () => `${name} up\n${proc.output()}`,
    180_000,
    async () => ((await nodeState(name)) === 'up' ? true : undefined),
  );
}

/** The count of `COHORT` in one hospital's own Parquet files. */
async function ownCount(hospital: string): Promise<number> {
  const duck = await nodeDuck(hospital);
  const q = compileCohortCount(parseCohort(COHORT), { present: duck.present });
  const [row] = await duck.query(q.sql, q.params);
  duck.close();
  return Number(row?.n);
}

test('a partial count is re-run when the hospital that was down is back: complete, under the same authorization, released', {
  timeout: 420_000,
}, async () => {
  const stopped = HOSPITALS[2] as string;
  await stopHospital(stopped);
  const { requestId, projectId } = await approvedRequest(['count']);
  const first = await post('/api/federation/count', { requestId, projectId, cohort: COHORT, hospitals: HOSPITALS });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.deepEqual(first.body.missing, [stopped]);
  const taskId = first.body.taskId as string;

  await startHospital(stopped, join(homeLayout(home).nodeDir(stopped), 'meridian.json'));
  const again = await post(`/api/federation/tasks/${taskId}/rerun`, {});
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal(again.body.taskId, taskId);
  assert.deepEqual(again.body.authorizedAt, first.body.authorizedAt, 'the same ledger authorization');
  assert.equal(again.body.partial, false);
  assert.deepEqual(again.body.missing, []);
  const byHospital = again.body.byHospital as { hospital: string; status: string; count: unknown }[];
  const n = await ownCount(stopped);
  assert.deepEqual(
    byHospital.find((l) => l.hospital === stopped)?.count,
    n >= 5 ? n : { suppressed: true },
    JSON.stringify(byHospital),
  );
  assert.deepEqual(
    byHospital.filter((l) => l.hospital !== stopped),
    (first.body.byHospital as unknown[]).filter((l) => (l as { hospital: string }).hospital !== stopped),
    'the hospitals that answered first are not asked again',
  );
  const trail = again.body.ledger as { receipts: Record<string, unknown>; release: { resultHash: string } | null };
  assert.deepEqual(Object.keys(trail.receipts).sort(), [...HOSPITALS].sort());
  assert.ok(trail.release, JSON.stringify(again.body.ledger));
  const onChain = (await client.get(HOSPITALS[0] as string, `/v1/query/tasks/${taskId}`)).body as {
    value: { status: string; release?: { resultHash: string } };
  };
  assert.equal(onChain.value.status, 'released');
  assert.equal(onChain.value.release?.resultHash, trail.release.resultHash);

  const done = await post(`/api/federation/tasks/${taskId}/rerun`, {});
  assert.equal(done.status, 404, JSON.stringify(done.body));
  assert.equal((done.body.error as { code: string }).code, 'MER_FED_RERUN_NOT_FOUND');
});

test('a task held by a hospital’s policy waits for its steward; once approved it runs on the re-run', {
  timeout: 600_000,
}, async () => {
  const held = HOSPITALS[2] as string;
  const dir = homeLayout(home).nodeDir(held);
  const config = JSON.parse(readFileSync(join(dir, 'meridian.json'), 'utf8')) as {
    node: { federation?: { autoApprove?: string[] } };
  };
  const auto = (config.node.federation?.autoApprove ?? []).filter((k) => k !== 'count');
  const policyFile = join(dir, 'steward-policy.json');
  writeFileSync(policyFile, JSON.stringify({ ...config, node: { ...config.node, federation: { autoApprove: auto } } }));
  await stopHospital(held);
  await startHospital(held, policyFile);

  const { requestId, projectId } = await approvedRequest(['count']);
  const first = await post('/api/federation/count', { requestId, projectId, cohort: COHORT, hospitals: HOSPITALS });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.deepEqual(first.body.missing, [held]);
  const line = (first.body.byHospital as { hospital: string; code?: string; message?: string }[]).find(
    (l) => l.hospital === held,
  );
  assert.equal(line?.code, 'MER_FED_NODE_POLICY', JSON.stringify(line));
  assert.match(line?.message ?? '', /waits for the steward's decision/);
  const taskId = first.body.taskId as string;

  const as = async (user: string) =>
    (await post('/api/auth/login', { username: user, password: DEMO_PASSWORD })).body.token as string;
  const steward = await as(`steward-${held.slice(-1)}`);
  const call = async (method: string, path: string, bearer: string, body?: unknown) => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const pending = await call('GET', `/api/federation/approvals/${held}`, steward);
  assert.equal(pending.status, 200, JSON.stringify(pending.body));
  const mine = (
    pending.body.tasks as { taskId: string; kind: string; status: string; cohort: { codes: string[] } }[]
  ).filter((t) => t.taskId === taskId);
  assert.equal(mine.length, 1, JSON.stringify(pending.body));
  assert.equal(mine[0]?.kind, 'count');
  assert.equal(mine[0]?.status, 'pending');
  assert.deepEqual(mine[0]?.cohort.codes, ['ICD-10:E11*']);

  const foreign = await call('POST', `/api/federation/approvals/${held}/${taskId}`, await as('steward-a'), {
    decision: 'approve',
    comment: 'not mine to approve',
  });
  assert.equal(foreign.status, 403, JSON.stringify(foreign.body));
  assert.equal((foreign.body.error as { code: string }).code, 'MER_FED_OTHER_HOSPITAL');

  const approved = await call('POST', `/api/federation/approvals/${held}/${taskId}`, steward, {
    decision: 'approve',
    comment: '研究方案与伦理批件一致',
  });
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  assert.equal(approved.body.status, 'approved');
  assert.equal(approved.body.comment, '研究方案与伦理批件一致');

  const again = await post(`/api/federation/tasks/${taskId}/rerun`, {});
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal(again.body.partial, false, JSON.stringify(again.body));
  const n = await ownCount(held);
  const heldLine = (again.body.byHospital as { hospital: string; count: unknown }[]).find((l) => l.hospital === held);
  assert.deepEqual(heldLine?.count, n >= 5 ? n : { suppressed: true });
  assert.ok((again.body.ledger as { release: unknown }).release, JSON.stringify(again.body.ledger));

  await stopHospital(held);
  await startHospital(held, join(dir, 'meridian.json'));
});

test('concept search at the hub finds a Chinese and an English term', { timeout: 30_000 }, async () => {
  const search = async (q: string) => {
    const res = await fetch(`${api}/api/federation/concepts?q=${encodeURIComponent(q)}&limit=5`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { hits: { vocabulary: string; code: string }[] }).hits;
  };
  assert.ok((await search('高血压')).some((h) => h.vocabulary === 'ICD-10' && h.code.startsWith('I10')));
  assert.ok((await search('hemoglobin A1c')).some((h) => h.vocabulary === 'LOINC' && h.code === '4548-4'));
  const lookup = await post('/api/federation/concepts/lookup', { codes: ['E11.900', 'Q99.999'] });
  assert.equal(lookup.status, 200, JSON.stringify(lookup.body));
  assert.deepEqual(lookup.body.unknown, ['Q99.999']);
});

test('`meridian analyze` on a definition file prints each hospital’s count; a bad file names the file and path', {
  timeout: 180_000,
}, async () => {
  const { requestId, projectId } = await approvedRequest(['count']);
  const file = join(home, 'count-definition.json');
  const definition = { kind: 'count', requestId, projectId, cohort: COHORT, hospitals: HOSPITALS };
  writeFileSync(file, JSON.stringify(definition));
  const env = { MERIDIAN_PASSWORD: DEMO_PASSWORD };
  const run = await runMeridian(['analyze', file, '--hub', api, '--user', 'researcher'], env);
  assert.equal(run.code, 0, run.stderr);
  for (const h of HOSPITALS) {
    const n = await ownCount(h);
    const row = run.stdout.split('\n').find((l) => l.startsWith(h));
    assert.match(row ?? '', new RegExp(`^${h}\\s+answered\\s+${n >= 5 ? n : 'suppressed'}$`), run.stdout);
  }
  assert.match(run.stdout, /released on the ledger: [0-9a-f]{64}/);

  const bad = join(home, 'bad-definition.json');
  writeFileSync(bad, JSON.stringify({ ...definition, hospitals: ['hospital-a', 7] }));
  const refused = await runMeridian(['analyze', bad, '--hub', api, '--user', 'researcher'], env);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    new RegExp(`${bad.replaceAll('/', '\\/')}: \\$\\.hospitals\\[1\\]: .*MER_CLI_DEFINITION_INVALID`),
  );
});

test('a DP count on the demo charges its ε on the ledger before it runs; over the budget it is refused and no hospital runs it', {
  timeout: 180_000,
}, async () => {
  const { requestId, projectId } = await approvedRequest(['count']);
  const body = { requestId, projectId, cohort: COHORT, hospitals: HOSPITALS };
  const res = await post('/api/federation/count', { ...body, dp: { mechanism: 'laplace', epsilon: 0.6 } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const spend = res.body.dp as { epsilon: number; spentEpsilon: number; remainingEpsilon: number };
  assert.deepEqual([spend.epsilon, spend.spentEpsilon, spend.remainingEpsilon], [0.6, 0.6, 0.4]);
  const lines = res.body.byHospital as { hospital: string; disclosure: string; count: unknown }[];
  assert.deepEqual(
    lines.map((l) => l.disclosure),
    HOSPITALS.map(() => 'dp'),
  );
  for (const l of lines) {
    assert.ok(typeof l.count === 'number' ? l.count >= 5 : JSON.stringify(l.count) === '{"suppressed":true}');
  }
  assert.equal(res.body.noisy, true);
  const budget = (await client.get(HOSPITALS[2] as string, `/v1/query/budget/${projectId}`)).body as {
    value: { spentMicros: number; remainingMicros: number };
  };
  assert.deepEqual([budget.value.spentMicros, budget.value.remainingMicros], [600_000, 400_000]);
  const task = (await client.get(HOSPITALS[1] as string, `/v1/query/tasks/${res.body.taskId as string}`)).body as {
    value: { epsilonChargedMicros: number; receipts: Record<string, unknown> };
  };
  assert.equal(task.value.epsilonChargedMicros, 600_000);
  assert.deepEqual(Object.keys(task.value.receipts).sort(), [...HOSPITALS].sort());

  const over = await post('/api/federation/count', { ...body, dp: { mechanism: 'laplace', epsilon: 0.5 } });
  assert.equal(over.status, 409, JSON.stringify(over.body));
  const error = over.body.error as { code: string; message: string; details: { taskId: string } };
  assert.equal(error.code, 'MER_DP_BUDGET_EXHAUSTED');
  assert.match(error.message, /ε 0\.4 of privacy budget left/);
  const refused = (await client.get(HOSPITALS[0] as string, `/v1/query/tasks/${error.details.taskId}`)).body as {
    value: { epsilonChargedMicros: number; receipts: Record<string, unknown> };
  };
  assert.deepEqual([refused.value.epsilonChargedMicros, Object.keys(refused.value.receipts)], [0, []]);
});
