/**
 * Task authorizations read from the consortium ledger: a node asks its own institution's validator (its
 * replica of the chain, never the hub) for the committed `tasks/<id>` record, falling back to the other
 * validators only when its own does not answer. A validator that answers "not found" is believed: the task was
 * never authorized there.
 */
import { MeridianError } from '../errors/registry.ts';
import type { LedgerClient } from '../ledger/host/index.ts';
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
    r.hospitals.every((h) => typeof h === 'string')
  );
}
