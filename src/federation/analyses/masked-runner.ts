/**
 * The node side shared by the exact federated analyses whose messages are sums (Kaplan–Meier, Cox, descriptive
 * statistics), on the GLM's pattern: round 0 hands out this task's ephemeral X25519 public key (signed with the
 * node's answer, so the hub cannot swap it); every later round verifies all hospitals' signed keys, builds — once
 * per task, then cached — the cohort's analysis table on DWD, lets the analysis apply its disclosure checks and
 * compute its vector of sums, and returns that vector masked pairwise with every other hospital of the task.
 * The hub learns only the sum over all hospitals.
 *
 *   round 0: ─► { publicKey }
 *   round r: { keys, …analysis input } ─► verify keys ─► analysis table (cached) ─► checks ─► sums ─► masked words
 *
 * The masks of a round are bound to the task hash, the round and a digest of the round's whole input: a hub that
 * sends one round twice with different inputs gets the two vectors under unrelated masks, never two vectors
 * under the same masks (whose difference would be in the clear).
 *
 * When round 0 asks for dropout recovery ({ recovery: true }) the runner also hands out sealed Shamir shares in
 * round 1, adds a self-mask to every data round, checks the participant set the hub names, and answers recovery
 * requests under the rules of src/federation/secure-agg/recovery.ts (dropout-recovery.ts has the rounds). Every
 * MaskedAnalysis gets this without a line of its own.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { MeridianError } from '../../errors/registry.ts';
import { canonicalBytes } from '../../ledger/canonical-json.ts';
import type { PublicKeyInput } from '../../ledger/signing.ts';
import type { Lake } from '../../store/index.ts';
import { compileCohort, parseCohort } from '../cohort/index.ts';
import { compileDataset, parseVariables } from '../dataset/index.ts';
import type { AnalysisRunner } from '../node.ts';
import { type FederatedTask, SignedNodeAnswerSchema, taskHashOf, verifyNodeAnswer } from '../protocol.ts';
import { acceptDataRound, publicKeyFromRaw, publicKeyToRaw } from '../secure-agg/index.ts';
import {
  newRecoveryKeys,
  peerKeysOf,
  RecoveryInputSchema,
  RecoveryKeyInputSchema,
  type RecoveryKeys,
  recoveryAnswer,
  requireSetupKeys,
  setupAnswer,
} from './dropout-recovery.ts';
import { maskReals } from './secure-vector.ts';

/** Most reals one masked round carries (two 64-bit words each; the answer stays well under the 1 MiB body limit). */
export const MASKED_REALS_MAX = 20_000;

/** Tasks whose keys and analysis table a runner keeps between rounds (oldest dropped first). */
const TASKS_CACHED_MAX = 4;

/** The signed key answers of every hospital, as the hub passes them on in each data round. */
export const RoundKeysSchema = z.array(z.unknown()).min(2).max(64);

/** What a node answers in round 0: its pairwise key, and with dropout recovery its share key and seed commitment. */
export const KeyAnswerSchema = z.strictObject({
  publicKey: z.string().regex(/^[0-9a-f]{64}$/),
  encryptionKey: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  seedCommitment: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});

/** A round-0 answer. */
export type KeyAnswer = z.infer<typeof KeyAnswerSchema>;

/** The participant set the hub names in a data round of a task that recovers dropouts. */
const ParticipantsSchema = z.array(z.string().min(2).max(63)).min(2).max(64);

/** What a node answers in a data round: its minimum cell, design names, and the masked sums with their length. */
export const MaskedAnswerSchema = z.strictObject({
  /** The node's minimum cell size (consortium configuration, public): the hub releases under the largest. */
  minCell: z.number().int().min(1).max(1_000),
  /** Covariate names of the design (Cox), the same at every hospital; empty for the other analyses. */
  names: z.array(z.string().max(200)).max(200),
  length: z.number().int().min(1).max(MASKED_REALS_MAX),
  masked: z.array(z.string().regex(/^[0-9a-f]{1,16}$/)).max(2 * MASKED_REALS_MAX),
});

/** A data round's answer. */
export type MaskedAnswer = z.infer<typeof MaskedAnswerSchema>;

