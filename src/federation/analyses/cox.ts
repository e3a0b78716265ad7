/**
 * Cox regression at a node, exact across hospitals, with every message a masked sum:
 *
 * - stratified by hospital: the node's log partial likelihood, score and information at the hub's β over its own
 *   rows (exact times: they never leave the node, only sums do) — `coxNodeStep`;
 * - unstratified: the risk-set sums S0, S1, S2 (and Efron's event sums) at every time of the agreed grid, with the
 *   events per grid time and their Σx — `coxRiskSetNodeStep` on times binned as for Kaplan–Meier (km.ts), so the
 *   pooled partial likelihood is that of the binned times and no exact time is shared. The hub still sees the
 *   pooled sums per grid time: where the pooled risk set is thin (the far end of the grid) they are the
 *   covariates of a few patients, so pick maxDays while many are still at risk, or stratify.
 *
 * Before anything is computed the node applies DataSHIELD's rules: parameters ≤ 0.33 × its events (the effective
 * sample size of a Cox model), and no binary covariate — nor the event indicator — with a category under the
 * minimum cell (`checkGlmDisclosure`). Covariates are centered on the pooled means, which the hub learns from a
 * first masked round of column sums.
 *
 *   round 0: ─► { publicKey }
 *   round 1: { keys, step: 'center' }              ─► [n, events, Σx]
 *   round r: { keys, step: 'newton', center, beta } ─► stratified [n, events, ℓ, U, I] | unstratified [n, per t: …]
 */
import { z } from 'zod';
import {
  type CoxPackedData,
  type CoxRiskSetStep,
  type CoxTies,
  coxColumnSums,
  coxNodeStep,
  coxRiskSetNodeStep,
  packCoxData,
} from '../../analytics/index.ts';
import { isMeridianError, MeridianError } from '../../errors/registry.ts';
import { designMatrix, parseVariables } from '../dataset/index.ts';
import { checkGlmDisclosure, PARAMETER_SHARE_MAX_DEFAULT } from '../disclosure/glm-guard.ts';
import type { AnalysisRunner } from '../node.ts';
import type { FederatedTask } from '../protocol.ts';
import { binSurvival, gridTimes, SurvivalGridSchema } from './km.ts';
import {
  invalidParameter,
  MASKED_REALS_MAX,
  type MaskedAnalysis,
  type MaskedRunnerDeps,
  maskedRunner,
  parseParameters,
  RoundKeysSchema,
  requireMinCell,
} from './masked-runner.ts';

/** Most covariate columns of a federated Cox model. */
export const COX_COVARIATES_MAX = 50;

const CovariateSchema = z.union([
  z.string().min(1).max(80),
  z.strictObject({ column: z.string().min(1).max(80), center: z.number().optional(), scale: z.number().optional() }),
]);

/** Zod schema of a Cox task's parameters. */
export const CoxParametersSchema = z
  .strictObject({
    /** The name of a `survival` variable of the task. */
    time: z.string().min(1).max(40),
    covariates: z.array(CovariateSchema).min(1).max(COX_COVARIATES_MAX),
    categorical: z
      .record(
        z.string().max(80),
        z.strictObject({ levels: z.array(z.string().max(80)).min(2).max(100), reference: z.string().max(80) }),
      )
      .optional(),
    /** Each hospital its own baseline hazard (exact times), or one baseline over the binned grid. */
    stratified: z.boolean(),
    ties: z.enum(['breslow', 'efron']),
    /** The agreed grid of the unstratified model (required there, not used when stratified). */
    grid: SurvivalGridSchema.optional(),
  })
  .refine((p) => p.stratified || p.grid !== undefined, {
    message: 'an unstratified Cox model needs the agreed grid',
    path: ['grid'],
  });

/** A Cox task's parameters. */
export type CoxParameters = z.infer<typeof CoxParametersSchema>;

