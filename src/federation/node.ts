/**
 * The node side of a federated task (`federation.run`): before anything touches the hospital's data the node
 * checks, on its own ledger replica, that the task it was sent is exactly the one the consortium authorized
 * (same hash, kind and hospitals, this hospital among them, not yet released), then its local policy (which
 * analysis kinds run without a steward's approval); only then does it run the analysis on its DWD, apply
 * disclosure control (inside each runner: nothing leaves unprotected) and sign the answer with its identity key.
 * Every task the node receives is written to its audit log by the task channel.
 */
import { isMeridianError, MeridianError } from '../errors/registry.ts';
import type { PrivateKeyInput } from '../ledger/signing.ts';
import { checkDpCharge, dpOfTask } from './dp-task.ts';
import {
  ANALYSIS_KINDS,
  type AnalysisKind,
  type ClosedRun,
  FEDERATION_TASK_KIND,
  type FederatedTask,
  type FederationRun,
  FederationRunSchema,
  resultHashOf,
  type SignedNodeAnswer,
  signNodeAnswer,
  taskHashOf,
} from './protocol.ts';

/** The ledger's authorization of a task, as the contracts' `tasks/<id>` view shows it. */
export interface TaskAuthorization {
  readonly taskId: string;
  readonly requestId: string;
  readonly projectId: string;
  readonly taskHash: string;
  readonly analysisKind: string;
  readonly hospitals: readonly string[];
  readonly status: string;
  /** ε charged to the task on the ledger (micro-ε), which a DP task's noise must not exceed. */
  readonly epsilonChargedMicros?: number;
  /** Hospitals that filed their execution receipt for the task. */
  readonly receipts?: Readonly<Record<string, unknown>>;
}

/** Where a node reads authorizations: its own validator's committed contract state. */
export interface TaskAuthority {
  /** The authorization of `taskId`, or undefined when the ledger has none (MER_FED_LEDGER_UNAVAILABLE if unreachable). */
  authorization(taskId: string): Promise<TaskAuthorization | undefined>;
}

/** A hospital's local rules: analysis kinds that run without a steward's approval. */
export interface NodePolicy {
  readonly autoApprove: ReadonlySet<AnalysisKind>;
  /** Task ids the hospital's steward approved by hand (kinds outside `autoApprove`). */
  readonly approvedTasks?: ReadonlySet<string>;
}

/** The default policy: aggregate kinds run automatically; FedAvg (model training) waits for the steward. */
export const DEFAULT_NODE_POLICY: NodePolicy = {
  autoApprove: new Set<AnalysisKind>(['count', 'descriptive', 'km', 'glm', 'cox']),
};

/** What a runner gets: the checked task, the round and the hub's input for it. */
export interface RunContext {
  readonly task: FederatedTask;
  readonly round: number;
  readonly input: unknown;
}

/** Computes one round of one analysis kind on the node's data, disclosure control included. */
export type AnalysisRunner = (ctx: RunContext) => Promise<unknown>;

/** The minimum cell a node applies to `task`: its own, or the consortium floor the task carries when larger. */
export function effectiveMinCell(nodeMinCell: number, task: FederatedTask): number {
  return Math.max(nodeMinCell, task.minCellFloor ?? 1);
}

/**
 * Runners that honour each task's consortium floor: `build(minCell)` makes the runners for one effective minimum
 * cell; each set is built once and kept (at most one per value, and values are bounded by the task schema), so
 * every round of a task reaches the same runner and a runner's state between rounds survives.
 */
export function runnersWithFloor(
  nodeMinCell: number,
  build: (minCell: number) => Partial<Record<AnalysisKind, AnalysisRunner>>,
): Partial<Record<AnalysisKind, AnalysisRunner>> {
  const sets = new Map<number, Partial<Record<AnalysisKind, AnalysisRunner>>>();
  const setFor = (minCell: number) => {
    let set = sets.get(minCell);
    if (!set) {
      set = build(minCell);
      sets.set(minCell, set);
    }
    return set;
  };
  const kinds = ANALYSIS_KINDS.filter((kind) => setFor(nodeMinCell)[kind] !== undefined);
  return Object.fromEntries(
    kinds.map((kind): [AnalysisKind, AnalysisRunner] => [
      kind,
      (ctx) => {
        const runner = setFor(effectiveMinCell(nodeMinCell, ctx.task))[kind];
        if (!runner) throw new MeridianError('MER_FED_INVALID_TASK', `no ${kind} runner`, { kind });
        return runner(ctx);
      },
    ]),
  );
}

