/**
 * The federated task protocol: what the hub asks every hospital node to compute and what a node answers.
 * A task is content-addressed (its `taskHash` is what the ledger authorizes); a node's answer names the task
 * by that hash, carries the hash of its result and is signed with the node's Ed25519 identity key under the
 * `receipt` purpose, so the hub (and anyone auditing later) can prove which hospital returned what, and a
 * result that was altered on the way fails verification.
 *
 *   hub ── federation.run { task, round, input } ──► node: check authorization + local policy, run on DWD,
 *   hub ◄── { answer: { taskId, taskHash, node, round, resultHash, result }, signature } ──  disclosure control
 */
import { z } from 'zod';
import { MeridianError } from '../errors/registry.ts';
import { canonicalBytes } from '../ledger/canonical-json.ts';
import { CodeSchema, ContractIdSchema, contractHash } from '../ledger/contracts/index.ts';
import { type PrivateKeyInput, type PublicKeyInput, signForPurpose, verifyForPurpose } from '../ledger/signing.ts';
import { MIN_CELL_MAX } from './disclosure/cell-suppression.ts';

/** Analysis kinds a task may ask for; the ledger's request lists which of them are approved. */
export const ANALYSIS_KINDS = ['count', 'descriptive', 'km', 'glm', 'cox', 'fedavg'] as const;

/** One of {@link ANALYSIS_KINDS}. */
export type AnalysisKind = (typeof ANALYSIS_KINDS)[number];

/** The most hospitals one task may address. */
export const TASK_HOSPITALS_MAX = 64;

/** Largest serialized task the hub sends (cohort, variables and parameters included). */
export const TASK_BYTES_MAX = 256 * 1024;

/** The channel task kind that carries every federated round. */
export const FEDERATION_TASK_KIND = 'federation.run';

/** Zod schema of a federated task as the hub issues it and the ledger authorizes it (by hash). */
export const FederatedTaskSchema = z.strictObject({
  taskId: ContractIdSchema,
  requestId: ContractIdSchema,
  projectId: ContractIdSchema,
  kind: z.enum(ANALYSIS_KINDS),
  /** The cohort definition (validated by the cohort schema where it is compiled). */
  cohort: z.unknown(),
  /** Analysis variables (validated by the dataset schema where they are compiled). */
  variables: z.unknown().optional(),
  /** Kind-specific parameters (family, outcome, covariates, time points, bins …). */
  parameters: z.record(z.string().max(64), z.unknown()).default({}),
  hospitals: z.array(z.string().min(2).max(63)).min(1).max(TASK_HOSPITALS_MAX),
  /**
   * The consortium's minimum cell size when the hub issued the task (its admin setting): every node applies the
   * larger of it and its own, and the hub refuses an answer released under less. Part of the authorized hash.
   */
  minCellFloor: z.number().int().min(1).max(MIN_CELL_MAX).optional(),
  /** The researcher the task runs for; nodes record it in their receipts and audit. */
  user: z.strictObject({ id: z.string().min(1).max(128), role: CodeSchema }),
  issuedAt: z.iso.datetime(),
});

/** A federated task. */
export type FederatedTask = z.infer<typeof FederatedTaskSchema>;

/** Payload of one `federation.run` channel task: the task, the round and the hub's input for this round. */
export const FederationRunSchema = z.strictObject({
  task: FederatedTaskSchema,
  round: z.number().int().min(0).max(10_000),
  /** Round input (e.g. the current GLM coefficients, or secure-aggregation peer keys). */
  input: z.unknown().optional(),
  /**
   * Close the task right after this round (a count has one): the node files its receipt and returns the close
   * round's signed answer together with this one ({@link ClosedRun}), saving the hub a second exchange.
   */
  closeAfter: z.literal(true).optional(),
});

/** The payload of a `federation.run` channel task. */
export type FederationRun = z.infer<typeof FederationRunSchema>;

/** What a node signs: which task and round, which hospital, and the hash of the result it returns. */
export const NodeAnswerSchema = z.strictObject({
  taskId: ContractIdSchema,
  taskHash: z.string().regex(/^[0-9a-f]{64}$/),
  node: z.string().min(2).max(63),
  round: z.number().int().min(0),
  resultHash: z.string().regex(/^[0-9a-f]{64}$/),
  result: z.unknown(),
});

