/**
 * Task authorization on the consortium ledger, by the hub: a `task.authorize` transaction naming the task's
 * content hash, analysis kind and hospitals under the researcher's data-use request. The contracts refuse it
 * unless the request is approved, unexpired, within its period and the kind and hospitals are in its scope;
 * the refusal's message is passed on to the researcher. Nodes then find the authorization on their own replica.
 */
import { type ErrorCode, MeridianError } from '../../errors/registry.ts';
import { commitContractTx, LedgerRefusal } from '../../federation/ledger-authority.ts';
import { type FederatedTask, taskHashOf } from '../../federation/protocol.ts';
import { signContractTx } from '../../ledger/contracts/index.ts';
import type { LedgerClient } from '../../ledger/host/index.ts';
import type { PrivateKeyInput } from '../../ledger/signing.ts';

/** Authorizes a task before any node runs it; throws the ledger's refusal as a MeridianError. */
export type TaskAuthorizer = (task: FederatedTask) => Promise<{ txHash: string; height: number }>;

/** Contract refusals that mean "outside what the request allows" rather than "no such approved request". */
const SCOPE_CODES = new Set(['MER_CONTRACT_OUT_OF_SCOPE']);

/** A {@link TaskAuthorizer} that signs as the hub institution and waits for the commit and its outcome. */
export function ledgerTaskAuthorizer(opts: {
  client: Pick<LedgerClient, 'submitAndWait' | 'submitTo' | 'get'>;
  chainId: string;
  institution: string;
  privateKey: PrivateKeyInput;
  validators: readonly string[];
  now?: () => number;
}): TaskAuthorizer {
  return async (task) => {
    const tx = signContractTx({
      chainId: opts.chainId,
      kind: 'task.authorize',
      institution: opts.institution,
      payload: {
        taskId: task.taskId,
        requestId: task.requestId,
        taskHash: taskHashOf(task),
        analysisKind: task.kind,
        hospitals: task.hospitals,
      },
      user: task.user,
      timeMs: (opts.now ?? Date.now)(),
      privateKey: opts.privateKey,
    });
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
export function ledgerResultReleaser(opts: {
  client: Pick<LedgerClient, 'submitAndWait' | 'submitTo' | 'get'>;
  chainId: string;
  institution: string;
  privateKey: PrivateKeyInput;
  validators: readonly string[];
  now?: () => number;
}): ResultReleaser {
  return async (taskId, resultHash) => {
    const tx = signContractTx({
      chainId: opts.chainId,
      kind: 'result.release',
      institution: opts.institution,
      payload: { taskId, resultHash },
      timeMs: (opts.now ?? Date.now)(),
      privateKey: opts.privateKey,
    });
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
