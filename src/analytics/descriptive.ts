/**
 * Mergeable descriptive statistics: each node summarizes its own values, the hub merges the summaries, and
 * the merge equals (moments) or bounds (quantiles) the summary of the pooled values.
 *
 * - Moments: count, missing, mean, sum of squared deviations (Welford within a node, Chan et al.'s parallel
 *   formula across nodes), min and max.
 * - Quantiles: a deterministic compactor sketch (the MRL/KLL family with equal capacities and alternating
 *   compaction offsets instead of coin flips). Compacting a sorted run of items of weight w into every
 *   other item of weight 2w moves any rank by at most w, so the sketch carries the exact sum of those
 *   worst cases, `rankErrorMax`: every reported quantile's true rank is within it of the requested rank.
 *   A priori, rankErrorMax ≤ n·L/(k − 1) with L = ⌊log2(n/(k − 1))⌋ + 1 levels that compacted (about
 *   1% of n for k = 1024 and n = 10⁶); observed errors are far smaller. Until k values arrive nothing
 *   is compacted and quantiles are exact. Same inputs in the same order give the same sketch.
 * - Histograms over bin edges every node agreed on (node counts, hub sums) and cross-tabulations.
 */
import { MeridianError } from '../errors/registry.ts';

/** Default compactor capacity k of a quantile sketch. */
export const SKETCH_CAPACITY_DEFAULT = 1024;
/** Smallest capacity accepted. */
export const SKETCH_CAPACITY_MIN = 8;
/** Largest capacity accepted. */
export const SKETCH_CAPACITY_MAX = 65_536;
/** Most levels a sketch may have (2^60 values is beyond any data set). */
const SKETCH_LEVELS_MAX = 60;
/** Most bins of a histogram. */
export const HISTOGRAM_BINS_MAX = 10_000;
/** Most variables of a cross-tabulation. */
export const CROSSTAB_VARIABLES_MAX = 8;
/** Most cells of a cross-tabulation. */
export const CROSSTAB_CELLS_MAX = 100_000;

/** A value of a numeric variable: null or undefined is missing. */
export type NumericValue = number | null | undefined;

/** Mergeable moments of one variable. */
export interface Moments {
  /** Non-missing values. */
  n: number;
  missing: number;
  mean: number;
  /** Σ (x − mean)². */
  m2: number;
  min: number | null;
  max: number | null;
}

/** Moments as a report shows them. */
export interface MomentsReport {
  n: number;
  missing: number;
  mean: number | null;
  /** Sample variance (n − 1 denominator); null below 2 values. */
  variance: number | null;
  sd: number | null;
  min: number | null;
  max: number | null;
}

/** A deterministic mergeable quantile sketch (plain data, safe to send as JSON). */
export interface QuantileSketch {
  /** Compactor capacity. */
  k: number;
  /** Values summarized. */
  n: number;
  /** levels[h] holds items of weight 2^h, unsorted. */
  levels: number[][];
  /** Compactions done per level (their parity picks the kept half). */
  compactions: number[];
  /** Worst-case rank error of any quantile: the sum of the weights of all compactions. */
  rankErrorMax: number;
  min: number | null;
  max: number | null;
}

/** One reported quantile: the value and the most its rank can be off (0 when exact). */
export interface QuantileEstimate {
  q: number;
  value: number | null;
  rankErrorMax: number;
}

/** Counts over agreed bin edges: [e0, e1), [e1, e2), …, [e(k−1), ek] (the last bin closed). */
export interface Histogram {
  edges: number[];
  counts: number[];
  below: number;
  above: number;
  missing: number;
}

/** A category of a cross-tabulated variable (null is its own, missing, category). */
export type Category = string | number | boolean | null;

/** Counts by combination of categories, cells sorted by key. */
export interface CrossTab {
  variables: number;
  cells: { key: Category[]; count: number }[];
}

/** A node's numeric summary: moments and a quantile sketch. */
export interface NumericSummary {
  moments: Moments;
  sketch: QuantileSketch;
}

function invalid(message: string, details?: Record<string, unknown>): MeridianError {
  return new MeridianError('MER_ANALYTICS_INVALID_INPUT', message, details);
}

