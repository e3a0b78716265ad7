/**
 * Federated descriptive statistics across three hospital lakes, in process (masked-fixtures.ts): age and HbA1c
 * (missing for some) as numeric variables with agreed histograms, sex and a male indicator as categorical ones.
 * Checks: mean and SD equal the pooled moments within 1e-8; every released count equals the pooled count and is at
 * least the minimum cell; quantile bins and values equal those read from the pooled histogram; the hub's inputs
 * are masked; on random pooled tables a released quantile value can be recomputed from released counts alone;
 * a node under the minimum cell refuses, and bad parameters are refused naming the field.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { histogram, summarizeMoments } from '../../src/analytics/index.ts';
import { isMeridianError } from '../../src/errors/registry.ts';
import {
  descriptiveNodeVector,
  descriptivePlan,
  descriptiveRunner,
  histogramEdges,
} from '../../src/federation/analyses/descriptive.ts';
import type { ReleasedCount } from '../../src/federation/disclosure/cell-suppression.ts';
import {
  type PooledNumeric,
  type ReleasedNumeric,
  releaseDescriptive,
  runFederatedDescriptive,
} from '../../src/hub/federation/descriptive.ts';
import { assertMaskedOnly, type Consortium, HOSPITALS, maskedOf, openConsortium } from './masked-fixtures.ts';

const AGE = { column: 'age', histogram: { min: 40, max: 90, bins: 10 } };
const HBA1C = { column: 'hba1c', histogram: { min: 5, max: 10, bins: 10 } };
const PARAMETERS = {
  numeric: [AGE, HBA1C],
  categorical: [
    { column: 'sex', levels: ['F', 'M'] },
    { column: 'male', levels: ['1'] },
  ],
  quantiles: [0.1, 0.5, 0.9],
};

let consortium: Consortium;

before(async () => {
  consortium = await openConsortium(300);
});

after(async () => {
  await consortium.close();
});

const isNumber = (c: ReleasedCount): c is number => typeof c === 'number';

/** The q-quantile read from a histogram's parts (below, bins, above) by interpolation inside its bin. */
function histogramQuantile(parts: readonly number[], edges: readonly number[], n: number, q: number) {
  const r = q * n;
  let before = 0;
  let i = 0;
  while (i < parts.length - 1 && before + (parts[i] as number) < r) before += parts[i++] as number;
  if (i === 0 || i === parts.length - 1) return { bin: i, value: null };
  const lo = edges[i - 1] as number;
  const hi = edges[i] as number;
  return { bin: i, value: lo + ((r - before) / (parts[i] as number)) * (hi - lo) };
}

test('mean, SD, counts and quantiles equal the pooled ones; released counts reach the minimum cell; the hub sees only masked vectors', async () => {
  const task = consortium.task('descriptive', PARAMETERS);
  const seen: Parameters<Consortium['inProcess']>[1] = [];
  const fed = await runFederatedDescriptive(
    consortium.inProcess(consortium.allNodes('descriptive', descriptiveRunner), seen),
    task,
  );
  const rows = (await Promise.all(HOSPITALS.map((h) => consortium.rows(h, task)))).flat();
  assert.equal(fed.rows, rows.length);
  assert.equal(fed.minCell, 5);
  let withheld = 0;
  let valued = 0;
  for (const spec of [AGE, HBA1C]) {
    const got = fed.numeric.find((v) => v.column === spec.column) as ReleasedNumeric;
    const values = rows.map((r) => (r[spec.column] === null ? null : Number(r[spec.column])));
    const m = summarizeMoments(values);
    assert.ok(Math.abs((got.mean as number) - m.mean) <= 1e-8, `${spec.column} mean ${got.mean} vs ${m.mean}`);
    const sd = Math.sqrt(m.m2 / (m.n - 1));
    assert.ok(Math.abs((got.sd as number) - sd) <= 1e-8, `${spec.column} SD ${got.sd} vs ${sd}`);
    const edges = histogramEdges(spec.histogram);
    const h = histogram(values, edges);
    const parts = [h.below, ...h.counts, h.above];
    const released = [got.histogram.below, ...got.histogram.counts, got.histogram.above];
    released.forEach((c, i) => {
      if (isNumber(c)) {
        assert.equal(c, parts[i], `${spec.column} part ${i}`);
        assert.ok(c >= 5, `${spec.column} part ${i} released as ${c}`);
      } else withheld++;
    });
    for (const [c, want] of [
      [got.missing, m.missing],
      [got.n, m.n],
    ] as const) {
      if (isNumber(c)) assert.equal(c, want);
    }
    got.quantiles.forEach((q) => {
      const want = histogramQuantile(parts, edges, m.n, q.q);
      assert.deepEqual([q.lower, q.upper], [edges[want.bin - 1] ?? null, edges[want.bin] ?? null], `q${q.q} bin`);
      if (q.value !== null) {
        valued++;
        assert.ok(Math.abs(q.value - (want.value as number)) <= 1e-8, `${spec.column} q${q.q}`);
      }
    });
  }
  assert.ok(
    withheld > 0 && valued > 0,
    'some counts were withheld and some quantiles valued (else this proves little)',
  );
  for (const [column, levels] of [
    ['sex', ['F', 'M']],
    ['male', ['1']],
  ] as const) {
    const got = fed.categorical.find((c) => c.column === column);
    assert.ok(got);
    const text = rows.map((r) => (r[column] === null ? null : String(r[column])));
    const want = [
      ...levels.map((l) => text.filter((v) => v === l).length),
      text.filter((v) => v !== null && !(levels as readonly string[]).includes(v)).length,
      text.filter((v) => v === null).length,
    ];
    const released = [...got.levels.map((l) => l.count), got.other, got.missing];
    let hidden = 0;
    released.forEach((c, i) => {
      if (isNumber(c)) assert.ok(c === want[i] && c >= 5, `${column} count ${i}: ${c} vs ${want[i]}`);
      else hidden += want[i] as number;
    });
    assert.ok(hidden === 0 || hidden >= 5, `${column}: the withheld counts hide ${hidden}`);
    assert.deepEqual(
      got.missing,
      { suppressed: true },
      `${column}: nobody lacks a sex, and 0 is withheld like any count under 5`,
    );
  }

  const plan = descriptivePlan(task);
  const truth = new Map<string, number[]>();
  for (const node of HOSPITALS) truth.set(node, descriptiveNodeVector(await consortium.rows(node, task), plan));
  assertMaskedOnly(maskedOf(seen, 1), truth, 1e-9);
});

