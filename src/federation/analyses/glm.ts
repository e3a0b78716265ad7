/**
 * The exact federated GLM at a node. Round 0 hands out this task's ephemeral X25519 public key (signed with the
 * node's answer, so the hub cannot swap it); every later round builds — once per task, then cached — the
 * cohort's analysis table and design on DWD, checks DataSHIELD's disclosure rules (parameters ≤ 0.33 × N, no rare
 * category in a binary variable), evaluates the IRLS sums at the hub's coefficients and returns them masked
 * pairwise with every other hospital of the task. The hub learns only the sum over all hospitals.
 *
 *   round 0: ─► { publicKey }                          (key answers of all hospitals go back to each of them)
 *   round r: { keys, beta, design } ─► verify keys ─► X'WX, X'Wz, deviance … at beta ─► masked words
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { GLM_FAMILIES, type GlmDesign, type GlmPackedData, glmNodeStep, packGlmData } from '../../analytics/index.ts';
import { isMeridianError, MeridianError } from '../../errors/registry.ts';
import type { PublicKeyInput } from '../../ledger/signing.ts';
import type { Lake } from '../../store/index.ts';
import { designMatrix } from '../dataset/index.ts';
import { checkGlmDisclosure } from '../disclosure/glm-guard.ts';
import type { AnalysisRunner } from '../node.ts';
import { type FederatedTask, taskHashOf } from '../protocol.ts';
import { publicKeyToRaw } from '../secure-agg/index.ts';
import { analysisRows, verifiedPeers } from './masked-runner.ts';
import { maskReals } from './secure-vector.ts';

/** Tasks whose keys and design a node keeps between rounds (oldest dropped first). */
const TASKS_CACHED_MAX = 4;

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

/** What a node answers in round 0. */
export const GlmKeyAnswerSchema = z.strictObject({ publicKey: z.string().regex(/^[0-9a-f]{64}$/) });

/** What a node answers in a data round: the masked sums and their length in reals. */
export const GlmMaskedAnswerSchema = z.strictObject({
  /** Covariate names of the design (without the intercept), the same at every hospital. */
  names: z.array(z.string().max(200)).max(500),
  length: z.number().int().min(1).max(200_000),
  masked: z.array(z.string().regex(/^[0-9a-f]{1,16}$/)).max(400_000),
});

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

interface TaskState {
  readonly privateKey: KeyObject;
  readonly publicKeyHex: string;
  design?: { packed: GlmPackedData; p: number; names: string[] };
}

/** The GLM runner of a node: its lake, its name, the consortium's minimum cell and the hospitals' identity keys. */
export function glmRunner(deps: {
  lake: Pick<Lake, 'query' | 'tables'>;
  node: string;
  minCell: number;
  identityKey: (node: string) => Promise<PublicKeyInput | undefined>;
}): AnalysisRunner {
  const tasks = new Map<string, TaskState>();
  const stateOf = (taskId: string): TaskState | undefined => tasks.get(taskId);

  return async ({ task, round, input }) => {
    const params = parseGlmParameters(task.parameters);
    if (round === 0) {
      const { privateKey, publicKey } = generateKeyPairSync('x25519');
      if (tasks.size >= TASKS_CACHED_MAX) tasks.delete(tasks.keys().next().value as string);
      const publicKeyHex = publicKeyToRaw(publicKey).toString('hex');
      tasks.set(task.taskId, { privateKey, publicKeyHex });
      return { publicKey: publicKeyHex };
    }
    const state = stateOf(task.taskId);
    if (!state) {
      throw new MeridianError(
        'MER_FED_INVALID_TASK',
        `${deps.node} holds no keys for task ${task.taskId} (restarted since round 0?); start the analysis again`,
        { taskId: task.taskId },
      );
    }
    const parsed = GlmRoundInputSchema.safeParse(input);
    if (!parsed.success) throw new MeridianError('MER_FED_INVALID_TASK', `round ${round} input is not a GLM round`);
    const peers = await verifiedPeers(deps, task, parsed.data.keys, state.publicKeyHex);
    state.design ??= await buildDesign(deps, task, params);
    const { packed, p, names } = state.design;
    const design: GlmDesign = parsed.data.design;
    const step = glmNodeStep(packed, parsed.data.beta, { family: params.family }, design);
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
    const expected = glmVectorLength(design === 'full' ? p : 1);
    if (values.length !== expected) throw new MeridianError('MER_INTERNAL', 'GLM vector length mismatch');
    const masked = maskReals(values, {
      roundId: `${taskHashOf(task)}/${round}`,
      context: `glm/${design}`,
      self: { id: deps.node, privateKey: state.privateKey },
      peers,
    });
    return { names, length: values.length, masked };
  };
}

async function buildDesign(
  deps: { lake: Pick<Lake, 'query' | 'tables'>; minCell: number; node: string },
  task: FederatedTask,
  params: GlmParameters,
): Promise<{ packed: GlmPackedData; p: number; names: string[] }> {
  const rows = await analysisRows(deps.lake, task);
  const design = designMatrix(rows, {
    outcome: params.outcome,
    covariates: params.covariates,
    intercept: false,
    ...(params.categorical ? { categorical: params.categorical } : {}),
  });
  const p = design.names.length + 1;
  try {
    checkGlmDisclosure(
      {
        rows: design.y.length,
        parameters: p,
        variables: [
          { name: params.outcome, values: design.y },
          ...design.names.map((name, k) => ({ name, values: design.X.map((row) => row[k] as number) })),
        ],
      },
      { minCell: deps.minCell },
    );
  } catch (e) {
    // The guard's messages carry the node's row count or the rare category's count: neither leaves the node.
    if (!isMeridianError(e, 'MER_DISCLOSURE_GLM_REFUSED')) throw e;
    const variable = e.details?.variable;
    throw new MeridianError(
      'MER_DISCLOSURE_GLM_REFUSED',
      typeof variable === 'string'
        ? `${deps.node} refuses: binary variable ${variable} has a category under the minimum cell of ${deps.minCell}`
        : `${deps.node} refuses: the model has too many parameters (${p}) for its rows (at most 0.33 × rows)`,
      typeof variable === 'string'
        ? { node: deps.node, variable, minCell: deps.minCell }
        : { node: deps.node, parameters: p },
    );
  }
  const packed = packGlmData({ X: design.X, y: design.y, names: design.names }, { family: params.family });
  return { packed, p, names: design.names };
}
