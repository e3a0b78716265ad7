/**
 * Federated Cox regression across three hospital lakes, in process (masked-fixtures.ts): overall survival after
 * lung cancer on sex and age. Checks: stratified by hospital (exact times) and unstratified on a 30-day grid, with
 * Breslow and Efron ties, the coefficients and standard errors equal the pooled fit of the same rows within 1e-8;
 * the hub's inputs are masked (one node's vector alone, or any proper subset, decodes to garbage); a node refuses a
 * binary covariate with a rare category or too many parameters for its events, without telling the count; bad
 * parameters are refused naming the field.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type CoxData, fitCoxPooled } from '../../src/analytics/index.ts';
import { isMeridianError } from '../../src/errors/registry.ts';
import { coxNodeVector, coxPlan, coxRunner, prepareCox } from '../../src/federation/analyses/cox.ts';
import { designMatrix } from '../../src/federation/dataset/index.ts';
import type { FederatedTask } from '../../src/federation/protocol.ts';
import { runFederatedCox } from '../../src/hub/federation/cox.ts';
import { assertMaskedOnly, type Consortium, HOSPITALS, maskedOf, openConsortium } from './masked-fixtures.ts';

const GRID = { unitDays: 30, maxDays: 1800 };
const COVARIATES = ['male', { column: 'age', center: 60, scale: 10 }];

let consortium: Consortium;

before(async () => {
  consortium = await openConsortium(300);
});

after(async () => {
  await consortium.close();
});

/** The pooled rows of the task (hospital as the stratum; times binned by this test's reading of the grid rule). */
async function pooled(task: FederatedTask, binned: boolean): Promise<CoxData> {
  const data = { time: [] as number[], status: [] as number[], X: [] as number[][], strata: [] as string[] };
  for (const node of HOSPITALS) {
    const d = designMatrix(await consortium.rows(node, task), {
      outcome: 'os_time_days',
      event: 'os_event',
      covariates: COVARIATES,
      intercept: false,
    });
    d.y.forEach((t, i) => {
      const up = Math.ceil(t / GRID.unitDays) * GRID.unitDays;
      data.time.push(binned ? Math.min(up, GRID.maxDays) : t);
      data.status.push(binned && up > GRID.maxDays ? 0 : (d.event?.[i] as number));
      data.X.push(d.X[i] as number[]);
      data.strata.push(node);
    });
  }
  return { ...data, names: ['male', 'age'] };
}

function assertSameFit(
  fed: Awaited<ReturnType<typeof runFederatedCox>>['result'],
  ref: ReturnType<typeof fitCoxPooled>,
): number {
  assert.equal(fed.n, ref.n);
  assert.equal(fed.events, ref.events);
  assert.equal(fed.coefficients.length, 2);
  fed.coefficients.forEach((c, j) => {
    const r = ref.coefficients[j];
    assert.ok(r && c.name === r.name, `coefficient ${j}`);
    assert.ok(Math.abs(c.estimate - r.estimate) <= 1e-8, `${c.name}: ${c.estimate} vs pooled ${r.estimate}`);
    assert.ok(
      Math.abs(c.standardError - r.standardError) <= 1e-8,
      `${c.name} SE: ${c.standardError} vs ${r.standardError}`,
    );
  });
  assert.ok(Math.abs(fed.loglik.final - ref.loglik.final) <= 1e-6);
  return Math.max(
    ...fed.coefficients.flatMap((c, j) => [
      Math.abs(c.estimate - (ref.coefficients[j]?.estimate as number)),
      Math.abs(c.standardError - (ref.coefficients[j]?.standardError as number)),
    ]),
  );
}

