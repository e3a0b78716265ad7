/**
 * Federated GLM by IRLS: published reference fits (Dobson's Poisson example from R's ?glm, Bliss's beetle
 * mortality logistic fit from Dobson's textbook, the plant-weight linear model from R's ?lm), federated ==
 * pooled within 1e-8 over random data split into 1–5 sites for every family (with offsets and weights),
 * R's iteration counts and ds.glm's convergence rule, step halving at the hub, and every bad input:
 * singular and aliased columns, non-finite values, y outside the family's support, separation, bad parts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  fitGlmFederated,
  fitGlmPooled,
  type GlmData,
  type GlmFamily,
  type GlmResult,
  glmHubStart,
  glmHubStep,
  glmNodeStep,
  packGlmData,
} from '../../src/analytics/index.ts';
import { isMeridianError } from '../../src/errors/registry.ts';
import { assertClose, normal, outcome, pick, poisson, seeded, splitRows } from './helpers.ts';

function coefficient(fit: GlmResult, name: string) {
  const c = fit.coefficients.find((x) => x.name === name);
  assert.ok(c, `no coefficient ${name}`);
  return c;
}

function near(actual: number, expected: number, decimals: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= 0.5 * 10 ** -decimals,
    `${what}: ${actual} is not ${expected} to ${decimals} decimals`,
  );
}

test("Dobson's Poisson example (R's ?glm): coefficients, SEs, deviances, AIC and 4 iterations", () => {
  const counts = [18, 17, 15, 20, 10, 20, 25, 13, 12];
  const X = counts.map((_, i) => {
    const level = i % 3;
    const treatment = Math.floor(i / 3);
    return [level === 1 ? 1 : 0, level === 2 ? 1 : 0, treatment === 1 ? 1 : 0, treatment === 2 ? 1 : 0];
  });
  const fit = fitGlmPooled(
    { X, y: counts, names: ['outcome2', 'outcome3', 'treatment2', 'treatment3'] },
    { family: 'poisson' },
  );
  near(coefficient(fit, '(Intercept)').estimate, 3.045, 3, 'intercept');
  near(coefficient(fit, 'outcome2').estimate, -0.4543, 4, 'outcome2');
  near(coefficient(fit, 'outcome3').estimate, -0.293, 4, 'outcome3');
  assert.ok(Math.abs(coefficient(fit, 'treatment2').estimate) < 1e-10, 'treatment2 is zero (R prints 1.338e-15)');
  assert.ok(Math.abs(coefficient(fit, 'treatment3').estimate) < 1e-10, 'treatment3 is zero (R prints 1.421e-15)');
  near(coefficient(fit, '(Intercept)').standardError, 0.1709, 4, 'SE intercept');
  near(coefficient(fit, 'outcome2').standardError, 0.2022, 4, 'SE outcome2');
  near(coefficient(fit, 'outcome3').standardError, 0.1927, 4, 'SE outcome3');
  near(coefficient(fit, 'treatment2').standardError, 0.2, 4, 'SE treatment2');
  near(coefficient(fit, 'outcome2').pValue, 0.0246, 4, 'p outcome2');
  near(fit.deviance, 5.1291, 4, 'residual deviance');
  near(fit.nullDeviance, 10.5814, 4, 'null deviance');
  assert.equal(fit.dfResidual, 4);
  assert.equal(fit.dfNull, 8);
  near(fit.aic, 56.76, 2, 'AIC');
  assert.equal(fit.iterations, 4);
  assert.ok(fit.converged);
  assert.equal(fit.statistic, 'z');
});

test('Bliss beetle mortality (Dobson): grouped logistic fit by proportions and trial weights', () => {
  const dose = [1.6907, 1.7242, 1.7552, 1.7842, 1.8113, 1.8369, 1.861, 1.8839];
  const beetles = [59, 60, 62, 56, 63, 59, 62, 60];
  const killed = [6, 13, 18, 28, 52, 53, 61, 60];
  const fit = fitGlmPooled(
    {
      X: dose.map((d) => [d]),
      y: killed.map((k, i) => k / (beetles[i] as number)),
      weights: beetles,
      names: ['dose'],
    },
    { family: 'binomial' },
  );
  near(coefficient(fit, '(Intercept)').estimate, -60.717, 3, 'intercept');
  near(coefficient(fit, 'dose').estimate, 34.27, 2, 'dose');
  near(coefficient(fit, '(Intercept)').standardError, 5.181, 3, 'SE intercept');
  near(coefficient(fit, 'dose').standardError, 2.912, 3, 'SE dose');
  near(fit.deviance, 11.232, 3, 'residual deviance');
  near(fit.nullDeviance, 284.202, 3, 'null deviance');
  assert.equal(fit.dfResidual, 6);
  near(fit.aic, 41.43, 2, 'AIC');
});

test("plant weights (R's ?lm, Dobson p. 9): gaussian with t statistics and dispersion from Pearson χ²", () => {
  const ctl = [4.17, 5.58, 5.18, 6.11, 4.5, 4.61, 5.17, 4.53, 5.33, 5.14];
  const trt = [4.81, 4.17, 4.41, 3.59, 5.87, 3.83, 6.03, 4.89, 4.32, 4.69];
  const fit = fitGlmPooled(
    { X: [...ctl.map(() => [0]), ...trt.map(() => [1])], y: [...ctl, ...trt], names: ['groupTrt'] },
    { family: 'gaussian' },
  );
  near(coefficient(fit, '(Intercept)').estimate, 5.032, 4, 'intercept');
  near(coefficient(fit, 'groupTrt').estimate, -0.371, 4, 'groupTrt');
  near(coefficient(fit, '(Intercept)').standardError, 0.2202, 4, 'SE intercept');
  near(coefficient(fit, 'groupTrt').standardError, 0.3114, 4, 'SE groupTrt');
  near(coefficient(fit, 'groupTrt').statistic, -1.191, 3, 't groupTrt');
  near(coefficient(fit, 'groupTrt').pValue, 0.249, 3, 'p groupTrt');
  near(Math.sqrt(fit.dispersion), 0.6964, 4, 'residual standard error');
  near(fit.aic, 46.18, 2, 'AIC');
  assert.equal(fit.statistic, 't');
  assert.equal(fit.dfResidual, 18);
  assert.equal(fit.iterations, 2, 'R reports 2 Fisher scoring iterations for a gaussian glm');
  const interval = coefficient(fit, 'groupTrt');
  near(interval.lower, -1.0253, 4, 'confint.lm lower');
  near(interval.upper, 0.2833, 4, 'confint.lm upper');
});

/** Random data of one family: k covariates, optional weights and offset; coefficients kept moderate. */
function randomData(family: GlmFamily, seed: number, n: number, k: number, extras: boolean): GlmData {
  const random = seeded(seed);
  const beta = Array.from({ length: k }, () => (random() - 0.5) * 1.2);
  const X: number[][] = [];
  const y: number[] = [];
  const offset: number[] = [];
  const weights: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: k }, (_, j) => (j === 0 ? (random() < 0.4 ? 1 : 0) : normal(random)));
    const off = extras ? (random() - 0.5) * 0.6 : 0;
    const weight = extras ? Math.floor(random() * 4) : 1;
    const eta = 0.2 + off + row.reduce((s, v, j) => s + v * (beta[j] as number), 0);
    X.push(row);
    offset.push(off);
    weights.push(weight);
    if (family === 'gaussian') y.push(eta + normal(random));
    else if (family === 'binomial') y.push(random() < 1 / (1 + Math.exp(-eta)) ? 1 : 0);
    else y.push(poisson(random, Math.exp(eta)));
  }
  return extras ? { X, y, offset, weights } : { X, y };
}