function badPart(message: string, details?: Record<string, unknown>): MeridianError {
  return new MeridianError('MER_ANALYTICS_BAD_PART', message, details);
}

function checkValue(value: NumericValue, i: number): value is number {
  if (value === null || value === undefined) return false;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalid(`value ${i} must be a finite number, null or undefined; got ${String(value)}`, { index: i });
  return true;
}

/** One node's moments by Welford's update (null and undefined count as missing). */
export function summarizeMoments(values: readonly NumericValue[]): Moments {
  if (!Array.isArray(values)) throw invalid('values must be an array');
  let n = 0;
  let missing = 0;
  let mean = 0;
  let m2 = 0;
  let min: number | null = null;
  let max: number | null = null;
  values.forEach((value, i) => {
    if (!checkValue(value, i)) {
      missing++;
      return;
    }
    n++;
    const delta = value - mean;
    mean += delta / n;
    m2 += delta * (value - mean);
    if (min === null || value < min) min = value;
    if (max === null || value > max) max = value;
  });
  return { n, missing, mean, m2, min, max };
}

function checkMoments(m: Moments, node: number): void {
  const ok =
    m !== null &&
    typeof m === 'object' &&
    Number.isInteger(m.n) &&
    m.n >= 0 &&
    Number.isInteger(m.missing) &&
    m.missing >= 0 &&
    Number.isFinite(m.mean) &&
    Number.isFinite(m.m2) &&
    m.m2 >= 0 &&
    (m.n === 0 ? m.min === null && m.max === null : Number.isFinite(m.min) && Number.isFinite(m.max));
  if (!ok) throw badPart(`node ${node}: moments must have whole counts, finite mean and m2 ≥ 0, and min/max`, { node });
}

/** Chan et al.'s pairwise merge: the moments of the union of the two value sets. */
export function mergeMoments(a: Moments, b: Moments): Moments {
  if (a.n === 0) return { ...b, missing: a.missing + b.missing };
  if (b.n === 0) return { ...a, missing: a.missing + b.missing };
  const n = a.n + b.n;
  const delta = b.mean - a.mean;
  return {
    n,
    missing: a.missing + b.missing,
    mean: a.mean + (delta * b.n) / n,
    m2: a.m2 + b.m2 + (delta * delta * a.n * b.n) / n,
    min: Math.min(a.min as number, b.min as number),
    max: Math.max(a.max as number, b.max as number),
  };
}

/** Merges the nodes' moments in order, after checking each is well formed. */
export function mergeAllMoments(parts: readonly Moments[]): Moments {
  if (!Array.isArray(parts as unknown) || parts.length === 0) throw badPart('no moments to merge');
  parts.forEach(checkMoments);
  return parts.reduce(mergeMoments);
}

/** Mean, sample variance and SD of merged moments. */
export function reportMoments(m: Moments): MomentsReport {
  const variance = m.n >= 2 ? m.m2 / (m.n - 1) : null;
  return {
    n: m.n,
    missing: m.missing,
    mean: m.n > 0 ? m.mean : null,
    variance,
    sd: variance === null ? null : Math.sqrt(variance),
    min: m.min,
    max: m.max,
  };
}

function checkCapacity(k: number): void {
  if (!Number.isInteger(k) || k < SKETCH_CAPACITY_MIN || k > SKETCH_CAPACITY_MAX || k % 2 !== 0)
    throw invalid(
      `sketch capacity k must be an even whole number from ${SKETCH_CAPACITY_MIN} to ${SKETCH_CAPACITY_MAX}; got ${k}`,
      {
        field: 'k',
      },
    );
}

