/**
 * The state root (appHash) as a hash chain over write sets:
 *
 *   appHash_0 = genesisHash(genesis)
 *   appHash_h = H("meridian/v1/contracts/app-hash\n" ‖ canonical({ height, blockTime, prev: appHash_{h−1},
 *                 writes: H(sorted (key, record) pairs block h wrote), results: H(outcome codes in tx order) }))
 *
 * Each block costs hashing only what it wrote, however large the state. Two validators with equal roots at h have
 * applied equal write sets at every height, so (from the same genesis) hold equal states; what the chain leaves
 * out is only what follows deterministically from the state and block time (expired dedup keys), so pruning is
 * not hashed. Design and trade-offs: docs/ledger/contracts.md.
 */
import { createHash } from 'node:crypto';
import { canonicalBytes, canonicalize, type JsonValue } from '../canonical-json.ts';
import { sha256, toHex } from '../hash.ts';

const APP_HASH_PREFIX = Buffer.from('meridian/v1/contracts/app-hash\n', 'utf8');
const WRITES_PREFIX = 'meridian/v1/contracts/writes\n';
const RESULTS_PREFIX = Buffer.from('meridian/v1/contracts/results\n', 'utf8');
const STATE_PREFIX = 'meridian/v1/contracts/state\n';

function byKey(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Canonical JSON escapes every newline, so `\n` separates lines unambiguously.
function linesDigest(prefix: string, records: ReadonlyMap<string, JsonValue>): string {
  const h = createHash('sha256').update(prefix);
  for (const key of [...records.keys()].sort(byKey)) {
    h.update(canonicalize([key, records.get(key) as JsonValue]));
    h.update('\n');
  }
  return h.digest('hex');
}

/** H over the canonical `[key, record]` lines of a write set, in key order (insertion order does not matter). */
export function writeSetDigest(writes: ReadonlyMap<string, JsonValue>): string {
  return linesDigest(WRITES_PREFIX, writes);
}

/** H over the outcome of every transaction in block order: `ok` or its refusal code. */
export function resultsDigest(codes: readonly string[]): string {
  return toHex(sha256(RESULTS_PREFIX, canonicalBytes(codes)));
}

/** The next state root from the previous one and what block `height` did. */
export function nextAppHash(opts: {
  prev: string;
  height: number;
  blockTime: number;
  writes: string;
  results: string;
}): string {
  const link = {
    height: opts.height,
    blockTime: opts.blockTime,
    prev: opts.prev,
    writes: opts.writes,
    results: opts.results,
  };
  return toHex(sha256(APP_HASH_PREFIX, canonicalBytes(link)));
}

/** H over a whole state's `[key, record]` lines in key order: a snapshot's integrity digest (not chained). */
export function stateDigest(records: ReadonlyMap<string, JsonValue>): string {
  return linesDigest(STATE_PREFIX, records);
}
