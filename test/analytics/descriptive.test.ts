/**
 * Mergeable summaries: moments merged across random splits equal the pooled moments within 1e-9; the
 * quantile sketch is exact until it compacts, every quantile's rank error stays within the sketch's
 * tracked bound (built whole or merged from sites) and that bound within the documented a priori bound;
 * the sketch is deterministic; histograms and cross-tabs merge to the pooled counts; bad input is named.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  buildQuantileSketch,
  crossTab,
  histogram,
  mergeAllMoments,
  mergeCrossTabs,
  mergeHistograms,
  mergeNumericSummaries,
  mergeQuantileSketches,
  type QuantileSketch,
  reportMoments,
  sketchQuantiles,
  summarizeMoments,
  summarizeNumeric,
} from '../../src/analytics/index.ts';
import { isMeridianError } from '../../src/errors/registry.ts';
import { assertClose, normal, seeded, splitRows } from './helpers.ts';

const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
const withMissing = fc.oneof({ weight: 9, arbitrary: finite }, { weight: 1, arbitrary: fc.constant(null) });

test('moments merged from random splits equal the pooled moments (n, missing, min, max exactly; mean, variance 1e-9)', () => {
  fc.assert(
    fc.property(
      fc.array(withMissing, { minLength: 0, maxLength: 400 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer(),
      (values, sites, seed) => {
        const parts = splitRows(values.length, sites, seeded(seed)).map((rows) =>
          summarizeMoments(rows.map((i) => values[i])),
        );
        const merged = reportMoments(mergeAllMoments(parts));
        const pooled = reportMoments(summarizeMoments(values));
        assert.equal(merged.n, pooled.n);
        assert.equal(merged.missing, pooled.missing);
        assert.equal(merged.min, pooled.min);
        assert.equal(merged.max, pooled.max);
        if (pooled.mean === null) assert.equal(merged.mean, null);
        else assertClose(merged.mean as number, pooled.mean, 1e-9, 'mean');
        if (pooled.variance === null) assert.equal(merged.variance, null);
        else {
          // 1e-9 of the variance, plus room for the cancellation both orders suffer when |values| ≫ spread
          const square = Math.max((pooled.max as number) ** 2, (pooled.min as number) ** 2);
          const scale = 1e-9 * pooled.variance + 1e-13 * square + 1e-300;
          assert.ok(
            Math.abs((merged.variance as number) - pooled.variance) <= scale,
            `variance ${merged.variance} vs ${pooled.variance}`,
          );
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('moments by hand: mean 5, sample variance 32/7 for 2,4,4,4,5,5,7,9; missing counted', () => {
  const report = reportMoments(summarizeMoments([2, 4, 4, null, 4, 5, 5, undefined, 7, 9]));
  assert.deepEqual(report, { n: 8, missing: 2, mean: 5, variance: 32 / 7, sd: Math.sqrt(32 / 7), min: 2, max: 9 });
  assert.deepEqual(reportMoments(summarizeMoments([null])), {
    n: 0,
    missing: 1,
    mean: null,
    variance: null,
    sd: null,
    min: null,
    max: null,
  });
});

/** The rank error of a returned value against the exact sorted data for quantile q (type 1). */
function rankError(sorted: Float64Array, q: number, value: number): number {
  const target = Math.max(1, Math.ceil(q * sorted.length));
  let below = 0;
  let atOrBelow = 0;
  for (const v of sorted) {
    if (v < value) below++;
    if (v <= value) atOrBelow++;
  }
  if (target < below + 1) return below + 1 - target;
  if (target > atOrBelow) return target - atOrBelow;
  return 0;
}

const QS = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 1];

function aPrioriBound(n: number, k: number): number {
  if (n < k) return 0;
  const levels = Math.floor(Math.log2(n / (k - 1))) + 1;
  return (n * levels) / (k - 1);
}

function checkSketch(sketch: QuantileSketch, values: readonly number[]): void {
  const sorted = Float64Array.from(values).sort();
  assert.equal(sketch.n, values.length);
  assert.ok(
    sketch.rankErrorMax <= aPrioriBound(values.length, sketch.k),
    `bound ${sketch.rankErrorMax} within a priori`,
  );
  for (const estimate of sketchQuantiles(sketch, QS)) {
    const error = rankError(sorted, estimate.q, estimate.value as number);
    assert.ok(error <= estimate.rankErrorMax, `q ${estimate.q}: rank error ${error} > bound ${estimate.rankErrorMax}`);
  }
}

test('sketch quantiles stay within the tracked rank-error bound, built whole or merged from sites (random data)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      fc.integer({ min: 1, max: 20_000 }),
      fc.constantFrom(8, 16, 64, 256),
      fc.integer({ min: 1, max: 5 }),
      fc.constantFrom('normal', 'ties', 'sorted'),
      (seed, n, k, sites, shape) => {
        const random = seeded(seed);
        const values = Array.from({ length: n }, (_, i) =>
          shape === 'normal' ? normal(random) : shape === 'ties' ? Math.floor(random() * 20) : i,
        );
        checkSketch(buildQuantileSketch(values, k), values);
        const parts = splitRows(n, sites, random).map((rows) =>
          buildQuantileSketch(
            rows.map((i) => values[i] as number),
            k,
          ),
        );
        checkSketch(mergeQuantileSketches(parts), values);
      },
    ),
    { numRuns: 80 },
  );
});