/** Compacts every level at or over capacity, bottom up; mutates the (private, freshly built) sketch. */
function compact(sketch: QuantileSketch): void {
  for (let h = 0; h < sketch.levels.length; h++) {
    const level = sketch.levels[h] as number[];
    if (level.length < sketch.k) continue;
    if (h + 1 >= SKETCH_LEVELS_MAX) throw invalid(`a sketch holds at most 2^${SKETCH_LEVELS_MAX} values`);
    level.sort((a, b) => a - b);
    const even = level.length - (level.length % 2);
    const offset = (sketch.compactions[h] as number) % 2;
    if (sketch.levels[h + 1] === undefined) {
      sketch.levels.push([]);
      sketch.compactions.push(0);
    }
    const up = sketch.levels[h + 1] as number[];
    for (let i = offset; i < even; i += 2) up.push(level[i] as number);
    sketch.levels[h] = level.slice(even);
    sketch.compactions[h] = (sketch.compactions[h] as number) + 1;
    sketch.rankErrorMax += 2 ** h;
  }
}

/** A node's quantile sketch of its non-missing values (capacity k, default 1024). */
export function buildQuantileSketch(
  values: readonly NumericValue[],
  k: number = SKETCH_CAPACITY_DEFAULT,
): QuantileSketch {
  checkCapacity(k);
  if (!Array.isArray(values)) throw invalid('values must be an array');
  const sketch: QuantileSketch = { k, n: 0, levels: [[]], compactions: [0], rankErrorMax: 0, min: null, max: null };
  values.forEach((value, i) => {
    if (!checkValue(value, i)) return;
    (sketch.levels[0] as number[]).push(value);
    sketch.n++;
    if (sketch.min === null || value < sketch.min) sketch.min = value;
    if (sketch.max === null || value > sketch.max) sketch.max = value;
    if ((sketch.levels[0] as number[]).length >= k) compact(sketch);
  });
  return sketch;
}

function checkSketch(s: QuantileSketch, k: number, node: number): void {
  const shaped =
    s !== null &&
    typeof s === 'object' &&
    s.k === k &&
    Number.isInteger(s.n) &&
    s.n >= 0 &&
    Array.isArray(s.levels) &&
    Array.isArray(s.compactions) &&
    s.levels.length === s.compactions.length &&
    s.levels.length >= 1 &&
    s.levels.length <= SKETCH_LEVELS_MAX &&
    Number.isFinite(s.rankErrorMax) &&
    s.rankErrorMax >= 0;
  if (!shaped)
    throw badPart(`node ${node}: a sketch must have capacity ${k}, whole counts and matching levels`, { node });
  let weight = 0;
  s.levels.forEach((level, h) => {
    if (!Array.isArray(level) || !level.every(Number.isFinite) || !Number.isInteger(s.compactions[h]))
      throw badPart(`node ${node}: sketch level ${h} must hold finite numbers`, { node });
    weight += level.length * 2 ** h;
  });
  if (weight !== s.n)
    throw badPart(`node ${node}: the sketch's weights add to ${weight}, not its n = ${s.n}`, { node });
}

/** Merges the nodes' sketches (same k): levels concatenated, errors added, then compacted. */
export function mergeQuantileSketches(parts: readonly QuantileSketch[]): QuantileSketch {
  if (!Array.isArray(parts as unknown) || parts.length === 0) throw badPart('no sketches to merge');
  const k = (parts[0] as QuantileSketch).k;
  checkCapacity(k);
  for (const [node, s] of parts.entries()) checkSketch(s, k, node);
  const height = Math.max(...parts.map((s) => s.levels.length));
  const merged: QuantileSketch = {
    k,
    n: 0,
    levels: Array.from({ length: height }, () => []),
    compactions: new Array<number>(height).fill(0),
    rankErrorMax: 0,
    min: null,
    max: null,
  };
  for (const s of parts) {
    merged.n += s.n;
    merged.rankErrorMax += s.rankErrorMax;
    s.levels.forEach((level, h) => {
      (merged.levels[h] as number[]).push(...level);
      merged.compactions[h] = (merged.compactions[h] as number) + (s.compactions[h] as number);
    });
    if (s.min !== null && (merged.min === null || s.min < merged.min)) merged.min = s.min;
    if (s.max !== null && (merged.max === null || s.max > merged.max)) merged.max = s.max;
  }
  compact(merged);
  return merged;
}

/**
 * Quantiles of a sketch as the type-1 (inverse empirical CDF) definition: the smallest value whose rank
 * reaches ⌈q·n⌉. q = 0 and q = 1 give the exact min and max.
 */
