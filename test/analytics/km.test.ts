/**
 * Kaplan–Meier and log-rank: Freireich's 6-MP leukaemia trial (Gehan's data) checked by hand — survival as
 * products of fractions, Greenwood's SE and the log-log band by their formulas and as published (0.857,
 * SE 0.0764, band 0.620–0.952 at week 6), log-rank χ² 16.8 with expected 19.25 and 10.75 — the median's
 * midpoint rule, merged node tables == the pooled table (fast-check), the log-rank statistic not depending
 * on which group is dropped, and bad input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type KmData, kaplanMeier, kmNodeCounts, logRankTest, mergeKmCounts } from '../../src/analytics/index.ts';
import { isMeridianError } from '../../src/errors/registry.ts';
import { assertClose, outcome, pick, seeded, splitRows } from './helpers.ts';

const MP_EVENTS = [6, 6, 6, 7, 10, 13, 16, 22, 23];
const MP_CENSORED = [6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35];
const PLACEBO = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23];
const GEHAN: KmData = {
  time: [...MP_EVENTS, ...MP_CENSORED, ...PLACEBO],
  status: [...MP_EVENTS.map(() => 1), ...MP_CENSORED.map(() => 0), ...PLACEBO.map(() => 1)],
  group: [...MP_EVENTS.map(() => '6-MP'), ...MP_CENSORED.map(() => '6-MP'), ...PLACEBO.map(() => 'placebo')],
};

test('6-MP arm by hand: survival, Greenwood SE and the log-log band at each event time', () => {
  const curve = kaplanMeier(kmNodeCounts(GEHAN)).curves.find((c) => c.group === '6-MP');
  assert.ok(curve);
  assert.equal(curve.n, 21);
  assert.equal(curve.events, 9);
  const byTime = new Map(curve.rows.map((r) => [r.time, r]));
  const hand = [
    { time: 6, atRisk: 21, d: 3, survival: 18 / 21, se: 0.0764 },
    { time: 7, atRisk: 17, d: 1, survival: (18 / 21) * (16 / 17), se: 0.0869 },
    { time: 10, atRisk: 15, d: 1, survival: (18 / 21) * (16 / 17) * (14 / 15), se: 0.0963 },
    { time: 13, atRisk: 12, d: 1, survival: (18 / 21) * (16 / 17) * (14 / 15) * (11 / 12), se: 0.1068 },
    { time: 16, atRisk: 11, d: 1, survival: (18 / 21) * (16 / 17) * (14 / 15) * (11 / 12) * (10 / 11), se: 0.1141 },
    {
      time: 22,
      atRisk: 7,
      d: 1,
      survival: (18 / 21) * (16 / 17) * (14 / 15) * (11 / 12) * (10 / 11) * (6 / 7),
      se: 0.1282,
    },
    {
      time: 23,
      atRisk: 6,
      d: 1,
      survival: (18 / 21) * (16 / 17) * (14 / 15) * (11 / 12) * (10 / 11) * (6 / 7) * (5 / 6),
      se: 0.1346,
    },
  ];
  let greenwood = 0;
  for (const h of hand) {
    const row = byTime.get(h.time);
    assert.ok(row, `a row at ${h.time}`);
    assert.equal(row.atRisk, h.atRisk, `at risk at ${h.time}`);
    assert.equal(row.events, h.d);
    assertClose(row.survival, h.survival, 1e-14, `S(${h.time})`);
    greenwood += h.d / (h.atRisk * (h.atRisk - h.d));
    assertClose(row.standardError as number, h.survival * Math.sqrt(greenwood), 1e-14, `Greenwood SE at ${h.time}`);
    assert.ok(Math.abs((row.standardError as number) - h.se) < 5e-5, `published SE ${h.se} at ${h.time}`);
    const spread = (1.959963984540054 * Math.sqrt(greenwood)) / Math.abs(Math.log(h.survival));
    assertClose(row.lower as number, h.survival ** Math.exp(spread), 1e-12, `lower at ${h.time}`);
    assertClose(row.upper as number, h.survival ** Math.exp(-spread), 1e-12, `upper at ${h.time}`);
  }
  const week6 = byTime.get(6);
  assert.ok(
    week6 && Math.abs((week6.lower as number) - 0.62) < 5e-4 && Math.abs((week6.upper as number) - 0.952) < 5e-4,
  );
  assert.deepEqual(
    curve.rows.map((r) => r.time),
    [6, 7, 9, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 34, 35],
    'one row per distinct time, censored times included',
  );
  assert.deepEqual(curve.median, { time: 23, lower: 13, upper: null });
});

test('placebo arm: the curve reaches 0 (no SE or band after), median 8 with band crossings 4 and 11', () => {
  const curve = kaplanMeier(kmNodeCounts(GEHAN)).curves.find((c) => c.group === 'placebo');
  assert.ok(curve);
  const last = curve.rows.at(-1);
  assert.ok(last);
  assert.deepEqual([last.time, last.survival, last.standardError, last.lower, last.upper], [23, 0, null, null, null]);
  assert.deepEqual(curve.median, { time: 8, lower: 4, upper: 11 });
  const lower = curve.rows.map((r) => r.lower ?? 0);
  const upper = curve.rows.map((r) => r.upper ?? 0);
  const first = (values: number[]) => curve.rows[values.findIndex((v) => v <= 0.5)]?.time;
  assert.equal(first(lower), 4);
  assert.equal(first(upper), 11);
});

test('log-rank 6-MP vs placebo: χ² 16.79 on 1 df, observed 9 and 21, expected 19.25 and 10.75', () => {
  const result = logRankTest(kmNodeCounts(GEHAN));
  assert.equal(result.df, 1);
  assert.ok(Math.abs(result.chiSquare - 16.79) < 0.005, `χ² ${result.chiSquare}`);
  assert.ok(Math.abs(result.pValue - 4.17e-5) < 0.01e-5, `p ${result.pValue}`);
  assert.deepEqual(
    result.groups.map((g) => [g.group, g.n, g.observed, Math.round(g.expected * 100) / 100]),
    [
      ['6-MP', 21, 9, 19.25],
      ['placebo', 21, 21, 10.75],
    ],
  );
  assertClose(
    result.groups.reduce((s, g) => s + g.expected, 0),
    30,
    1e-12,
    'expected events add up to the observed total',
  );
});

test('the median sits at the midpoint when the curve is exactly 0.5 on an interval (as R)', () => {
  const km = kaplanMeier(kmNodeCounts({ time: [1, 2, 3, 4], status: [1, 1, 1, 1] }));
  assert.equal(km.curves[0]?.median.time, 2.5);
  const censoredBetween = kmNodeCounts({ time: [1, 2, 3, 3.5, 5, 6], status: [1, 1, 1, 0, 1, 0] });
  assert.equal(kaplanMeier(censoredBetween).curves[0]?.median.time, 4, 'S = 0.5 from 3 until the next drop at 5');
  const neverHalf = kmNodeCounts({ time: [1, 2, 3, 5, 4], status: [1, 1, 0, 1, 0] });
  assert.equal(kaplanMeier(neverHalf).curves[0]?.median.time, 5, 'S(2) = 0.6, then 0 at 5');
});

/** Random survival rows with ties and three groups. */
function randomKm(seed: number, n: number): KmData {
  const random = seeded(seed);
  return {
    time: Array.from({ length: n }, () => Math.floor(random() * 30)),
    status: Array.from({ length: n }, () => (random() < 0.7 ? 1 : 0)),
    group: Array.from({ length: n }, () => ['a', 'b', 'c'][Math.floor(random() * 3)] as string),
  };
}

