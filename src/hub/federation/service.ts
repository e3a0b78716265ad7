/**
 * The hub's federated analyses: every task is authorized on the ledger first, then run on the hospitals of the
 * task through verified rounds (rounds.ts). Counts tolerate missing hospitals (the answer is marked partial and
 * lists who is missing and why); exact analyses need every hospital.
 */
import { randomUUID } from 'node:crypto';
import { CountResultSchema } from '../../federation/analyses/count.ts';
import { coxPlan } from '../../federation/analyses/cox.ts';
import { descriptivePlan } from '../../federation/analyses/descriptive.ts';
import { kmPlan } from '../../federation/analyses/km.ts';
import { parseCohort } from '../../federation/cohort/index.ts';
import { parseVariables } from '../../federation/dataset/index.ts';
import type { ReleasedCount } from '../../federation/disclosure/cell-suppression.ts';
import { CLOSE_ROUND } from '../../federation/node.ts';
import { type FederatedTask, parseFederatedTask, resultHashOf, taskHashOf } from '../../federation/protocol.ts';
import type { ResultReleaser, TaskAuthorizer } from './authorize.ts';
import { type FederatedCox, runFederatedCox } from './cox.ts';
import { type FederatedDescriptive, runFederatedDescriptive } from './descriptive.ts';
import { type FederatedGlm, runFederatedGlm } from './glm.ts';
import { type FederatedKm, runFederatedKm } from './km.ts';
import { type RoundDeps, runRound } from './rounds.ts';

/** Longest a hospital may take to answer one round. */
export const ROUND_TIMEOUT_MS = 20_000;

/** What the researcher asks for; the hub adds the task id, the user and the time. */
export interface TaskRequest {
  readonly requestId: string;
  readonly projectId: string;
  readonly kind: FederatedTask['kind'];
  readonly cohort: unknown;
  readonly variables?: unknown;
  readonly parameters?: Record<string, unknown>;
  readonly hospitals: readonly string[];
}

/** One hospital's line in a count answer. */
export type HospitalCount =
  | { readonly hospital: string; readonly status: 'answered'; readonly count: ReleasedCount }
  | { readonly hospital: string; readonly status: 'missing'; readonly code: string; readonly message: string };

/** A federated count as the researcher sees it. */
export interface CountAnswer {
  readonly taskId: string;
  readonly taskHash: string;
  readonly authorizedAt: LedgerTx;
  readonly ledger: LedgerTrail;
  readonly byHospital: readonly HospitalCount[];
  /** Sum of the released counts: a lower bound when a hospital's count was suppressed or missing. */
  readonly total: number;
  readonly suppressed: readonly string[];
  readonly missing: readonly string[];
  readonly partial: boolean;
  readonly minCell: number | null;
  readonly unknownCodes: readonly string[];
}

/** A committed ledger transaction. */
export interface LedgerTx {
  readonly txHash: string;
  readonly height: number;
}

/** The task's trail on the ledger after it ran: each hospital's receipt and the hub's release of the result. */
export interface LedgerTrail {
  /** `task.receipt` of each hospital that answered, over the hashes of everything it returned. */
  readonly receipts: Readonly<Record<string, LedgerTx>>;
  /** `result.release` of what the researcher got, once every hospital of the task filed its receipt. */
  readonly release: (LedgerTx & { readonly resultHash: string }) | null;
  /** Why there is no release (a hospital without a receipt), when there is none. */
  readonly unreleased: string | null;
}

/** Which task an exact analysis answered and where the ledger authorized it. */
export interface TaskStamp {
  readonly taskId: string;
  readonly taskHash: string;
  readonly authorizedAt: LedgerTx;
  readonly ledger: LedgerTrail;
}

/** What the service needs: rounds, and the ledger's authorization and release. */
export type FederationDeps = RoundDeps & { authorize: TaskAuthorizer; release: ResultReleaser; now?: () => Date };

/** Runs federated analyses for the hub's routes. */
export class FederationService {
  readonly #deps: FederationDeps;

  constructor(deps: FederationDeps) {
    this.#deps = deps;
  }