/** What a masked runner needs from its node: the lake, its name, its minimum cell and the hospitals' identity keys. */
export interface MaskedRunnerDeps {
  readonly lake: Pick<Lake, 'query' | 'tables'>;
  readonly node: string;
  readonly minCell: number;
  readonly identityKey: (node: string) => Promise<PublicKeyInput | undefined>;
}

/** What the runner tells an analysis when it prepares the node's table. */
export interface PrepareContext {
  readonly minCell: number;
  readonly node: string;
}

/** One analysis carried by masked sums: how it reads its parameters, prepares its table and sums a round. */
export interface MaskedAnalysis<P, T, I extends { keys: readonly unknown[] }> {
  readonly kind: 'km' | 'cox' | 'descriptive' | 'fedavg' | 'glm';
  /** Parses the task's parameters (MER_FED_INVALID_TASK naming the field). */
  parse(task: FederatedTask): P;
  /** Schema of a data round's input, `keys` included. */
  readonly input: z.ZodType<I>;
  /** The node's table from its analysis rows, after the analysis's disclosure checks (which throw MER_DISCLOSURE_*). */
  prepare(rows: readonly Readonly<Record<string, unknown>>[], params: P, ctx: PrepareContext): T;
  /** The round's vector of sums and the design names the hub compares across hospitals. */
  compute(table: T, params: P, input: I): { values: number[]; names: readonly string[] };
}

interface TaskState<T> {
  readonly privateKey: KeyObject;
  readonly publicKeyHex: string;
  /** Present when round 0 asked for dropout recovery (dropout-recovery.ts). */
  readonly recovery?: RecoveryKeys;
  table?: T;
}

/** A node's runner for one masked analysis (see the module comment for the rounds). */
export function maskedRunner<P, T, I extends { keys: readonly unknown[] }>(
  deps: MaskedRunnerDeps,
  analysis: MaskedAnalysis<P, T, I>,
): AnalysisRunner {
  const tasks = new Map<string, TaskState<T>>();
  return async ({ task, round, input }) => {
    const params = analysis.parse(task);
    if (round === 0) {
      if (input !== undefined && !RecoveryKeyInputSchema.safeParse(input).success) {
        throw new MeridianError('MER_FED_INVALID_TASK', 'round 0 input is nothing, or { recovery: true }', {
          path: 'input',
        });
      }
      if (tasks.size >= TASKS_CACHED_MAX) tasks.delete(tasks.keys().next().value as string);
      if (input !== undefined) {
        const recovery = newRecoveryKeys();
        tasks.set(task.taskId, { privateKey: recovery.maskKey, publicKeyHex: recovery.maskKeyHex, recovery });
        const answer: KeyAnswer = {
          publicKey: recovery.maskKeyHex,
          encryptionKey: recovery.encryptionKeyHex,
          seedCommitment: recovery.seedCommitment,
        };
        return answer;
      }
      const { privateKey, publicKey } = generateKeyPairSync('x25519');
      const publicKeyHex = publicKeyToRaw(publicKey).toString('hex');
      tasks.set(task.taskId, { privateKey, publicKeyHex });
      return { publicKey: publicKeyHex };
    }
    const state = tasks.get(task.taskId);
    if (!state) {
      throw new MeridianError(
        'MER_FED_INVALID_TASK',
        `${deps.node} holds no keys for task ${task.taskId} (restarted since round 0?); start the analysis again`,
        { taskId: task.taskId },
      );
    }
    const recovery = state.recovery;
    let participants: readonly string[] | undefined;
    let analysisInput = input;
    if (recovery !== undefined) {
      if (round === 1) return setupRound(deps, task, input, state.publicKeyHex, recovery);
      const asked = RecoveryInputSchema.safeParse(input);
      if (asked.success) return recoveryAnswer({ keys: recovery, task, node: deps.node, input: asked.data });
      const { participants: named, ...rest } = (input ?? {}) as Record<string, unknown>;
      const listed = ParticipantsSchema.safeParse(named);
      if (!listed.success) {
        throw new MeridianError(
          'MER_FED_INVALID_TASK',
          `round ${round} input.participants is not a list of hospitals`,
          {
            path: 'input.participants',
          },
        );
      }
      participants = listed.data;
      analysisInput = rest;
    }
    const parsed = analysis.input.safeParse(analysisInput);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = ['input', ...(issue?.path ?? [])].map(String).join('.');
      throw new MeridianError(
        'MER_FED_INVALID_TASK',
        `round ${round} input is not a ${analysis.kind} round: ${path}: ${issue?.message ?? 'invalid'}`,
        { path },
      );
    }
    const allPeers = await verifiedPeers(deps, task, parsed.data.keys, state.publicKeyHex);
    const peers = participants === undefined ? allPeers : allPeers.filter((p) => participants.includes(p.id));
    const rules =
      recovery === undefined
        ? undefined
        : acceptDataRound(requireRules(recovery, deps.node, task), { round, participants: participants ?? [] });
    if (recovery !== undefined) requireSetupKeys(recovery, peers);
    if (state.table === undefined) {
      const rows = await analysisRows(deps.lake, task);
      state.table = analysis.prepare(rows, params, { minCell: deps.minCell, node: deps.node });
    }
    const { values, names } = analysis.compute(state.table, params, parsed.data);
    if (values.length < 1 || values.length > MASKED_REALS_MAX) {
      throw new MeridianError(
        'MER_FED_INVALID_TASK',
        `the ${analysis.kind} round needs ${values.length} sums; one round carries 1 to ${MASKED_REALS_MAX} (use a coarser grid or fewer variables)`,
        { length: values.length },
      );
    }
    const digest = createHash('sha256').update(canonicalBytes(input)).digest('hex');
    const masked = maskReals(values, {
      roundId: `${taskHashOf(task)}/${round}`,
      context: `${analysis.kind}/${digest}`,
      self: { id: deps.node, privateKey: state.privateKey },
      peers,
      ...(recovery === undefined ? {} : { selfSeed: recovery.seed }),
    });
    if (recovery !== undefined) recovery.rules = rules;
    const answer: MaskedAnswer = { minCell: deps.minCell, names: [...names], length: values.length, masked };
    return answer;
  };
}

