/** One audited action on the hub: run it, then record who did what to which target with the outcome. */
import { isMeridianError } from '../../errors/registry.ts';
import type { UserPrincipal } from '../../http/route-config.ts';
import type { AuditLog } from './audit-log.ts';

/**
 * Runs a user's action and records it in the audit trail: `ok` with the action's detail and what it returned,
 * `refused` (a 4xx error) or `failed` with the error code; the error is passed on.
 */
export async function audited<T>(
  audit: AuditLog,
  user: UserPrincipal,
  what: { action: string; target: string | null; detail?: Record<string, unknown> },
  run: () => Promise<{ answer: T; detail: Record<string, unknown> }>,
): Promise<T> {
  const base = { actor: user.username, actorRole: user.role, action: what.action, target: what.target };
  try {
    const { answer, detail } = await run();
    await audit.record({ ...base, outcome: 'ok', detail: { ...what.detail, ...detail } });
    return answer;
  } catch (e) {
    const code = isMeridianError(e) ? e.code : 'MER_INTERNAL';
    const refused = isMeridianError(e) && e.status < 500;
    await audit.record({ ...base, outcome: refused ? 'refused' : 'failed', detail: { ...what.detail, code } });
    throw e;
  }
}
