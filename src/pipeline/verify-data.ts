/**
 * What `meridian verify-data` concludes about one file: is it, byte for byte, a file the node landed in its ODS
 * and notarized on the consortium ledger? The file's SHA-256 must be an entry of the node's notary log, and that
 * entry's receipt (entry ─► batch root ─► transaction ─► block ─► commit certificate) must verify offline against
 * validator keys the verifier trusts — never against keys the receipt itself carries. Pure: the caller hashes the
 * file and reads the log.
 */

import { type ReceiptCheck, type ValidatorSet, verifyReceipt } from '../ledger/index.ts';
import type { EntryNotarization, NotarizationEntry } from './notary.ts';

/** Why a file does not verify. */
export type DataVerificationFailure = 'not-notarized' | 'local-only' | 'receipt-invalid' | 'entry-differs';

/** Where the ledger holds a verified file. */
export interface VerifiedAnchor {
  readonly height: number;
  readonly txHash: string;
  readonly entryIndex: number;
  readonly batchRoot: string;
  readonly batchSize: number;
  readonly signers: readonly string[];
  readonly validatorSetHash: string;
}

/** The verdict on one file. */
export type DataVerification =
  | {
      readonly ok: true;
      readonly sha256: string;
      readonly sizeBytes: number;
      readonly entry: NotarizationEntry;
      readonly seq: number;
      readonly ledger: VerifiedAnchor;
    }
  | {
      readonly ok: false;
      readonly sha256: string;
      readonly sizeBytes: number;
      readonly reason: DataVerificationFailure;
      readonly message: string;
      /** The receipt check that failed, for `receipt-invalid`. */
      readonly check?: ReceiptCheck;
      /** Entries of the log with the file's name (other versions), for `not-notarized`. */
      readonly sameName?: readonly NotarizationEntry[];
    };

/** Most other versions of a file named in a `not-notarized` verdict. */
const SAME_NAME_MAX = 10;

/**
 * Judges a file from its hash and size, its notary-log entry (if any), the log's entries of the same name, and
 * the validator sets the verifier trusts.
 */
export function verifyDataNotarization(opts: {
  sha256: string;
  sizeBytes: number;
  name: string;
  notarization: EntryNotarization | undefined;
  sameName: readonly NotarizationEntry[];
  trusted: readonly ValidatorSet[];
}): DataVerification {
  const { sha256, sizeBytes, notarization: n } = opts;
  const failed = (reason: DataVerificationFailure, message: string, extra: object = {}): DataVerification => ({
    ok: false,
    sha256,
    sizeBytes,
    reason,
    message,
    ...extra,
  });
  if (n === undefined) {
    const others = opts.sameName.slice(-SAME_NAME_MAX);
    const hint =
      others.length === 0
        ? `no file named ${opts.name} was notarized either`
        : `the node notarized other contents under this name: ${others
            .map(
              (e) =>
                `${e.source}/${e.name} v${e.version} (sha256 ${e.sha256.slice(0, 12)}…, ${e.sizeBytes} bytes, received ${e.receivedAt})`,
            )
            .join('; ')}`;
    return failed('not-notarized', `no notarized file has this content (sha256 ${sha256}); ${hint}`, {
      sameName: others,
    });
  }
  if (n.entry.sha256 !== sha256 || n.entry.sizeBytes !== sizeBytes) {
    return failed(
      'entry-differs',
      `the log's entry for sha256 ${sha256} records ${n.entry.sizeBytes} bytes; the file has ${sizeBytes}`,
    );
  }
  if (n.ledger === undefined) {
    return failed(
      'local-only',
      `${n.entry.source}/${n.entry.name} v${n.entry.version} is in the node's local notary log (batch #${n.seq}) but was never committed on the consortium ledger`,
    );
  }
  const r = verifyReceipt(n.ledger.receipt, opts.trusted);
  if (!r.ok) {
    return failed('receipt-invalid', `the ledger receipt does not verify: ${r.check}: ${r.message}`, {
      check: r.check,
    });
  }
  const proven = n.ledger.receipt.entry?.value as Partial<NotarizationEntry> | undefined;
  if (r.entry === undefined || proven?.sha256 !== sha256 || proven.sizeBytes !== sizeBytes) {
    return failed('entry-differs', 'the receipt proves another entry than this file');
  }
  return {
    ok: true,
    sha256,
    sizeBytes,
    entry: n.entry,
    seq: n.seq,
    ledger: {
      height: r.height,
      txHash: r.txHash,
      entryIndex: r.entry.index,
      batchRoot: r.entry.batch.root,
      batchSize: r.entry.batch.size,
      signers: r.signers,
      validatorSetHash: r.validatorSetHash,
    },
  };
}
