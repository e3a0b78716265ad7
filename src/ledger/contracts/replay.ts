/**
 * Replay refusal with bounded memory. A transaction's nonce starts with its creation time: the first 12 hex
 * characters are the milliseconds since the epoch (48 bits, big-endian), the other 20 are random. A block
 * accepts a transaction only if its nonce time lies in [blockTime − nonceWindowMs, blockTime + nonceFutureMs],
 * so a replay older than the window is refused by the time rule alone, and the ledger needs to remember a
 * transaction's dedup key only until its nonce time + nonceWindowMs: the keys live in the state (under
 * `dedup/`, hashed into the state root when written) and are pruned at commit, deterministically, from the
 * committed block time.
 */
import { MeridianError } from '../../errors/registry.ts';

/** Hex characters of the nonce that hold its time. */
export const NONCE_TIME_HEX_CHARS = 12;

/** Hex characters of the content hash a dedup key keeps: 128 bits, as unforgeable as the whole for replays. */
export const DEDUP_KEY_HEX_CHARS = 32;

/** The largest time a 48-bit nonce can state (ms): year 10889. */
export const NONCE_TIME_MS_MAX = 2 ** 48 - 1;

/** The time (ms since epoch) a nonce states. */
export function nonceTimeMs(nonce: string): number {
  return Number.parseInt(nonce.slice(0, NONCE_TIME_HEX_CHARS), 16);
}

/** A nonce stating `timeMs`, followed by 10 bytes (20 hex) of `random`. */
export function nonceWithTime(timeMs: number, random: Uint8Array): string {
  if (!Number.isInteger(timeMs) || timeMs < 0 || timeMs > NONCE_TIME_MS_MAX) {
    throw new MeridianError('MER_LEDGER_MALFORMED_TX', `nonce time ${timeMs} is not an integer in 0..2^48-1 ms`);
  }
  if (random.length < 10) throw new MeridianError('MER_LEDGER_MALFORMED_TX', 'a nonce needs 10 random bytes');
  return timeMs.toString(16).padStart(NONCE_TIME_HEX_CHARS, '0') + Buffer.from(random.subarray(0, 10)).toString('hex');
}

/**
 * The compact dedup key of a transaction: the first 128 bits of its content hash. The content hash covers the
 * institution and the body, and every contract transaction is signed under the single `tx` purpose, so this is
 * {@link txDedupKey}'s identity in a third of the memory.
 */
export function compactDedupKey(contentHash: string): string {
  return contentHash.slice(0, DEDUP_KEY_HEX_CHARS);
}

/** Dedup keys grouped by the second in which they expire, so pruning touches only what expired. */
export class DedupExpiry {
  readonly #buckets = new Map<number, string[]>();

  /** Notes that `key` (a state key) expires at `expiresAtMs`. */
  add(key: string, expiresAtMs: number): void {
    const second = Math.floor(expiresAtMs / 1_000);
    const bucket = this.#buckets.get(second);
    if (bucket === undefined) this.#buckets.set(second, [key]);
    else bucket.push(key);
  }

  /** Removes and returns the keys of every whole second before `blockTimeMs` (all expired). */
  takeExpired(blockTimeMs: number): string[] {
    const limit = Math.floor(blockTimeMs / 1_000);
    const out: string[] = [];
    for (const [second, keys] of this.#buckets) {
      if (second < limit) {
        for (const k of keys) out.push(k);
        this.#buckets.delete(second);
      }
    }
    return out;
  }

  /** Forgets everything (before a restore). */
  clear(): void {
    this.#buckets.clear();
  }
}
