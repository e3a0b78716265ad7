/**
 * The hub's side of federated Kaplan–Meier: one key round, one data round whose masked count vectors sum to the
 * pooled events and censorings per (group, grid time) — the table `mergeKmCounts` would give, and exactly the
 * pooled table of the binned rows — then what may be released of it.
 *
 *   round 0   keys ──► all hospitals' signed X25519 keys
 *   round 1   { keys } ──► Σ masked = pooled [events, censored] per (group, grid time) ──► releaseKm
 *
 * ## What is released (the rule)
 *
 * A curve next to its risk table reveals every count: S(t_k)/S(t_k−1) = 1 − d_k/n_k, and n_k follows from the
 * released counts. Suppressing some rows of the risk table does not help while the curve still steps there (the
 * disclosure README's warning), and releasing S at a time without events pins S at the last (possibly small)
 * event time before it. So the hub coarsens instead of suppressing, per group:
 *
 * 1. Walk the grid times in order, accumulating events D and censorings C. Close an interval at the first time
 *    where D + C > 0 and each of D and C is 0 or ≥ the minimum cell. The interval's counts are attributed to the
 *    time that closed it (its end).
 * 2. What remains after the last closed interval is the tail. A tail of fewer than the minimum cell patients is
 *    merged with the last interval (which then closes at the last time with counts, if its totals allow, or
 *    becomes the tail). A group with fewer than the minimum cell patients and no interval is withheld entirely.
 * 3. Released per group: n; per interval its end time, at risk at its start, D, C, and the Kaplan–Meier estimate,
 *    Greenwood SE and log-log band of the coarsened table (the curve one would get had the consortium chosen the
 *    intervals as its grid); for the tail only the number at risk — its events and censorings are withheld and no
 *    survival is shown after the last interval. The median comes from the released curve.
 *
 * Every released count is then 0 or ≥ the minimum cell (at risk included: it is at least the next interval's
 * nonzero count), and every released number is a function of the released counts, so the curve adds nothing to
 * the table. The tail's withheld events and censorings add up to its released number at risk (≥ the minimum
 * cell) and can trade one for another, so neither is pinned. What remains known is where intervals close, hence
 * that the bins inside an interval did not on their own reach the rule (bounds, never a count); and a curve
 * stops at its last interval. The log-rank test is computed on the full pooled table (it equals the pooled test)
 * and only its χ², degrees of freedom and p-value are released — never observed or expected counts — and only
 * when every group's curve is released.
 */
import assert from 'node:assert/strict';
import { type KmCounts, type KmGroupCounts, type KmMedian, kaplanMeier, logRankTest } from '../../analytics/index.ts';
import { isMeridianError, MeridianError } from '../../errors/registry.ts';
import { type KmPlan, kmPlan, type SurvivalGrid } from '../../federation/analyses/km.ts';
import { minCellOf } from '../../federation/disclosure/cell-suppression.ts';
import type { FederatedTask } from '../../federation/protocol.ts';
import { keyRound, type MaskedRoundDeps, maskedSumRound, type Partiality } from './masked-rounds.ts';

/** One released row of a curve: an interval's end, the number at risk at its start, its counts and S at its end. */
export interface ReleasedKmRow {
  readonly time: number;
  readonly atRisk: number;
  readonly events: number;
  readonly censored: number;
  readonly survival: number;
  readonly standardError: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
}

/** What is said of the patients still at risk after the last released row: how many, nothing else. */
export interface ReleasedKmTail {
  readonly after: number;
  readonly until: number;
  readonly atRisk: number;
  readonly events: { readonly suppressed: true };
  readonly censored: { readonly suppressed: true };
}

/** One group's released curve, or the mark that the group is under the minimum cell. */
export type ReleasedKmCurve =
  | {
      readonly group: string;
      readonly status: 'released';
      readonly n: number;
      readonly rows: readonly ReleasedKmRow[];
      readonly tail: ReleasedKmTail | null;
      readonly median: KmMedian;
    }
  | { readonly group: string; readonly status: 'withheld'; readonly n: { readonly suppressed: true } };