test('federated == pooled within 1e-8 (coefficients, SEs, deviances, AIC, iterations) across random splits into 1–5 sites', () => {
  fc.assert(
    fc.property(
      fc.constantFrom<GlmFamily>('gaussian', 'binomial', 'poisson'),
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      fc.integer({ min: 60, max: 240 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 1, max: 5 }),
      fc.boolean(),
      (family, seed, n, k, sites, extras) => {
        const data = randomData(family, seed, n, k, extras);
        const parts = splitRows(n, sites, seeded(seed ^ 0x5bd1e995)).map((rows) => pick(data, rows));
        const pooled = outcome(() => fitGlmPooled(data, { family }));
        const federated = outcome(() => fitGlmFederated(parts, { family }));
        if (typeof pooled === 'string' || typeof federated === 'string') {
          assert.equal(federated, pooled, 'both fail the same way');
          return;
        }
        assert.equal(federated.iterations, pooled.iterations);
        assert.equal(federated.converged, pooled.converged);
        assert.equal(federated.n, pooled.n);
        pooled.coefficients.forEach((c, j) => {
          const f = federated.coefficients[j];
          assert.ok(f);
          assertClose(f.estimate, c.estimate, 1e-8, `${family} ${c.name} estimate`);
          assertClose(f.standardError, c.standardError, 1e-8, `${family} ${c.name} SE`);
          assertClose(f.pValue, c.pValue, 1e-8, `${family} ${c.name} p`);
        });
        assertClose(federated.deviance, pooled.deviance, 1e-8, 'deviance');
        assertClose(federated.nullDeviance, pooled.nullDeviance, 1e-8, 'null deviance');
        assertClose(federated.aic, pooled.aic, 1e-8, 'AIC');
      },
    ),
    { numRuns: 150 },
  );
});

