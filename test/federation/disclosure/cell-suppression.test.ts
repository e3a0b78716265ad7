/**
 * Minimum cell size with secondary suppression. The properties are checked against the table semantics
 * rebuilt here (row, column and grand totals; risk-table recursions), independently of the engine's graph:
 * no released count is below the minimum; no withheld count is determined by the released ones (exact
 * Gaussian elimination); no withheld count is pinned by non-negativity either (an explicit alternative
 * table exists, by enumeration of ±1 moves); every released total hides at least the minimum.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isMeridianError } from '../../../src/errors/registry.ts';
import {
  isSuppressed,
  type ReleasedCount,
  suppressCounts,
  suppressRiskTable,
  suppressTable,
} from '../../../src/federation/disclosure/cell-suppression.ts';

interface Relation {
  total: number;
  parts: number[];
}

/** Exact rationals for the elimination (small integers, but no trust in floating point). */
type Q = [bigint, bigint];
const qSub = (a: Q, b: Q): Q => [a[0] * b[1] - b[0] * a[1], a[1] * b[1]];
const qMul = (a: Q, b: Q): Q => [a[0] * b[0], a[1] * b[1]];
const qDiv = (a: Q, b: Q): Q => (b[0] < 0n ? [-a[0] * b[1], a[1] * -b[0]] : [a[0] * b[1], a[1] * b[0]]);

/** Indices (into `hidden`) of withheld counts that the released counts determine (e_v in the row space). */
function linearlyDetermined(relations: readonly Relation[], hidden: readonly number[]): number[] {
  const column = new Map(hidden.map((v, k) => [v, k]));
  const rows: Q[][] = relations.map((r) => {
    const row: Q[] = hidden.map(() => [0n, 1n]);
    const add = (v: number, c: bigint) => {
      const k = column.get(v);
      if (k !== undefined) row[k] = [(row[k] as Q)[0] + c, 1n];
    };
    add(r.total, 1n);
    for (const p of r.parts) add(p, -1n);
    return row;
  });
  const pivots: [number, number][] = [];
  let rank = 0;
  for (let col = 0; col < hidden.length && rank < rows.length; col++) {
    const at = rows.findIndex((row, i) => i >= rank && (row[col] as Q)[0] !== 0n);
    if (at === -1) continue;
    [rows[rank], rows[at]] = [rows[at] as Q[], rows[rank] as Q[]];
    const pivotRow = rows[rank] as Q[];
    const p = pivotRow[col] as Q;
    for (let c = 0; c < hidden.length; c++) pivotRow[c] = qDiv(pivotRow[c] as Q, p);
    rows.forEach((row, i) => {
      if (i === rank || (row[col] as Q)[0] === 0n) return;
      const f = row[col] as Q;
      for (let c = 0; c < hidden.length; c++) row[c] = qSub(row[c] as Q, qMul(f, pivotRow[c] as Q));
    });
    pivots.push([rank, col]);
    rank++;
  }
  return pivots.filter(([r, col]) => (rows[r] as Q[]).every((q, c) => c === col || q[0] === 0n)).map(([, col]) => col);
}

/** Withheld counts for which no alternative non-negative table changes them by one (enumerates ±1 moves). */
function pinnedByEnumeration(values: readonly number[], relations: readonly Relation[], hidden: readonly number[]) {
  const moved = new Set<number>();
  const d = new Map<number, number>();
  const balanced = () =>
    relations.every((r) => (d.get(r.total) ?? 0) === r.parts.reduce((s, p) => s + (d.get(p) ?? 0), 0));
  const walk = (k: number) => {
    if (k === hidden.length) {
      if ([...d.values()].some((x) => x !== 0) && balanced()) {
        for (const [v, x] of d) if (x !== 0) moved.add(v);
      }
      return;
    }
    const v = hidden[k] as number;
    for (const x of [-1, 0, 1]) {
      if ((values[v] as number) + x < 0) continue;
      d.set(v, x);
      walk(k + 1);
    }
    d.delete(v);
  };
  walk(0);
  return hidden.filter((v) => !moved.has(v));
}