export function sketchQuantiles(sketch: QuantileSketch, qs: readonly number[]): QuantileEstimate[] {
  checkSketch(sketch, sketch.k, 0);
  const items: { value: number; weight: number }[] = [];
  sketch.levels.forEach((level, h) => {
    for (const value of level) items.push({ value, weight: 2 ** h });
  });
  items.sort((a, b) => a.value - b.value);
  return qs.map((q) => {
    if (!(q >= 0 && q <= 1)) throw invalid(`a quantile must be between 0 and 1; got ${q}`, { field: 'q' });
    if (sketch.n === 0) return { q, value: null, rankErrorMax: 0 };
    if (q === 0) return { q, value: sketch.min, rankErrorMax: 0 };
    if (q === 1) return { q, value: sketch.max, rankErrorMax: 0 };
    const target = Math.max(1, Math.ceil(q * sketch.n));
    let cumulative = 0;
    for (const item of items) {
      cumulative += item.weight;
      if (cumulative >= target) return { q, value: item.value, rankErrorMax: sketch.rankErrorMax };
    }
    return { q, value: sketch.max, rankErrorMax: sketch.rankErrorMax };
  });
}

/** A node's numeric summary: moments and a quantile sketch in one pass's worth of input. */
export function summarizeNumeric(values: readonly NumericValue[], k: number = SKETCH_CAPACITY_DEFAULT): NumericSummary {
  return { moments: summarizeMoments(values), sketch: buildQuantileSketch(values, k) };
}

/** Merges the nodes' numeric summaries. */
export function mergeNumericSummaries(parts: readonly NumericSummary[]): NumericSummary {
  if (!Array.isArray(parts as unknown) || parts.length === 0) throw badPart('no summaries to merge');
  return {
    moments: mergeAllMoments(parts.map((p) => p.moments)),
    sketch: mergeQuantileSketches(parts.map((p) => p.sketch)),
  };
}

function checkEdges(edges: readonly number[]): void {
  if (!Array.isArray(edges) || edges.length < 2 || edges.length > HISTOGRAM_BINS_MAX + 1)
    throw invalid(`bin edges must be 2 to ${HISTOGRAM_BINS_MAX + 1} numbers`, { field: 'edges' });
  edges.forEach((e, i) => {
    if (!Number.isFinite(e) || (i > 0 && !(e > (edges[i - 1] as number))))
      throw invalid(`bin edges must be finite and strictly increasing; edges[${i}] = ${e}`, {
        field: 'edges',
        index: i,
      });
  });
}

/** A node's histogram over the agreed edges (values outside are counted below/above, never dropped silently). */
export function histogram(values: readonly NumericValue[], edges: readonly number[]): Histogram {
  checkEdges(edges);
  if (!Array.isArray(values)) throw invalid('values must be an array');
  const bins = edges.length - 1;
  const counts = new Array<number>(bins).fill(0);
  let below = 0;
  let above = 0;
  let missing = 0;
  const last = edges[bins] as number;
  values.forEach((value, i) => {
    if (!checkValue(value, i)) {
      missing++;
      return;
    }
    if (value < (edges[0] as number)) below++;
    else if (value > last) above++;
    else {
      let low = 0;
      let high = bins - 1;
      while (low < high) {
        const middle = (low + high + 1) >> 1;
        if ((edges[middle] as number) <= value) low = middle;
        else high = middle - 1;
      }
      counts[low] = (counts[low] as number) + 1;
    }
  });
  return { edges: [...edges], counts, below, above, missing };
}