/** A node's answer. */
export type NodeAnswer = z.infer<typeof NodeAnswerSchema>;

/** A node's answer with its `receipt`-purpose Ed25519 signature (hex). */
export const SignedNodeAnswerSchema = z.strictObject({ answer: NodeAnswerSchema, signature: z.string().max(256) });

/** A signed node answer. */
export type SignedNodeAnswer = z.infer<typeof SignedNodeAnswerSchema>;

/**
 * A node's reply to a run with `closeAfter`: the round's signed answer, then the close round's signed answer (its
 * receipt), or why the node could not close (the answer stands; the result stays unreleased until a re-run).
 */
export const ClosedRunSchema = z.strictObject({
  signed: z.unknown(),
  close: z.unknown().optional(),
  closeError: z.strictObject({ code: z.string().max(64), message: z.string().max(2_000) }).optional(),
});

/** A node's reply to a run with `closeAfter`. */
export type ClosedRun = z.infer<typeof ClosedRunSchema>;

/** The content hash of a task (the `task` contract hash domain): what the ledger's `task.authorize` names. */
export function taskHashOf(task: FederatedTask): string {
  return contractHash('task', task);
}

/** The content hash of a node's (or the released) result (the `result` contract hash domain). */
export function resultHashOf(result: unknown): string {
  return contractHash('result', result ?? null);
}

/** Checks a task from the wire: its shape and size (MER_FED_INVALID_TASK naming the field). */
export function parseFederatedTask(input: unknown): FederatedTask {
  const parsed = FederatedTaskSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = (issue?.path ?? []).map(String).join('.') || 'task';
    throw new MeridianError('MER_FED_INVALID_TASK', `task field ${path}: ${issue?.message ?? 'invalid'}`, { path });
  }
  const bytes = canonicalBytes(parsed.data).byteLength;
  if (bytes > TASK_BYTES_MAX) {
    throw new MeridianError('MER_FED_INVALID_TASK', `the task is ${bytes} bytes; at most ${TASK_BYTES_MAX}`, { bytes });
  }
  return parsed.data;
}

/** Signs a node's answer for `task` with the node's identity key. */
export function signNodeAnswer(opts: {
  task: FederatedTask;
  node: string;
  round: number;
  result: unknown;
  privateKey: PrivateKeyInput;
}): SignedNodeAnswer {
  const answer: NodeAnswer = {
    taskId: opts.task.taskId,
    taskHash: taskHashOf(opts.task),
    node: opts.node,
    round: opts.round,
    resultHash: resultHashOf(opts.result),
    result: opts.result,
  };
  return {
    answer,
    signature: signForPurpose({ purpose: 'receipt', payload: canonicalBytes(answer), privateKey: opts.privateKey }),
  };
}

/**
 * Verifies a node's answer against the task the hub sent and the node's public key: shape, task hash, node,
 * round, result hash and signature. Returns the answer's result, or throws MER_FED_BAD_ANSWER naming the check.
 */
export function verifyNodeAnswer(opts: {
  signed: unknown;
  task: FederatedTask;
  node: string;
  round: number;
  publicKey: PublicKeyInput;
}): unknown {
  const bad = (check: string): MeridianError =>
    new MeridianError('MER_FED_BAD_ANSWER', `hospital node ${opts.node} answered task ${opts.task.taskId}: ${check}`, {
      node: opts.node,
      taskId: opts.task.taskId,
      check,
    });
  const parsed = SignedNodeAnswerSchema.safeParse(opts.signed);
  if (!parsed.success) throw bad('the answer is not a signed node answer');
  const { answer, signature } = parsed.data;
  if (answer.taskHash !== taskHashOf(opts.task) || answer.taskId !== opts.task.taskId) throw bad('wrong task hash');
  if (answer.node !== opts.node) throw bad(`signed as ${answer.node}`);
  if (answer.round !== opts.round) throw bad(`round ${answer.round}, expected ${opts.round}`);
  if (answer.resultHash !== resultHashOf(answer.result)) throw bad('the result does not match its hash');
  let ok = false;
  try {
    ok = verifyForPurpose({
      purpose: 'receipt',
      payload: canonicalBytes(answer),
      signature,
      publicKey: opts.publicKey,
    });
  } catch {
    ok = false;
  }
  if (!ok) throw bad('the signature does not verify with the node’s key');
  return answer.result;
}
