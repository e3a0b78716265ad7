/**
 * Snapshots of the committed contract state: every record in key order with the height, block time and state
 * root they belong to, bound to the genesis hash, and a digest over the records that `restore` recomputes, so a
 * damaged or truncated snapshot is refused. The state root is a hash chain (app-hash.ts), so a snapshot carries
 * it rather than recomputing it: a snapshot is a trusted local artifact (the host's own disk); a validator that
 * cannot trust its disk catches up by replaying certified blocks instead.
 */
import { z } from 'zod';
import { MeridianError } from '../../errors/registry.ts';
import type { JsonValue } from '../canonical-json.ts';
import { HASH_HEX_PATTERN } from '../hash.ts';
import { stateDigest } from './app-hash.ts';

/** The snapshot format tag. */
export const SNAPSHOT_FORMAT = 'meridian/contracts-snapshot/v1';

const hash = z.string().regex(HASH_HEX_PATTERN);

/** Zod schema of a snapshot. */
export const SnapshotSchema = z.strictObject({
  format: z.literal(SNAPSHOT_FORMAT),
  genesisHash: hash,
  height: z.number().int().min(0),
  blockTime: z.number().int().min(0),
  appHash: hash,
  records: z.array(z.tuple([z.string().min(1), z.json()])),
  digest: hash,
});

/** A parsed snapshot. */
export interface Snapshot {
  readonly genesisHash: string;
  readonly height: number;
  readonly blockTime: number;
  readonly appHash: string;
  readonly records: ReadonlyMap<string, JsonValue>;
}

/** The snapshot of a committed state, as canonical-JSON-able data. */
export function makeSnapshot(s: Snapshot): JsonValue {
  const keys = [...s.records.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    format: SNAPSHOT_FORMAT,
    genesisHash: s.genesisHash,
    height: s.height,
    blockTime: s.blockTime,
    appHash: s.appHash,
    records: keys.map((k) => [k, s.records.get(k) as JsonValue]),
    digest: stateDigest(s.records),
  };
}

function malformed(message: string): MeridianError {
  return new MeridianError('MER_LEDGER_MALFORMED_SNAPSHOT', message);
}

/** Parses and checks a snapshot (shape, genesis, unique keys, digest); MER_LEDGER_MALFORMED_SNAPSHOT otherwise. */
export function readSnapshot(input: unknown, expectedGenesisHash: string): Snapshot {
  const parsed = SnapshotSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw malformed(`snapshot is not valid at ${issue?.path.map(String).join('.') || 'top level'}: ${issue?.message}`);
  }
  const s = parsed.data;
  if (s.genesisHash !== expectedGenesisHash) {
    throw malformed(`snapshot is for genesis ${s.genesisHash}, this application's is ${expectedGenesisHash}`);
  }
  const records = new Map<string, JsonValue>();
  // Records are copied, so the snapshot object the caller holds shares nothing with the live state.
  for (const [key, value] of structuredClone(s.records)) {
    if (records.has(key)) throw malformed(`snapshot holds key ${JSON.stringify(key)} twice`);
    records.set(key, value as JsonValue);
  }
  const digest = stateDigest(records);
  if (digest !== s.digest) throw malformed(`snapshot digest ${s.digest} does not match its records (${digest})`);
  return { genesisHash: s.genesisHash, height: s.height, blockTime: s.blockTime, appHash: s.appHash, records };
}
