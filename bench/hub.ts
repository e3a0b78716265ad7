/**
 * Hub API under load: the demo consortium as real processes (four ledger validators, the hub, three hospital
 * nodes with BENCH_PATIENTS patients each), then autocannon from this process against
 *  - dashboard and catalog reads (`GET /api/dashboard`, `/api/catalog`, `/api/catalog/measurement`) with 1,000
 *    concurrent connections, as the manager;
 *  - federated cohort counts (`POST /api/federation/count`) with 100 connections, as the researcher, under a
 *    data-use request submitted and approved in the setup through the hub's request routes (the ethics committee
 *    through the hub, each hospital's steward through their node, which signs); each count asks a slightly different cohort (age ≥ k), so the
 *    hub's same-question limit is not what is measured (400 variants × 50 repeats allowed by the demo hub);
 *  - two baselines in the same run at 1,000 connections: `GET /health` (no session) and `GET /api/auth/me`
 *    (the same session check every read pays, then an in-memory answer). Reads are reported as ratios to the latter.
 * Each row runs BENCH_WARMUP_SECONDS unmeasured first (connections opened, code warm); counts run longer
 * (BENCH_COUNT_SECONDS) since each one commits several ledger transactions. p95 is computed from every response
 * time (autocannon's summary stops at p90 and p97.5).
 *   npm run bench -- hub   (BENCH_PATIENTS, BENCH_SECONDS, BENCH_COUNT_SECONDS, BENCH_WARMUP_SECONDS,
 *                           BENCH_READ_CONNECTIONS, BENCH_COUNT_CONNECTIONS)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { DEMO_ACCOUNTS, DEMO_HOSPITALS, DEMO_PASSWORD } from '../src/demo/consortium.ts';
import { demoPortArgs, demoPorts, startMeridian, waitForOutput, waitUntil } from '../test/integration/processes.ts';
import { report } from './_report.ts';

const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const COUNT_SECONDS = Number(process.env.BENCH_COUNT_SECONDS ?? 30);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const READ_CONNECTIONS = Number(process.env.BENCH_READ_CONNECTIONS ?? 1_000);
const COUNT_CONNECTIONS = Number(process.env.BENCH_COUNT_CONNECTIONS ?? 100);
/** Distinct cohorts the count load cycles through (the demo hub allows 50 repeats of one question a day, 500 questions). */
const COHORT_VARIANTS = 400;
const HOSPITALS = DEMO_HOSPITALS.map((h) => h.name);
const READ_TARGET_MS = 200;
const COUNT_TARGET_MS = 1_000;

const home = mkdtempSync(join(tmpdir(), 'bench-hub-'));
const ports = await demoPorts(HOSPITALS.length);
const api = `http://127.0.0.1:${ports.hubPort}`;
const demo = startMeridian(['demo', '--home', home, ...demoPortArgs(ports), '--patients', String(PATIENTS)]);