test('stratified by hospital (Efron): the federated fit equals the pooled stratified fit within 1e-8; the hub sees only masked vectors', async (t) => {
  const task = consortium.task('cox', { time: 'os', covariates: COVARIATES, stratified: true, ties: 'efron' });
  const seen: Parameters<Consortium['inProcess']>[1] = [];
  const fed = await runFederatedCox(consortium.inProcess(consortium.allNodes('cox', coxRunner), seen), task);
  const ref = fitCoxPooled(await pooled(task, false), { ties: 'efron' });
  t.diagnostic(`stratified: largest |federated − pooled| = ${assertSameFit(fed.result, ref)} in ${fed.rounds} rounds`);
  assert.equal(fed.stratified, true);
  assert.ok(fed.result.converged);
  assert.ok(fed.result.coefficients[0] && fed.result.coefficients[0].hazardRatio > 1.2, 'the planted sex effect shows');

  // Round 2 is the first Newton round (β = 0 at the agreed center): check what the hub received.
  const plan = coxPlan(task);
  const input = seen.find((s) => s.payload.round === 2)?.payload.input as { center: number[]; beta: number[] };
  const truth = new Map<string, number[]>();
  for (const node of HOSPITALS) {
    const table = prepareCox(await consortium.rows(node, task), plan, { minCell: 5, node });
    truth.set(node, coxNodeVector(table, plan, { keys: [], step: 'newton', center: input.center, beta: input.beta }));
  }
  assertMaskedOnly(maskedOf(seen, 2), truth, 1e-9);
});

test('unstratified on the agreed grid (Breslow and Efron): the federated fit equals the pooled fit of the binned rows within 1e-8', async (t) => {
  for (const ties of ['breslow', 'efron'] as const) {
    const task = consortium.task('cox', { time: 'os', covariates: COVARIATES, stratified: false, ties, grid: GRID });
    const fed = await runFederatedCox(consortium.inProcess(consortium.allNodes('cox', coxRunner)), task);
    const { strata: _, ...data } = await pooled(task, true);
    const gap = assertSameFit(fed.result, fitCoxPooled(data, { ties }));
    t.diagnostic(`unstratified ${ties}: largest |federated − pooled| = ${gap} in ${fed.rounds} rounds`);
    assert.equal(fed.result.ties, ties);
    assert.equal(fed.stratified, false);
  }
});

test('a node refuses a rare binary category and too many parameters for its events, without telling the count', async () => {
  const task = consortium.task('cox', { time: 'os', covariates: COVARIATES, stratified: true, ties: 'breslow' });
  await assert.rejects(
    runFederatedCox(consortium.inProcess(consortium.allNodes('cox', coxRunner, 200)), task),
    (e: unknown) =>
      isMeridianError(e, 'MER_FED_PARTIAL') &&
      /MER_DISCLOSURE_GLM_REFUSED: hospital-a refuses: binary variable (male|os_event) has a category under the minimum cell of 200/.test(
        e.message,
      ) &&
      !/\d+ rows/.test(e.message),
  );
  const rows = Array.from({ length: 12 }, (_, i) => ({
    os_time_days: 10 + i,
    os_event: i < 5 ? 1 : 0,
    a: i,
    b: i * i,
  }));
  const plan = coxPlan(
    consortium.task('cox', { time: 'os', covariates: ['age', 'hba1c'], stratified: true, ties: 'breslow' }),
  );
  const renamed = rows.map((r) => ({ ...r, age: r.a, hba1c: r.b }));
  assert.throws(
    () => prepareCox(renamed, plan, { minCell: 3, node: 'hospital-a' }),
    (e: unknown) =>
      isMeridianError(e, 'MER_DISCLOSURE_GLM_REFUSED') && /2 parameters for its events; at most 0.33/.test(e.message),
  );
});

test('bad Cox parameters are refused naming the field', () => {
  const bad = (parameters: Record<string, unknown>, field: RegExp) =>
    assert.throws(
      () => coxPlan(consortium.task('cox', parameters)),
      (e: unknown) => isMeridianError(e, 'MER_FED_INVALID_TASK') && field.test(e.message),
    );
  const base = { time: 'os', covariates: COVARIATES, stratified: false, ties: 'efron', grid: GRID };
  const { grid: _, ...noGrid } = base;
  bad(noGrid, /parameters\.grid: an unstratified Cox model needs the agreed grid/);
  bad({ ...base, ties: 'exact' }, /parameters\.ties/);
  bad({ ...base, time: 'male' }, /parameters\.time: male is not a survival variable/);
  bad({ ...base, covariates: [] }, /parameters\.covariates/);
});
