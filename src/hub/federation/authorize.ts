/**
 * Task authorization on the consortium ledger, by the hub: a `task.authorize` transaction naming the task's
 * content hash, analysis kind and hospitals under the researcher's data-use request. The contracts refuse it
 * unless the request is approved, unexpired, within its period and the kind and hospitals are in its scope;
 * the refusal's message is passed on to the researcher. Nodes then find the authorization on their own replica.
 */
import { type ErrorCode, MeridianError } from '../../errors/registry.ts';
import { type FederatedTask, taskHashOf } from '../../federation/protocol.ts';
import { signContractTx } from '../../ledger/contracts/index.ts';
import type { LedgerClient } from '../../ledger/host/index.ts';
import type { PrivateKeyInput } from '../../ledger/signing.ts';

/** Authorizes a task before any node runs it; throws the ledger's refusal as a MeridianError. */
export type TaskAuthorizer = (task: FederatedTask) => Promise<{ txHash: string; height: number }>;

/** Contract refusals that mean "outside what the request allows" rather than "no such approved request". */
const SCOPE_CODES = new Set(['MER_CONTRACT_OUT_OF_SCOPE']);

/** Longest wait for the authorization to commit. */
const AUTHORIZE_WAIT_MS = 15_000;

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
    // Admission first, so a transaction the validators refuse outright is reported at once, not after a timeout.
    const first = opts.validators[0];
    const admitted = first
      ? ((await opts.client.submitTo(first, [tx]).catch(() => undefined)) as
          | { results?: { ok: boolean; code?: string; message?: string }[] }
          | undefined)
      : undefined;
    const admission = admitted?.results?.[0];
    if (admission && !admission.ok) {
      throw new MeridianError(
        'MER_FED_NOT_AUTHORIZED',
        `the ledger refused task ${task.taskId}: ${admission.message ?? admission.code ?? 'refused'}`,
        { taskId: task.taskId, ledgerCode: admission.code },
      );
    }
    let committed: { txHash: string; height: number };
    try {
      committed = await opts.client.submitAndWait(tx, { timeoutMs: AUTHORIZE_WAIT_MS });
    } catch (e) {
      throw new MeridianError(
        'MER_FED_LEDGER_UNAVAILABLE',
        `the ledger did not commit the authorization of task ${task.taskId}: ${(e as Error).message}`,
        { taskId: task.taskId },
      );
    }
    const outcome = await txOutcome(opts.client, opts.validators, committed.txHash);
    if (!outcome.ok) {
      const code: ErrorCode = SCOPE_CODES.has(outcome.code) ? 'MER_FED_OUT_OF_SCOPE' : 'MER_FED_NOT_AUTHORIZED';
      throw new MeridianError(code, `the ledger refused task ${task.taskId}: ${outcome.message}`, {
        taskId: task.taskId,
        ledgerCode: outcome.code,
      });
    }
    return committed;
  };
}

type Outcome = { ok: true } | { ok: false; code: string; message: string };

async function txOutcome(
  client: Pick<LedgerClient, 'get'>,
  validators: readonly string[],
  txHash: string,
): Promise<Outcome> {
  for (const v of validators) {
    const res = await client.get(v, `/v1/txs/${txHash}`).catch(() => undefined);
    const outcome = (res?.body as { outcome?: Outcome } | undefined)?.outcome;
    if (res?.status === 200 && outcome !== undefined) return outcome;
  }
  throw new MeridianError('MER_FED_LEDGER_UNAVAILABLE', `no validator reported the outcome of transaction ${txHash}`, {
    txHash,
  });
}