/** Files this hospital's execution receipt for a task on the ledger (`task.receipt`), naming its result hash. */
export type ReceiptFiler = (task: FederatedTask, resultHash: string) => Promise<{ txHash: string; height: number }>;

/** Everything the node side needs. */
export interface FederationNodeDeps {
  /** This hospital's name (its CA identity and ledger institution). */
  readonly node: string;
  readonly signingKey: PrivateKeyInput;
  readonly authority: TaskAuthority;
  readonly policy: NodePolicy;
  readonly runners: Partial<Record<AnalysisKind, AnalysisRunner>>;
  /** Where receipts go; without it the closing round is refused. */
  readonly receipts?: ReceiptFiler;
}

/** The round in which the hub closes a task: each hospital files its receipt over everything it answered. */
export const CLOSE_ROUND = 10_000;

/** Tasks whose answer hashes a node remembers until their closing round (oldest dropped first). */
const TASKS_REMEMBERED_MAX = 256;

/** Result hashes of what each node answered, per task, until the task is closed. */
const answered = new WeakMap<FederationNodeDeps, Map<string, string[]>>();

/** The result hash a hospital's receipt names: the task and the hashes of all its answers, in order. */
export function receiptResultHash(task: FederatedTask, answerHashes: readonly string[]): string {
  return resultHashOf({ taskHash: taskHashOf(task), answers: [...answerHashes] });
}

/** Starts remembering a task's answer hashes, forgetting the oldest task when the memory is full. */
function remember(tasks: Map<string, string[]>, taskId: string): string[] {
  if (tasks.size >= TASKS_REMEMBERED_MAX) tasks.delete(tasks.keys().next().value as string);
  const hashes: string[] = [];
  tasks.set(taskId, hashes);
  return hashes;
}

/** Checks a task against its ledger authorization and this node's policy; throws the refusal. */
export async function admitTask(deps: FederationNodeDeps, task: FederatedTask): Promise<void> {
  const auth = await deps.authority.authorization(task.taskId);
  const refuse = (why: string): MeridianError =>
    new MeridianError('MER_FED_NOT_AUTHORIZED', `task ${task.taskId} is not authorized for ${deps.node}: ${why}`, {
      taskId: task.taskId,
      node: deps.node,
    });
  if (!auth) throw refuse('the ledger has no authorization for it');
  if (auth.taskHash !== taskHashOf(task)) throw refuse('the ledger authorized a different task (hash differs)');
  if (auth.analysisKind !== task.kind) throw refuse(`the ledger authorized ${auth.analysisKind}, not ${task.kind}`);
  if (auth.requestId !== task.requestId || auth.projectId !== task.projectId) {
    throw refuse('the ledger authorized it under another request or project');
  }
  if (!auth.hospitals.includes(deps.node)) throw refuse('this hospital is not among the authorized hospitals');
  const sameSet =
    auth.hospitals.length === task.hospitals.length && task.hospitals.every((h) => auth.hospitals.includes(h));
  if (!sameSet) throw refuse('the task names other hospitals than the authorization');
  if (auth.status === 'released') throw refuse('its result was already released; a new task is needed');
  const dp = dpOfTask(task);
  if (dp !== undefined) checkDpCharge({ task, dp, node: deps.node, ledger: auth });
  if (!deps.policy.autoApprove.has(task.kind) && !deps.policy.approvedTasks?.has(task.taskId)) {
    throw new MeridianError(
      'MER_FED_NODE_POLICY',
      `${deps.node} runs ${task.kind} analyses only after its data steward approves the task (${task.taskId})`,
      { taskId: task.taskId, node: deps.node, kind: task.kind },
    );
  }
}

/** Runs one `federation.run` payload end to end on the node: parse, admit, run, sign (`closeAfter` is not acted on). */
export async function runFederatedRound(deps: FederationNodeDeps, payload: unknown): Promise<SignedNodeAnswer> {
  const run = await admittedRun(deps, payload);
  return answerRound(deps, run);
}

