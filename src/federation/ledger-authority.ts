/**
 * Task authorizations read from the consortium ledger: a node asks its own institution's validator (its
 * replica of the chain, never the hub) for the committed `tasks/<id>` record, falling back to the other
 * validators only when its own does not answer. A validator that answers "not found" is believed: the task was
 * never authorized there. Institutions' identity keys come from the same replica's membership view.
 */
import type { KeyObject } from 'node:crypto';
import { MeridianError } from '../errors/registry.ts';
import type { TxOutcome } from '../ledger/abci.ts';
import { type Committed, type LedgerClient, TxRefused } from '../ledger/host/index.ts';
import { toPublicKey } from '../ledger/signing.ts';
import type { SignedTransaction } from '../ledger/transaction.ts';
import type { TaskAuthority, TaskAuthorization } from './node.ts';

/** Longest wait for one validator's answer. */
const QUERY_TIMEOUT_MS = 3_000;

/** Reads authorizations from `prefer` (this institution's validator) first, then from the others in `order`. */
export function ledgerTaskAuthority(opts: {
  client: Pick<LedgerClient, 'get'>;
  prefer: string;
  order: readonly string[];
}): TaskAuthority {
  const validators = [opts.prefer, ...opts.order.filter((v) => v !== opts.prefer)];
  return {
    async authorization(taskId: string): Promise<TaskAuthorization | undefined> {
      const problems: string[] = [];
      for (const name of validators) {
        const res = await opts.client
          .get(name, `/v1/query/tasks/${encodeURIComponent(taskId)}`, QUERY_TIMEOUT_MS)
          .catch((e: unknown) => {
            problems.push(`${name}: ${(e as Error).message}`);
            return undefined;
          });
        if (!res) continue;
        const code = (res.body as { error?: { code?: string } } | undefined)?.error?.code;
        if (res.status === 404 && code === 'MER_CONTRACT_NOT_FOUND') return undefined;
        const value = (res.body as { value?: unknown } | undefined)?.value;
        if (res.status === 200 && isAuthorization(value)) return value;
        problems.push(`${name}: answered ${res.status}`);
      }
      throw new MeridianError(
        'MER_FED_LEDGER_UNAVAILABLE',
        `no validator answered for task ${taskId}: ${problems.join('; ')}`,
        { taskId },
      );
    },
  };
}

function isAuthorization(x: unknown): x is TaskAuthorization {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return (
    typeof r.taskId === 'string' &&
    typeof r.requestId === 'string' &&
    typeof r.projectId === 'string' &&
    typeof r.taskHash === 'string' &&
    typeof r.analysisKind === 'string' &&
    typeof r.status === 'string' &&
    Array.isArray(r.hospitals) &&
    r.hospitals.every((h) => typeof h === 'string') &&
    (r.epsilonChargedMicros === undefined || Number.isSafeInteger(r.epsilonChargedMicros)) &&
    (r.receipts === undefined || (typeof r.receipts === 'object' && r.receipts !== null))
  );
}

/** Member keys are re-read from the ledger at most this often. */
const MEMBER_KEYS_TTL_MS = 60_000;

/** Institutions' Ed25519 keys from the ledger's `members` view, cached for a minute. */
export function ledgerMemberKeys(
  client: Pick<LedgerClient, 'get'>,
  validators: readonly string[],
): (name: string) => Promise<KeyObject | undefined> {
  let cache: { at: number; keys: Map<string, KeyObject> } | undefined;
  return async (name) => {
    if (!cache || Date.now() - cache.at > MEMBER_KEYS_TTL_MS || !cache.keys.has(name)) {
      for (const v of validators) {
        const res = await client.get(v, '/v1/query/members').catch(() => undefined);
        const members = (res?.body as { value?: unknown } | undefined)?.value;
        if (res?.status !== 200 || !Array.isArray(members)) continue;
        const keys = new Map<string, KeyObject>();
        for (const m of members as { name?: unknown; publicKey?: unknown; status?: unknown }[]) {
          if (typeof m.name === 'string' && typeof m.publicKey === 'string' && m.status === 'active') {
            keys.set(m.name, toPublicKey(m.publicKey));
          }
        }
        cache = { at: Date.now(), keys };
        break;
      }
    }
    return cache?.keys.get(name);
  };
}

/** A contract transaction the ledger refused: the contract's code and message. */
export class LedgerRefusal extends Error {
  readonly ledgerCode: string;
  constructor(ledgerCode: string, message: string) {
    super(message);
    this.ledgerCode = ledgerCode;
  }
}

/** Longest wait for a federation transaction (authorization, receipt, release) to commit. */
export const FEDERATION_TX_WAIT_MS = 15_000;

/** A committed transaction's contract outcome from the first validator that reports it. */
async function outcomeOf(
  client: Pick<LedgerClient, 'get'>,
  validators: readonly string[],
  txHash: string,
): Promise<TxOutcome | undefined> {
  for (const v of validators) {
    const res = await client.get(v, `/v1/txs/${txHash}`).catch(() => undefined);
    const outcome = (res?.body as { outcome?: TxOutcome } | undefined)?.outcome;
    if (res?.status === 200 && outcome !== undefined) return outcome;
  }
  return undefined;
}

/**
 * Submits a signed contract transaction and waits for it: a refusal at admission or in its block throws a
 * {@link LedgerRefusal} (the contract's code and message), an unreachable ledger MER_FED_LEDGER_UNAVAILABLE.
 */
export async function commitContractTx(
  client: Pick<LedgerClient, 'commit' | 'get'>,
  validators: readonly string[],
  tx: SignedTransaction,
  what: string,
): Promise<{ txHash: string; height: number }> {
  let committed: Committed;
  try {
    committed = await client.commit(tx, { timeoutMs: FEDERATION_TX_WAIT_MS });
  } catch (e) {
    if (e instanceof TxRefused) throw new LedgerRefusal(e.code, e.message);
    throw new MeridianError('MER_FED_LEDGER_UNAVAILABLE', `the ledger did not commit ${what}: ${(e as Error).message}`);
  }
  // The receipt wait reports the outcome; a validator that had already forgotten it is asked by status instead.
  const outcome = committed.outcome ?? (await outcomeOf(client, validators, committed.txHash));
  if (outcome === undefined) {
    throw new MeridianError('MER_FED_LEDGER_UNAVAILABLE', `no validator reported the outcome of ${what}`, {
      txHash: committed.txHash,
    });
  }
  if (!outcome.ok) throw new LedgerRefusal(outcome.code, outcome.message);
  return { txHash: committed.txHash, height: committed.height };
}
