/**
 * FedAvg with server momentum (FedAvgM) at a node: a logistic model or a small perceptron trained across hospitals
 * by local SGD, every message a masked sum (src/analytics/fedavg holds the numeric cores, masked-runner.ts the
 * rounds). The node builds its complete-case design once per task (outcome 0/1, features as GLM covariates), runs
 * the disclosure checks, and then answers four kinds of round, each masked pairwise with every other hospital:
 *
 *   round 0:      ─► { publicKey }
 *   center:       { keys }                        ─► [n, Σx₁ … Σx_d]                      (pooled means)
 *   scale:        { keys, center }                ─► [Σ(x₁−c₁)² … Σ(x_d−c_d)²]            (pooled SDs)
 *   train t:      { keys, center, scale, weights, step } ─► standardize ─► score the global model
 *                 ─► localTrain (PRNG from seed, step, hospital) ─► clip ‖Δ‖₂ ≤ clipNorm
 *                 ─► [n·Δ (p), n, Σ loss, positives per score bin (B), negatives per score bin (B)]
 *   evaluate:     { keys, center, scale, weights } ─► [n, Σ loss, positives (B), negatives (B)]
 *
 * Every hospital standardizes with the same pooled centre and scale (the hub's, from the first two rounds), so the
 * federated model equals `trainFederated` on the pooled standardized rows with the same seed (a hospital's PRNG is
 * derived from the task seed, the training step and its 1-based place in the task's hospitals). Loss and score
 * histograms are of the incoming global model, from which the hub reads the pooled loss and AUC.
 *
 * Disclosure (before anything is computed): the complete cases must reach the minimum cell
 * (MER_DISCLOSURE_COHORT_TOO_SMALL); each outcome class and each category of a binary feature must reach it, and the
 * model may have at most 0.33 × rows parameters (DataSHIELD's GLM rules; MER_DISCLOSURE_FEDAVG_REFUSED). Refusals
 * name the variable, never a count.
 */
import { z } from 'zod';
import {
  clipL2,
  type Dataset,
  deriveSeed,
  localTrain,
  logLoss,
  type Model,
  type ModelSpec,
  parameterCount,
  predictLogits,
  scoreBin,
  seededRng,
  sigmoid,
} from '../../analytics/fedavg/index.ts';
import { MeridianError } from '../../errors/registry.ts';
import { DESIGN_COLUMNS_MAX, designMatrix, parseVariables, variableColumns } from '../dataset/index.ts';
import type { AnalysisRunner } from '../node.ts';
import type { FederatedTask } from '../protocol.ts';
import { refuseDisclosiveDesign } from './glm.ts';
import {
  invalidParameter,
  MASKED_REALS_MAX,
  type MaskedAnalysis,
  type MaskedRunnerDeps,
  maskedRunner,
  type PrepareContext,
  parseParameters,
  RoundKeysSchema,
  requireMinCell,
} from './masked-runner.ts';

/** Most training rounds one FedAvg task may take. */
export const FEDAVG_ROUNDS_MAX = 200;
/** Most feature columns a FedAvg task names. */
export const FEDAVG_FEATURES_MAX = 100;
/** Most hidden units of the perceptron a FedAvg task trains. */
export const FEDAVG_HIDDEN_MAX = 64;
/** Most local epochs per round. */
export const FEDAVG_EPOCHS_MAX = 50;
/** Largest local minibatch. */
export const FEDAVG_BATCH_MAX = 10_000;
/** Most score bins of the AUC histograms (per class). */
export const FEDAVG_AUC_BINS_MAX = 2_000;

const ModelSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('logistic') }),
  z.strictObject({
    kind: z.literal('mlp'),
    hidden: z.number().int().min(1).max(FEDAVG_HIDDEN_MAX),
    activation: z.enum(['relu', 'tanh']).default('relu'),
  }),
]);

