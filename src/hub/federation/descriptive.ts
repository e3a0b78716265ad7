/**
 * The hub's side of federated descriptive statistics: one key round, one data round whose masked vectors sum to
 * the pooled sums of every variable (src/federation/analyses/descriptive.ts), then what may be released of them.
 *
 *   round 0   keys
 *   round 1   { keys } ──► Σ masked = pooled [rows, per numeric: n, missing, Σ(x−c), Σ(x−c)², histogram,
 *                                              per categorical: levels, other, missing] ──► releaseDescriptive
 *
 * ## What is released
 * - The cohort's size (each hospital refused below the minimum cell, so the pool is above it).
 * - Numeric: the counts missing, n, below the range, per bin and above the range, under the minimum cell with
 *   secondary suppression over both relations rows = missing + n and n = below + bins + above (the engine of
 *   src/federation/disclosure); mean and SD when the pooled n reaches the minimum cell (from the shifted sums,
 *   which equal the pooled moments); never the minimum or maximum. Each quantile is reported as the bin that holds
 *   it — a bound, which the released counts only narrow — and as a value interpolated in that bin only when the
 *   counts the interpolation reads (n, the bin, and every part before it or every part after it) are released,
 *   so the value reveals nothing the counts do not.
 * - Categorical: counts per declared level, other values and missing, under the minimum cell with secondary
 *   suppression (their total, the cohort size, is released).
 * If the engine would need to withhold the cohort size itself, every count of that variable is withheld instead
 * (withholding more never exposes a count).
 */

import { MeridianError } from '../../errors/registry.ts';
import {
  type DescriptiveParameters,
  descriptivePlan,
  histogramEdges,
  shiftOf,
} from '../../federation/analyses/descriptive.ts';
import { minCellOf, type ReleasedCount } from '../../federation/disclosure/cell-suppression.ts';
import { planSuppression, type SumRelation } from '../../federation/disclosure/suppression-plan.ts';
import type { FederatedTask } from '../../federation/protocol.ts';
import { keyRound, type MaskedRoundDeps, maskedSumRound, type Partiality } from './masked-rounds.ts';

/** A numeric variable's pooled sums, as the hub decodes them (never released as such). */
export interface PooledNumeric {
  readonly column: string;
  readonly histogram: { readonly min: number; readonly max: number; readonly bins: number };
  readonly n: number;
  readonly missing: number;
  /** Σ (x − c) and Σ (x − c)² around the range's midpoint c. */
  readonly s1: number;
  readonly s2: number;
  readonly below: number;
  readonly counts: readonly number[];
  readonly above: number;
}

/** A categorical variable's pooled counts. */
export interface PooledCategorical {
  readonly column: string;
  readonly levels: readonly string[];
  readonly counts: readonly number[];
  readonly other: number;
  readonly missing: number;
}

/** Every pooled sum of a descriptive task. */
export interface PooledDescriptive {
  readonly rows: number;
  readonly numeric: readonly PooledNumeric[];
  readonly categorical: readonly PooledCategorical[];
}

/** One quantile: the bin holding it (null ends are outside the agreed range) and, when allowed, its value. */
export interface ReleasedQuantile {
  readonly q: number;
  readonly lower: number | null;
  readonly upper: number | null;
  readonly value: number | null;
}

/** A numeric variable as released. */
export interface ReleasedNumeric {
  readonly column: string;
  readonly n: ReleasedCount;
  readonly missing: ReleasedCount;
  readonly mean: number | null;
  readonly sd: number | null;
  readonly histogram: {
    readonly edges: readonly number[];
    readonly below: ReleasedCount;
    readonly counts: readonly ReleasedCount[];
    readonly above: ReleasedCount;
  };
  readonly quantiles: readonly ReleasedQuantile[];
}

/** A categorical variable as released. */
export interface ReleasedCategorical {
  readonly column: string;
  readonly levels: readonly { readonly level: string; readonly count: ReleasedCount }[];
  readonly other: ReleasedCount;
  readonly missing: ReleasedCount;
}

/** The released descriptive statistics. */
export interface ReleasedDescriptive {
  readonly minCell: number;
  readonly rows: ReleasedCount;
  readonly numeric: readonly ReleasedNumeric[];
  readonly categorical: readonly ReleasedCategorical[];
}

/** A federated descriptive analysis as the researcher sees it, with the rounds it took. */
export type FederatedDescriptive = ReleasedDescriptive & Partiality & { readonly rounds: number };

const SUPPRESSED: { readonly suppressed: true } = Object.freeze({ suppressed: true });

function bad(message: string): MeridianError {
  return new MeridianError('MER_FED_BAD_ANSWER', message);
}

function whole(value: number, what: string): number {
  const n = Math.round(value);
  if (!(n >= 0) || Math.abs(value - n) > 1e-6) throw bad(`the summed ${what} is not a whole count ≥ 0`);
  return n;
}