/**
 * What the node's `federation.run` handler does: {@link runFederatedRound}, and with `closeAfter` then also the
 * closing round (the receipt), both signed answers in one {@link ClosedRun}. A receipt that cannot be filed does
 * not take the answer back: the reply says why, and the result stays unreleased until the hub runs the task again.
 */
export async function runFederatedRun(
  deps: FederationNodeDeps,
  payload: unknown,
): Promise<SignedNodeAnswer | ClosedRun> {
  const run = await admittedRun(deps, payload);
  const signed = await answerRound(deps, run);
  if (run.closeAfter !== true || run.round === CLOSE_ROUND) return signed;
  try {
    return { signed, close: await answerRound(deps, { task: run.task, round: CLOSE_ROUND }) };
  } catch (e) {
    const { code, message } = isMeridianError(e)
      ? e
      : { code: 'MER_FED_LEDGER_UNAVAILABLE', message: `${deps.node} could not file its receipt: ${String(e)}` };
    return { signed, closeError: { code, message } };
  }
}

async function admittedRun(deps: FederationNodeDeps, payload: unknown): Promise<FederationRun> {
  const parsed = FederationRunSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = (issue?.path ?? []).map(String).join('.') || 'payload';
    throw new MeridianError('MER_FED_INVALID_TASK', `federation.run ${path}: ${issue?.message ?? 'invalid'}`, { path });
  }
  await admitTask(deps, parsed.data.task);
  return parsed.data;
}

/** Answers one admitted round: the closing round files the receipt, any other runs the analysis and signs it. */
async function answerRound(deps: FederationNodeDeps, run: FederationRun): Promise<SignedNodeAnswer> {
  let tasks = answered.get(deps);
  if (!tasks) {
    tasks = new Map();
    answered.set(deps, tasks);
  }
  if (run.round === CLOSE_ROUND) {
    if (!deps.receipts) {
      throw new MeridianError('MER_FED_LEDGER_UNAVAILABLE', `${deps.node} has no ledger to file receipts on`);
    }
    const hashes = tasks.get(run.task.taskId) ?? [];
    if (hashes.length === 0) {
      throw new MeridianError(
        'MER_FED_INVALID_TASK',
        `${deps.node} answered nothing for task ${run.task.taskId} (or restarted since); there is nothing to file a receipt for`,
        { taskId: run.task.taskId },
      );
    }
    const resultHash = receiptResultHash(run.task, hashes);
    const receipt = await deps.receipts(run.task, resultHash);
    tasks.delete(run.task.taskId);
    const result = { resultHash, answers: hashes.length, receipt };
    return signNodeAnswer({ task: run.task, node: deps.node, round: run.round, result, privateKey: deps.signingKey });
  }
  const runner = deps.runners[run.task.kind];
  if (!runner) {
    throw new MeridianError('MER_FED_INVALID_TASK', `${deps.node} cannot run ${run.task.kind} analyses`, {
      kind: run.task.kind,
    });
  }
  if (dpOfTask(run.task) !== undefined) {
    // One charge pays for one release: a DP task is run once per node (reserved before it runs, so a
    // concurrent duplicate is refused too), even when that run fails.
    if (tasks.has(run.task.taskId)) {
      throw new MeridianError(
        'MER_FED_DP_NOT_CHARGED',
        `${deps.node} already ran DP task ${run.task.taskId}; its charge pays for one release`,
        { taskId: run.task.taskId, node: deps.node },
      );
    }
    remember(tasks, run.task.taskId);
  }
  const result = await runner({ task: run.task, round: run.round, input: run.input });
  const signed = signNodeAnswer({
    task: run.task,
    node: deps.node,
    round: run.round,
    result,
    privateKey: deps.signingKey,
  });
  const hashes = tasks.get(run.task.taskId) ?? remember(tasks, run.task.taskId);
  hashes.push(signed.answer.resultHash);
  return signed;
}

/** The node's task handlers for the hub channel: `federation.run`. */
export function federationTaskHandlers(
  deps: FederationNodeDeps,
): Record<string, (payload: unknown) => Promise<unknown>> {
  return { [FEDERATION_TASK_KIND]: (payload) => runFederatedRun(deps, payload) };
}
