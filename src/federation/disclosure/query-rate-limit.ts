/**
 * Rate limiting against averaging and differencing attacks: asking the same noisy or suppressed question
 * again and again averages the noise away. A pure state machine — state and the current time in, a decision
 * and the next state out — keyed by user and a canonical hash of (cohort, analysis). "Near-identical"
 * queries share a key: object keys are sorted, strings are NFC-normalized, trimmed, whitespace-collapsed and
 * lower-cased, numbers are rounded to `numberDigits` significant digits, and arrays compare as multisets.
 * Per user, at most `repeatsMax` queries with one key and at most `distinctMax` distinct keys fall in any
 * sliding window of `windowMs`; refusals are not recorded.
 */
import { createHash } from 'node:crypto';
import { MeridianError } from '../../errors/registry.ts';
import { canonicalize, type JsonValue } from '../../ledger/canonical-json.ts';

/** Default queries with one key per window. */
export const REPEATS_MAX_DEFAULT = 3;
/** Default window: one day. */
export const RATE_WINDOW_MS_DEFAULT = 86_400_000;
/** Default distinct keys per user per window (also bounds the state). */
export const DISTINCT_MAX_DEFAULT = 500;
/** Default significant digits numbers keep in a key. */
export const NUMBER_DIGITS_DEFAULT = 6;
/** Deepest nesting a query may have. */
const QUERY_DEPTH_MAX = 64;
/** Longest user name accepted. */
const USER_LENGTH_MAX = 200;

/** Options of the rate limiter. */
export interface RateLimitOptions {
  readonly repeatsMax?: number;
  readonly windowMs?: number;
  readonly distinctMax?: number;
  readonly numberDigits?: number;
}

/** One query as the limiter sees it. */
export interface RateLimitedQuery {
  readonly user: string;
  readonly cohort: unknown;
  readonly analysis: unknown;
}

/** Limiter state: per user, per query hash, the times (ms) of admitted queries still inside the window. */
export interface RateLimitState {
  readonly users: Readonly<Record<string, Readonly<Record<string, readonly number[]>>>>;
}

/** The limiter's answer: admitted with the new state, or refused with the time until a retry can succeed. */
export type RateLimitDecision =
  | { readonly admitted: true; readonly state: RateLimitState; readonly hash: string; readonly remaining: number }
  | {
      readonly admitted: false;
      readonly state: RateLimitState;
      readonly hash: string;
      readonly retryAfterMs: number;
      readonly error: MeridianError;
    };

/** A limiter that has seen nothing. */
export const EMPTY_RATE_LIMIT_STATE: RateLimitState = Object.freeze({ users: Object.freeze({}) });

function option(field: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new MeridianError(
      'MER_DISCLOSURE_INVALID_OPTION',
      `rate limit ${field} must be a whole number from ${min} to ${max}, not ${value}`,
      { field, value },
    );
  }
  return value;
}

function resolve(options: RateLimitOptions | undefined) {
  return {
    repeatsMax: option('repeatsMax', options?.repeatsMax ?? REPEATS_MAX_DEFAULT, 1, 1_000),
    windowMs: option('windowMs', options?.windowMs ?? RATE_WINDOW_MS_DEFAULT, 1, 366 * RATE_WINDOW_MS_DEFAULT),
    distinctMax: option('distinctMax', options?.distinctMax ?? DISTINCT_MAX_DEFAULT, 1, 100_000),
    numberDigits: option('numberDigits', options?.numberDigits ?? NUMBER_DIGITS_DEFAULT, 1, 17),
  };
}

function normalize(value: unknown, path: string, digits: number, depth: number): JsonValue {
  if (depth > QUERY_DEPTH_MAX) badQuery(path, 'is nested too deeply');
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) badQuery(path, `is ${value}, not a finite number`);
    const rounded = Number(value.toPrecision(digits));
    return rounded === 0 ? 0 : rounded;
  }
  if (typeof value === 'string') return value.normalize('NFC').trim().replace(/\s+/gu, ' ').toLowerCase();
  if (Array.isArray(value)) {
    const items = value.map((v, i) => normalize(v, `${path}[${i}]`, digits, depth + 1));
    return items
      .map((v) => [canonicalize(v), v] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, v]) => v);
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = normalize(v, `${path}.${k}`, digits, depth + 1);
    }
    return out;
  }
  return badQuery(path, `is a ${typeof value}, not JSON`);
}