/** Zod schema of a FedAvg task's parameters (defaults: logistic, 10 rounds, 1 epoch, batch 32, η 0.1, clip 10). */
export const FedAvgParametersSchema = z.strictObject({
  /** A 0/1 column of the analysis table. */
  outcome: z.string().min(1).max(80),
  /** Feature columns, in order; a column named in `categorical` becomes indicators against its reference level. */
  features: z.array(z.string().min(1).max(80)).min(1).max(FEDAVG_FEATURES_MAX),
  categorical: z
    .record(
      z.string().max(80),
      z.strictObject({ levels: z.array(z.string().min(1).max(80)).min(2).max(100), reference: z.string().max(80) }),
    )
    .optional(),
  model: ModelSchema.default({ kind: 'logistic' }),
  rounds: z.number().int().min(1).max(FEDAVG_ROUNDS_MAX).default(10),
  epochs: z.number().int().min(1).max(FEDAVG_EPOCHS_MAX).default(1),
  batchSize: z.number().int().min(1).max(FEDAVG_BATCH_MAX).default(32),
  learningRate: z.number().gt(0).max(10).default(0.1),
  /** Largest L2 norm of a hospital's update Δ in one round. */
  clipNorm: z.number().gt(0).max(1e6).default(10),
  serverLearningRate: z.number().gt(0).max(10).default(1),
  momentum: z.number().min(0).lt(1).default(0.5),
  /** Seeds initialization and every hospital's shuffling: the same task trains the same model. */
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .default(1),
  /** Equal bins over [0, 1] of the predicted probability, per class, from which the hub reads the AUC. */
  aucBins: z.number().int().min(10).max(FEDAVG_AUC_BINS_MAX).default(1_000),
});

/** A FedAvg task's parameters. */
export type FedAvgParameters = z.infer<typeof FedAvgParametersSchema>;

/** A FedAvg task resolved against its variables: design column names, the model and the vector lengths. */
export interface FedAvgPlan extends FedAvgParameters {
  /** The task's hospitals, in order (a hospital's place seeds its PRNG). */
  readonly hospitals: readonly string[];
  /** Design columns (features and `column=level` indicators), as designMatrix names them. */
  readonly names: readonly string[];
  readonly spec: ModelSpec;
  /** Parameters of the model (p). */
  readonly parameters: number;
}

/** Reals of a centre round: n and a sum per design column. */
export function centerLength(plan: Pick<FedAvgPlan, 'names'>): number {
  return 1 + plan.names.length;
}

/** Reals of an evaluation: n, Σ loss and both classes' score histograms. */
export function evaluationLength(plan: Pick<FedAvgPlan, 'aucBins'>): number {
  return 2 + 2 * plan.aucBins;
}

/** Reals of a training round: n·Δ, then an evaluation of the incoming model. */
export function trainLength(plan: Pick<FedAvgPlan, 'aucBins' | 'parameters'>): number {
  return plan.parameters + evaluationLength(plan);
}

/** Resolves a FedAvg task: columns exist and appear once, the round vectors fit (MER_FED_INVALID_TASK naming the field). */
export function fedavgPlan(task: FederatedTask): FedAvgPlan {
  const params = parseParameters(FedAvgParametersSchema, task.parameters);
  const columns = new Set(parseVariables(task.variables).flatMap((v) => variableColumns(v).map((c) => c.name)));
  if (!columns.has(params.outcome)) {
    throw invalidParameter('outcome', `${params.outcome} is not a column of the task's variables`);
  }
  const seen = new Set([params.outcome]);
  const names: string[] = [];
  params.features.forEach((f, i) => {
    if (!columns.has(f)) throw invalidParameter(`features.${i}`, `${f} is not a column of the task's variables`);
    if (seen.has(f)) throw invalidParameter(`features.${i}`, `${f} is already the outcome or a feature`);
    seen.add(f);
    const levels = params.categorical?.[f];
    if (levels === undefined) names.push(f);
    else {
      if (!levels.levels.includes(levels.reference)) {
        throw invalidParameter(`categorical.${f}.reference`, `${levels.reference} is not one of the levels`);
      }
      for (const level of levels.levels) if (level !== levels.reference) names.push(`${f}=${level}`);
    }
  });
  for (const column of Object.keys(params.categorical ?? {})) {
    if (!params.features.includes(column))
      throw invalidParameter(`categorical.${column}`, 'is not one of the features');
  }
  if (names.length > DESIGN_COLUMNS_MAX) {
    throw invalidParameter('features', `make ${names.length} design columns; at most ${DESIGN_COLUMNS_MAX}`);
  }
  const spec: ModelSpec =
    params.model.kind === 'logistic'
      ? { kind: 'logistic', features: names.length }
      : { kind: 'mlp', features: names.length, hidden: params.model.hidden, activation: params.model.activation };
  const plan = { ...params, hospitals: task.hospitals, names, spec, parameters: parameterCount(spec) };
  if (trainLength(plan) > MASKED_REALS_MAX) {
    throw invalidParameter(
      'model',
      `a training round needs ${trainLength(plan)} sums; at most ${MASKED_REALS_MAX} (fewer hidden units, features or aucBins)`,
    );
  }
  return plan;
}