/** Decodes a summed vector into the pooled sums, checking that the counts add up. */
export function descriptiveFromSums(sum: readonly number[], plan: DescriptiveParameters): PooledDescriptive {
  let at = 0;
  const next = () => sum[at++] as number;
  const count = (what: string) => whole(next(), what);
  const rows = count('cohort size');
  const numeric = plan.numeric.map((v): PooledNumeric => {
    const n = count(`${v.column} n`);
    const missing = count(`${v.column} missing`);
    const s1 = next();
    const s2 = next();
    const below = count(`${v.column} below`);
    const counts = Array.from({ length: v.histogram.bins }, (_, i) => count(`${v.column} bin ${i}`));
    const above = count(`${v.column} above`);
    if (n + missing !== rows || below + counts.reduce((s, c) => s + c, 0) + above !== n) {
      throw bad(`the summed counts of ${v.column} do not add up: a hospital sent garbage`);
    }
    return { column: v.column, histogram: v.histogram, n, missing, s1, s2, below, counts, above };
  });
  const categorical = plan.categorical.map((v): PooledCategorical => {
    const counts = v.levels.map((level) => count(`${v.column}=${level}`));
    const other = count(`${v.column} other`);
    const missing = count(`${v.column} missing`);
    if (counts.reduce((s, c) => s + c, 0) + other + missing !== rows) {
      throw bad(`the summed counts of ${v.column} do not add up: a hospital sent garbage`);
    }
    return { column: v.column, levels: v.levels, counts, other, missing };
  });
  if (at !== sum.length) throw bad('the descriptive vector has another length than its variables');
  return { rows, numeric, categorical };
}

/** Withheld flags for `values` under `relations`; everything but the cohort size (index 0) if the engine wants it. */
function suppression(values: readonly number[], relations: readonly SumRelation[], minCell: number): boolean[] {
  const withheld = planSuppression(values, relations, minCell);
  return withheld[0] ? values.map((_, i) => i !== 0) : withheld;
}

function quantile(v: PooledNumeric, released: readonly boolean[], nReleased: boolean, q: number): ReleasedQuantile {
  // Parts in order: below, bins, above; released[k] says whether part k is released.
  const parts = [v.below, ...v.counts, v.above];
  const edges = histogramEdges(v.histogram);
  const r = q * v.n;
  let cumulative = 0;
  let i = 0;
  while (i < parts.length - 1 && cumulative + (parts[i] as number) < r) cumulative += parts[i++] as number;
  if (i === 0) return { q, lower: null, upper: v.histogram.min, value: null };
  if (i === parts.length - 1) return { q, lower: v.histogram.max, upper: null, value: null };
  const lower = edges[i - 1] as number;
  const upper = edges[i] as number;
  const readable =
    nReleased && released[i] === true && (released.slice(0, i).every(Boolean) || released.slice(i + 1).every(Boolean));
  const value = readable ? lower + ((r - cumulative) / (parts[i] as number)) * (upper - lower) : null;
  return { q, lower, upper, value };
}

function releaseNumeric(v: PooledNumeric, rows: number, minCell: number, qs: readonly number[]): ReleasedNumeric {
  const bins = v.counts.length;
  // values: rows, missing, n, below, bins…, above
  const values = [rows, v.missing, v.n, v.below, ...v.counts, v.above];
  const parts = Array.from({ length: bins + 2 }, (_, k) => 3 + k);
  const withheld = suppression(
    values,
    [
      { total: 0, parts: [1, 2] },
      { total: 2, parts },
    ],
    minCell,
  );
  const at = (i: number): ReleasedCount => (withheld[i] ? SUPPRESSED : (values[i] as number));
  const enough = v.n >= minCell;
  const c = shiftOf(v.histogram);
  const variance = v.n >= 2 ? Math.max(0, (v.s2 - (v.s1 * v.s1) / v.n) / (v.n - 1)) : null;
  const partReleased = parts.map((i) => !withheld[i]);
  return {
    column: v.column,
    n: at(2),
    missing: at(1),
    mean: enough ? c + v.s1 / v.n : null,
    sd: enough && variance !== null ? Math.sqrt(variance) : null,
    histogram: {
      edges: histogramEdges(v.histogram),
      below: at(3),
      counts: v.counts.map((_, k) => at(4 + k)),
      above: at(4 + bins),
    },
    quantiles: enough ? qs.map((q) => quantile(v, partReleased, !withheld[2], q)) : [],
  };
}

function releaseCategorical(v: PooledCategorical, rows: number, minCell: number): ReleasedCategorical {
  const values = [rows, ...v.counts, v.other, v.missing];
  const withheld = suppression(values, [{ total: 0, parts: values.slice(1).map((_, k) => k + 1) }], minCell);
  const at = (i: number): ReleasedCount => (withheld[i] ? SUPPRESSED : (values[i] as number));
  return {
    column: v.column,
    levels: v.levels.map((level, k) => ({ level, count: at(1 + k) })),
    other: at(1 + v.levels.length),
    missing: at(2 + v.levels.length),
  };
}

/** Releases pooled descriptive sums under the minimum cell (pure; see the module comment). */
export function releaseDescriptive(
  pooled: PooledDescriptive,
  opts: { minCell: number; quantiles: readonly number[] },
): ReleasedDescriptive {
  const minCell = minCellOf({ minCell: opts.minCell });
  if (pooled.rows < minCell) return { minCell, rows: SUPPRESSED, numeric: [], categorical: [] };
  return {
    minCell,
    rows: pooled.rows,
    numeric: pooled.numeric.map((v) => releaseNumeric(v, pooled.rows, minCell, opts.quantiles)),
    categorical: pooled.categorical.map((v) => releaseCategorical(v, pooled.rows, minCell)),
  };
}

/** Runs an authorized descriptive task on every hospital of the task and releases the pooled statistics. */
export async function runFederatedDescriptive(
  deps: MaskedRoundDeps,
  task: FederatedTask,
): Promise<FederatedDescriptive> {
  const plan = descriptivePlan(task);
  const keys = await keyRound(deps, task);
  const { sum, minCell } = await maskedSumRound(deps, { task, round: 1, keys, input: {}, length: plan.length });
  const released = releaseDescriptive(descriptiveFromSums(sum, plan), { minCell, quantiles: plan.quantiles });
  return { ...released, rounds: 1, ...keys.partiality() };
}
