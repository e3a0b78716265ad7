/**
 * Coalesced audit of aggregate reads (dashboard, catalog). Every read is recorded, but reads of the same thing
 * by the same user within one window become one audit record carrying how many there were and when the first
 * and last came, so a thousand concurrent readers cost a handful of inserts instead of a thousand. The record
 * is written when the window closes (and on close), not before the answer: these reads return consortium
 * aggregates only, never a record-level value, which is why they may trail the answer by one window.
 */
import type { UserPrincipal } from '../../http/route-config.ts';
import type { AuditLog } from '../audit/audit-log.ts';

/** How long reads are gathered before their record is written. */
export const READ_AUDIT_WINDOW_MS = 1_000;
/** Distinct (user, action, target) keys gathered at most before an early write. */
export const READ_AUDIT_KEYS_MAX = 1_000;

interface Pending {
  user: UserPrincipal;
  action: string;
  target: string | null;
  reads: number;
  firstAt: string;
  lastAt: string;
}

/** Gathers aggregate reads and writes one audit record per user, action and target per window. */
export class ReadAudit {
  readonly #audit: AuditLog;
  readonly #now: () => Date;
  readonly #windowMs: number;
  readonly #onError: (e: unknown) => void;
  readonly #pending = new Map<string, Pending>();
  #timer: NodeJS.Timeout | null = null;
  #writing: Promise<void> = Promise.resolve();

  constructor(opts: { audit: AuditLog; now: () => Date; windowMs?: number; onError: (e: unknown) => void }) {
    this.#audit = opts.audit;
    this.#now = opts.now;
    this.#windowMs = opts.windowMs ?? READ_AUDIT_WINDOW_MS;
    this.#onError = opts.onError;
  }

  /** Notes one successful read; its record is written when the window closes. */
  note(user: UserPrincipal, action: string, target: string | null): void {
    const key = JSON.stringify([user.username, user.role, action, target]);
    const at = this.#now().toISOString();
    const p = this.#pending.get(key);
    if (p) {
      p.reads += 1;
      p.lastAt = at;
    } else {
      this.#pending.set(key, { user, action, target, reads: 1, firstAt: at, lastAt: at });
    }
    if (this.#pending.size >= READ_AUDIT_KEYS_MAX) void this.flush();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), this.#windowMs);
      this.#timer.unref();
    }
  }

  /** Writes every gathered read now; resolves once they are written (failures go to onError). */
  flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const batch = [...this.#pending.values()];
    this.#pending.clear();
    this.#writing = this.#writing.then(async () => {
      for (const p of batch) {
        await this.#audit
          .record({
            actor: p.user.username,
            actorRole: p.user.role,
            action: p.action,
            target: p.target,
            outcome: 'ok',
            detail: { reads: p.reads, firstAt: p.firstAt, lastAt: p.lastAt },
          })
          .catch(this.#onError);
      }
    });
    return this.#writing;
  }
}
