/**
 * The node's access check for the patient panorama. A node never trusts the hub for an access decision: before
 * it returns a patient's records it reads the `access` view on its OWN ledger replica (falling back to the other
 * validators only when its own does not answer) and requires an `access.record` that the hub named, that names
 * this hospital and this patient's token, and that was committed recently. The matching rule is pure.
 */
import { MeridianError } from '../errors/registry.ts';
import type { LedgerClient } from '../ledger/host/index.ts';

/** How old (by its block's proposer time) an access record may be when a node serves records under it. */
export const ACCESS_RECORD_MAX_AGE_MS = 10 * 60_000;
/** Access records read per patient token (newest first). */
const ACCESS_PAGE_SIZE = 50;
/** Longest wait for one validator's answer. */
const QUERY_TIMEOUT_MS = 3_000;
/** Reads of the access view before a node concludes its replica lacks the record (it may lag a block). */
const READ_ROUNDS_MAX = 20;
/** Pause between two read rounds. */
const READ_PAUSE_MS = 100;

/** An access record as the ledger's `access` view returns it. */
export interface LedgerAccessRecord {
  patientToken: string;
  hospital: string;
  institution: string;
  user: { id: string; role: string };
  statedAt: string;
  breakGlass: boolean;
  reasonCode?: string;
  recorded: { height: number; tx: number; at: number };
  contentHash: string;
}

/** What the hub tells a node about the access it recorded. */
export interface AccessClaim {
  patientToken: string;
  /** Content hash of the `access.record` transaction. */
  contentHash: string;
}

/** Reads access records of a patient token from the ledger. */
export interface AccessLedger {
  /** The newest access records of `patientToken`. */
  records(patientToken: string): Promise<LedgerAccessRecord[]>;
}

/**
 * The record that allows `hospital` to serve `claim` at `nowMs`, or the reason there is none: it must carry the
 * claimed content hash, name this hospital and this token, and be at most {@link ACCESS_RECORD_MAX_AGE_MS} old.
 */
export function matchAccessRecord(
  records: readonly LedgerAccessRecord[],
  claim: AccessClaim,
  hospital: string,
  nowMs: number,
): { ok: true; record: LedgerAccessRecord } | { ok: false; reason: string } {
  const named = records.find((r) => r.contentHash === claim.contentHash);
  if (named === undefined) return { ok: false, reason: 'no access record with the named hash on this replica' };
  if (named.hospital !== hospital) return { ok: false, reason: `the access record names ${named.hospital}` };
  if (named.patientToken !== claim.patientToken)
    return { ok: false, reason: "the access record names another patient's token" };
  const age = nowMs - named.recorded.at;
  if (age > ACCESS_RECORD_MAX_AGE_MS)
    return {
      ok: false,
      reason: `the access record is ${Math.round(age / 1000)} s old (at most ${ACCESS_RECORD_MAX_AGE_MS / 1000} s)`,
    };
  return { ok: true, record: named };
}

/**
 * Waits (bounded) until the ledger shows a record matching `claim` for `hospital`; throws
 * MER_PANORAMA_ACCESS_NOT_RECORDED naming why when it never does.
 */
export async function requireAccessRecord(opts: {
  ledger: AccessLedger;
  claim: AccessClaim;
  hospital: string;
  now: () => number;
  rounds?: number;
  pauseMs?: number;
}): Promise<LedgerAccessRecord> {
  const rounds = Math.min(opts.rounds ?? READ_ROUNDS_MAX, READ_ROUNDS_MAX);
  let reason = 'not checked';
  for (let round = 0; round < rounds; round++) {
    const m = matchAccessRecord(
      await opts.ledger.records(opts.claim.patientToken),
      opts.claim,
      opts.hospital,
      opts.now(),
    );
    if (m.ok) return m.record;
    reason = m.reason;
    if (!reason.startsWith('no access record')) break;
    await new Promise((resolve) => setTimeout(resolve, opts.pauseMs ?? READ_PAUSE_MS));
  }
  throw new MeridianError(
    'MER_PANORAMA_ACCESS_NOT_RECORDED',
    `${opts.hospital} returns no records: ${reason}; every view must first be recorded on the consortium ledger`,
    { hospital: opts.hospital, contentHash: opts.claim.contentHash },
  );
}

/** An {@link AccessLedger} over the validators' query API: `prefer` (this institution's own replica) first. */
export function ledgerAccessReader(opts: {
  client: Pick<LedgerClient, 'get'>;
  prefer: string;
  order: readonly string[];
}): AccessLedger {
  const validators = [opts.prefer, ...opts.order.filter((v) => v !== opts.prefer)];
  return {
    async records(patientToken) {
      const path = `/v1/query/access?patientToken=${encodeURIComponent(patientToken)}&limit=${ACCESS_PAGE_SIZE}`;
      const problems: string[] = [];
      for (const name of validators) {
        const res = await opts.client.get(name, path, QUERY_TIMEOUT_MS).catch((e: unknown) => {
          problems.push(`${name}: ${(e as Error).message}`);
          return undefined;
        });
        const items = (res?.body as { value?: { items?: unknown } } | undefined)?.value?.items;
        if (res?.status === 200 && Array.isArray(items)) return items.filter(isAccessRecord);
        if (res) problems.push(`${name}: answered ${res.status}`);
      }
      throw new MeridianError(
        'MER_LEDGER_UNAVAILABLE',
        `no validator answered the access view: ${problems.join('; ')}`,
      );
    },
  };
}

/** True when `x` has the shape of an access record. */
export function isAccessRecord(x: unknown): x is LedgerAccessRecord {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  const rec = r.recorded as Record<string, unknown> | undefined;
  const user = r.user as Record<string, unknown> | undefined;
  return (
    typeof r.patientToken === 'string' &&
    typeof r.hospital === 'string' &&
    typeof r.institution === 'string' &&
    typeof r.contentHash === 'string' &&
    typeof r.breakGlass === 'boolean' &&
    typeof user?.id === 'string' &&
    typeof rec?.at === 'number' &&
    typeof rec.height === 'number'
  );
}