/** A Cox task resolved against its variables. */
export interface CoxPlan {
  readonly params: CoxParameters;
  readonly timeColumn: string;
  readonly eventColumn: string;
  /** The unstratified grid's times (empty when stratified). */
  readonly times: readonly number[];
}

/** Zod schema of the hub's input to a Cox data round. */
export const CoxRoundInputSchema = z.discriminatedUnion('step', [
  z.strictObject({ keys: RoundKeysSchema, step: z.literal('center') }),
  z.strictObject({
    keys: RoundKeysSchema,
    step: z.literal('newton'),
    center: z.array(z.number()).min(1).max(200),
    beta: z.array(z.number()).min(1).max(200),
  }),
]);

/** The hub's input to a Cox data round. */
export type CoxRoundInput = z.infer<typeof CoxRoundInputSchema>;

/** Reals of the center round: n, events, then Σx per covariate. */
export function coxCenterLength(p: number): number {
  return 2 + p;
}

/** Reals of a Newton round: stratified [n, events, ℓ, U (p), I (upper triangle)]; unstratified [n, per time …]. */
export function coxNewtonLength(p: number, plan: Pick<CoxPlan, 'params' | 'times'>): number {
  const tri = (p * (p + 1)) / 2;
  if (plan.params.stratified) return 3 + p + tri;
  const perTime = 1 + p + 1 + p + tri + (plan.params.ties === 'efron' ? 1 + p + tri : 0);
  return 1 + plan.times.length * perTime;
}

/** Resolves a Cox task against its variables (MER_FED_INVALID_TASK naming the field). */
export function coxPlan(task: FederatedTask): CoxPlan {
  const params = parseParameters(CoxParametersSchema, task.parameters);
  const survival = parseVariables(task.variables).find((v) => v.name === params.time);
  if (survival?.kind !== 'survival') {
    throw invalidParameter('time', `${params.time} is not a survival variable of the task`);
  }
  const times = params.stratified || params.grid === undefined ? [] : gridTimes(params.grid);
  const plan = { params, timeColumn: `${params.time}_time_days`, eventColumn: `${params.time}_event`, times };
  const columnsMax =
    params.covariates.length + Object.values(params.categorical ?? {}).reduce((s, c) => s + c.levels.length, 0);
  const length = coxNewtonLength(columnsMax, plan);
  if (length > MASKED_REALS_MAX) {
    throw invalidParameter(
      'grid',
      `the model needs up to ${length} sums per round; at most ${MASKED_REALS_MAX} (use a coarser grid or fewer covariates)`,
    );
  }
  return plan;
}

/** The node's Cox table: its rows packed once per agreed center. */
export interface CoxTable {
  readonly data: { time: number[]; status: number[]; X: number[][]; names: string[] };
  readonly events: number;
  packed?: { key: string; data: CoxPackedData };
}