test('on random pooled histograms a released quantile value follows from released counts alone', () => {
  const numeric = fc.record({
    counts: fc.array(fc.nat(12), { minLength: 1, maxLength: 12 }),
    below: fc.nat(6),
    above: fc.nat(6),
    missing: fc.nat(8),
  });
  fc.assert(
    fc.property(
      numeric,
      fc.integer({ min: 2, max: 6 }),
      fc.double({ min: 0.01, max: 0.99, noNaN: true }),
      (v, minCell, q) => {
        const n = v.below + v.above + v.counts.reduce((s, c) => s + c, 0);
        const pooled: PooledNumeric = {
          column: 'x',
          histogram: { min: 0, max: v.counts.length, bins: v.counts.length },
          n,
          missing: v.missing,
          s1: 0,
          s2: 0,
          below: v.below,
          counts: v.counts,
          above: v.above,
        };
        const rows = n + v.missing;
        const out = releaseDescriptive({ rows, numeric: [pooled], categorical: [] }, { minCell, quantiles: [q] });
        if (rows < minCell) return;
        const got = out.numeric[0] as ReleasedNumeric;
        const parts = [got.histogram.below, ...got.histogram.counts, got.histogram.above];
        for (const c of [...parts, got.n, got.missing]) if (isNumber(c)) assert.ok(c >= minCell, `released ${c}`);
        const quantile = got.quantiles[0];
        if (quantile?.value === undefined || quantile.value === null) return;
        // Recompute from released numbers only: n, the bin's count, and every part before it or after it.
        assert.ok(isNumber(got.n));
        const i = (quantile.lower as number) + 1;
        const count = parts[i] as ReleasedCount;
        assert.ok(isNumber(count));
        const before = parts.slice(0, i);
        const after = parts.slice(i + 1);
        const cumulative = before.every(isNumber)
          ? before.reduce((s, c) => s + c, 0)
          : got.n - count - (after as number[]).reduce((s, c) => s + c, 0);
        assert.ok(before.every(isNumber) || after.every(isNumber));
        const value = (quantile.lower as number) + (q * got.n - cumulative) / count;
        assert.ok(Math.abs(value - quantile.value) <= 1e-9, `${value} vs ${quantile.value}`);
      },
    ),
    { numRuns: 300 },
  );
});

test('a hospital under the minimum cell refuses; bad parameters are refused naming the field', async () => {
  const task = consortium.task('descriptive', PARAMETERS);
  await assert.rejects(
    runFederatedDescriptive(consortium.inProcess(consortium.allNodes('descriptive', descriptiveRunner, 1_000)), task),
    (e: unknown) => isMeridianError(e, 'MER_FED_PARTIAL') && /MER_DISCLOSURE_COHORT_TOO_SMALL/.test(e.message),
  );
  const bad = (parameters: Record<string, unknown>, field: RegExp) =>
    assert.throws(
      () => descriptivePlan(consortium.task('descriptive', parameters)),
      (e: unknown) => isMeridianError(e, 'MER_FED_INVALID_TASK') && field.test(e.message),
    );
  bad(
    { numeric: [{ column: 'weight', histogram: AGE.histogram }] },
    /parameters\.numeric\.0\.column: weight is not a column/,
  );
  bad(
    { numeric: [AGE], categorical: [{ column: 'age', levels: ['60'] }] },
    /parameters\.categorical\.0\.column: age is summarized twice/,
  );
  bad(
    { numeric: [{ column: 'age', histogram: { min: 5, max: 5, bins: 3 } }] },
    /parameters\.numeric\.0\.histogram\.max/,
  );
  bad({ categorical: [{ column: 'sex', levels: ['F', 'F'] }] }, /parameters\.categorical\.0\.levels/);
  bad({}, /parameters\.numeric: name at least one/);
});
