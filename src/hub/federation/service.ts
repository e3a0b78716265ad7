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
import { type FederatedTask, parseFederatedTask, taskHashOf } from '../../federation/protocol.ts';
import type { TaskAuthorizer } from './authorize.ts';
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
  readonly authorizedAt: { readonly txHash: string; readonly height: number };
  readonly byHospital: readonly HospitalCount[];
  /** Sum of the released counts: a lower bound when a hospital's count was suppressed or missing. */
  readonly total: number;
  readonly suppressed: readonly string[];
  readonly missing: readonly string[];
  readonly partial: boolean;
  readonly minCell: number | null;
  readonly unknownCodes: readonly string[];
}

/** Which task an exact analysis answered and where the ledger authorized it. */
export interface TaskStamp {
  readonly taskId: string;
  readonly taskHash: string;
  readonly authorizedAt: { readonly txHash: string; readonly height: number };
}

/** Runs federated analyses for the hub's routes. */
export class FederationService {
  readonly #deps: RoundDeps & { authorize: TaskAuthorizer; now?: () => Date };

  constructor(deps: RoundDeps & { authorize: TaskAuthorizer; now?: () => Date }) {
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
    return {
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
  }

  /** Authorizes and runs an exact federated GLM (every hospital must answer every round). */
  async glm(
    task: FederatedTask,
  ): Promise<FederatedGlm & { taskId: string; taskHash: string; authorizedAt: { txHash: string; height: number } }> {
    const authorizedAt = await this.#deps.authorize(task);
    const fit = await runFederatedGlm(this.#deps, task);
    return { ...fit, taskId: task.taskId, taskHash: taskHashOf(task), authorizedAt };
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
    return { ...answer, taskId: task.taskId, taskHash: taskHashOf(task), authorizedAt };
  }
}
