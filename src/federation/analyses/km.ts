/**
 * Kaplan–Meier curves at a node, federated by masked counts. The consortium agrees in the task on a FIXED grid of
 * times — 0, u, 2u, …, maxDays — never on the union of the hospitals' event times (which would reveal them). The
 * node bins every survival time onto it (up to the next grid time; a time beyond maxDays is censored at maxDays),
 * counts events and censorings per group and grid time with the analytics core's `kmNodeCounts`, and returns the
 * counts masked: the hub learns only the pooled table, and releases from it what src/hub/federation/km.ts allows.
 * A node whose analysis rows are under the minimum cell refuses (MER_DISCLOSURE_COHORT_TOO_SMALL).
 *
 *   round 0: ─► { publicKey }
 *   round 1: { keys } ─► rows ─► bin ─► kmNodeCounts ─► [events, censored] per (group, grid time) ─► masked
 */
import { z } from 'zod';
import { kmNodeCounts } from '../../analytics/index.ts';
import { MeridianError } from '../../errors/registry.ts';
import { parseVariables, variableColumns } from '../dataset/index.ts';
import type { AnalysisRunner } from '../node.ts';
import type { FederatedTask } from '../protocol.ts';
import {
  invalidParameter,
  levelCell,
  MASKED_REALS_MAX,
  type MaskedAnalysis,
  type MaskedRunnerDeps,
  maskedRunner,
  numericCell,
  parseParameters,
  RoundKeysSchema,
  requireMinCell,
} from './masked-runner.ts';

/** Most grid intervals (maxDays / unitDays) a survival grid may have. */
export const SURVIVAL_GRID_BINS_MAX = 1_000;
/** Most groups a Kaplan–Meier task compares. */
export const KM_LEVELS_MAX = 9;
/** The levels of a `sex` group when the task declares none. */
export const SEX_LEVELS: readonly string[] = ['F', 'M'];

/** Zod schema of an agreed survival grid: times 0, unitDays, 2·unitDays, …, maxDays. */
export const SurvivalGridSchema = z
  .strictObject({
    unitDays: z.number().int().min(1).max(3_653),
    maxDays: z.number().int().min(1).max(36_525),
  })
  .refine((g) => g.maxDays % g.unitDays === 0, { message: 'maxDays must be a multiple of unitDays', path: ['maxDays'] })
  .refine((g) => g.maxDays / g.unitDays <= SURVIVAL_GRID_BINS_MAX, {
    message: `the grid may have at most ${SURVIVAL_GRID_BINS_MAX} intervals (maxDays / unitDays)`,
    path: ['unitDays'],
  });

/** An agreed survival grid. */
export type SurvivalGrid = z.infer<typeof SurvivalGridSchema>;

/** Zod schema of a Kaplan–Meier task's parameters. */
export const KmParametersSchema = z.strictObject({
  /** The name of a `survival` variable of the task (its `_time_days` and `_event` columns). */
  time: z.string().min(1).max(40),
  /** A column of the analysis table to group by (a categorical variable, or sex). */
  group: z.string().min(1).max(80).optional(),
  /** The group's levels, the same at every hospital (default for a `sex` variable: F, M). */
  levels: z.array(z.string().min(1).max(80)).min(2).max(KM_LEVELS_MAX).optional(),
  grid: SurvivalGridSchema,
});

/** A Kaplan–Meier task's parameters. */
export type KmParameters = z.infer<typeof KmParametersSchema>;

/** A Kaplan–Meier task resolved against its variables: columns, groups and the vector layout. */
export interface KmPlan {
  readonly timeColumn: string;
  readonly eventColumn: string;
  /** The grouping column, or null for one curve of everybody. */
  readonly groupColumn: string | null;
  /** Group labels in vector order (`all` without a group). */
  readonly groups: readonly string[];
  readonly grid: SurvivalGrid;
  /** Grid times: maxDays / unitDays + 1 of them, from 0. */
  readonly times: readonly number[];
  /** Reals in a node's vector: [events, censored] per (group, grid time), group-major. */
  readonly length: number;
}

/** The grid's times 0, u, 2u, …, maxDays. */
export function gridTimes(grid: SurvivalGrid): number[] {
  return Array.from({ length: grid.maxDays / grid.unitDays + 1 }, (_, k) => k * grid.unitDays);
}

/**
 * Puts survival rows on the grid: each time goes up to the next grid time (index ⌈t/u⌉); a time beyond maxDays is
 * censored at maxDays (the person was known event-free there). Errors name the row.
 */