test('a fit recovers the generating coefficients within their confidence intervals (most of the time)', () => {
  const random = seeded(77);
  const truth = [-1, 0.8, -0.5];
  let covered = 0;
  let total = 0;
  for (let rep = 0; rep < 40; rep++) {
    const X: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 400; i++) {
      const row = [normal(random), random() < 0.5 ? 1 : 0];
      const eta =
        (truth[0] as number) + (truth[1] as number) * (row[0] as number) + (truth[2] as number) * (row[1] as number);
      X.push(row);
      y.push(random() < 1 / (1 + Math.exp(-eta)) ? 1 : 0);
    }
    const fit = fitGlmFederated(
      [
        { X: X.slice(0, 150), y: y.slice(0, 150) },
        { X: X.slice(150), y: y.slice(150) },
      ],
      {
        family: 'binomial',
      },
    );
    fit.coefficients.forEach((c, j) => {
      total++;
      if (c.lower <= (truth[j] as number) && (truth[j] as number) <= c.upper) covered++;
    });
  }
  assert.ok(covered / total > 0.85 && covered / total <= 1, `95% intervals covered ${covered} of ${total}`);
});

test("convergence follows ds.glm's rule: a looser tolerance stops earlier, one iteration is not converged", () => {
  const data = randomData('poisson', 12345, 300, 3, false);
  const strict = fitGlmPooled(data, { family: 'poisson' });
  const loose = fitGlmPooled(data, { family: 'poisson' }, { tolerance: 1e-2 });
  assert.ok(loose.iterations < strict.iterations, `${loose.iterations} < ${strict.iterations}`);
  const capped = fitGlmPooled(data, { family: 'poisson' }, { maxIterations: 1 });
  assert.equal(capped.converged, false);
  assert.equal(capped.iterations, 1);
});

test('a node step returns only sums of the agreed shape; the first round evaluates R starting values', () => {
  const data = randomData('binomial', 99, 50, 2, true);
  const model = { family: 'binomial' as const };
  const step = glmNodeStep(data, null, model);
  assert.deepEqual(Object.keys(step).sort(), [
    'aicTerm',
    'boundary',
    'design',
    'deviance',
    'n',
    'p',
    'pearsonChi2',
    'valid',
    'xtwx',
    'xtwz',
  ]);
  assert.equal(step.p, 3);
  assert.equal(step.xtwx.length, 3);
  assert.equal(step.n, (data.weights as number[]).filter((w) => w > 0).length, 'rows with zero weight are left out');
  for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) assert.equal(step.xtwx[j]?.[k], step.xtwx[k]?.[j]);
  const packed = packGlmData(data, model);
  assert.deepEqual(glmNodeStep(packed, [0.1, -0.2, 0.3], model), glmNodeStep(data, [0.1, -0.2, 0.3], model));
  const nullStep = glmNodeStep(packed, [0.1], model, 'null');
  assert.equal(nullStep.p, 1);
});

test('the hub halves a step whose deviance is not finite, toward the last accepted coefficients', () => {
  const model = { family: 'poisson' as const };
  const data = randomData('poisson', 5, 80, 2, false);
  let state = glmHubStart(model);
  state = glmHubStep(state, [glmNodeStep(data, null, model)]);
  const accepted = state.beta as number[];
  state = glmHubStep(state, [glmNodeStep(data, accepted, model)]);
  const proposed = state.beta as number[];
  const overflow = { ...glmNodeStep(data, proposed, model), valid: false, deviance: Number.POSITIVE_INFINITY };
  const halved = glmHubStep(state, [overflow]);
  assert.deepEqual(
    halved.beta,
    proposed.map((b, j) => (b + (accepted[j] as number)) / 2),
  );
  assert.equal(halved.halvings, 1);
  assert.equal(halved.iterations, state.iterations, 'halving is not a new iteration');
});

