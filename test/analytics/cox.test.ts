/**
 * Cox regression: the closed-form solution of Therneau & Grambsch's six-row example (Breslow: β̂ =
 * log((3 + √33)/2); Efron: the root of its score equation), federated stratified == pooled stratified and
 * federated unstratified (risk-set sums on the event-time grid) == pooled unstratified within 1e-8 over
 * random splits with tied, binned times, a zero score and an information equal to the numerical Hessian of
 * the log partial likelihood at the solution, and the bad inputs: monotone likelihood, no events, status
 * not 0/1, event times off the grid, malformed node sums.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  binTimes,
  type CoxData,
  type CoxResult,
  type CoxTies,
  coxCenter,
  coxColumnSums,
  coxEventTimes,
  coxNodeStep,
  coxRiskSetCombine,
  coxRiskSetNodeStep,
  fitCoxFederated,
  fitCoxPooled,
  mergeEventTimes,
  packCoxData,
} from '../../src/analytics/index.ts';
import { isMeridianError } from '../../src/errors/registry.ts';
import { assertClose, normal, outcome, pick, seeded, splitRows } from './helpers.ts';

const BOOK: CoxData = { time: [1, 1, 6, 6, 8, 9], status: [1, 0, 1, 1, 0, 1], X: [[1], [1], [1], [0], [0], [0]] };

/** Root of a decreasing function on [low, high] by bisection: an independent check of Newton's answer. */
function bisect(f: (x: number) => number, low: number, high: number): number {
  let a = low;
  let b = high;
  for (let i = 0; i < 200; i++) {
    const m = (a + b) / 2;
    if (f(m) > 0) a = m;
    else b = m;
  }
  return (a + b) / 2;
}

test('Therneau & Grambsch six-row example: Breslow β̂ = log((3 + √33)/2), loglik at 0 = −log 6 − 2 log 4', () => {
  const fit = fitCoxPooled(BOOK);
  assertClose(fit.coefficients[0]?.estimate as number, Math.log((3 + Math.sqrt(33)) / 2), 1e-9, 'Breslow β̂');
  assertClose(fit.loglik.initial, -Math.log(6) - 2 * Math.log(4), 1e-12, 'loglik(0)');
  const r = Math.exp(fit.coefficients[0]?.estimate as number);
  assertClose(fit.loglik.final, 2 * Math.log(r) - Math.log(3 * r + 3) - 2 * Math.log(r + 3), 1e-12, 'loglik(β̂)');
  const information = ((3 * r) / (3 * r + 3) ** 2) * 3 + (2 * 3 * r) / (r + 3) ** 2;
  assertClose(fit.coefficients[0]?.standardError as number, 1 / Math.sqrt(information), 1e-9, 'SE');
  assert.ok(fit.converged);
});

test("Therneau & Grambsch six-row example: Efron's β̂ solves 2 − r/(r+1) − r/(r+3) − r/(r+5) = 0", () => {
  const fit = fitCoxPooled(BOOK, { ties: 'efron' });
  const r = bisect((v) => 2 - v / (v + 1) - v / (v + 3) - v / (v + 5), 0.01, 100);
  assertClose(fit.coefficients[0]?.estimate as number, Math.log(r), 1e-9, 'Efron β̂');
  const c = fit.coefficients[0];
  assert.ok(c);
  assertClose(c.hazardRatio, r, 1e-9, 'hazard ratio');
  assertClose(c.lower, Math.exp(c.estimate - 1.959963984540054 * c.standardError), 1e-12, 'HR lower');
  assertClose(c.upper, Math.exp(c.estimate + 1.959963984540054 * c.standardError), 1e-12, 'HR upper');
  assertClose(fit.likelihoodRatio.chiSquare, 2 * (fit.loglik.final - fit.loglik.initial), 1e-12, 'LR');
});

/** Survival data with binned (tied) times, a continuous, a binary and a large-mean covariate. */
function survivalData(seed: number, n: number, width: number): CoxData {
  const random = seeded(seed);
  const time: number[] = [];
  const status: number[] = [];
  const X: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = [normal(random), random() < 0.4 ? 1 : 0, 60 + 10 * normal(random)];
    const hazard = Math.exp(0.5 * (row[0] as number) - 0.6 * (row[1] as number) + 0.03 * ((row[2] as number) - 60));
    const event = -Math.log(1 - random()) / hazard;
    const censor = -Math.log(1 - random()) * 1.5;
    time.push(Math.min(event, censor) * 100);
    status.push(event <= censor ? 1 : 0);
    X.push(row);
  }
  return { time: binTimes(time, width), status, X, names: ['score', 'treated', 'age'] };
}