/** The cohort's analysis table on this node's DWD: one row per person, one column per analysis variable. */
export async function analysisRows(lake: Pick<Lake, 'query' | 'tables'>, task: FederatedTask) {
  const present = new Set(await lake.tables());
  const cohort = compileCohort(parseCohort(task.cohort), { present });
  const dataset = compileDataset(cohort, parseVariables(task.variables), { present });
  return lake.query<Record<string, unknown>>(dataset.sql, dataset.params);
}

/** Every hospital's verified round-0 answer; this node's own must carry the key it made in round 0. */
export async function verifiedKeyAnswers(
  deps: Pick<MaskedRunnerDeps, 'node' | 'identityKey'>,
  task: FederatedTask,
  keys: readonly unknown[],
  ownKeyHex: string,
): Promise<Map<string, KeyAnswer>> {
  const byNode = new Map<string, KeyAnswer>();
  for (const signed of keys) {
    const parsed = SignedNodeAnswerSchema.safeParse(signed);
    const node = parsed.success ? parsed.data.answer.node : '?';
    const identity = await deps.identityKey(node);
    if (!parsed.success || identity === undefined || !task.hospitals.includes(node)) {
      throw new MeridianError('MER_FED_BAD_ANSWER', `a key answer names ${node}, which is not a hospital of the task`);
    }
    const result = KeyAnswerSchema.safeParse(verifyNodeAnswer({ signed, task, node, round: 0, publicKey: identity }));
    if (!result.success) throw new MeridianError('MER_FED_BAD_ANSWER', `the key answer of ${node} is malformed`);
    byNode.set(node, result.data);
  }
  const missing = task.hospitals.filter((h) => !byNode.has(h));
  if (missing.length > 0) {
    throw new MeridianError('MER_FED_BAD_ANSWER', `the round lacks the keys of ${missing.join(', ')}`, { missing });
  }
  if (byNode.get(deps.node)?.publicKey !== ownKeyHex) {
    throw new MeridianError(
      'MER_FED_BAD_ANSWER',
      `the round carries another key for ${deps.node} than the one it made`,
    );
  }
  return byNode;
}