function checkRelease(
  values: readonly number[],
  released: readonly ReleasedCount[],
  relations: readonly Relation[],
  minCell: number,
) {
  const hidden: number[] = [];
  released.forEach((r, i) => {
    if (isSuppressed(r)) hidden.push(i);
    else {
      assert.equal(r, values[i], `released count ${i} differs from the truth`);
      assert.ok(r >= minCell, `released count ${i} = ${r} is below the minimum cell ${minCell}`);
    }
  });
  for (const i of values.keys())
    if ((values[i] as number) < minCell) assert.ok(hidden.includes(i), `count ${i} not withheld`);
  assert.deepEqual(linearlyDetermined(relations, hidden), [], 'a withheld count is determined by the released ones');
  for (const r of relations) {
    if (isSuppressed(released[r.total] as ReleasedCount)) continue;
    const withheld = r.parts.filter((p) => isSuppressed(released[p] as ReleasedCount));
    const mass = withheld.reduce((s, p) => s + (values[p] as number), 0);
    assert.ok(withheld.length === 0 || mass >= minCell, `a released total hides only ${mass}`);
  }
  if (hidden.length <= 9) {
    assert.deepEqual(
      pinnedByEnumeration(values, relations, hidden),
      [],
      'a withheld count is pinned by non-negativity',
    );
  }
  return hidden.length;
}

const smallOrLarge = fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 60 }));

function tableRelations(rows: number, columns: number) {
  const cell = (i: number, j: number) => i * columns + j;
  const rowTotal = (i: number) => rows * columns + i;
  const columnTotal = (j: number) => rows * columns + rows + j;
  const grand = rows * columns + rows + columns;
  const range = (n: number) => Array.from({ length: n }, (_, k) => k);
  return [
    ...range(rows).map((i) => ({ total: rowTotal(i), parts: range(columns).map((j) => cell(i, j)) })),
    ...range(columns).map((j) => ({ total: columnTotal(j), parts: range(rows).map((i) => cell(i, j)) })),
    { total: grand, parts: range(columns).map(columnTotal) },
    { total: grand, parts: range(rows).map(rowTotal) },
  ];
}

test('a count vector: small counts withheld, a second one withheld so the total does not give it away', () => {
  const out = suppressCounts([3, 10, 20, 7]);
  assert.deepEqual(out, { counts: [{ suppressed: true }, 10, 20, { suppressed: true }], total: 40 });
  const one = suppressCounts([3, 10, 20, 30]);
  assert.deepEqual(
    one.counts,
    [{ suppressed: true }, { suppressed: true }, 20, 30],
    'the smallest other count goes too',
  );
  assert.deepEqual(suppressCounts([0, 0, 50]).counts, [
    { suppressed: true },
    { suppressed: true },
    { suppressed: true },
  ]);
  assert.deepEqual(suppressCounts([6, 7, 8]), { counts: [6, 7, 8], total: 21 }, 'nothing small, nothing withheld');
});

test('the minimum cell is configurable (DataSHIELD uses 3)', () => {
  assert.deepEqual(suppressCounts([3, 4, 40], { minCell: 3 }), { counts: [3, 4, 40], total: 47 });
  assert.deepEqual(suppressCounts([2, 4, 40], { minCell: 3 }).counts, [{ suppressed: true }, { suppressed: true }, 40]);
});

test('a cross-tab: one small cell costs a rectangle of four', () => {
  const out = suppressTable([
    [3, 10, 20],
    [12, 15, 30],
    [8, 9, 40],
  ]);
  assert.deepEqual(out.cells, [
    [{ suppressed: true }, { suppressed: true }, 20],
    [12, 15, 30],
    [{ suppressed: true }, { suppressed: true }, 40],
  ]);
  assert.deepEqual(out.rowTotals, [33, 57, 57]);
  assert.deepEqual(out.columnTotals, [23, 34, 90]);
  assert.equal(out.total, 147);
});

test('property: random tables leave no small cell visible and no withheld cell recoverable', () => {
  let withheld = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 5 }),
      fc.array(smallOrLarge, { minLength: 25, maxLength: 25 }),
      fc.constantFrom(3, 5, 10),
      (rows, columns, pool, minCell) => {
        const cells = Array.from({ length: rows }, (_, i) => pool.slice(i * columns, (i + 1) * columns));
        const out = suppressTable(cells, { minCell });
        const values = [
          ...cells.flat(),
          ...cells.map((r) => r.reduce((s, v) => s + v, 0)),
          ...Array.from({ length: columns }, (_, j) => cells.reduce((s, r) => s + (r[j] as number), 0)),
          cells.flat().reduce((s, v) => s + v, 0),
        ];
        const released = [...out.cells.flat(), ...out.rowTotals, ...out.columnTotals, out.total];
        withheld += checkRelease(values, released, tableRelations(rows, columns), minCell);
      },
    ),
    { numRuns: 300 },
  );
  assert.ok(withheld > 300, 'the random tables exercised suppression');
});

