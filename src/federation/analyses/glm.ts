/**
 * The exact federated GLM at a node, as one analysis of the shared masked runner (masked-runner.ts: keys, masks
 * bound to the round's input, dropout recovery). Every data round builds — once per task, then cached — the
 * cohort's analysis table and design on DWD, checks DataSHIELD's disclosure rules (parameters ≤ 0.33 × N, no rare
 * category in a binary variable), evaluates the IRLS sums at the hub's coefficients and returns them masked
 * pairwise with every other participant. The hub learns only the sum.
 *
 *   round 0: ─► { publicKey }                          (key answers of all hospitals go back to each of them)
 *   round r: { keys, beta, design } ─► verify keys ─► X'WX, X'Wz, deviance … at beta ─► masked words
 */
import { z } from 'zod';
import { GLM_FAMILIES, type GlmPackedData, glmNodeStep, packGlmData } from '../../analytics/index.ts';
import { isMeridianError, MeridianError } from '../../errors/registry.ts';
import { designMatrix } from '../dataset/index.ts';
import { checkGlmDisclosure } from '../disclosure/glm-guard.ts';
import type { AnalysisRunner } from '../node.ts';
import { type MaskedAnalysis, type MaskedRunnerDeps, maskedRunner, type PrepareContext } from './masked-runner.ts';

const CovariateSchema = z.union([
  z.string().min(1).max(80),
  z.strictObject({ column: z.string().min(1).max(80), center: z.number().optional(), scale: z.number().optional() }),
]);

/** Zod schema of a GLM task's parameters. */
export const GlmParametersSchema = z.strictObject({
  family: z.enum(GLM_FAMILIES),
  outcome: z.string().min(1).max(80),
  covariates: z.array(CovariateSchema).min(1).max(100),
  categorical: z
    .record(
      z.string().max(80),
      z.strictObject({ levels: z.array(z.string().max(80)).min(2).max(100), reference: z.string().max(80) }),
    )
    .optional(),
});

/** A GLM task's parameters. */
export type GlmParameters = z.infer<typeof GlmParametersSchema>;

/** Zod schema of the hub's input to a data round. */
export const GlmRoundInputSchema = z.strictObject({
  keys: z.array(z.unknown()).min(2).max(64),
  beta: z.array(z.number()).max(500).nullable(),
  design: z.enum(['full', 'null']),
});

/** The hub's input to a GLM data round. */
export type GlmRoundInput = z.infer<typeof GlmRoundInputSchema>;

/** The order of the reals a data round sums: count, X'WX upper triangle, X'Wz, then the scalar sums. */
export function glmVectorLength(p: number): number {
  return 1 + (p * (p + 1)) / 2 + p + 5;
}

/** Parses a GLM task's parameters (MER_FED_INVALID_TASK naming the field). */
export function parseGlmParameters(parameters: unknown): GlmParameters {
  const parsed = GlmParametersSchema.safeParse(parameters);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = ['parameters', ...(issue?.path ?? [])].map(String).join('.');
    throw new MeridianError('MER_FED_INVALID_TASK', `${path}: ${issue?.message ?? 'invalid'}`, { path });
  }
  return parsed.data;
}

/** A node's GLM table: its packed design and the covariate names (without the intercept). */
export interface GlmTable {
  readonly packed: GlmPackedData;
  readonly p: number;
  readonly names: readonly string[];
}

/** The GLM's design, disclosure checks and IRLS sums, run by the shared masked runner. */
export const GLM_ANALYSIS: MaskedAnalysis<GlmParameters, GlmTable, GlmRoundInput> = {
  kind: 'glm',
  parse: (task) => parseGlmParameters(task.parameters),
  input: GlmRoundInputSchema,
  prepare: prepareGlm,
  compute: (table, params, input) => ({ values: glmNodeVector(table, params, input), names: table.names }),
};

