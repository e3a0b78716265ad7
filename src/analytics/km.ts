/**
 * Kaplan–Meier survival curves and the log-rank test, federated by counts: each node returns, per group and
 * per distinct time, how many events and censorings it saw; the hub adds the tables (a sum, so secure
 * aggregation and minimum-cell suppression apply) and computes everything from the merged table, which is
 * the pooled table. Numbers at risk follow from the counts (everyone with time ≥ t).
 *
 *   node: kmNodeCounts ──per-time counts──▶ hub: mergeKmCounts ──▶ kaplanMeier, logRankTest
 *
 * Conventions follow R's survival package: Greenwood's variance, the log-log ("log(-log S)") confidence
 * interval, the median as the first time the curve reaches 0.5 (the midpoint to the next drop when it sits
 * at exactly 0.5), its interval from where the lower and upper bands reach 0.5, and survdiff's log-rank
 * statistic with the hypergeometric variance.
 */
import { MeridianError } from '../errors/registry.ts';
import { checkLevel, chiSquareUpperP, normalCriticalValue } from './distributions.ts';
import { cholesky, choleskySolve } from './linalg.ts';

/** Most distinct times a count table may hold. */
export const KM_TIMES_MAX = 1_000_000;
/** Most groups a curve or log-rank test compares. */
export const KM_GROUPS_MAX = 100;
/** Survival values this close to a probability count as equal to it (R's √eps in quantile.survfit). */
const QUANTILE_TOLERANCE = Math.sqrt(Number.EPSILON);

/** One node's survival rows: time, status (1 event, 0 censored) and an optional group per row. */
export interface KmData {
  time: readonly number[];
  status: readonly number[];
  group?: readonly (string | number)[];
}

/** Events and censorings per distinct time for one group, times ascending. */
export interface KmGroupCounts {
  group: string;
  time: number[];
  events: number[];
  censored: number[];
}

/** A node's (or the merged) count table: one entry per group, groups in sorted order. */
export interface KmCounts {
  groups: KmGroupCounts[];
}

/** One row of a Kaplan–Meier curve, at a time with events or censorings. */
export interface KmRow {
  time: number;
  atRisk: number;
  events: number;
  censored: number;
  survival: number;
  /** Greenwood standard error of the survival (null once the survival reaches 0). */
  standardError: number | null;
  /** Log-log confidence band (null once the survival reaches 0). */
  lower: number | null;
  upper: number | null;
}

/** Median survival with its confidence interval; null where the curve or band never reaches 0.5. */
export interface KmMedian {
  time: number | null;
  lower: number | null;
  upper: number | null;
}

/** One group's curve. */
export interface KmCurve {
  group: string;
  n: number;
  events: number;
  rows: KmRow[];
  median: KmMedian;
}

/** Curves for every group. */
export interface KmResult {
  confidenceLevel: number;
  curves: KmCurve[];
}

/** The log-rank test across groups (R's survdiff with rho = 0); groups never at risk at an event time add no degree of freedom. */
export interface LogRankResult {
  chiSquare: number;
  df: number;
  pValue: number;
  groups: { group: string; n: number; observed: number; expected: number }[];
}

function invalid(message: string, details?: Record<string, unknown>): MeridianError {
  return new MeridianError('MER_ANALYTICS_INVALID_INPUT', message, details);
}

function badPart(message: string, details?: Record<string, unknown>): MeridianError {
  return new MeridianError('MER_ANALYTICS_BAD_PART', message, details);
}

interface Tally {
  events: number;
  censored: number;
}

function toCounts(tables: Map<string, Map<number, Tally>>): KmCounts {
  if (tables.size > KM_GROUPS_MAX) throw invalid(`at most ${KM_GROUPS_MAX} groups; got ${tables.size}`);
  const groups = [...tables.keys()].sort().map((group): KmGroupCounts => {
    const table = tables.get(group) as Map<number, Tally>;
    const time = [...table.keys()].sort((a, b) => a - b);
    if (time.length > KM_TIMES_MAX) throw invalid(`at most ${KM_TIMES_MAX} distinct times; got ${time.length}`);
    return {
      group,
      time,
      events: time.map((t) => (table.get(t) as Tally).events),
      censored: time.map((t) => (table.get(t) as Tally).censored),
    };
  });
  return { groups };
}

function tally(
  tables: Map<string, Map<number, Tally>>,
  group: string,
  time: number,
  events: number,
  censored: number,
): void {
  let table = tables.get(group);
  if (table === undefined) {
    table = new Map();
    tables.set(group, table);
  }
  const entry = table.get(time);
  if (entry === undefined) table.set(time, { events, censored });
  else {
    entry.events += events;
    entry.censored += censored;
  }
}