/** The released Kaplan–Meier analysis. */
export interface ReleasedKm {
  readonly grid: SurvivalGrid;
  readonly minCell: number;
  readonly confidenceLevel: number;
  readonly curves: readonly ReleasedKmCurve[];
  /** The pooled log-rank test across groups, or null (one group, or a group withheld: see `withheld`). */
  readonly logRank: { readonly chiSquare: number; readonly df: number; readonly pValue: number } | null;
  /** What was withheld and why, in words a researcher can act on. */
  readonly withheld: readonly string[];
}

/** A federated Kaplan–Meier as the researcher sees it, with the rounds it took. */
export type FederatedKm = ReleasedKm & Partiality & { readonly rounds: number };

const SUPPRESSED: { readonly suppressed: true } = Object.freeze({ suppressed: true });

function wholeCount(value: number, what: string): number {
  const n = Math.round(value);
  if (!(n >= 0) || Math.abs(value - n) > 1e-6) {
    throw new MeridianError(
      'MER_FED_BAD_ANSWER',
      `the summed ${what} is not a whole count ≥ 0: a hospital sent garbage`,
    );
  }
  return n;
}

/** The pooled count table from a summed vector (grid times with no event and no censoring left out). */
export function kmCountsFromSums(sum: readonly number[], plan: KmPlan): KmCounts {
  if (sum.length !== plan.length) throw new MeridianError('MER_FED_BAD_ANSWER', `expected ${plan.length} sums`);
  const stride = plan.times.length;
  return {
    groups: plan.groups.map((group, g): KmGroupCounts => {
      const counts: KmGroupCounts = { group, time: [], events: [], censored: [] };
      plan.times.forEach((t, k) => {
        const at = 2 * (g * stride + k);
        const d = wholeCount(sum[at] as number, `events of ${group} at ${t}`);
        const c = wholeCount(sum[at + 1] as number, `censorings of ${group} at ${t}`);
        if (d + c === 0) return;
        counts.time.push(t);
        counts.events.push(d);
        counts.censored.push(c);
      });
      return counts;
    }),
  };
}

interface Interval {
  time: number;
  events: number;
  censored: number;
}

/** Steps 1–2 of the rule: the closed intervals and the tail of one group. */
function coarsen(
  g: KmGroupCounts,
  minCell: number,
): { intervals: Interval[]; tail: { events: number; censored: number } | null } {
  const ok = (x: number) => x === 0 || x >= minCell;
  const intervals: Interval[] = [];
  let events = 0;
  let censored = 0;
  let lastTime = 0;
  g.time.forEach((t, i) => {
    events += g.events[i] as number;
    censored += g.censored[i] as number;
    if (events + censored > 0) lastTime = t;
    if (events + censored > 0 && ok(events) && ok(censored)) {
      intervals.push({ time: t, events, censored });
      events = 0;
      censored = 0;
    }
  });
  if (events + censored > 0 && events + censored < minCell) {
    const last = intervals.pop();
    if (last !== undefined) {
      events += last.events;
      censored += last.censored;
      if (ok(events) && ok(censored)) {
        intervals.push({ time: lastTime, events, censored });
        events = 0;
        censored = 0;
      }
    }
  }
  return { intervals, tail: events + censored > 0 ? { events, censored } : null };
}