function assertCode(run: () => unknown, code: string, message?: RegExp): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(isMeridianError(e), String(e));
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

test('singular X′WX names the aliased column; an all-zero column is named too', () => {
  const random = seeded(3);
  const a = Array.from({ length: 40 }, () => normal(random));
  const b = Array.from({ length: 40 }, () => normal(random));
  const y = a.map((v, i) => v + (b[i] as number) + normal(random));
  assertCode(
    () =>
      fitGlmPooled(
        { X: a.map((v, i) => [v, b[i] as number, v - 2 * (b[i] as number)]), y, names: ['age', 'bmi', 'age - 2 bmi'] },
        { family: 'gaussian' },
      ),
    'MER_ANALYTICS_SINGULAR',
    /age - 2 bmi/,
  );
  assertCode(
    () => fitGlmPooled({ X: a.map((v) => [v, 0]), y, names: ['age', 'never'] }, { family: 'gaussian' }),
    'MER_ANALYTICS_SINGULAR',
    /never/,
  );
});

test('non-finite values, wrong shapes and y outside the support are refused naming row and column', () => {
  assertCode(
    () => fitGlmPooled({ X: [[1], [Number.NaN], [3]], y: [1, 2, 3], names: ['dose'] }, { family: 'gaussian' }),
    'MER_ANALYTICS_INVALID_INPUT',
    /X\[1\]\[0\] \(dose\).*row 1, column 0/,
  );
  assertCode(
    () => fitGlmPooled({ X: [[1], [2], [3]], y: [1, Number.POSITIVE_INFINITY, 3] }, { family: 'gaussian' }),
    'MER_ANALYTICS_INVALID_INPUT',
    /y\[1\]/,
  );
  assertCode(
    () => fitGlmPooled({ X: [[1], [2, 3]], y: [1, 2] }, { family: 'gaussian' }),
    'MER_ANALYTICS_INVALID_INPUT',
    /X row 1/,
  );
  assertCode(
    () => fitGlmPooled({ X: [[1], [2], [3]], y: [0, 2, 1] }, { family: 'binomial' }),
    'MER_ANALYTICS_INVALID_INPUT',
    /binomial y must be 0 or 1.*y\[1\] = 2/,
  );
  assertCode(
    () => fitGlmPooled({ X: [[1], [2], [3]], y: [0, 0.5, 1] }, { family: 'binomial' }),
    'MER_ANALYTICS_INVALID_INPUT',
    /y\[1\] = 0.5 with weight 1/,
  );
  assertCode(
    () => fitGlmPooled({ X: [[1], [2], [3]], y: [0, -1, 1] }, { family: 'poisson' }),
    'MER_ANALYTICS_INVALID_INPUT',
    /poisson y must be a whole number ≥ 0; y\[1\] = -1/,
  );
  assertCode(
    () => fitGlmPooled({ X: [[1], [2], [3]], y: [0, 1, 1], weights: [1, -1, 1] }, { family: 'poisson' }),
    'MER_ANALYTICS_INVALID_INPUT',
    /weights\[1\]/,
  );
  assertCode(
    () => fitGlmPooled({ X: [[1], [2], [3]], y: [0, 1, 1], offset: [0, 1] }, { family: 'poisson' }),
    'MER_ANALYTICS_INVALID_INPUT',
    /offset must have one value per row/,
  );
  assertCode(
    () => fitGlmPooled({ X: [[1]], y: [1] }, { family: 'gamma' as GlmFamily }),
    'MER_ANALYTICS_INVALID_INPUT',
    /family/,
  );
  assertCode(
    () => fitGlmPooled({ X: [[1], [2]], y: [1, 2] }, { family: 'gaussian' }),
    'MER_ANALYTICS_INVALID_INPUT',
    /more rows than coefficients/,
  );
});

