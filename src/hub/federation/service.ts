/**
 * The hub's federated analyses: every task is authorized on the ledger first, then run on the hospitals of the
 * task through verified rounds (rounds.ts). Counts tolerate missing hospitals (the answer is marked partial and
 * lists who is missing and why); exact analyses need every hospital.
 */
import { randomUUID } from 'node:crypto';
import { MeridianError } from '../../errors/registry.ts';
import type { CountResult } from '../../federation/analyses/count.ts';
import { coxPlan } from '../../federation/analyses/cox.ts';
import { descriptivePlan } from '../../federation/analyses/descriptive.ts';
import { fedavgPlan } from '../../federation/analyses/fedavg.ts';
import { kmPlan } from '../../federation/analyses/km.ts';
import { parseCohort } from '../../federation/cohort/index.ts';
import { parseVariables } from '../../federation/dataset/index.ts';
import { PICO_DELTA_PER_DELTA } from '../../federation/disclosure/privacy-budget.ts';
import { type DpTaskParameters, dpOfTask } from '../../federation/dp-task.ts';
import { CLOSE_ROUND } from '../../federation/node.ts';
import { type FederatedTask, parseFederatedTask, resultHashOf, taskHashOf } from '../../federation/protocol.ts';
import { MICRO_EPSILON_PER_EPSILON } from '../../ledger/contracts/index.ts';
import type { BudgetCharger, ResultReleaser, TaskAuthorizer } from './authorize.ts';
import { countLines, countTotals, mergeCountLines } from './count-merge.ts';
import { type FederatedCox, runFederatedCox } from './cox.ts';
import { type FederatedDescriptive, runFederatedDescriptive } from './descriptive.ts';
import { type FederatedFedAvg, runFederatedFedAvg } from './fedavg.ts';
import { type FederatedGlm, runFederatedGlm } from './glm.ts';
import { type FederatedKm, runFederatedKm } from './km.ts';
import type { Dropout, MaskedRoundDeps, Partiality } from './masked-rounds.ts';
import { type NodeOutcome, type RoundDeps, runRound } from './rounds.ts';

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
  | {
      readonly hospital: string;
      readonly status: 'answered';
      readonly count: CountResult['count'];
      /** The rule the hospital released its count under; only `suppression` gives exact numbers. */
      readonly disclosure: CountResult['disclosure'];
    }
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
  /** Hospitals whose obfuscated count was "at most" the floor (10 or fewer); they add nothing to `total`. */
  readonly atMost: readonly string[];
  /** True when some released count carries noise (obfuscation or DP): `total` is then an estimate, not a bound. */
  readonly noisy: boolean;
  /** What a DP count spent: present only when the researcher asked for differential privacy. */
  readonly dp?: DpSpend;
}

/** The ε a DP count charged to its project on the ledger and what the project has left (ε, not micro-ε). */
export interface DpSpend {
  readonly mechanism: 'laplace' | 'gaussian';
  readonly epsilon: number;
  /** δ of the Gaussian (not tracked by the ledger's budget); null for the Laplace. */
  readonly delta: number | null;
  readonly charge: LedgerTx;
  readonly spentEpsilon: number;
  readonly remainingEpsilon: number;
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
export type FederationDeps = RoundDeps & {
  authorize: TaskAuthorizer;
  release: ResultReleaser;
  /** Charges a DP task's ε on the ledger; without it DP counts are refused. */
  charge?: BudgetCharger;
  now?: () => Date;
  /** Recover a hospital that drops out of a masked analysis (Kaplan–Meier, Cox, descriptive, FedAvg): masked-rounds.ts. */
  dropoutRecovery?: boolean;
  /** The consortium minimum cell size stamped on every task as its floor (protocol.ts `minCellFloor`). */
  minCellFloor?: () => number;
};

/** The closing outcomes a round run with `closeAfter` carries, one per hospital that answered. */
function closingsOf(outcomes: readonly NodeOutcome[]): NodeOutcome[] {
  return outcomes.flatMap((o) =>
    o.status !== 'answered'
      ? []
      : [o.closed ?? { node: o.node, status: 'missing' as const, code: 'MER_FED_BAD_ANSWER', message: 'no receipt' }],
  );
}

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
    const floor = this.#deps.minCellFloor?.();
    return parseFederatedTask({
      taskId: `task-${randomUUID()}`,
      requestId: request.requestId,
      projectId: request.projectId,
      kind: request.kind,
      cohort: request.cohort,
      ...(request.variables === undefined ? {} : { variables: request.variables }),
      parameters: request.parameters ?? {},
      hospitals: [...request.hospitals],
      ...(floor === undefined ? {} : { minCellFloor: floor }),
      user,
      issuedAt: (this.#deps.now?.() ?? new Date()).toISOString(),
    });
  }