/** Both fits agree within 1e-8, or both are refused with the same code (small samples can be monotone). */
function compare(federated: CoxResult | string, pooled: CoxResult | string, what: string): void {
  if (typeof federated === 'string' || typeof pooled === 'string') {
    assert.equal(federated, pooled, `${what}: both refused alike`);
    return;
  }
  assert.equal(federated.iterations, pooled.iterations, `${what}: iterations`);
  assert.equal(federated.events, pooled.events, `${what}: events`);
  pooled.coefficients.forEach((c, j) => {
    const f = federated.coefficients[j];
    assert.ok(f);
    assertClose(f.estimate, c.estimate, 1e-8, `${what} ${c.name} estimate`);
    assertClose(f.standardError, c.standardError, 1e-8, `${what} ${c.name} SE`);
  });
  assertClose(federated.loglik.final, pooled.loglik.final, 1e-8, `${what} loglik`);
}

test('federated stratified == pooled stratified and federated unstratified == pooled unstratified (1e-8), random splits', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      fc.integer({ min: 40, max: 160 }),
      fc.integer({ min: 1, max: 5 }),
      fc.constantFrom<CoxTies>('breslow', 'efron'),
      fc.constantFrom(1, 5, 20),
      (seed, n, sites, ties, width) => {
        const data = survivalData(seed, n, width);
        const groups = splitRows(n, sites, seeded(seed ^ 0x9e3779b9));
        const parts = groups.map((rows) => pick(data, rows));
        const order = groups.flat();
        const stratified = {
          ...pick(data, order),
          strata: groups.flatMap((rows, site) => rows.map(() => `site-${site}`)),
        };
        compare(
          outcome(() => fitCoxFederated(parts, { ties })),
          outcome(() => fitCoxPooled(stratified, { ties })),
          `${ties} stratified`,
        );
        compare(
          outcome(() => fitCoxFederated(parts, { ties, stratified: false })),
          outcome(() => fitCoxPooled(data, { ties })),
          `${ties} unstratified`,
        );
      },
    ),
    { numRuns: 60 },
  );
});

/** Log partial likelihood, score and information at β through the risk-set protocol over the given sites. */
function riskSetEvaluate(parts: readonly CoxData[], beta: number[], ties: CoxTies) {
  const center = coxCenter(parts.map(coxColumnSums));
  const packed = parts.map((d) => packCoxData(d, center));
  const grid = mergeEventTimes(packed.map(coxEventTimes));
  return coxRiskSetCombine(
    packed.map((d) => coxRiskSetNodeStep(d, beta, grid, ties)),
    beta,
    grid.length,
  );
}

test('at the solution the score is zero and the information equals the numerical Hessian of the log-likelihood', () => {
  for (const ties of ['breslow', 'efron'] as const) {
    const data = survivalData(4242, 150, 5);
    const parts = splitRows(150, 3, seeded(1)).map((rows) => pick(data, rows));
    const fit = fitCoxFederated(parts, { ties, stratified: false });
    const beta = fit.coefficients.map((c) => c.estimate);
    const at = riskSetEvaluate(parts, beta, ties);
    for (const g of at.gradient) assert.ok(Math.abs(g) < 1e-6, `${ties}: score ${g} is not zero`);
    const h = 1e-4;
    for (let j = 0; j < beta.length; j++)
      for (let k = 0; k < beta.length; k++) {
        const shifted = (dj: number, dk: number) => {
          const b = [...beta];
          b[j] = (b[j] as number) + dj;
          b[k] = (b[k] as number) + dk;
          return riskSetEvaluate(parts, b, ties).loglik;
        };
        const hessian = (shifted(h, h) - shifted(h, -h) - shifted(-h, h) + shifted(-h, -h)) / (4 * h * h);
        const information = at.information[j]?.[k] as number;
        assert.ok(
          Math.abs(-hessian - information) <= 1e-4 * Math.max(1, Math.abs(information)),
          `${ties}: information[${j}][${k}] ${information} vs −Hessian ${-hessian}`,
        );
      }
    const direct = coxNodeStep(packCoxData(data, coxCenter([coxColumnSums(data)])), beta, ties);
    assertClose(direct.loglik, at.loglik, 1e-10, `${ties}: risk-set loglik == direct loglik`);
  }
});

function assertCode(run: () => unknown, code: string, message?: RegExp): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(isMeridianError(e), String(e));
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

