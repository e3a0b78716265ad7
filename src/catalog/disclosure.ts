/**
 * Disclosure control of the catalog's aggregates, as pure functions: no count between 1 and the consortium's
 * minimum cell size minus one is ever shown, and no such count can be worked out from the ones that are.
 *
 * A set of cells whose total is published (the categories of a field and its non-null count, the bins of a
 * histogram) gets primary suppression (each small cell hidden) and then secondary suppression: while the hidden
 * cells add up to less than the minimum cell (so total minus the shown cells would reveal a small count), the
 * smallest shown cell is hidden too. Labels of hidden categories are not shown either (that a rare code occurs
 * at a hospital is itself a small count).
 */
import assert from 'node:assert/strict';

/** Categories shown per field at most (the rest are summed as "other"). */
export const TOP_CATEGORIES_MAX = 20;
/** Years shown per date field at most (the rest are summed as "other"). */
export const YEARS_MAX = 150;
/** Bins a numeric histogram aims at between its lower and upper bound (plus one open bin each side). */
export const HISTOGRAM_BINS_TARGET = 12;

/** A count as released: the count, or null when it is under the minimum cell (0 is shown: it reveals no one). */
export function suppressCount(count: number, minCell: number): number | null {
  assert.ok(Number.isSafeInteger(count) && count >= 0, `a count is a non-negative integer, got ${count}`);
  return count > 0 && count < minCell ? null : count;
}

/**
 * Cells whose total is published, with every count under `minCell` hidden (null) and, while the hidden cells
 * sum to less than `minCell`, the smallest shown non-zero cell hidden too. Cells that stay visible are unchanged.
 */
export function suppressCells(counts: readonly number[], minCell: number): (number | null)[] {
  for (const c of counts) assert.ok(Number.isSafeInteger(c) && c >= 0, `a count is a non-negative integer, got ${c}`);
  const out: (number | null)[] = counts.map((c) => suppressCount(c, minCell));
  let hidden = counts.reduce((sum, c, i) => (out[i] === null ? sum + c : sum), 0);
  while (hidden > 0 && hidden < minCell) {
    let smallest = -1;
    for (let i = 0; i < counts.length; i++) {
      const shown = out[i];
      if (shown === null || shown === undefined || shown === 0) continue;
      if (smallest < 0 || shown < (counts[smallest] as number)) smallest = i;
    }
    if (smallest < 0) break;
    hidden += counts[smallest] as number;
    out[smallest] = null;
  }
  return out;
}

/** One category's count as released. */
export interface CategoryCount {
  value: string;
  count: number;
}

/** A field's top values: categories shown (each ≥ min cell) and everything else summed (null when hidden). */
export interface CategoriesDistribution {
  kind: 'categories' | 'years';
  categories: CategoryCount[];
  /** Rows in categories not shown (beyond the top ones, or hidden); null when that sum itself is hidden. */
  other: number | null;
}

/**
 * Shapes a field's value counts for release: the `topMax` most frequent values are candidates, the rest form
 * one "other" cell, then {@link suppressCells} runs over all of them (the field's non-null count is published,
 * so the cells' total is known). `counts` holds a node's most frequent values; `nonNull` every non-null row.
 */
export function shapeCategories(opts: {
  kind: 'categories' | 'years';
  counts: readonly CategoryCount[];
  nonNull: number;
  minCell: number;
  topMax: number;
}): CategoriesDistribution {
  const sorted = [...opts.counts].filter((c) => c.count > 0).sort((a, b) => b.count - a.count);
  const top = sorted.slice(0, opts.topMax);
  const topSum = top.reduce((s, c) => s + c.count, 0);
  assert.ok(topSum <= opts.nonNull, `categories add up to ${topSum}, more than the ${opts.nonNull} non-null rows`);
  const cells = suppressCells([...top.map((c) => c.count), opts.nonNull - topSum], opts.minCell);
  const categories = top.flatMap((c, i) => (cells[i] === null ? [] : [{ value: c.value, count: c.count }]));
  const shownSum = categories.reduce((s, c) => s + c.count, 0);
  const rest = opts.nonNull - shownSum;
  const other = cells.some((c) => c === null) ? suppressCount(rest, opts.minCell) : rest;
  if (opts.kind === 'years') categories.sort((a, b) => a.value.localeCompare(b.value));
  return { kind: opts.kind, categories, other };
}

/** Nice histogram bounds: `bins` bins of width `width` from `lo` (every bound a round number). */
export interface BinPlan {
  lo: number;
  width: number;
  bins: number;
}

/**
 * Bins between two quantiles of a field, rounded to 1, 2 or 5 × a power of ten, so that no bound is a
 * patient's own value. Equal quantiles (a constant field) get one bin of width 1 around them.
 */
export function planBins(low: number, high: number, target = HISTOGRAM_BINS_TARGET): BinPlan {
  assert.ok(Number.isFinite(low) && Number.isFinite(high) && low <= high, `bad bounds ${low}, ${high}`);
  const span = high - low;
  // A span too small for double precision around its bounds is treated as a constant field.
  const floor = 1e-9 * Math.max(Math.abs(low), Math.abs(high), 1e-3);
  const raw = span > floor ? span / target : 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((w) => w >= raw) ?? 10 * power;
  const width = Number(step.toPrecision(12));
  const lo = Number((Math.floor(low / width) * width).toPrecision(12));
  const bins = Math.max(1, Math.ceil((high - lo) / width + (span > floor ? 0 : 1)));
  return { lo, width, bins };
}

/** One histogram bin as released: [from, to), an open end is null; `count` null when hidden. */
export interface HistogramBin {
  from: number | null;
  to: number | null;
  count: number | null;
}

/** A numeric field's histogram. */
export interface HistogramDistribution {
  kind: 'histogram';
  bins: HistogramBin[];
}

/**
 * A histogram for release from per-bin counts: index -1 is the open bin below `plan.lo`, `plan.bins` the open
 * bin above the last bound; empty open bins are dropped; counts go through {@link suppressCells}.
 */
export function shapeHistogram(
  plan: BinPlan,
  counts: ReadonlyMap<number, number>,
  minCell: number,
): HistogramDistribution {
  const edge = (i: number) => Number((plan.lo + i * plan.width).toPrecision(12));
  const slots: { from: number | null; to: number | null; count: number }[] = [];
  const under = counts.get(-1) ?? 0;
  if (under > 0) slots.push({ from: null, to: plan.lo, count: under });
  for (let i = 0; i < plan.bins; i++) slots.push({ from: edge(i), to: edge(i + 1), count: counts.get(i) ?? 0 });
  const over = counts.get(plan.bins) ?? 0;
  if (over > 0) slots.push({ from: edge(plan.bins), to: null, count: over });
  const cells = suppressCells(
    slots.map((s) => s.count),
    minCell,
  );
  return { kind: 'histogram', bins: slots.map((s, i) => ({ from: s.from, to: s.to, count: cells[i] ?? null })) };
}