/** A node's count table: events and censorings per group and distinct time (errors name the field and row). */
export function kmNodeCounts(data: KmData): KmCounts {
  if (data === null || typeof data !== 'object' || !Array.isArray(data.time) || !Array.isArray(data.status))
    throw invalid('Kaplan–Meier data needs arrays time and status');
  const rows = data.time.length;
  if (data.status.length !== rows) throw invalid(`status has ${data.status.length} values but time has ${rows}`);
  if (data.group !== undefined && (!Array.isArray(data.group) || data.group.length !== rows))
    throw invalid(`group must have one value per row (${rows})`, { field: 'group' });
  const tables = new Map<string, Map<number, Tally>>();
  for (let i = 0; i < rows; i++) {
    const t = data.time[i];
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0)
      throw invalid(`time[${i}] must be a finite number ≥ 0; got ${String(t)} (row ${i})`, { field: 'time', row: i });
    const s = data.status[i];
    if (s !== 0 && s !== 1)
      throw invalid(`status[${i}] must be 0 (censored) or 1 (event); got ${String(s)} (row ${i})`, {
        field: 'status',
        row: i,
      });
    const g = data.group?.[i] ?? 'all';
    if (typeof g !== 'string' && typeof g !== 'number')
      throw invalid(`group[${i}] must be a string or number (row ${i})`, { field: 'group', row: i });
    tally(tables, String(g), t, s, 1 - s);
  }
  return toCounts(tables);
}

function checkCount(value: unknown, what: string, node: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw badPart(`node ${node}: ${what} must be a whole number ≥ 0; got ${String(value)}`, { node });
  return value;
}

/** Adds the nodes' count tables into the pooled table, checking each is well formed. */
export function mergeKmCounts(parts: readonly KmCounts[]): KmCounts {
  if (!Array.isArray(parts as unknown) || parts.length === 0) throw badPart('no count tables to merge');
  const tables = new Map<string, Map<number, Tally>>();
  parts.forEach((part, node) => {
    if (part === null || typeof part !== 'object' || !Array.isArray(part.groups))
      throw badPart(`node ${node}: a count table needs groups`, { node });
    for (const g of part.groups) {
      const { group, time, events, censored } = g;
      if (typeof group !== 'string' || !Array.isArray(time) || !Array.isArray(events) || !Array.isArray(censored))
        throw badPart(`node ${node}: a group needs a name and arrays time, events, censored`, { node });
      if (events.length !== time.length || censored.length !== time.length)
        throw badPart(`node ${node}: group ${group} has arrays of different lengths`, { node });
      time.forEach((t, i) => {
        if (typeof t !== 'number' || !Number.isFinite(t) || t < 0)
          throw badPart(`node ${node}: group ${group} time[${i}] must be a finite number ≥ 0`, { node });
        tally(
          tables,
          group,
          t,
          checkCount(events[i], `group ${group} events[${i}]`, node),
          checkCount(censored[i], `group ${group} censored[${i}]`, node),
        );
      });
    }
  });
  return toCounts(tables);
}

/** The first time a step curve reaches p (midpoint to the next drop when it sits at p); null if never. */
function curveQuantile(times: readonly number[], values: readonly number[], p: number): number | null {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v > p + QUANTILE_TOLERANCE) continue;
    if (Math.abs(v - p) > QUANTILE_TOLERANCE) return times[i] as number;
    for (let j = i + 1; j < values.length; j++)
      if ((values[j] as number) < v - QUANTILE_TOLERANCE) return ((times[i] as number) + (times[j] as number)) / 2;
    return times[i] as number;
  }
  return null;
}

function curve(counts: KmGroupCounts, z: number): KmCurve {
  let atRisk = counts.events.reduce((a, b) => a + b, 0) + counts.censored.reduce((a, b) => a + b, 0);
  const n = atRisk;
  let survival = 1;
  let greenwood = 0;
  let events = 0;
  const rows: KmRow[] = counts.time.map((time, i) => {
    const d = counts.events[i] as number;
    const c = counts.censored[i] as number;
    const row = { time, atRisk, events: d, censored: c };
    if (d > 0) {
      survival *= 1 - d / atRisk;
      greenwood = d < atRisk ? greenwood + d / (atRisk * (atRisk - d)) : Number.POSITIVE_INFINITY;
    }
    events += d;
    atRisk -= d + c;
    if (survival === 0) return { ...row, survival: 0, standardError: null, lower: null, upper: null };
    if (survival === 1) return { ...row, survival, standardError: 0, lower: 1, upper: 1 };
    const spread = (z * Math.sqrt(greenwood)) / Math.abs(Math.log(survival));
    return {
      ...row,
      survival,
      standardError: survival * Math.sqrt(greenwood),
      lower: survival ** Math.exp(spread),
      upper: survival ** Math.exp(-spread),
    };
  });
  const times = rows.map((r) => r.time);
  return {
    group: counts.group,
    n,
    events,
    rows,
    median: {
      time: curveQuantile(
        times,
        rows.map((r) => r.survival),
        0.5,
      ),
      lower: curveQuantile(
        times,
        rows.map((r) => r.lower ?? 0),
        0.5,
      ),
      upper: curveQuantile(
        times,
        rows.map((r) => r.upper ?? 0),
        0.5,
      ),
    },
  };
}