  /**
   * Authorizes and runs a `count` task: per-hospital released counts, partial when a hospital is missing. A DP
   * count is charged to the project's budget on the ledger after its authorization and before any hospital is
   * asked; a refused charge (MER_DP_BUDGET_EXHAUSTED) runs nothing.
   */
  async count(task: FederatedTask): Promise<CountAnswer> {
    const dp = dpOfTask(task);
    const authorizedAt = await this.#deps.authorize(task);
    const spend = dp === undefined ? undefined : await this.#charge(task, dp);
    // One exchange per hospital: it answers and files its receipt at once (closeAfter).
    const round = await runRound(this.#deps, { task, round: 0, timeoutMs: ROUND_TIMEOUT_MS, closeAfter: true });
    const totals = countTotals(countLines(round.outcomes, task.minCellFloor));
    const answer = {
      taskId: task.taskId,
      taskHash: taskHashOf(task),
      authorizedAt,
      ...totals,
      ...(spend === undefined ? {} : { dp: spend }),
    };
    const answeredNodes = task.hospitals.filter((h) => !totals.missing.includes(h));
    return { ...answer, ledger: await this.#settle(task, answeredNodes, closingsOf(round.outcomes), answer) };
  }

  /**
   * Re-runs a partial count under its ledger authorization (docs/decisions/0010): asks again only the hospitals
   * that are missing or filed no receipt, merges their lines into the earlier answer, has them file their
   * receipts, and releases the result once every hospital of the task has one. A DP count is not charged again:
   * the nodes check the task's one charge on the ledger.
   */
  async rerunCount(task: FederatedTask, earlier: CountAnswer): Promise<CountAnswer> {
    const filed = earlier.ledger.receipts;
    const again = task.hospitals.filter((h) => earlier.missing.includes(h) || !Object.hasOwn(filed, h));
    const round = await runRound(this.#deps, {
      task,
      round: 0,
      nodes: again,
      timeoutMs: ROUND_TIMEOUT_MS,
      closeAfter: true,
    });
    const totals = countTotals(mergeCountLines(earlier, countLines(round.outcomes, task.minCellFloor)));
    const answer = {
      taskId: task.taskId,
      taskHash: taskHashOf(task),
      authorizedAt: earlier.authorizedAt,
      ...totals,
      ...(earlier.dp === undefined ? {} : { dp: earlier.dp }),
    };
    return { ...answer, ledger: await this.#settle(task, round.answered, closingsOf(round.outcomes), answer, filed) };
  }

  /** Authorizes and runs an exact federated GLM (a dropout in the first round is recovered, marked partial). */
  async glm(task: FederatedTask): Promise<FederatedGlm & TaskStamp> {
    return this.#exact(task, runFederatedGlm);
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

  /** Authorizes and trains a FedAvgM model (every hospital must answer every round); parameters are checked first. */
  async fedavg(task: FederatedTask): Promise<FederatedFedAvg & TaskStamp> {
    fedavgPlan(task);
    return this.#exact(task, runFederatedFedAvg);
  }

  async #exact<T extends object>(
    task: FederatedTask,
    run: (deps: FederationDeps & MaskedRoundDeps, task: FederatedTask) => Promise<T>,
  ): Promise<T & Partiality & TaskStamp> {
    const authorizedAt = await this.#deps.authorize(task);
    const dropouts: Dropout[] = [];
    const answer = await run({ ...this.#deps, onDropout: (d) => dropouts.push(d) }, task);
    const missing = dropouts.map((d) => d.hospital);
    const stamped = {
      ...answer,
      partial: dropouts.length > 0,
      missing,
      dropouts,
      taskId: task.taskId,
      taskHash: taskHashOf(task),
      authorizedAt,
    };
    // A hospital that dropped out of a recovered analysis files no receipt: the result stays unreleased, saying so.
    const answered = task.hospitals.filter((h) => !missing.includes(h));
    return { ...stamped, ledger: await this.#close(task, answered, stamped) };
  }

  async #charge(task: FederatedTask, dp: DpTaskParameters): Promise<DpSpend> {
    if (this.#deps.charge === undefined) {
      throw new MeridianError('MER_FED_LEDGER_UNAVAILABLE', 'this hub cannot charge privacy budgets; no DP count runs');
    }
    const b = await this.#deps.charge(task, dp.epsilonMicros);
    return {
      mechanism: dp.mechanism,
      epsilon: b.epsilonMicros / MICRO_EPSILON_PER_EPSILON,
      delta: dp.mechanism === 'gaussian' ? dp.deltaPicos / PICO_DELTA_PER_DELTA : null,
      charge: b.charge,
      spentEpsilon: b.spentMicros / MICRO_EPSILON_PER_EPSILON,
      remainingEpsilon: b.remainingMicros / MICRO_EPSILON_PER_EPSILON,
    };
  }

  /**
   * Closes a task on the ledger: each hospital that answered files its receipt over the hashes of everything it
   * returned; once every hospital of the task has (`filed`: receipts of an earlier run), the hub releases the hash
   * of what the researcher got. A hospital that cannot file leaves the result unreleased (said in `unreleased`),
   * never unanswered.
   */
  async #close(task: FederatedTask, nodes: readonly string[], released: unknown): Promise<LedgerTrail> {
    const round = await runRound(this.#deps, {
      task,
      round: CLOSE_ROUND,
      nodes,
      input: () => ({ close: true }),
      timeoutMs: ROUND_TIMEOUT_MS,
    });
    return this.#settle(task, nodes, round.outcomes, released);
  }

  /**
   * The trail from the closing outcomes of `nodes` (each hospital's receipt, or why it filed none) and the receipts
   * `filed` in an earlier run: the hub releases the result once every hospital of the task has a receipt.
   */
  async #settle(
    task: FederatedTask,
    nodes: readonly string[],
    closings: readonly NodeOutcome[],
    released: unknown,
    filed: Readonly<Record<string, LedgerTx>> = {},
  ): Promise<LedgerTrail> {
    const receipts: Record<string, LedgerTx> = { ...filed };
    const problems: string[] = [];
    for (const o of closings) {
      const receipt = (o.status === 'answered' ? (o.result as { receipt?: LedgerTx }) : undefined)?.receipt;
      if (receipt && typeof receipt.txHash === 'string' && typeof receipt.height === 'number') {
        receipts[o.node] = { txHash: receipt.txHash, height: receipt.height };
      } else problems.push(o.status === 'missing' ? `${o.node}: ${o.message}` : `${o.node}: no receipt`);
    }
    for (const h of task.hospitals) if (!nodes.includes(h) && !receipts[h]) problems.push(`${h} did not answer`);
    if (problems.length > 0) return { receipts, release: null, unreleased: problems.join('; ') };
    const resultHash = resultHashOf(released);
    const release = await this.#deps.release(task.taskId, resultHash);
    return { receipts, release: { ...release, resultHash }, unreleased: null };
  }
}