const Reals = z.array(z.number()).max(DESIGN_COLUMNS_MAX);
const Scaling = { center: Reals, scale: z.array(z.number().gt(0)).max(DESIGN_COLUMNS_MAX) };
const Weights = z.array(z.number()).min(1).max(MASKED_REALS_MAX);

/** Zod schema of the hub's input to a FedAvg data round, by stage (see the module comment). */
export const FedAvgRoundInputSchema = z.discriminatedUnion('stage', [
  z.strictObject({ keys: RoundKeysSchema, stage: z.literal('center') }),
  z.strictObject({ keys: RoundKeysSchema, stage: z.literal('scale'), center: Reals }),
  z.strictObject({
    keys: RoundKeysSchema,
    stage: z.literal('train'),
    step: z.number().int().min(1).max(FEDAVG_ROUNDS_MAX),
    ...Scaling,
    weights: Weights,
  }),
  z.strictObject({ keys: RoundKeysSchema, stage: z.literal('evaluate'), ...Scaling, weights: Weights }),
]);

/** A FedAvg data round's input. */
export type FedAvgRoundInput = z.infer<typeof FedAvgRoundInputSchema>;

/** A node's FedAvg table: its complete-case design (unscaled), outcomes and its place among the task's hospitals. */
export interface FedAvgTable {
  /** Design rows, row-major (rows × design columns). */
  readonly x: Float64Array;
  readonly y: Float64Array;
  /** 1-based place of this hospital in the task's hospitals (the PRNG stream of its local training). */
  readonly site: number;
}

/** The node's complete-case design after the disclosure checks (see the module comment). */
export function prepareFedAvg(
  rows: readonly Readonly<Record<string, unknown>>[],
  plan: FedAvgPlan,
  ctx: PrepareContext,
): FedAvgTable {
  const design = designMatrix(rows, {
    outcome: plan.outcome,
    covariates: plan.features,
    intercept: false,
    ...(plan.categorical ? { categorical: plan.categorical } : {}),
  });
  if (design.names.join('\u0000') !== plan.names.join('\u0000')) {
    throw new MeridianError(
      'MER_INTERNAL',
      `the FedAvg design columns ${design.names.join(', ')} differ from the plan`,
    );
  }
  requireMinCell(design.y.length, { ...ctx, what: 'the model (complete cases)' });
  if (design.y.some((v) => v !== 0 && v !== 1)) {
    throw new MeridianError(
      'MER_DATASET_DESIGN_INVALID',
      `Invalid design: the outcome ${plan.outcome} holds a value other than 0 or 1; FedAvg trains a binary classifier`,
      { field: plan.outcome },
    );
  }
  refuseDisclosiveDesign(design, {
    outcome: plan.outcome,
    parameters: plan.parameters,
    ctx,
    code: 'MER_DISCLOSURE_FEDAVG_REFUSED',
  });
  const site = plan.hospitals.indexOf(ctx.node) + 1;
  if (site === 0) throw new MeridianError('MER_FED_INVALID_TASK', `${ctx.node} is not a hospital of the task`);
  return { x: Float64Array.from(design.X.flat()), y: Float64Array.from(design.y), site };
}