test('merged node tables equal the pooled table, so curves and tests equal the pooled ones (random splits)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      fc.integer({ min: 5, max: 300 }),
      fc.integer({ min: 1, max: 5 }),
      (seed, n, sites) => {
        const data = randomKm(seed, n);
        const parts = splitRows(n, sites, seeded(seed + 1)).map((rows) => kmNodeCounts(pick(data, rows)));
        const merged = mergeKmCounts(parts);
        const pooled = kmNodeCounts(data);
        assert.deepEqual(merged, pooled);
        assert.deepEqual(kaplanMeier(merged), kaplanMeier(pooled));
        assert.deepEqual(
          outcome(() => logRankTest(merged)),
          outcome(() => logRankTest(pooled)),
        );
      },
    ),
    { numRuns: 200 },
  );
});

test('the k-group log-rank χ² does not depend on which group the variance drops (relabelled order)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
      const data = randomKm(seed, 120);
      const relabel: Record<string, string> = { a: 'z', b: 'b', c: 'c' };
      const renamed = { ...data, group: (data.group as string[]).map((g) => relabel[g] as string) };
      const original = logRankTest(kmNodeCounts(data));
      const moved = logRankTest(kmNodeCounts(renamed));
      assert.equal(original.df, 2);
      assertClose(moved.chiSquare, original.chiSquare, 1e-9, 'χ²');
    }),
    { numRuns: 100 },
  );
});

function assertCode(run: () => unknown, code: string, message?: RegExp): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(isMeridianError(e), String(e));
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

test('bad rows and malformed node tables are refused, naming field, row or node', () => {
  assertCode(() => kmNodeCounts({ time: [1, 2], status: [1, 2] }), 'MER_ANALYTICS_INVALID_INPUT', /status\[1\].*row 1/);
  assertCode(() => kmNodeCounts({ time: [1, Number.NaN], status: [1, 0] }), 'MER_ANALYTICS_INVALID_INPUT', /time\[1\]/);
  assertCode(() => kmNodeCounts({ time: [1, 2], status: [1] }), 'MER_ANALYTICS_INVALID_INPUT');
  assertCode(
    () => logRankTest(kmNodeCounts({ time: [1, 2], status: [1, 1] })),
    'MER_ANALYTICS_INVALID_INPUT',
    /at least 2 groups/,
  );
  const good = kmNodeCounts({ time: [1, 2, 3], status: [1, 0, 1] });
  const group = good.groups[0];
  assert.ok(group);
  assertCode(
    () => mergeKmCounts([good, { groups: [{ ...group, events: [1, 0.5, 1] }] }]),
    'MER_ANALYTICS_BAD_PART',
    /node 1/,
  );
  assertCode(
    () => mergeKmCounts([good, { groups: [{ ...group, censored: [0] }] }]),
    'MER_ANALYTICS_BAD_PART',
    /different lengths/,
  );
  assertCode(() => kaplanMeier(good, { confidenceLevel: 1 }), 'MER_ANALYTICS_INVALID_INPUT', /confidenceLevel/);
});
