/**
 * The pipeline's notarization interface: landed ODS files are handed over in batches, each batch committed
 * to by its RFC 9162 Merkle root (the same two-level scheme the consortium ledger uses, so every file gets its
 * own receipt). `LocalNotaryLog` keeps the batches in an append-only, hash-chained, fsynced log under the node's
 * data directory; a torn last line (a crash mid-append) is repaired on open, and any other damage stops the node
 * loudly. On its own it is the notarizer of a node without a ledger; under `LedgerNotarizer` it is the node's
 * index of what the ledger committed, each record carrying the transaction's hash, height and certified receipt
 * (records written before the ledger carry none and still verify).
 */
import assert from 'node:assert/strict';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { MeridianError } from '../errors/registry.ts';
import {
  type BatchCommitment,
  batchCommitmentOf,
  buildBatch,
  canonicalize,
  type EntryProof,
  entryProof,
  type Receipt,
  ReceiptSchema,
  sha256,
  toHex,
  ZERO_HASH_HEX,
} from '../ledger/index.ts';

/** What is notarized about one received file: hashes and index data, never clinical content. */
export const NotarizationEntrySchema = z.strictObject({
  type: z.literal('ods-file'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  sizeBytes: z.number().int().nonnegative(),
  source: z.string().max(100),
  name: z.string().max(500),
  version: z.number().int().min(1),
  receivedAt: z.string(),
  location: z.string().max(1000),
});

/** One notarized entry. */
export type NotarizationEntry = z.infer<typeof NotarizationEntrySchema>;

/** Where the consortium ledger committed a batch: the transaction, its block height and its certified receipt. */
export const LedgerAnchorSchema = z.strictObject({
  txHash: z.string().regex(/^[0-9a-f]{64}$/),
  height: z.number().int().min(1),
  receipt: ReceiptSchema,
});

/** Where the consortium ledger committed a batch. */
export interface LedgerAnchor {
  txHash: string;
  height: number;
  /** The transaction's receipt (no entry part), verifiable offline with the validators' public keys. */
  receipt: Receipt;
}

/** A committed batch: its place in the log and its Merkle commitment. */
export interface NotarizedBatch {
  seq: number;
  commitment: BatchCommitment;
  /** Hash of this log record (chains to the previous one). */
  hash: string;
  /** The ledger transaction that committed the batch, when a ledger did. */
  ledger?: { txHash: string; height: number };
}

/** A file's entry with its inclusion proof in its batch, and the batch's ledger receipt for that entry if any. */
export interface EntryNotarization {
  entry: NotarizationEntry;
  seq: number;
  commitment: BatchCommitment;
  proof: EntryProof;
  /** The entry's own receipt (entry ─► batch ─► tx ─► block ─► validators), when a ledger committed the batch. */
  ledger?: { txHash: string; height: number; receipt: Receipt };
}

/** Where notarized batches go: the local log, or the consortium ledger with the local log as its index. */
export interface Notarizer {
  /** Commits to a batch of entries; resolves once the commitment is durable. */
  notarize(entries: readonly NotarizationEntry[]): Promise<NotarizedBatch>;
  /** The inclusion proof of a file's entry, when this notarizer can give one (lineage shows it). */
  proofFor?(sha256Hex: string): EntryNotarization | undefined;
  /**
   * Whether a file's entry is notarized, for a notarizer that can fail after the file landed (the ledger): a load
   * re-run then notarizes a landed file that is not, instead of skipping it as unchanged.
   */
  isNotarized?(sha256Hex: string): boolean;
}

const RecordSchema = z.strictObject({
  seq: z.number().int().min(1),
  prevHash: z.string(),
  at: z.string(),
  batch: z.strictObject({ root: z.string(), size: z.number().int() }),
  entries: z.array(NotarizationEntrySchema),
  ledger: LedgerAnchorSchema.optional(),
  hash: z.string(),
});

/** One record of the log, as stored. */
export type NotaryRecord = z.infer<typeof RecordSchema>;
type LogRecord = NotaryRecord;

function recordHash(r: Omit<LogRecord, 'hash'>): string {
  return toHex(sha256(Buffer.from(`meridian/v1/notary\n${canonicalize(r)}`, 'utf8')));
}

/** An append-only, hash-chained notarization log in one file. */
export class LocalNotaryLog implements Notarizer {
  readonly #file: string;
  readonly #now: () => Date;
  readonly #tornTail: 'refuse' | 'ignore';
  #last: { seq: number; hash: string };

  private constructor(
    file: string,
    now: () => Date,
    last: { seq: number; hash: string },
    tornTail: 'refuse' | 'ignore',
  ) {
    this.#file = file;
    this.#now = now;
    this.#last = last;
    this.#tornTail = tornTail;
  }

  /**
   * Opens (or creates) the log, verifying the whole chain; a torn final line is cut off. With `readOnly` (a
   * verifier beside a running node) nothing is written: a torn final line is skipped, and appending is refused.
   */
  static open(opts: { file: string; now: () => Date; readOnly?: boolean }): LocalNotaryLog {
    const tornTail = opts.readOnly ? 'ignore' : 'repair';
    const records = existsSync(opts.file) ? readVerified(opts.file, tornTail) : [];
    const last = records.at(-1);
    return new LocalNotaryLog(
      opts.file,
      opts.now,
      last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: ZERO_HASH_HEX },
      opts.readOnly ? 'ignore' : 'refuse',
    );
  }

  /** Appends one batch record and fsyncs before resolving. */
  async notarize(entries: readonly NotarizationEntry[]): Promise<NotarizedBatch> {
    return this.append(entries);
  }

  /**
   * Appends one batch record, with where the ledger committed it when `ledger` is given (its receipt must commit
   * to exactly these entries), and fsyncs before returning.
   */
  append(entries: readonly NotarizationEntry[], ledger?: LedgerAnchor): NotarizedBatch {
    assert.ok(this.#tornTail === 'refuse', `the notary log ${this.#file} was opened read-only`);
    const parsed = entries.map((e) => NotarizationEntrySchema.parse(e));
    const { commitment } = buildBatch(parsed);
    if (ledger !== undefined) {
      const committed = ledger.receipt.tx.body.payload.batch as BatchCommitment | undefined;
      assert.deepEqual(committed, commitment, 'the ledger transaction commits to another batch than these entries');
    }
    const body = {
      seq: this.#last.seq + 1,
      prevHash: this.#last.hash,
      at: this.#now().toISOString(),
      batch: commitment,
      entries: parsed,
      ...(ledger === undefined
        ? {}
        : { ledger: { txHash: ledger.txHash, height: ledger.height, receipt: ledger.receipt } }),
    };
    const record: LogRecord = { ...body, hash: recordHash(body) };
    const fd = openSync(this.#file, 'a', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(record)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.#last = { seq: record.seq, hash: record.hash };
    return {
      seq: record.seq,
      commitment,
      hash: record.hash,
      ...(ledger === undefined ? {} : { ledger: { txHash: ledger.txHash, height: ledger.height } }),
    };
  }

  /** Every record, verified; the inclusion proof of each entry can be rebuilt from them. */
  records(): LogRecord[] {
    return existsSync(this.#file) ? readVerified(this.#file, this.#tornTail) : [];
  }

  /**
   * The proof that the entry for `sha256` is in its batch, with the batch's commitment and log position, and the
   * entry's ledger receipt when the batch was committed on the ledger.
   */
  proofFor(sha256Hex: string): EntryNotarization | undefined {
    for (const r of this.records()) {
      const index = r.entries.findIndex((e) => e.sha256 === sha256Hex);
      if (index < 0) continue;
      const batch = buildBatch(r.entries);
      const entry = r.entries[index] as NotarizationEntry;
      const proof = entryProof(batch, index);
      return {
        entry,
        seq: r.seq,
        commitment: batch.commitment,
        proof,
        ...(r.ledger === undefined
          ? {}
          : {
              ledger: {
                txHash: r.ledger.txHash,
                height: r.ledger.height,
                receipt: { ...(r.ledger.receipt as Receipt), entry: { value: entry, index, proof: proof.proof } },
              },
            }),
      };
    }
    return undefined;
  }
}

/**
 * Reads and verifies the chain. A final line without its newline (a torn append) is removed (`repair`), skipped
 * without writing (`ignore`), or refused as damage (`refuse`).
 */
function readVerified(file: string, tornTail: 'repair' | 'ignore' | 'refuse'): LogRecord[] {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const tail = lines.pop() ?? '';
  if (tail !== '') {
    if (tornTail === 'refuse') throw corrupt(file, lines.length + 1, 'the last record is incomplete');
    if (tornTail === 'repair') truncateSync(file, Buffer.byteLength(text, 'utf8') - Buffer.byteLength(tail, 'utf8'));
  }
  const out: LogRecord[] = [];
  let prev = { seq: 0, hash: ZERO_HASH_HEX };
  lines.forEach((line, i) => {
    let parsed: LogRecord;
    try {
      parsed = RecordSchema.parse(JSON.parse(line));
    } catch {
      throw corrupt(file, i + 1, 'not a notary record');
    }
    const { hash, ...body } = parsed;
    if (parsed.seq !== prev.seq + 1 || parsed.prevHash !== prev.hash)
      throw corrupt(file, i + 1, 'breaks the hash chain');
    if (recordHash(body) !== hash) throw corrupt(file, i + 1, 'its hash does not match its content');
    if (buildBatch(parsed.entries).commitment.root !== parsed.batch.root)
      throw corrupt(file, i + 1, 'its batch root does not match its entries');
    if (parsed.ledger && batchCommitmentOf(parsed.ledger.receipt.tx.body.payload)?.root !== parsed.batch.root)
      throw corrupt(file, i + 1, 'its ledger receipt commits to another batch');
    prev = { seq: parsed.seq, hash };
    out.push(parsed);
  });
  return out;
}

function corrupt(file: string, line: number, what: string): MeridianError {
  return new MeridianError(
    'MER_PIPELINE_NOTARY_CORRUPT',
    `notary log ${file} line ${line}: ${what}; refusing to continue`,
    { file, line },
  );
}
