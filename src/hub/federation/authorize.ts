/**
 * Task authorization on the consortium ledger, by the hub: a `task.authorize` transaction naming the task's
 * content hash, analysis kind and hospitals under the researcher's data-use request. The contracts refuse it
 * unless the request is approved, unexpired, within its period and the kind and hospitals are in its scope;
 * the refusal's message is passed on to the researcher. Nodes then find the authorization on their own replica.
 */
import { type ErrorCode, MeridianError } from '../../errors/registry.ts';
import { commitContractTx, LedgerRefusal } from '../../federation/ledger-authority.ts';
import { type FederatedTask, taskHashOf } from '../../federation/protocol.ts';
import {
  FEASIBILITY_ANALYSIS_KIND,
  FEASIBILITY_REQUEST_ID,
  formatEpsilon,
  MICRO_EPSILON_PER_EPSILON,
  type PayloadOf,
  signContractTx,
  type TxKind,
} from '../../ledger/contracts/index.ts';
import type { LedgerClient } from '../../ledger/host/index.ts';
import type { PrivateKeyInput } from '../../ledger/signing.ts';
import type { TxUser } from '../../ledger/transaction.ts';

/** Authorizes a task before any node runs it; throws the ledger's refusal as a MeridianError. */
export type TaskAuthorizer = (task: FederatedTask) => Promise<{ txHash: string; height: number }>;

/** Contract refusals that mean "outside what the request allows" rather than "no such approved request". */
const SCOPE_CODES = new Set(['MER_CONTRACT_OUT_OF_SCOPE']);

/** How the hub signs contract transactions as its institution and commits them on the validators. */
export interface HubLedgerSigner {
  client: Pick<LedgerClient, 'commit' | 'get'>;
  chainId: string;
  institution: string;
  privateKey: PrivateKeyInput;
  validators: readonly string[];
  now?: () => number;
}

/** Signs `kind` with `payload` as the hub institution (for `user` when a user acts), at the signer's clock. */
export function signAsHub<K extends TxKind>(opts: HubLedgerSigner, kind: K, payload: PayloadOf<K>, user?: TxUser) {
  return signContractTx({
    chainId: opts.chainId,
    kind,
    institution: opts.institution,
    payload,
    ...(user === undefined ? {} : { user }),
    timeMs: (opts.now ?? Date.now)(),
    privateKey: opts.privateKey,
  });
}

/** True when `task` is a feasibility count: a count under the reserved request id, run before any request. */
export function isFeasibilityTask(task: Pick<FederatedTask, 'requestId' | 'kind'>): boolean {
  return task.requestId === FEASIBILITY_REQUEST_ID && task.kind === FEASIBILITY_ANALYSIS_KIND;
}

/**
 * A {@link TaskAuthorizer} that signs as the hub institution and waits for the commit and its outcome: a
 * feasibility count as `task.feasibility`, every other task as `task.authorize` under its request.
 */
export function ledgerTaskAuthorizer(opts: HubLedgerSigner): TaskAuthorizer {
  return async (task) => {
    const taskHash = taskHashOf(task);
    const tx = isFeasibilityTask(task)
      ? signAsHub(
          opts,
          'task.feasibility',
          { taskId: task.taskId, projectId: task.projectId, taskHash, hospitals: task.hospitals },
          task.user,
        )
      : signAsHub(
          opts,
          'task.authorize',
          {
            taskId: task.taskId,
            requestId: task.requestId,
            taskHash,
            analysisKind: task.kind,
            hospitals: task.hospitals,
          },
          task.user,
        );
    try {
      return await commitContractTx(opts.client, opts.validators, tx, `the authorization of task ${task.taskId}`);
    } catch (e) {
      if (!(e instanceof LedgerRefusal)) throw e;
      const code: ErrorCode = SCOPE_CODES.has(e.ledgerCode) ? 'MER_FED_OUT_OF_SCOPE' : 'MER_FED_NOT_AUTHORIZED';
      throw new MeridianError(code, `the ledger refused task ${task.taskId}: ${e.message}`, {
        taskId: task.taskId,
        ledgerCode: e.ledgerCode,
      });
    }
  };
}

/** Records on the ledger that a task's result was released (after every hospital filed its receipt). */
export type ResultReleaser = (taskId: string, resultHash: string) => Promise<{ txHash: string; height: number }>;