function badQuery(path: string, rule: string): never {
  throw new MeridianError('MER_DISCLOSURE_INVALID_INPUT', `${path} ${rule}`, { field: path });
}

/** The canonical SHA-256 (hex) of a query's cohort and analysis: near-identical queries hash alike. */
export function queryHash(query: Pick<RateLimitedQuery, 'cohort' | 'analysis'>, options?: RateLimitOptions): string {
  const { numberDigits } = resolve(options);
  const normal = {
    cohort: normalize(query.cohort, 'query.cohort', numberDigits, 0),
    analysis: normalize(query.analysis, 'query.analysis', numberDigits, 0),
  };
  return createHash('sha256')
    .update(`meridian/query/v1\u0000${canonicalize(normal)}`)
    .digest('hex');
}

function live(times: readonly number[], nowMs: number, windowMs: number): number[] {
  return times.filter((t) => t > nowMs - windowMs);
}

/** Admits or refuses one query at `nowMs`; the returned state drops everything of this user outside the window. */
export function admitQuery(
  state: RateLimitState,
  query: RateLimitedQuery,
  nowMs: number,
  options?: RateLimitOptions,
): RateLimitDecision {
  const o = resolve(options);
  if (!Number.isSafeInteger(nowMs) || nowMs < 0) badQuery('nowMs', `must be a whole number of ms ≥ 0, not ${nowMs}`);
  if (typeof query.user !== 'string' || query.user.length === 0 || query.user.length > USER_LENGTH_MAX) {
    badQuery('query.user', `must be a name of 1 to ${USER_LENGTH_MAX} characters`);
  }
  const hash = queryHash(query, options);
  const mine: Record<string, number[]> = {};
  const recorded = Object.hasOwn(state.users, query.user) ? state.users[query.user] : undefined;
  for (const [h, times] of Object.entries(recorded ?? {})) {
    const kept = live(times, nowMs, o.windowMs);
    if (kept.length > 0) mine[h] = kept;
  }
  const { [query.user]: _dropped, ...others } = state.users;
  const pruned: RateLimitState = { users: Object.keys(mine).length > 0 ? { ...others, [query.user]: mine } : others };
  const refuse = (retryAfterMs: number, message: string): RateLimitDecision => ({
    admitted: false,
    state: pruned,
    hash,
    retryAfterMs,
    error: new MeridianError('MER_DISCLOSURE_RATE_LIMITED', message, { user: query.user, hash, retryAfterMs }),
  });
  const previous = mine[hash] ?? [];
  if (previous.length >= o.repeatsMax) {
    const oldest = Math.min(...previous);
    return refuse(
      oldest + o.windowMs - nowMs,
      `user ${query.user} asked this query (or a near-identical one) ${previous.length} times in the last ${o.windowMs} ms; at most ${o.repeatsMax} are allowed`,
    );
  }
  const keys = Object.keys(mine);
  if (previous.length === 0 && keys.length >= o.distinctMax) {
    // The first key to leave the window entirely is the one whose latest query is oldest.
    const oldest = keys.reduce((m, k) => Math.min(m, Math.max(...(mine[k] as number[]))), Number.POSITIVE_INFINITY);
    return refuse(
      oldest + o.windowMs - nowMs,
      `user ${query.user} asked ${keys.length} different queries in the last ${o.windowMs} ms; at most ${o.distinctMax} are allowed`,
    );
  }
  return {
    admitted: true,
    state: { users: { ...state.users, [query.user]: { ...mine, [hash]: [...previous, nowMs] } } },
    hash,
    remaining: o.repeatsMax - previous.length - 1,
  };
}