test('a sketch is exact until k values arrive, and deterministic for the same input order', () => {
  const random = seeded(5);
  const values = Array.from({ length: 1000 }, () => normal(random));
  const sketch = buildQuantileSketch(values, 1024);
  assert.equal(sketch.rankErrorMax, 0);
  const sorted = [...values].sort((a, b) => a - b);
  for (const estimate of sketchQuantiles(sketch, QS)) {
    const expected = estimate.q === 0 ? sorted[0] : sorted[Math.max(1, Math.ceil(estimate.q * 1000)) - 1];
    assert.equal(estimate.value, expected, `q ${estimate.q}`);
  }
  const big = Array.from({ length: 50_000 }, () => normal(random));
  assert.deepEqual(buildQuantileSketch(big, 64), buildQuantileSketch(big, 64));
  const median = sketchQuantiles(buildQuantileSketch(big, 1024), [0.5])[0];
  assert.ok(median && Math.abs(median.value as number) < 0.05, `median of N(0,1) ≈ 0; got ${median?.value}`);
});

test('numeric summaries merge moments and sketches together', () => {
  const random = seeded(9);
  const values = Array.from({ length: 3000 }, () => 10 + 2 * normal(random));
  const merged = mergeNumericSummaries([
    summarizeNumeric(values.slice(0, 1000), 128),
    summarizeNumeric(values.slice(1000), 128),
  ]);
  assert.equal(merged.moments.n, 3000);
  checkSketch(merged.sketch, values);
});

test('histograms over agreed edges merge to the pooled counts; outside values and missing are counted', () => {
  const edges = [0, 10, 20, 50];
  const values = [0, 5, 10, 19.99, 20, 50, 50.1, -1, null, 35];
  const pooled = histogram(values, edges);
  assert.deepEqual(pooled, { edges, counts: [2, 2, 3], below: 1, above: 1, missing: 1 });
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.double({ min: -20, max: 80, noNaN: true }), fc.constant(null))),
      fc.integer({ min: 1, max: 4 }),
      fc.integer(),
      (data, sites, seed) => {
        const parts = splitRows(data.length, sites, seeded(seed)).map((rows) =>
          histogram(
            rows.map((i) => data[i]),
            edges,
          ),
        );
        assert.deepEqual(mergeHistograms(parts), histogram(data, edges));
      },
    ),
    { numRuns: 100 },
  );
});

test('cross-tabs merge cell by cell to the pooled counts; null is its own category', () => {
  const sex = ['F', 'M', 'F', null, 'M', 'F'];
  const smoker = [true, false, true, true, false, false];
  const pooled = crossTab([sex, smoker]);
  assert.deepEqual(pooled.cells, [
    { key: ['F', false], count: 1 },
    { key: ['F', true], count: 2 },
    { key: ['M', false], count: 2 },
    { key: [null, true], count: 1 },
  ]);
  const merged = mergeCrossTabs([
    crossTab([sex.slice(0, 2), smoker.slice(0, 2)]),
    crossTab([sex.slice(2), smoker.slice(2)]),
  ]);
  assert.deepEqual(merged, pooled);
});

function assertCode(run: () => unknown, code: string, message?: RegExp): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(isMeridianError(e), String(e));
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

test('bad values and mismatched parts are refused, naming the index or node', () => {
  assertCode(() => summarizeMoments([1, Number.NaN]), 'MER_ANALYTICS_INVALID_INPUT', /value 1/);
  assertCode(() => buildQuantileSketch([1, Number.POSITIVE_INFINITY]), 'MER_ANALYTICS_INVALID_INPUT', /value 1/);
  assertCode(() => buildQuantileSketch([1], 7), 'MER_ANALYTICS_INVALID_INPUT', /capacity/);
  assertCode(() => histogram([1], [0, 0, 1]), 'MER_ANALYTICS_INVALID_INPUT', /edges\[1\]/);
  assertCode(
    () => mergeHistograms([histogram([1], [0, 1, 2]), histogram([1], [0, 1, 3])]),
    'MER_ANALYTICS_BAD_PART',
    /node 1: the histogram has other bin edges/,
  );
  assertCode(
    () => mergeQuantileSketches([buildQuantileSketch([1, 2], 8), buildQuantileSketch([1, 2], 16)]),
    'MER_ANALYTICS_BAD_PART',
    /node 1/,
  );
  const forged = { ...buildQuantileSketch([1, 2, 3], 8), n: 4 };
  assertCode(() => mergeQuantileSketches([forged]), 'MER_ANALYTICS_BAD_PART', /weights add to 3/);
  assertCode(
    () => mergeAllMoments([summarizeMoments([1]), { ...summarizeMoments([2]), m2: -1 }]),
    'MER_ANALYTICS_BAD_PART',
    /node 1/,
  );
  assertCode(() => crossTab([['a', 'b'], ['x']]), 'MER_ANALYTICS_INVALID_INPUT', /variable 1/);
  assertCode(() => crossTab([[{}]]), 'MER_ANALYTICS_INVALID_INPUT', /variable 0, row 0/);
  assertCode(() => sketchQuantiles(buildQuantileSketch([1]), [1.5]), 'MER_ANALYTICS_INVALID_INPUT', /between 0 and 1/);
});