export function binSurvival(
  data: { time: readonly number[]; status: readonly number[] },
  grid: SurvivalGrid,
): { index: number[]; time: number[]; status: number[] } {
  const last = grid.maxDays / grid.unitDays;
  const index: number[] = [];
  const status: number[] = [];
  data.time.forEach((t, i) => {
    const s = data.status[i];
    if (!Number.isFinite(t) || t < 0) {
      throw new MeridianError('MER_ANALYTICS_INVALID_INPUT', `time[${i}] must be a finite number ≥ 0 (row ${i})`, {
        field: 'time',
        row: i,
      });
    }
    if (s !== 0 && s !== 1) {
      throw new MeridianError('MER_ANALYTICS_INVALID_INPUT', `status[${i}] must be 0 or 1 (row ${i})`, {
        field: 'status',
        row: i,
      });
    }
    const k = Math.ceil(t / grid.unitDays);
    index.push(Math.min(k, last));
    status.push(k > last ? 0 : s);
  });
  return { index, time: index.map((k) => k * grid.unitDays), status };
}

/** Resolves a Kaplan–Meier task: its survival variable, group and grid (MER_FED_INVALID_TASK naming the field). */
export function kmPlan(task: FederatedTask): KmPlan {
  const params = parseParameters(KmParametersSchema, task.parameters);
  const variables = parseVariables(task.variables);
  const survival = variables.find((v) => v.name === params.time);
  if (survival?.kind !== 'survival') {
    throw invalidParameter('time', `${params.time} is not a survival variable of the task`);
  }
  let groups: readonly string[] = ['all'];
  if (params.group !== undefined) {
    const column = params.group;
    const owner = variables.find((v) => variableColumns(v).some((c) => c.name === column));
    if (owner === undefined || owner === survival) {
      throw invalidParameter('group', `${column} is not a column of the task's variables`);
    }
    if (params.levels !== undefined) groups = params.levels;
    else if (owner.kind === 'sex' && owner.level === undefined) groups = SEX_LEVELS;
    else throw invalidParameter('levels', `declare the levels of ${column} (only a sex variable has default levels)`);
    if (new Set(groups).size !== groups.length) throw invalidParameter('levels', 'levels must be distinct');
  } else if (params.levels !== undefined) {
    throw invalidParameter('levels', 'levels need a group column');
  }
  const times = gridTimes(params.grid);
  const length = groups.length * times.length * 2;
  if (length > MASKED_REALS_MAX) {
    throw invalidParameter(
      'grid',
      `${groups.length} groups × ${times.length} grid times need ${length} sums; at most ${MASKED_REALS_MAX} (use a coarser grid)`,
    );
  }
  return {
    timeColumn: `${params.time}_time_days`,
    eventColumn: `${params.time}_event`,
    groupColumn: params.group ?? null,
    groups,
    grid: params.grid,
    times,
    length,
  };
}

/** The node's count vector from its analysis rows: complete cases (time, event and a declared group), binned. */
export function kmNodeVector(
  rows: readonly Readonly<Record<string, unknown>>[],
  plan: KmPlan,
): { rows: number; values: number[] } {
  const time: number[] = [];
  const status: number[] = [];
  const group: string[] = [];
  rows.forEach((row, i) => {
    const t = numericCell(row, plan.timeColumn, i);
    const e = numericCell(row, plan.eventColumn, i);
    const g = plan.groupColumn === null ? 'all' : levelCell(row, plan.groupColumn, i);
    if (t === null || e === null || g === null || !plan.groups.includes(g)) return;
    time.push(t);
    status.push(e);
    group.push(g);
  });
  const binned = binSurvival({ time, status }, plan.grid);
  const counts = kmNodeCounts({ time: binned.time, status: binned.status, group });
  const values = new Array<number>(plan.length).fill(0);
  const stride = plan.times.length;
  for (const g of counts.groups) {
    const base = plan.groups.indexOf(g.group) * stride;
    g.time.forEach((t, i) => {
      const at = 2 * (base + t / plan.grid.unitDays);
      values[at] = g.events[i] as number;
      values[at + 1] = g.censored[i] as number;
    });
  }
  return { rows: time.length, values };
}

/** The Kaplan–Meier analysis as a masked runner sees it: one data round, the counts prepared once. */
export const KM_ANALYSIS: MaskedAnalysis<KmPlan, number[], { keys: unknown[] }> = {
  kind: 'km',
  parse: kmPlan,
  input: z.strictObject({ keys: RoundKeysSchema }),
  prepare(rows, plan, ctx) {
    const vector = kmNodeVector(rows, plan);
    requireMinCell(vector.rows, { ...ctx, what: 'the survival analysis (complete cases)' });
    return vector.values;
  },
  compute: (values) => ({ values, names: [] }),
};

/** The Kaplan–Meier runner of a node. */
export function kmRunner(deps: MaskedRunnerDeps): AnalysisRunner {
  return maskedRunner(deps, KM_ANALYSIS);
}