/** Every hospital's verified X25519 key but this node's own, which must be the one it made in round 0. */
export async function verifiedPeers(
  deps: Pick<MaskedRunnerDeps, 'node' | 'identityKey'>,
  task: FederatedTask,
  keys: readonly unknown[],
  ownKeyHex: string,
): Promise<{ id: string; publicKey: KeyObject }[]> {
  const byNode = await verifiedKeyAnswers(deps, task, keys, ownKeyHex);
  return [...byNode]
    .filter(([node]) => node !== deps.node)
    .map(([id, a]) => ({ id, publicKey: publicKeyFromRaw(Buffer.from(a.publicKey, 'hex')) }));
}

/** The setup round of a task that recovers dropouts: verifies every hospital's keys, then seals this node's shares. */
async function setupRound(
  deps: MaskedRunnerDeps,
  task: FederatedTask,
  input: unknown,
  ownKeyHex: string,
  recovery: RecoveryKeys,
): Promise<unknown> {
  const keys = RoundKeysSchema.safeParse((input as { keys?: unknown } | undefined)?.keys);
  if (!keys.success) {
    throw new MeridianError('MER_FED_INVALID_TASK', "round 1 (setup) input.keys is not the hospitals' key answers", {
      path: 'input.keys',
    });
  }
  const answers = await verifiedKeyAnswers(deps, task, keys.data, ownKeyHex);
  if (answers.get(deps.node)?.encryptionKey !== recovery.encryptionKeyHex) {
    throw new MeridianError('MER_FED_BAD_ANSWER', `the round carries another share key for ${deps.node} than its own`);
  }
  const peers = peerKeysOf(answers);
  peers.delete(deps.node);
  return setupAnswer({ keys: recovery, task, node: deps.node, peers });
}

function requireRules(recovery: RecoveryKeys, node: string, task: FederatedTask) {
  if (recovery.rules === undefined) {
    throw new MeridianError(
      'MER_FED_INVALID_TASK',
      `${node} has not handed out its shares for task ${task.taskId} (round 1)`,
      {
        taskId: task.taskId,
      },
    );
  }
  return recovery.rules;
}

/** Parses kind-specific task parameters with `schema` (MER_FED_INVALID_TASK naming the field). */
export function parseParameters<S extends z.ZodType>(schema: S, parameters: unknown): z.infer<S> {
  const parsed = schema.safeParse(parameters);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = ['parameters', ...(issue?.path ?? [])].map(String).join('.');
    throw new MeridianError('MER_FED_INVALID_TASK', `${path}: ${issue?.message ?? 'invalid'}`, { path });
  }
  return parsed.data;
}

/** A parameter that does not fit the task's variables (MER_FED_INVALID_TASK naming the field). */
export function invalidParameter(field: string, message: string): MeridianError {
  return new MeridianError('MER_FED_INVALID_TASK', `parameters.${field}: ${message}`, { path: `parameters.${field}` });
}

/** A column's cell as a finite number, or null when NULL; errors name the row and column, never the value. */
export function numericCell(row: Readonly<Record<string, unknown>>, column: string, index: number): number | null {
  const value = row[column];
  if (value === null) return null;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint' && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER))
    return Number(value);
  throw cellError(value, column, index, 'a finite number');
}

/** A column's cell as a level (numbers as their decimal text), or null when NULL; errors never show the value. */
export function levelCell(row: Readonly<Record<string, unknown>>, column: string, index: number): string | null {
  const value = row[column];
  if (value === null) return null;
  if (typeof value === 'string') return value;
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint') return String(value);
  throw cellError(value, column, index, 'a level (text or a whole number)');
}

function cellError(value: unknown, column: string, index: number, wanted: string): MeridianError {
  const what = value === undefined ? 'is not a column of the analysis table' : `is a ${typeof value}, not ${wanted}`;
  return new MeridianError('MER_DATASET_DESIGN_INVALID', `Invalid design: rows[${index}].${column} ${what}`, {
    field: column,
  });
}

/** Refuses an analysis whose node rows are under the minimum cell (zero included): nothing of it leaves the node. */
export function requireMinCell(count: number, ctx: PrepareContext & { what: string }): void {
  if (count < ctx.minCell) {
    throw new MeridianError(
      'MER_DISCLOSURE_COHORT_TOO_SMALL',
      `${ctx.node} refuses: ${ctx.what} has fewer rows than the minimum cell of ${ctx.minCell}`,
      { node: ctx.node, minCell: ctx.minCell },
    );
  }
}