/** Kaplan–Meier curves of every group of a (merged) count table, with Greenwood errors and log-log bands. */
export function kaplanMeier(counts: KmCounts, options: { confidenceLevel?: number } = {}): KmResult {
  const level = options.confidenceLevel ?? 0.95;
  checkLevel(level);
  const checked = mergeKmCounts([counts]);
  const z = normalCriticalValue(level);
  return { confidenceLevel: level, curves: checked.groups.map((g) => curve(g, z)) };
}

/**
 * The log-rank test that all groups of a (merged) count table share one survival curve: observed and
 * expected events per group and the chi-square with groups − 1 degrees of freedom.
 */
export function logRankTest(counts: KmCounts): LogRankResult {
  const { groups } = mergeKmCounts([counts]);
  const k = groups.length;
  if (k < 2) throw invalid(`the log-rank test compares at least 2 groups; got ${k}`);
  const allTimes = [...new Set(groups.flatMap((g) => g.time))].sort((a, b) => a - b);
  const index = groups.map((g) => new Map(g.time.map((t, i) => [t, i])));
  const atRisk = groups.map((g) => g.events.reduce((a, b) => a + b, 0) + g.censored.reduce((a, b) => a + b, 0));
  const sizes = [...atRisk];
  const observed = new Float64Array(k);
  const expected = new Float64Array(k);
  const variance = new Float64Array(k * k);
  for (const t of allTimes) {
    const d = groups.map((g, j) => {
      const i = index[j]?.get(t);
      return i === undefined ? 0 : (g.events[i] as number);
    });
    const c = groups.map((g, j) => {
      const i = index[j]?.get(t);
      return i === undefined ? 0 : (g.censored[i] as number);
    });
    const dTotal = d.reduce((a, b) => a + b, 0);
    const nTotal = atRisk.reduce((a, b) => a + b, 0);
    if (dTotal > 0) {
      const spread = nTotal > 1 ? (dTotal * (nTotal - dTotal)) / (nTotal - 1) : 0;
      for (let g = 0; g < k; g++) {
        const share = (atRisk[g] as number) / nTotal;
        observed[g] = (observed[g] as number) + (d[g] as number);
        expected[g] = (expected[g] as number) + dTotal * share;
        for (let h = 0; h < k; h++) {
          const other = (atRisk[h] as number) / nTotal;
          variance[g * k + h] = (variance[g * k + h] as number) + spread * share * ((g === h ? 1 : 0) - other);
        }
      }
    }
    for (let g = 0; g < k; g++) atRisk[g] = (atRisk[g] as number) - (d[g] as number) - (c[g] as number);
  }
  const active = groups.map((_, g) => g).filter((g) => (expected[g] as number) > 0);
  if (active.length < 2)
    throw invalid(`the log-rank test needs 2 groups at risk at some event time; got ${active.length}`);
  const kept = active.slice(0, -1);
  const m = kept.length;
  const reduced = new Float64Array(m * m);
  kept.forEach((g, i) => {
    kept.forEach((h, j) => {
      reduced[i * m + j] = variance[g * k + h] as number;
    });
  });
  const difference = kept.map((g) => (observed[g] as number) - (expected[g] as number));
  const solved = choleskySolve(
    cholesky(
      reduced,
      m,
      kept.map((g) => `group ${groups[g]?.group}`),
    ),
    difference,
  );
  const chiSquare = difference.reduce((sum, v, g) => sum + v * (solved[g] as number), 0);
  return {
    chiSquare,
    df: m,
    pValue: chiSquareUpperP(chiSquare, m),
    groups: groups.map((g, j) => ({
      group: g.group,
      n: sizes[j] as number,
      observed: observed[j] as number,
      expected: expected[j] as number,
    })),
  };
}
