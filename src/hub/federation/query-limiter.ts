/**
 * The hub's guard against averaging attacks: asking the same noisy or suppressed question again and again, or
 * near-identical variants of it, averages the noise away or differences the suppression out. Each researcher
 * may ask one question (cohort, kind, variables, parameters — not the hospitals asked nor the request it runs
 * under, so asking hospital A with B and then with C counts twice for A) at most `repeatsMax` times per sliding
 * window. The decision is the pure `admitQuery` (src/federation/disclosure/query-rate-limit.ts); this class
 * only holds its state, in memory (a hub restart forgets it), bounded per user by `distinctMax`.
 */
import { MeridianError } from '../../errors/registry.ts';
import {
  admitQuery,
  EMPTY_RATE_LIMIT_STATE,
  type RateLimitOptions,
  type RateLimitState,
} from '../../federation/disclosure/query-rate-limit.ts';
import type { FederatedTask } from '../../federation/protocol.ts';

/** What the limiter answers for an admitted query: its fingerprint and how many repeats are left in the window. */
export interface QueryAdmission {
  readonly fingerprint: string;
  readonly remaining: number;
}

/** Per-researcher rate limit of federated analyses, keyed by a normalized fingerprint of the question. */
export class QueryLimiter {
  readonly #options: RateLimitOptions;
  readonly #now: () => number;
  #state: RateLimitState = EMPTY_RATE_LIMIT_STATE;

  constructor(opts: { options?: RateLimitOptions; now?: () => number }) {
    this.#options = opts.options ?? {};
    this.#now = opts.now ?? Date.now;
  }

  /**
   * Admits `task` for its user or throws MER_DISCLOSURE_RATE_LIMITED (429) saying when the question may be asked
   * again (`retryAfterMs`, `retryAt` in the details). Only admitted queries count.
   */
  admit(task: FederatedTask): QueryAdmission {
    const now = this.#now();
    const decision = admitQuery(
      this.#state,
      {
        user: task.user.id,
        cohort: task.cohort ?? null,
        analysis: { kind: task.kind, variables: task.variables ?? null, parameters: task.parameters },
      },
      now,
      this.#options,
    );
    this.#state = decision.state;
    if (decision.admitted) return { fingerprint: decision.hash, remaining: decision.remaining };
    const retryAt = new Date(now + decision.retryAfterMs).toISOString();
    throw new MeridianError(
      'MER_DISCLOSURE_RATE_LIMITED',
      `${decision.error.message}; this ${task.kind} may be asked again at ${retryAt}`,
      { ...decision.error.details, retryAt },
    );
  }
}