/** Sums the nodes' histograms, which must share the same edges. */
export function mergeHistograms(parts: readonly Histogram[]): Histogram {
  if (!Array.isArray(parts as unknown) || parts.length === 0) throw badPart('no histograms to merge');
  const edges = (parts[0] as Histogram).edges;
  checkEdges(edges);
  const merged: Histogram = {
    edges: [...edges],
    counts: new Array<number>(edges.length - 1).fill(0),
    below: 0,
    above: 0,
    missing: 0,
  };
  const whole = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  parts.forEach((h, node) => {
    if (
      h === null ||
      typeof h !== 'object' ||
      !Array.isArray(h.edges as unknown) ||
      h.edges.length !== edges.length ||
      h.edges.some((e, i) => e !== edges[i])
    )
      throw badPart(`node ${node}: the histogram has other bin edges than node 0`, { node });
    if (
      !Array.isArray(h.counts as unknown) ||
      h.counts.length !== edges.length - 1 ||
      !h.counts.every(whole) ||
      ![h.below, h.above, h.missing].every(whole)
    )
      throw badPart(`node ${node}: histogram counts must be whole numbers ≥ 0, one per bin`, { node });
    h.counts.forEach((c, i) => {
      merged.counts[i] = (merged.counts[i] as number) + c;
    });
    merged.below += h.below;
    merged.above += h.above;
    merged.missing += h.missing;
  });
  return merged;
}

function checkCategory(value: unknown, variable: number, row: number): Category {
  if (value === undefined) return null;
  if (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  )
    return value;
  throw invalid(
    `variable ${variable}, row ${row}: a category must be a string, finite number, boolean or null; got ${String(value)}`,
    {
      variable,
      row,
    },
  );
}

function toCrossTab(variables: number, cells: Map<string, { key: Category[]; count: number }>): CrossTab {
  if (cells.size > CROSSTAB_CELLS_MAX)
    throw invalid(`a cross-tabulation holds at most ${CROSSTAB_CELLS_MAX} cells; got ${cells.size}`);
  return {
    variables,
    cells: [...cells.keys()].sort().map((id) => cells.get(id) as { key: Category[]; count: number }),
  };
}

/** A node's cross-tabulation: counts by combination of categories of the given columns (one array per variable). */
export function crossTab(columns: readonly (readonly unknown[])[]): CrossTab {
  if (!Array.isArray(columns) || columns.length < 1 || columns.length > CROSSTAB_VARIABLES_MAX)
    throw invalid(`a cross-tabulation takes 1 to ${CROSSTAB_VARIABLES_MAX} variables`, { field: 'columns' });
  const rows = (columns[0] as readonly unknown[]).length;
  columns.forEach((column, v) => {
    if (!Array.isArray(column) || column.length !== rows)
      throw invalid(
        `variable ${v} has ${Array.isArray(column) ? column.length : 'no'} values; variable 0 has ${rows}`,
        {
          variable: v,
        },
      );
  });
  const cells = new Map<string, { key: Category[]; count: number }>();
  for (let i = 0; i < rows; i++) {
    const key = columns.map((column, v) => checkCategory(column[i], v, i));
    const id = JSON.stringify(key);
    const cell = cells.get(id);
    if (cell === undefined) cells.set(id, { key, count: 1 });
    else cell.count++;
  }
  return toCrossTab(columns.length, cells);
}

/** Sums the nodes' cross-tabulations of the same variables cell by cell. */
export function mergeCrossTabs(parts: readonly CrossTab[]): CrossTab {
  if (!Array.isArray(parts as unknown) || parts.length === 0) throw badPart('no cross-tabulations to merge');
  const variables = (parts[0] as CrossTab).variables;
  const cells = new Map<string, { key: Category[]; count: number }>();
  parts.forEach((part, node) => {
    if (part === null || typeof part !== 'object' || part.variables !== variables || !Array.isArray(part.cells))
      throw badPart(`node ${node}: expected a cross-tabulation of ${variables} variables`, { node });
    for (const cell of part.cells) {
      if (
        !Array.isArray(cell?.key as unknown) ||
        cell.key.length !== variables ||
        !Number.isInteger(cell.count) ||
        cell.count < 0
      )
        throw badPart(`node ${node}: each cell needs a key of ${variables} categories and a whole count ≥ 0`, { node });
      const key = cell.key.map((c, v) => {
        try {
          return checkCategory(c, v, 0);
        } catch {
          throw badPart(`node ${node}: a cell key holds a category that is not allowed`, { node });
        }
      });
      const id = JSON.stringify(key);
      const existing = cells.get(id);
      if (existing === undefined) cells.set(id, { key, count: cell.count });
      else existing.count += cell.count;
    }
  });
  return toCrossTab(variables, cells);
}