  /**
   * Builds the content-addressed task for `request` on behalf of `user`. The cohort and the variables are checked
   * here, before anything is authorized or sent (MER_COHORT_INVALID, MER_DATASET_INVALID name the path and value).
   */
  task(request: TaskRequest, user: { id: string; role: string }): FederatedTask {
    parseCohort(request.cohort);
    if (request.variables !== undefined) parseVariables(request.variables);
    return parseFederatedTask({
      taskId: `task-${randomUUID()}`,
      requestId: request.requestId,
      projectId: request.projectId,
      kind: request.kind,
      cohort: request.cohort,
      ...(request.variables === undefined ? {} : { variables: request.variables }),
      parameters: request.parameters ?? {},
      hospitals: [...request.hospitals],
      user,
      issuedAt: (this.#deps.now?.() ?? new Date()).toISOString(),
    });
  }

  /** Authorizes and runs a `count` task: per-hospital released counts, partial when a hospital is missing. */
  async count(task: FederatedTask): Promise<CountAnswer> {
    const authorizedAt = await this.#deps.authorize(task);
    const round = await runRound(this.#deps, { task, round: 0, timeoutMs: ROUND_TIMEOUT_MS });
    const byHospital: HospitalCount[] = [];
    const suppressed: string[] = [];
    const unknown = new Set<string>();
    const missing = [...round.missing];
    let total = 0;
    let minCell: number | null = null;
    for (const o of round.outcomes) {
      if (o.status === 'missing') {
        byHospital.push({ hospital: o.node, status: 'missing', code: o.code, message: o.message });
        continue;
      }
      const parsed = CountResultSchema.safeParse(o.result);
      if (!parsed.success) {
        const message = `hospital node ${o.node} answered the count with an unexpected shape; it is not used`;
        byHospital.push({ hospital: o.node, status: 'missing', code: 'MER_FED_BAD_ANSWER', message });
        missing.push(o.node);
        continue;
      }
      const r = parsed.data;
      byHospital.push({ hospital: o.node, status: 'answered', count: r.count });
      if (typeof r.count === 'number') total += r.count;
      else suppressed.push(o.node);
      minCell = Math.max(minCell ?? 0, r.minCell);
      for (const c of r.unknownCodes) unknown.add(c);
    }
    const answer = {
      taskId: task.taskId,
      taskHash: taskHashOf(task),
      authorizedAt,
      byHospital,
      total,
      suppressed,
      missing,
      partial: missing.length > 0,
      minCell,
      unknownCodes: [...unknown].sort(),
    };
    const answeredNodes = task.hospitals.filter((h) => !missing.includes(h));
    return { ...answer, ledger: await this.#close(task, answeredNodes, answer) };
  }

  /** Authorizes and runs an exact federated GLM (every hospital must answer every round). */
  async glm(task: FederatedTask): Promise<FederatedGlm & TaskStamp> {
    const authorizedAt = await this.#deps.authorize(task);
    const fit = await runFederatedGlm(this.#deps, task);
    const answer = { ...fit, taskId: task.taskId, taskHash: taskHashOf(task), authorizedAt };
    return { ...answer, ledger: await this.#close(task, task.hospitals, answer) };
  }

  /** Authorizes and runs Kaplan–Meier curves (every hospital must answer); parameters are checked before the ledger. */
  async km(task: FederatedTask): Promise<FederatedKm & TaskStamp> {
    kmPlan(task);
    return this.#exact(task, runFederatedKm);
  }

  /** Authorizes and runs an exact federated Cox model (every hospital must answer every round). */
  async cox(task: FederatedTask): Promise<FederatedCox & TaskStamp> {
    coxPlan(task);
    return this.#exact(task, runFederatedCox);
  }

  /** Authorizes and runs descriptive statistics (every hospital must answer). */
  async descriptive(task: FederatedTask): Promise<FederatedDescriptive & TaskStamp> {
    descriptivePlan(task);
    return this.#exact(task, runFederatedDescriptive);
  }

  async #exact<T>(
    task: FederatedTask,
    run: (deps: RoundDeps, task: FederatedTask) => Promise<T>,
  ): Promise<T & TaskStamp> {
    const authorizedAt = await this.#deps.authorize(task);
    const answer = await run(this.#deps, task);
    const stamped = { ...answer, taskId: task.taskId, taskHash: taskHashOf(task), authorizedAt };
    return { ...stamped, ledger: await this.#close(task, task.hospitals, stamped) };
  }

  /**
   * Closes a task on the ledger: each hospital that answered files its receipt over the hashes of everything it
   * returned; once every hospital of the task has, the hub releases the hash of what the researcher got. A
   * hospital that cannot file leaves the result unreleased (said in `unreleased`), never unanswered.
   */
  async #close(task: FederatedTask, nodes: readonly string[], released: unknown): Promise<LedgerTrail> {
    const round = await runRound(this.#deps, {
      task,
      round: CLOSE_ROUND,
      nodes,
      input: () => ({ close: true }),
      timeoutMs: ROUND_TIMEOUT_MS,
    });
    const receipts: Record<string, LedgerTx> = {};
    const problems: string[] = [];
    for (const o of round.outcomes) {
      const receipt = (o.status === 'answered' ? (o.result as { receipt?: LedgerTx }) : undefined)?.receipt;
      if (receipt && typeof receipt.txHash === 'string' && typeof receipt.height === 'number') {
        receipts[o.node] = { txHash: receipt.txHash, height: receipt.height };
      } else problems.push(o.status === 'missing' ? `${o.node}: ${o.message}` : `${o.node}: no receipt`);
    }
    for (const h of task.hospitals) if (!nodes.includes(h)) problems.push(`${h} did not answer`);
    if (problems.length > 0) return { receipts, release: null, unreleased: problems.join('; ') };
    const resultHash = resultHashOf(released);
    const release = await this.#deps.release(task.taskId, resultHash);
    return { receipts, release: { ...release, resultHash }, unreleased: null };
  }
}
