/**
 * Descriptive statistics at a node, federated by masked sums. Chan's merge of moments is not a plain sum, so a
 * numeric variable travels as sums that are: n, missing, Σ(x − c) and Σ(x − c)² around the agreed histogram
 * range's midpoint c (the shift keeps the variance free of cancellation), and the counts of a fixed-bin histogram
 * over the agreed range (below, bins, above) from which the hub reads quantiles. Minimum and maximum are never
 * sent: they are single patients' values. A categorical variable travels as counts per declared level, other
 * values and missing. The hub releases the pooled counts under the minimum cell with secondary suppression
 * (src/hub/federation/descriptive.ts). A node whose analysis rows are under the minimum cell refuses.
 *
 *   round 0: ─► { publicKey }
 *   round 1: { keys } ─► [rows, per numeric: n, missing, Σ(x−c), Σ(x−c)², below, bins…, above,
 *                              per categorical: levels…, other, missing] ─► masked
 */
import { z } from 'zod';
import { histogram, summarizeMoments } from '../../analytics/index.ts';
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

/** Most variables (numeric and categorical together) one descriptive task summarizes. */
export const DESCRIPTIVE_VARIABLES_MAX = 40;
/** Most histogram bins of one numeric variable. */
export const DESCRIPTIVE_BINS_MAX = 500;
/** Most declared levels of one categorical variable. */
export const DESCRIPTIVE_LEVELS_MAX = 100;
/** The quantiles reported when the task names none. */
export const QUANTILES_DEFAULT: readonly number[] = [0.25, 0.5, 0.75];

/** Zod schema of a descriptive task's parameters. */
export const DescriptiveParametersSchema = z
  .strictObject({
    numeric: z
      .array(
        z.strictObject({
          column: z.string().min(1).max(80),
          /** The agreed histogram: `bins` equal bins over [min, max] (the last closed). */
          histogram: z
            .strictObject({ min: z.number(), max: z.number(), bins: z.number().int().min(1).max(DESCRIPTIVE_BINS_MAX) })
            .refine((h) => h.max > h.min, { message: 'max must be above min', path: ['max'] }),
        }),
      )
      .max(DESCRIPTIVE_VARIABLES_MAX)
      .default([]),
    categorical: z
      .array(
        z.strictObject({
          column: z.string().min(1).max(80),
          levels: z.array(z.string().min(1).max(80)).min(1).max(DESCRIPTIVE_LEVELS_MAX),
        }),
      )
      .max(DESCRIPTIVE_VARIABLES_MAX)
      .default([]),
    quantiles: z
      .array(z.number().gt(0).lt(1))
      .min(1)
      .max(19)
      .default([...QUANTILES_DEFAULT]),
  })
  .refine((p) => p.numeric.length + p.categorical.length >= 1, {
    message: 'name at least one numeric or categorical variable',
    path: ['numeric'],
  });

/** A descriptive task's parameters. */
export type DescriptiveParameters = z.infer<typeof DescriptiveParametersSchema>;

/** A numeric variable's agreed histogram as bin edges. */
export function histogramEdges(h: { min: number; max: number; bins: number }): number[] {
  return Array.from({ length: h.bins + 1 }, (_, i) => (i === h.bins ? h.max : h.min + ((h.max - h.min) * i) / h.bins));
}

/** Reals of one numeric variable: n, missing, Σ(x−c), Σ(x−c)², below, the bins, above. */
export function numericLength(bins: number): number {
  return 4 + bins + 2;
}

/** Reals of one categorical variable: its levels, other, missing. */
export function categoricalLength(levels: number): number {
  return levels + 2;
}

/** Resolves a descriptive task: columns exist and appear once (MER_FED_INVALID_TASK naming the field). */
export function descriptivePlan(task: FederatedTask): DescriptiveParameters & { length: number } {
  const params = parseParameters(DescriptiveParametersSchema, task.parameters);
  const columns = new Set(parseVariables(task.variables).flatMap((v) => variableColumns(v).map((c) => c.name)));
  const seen = new Set<string>();
  const check = (column: string, field: string) => {
    if (!columns.has(column)) throw invalidParameter(field, `${column} is not a column of the task's variables`);
    if (seen.has(column)) throw invalidParameter(field, `${column} is summarized twice`);
    seen.add(column);
  };
  params.numeric.forEach((v, i) => {
    check(v.column, `numeric.${i}.column`);
  });
  params.categorical.forEach((v, i) => {
    check(v.column, `categorical.${i}.column`);
    if (new Set(v.levels).size !== v.levels.length)
      throw invalidParameter(`categorical.${i}.levels`, 'levels must be distinct');
  });
  const length =
    1 +
    params.numeric.reduce((s, v) => s + numericLength(v.histogram.bins), 0) +
    params.categorical.reduce((s, v) => s + categoricalLength(v.levels.length), 0);
  if (length > MASKED_REALS_MAX)
    throw invalidParameter('numeric', `the task needs ${length} sums; at most ${MASKED_REALS_MAX}`);
  return { ...params, length };
}

/** The midpoint of a numeric variable's agreed range: the shift of its sums. */
export function shiftOf(h: { min: number; max: number }): number {
  return (h.min + h.max) / 2;
}

/** The node's vector from its analysis rows (see the module comment for the layout). */
export function descriptiveNodeVector(
  rows: readonly Readonly<Record<string, unknown>>[],
  plan: DescriptiveParameters,
): number[] {
  const values = [rows.length];
  for (const v of plan.numeric) {
    const xs = rows.map((row, i) => numericCell(row, v.column, i));
    const m = summarizeMoments(xs);
    const d = m.mean - shiftOf(v.histogram);
    const h = histogram(xs, histogramEdges(v.histogram));
    values.push(m.n, m.missing, m.n * d, m.m2 + m.n * d * d, h.below, ...h.counts, h.above);
  }
  for (const v of plan.categorical) {
    const counts = new Array<number>(categoricalLength(v.levels.length)).fill(0);
    rows.forEach((row, i) => {
      const level = levelCell(row, v.column, i);
      const k = level === null ? v.levels.length + 1 : v.levels.indexOf(level);
      const at = k < 0 ? v.levels.length : k;
      counts[at] = (counts[at] as number) + 1;
    });
    values.push(...counts);
  }
  return values;
}

/** The descriptive analysis as a masked runner sees it: one data round, the vector prepared once. */
export const DESCRIPTIVE_ANALYSIS: MaskedAnalysis<
  DescriptiveParameters & { length: number },
  number[],
  { keys: unknown[] }
> = {
  kind: 'descriptive',
  parse: descriptivePlan,
  input: z.strictObject({ keys: RoundKeysSchema }),
  prepare(rows, plan, ctx) {
    requireMinCell(rows.length, { ...ctx, what: 'the cohort' });
    return descriptiveNodeVector(rows, plan);
  },
  compute: (values) => ({ values, names: [] }),
};

/** The descriptive-statistics runner of a node. */
export function descriptiveRunner(deps: MaskedRunnerDeps): AnalysisRunner {
  return maskedRunner(deps, DESCRIPTIVE_ANALYSIS);
}
