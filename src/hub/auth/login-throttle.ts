/**
 * Brute-force protection for password login (等保 2.0 asks for it): after `failuresMax` failures for one
 * username within `windowMs`, that username is locked for `lockMs`, whatever the password. The table is
 * bounded; the oldest entries are dropped first.
 */

/** Failures that lock an account. */
export const LOGIN_FAILURES_MAX = 5;
/** Window in which failures are counted, and how long a lock lasts. */
export const LOGIN_WINDOW_MS = 15 * 60_000;
/** Most usernames tracked at once. */
export const LOGIN_TRACKED_MAX = 10_000;

interface Entry {
  failures: number[];
  lockedUntil: number;
}

/** Counts failed logins per username; time comes from the injected clock. */
export class LoginThrottle {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => Date;

  constructor(opts: { now: () => Date }) {
    this.#now = opts.now;
  }

  /** Milliseconds until the username may try again, or 0 when it may try now. */
  lockedForMs(username: string): number {
    const entry = this.#entries.get(username);
    return entry ? Math.max(0, entry.lockedUntil - this.#now().getTime()) : 0;
  }

  /** Records a failure; returns true when this failure locked the username. */
  fail(username: string): boolean {
    const now = this.#now().getTime();
    const entry = this.#entries.get(username) ?? { failures: [], lockedUntil: 0 };
    entry.failures = [...entry.failures.filter((t) => now - t < LOGIN_WINDOW_MS), now].slice(-LOGIN_FAILURES_MAX);
    this.#entries.delete(username);
    this.#entries.set(username, entry);
    if (this.#entries.size > LOGIN_TRACKED_MAX) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    if (entry.failures.length >= LOGIN_FAILURES_MAX) {
      entry.lockedUntil = now + LOGIN_WINDOW_MS;
      entry.failures = [];
      return true;
    }
    return false;
  }

  /** Forgets the failures of a username after a successful login. */
  succeed(username: string): void {
    this.#entries.delete(username);
  }
}