/** A {@link ResultReleaser} that signs `result.release` as the hub institution. */
export function ledgerResultReleaser(opts: HubLedgerSigner): ResultReleaser {
  return async (taskId, resultHash) => {
    const tx = signAsHub(opts, 'result.release', { taskId, resultHash });
    try {
      return await commitContractTx(opts.client, opts.validators, tx, `the release of task ${taskId}`);
    } catch (e) {
      if (!(e instanceof LedgerRefusal)) throw e;
      throw new MeridianError('MER_FED_NOT_AUTHORIZED', `the ledger refused to release task ${taskId}: ${e.message}`, {
        taskId,
        ledgerCode: e.ledgerCode,
      });
    }
  };
}

/** A project's privacy budget after a charge, in micro-ε, with the charge's transaction. */
export interface BudgetCharge {
  readonly charge: { txHash: string; height: number };
  readonly epsilonMicros: number;
  readonly totalMicros: number;
  readonly spentMicros: number;
  readonly remainingMicros: number;
}

/**
 * Charges a DP task's ε to its project's budget on the ledger before the task runs; throws MER_DP_BUDGET_EXHAUSTED
 * naming the ε left when the contract refuses (the task then never runs).
 */
export type BudgetCharger = (task: FederatedTask, epsilonMicros: number) => Promise<BudgetCharge>;

/** Polls of the budget view for a validator that has applied the charge's block. */
const BUDGET_READ_ROUNDS_MAX = 40;
/** Pause between two rounds of budget reads. */
const BUDGET_READ_PAUSE_MS = 50;

type BudgetView = { totalMicros: number; spentMicros: number; remainingMicros: number };

/** The project's budget view, from the first validator that has applied block `atLeast` (or any, for 0). */
async function readBudget(
  client: Pick<LedgerClient, 'get'>,
  validators: readonly string[],
  projectId: string,
  atLeast: number,
): Promise<BudgetView | undefined> {
  for (let round = 0; round < BUDGET_READ_ROUNDS_MAX; round++) {
    for (const v of validators) {
      const res = await client.get(v, `/v1/query/budget/${encodeURIComponent(projectId)}`).catch(() => undefined);
      const body = res?.body as { height?: number; value?: Partial<BudgetView> } | undefined;
      if (res?.status === 404) return undefined;
      const b = body?.value;
      if (res?.status !== 200 || (body?.height ?? -1) < atLeast || b === undefined) continue;
      const { totalMicros, spentMicros, remainingMicros } = b;
      if ([totalMicros, spentMicros, remainingMicros].every((x) => Number.isSafeInteger(x))) {
        return { totalMicros, spentMicros, remainingMicros } as BudgetView;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, BUDGET_READ_PAUSE_MS));
  }
  const message = `no validator answered for the budget of project ${projectId}`;
  throw new MeridianError('MER_FED_LEDGER_UNAVAILABLE', message, { projectId });
}

/** A {@link BudgetCharger} that signs `budget.charge` for the task as the hub institution and reads the budget back. */
export function ledgerBudgetCharger(opts: HubLedgerSigner): BudgetCharger {
  return async (task, epsilonMicros) => {
    const tx = signAsHub(opts, 'budget.charge', { taskId: task.taskId, epsilonMicros }, task.user);
    let charge: { txHash: string; height: number };
    try {
      charge = await commitContractTx(opts.client, opts.validators, tx, `the ε charge of task ${task.taskId}`);
    } catch (e) {
      if (!(e instanceof LedgerRefusal)) throw e;
      if (e.ledgerCode !== 'MER_CONTRACT_BUDGET_EXHAUSTED' && e.ledgerCode !== 'MER_CONTRACT_NOT_FOUND') {
        const message = `the ledger refused the ε charge of task ${task.taskId}: ${e.message}`;
        throw new MeridianError('MER_FED_NOT_AUTHORIZED', message, { taskId: task.taskId, ledgerCode: e.ledgerCode });
      }
      const left = (await readBudget(opts.client, opts.validators, task.projectId, 0))?.remainingMicros ?? 0;
      throw new MeridianError(
        'MER_DP_BUDGET_EXHAUSTED',
        `project ${task.projectId} has ε ${formatEpsilon(left)} of privacy budget left; task ${task.taskId} asks ε ${formatEpsilon(epsilonMicros)}, so nothing was run`,
        {
          taskId: task.taskId,
          projectId: task.projectId,
          remainingEpsilon: left / MICRO_EPSILON_PER_EPSILON,
          epsilon: epsilonMicros / MICRO_EPSILON_PER_EPSILON,
        },
      );
    }
    const budget = await readBudget(opts.client, opts.validators, task.projectId, charge.height);
    if (budget === undefined) {
      throw new MeridianError(
        'MER_FED_LEDGER_UNAVAILABLE',
        `the budget of project ${task.projectId} vanished after a charge`,
      );
    }
    return { charge, epsilonMicros, ...budget };
  };
}
