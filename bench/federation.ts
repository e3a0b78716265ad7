/**
 * Federated analysis speed: 3 hospital lakes × BENCH_PATIENTS patients (default 1,000,000) of synthetic DWD
 * (person, condition_occurrence, measurement written straight to Parquet by DuckDB, deterministic), one cohort
 * (type 2 diabetes by code descendants, first diagnosis as index, HbA1c > 7 % within a year before it, age
 * 40–80 at the index) counted by each node's `count` runner (compiled SQL + minimum cell size, the three nodes
 * at once) against the same query over all rows pooled in one DuckDB; and one exact GLM round (node steps over
 * 100k rows × 20 features at three nodes + the hub's solve).
 *
 * The headline figures use each node's analysis layer (src/federation/ads, built after the load; its build time
 * is reported) and, for the pooled baseline, the same layer built over the pooled rows: same engine, same layout,
 * same compiled SQL. The node layers get one DuckDB thread each (three nodes share the machine's cores), the pooled
 * one DuckDB's default (every core). The same count over the DWD views (Parquet) is reported beside, both ways.
 *   npm run bench -- federation     (BENCH_PATIENTS, BENCH_REPEATS, BENCH_DWD_REPEATS, BENCH_NODE_THREADS)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { glmHubStart, glmHubStep, glmNodeStep, packGlmData } from '../src/analytics/index.ts';
import { type AnalysisLayer, openAnalysisLayer } from '../src/federation/ads/index.ts';
import { countRunner } from '../src/federation/analyses/count.ts';
import { compileCohortCount, parseCohort } from '../src/federation/cohort/index.ts';
import { type FederatedTask, parseFederatedTask } from '../src/federation/protocol.ts';
import { type Lake, openLake } from '../src/store/index.ts';
import { median, report } from './_report.ts';

const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 1_000_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 15);
const DWD_REPEATS = Number(process.env.BENCH_DWD_REPEATS ?? 3);
const NODE_THREADS = Number(process.env.BENCH_NODE_THREADS ?? 1);
const HOSPITALS = ['hospital-a', 'hospital-b', 'hospital-c'];
const GLM_ROWS = 100_000;
const GLM_FEATURES = 20;

const DIAGNOSES = ['E11.900', 'E11.200', 'E11.300x001', 'I10.x00', 'J18.900', 'K29.700', 'C34.900', 'N18.300'];
const LABS = [
  { code: '4548-4', unit: '%', mean: 6.5, sd: 1.5 },
  { code: '2345-7', unit: 'mmol/L', mean: 6.0, sd: 1.8 },
  { code: '39156-5', unit: 'kg/m2', mean: 24, sd: 4 },
  { code: '2160-0', unit: 'umol/L', mean: 80, sd: 25 },
  { code: '718-7', unit: 'g/L', mean: 135, sd: 18 },
];

/** Pseudo-random uniform in [0, 1) from DuckDB's hash of (row, salt): deterministic for a given size. */
const u = (row: string, salt: number) => `((hash(${row}, ${salt}) % 1000003) / 1000003.0)`;

async function generate(lake: Lake, prefix: string, offset: number, n: number): Promise<void> {
  const id = `'${prefix}' || (i + ${offset})`;
  await lake.writeBatch({
    table: 'person',
    batchId: `${prefix}p${offset}`,
    fromSql: `select ${id} as person_id, case when ${u('i', 1)} < 0.5 then 'M' else 'F' end as gender,
      (date '1930-01-01' + cast(${u('i', 2)} * 27000 as integer)) as birth_date,
      cast(year(date '1930-01-01' + cast(${u('i', 2)} * 27000 as integer)) as bigint) as year_of_birth
      from range(${n}) t(i)`,
  });
  const codes = `[${DIAGNOSES.map((c) => `'${c}'`).join(', ')}]`;
  await lake.writeBatch({
    table: 'condition_occurrence',
    batchId: `${prefix}c${offset}`,
    fromSql: `select '${prefix}' || (j // 3 + ${offset}) as person_id,
      list_extract(${codes}, 1 + cast(${u('j', 3)} * ${DIAGNOSES.length} as integer)) as condition_code,
      (date '2015-01-01' + cast(${u('j', 4)} * 3650 as integer)) as condition_date
      from range(${n * 3}) t(j)`,
  });
  const lab = (field: keyof (typeof LABS)[number]) =>
    `list_extract([${LABS.map((l) => (typeof l[field] === 'string' ? `'${l[field]}'` : String(l[field]))).join(', ')}], k)`;
  await lake.writeBatch({
    table: 'measurement',
    batchId: `${prefix}m${offset}`,
    fromSql: `select person_id, ${lab('code')} as measurement_code,
      round(${lab('mean')} + ${lab('sd')} * (${u('j', 6)} + ${u('j', 7)} + ${u('j', 8)} - 1.5) * 2, 1) as value,
      ${lab('unit')} as unit, measured_at
      from (select j, '${prefix}' || (j // 5 + ${offset}) as person_id, 1 + cast(j % 5 as integer) as k,
        (timestamp '2014-06-01 00:00:00' + to_seconds(cast(${u('j', 5)} * 3650 * 86400 as bigint))) as measured_at
        from range(${n * 5}) t(j))`,
  });
}

