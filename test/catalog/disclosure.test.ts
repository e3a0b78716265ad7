/** The catalog's disclosure control: no count under the minimum cell is shown or can be derived (fast-check). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  planBins,
  shapeCategories,
  shapeHistogram,
  suppressCells,
  suppressCount,
} from '../../src/catalog/disclosure.ts';

const minCellArb = fc.integer({ min: 1, max: 20 });
const countsArb = fc.array(fc.nat({ max: 60 }), { minLength: 1, maxLength: 12 });

test('suppressCount hides exactly the counts between 1 and minCell − 1', () => {
  assert.equal(suppressCount(0, 5), 0);
  assert.equal(suppressCount(4, 5), null);
  assert.equal(suppressCount(5, 5), 5);
  assert.throws(() => suppressCount(-1, 5));
});

test('suppressCells never shows a count under the minimum cell and leaves shown cells unchanged', () => {
  fc.assert(
    fc.property(countsArb, minCellArb, (counts, minCell) => {
      const out = suppressCells(counts, minCell);
      assert.equal(out.length, counts.length);
      for (const [i, shown] of out.entries()) {
        if (shown === null) continue;
        assert.equal(shown, counts[i]);
        assert.ok(shown === 0 || shown >= minCell, `shown ${shown} under ${minCell}`);
      }
    }),
  );
});

test('the hidden cells of a published total never add up to a count under the minimum cell', () => {
  fc.assert(
    fc.property(countsArb, minCellArb, (counts, minCell) => {
      const total = counts.reduce((a, b) => a + b, 0);
      fc.pre(total >= minCell);
      const out = suppressCells(counts, minCell);
      const hidden = counts.reduce((s, c, i) => (out[i] === null ? s + c : s), 0);
      assert.ok(hidden === 0 || hidden >= minCell, `hidden cells sum to ${hidden} (min cell ${minCell})`);
    }),
  );
});

test('a single small cell beside a published total takes the next smallest with it', () => {
  assert.deepEqual(suppressCells([100, 7, 3], 5), [100, null, null]);
  assert.deepEqual(suppressCells([100, 7, 0], 5), [100, 7, 0]);
});

test('shapeCategories shows no category or "other" under the minimum cell, and no hidden label', () => {
  const valueArb = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 30 });
  fc.assert(
    fc.property(
      valueArb,
      fc.array(fc.nat({ max: 40 }), { minLength: 30, maxLength: 30 }),
      minCellArb,
      fc.nat(20),
      (values, ns, minCell, tail) => {
        const counts = values.map((value, i) => ({ value, count: (ns[i] ?? 0) + 1 }));
        const nonNull = counts.reduce((s, c) => s + c.count, 0) + tail;
        const d = shapeCategories({ kind: 'categories', counts, nonNull, minCell, topMax: 10 });
        for (const c of d.categories) {
          assert.ok(c.count >= minCell);
          assert.equal(counts.find((x) => x.value === c.value)?.count, c.count);
        }
        assert.ok(d.categories.length <= 10);
        if (d.other !== null) {
          assert.ok(d.other === 0 || d.other >= minCell, `other ${d.other}`);
          assert.equal(d.other + d.categories.reduce((s, c) => s + c.count, 0), nonNull);
        }
        if (nonNull >= minCell) {
          const hidden = nonNull - d.categories.reduce((s, c) => s + c.count, 0);
          assert.ok(hidden === 0 || hidden >= minCell, `derivable hidden rows ${hidden}`);
        }
      },
    ),
  );
});

test('years are listed in calendar order', () => {
  const d = shapeCategories({
    kind: 'years',
    counts: [
      { value: '2021', count: 9 },
      { value: '2019', count: 30 },
      { value: '2020', count: 12 },
    ],
    nonNull: 51,
    minCell: 5,
    topMax: 150,
  });
  assert.deepEqual(
    d.categories.map((c) => c.value),
    ['2019', '2020', '2021'],
  );
  assert.equal(d.other, 0);
});

test('planBins rounds the bounds to 1, 2 or 5 × a power of ten and covers both quantiles', () => {
  fc.assert(
    fc.property(fc.integer({ min: -1e8, max: 1e8 }), fc.integer({ min: 0, max: 1e8 }), (lowCents, spanCents) => {
      const low = lowCents / 100;
      const span = spanCents / 100;
      const plan = planBins(low, low + span);
      const mantissa = plan.width / 10 ** Math.floor(Math.log10(plan.width));
      assert.ok(
        [1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-6),
        `width ${plan.width}`,
      );
      assert.ok(plan.lo <= low + 1e-9 * Math.abs(low));
      assert.ok(plan.lo + plan.bins * plan.width >= low + span - 1e-6 * Math.max(1, Math.abs(low + span)));
      assert.ok(plan.bins >= 1 && plan.bins <= 40);
    }),
  );
  assert.deepEqual(planBins(3.1, 9.8), { lo: 3, width: 1, bins: 7 });
  assert.deepEqual(planBins(500, 500), { lo: 500, width: 1, bins: 1 });
});

test('shapeHistogram suppresses small bins and keeps open ends only when used', () => {
  const plan = { lo: 0, width: 10, bins: 3 };
  const h = shapeHistogram(
    plan,
    new Map([
      [-1, 0],
      [0, 40],
      [1, 2],
      [2, 30],
      [3, 6],
    ]),
    5,
  );
  assert.deepEqual(h.bins, [
    { from: 0, to: 10, count: 40 },
    { from: 10, to: 20, count: null },
    { from: 20, to: 30, count: 30 },
    { from: 30, to: null, count: null },
  ]);
});