test('perfect and quasi-complete separation are reported, naming the diverging coefficient', () => {
  assertCode(
    () =>
      fitGlmPooled(
        { X: [[1], [2], [3], [4], [5], [6]], y: [0, 0, 0, 1, 1, 1], names: ['dose'] },
        { family: 'binomial' },
      ),
    'MER_ANALYTICS_SEPARATION',
    /dose/,
  );
  const random = seeded(8);
  const X: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < 200; i++) {
    const exposed = i < 30 ? 1 : 0;
    const x = normal(random);
    X.push([exposed, x]);
    y.push(exposed === 1 ? 1 : random() < 1 / (1 + Math.exp(-x)) ? 1 : 0);
  }
  assertCode(
    () =>
      fitGlmFederated(
        [
          pick({ X, y }, [...Array(100).keys()]),
          pick(
            { X, y },
            [...Array(100).keys()].map((i) => i + 100),
          ),
        ],
        {
          family: 'binomial',
        },
        { names: ['exposed', 'x'] },
      ),
    'MER_ANALYTICS_SEPARATION',
    /diverging: exposed = /,
  );
  const counts = Array.from({ length: 60 }, (_, i) => (i < 10 ? 0 : Math.floor(random() * 5)));
  assertCode(
    () =>
      fitGlmPooled({ X: counts.map((_, i) => [i < 10 ? 1 : 0]), y: counts, names: ['ward'] }, { family: 'poisson' }),
    'MER_ANALYTICS_SEPARATION',
    /ward/,
  );
});

test('the hub refuses a node step of the wrong shape or with non-finite sums', () => {
  const model = { family: 'gaussian' as const };
  const data = randomData('gaussian', 4, 30, 2, false);
  const good = glmNodeStep(data, null, model);
  const start = glmHubStart(model);
  assertCode(() => glmHubStep(start, [good, { ...good, p: 2 }]), 'MER_ANALYTICS_BAD_PART', /node 1/);
  assertCode(
    () =>
      glmHubStep(start, [
        good,
        { ...good, xtwx: good.xtwx.map((row, i) => (i === 1 ? row.map(() => Number.NaN) : row)) },
      ]),
    'MER_ANALYTICS_BAD_PART',
    /xtwx\[1\]\[0\] is not finite/,
  );
  assertCode(() => glmHubStep(start, [{ ...good, n: -1 }]), 'MER_ANALYTICS_BAD_PART', /whole numbers/);
  assertCode(() => glmHubStep(start, [{ ...good, xtwz: [1] }]), 'MER_ANALYTICS_BAD_PART', /xtwz must have 3/);
  assertCode(() => glmHubStep(start, []), 'MER_ANALYTICS_BAD_PART');
});

test('bench-like sanity: 3 sites × 20k rows × 20 features fit to the pooled result; a 100k-row node step has the right sums', (t) => {
  const random = seeded(2024);
  const k = 20;
  const truth = Array.from({ length: k }, (_, j) => (j % 3 === 0 ? 0.3 : -0.1));
  const make = (n: number): GlmData => {
    const X: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      const row = Array.from({ length: k }, (_, j) => (j < 5 ? (random() < 0.3 ? 1 : 0) : normal(random)));
      const eta = -0.5 + row.reduce((s, v, j) => s + v * (truth[j] as number), 0);
      X.push(row);
      y.push(random() < 1 / (1 + Math.exp(-eta)) ? 1 : 0);
    }
    return { X, y };
  };
  const parts = [make(20_000), make(20_000), make(20_000)];
  const pooledData = { X: parts.flatMap((p) => p.X), y: parts.flatMap((p) => p.y) };
  const federated = fitGlmFederated(parts, { family: 'binomial' });
  const pooled = fitGlmPooled(pooledData, { family: 'binomial' });
  assert.ok(federated.converged && federated.iterations <= 8, `${federated.iterations} iterations`);
  federated.coefficients.forEach((c, j) => {
    assertClose(c.estimate, pooled.coefficients[j]?.estimate as number, 1e-8, c.name);
    assertClose(c.standardError, pooled.coefficients[j]?.standardError as number, 1e-8, c.name);
  });
  const big = make(100_000);
  const packed = packGlmData(big, { family: 'binomial' });
  const started = performance.now();
  const step = glmNodeStep(packed, new Array(k + 1).fill(0), { family: 'binomial' });
  const elapsedMs = performance.now() - started;
  assert.equal(step.n, 100_000);
  assertClose(step.xtwx[0]?.[0] as number, 100_000 * 0.25, 1e-12, "X'WX[0][0] = Σ w = n/4 at β = 0");
  const column = 7;
  let expected = 0;
  for (const row of big.X) expected += 0.25 * (row[column - 1] as number) * (row[column - 1] as number);
  assertClose(step.xtwx[column]?.[column] as number, expected, 1e-10, `X'WX[${column}][${column}]`);
  t.diagnostic(`glm node step, 100k rows × 20 features: ${elapsedMs.toFixed(1)} ms`);
});