test('property: random count vectors', () => {
  fc.assert(
    fc.property(fc.array(smallOrLarge, { minLength: 1, maxLength: 12 }), fc.constantFrom(3, 5), (counts, minCell) => {
      const out = suppressCounts(counts, { minCell });
      const values = [...counts, counts.reduce((s, v) => s + v, 0)];
      const relation = { total: counts.length, parts: counts.map((_, i) => i) };
      checkRelease(values, [...out.counts, out.total], [relation], minCell);
    }),
    { numRuns: 300 },
  );
});

const riskTables = fc
  .tuple(
    fc.integer({ min: 0, max: 80 }),
    fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })), {
      minLength: 1,
      maxLength: 6,
    }),
  )
  .map(([start, splits]) => {
    let atRisk = start;
    return splits.map(([leave, eventShare], k) => {
      const last = k === splits.length - 1;
      const leaving = last ? atRisk : Math.floor(atRisk * leave);
      const events = Math.floor(leaving * eventShare);
      const row = { time: k * 30, atRisk, events, censored: leaving - events };
      atRisk -= leaving;
      return row;
    });
  });

test('property: random Kaplan–Meier risk tables', () => {
  fc.assert(
    fc.property(riskTables, (table) => {
      const out = suppressRiskTable(table);
      const values = table.flatMap((r) => [r.atRisk, r.events, r.censored]);
      const relations = table.map((_, k) => ({
        total: 3 * k,
        parts: k + 1 < table.length ? [3 * k + 1, 3 * k + 2, 3 * (k + 1)] : [3 * k + 1, 3 * k + 2],
      }));
      checkRelease(
        values,
        out.flatMap((r) => [r.atRisk, r.events, r.censored]),
        relations,
        5,
      );
      assert.deepEqual(
        out.map((r) => r.time),
        table.map((r) => r.time),
      );
    }),
    { numRuns: 300 },
  );
});

test('a risk table: small event and censoring counts are withheld together', () => {
  const out = suppressRiskTable([
    { time: 0, atRisk: 50, events: 3, censored: 2 },
    { time: 30, atRisk: 45, events: 10, censored: 5 },
    { time: 60, atRisk: 30, events: 20, censored: 10 },
  ]);
  assert.deepEqual(out[0], { time: 0, atRisk: 50, events: { suppressed: true }, censored: { suppressed: true } });
  assert.deepEqual(out[1], { time: 30, atRisk: 45, events: 10, censored: 5 });
});

test('bad input is refused with the field and value named', () => {
  const refused = (fn: () => unknown, code: string, text: RegExp) =>
    assert.throws(fn, (e: unknown) => isMeridianError(e) && e.code === code && text.test(e.message));
  refused(() => suppressCounts([1, -2]), 'MER_DISCLOSURE_INVALID_INPUT', /counts\[1\].*-2/);
  refused(() => suppressCounts([1.5]), 'MER_DISCLOSURE_INVALID_INPUT', /counts\[0\].*1\.5/);
  refused(() => suppressTable([[1, 2], [3]]), 'MER_DISCLOSURE_INVALID_INPUT', /table\[1\]\.length/);
  refused(() => suppressTable([]), 'MER_DISCLOSURE_INVALID_INPUT', /at least one row/);
  refused(() => suppressCounts([1], { minCell: 0 }), 'MER_DISCLOSURE_INVALID_OPTION', /minCell.*0/);
  refused(
    () =>
      suppressRiskTable([
        { time: 0, atRisk: 10, events: 1, censored: 1 },
        { time: 1, atRisk: 9, events: 9, censored: 0 },
      ]),
    'MER_DISCLOSURE_INVALID_INPUT',
    /riskTable\[1\]\.atRisk.*9/,
  );
  refused(
    () => suppressRiskTable([{ time: 0, atRisk: 10, events: 1, censored: 1 }]),
    'MER_DISCLOSURE_INVALID_INPUT',
    /events \+ censored/,
  );
  refused(
    () =>
      suppressRiskTable([
        { time: 5, atRisk: 2, events: 1, censored: 0 },
        { time: 5, atRisk: 1, events: 1, censored: 0 },
      ]),
    'MER_DISCLOSURE_INVALID_INPUT',
    /riskTable\[1\]\.time/,
  );
});