/** Builds the node's Cox rows (complete cases; binned when unstratified) and applies the disclosure rules. */
export function prepareCox(
  rows: readonly Readonly<Record<string, unknown>>[],
  plan: CoxPlan,
  ctx: { minCell: number; node: string },
): CoxTable {
  const { params } = plan;
  const design = designMatrix(rows, {
    outcome: plan.timeColumn,
    event: plan.eventColumn,
    covariates: params.covariates,
    intercept: false,
    ...(params.categorical ? { categorical: params.categorical } : {}),
  });
  // Unstratified, the model's times and events are the binned ones (an event beyond maxDays is a censoring there).
  const binned =
    params.grid && !params.stratified ? binSurvival({ time: design.y, status: design.event ?? [] }, params.grid) : null;
  const time = binned?.time ?? design.y;
  const status = binned?.status ?? design.event ?? [];
  requireMinCell(design.y.length, { ...ctx, what: 'the Cox model (complete cases)' });
  const events = status.reduce((s, v) => s + v, 0);
  const p = design.names.length;
  if (p > PARAMETER_SHARE_MAX_DEFAULT * events) {
    throw new MeridianError(
      'MER_DISCLOSURE_GLM_REFUSED',
      `${ctx.node} refuses: the Cox model has ${p} parameters for its events; at most ${PARAMETER_SHARE_MAX_DEFAULT} × events are allowed`,
      { node: ctx.node, parameters: p, parameterShareMax: PARAMETER_SHARE_MAX_DEFAULT },
    );
  }
  try {
    checkGlmDisclosure(
      {
        rows: design.y.length,
        parameters: p,
        variables: [
          { name: plan.eventColumn, values: status },
          ...design.names.map((name, k) => ({ name, values: design.X.map((row) => row[k] as number) })),
        ],
      },
      { minCell: ctx.minCell },
    );
  } catch (e) {
    // The guard's message carries the rare category's count; what leaves the node names only the variable.
    if (!isMeridianError(e, 'MER_DISCLOSURE_GLM_REFUSED')) throw e;
    const variable = String(e.details?.variable ?? 'a binary variable');
    throw new MeridianError(
      'MER_DISCLOSURE_GLM_REFUSED',
      `${ctx.node} refuses: binary variable ${variable} has a category under the minimum cell of ${ctx.minCell}`,
      { node: ctx.node, variable, minCell: ctx.minCell },
    );
  }
  return { data: { time, status, X: design.X, names: design.names }, events };
}

function checkLength(values: readonly number[], p: number, field: string): void {
  if (values.length !== p) {
    throw new MeridianError('MER_FED_INVALID_TASK', `input.${field} has ${values.length} values; the design has ${p}`, {
      path: `input.${field}`,
    });
  }
}

/** The node's vector for one Cox round (see the module comment for the layouts). */
export function coxNodeVector(table: CoxTable, plan: CoxPlan, input: CoxRoundInput): number[] {
  const { data } = table;
  const p = data.names.length;
  if (input.step === 'center') {
    const sums = coxColumnSums(data);
    return [sums.n, table.events, ...sums.sums];
  }
  checkLength(input.center, p, 'center');
  checkLength(input.beta, p, 'beta');
  const key = JSON.stringify(input.center);
  if (table.packed?.key !== key) table.packed = { key, data: packCoxData(data, input.center) };
  const packed = table.packed.data;
  const ties: CoxTies = plan.params.ties;
  if (plan.params.stratified) {
    const e = coxNodeStep(packed, input.beta, ties);
    const values = [e.n, e.events, e.loglik, ...e.gradient];
    for (let j = 0; j < p; j++) for (let k = j; k < p; k++) values.push(e.information[j]?.[k] as number);
    return values;
  }
  return flattenRiskSets(coxRiskSetNodeStep(packed, input.beta, plan.times, ties));
}

function flattenRiskSets(step: CoxRiskSetStep): number[] {
  const values = [step.n];
  const { d0, d1, d2 } = step;
  const efron = d0 !== undefined && d1 !== undefined && d2 !== undefined ? { d0, d1, d2 } : null;
  step.s0.forEach((s0, g) => {
    values.push(step.events[g] as number, ...(step.sumX[g] as number[]), s0);
    values.push(...(step.s1[g] as number[]), ...(step.s2[g] as number[]));
    if (efron) values.push(efron.d0[g] as number, ...(efron.d1[g] as number[]), ...(efron.d2[g] as number[]));
  });
  return values;
}

/** The Cox analysis as a masked runner sees it. */
export const COX_ANALYSIS: MaskedAnalysis<CoxPlan, CoxTable, CoxRoundInput> = {
  kind: 'cox',
  parse: coxPlan,
  input: CoxRoundInputSchema,
  prepare: prepareCox,
  compute: (table, plan, input) => ({ values: coxNodeVector(table, plan, input), names: table.data.names }),
};

/** The Cox runner of a node. */
export function coxRunner(deps: MaskedRunnerDeps): AnalysisRunner {
  return maskedRunner(deps, COX_ANALYSIS);
}