test('monotone likelihood (every early death exposed) is reported, naming the infinite coefficient', () => {
  assertCode(
    () =>
      fitCoxPooled({
        time: [1, 2, 3, 4, 5, 6],
        status: [1, 1, 1, 1, 1, 1],
        X: [[1], [1], [1], [0], [0], [0]],
        names: ['exposed'],
      }),
    'MER_ANALYTICS_SEPARATION',
    /exposed/,
  );
});

test('bad input is refused naming field and row; a node outside the grid or with malformed sums is refused', () => {
  assertCode(
    () => fitCoxPooled({ time: [1, 2, 3], status: [0, 0, 0], X: [[1], [2], [3]] }),
    'MER_ANALYTICS_INVALID_INPUT',
    /no events/,
  );
  assertCode(
    () => fitCoxPooled({ time: [1, 2, 3], status: [1, 2, 0], X: [[1], [2], [3]] }),
    'MER_ANALYTICS_INVALID_INPUT',
    /status\[1\]/,
  );
  assertCode(
    () => fitCoxPooled({ time: [1, -2, 3], status: [1, 1, 0], X: [[1], [2], [3]] }),
    'MER_ANALYTICS_INVALID_INPUT',
    /time\[1\]/,
  );
  assertCode(
    () => fitCoxPooled({ time: [1, 2, 3], status: [1, 1, 0], X: [[1], [Number.NaN], [3]], names: ['age'] }),
    'MER_ANALYTICS_INVALID_INPUT',
    /X\[1\]\[0\] \(age\).*row 1, column 0/,
  );
  assertCode(
    () =>
      fitCoxPooled({
        time: [1, 2, 3, 4],
        status: [1, 1, 0, 1],
        X: [
          [1, 2],
          [2, 4],
          [3, 6],
          [4, 8],
        ],
        names: ['a', 'twice a'],
      }),
    'MER_ANALYTICS_SINGULAR',
    /twice a/,
  );
  const data = survivalData(7, 30, 1);
  assertCode(
    () => coxRiskSetNodeStep(data, [0, 0, 0], [1, 2, 3]),
    'MER_ANALYTICS_INVALID_INPUT',
    /not on the agreed grid|before the agreed grid/,
  );
  assertCode(() => coxRiskSetNodeStep(data, [0, 0, 0], [3, 2]), 'MER_ANALYTICS_INVALID_INPUT', /strictly increasing/);
  assertCode(
    () => coxRiskSetNodeStep({ ...data, strata: data.time.map((_, i) => i % 2) }, [0, 0, 0], coxEventTimes(data)),
    'MER_ANALYTICS_INVALID_INPUT',
    /no strata/,
  );
  const grid = coxEventTimes(data);
  const good = coxRiskSetNodeStep(data, [0, 0, 0], grid);
  assertCode(
    () => coxRiskSetCombine([good, { ...good, s0: good.s0.slice(1) }], [0, 0, 0], grid.length),
    'MER_ANALYTICS_BAD_PART',
    /node 1: s0/,
  );
  assertCode(
    () => coxRiskSetCombine([{ ...good, s1: good.s1.map((row) => row.map(() => Number.NaN)) }], [0, 0, 0], grid.length),
    'MER_ANALYTICS_BAD_PART',
    /s1\[0\]\[0\] is not finite/,
  );
  assertCode(
    () => coxRiskSetCombine([good, { ...good, ties: 'efron' }], [0, 0, 0], grid.length),
    'MER_ANALYTICS_BAD_PART',
    /node 1/,
  );
});

test('a risk-set message holds only per-time sums of the agreed shape; Efron adds the event sums', () => {
  const data = survivalData(11, 25, 10);
  const grid = coxEventTimes(data);
  const breslow = coxRiskSetNodeStep(data, [0.1, 0.2, 0.01], grid, 'breslow');
  assert.deepEqual(Object.keys(breslow).sort(), ['events', 'n', 'p', 's0', 's1', 's2', 'sumX', 'ties']);
  assert.equal(breslow.s2[0]?.length, 6, 'a packed upper triangle of 3×3');
  assert.equal(
    breslow.events.reduce((a, b) => a + b, 0),
    data.status.filter((s) => s === 1).length,
  );
  assert.ok(
    breslow.s0.every((v, g) => g === 0 || v <= (breslow.s0[g - 1] as number)),
    'risk sets shrink over time',
  );
  const efron = coxRiskSetNodeStep(data, [0.1, 0.2, 0.01], grid, 'efron');
  assert.deepEqual(Object.keys(efron).sort(), ['d0', 'd1', 'd2', 'events', 'n', 'p', 's0', 's1', 's2', 'sumX', 'ties']);
});
