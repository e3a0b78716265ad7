/**
 * The explorer's pure logic: block summaries, payload-free transaction summaries, the search filter, the check
 * of a block read from one validator, and the status table built from every validator's own answer. No I/O.
 */
import {
  type BlockHeader,
  blockHeaderHash,
  type CommitCertificate,
  txRootOf,
  verifyCommitCertificate,
} from '../../ledger/block.ts';
import type { ValidatorStatus } from '../../ledger/host/validator.ts';
import { type SignedTransaction, txContentHash, txHash } from '../../ledger/transaction.ts';
import type { ValidatorSet } from '../../ledger/validator-set.ts';
import type { BlockSummary, TxSummary, ValidatorRow } from './schemas.ts';

/** A block's summary from its header; `certified` says whether a commit certificate is attached. */
export function blockSummary(header: BlockHeader, certified: boolean): BlockSummary {
  return {
    height: header.height,
    time: new Date(header.proposerTime).toISOString(),
    proposer: header.proposer,
    txCount: header.txCount,
    headerHash: blockHeaderHash(header),
    prevHash: header.prevHash,
    txRoot: header.txRoot,
    stateRoot: header.stateRoot,
    validatorSetHash: header.validatorSetHash,
    certified,
  };
}

// Payload fields that name a contract record; never patient tokens, locations or free text.
const SUBJECT_FIELDS = ['taskId', 'requestId', 'proposalId', 'projectId'] as const;

/** The contract record a transaction refers to (`task:<id>`, `request:<id>`, `batch:<root>`…), or null. */
export function subjectOf(payload: Readonly<Record<string, unknown>>): string | null {
  for (const field of SUBJECT_FIELDS) {
    const v = payload[field];
    if (typeof v === 'string') return `${field.slice(0, -2)}:${v}`;
  }
  const batch = payload.batch as { root?: unknown } | undefined;
  if (typeof batch?.root === 'string') return `batch:${batch.root}`;
  return null;
}

/** A transaction as the explorer shows it: who, what kind, hashes and subject; never the payload itself. */
export function txSummary(tx: SignedTransaction, index: number): TxSummary {
  return {
    index,
    txHash: txHash(tx),
    contentHash: txContentHash(tx.body),
    kind: tx.body.kind,
    institution: tx.body.institution,
    user: tx.body.user ? { id: tx.body.user.id, role: tx.body.user.role } : null,
    subject: subjectOf(tx.body.payload),
  };
}

/** What a transaction search keeps: a kind, an institution and a proposer-time range (ms), each optional. */
export interface TxFilter {
  kind?: string | undefined;
  institution?: string | undefined;
  fromMs?: number | undefined;
  toMs?: number | undefined;
}

/** True iff a block's proposer time lies in the filter's range. */
export function blockInRange(header: BlockHeader, f: TxFilter): boolean {
  return (
    (f.fromMs === undefined || header.proposerTime >= f.fromMs) &&
    (f.toMs === undefined || header.proposerTime <= f.toMs)
  );
}

/** True iff a transaction matches the filter's kind and institution. */
export function txMatches(tx: SignedTransaction, f: TxFilter): boolean {
  return (
    (f.kind === undefined || tx.body.kind === f.kind) &&
    (f.institution === undefined || tx.body.institution === f.institution)
  );
}

/** The hub's own check of a block one validator answered with. */
export interface BlockCheck {
  txRootMatches: boolean;
  certificate: 'verified' | 'absent' | 'failed';
  signers: string[];
  failure: string | null;
}

/**
 * Checks a block as read: its transactions must hash to the header's txRoot and count, and its certificate (when
 * attached) must commit the header under the trusted validator set. A validator is never believed on its word.
 */
export function checkBlock(opts: {
  header: BlockHeader;
  txs: readonly SignedTransaction[];
  certificate: CommitCertificate | null;
  validatorSet: ValidatorSet;
}): BlockCheck {
  const { txRoot, txCount } = txRootOf(opts.txs);
  const txRootMatches = txRoot === opts.header.txRoot && txCount === opts.header.txCount;
  if (opts.certificate === null) return { txRootMatches, certificate: 'absent', signers: [], failure: null };
  const cert = verifyCommitCertificate(opts.header, opts.certificate, opts.validatorSet);
  if (!cert.ok) return { txRootMatches, certificate: 'failed', signers: [], failure: `${cert.code}: ${cert.message}` };
  return { txRootMatches, certificate: 'verified', signers: [...cert.signers], failure: null };
}

/** True iff the block checked out completely (transactions match and the certificate verified). */
export function blockTrusted(check: BlockCheck): boolean {
  return check.txRootMatches && check.certificate === 'verified';
}

/** What asking one validator for its status gave. */
export type StatusAnswer =
  | { name: string; endpoint: string; ok: true; status: ValidatorStatus }
  | { name: string; endpoint: string; ok: false; code: string; message: string };

/**
 * The status table: each validator's own report, its lag behind the highest height any reachable validator
 * reported, and when the hub last heard from it (`lastSeen`, by name). Rows keep the configuration's order.
 */
export function validatorRows(
  answers: readonly StatusAnswer[],
  lastSeen: ReadonlyMap<string, Date>,
): { highest: number | null; rows: ValidatorRow[] } {
  const heights = answers.flatMap((a) => (a.ok ? [a.status.height] : []));
  const highest = heights.length > 0 ? Math.max(...heights) : null;
  const rows = answers.map((a): ValidatorRow => {
    const seen = lastSeen.get(a.name);
    const base = { name: a.name, endpoint: a.endpoint, lastSeen: seen ? seen.toISOString() : null };
    if (!a.ok) {
      return {
        ...base,
        reachable: false,
        height: null,
        certifiedHeight: null,
        view: null,
        mode: null,
        primary: null,
        lag: null,
        pending: null,
        peersConnected: null,
        error: { code: a.code, message: a.message },
      };
    }
    const s = a.status;
    return {
      ...base,
      reachable: true,
      height: s.height,
      certifiedHeight: s.certifiedHeight,
      view: s.view,
      mode: s.mode,
      primary: s.primary,
      lag: highest === null ? null : highest - s.height,
      pending: s.pending,
      peersConnected: s.peers.filter((p) => p.connected).length,
      error: null,
    };
  });
  return { highest, rows };
}