const root = mkdtempSync(join(tmpdir(), 'bench-federation-'));
const lakes: Lake[] = [];
const layers: AnalysisLayer[] = [];
try {
  const t0 = performance.now();
  for (const [h, name] of HOSPITALS.entries()) {
    const lake = await openLake({ dir: join(root, name) });
    await generate(lake, `${name}-`, 0, PATIENTS);
    lakes.push(lake);
    process.stderr.write(`generated ${name}: ${PATIENTS} patients (${h + 1}/3)\n`);
  }
  const pooled = await openLake({ dir: join(root, 'pooled') });
  for (const name of HOSPITALS) await generate(pooled, `${name}-`, 0, PATIENTS);
  lakes.push(pooled);
  const pooledLake = pooled;
  const genSeconds = (performance.now() - t0) / 1_000;

  const cohort = {
    index: { event: { kind: 'diagnosis', codes: ['E11'], descendants: true } },
    criteria: [
      { kind: 'lab', code: '4548-4', range: { min: 7, minExclusive: true }, window: { start: -365, end: 0 } },
      { kind: 'age', at: 'index', range: { min: 40, max: 80 } },
    ],
  };
  const task: FederatedTask = parseFederatedTask({
    taskId: 'bench-count',
    requestId: 'bench',
    projectId: 'bench',
    kind: 'count',
    cohort,
    hospitals: HOSPITALS,
    user: { id: 'bench', role: 'researcher' },
    issuedAt: new Date(0).toISOString(),
  });
  const def = parseCohort(cohort);
  const total = (answers: unknown[]) =>
    answers.reduce<number>((sum, a) => {
      const { count } = a as { count: number | { suppressed: true } };
      return sum + (typeof count === 'number' ? count : 0);
    }, 0);

  // The analysis layers: one per node (built after its load, as a node does) and one over the pooled rows.
  const t1 = performance.now();
  for (const lake of lakes.slice(0, 3)) {
    const layer = await openAnalysisLayer({ lakeDir: lake.dir, threads: NODE_THREADS });
    await layer.refresh();
    layers.push(layer);
  }
  const nodeBuildSeconds = (performance.now() - t1) / 1_000 / 3;
  const pooledLayer = await openAnalysisLayer({ lakeDir: pooledLake.dir });
  await pooledLayer.refresh();
  layers.push(pooledLayer);
  const countOverPooledLayer = () =>
    pooledLayer.read(async (s) => {
      const q = compileCohortCount(def, { source: s.source });
      const [row] = await s.query<{ n: number }>(q.sql, q.params);
      return Number(row?.n ?? 0);
    });

  /** Times the three node runners at once, then the pooled count, `repeats` times; checks they agree. */
  async function race(runners: ReturnType<typeof countRunner>[], pooledCount: () => Promise<number>, repeats: number) {
    const federated: number[] = [];
    const pooledTimes: number[] = [];
    let counts: unknown[] = [];
    let n = 0;
    for (let r = 0; r < repeats; r++) {
      const a = performance.now();
      counts = await Promise.all(runners.map((run) => run({ task, round: 0, input: undefined })));
      federated.push(performance.now() - a);
      const b = performance.now();
      n = await pooledCount();
      pooledTimes.push(performance.now() - b);
    }
    if (total(counts) !== n) {
      throw new Error(`federated counts ${JSON.stringify(counts)} do not add up to the pooled count ${n}`);
    }
    return { countP50: median(federated), pooledP50: median(pooledTimes), pooledCount: n };
  }

  const ads = await race(
    layers.slice(0, 3).map((analysisLayer) => countRunner({ analysisLayer, minCell: 5 })),
    countOverPooledLayer,
    REPEATS,
  );
  const pooledSql = compileCohortCount(def, { present: new Set(await pooledLake.tables()) });
  const dwd = await race(
    lakes.slice(0, 3).map((lake) => countRunner({ lake, minCell: 5 })),
    async () => Number((await pooledLake.query<{ n: number }>(pooledSql.sql, pooledSql.params))[0]?.n ?? 0),
    DWD_REPEATS,
  );
  if (dwd.pooledCount !== ads.pooledCount) {
    throw new Error(`the DWD views count ${dwd.pooledCount}, the analysis layer ${ads.pooledCount}`);
  }
  const pooledCount = ads.pooledCount;

  // One exact GLM round: three nodes' steps over GLM_ROWS × GLM_FEATURES each (in turn, one core) + the hub step.
  const parts = HOSPITALS.map((_, h) => {
    let seed = 0x9e3779b9 ^ (h + 1);
    const rand = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const X: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < GLM_ROWS; i++) {
      const row = Array.from({ length: GLM_FEATURES }, () => rand() * 2 - 1);
      X.push(row);
      const eta = 0.8 * (row[0] as number) - 0.5 * (row[1] as number) + 0.3 * (row[2] as number) - 0.5;
      y.push(rand() < 1 / (1 + Math.exp(-eta)) ? 1 : 0);
    }
    return packGlmData({ X, y }, { family: 'binomial' });
  });
  const glmRounds: number[] = [];
  let state = glmHubStart({ family: 'binomial' });
  for (let r = 0; r < 6 && !state.done; r++) {
    const a = performance.now();
    const steps = parts.map((p) => glmNodeStep(p, state.beta, { family: 'binomial' }));
    state = glmHubStep(state, steps);
    glmRounds.push(performance.now() - a);
  }

  const { countP50, pooledP50 } = ads;
  const glmRound = median(glmRounds);
  const summary = {
    bench: 'federation',
    hospitals: HOSPITALS.length,
    patients_per_hospital: PATIENTS,
    generate_s: Number(genSeconds.toFixed(1)),
    cohort_count: pooledCount,
    count_p50_ms: Math.round(countP50),
    pooled_p50_ms: Math.round(pooledP50),
    ratio_to_pooled: Number((countP50 / pooledP50).toFixed(2)),
    ads_build_s_per_node: Number(nodeBuildSeconds.toFixed(1)),
    node_threads: NODE_THREADS,
    dwd_count_p50_ms: Math.round(dwd.countP50),
    dwd_pooled_p50_ms: Math.round(dwd.pooledP50),
    glm_round_ms: Math.round(glmRound),
    glm_rows_per_node: GLM_ROWS,
    glm_features: GLM_FEATURES,
  };
  report(
    `federation: ${HOSPITALS.length} nodes × ${PATIENTS} patients, count ×${REPEATS}, GLM ${GLM_ROWS}×${GLM_FEATURES} per node`,
    [
      { figure: 'federated count p50 ms (3 node runners at once)', value: summary.count_p50_ms, target: '< 300' },
      { figure: 'pooled DuckDB count p50 ms', value: summary.pooled_p50_ms, target: '' },
      { figure: 'ratio to pooled', value: summary.ratio_to_pooled, target: '≤ 1.5' },
      { figure: 'analysis layer build s per node (after a load)', value: summary.ads_build_s_per_node, target: '' },
      { figure: 'same count over the DWD views p50 ms', value: summary.dwd_count_p50_ms, target: '' },
      { figure: 'pooled over the DWD views p50 ms', value: summary.dwd_pooled_p50_ms, target: '' },
      { figure: 'GLM round ms (3 nodes + hub)', value: summary.glm_round_ms, target: '< 200' },
    ],
    summary,
  );
} finally {
  for (const layer of layers) await layer.close().catch(() => undefined);
  for (const lake of lakes) await lake.close().catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
}