function lengthCheck(field: string, got: number, want: number): void {
  if (got !== want) {
    throw new MeridianError('MER_FED_INVALID_TASK', `input.${field} has ${got} values; the task needs ${want}`, {
      path: `input.${field}`,
    });
  }
}

/** The table standardized with the pooled centre and scale: what local training and scoring see. */
export function standardize(table: FedAvgTable, center: readonly number[], scale: readonly number[]): Dataset {
  const d = center.length;
  const x = new Float64Array(table.x.length);
  for (let i = 0; i < x.length; i++) {
    const k = i % d;
    x[i] = ((table.x[i] as number) - (center[k] as number)) / (scale[k] as number);
  }
  return { features: d, x, y: table.y };
}

/** [n, Σ loss, positives per bin, negatives per bin] of `model` on `data`. */
export function evaluationSums(model: Model, data: Dataset, bins: number): number[] {
  const logits = predictLogits(model, data);
  const positives = new Array<number>(bins).fill(0);
  const negatives = new Array<number>(bins).fill(0);
  let loss = 0;
  logits.forEach((z, i) => {
    const y = data.y[i] as number;
    loss += logLoss(z, y);
    const histogram = y === 1 ? positives : negatives;
    const b = scoreBin(sigmoid(z), bins);
    histogram[b] = (histogram[b] as number) + 1;
  });
  return [data.y.length, loss, ...positives, ...negatives];
}

/** The round's vector of sums (see the module comment for the layouts). */
export function fedavgSums(table: FedAvgTable, plan: FedAvgPlan, input: FedAvgRoundInput): number[] {
  const d = plan.names.length;
  const n = table.y.length;
  if (input.stage === 'center') {
    const sums = new Array<number>(d).fill(0);
    for (let i = 0; i < table.x.length; i++) sums[i % d] = (sums[i % d] as number) + (table.x[i] as number);
    return [n, ...sums];
  }
  lengthCheck('center', input.center.length, d);
  if (input.stage === 'scale') {
    const squares = new Array<number>(d).fill(0);
    for (let i = 0; i < table.x.length; i++) {
      const k = i % d;
      squares[k] = (squares[k] as number) + ((table.x[i] as number) - (input.center[k] as number)) ** 2;
    }
    return squares;
  }
  lengthCheck('scale', input.scale.length, d);
  lengthCheck('weights', input.weights.length, plan.parameters);
  const data = standardize(table, input.center, input.scale);
  const model: Model = { spec: plan.spec, params: Float64Array.from(input.weights) };
  const evaluation = evaluationSums(model, data, plan.aucBins);
  if (input.stage === 'evaluate') return evaluation;
  const rng = seededRng(deriveSeed(plan.seed, input.step, table.site));
  const local = { epochs: plan.epochs, batchSize: plan.batchSize, learningRate: plan.learningRate };
  const delta = clipL2(localTrain(model, data, local, rng).delta, plan.clipNorm);
  return [...Array.from(delta, (v) => n * v), ...evaluation];
}

/** FedAvg as a masked runner sees it: the design prepared once per task, one vector per round. */
export const FEDAVG_ANALYSIS: MaskedAnalysis<FedAvgPlan, FedAvgTable, FedAvgRoundInput> = {
  kind: 'fedavg',
  parse: fedavgPlan,
  input: FedAvgRoundInputSchema,
  prepare: prepareFedAvg,
  compute: (table, plan, input) => ({ values: fedavgSums(table, plan, input), names: plan.names }),
};

/** The FedAvg runner of a node. */
export function fedavgRunner(deps: MaskedRunnerDeps): AnalysisRunner {
  return maskedRunner(deps, FEDAVG_ANALYSIS);
}