/** The GLM runner of a node: its lake, its name, the consortium's minimum cell and the hospitals' identity keys. */
export function glmRunner(deps: MaskedRunnerDeps): AnalysisRunner {
  return maskedRunner(deps, GLM_ANALYSIS);
}

/** One round's vector at the hub's coefficients: n, X'WX (upper triangle), X'Wz, deviance, χ², AIC term, flags. */
export function glmNodeVector(table: GlmTable, params: GlmParameters, input: GlmRoundInput): number[] {
  const step = glmNodeStep(table.packed, input.beta, { family: params.family }, input.design);
  const values = [step.n];
  for (let i = 0; i < step.p; i++) for (let j = i; j < step.p; j++) values.push(step.xtwx[i]?.[j] as number);
  values.push(...step.xtwz);
  const finite = Number.isFinite(step.deviance) && Number.isFinite(step.pearsonChi2) && Number.isFinite(step.aicTerm);
  values.push(
    finite ? step.deviance : 0,
    finite ? step.pearsonChi2 : 0,
    finite ? step.aicTerm : 0,
    (step.valid ? 0 : 1) + (finite ? 0 : 1_000),
    step.boundary,
  );
  const expected = glmVectorLength(input.design === 'full' ? table.p : 1);
  if (values.length !== expected) throw new MeridianError('MER_INTERNAL', 'GLM vector length mismatch');
  return values;
}

/** The node's design from its analysis rows, after DataSHIELD's GLM disclosure checks (which never show a count). */
export function prepareGlm(
  rows: readonly Readonly<Record<string, unknown>>[],
  params: GlmParameters,
  ctx: PrepareContext,
): GlmTable {
  const design = designMatrix(rows as Record<string, unknown>[], {
    outcome: params.outcome,
    covariates: params.covariates,
    intercept: false,
    ...(params.categorical ? { categorical: params.categorical } : {}),
  });
  const p = design.names.length + 1;
  refuseDisclosiveDesign(design, { outcome: params.outcome, parameters: p, ctx, code: 'MER_DISCLOSURE_GLM_REFUSED' });
  const packed = packGlmData({ X: design.X, y: design.y, names: design.names }, { family: params.family });
  return { packed, p, names: design.names };
}

/**
 * DataSHIELD's GLM rules on a node's design (parameters at most a share of the rows; each binary variable's
 * categories at least the minimum cell), refused with `code` in words that carry no count of the node's rows.
 */
export function refuseDisclosiveDesign(
  design: {
    readonly X: readonly (readonly number[])[];
    readonly y: readonly number[];
    readonly names: readonly string[];
  },
  o: {
    outcome: string;
    parameters: number;
    ctx: PrepareContext;
    code: 'MER_DISCLOSURE_GLM_REFUSED' | 'MER_DISCLOSURE_FEDAVG_REFUSED';
  },
): void {
  const { ctx } = o;
  try {
    checkGlmDisclosure(
      {
        rows: design.y.length,
        parameters: o.parameters,
        variables: [
          { name: o.outcome, values: design.y },
          ...design.names.map((name, k) => ({ name, values: design.X.map((row) => row[k] as number) })),
        ],
      },
      { minCell: ctx.minCell },
    );
  } catch (e) {
    // The guard's messages carry the node's row count or the rare category's count: neither leaves the node.
    if (!isMeridianError(e, 'MER_DISCLOSURE_GLM_REFUSED')) throw e;
    const variable = e.details?.variable;
    throw new MeridianError(
      o.code,
      typeof variable === 'string'
        ? `${ctx.node} refuses: binary variable ${variable} has a category under the minimum cell of ${ctx.minCell}`
        : `${ctx.node} refuses: the model has too many parameters (${o.parameters}) for its rows (at most 0.33 × rows)`,
      typeof variable === 'string'
        ? { node: ctx.node, variable, minCell: ctx.minCell }
        : { node: ctx.node, parameters: o.parameters },
    );
  }
}