/** Releases the pooled fine-grid table under the rule of the module comment (pure; `grid.maxDays` ends the tail). */
export function releaseKm(
  counts: KmCounts,
  opts: { minCell: number; grid: SurvivalGrid; confidenceLevel?: number },
): ReleasedKm {
  const minCell = minCellOf({ minCell: opts.minCell });
  const confidenceLevel = opts.confidenceLevel ?? 0.95;
  const withheld: string[] = [];
  const curves = counts.groups.map((g): ReleasedKmCurve => {
    if (g.time.some((t) => !(t >= 0 && t <= opts.grid.maxDays))) {
      throw new MeridianError('MER_ANALYTICS_INVALID_INPUT', `group ${g.group} has times off the grid [0, maxDays]`);
    }
    const n = g.events.reduce((s, v) => s + v, 0) + g.censored.reduce((s, v) => s + v, 0);
    if (n === 0) {
      const none = { time: null, lower: null, upper: null };
      return { group: g.group, status: 'released', n, rows: [], tail: null, median: none };
    }
    const { intervals, tail } = coarsen(g, minCell);
    if (intervals.length === 0 && tail !== null && n < minCell) {
      withheld.push(`group ${g.group}: fewer patients than the minimum cell of ${minCell}; its curve is withheld`);
      return { group: g.group, status: 'withheld', n: SUPPRESSED };
    }
    const rows = intervals.map((r) => r.time);
    // The tail's patients leave after the last interval, by maxDays: one censoring-only row there keeps the
    // numbers at risk right without showing a step the withheld events would make.
    assert(tail === null || (rows.at(-1) ?? -1) < opts.grid.maxDays, 'the tail follows the last interval');
    const coarse: KmGroupCounts = {
      group: g.group,
      time: tail === null ? rows : [...rows, opts.grid.maxDays],
      events: [...intervals.map((r) => r.events), ...(tail === null ? [] : [0])],
      censored: [...intervals.map((r) => r.censored), ...(tail === null ? [] : [tail.events + tail.censored])],
    };
    const [curve] = kaplanMeier({ groups: [coarse] }, { confidenceLevel }).curves;
    if (curve === undefined) throw new MeridianError('MER_INTERNAL', 'Kaplan–Meier returned no curve');
    if (tail !== null) {
      withheld.push(
        `group ${g.group}: events and censorings after ${rows.at(-1) ?? 0} days are withheld (fewer than ${minCell} of one kind)`,
      );
    }
    return {
      group: g.group,
      status: 'released',
      n,
      rows: curve.rows.slice(0, intervals.length).map((r) => ({
        time: r.time,
        atRisk: r.atRisk,
        events: r.events,
        censored: r.censored,
        survival: r.survival,
        standardError: r.standardError,
        lower: r.lower,
        upper: r.upper,
      })),
      tail:
        tail === null
          ? null
          : {
              after: rows.at(-1) ?? 0,
              until: opts.grid.maxDays,
              atRisk: tail.events + tail.censored,
              events: SUPPRESSED,
              censored: SUPPRESSED,
            },
      median: curve.median,
    };
  });
  let logRank: ReleasedKm['logRank'] = null;
  if (counts.groups.length >= 2) {
    if (curves.some((c) => c.status === 'withheld')) {
      withheld.push('log-rank test: withheld because a group is under the minimum cell');
    } else {
      try {
        const test = logRankTest(counts);
        logRank = { chiSquare: test.chiSquare, df: test.df, pValue: test.pValue };
      } catch (e) {
        if (!isMeridianError(e, 'MER_ANALYTICS_INVALID_INPUT')) throw e;
        withheld.push(`log-rank test: ${e.message}`);
      }
    }
  }
  return { grid: opts.grid, minCell, confidenceLevel, curves, logRank, withheld };
}

/** Runs an authorized Kaplan–Meier task on every hospital of the task and releases the pooled curves. */
export async function runFederatedKm(deps: MaskedRoundDeps, task: FederatedTask): Promise<FederatedKm> {
  const plan = kmPlan(task);
  const keys = await keyRound(deps, task);
  const { sum, minCell } = await maskedSumRound(deps, { task, round: 1, keys, input: {}, length: plan.length });
  return { ...releaseKm(kmCountsFromSums(sum, plan), { minCell, grid: plan.grid }), rounds: 1, ...keys.partiality() };
}