async function login(username: string): Promise<string> {
  const res = await fetch(`${api}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** Posts `body` to the hub as the holder of `token`; throws with the hub's answer unless it is 200. */
async function post<T>(token: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${api}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * A data-use request for counts through the hub's own routes: the researcher's project, saved cohort and request,
 * approved by the ethics committee and by every hospital's steward (each hospital's node signs its decision).
 */
async function approvedRequest(researcher: string, cohort: unknown): Promise<{ requestId: string; projectId: string }> {
  const { project } = await post<{ project: { projectId: string } }>(researcher, '/api/projects', {
    title: 'Hub load bench',
  });
  const { projectId } = project;
  const { cohort: saved } = await post<{ cohort: { cohortId: string } }>(
    researcher,
    `/api/projects/${projectId}/cohorts`,
    { name: 'T2DM', definition: cohort },
  );
  const { request } = await post<{ request: { requestId: string } }>(
    researcher,
    `/api/projects/${projectId}/requests`,
    {
      cohortId: saved.cohortId,
      purpose: 'research',
      statement: 'Load test of federated cohort counts',
      analysisKinds: ['count'],
      hospitals: HOSPITALS,
      periodStart: new Date(Date.now() - 60_000).toISOString(),
      periodEnd: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      epsilon: 1,
    },
  );
  const approvers = ['ethics', ...DEMO_ACCOUNTS.filter((a) => a.role === 'steward').map((a) => a.username)];
  for (const approver of approvers) {
    await post(await login(approver), `/api/requests/${request.requestId}/decision`, {
      decision: 'approve',
      comment: 'approved for the bench',
    });
  }
  return { requestId: request.requestId, projectId };
}

/** The 95th percentile of response times (nearest rank). */
function p95(times: number[]): number {
  if (times.length === 0) return Number.NaN;
  const s = [...times].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)] as number;
}

interface Run {
  name: string;
  connections: number;
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  /** Failed requests: connection errors, client timeouts (30 s) and non-2xx answers. */
  errors: number;
  timeouts: number;
  /** Answers by HTTP status (what the errors were). */
  statuses: Record<string, number>;
}

interface LoadOptions {
  path: string;
  connections: number;
  seconds: number;
  token?: string;
  method?: 'GET' | 'POST';
  body?: (i: number) => unknown;
}

/** One row: a warm-up of BENCH_WARMUP_SECONDS (not measured), then the measured run. */
async function load(name: string, opts: LoadOptions): Promise<Run> {
  if (WARMUP_SECONDS > 0) await measure(name, { ...opts, seconds: WARMUP_SECONDS });
  return measure(name, opts);
}

async function measure(name: string, opts: LoadOptions): Promise<Run> {
  const times: number[] = [];
  const statuses: Record<string, number> = {};
  let sent = 0;
  const headers: Record<string, string> = {
    ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    ...(opts.body ? { 'content-type': 'application/json' } : {}),
  };
  const make = opts.body;
  const instance = autocannon({
    url: `${api}${opts.path}`,
    connections: opts.connections,
    duration: opts.seconds,
    timeout: 30,
    method: opts.method ?? 'GET',
    headers,
    ...(make
      ? {
          requests: [
            {
              method: opts.method ?? 'GET',
              path: opts.path,
              headers,
              setupRequest: (req) => ({ ...req, body: JSON.stringify(make(sent++)) }),
            },
          ],
        }
      : {}),
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    times.push(ms);
    statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const r = await instance;
  return {
    name,
    connections: opts.connections,
    requests: r.requests.total,
    rps: Math.round(r.requests.total / Math.max(1, r.duration)),
    p50: r.latency.p50,
    p95: p95(times),
    p99: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
    timeouts: r.timeouts,
    statuses,
  };
}

try {
  await waitForOutput(demo, 'consortium is up', 900_000);
  const manager = await login('manager');
  const researcher = await login('researcher');
  // Warm the hub's aggregates cache: every hospital reported (the first read starts the refresh).
  await waitUntil('every hospital in the dashboard', 120_000, async () => {
    const res = await fetch(`${api}/api/dashboard`, { headers: { authorization: `Bearer ${manager}` } });
    const body = (await res.json()) as { hospitals?: { status: string }[] };
    return body.hospitals?.length === HOSPITALS.length && body.hospitals.every((h) => h.status === 'fresh')
      ? true
      : undefined;
  });
  /** Variant `i` of the cohort: type 2 diabetes, aged 0–79 at least and 100–104 at most at the index. */
  const cohortOf = (i: number) => ({
    index: { event: { kind: 'diagnosis', codes: ['E11'], descendants: true } },
    criteria: [{ kind: 'age', at: 'index', range: { min: i % 80, max: 100 + (Math.floor(i / 80) % 5) } }],
  });
  const { requestId, projectId } = await approvedRequest(researcher, cohortOf(0));
  const probe = await fetch(`${api}/api/federation/count`, {
    method: 'POST',
    headers: { authorization: `Bearer ${researcher}`, 'content-type': 'application/json' },
    body: JSON.stringify({ requestId, projectId, cohort: cohortOf(0), hospitals: HOSPITALS }),
  });
  if (probe.status !== 200) throw new Error(`a count under the approved request failed: ${await probe.text()}`);

  const runs: Run[] = [];
  const read = { connections: READ_CONNECTIONS, seconds: SECONDS, token: manager };
  runs.push(await load('GET /health (baseline, no session)', { ...read, path: '/health', token: '' }));
  runs.push(await load('GET /api/auth/me (baseline, session check)', { ...read, path: '/api/auth/me' }));
  const reads = [
    await load('GET /api/dashboard', { ...read, path: '/api/dashboard' }),
    await load('GET /api/catalog', { ...read, path: '/api/catalog' }),
    await load('GET /api/catalog/measurement', { ...read, path: '/api/catalog/measurement' }),
  ];
  runs.push(...reads);
  const counts = await load('POST /api/federation/count', {
    path: '/api/federation/count',
    method: 'POST',
    connections: COUNT_CONNECTIONS,
    seconds: COUNT_SECONDS,
    token: researcher,
    body: (i) => ({ requestId, projectId, cohort: cohortOf(1 + (i % (COHORT_VARIANTS - 1))), hospitals: HOSPITALS }),
  });
  runs.push(counts);

  const me = runs[1] as Run;
  const readP95 = Math.max(...reads.map((r) => r.p95));
  report(
    `Hub API under load (${PATIENTS} patients × ${HOSPITALS.length} hospitals, ${SECONDS} s per read row, ${COUNT_SECONDS} s of counts)`,
    runs.map((r) => ({
      route: r.name,
      connections: r.connections,
      requests: r.requests,
      'req/s': r.rps,
      'p50 ms': r.p50,
      'p95 ms': r.p95,
      'p99 ms': r.p99,
      errors: r.errors,
      'p95 / auth/me': Number((r.p95 / me.p95).toFixed(2)),
    })),
    {
      bench: 'hub',
      patients: PATIENTS,
      seconds: SECONDS,
      count_seconds: COUNT_SECONDS,
      read_connections: READ_CONNECTIONS,
      count_connections: COUNT_CONNECTIONS,
      health_p95_ms: (runs[0] as Run).p95,
      me_p95_ms: me.p95,
      dashboard_p95_ms: (reads[0] as Run).p95,
      catalog_p95_ms: (reads[1] as Run).p95,
      catalog_table_p95_ms: (reads[2] as Run).p95,
      read_rps: reads.map((r) => r.rps),
      read_errors: reads.reduce((s, r) => s + r.errors, 0),
      read_timeouts: reads.reduce((s, r) => s + r.timeouts, 0),
      read_statuses: reads.map((r) => r.statuses),
      read_p95_vs_me: Number((readP95 / me.p95).toFixed(2)),
      count_rps: counts.rps,
      count_errors: counts.errors,
      count_timeouts: counts.timeouts,
      count_statuses: counts.statuses,
      read_p95_ms: readP95,
      count_p95_ms: counts.p95,
      read_target_met: readP95 < READ_TARGET_MS,
      count_target_met: counts.p95 < COUNT_TARGET_MS,
    },
  );
} finally {
  if (demo.child.exitCode === null) {
    demo.child.kill('SIGINT');
    await Promise.race([demo.exited, new Promise((r) => setTimeout(r, 20_000))]);
    if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
  }
  rmSync(home, { recursive: true, force: true });
}
