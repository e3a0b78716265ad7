/**
 * The validator's block store: committed blocks appended durably in height order to `blocks.log` (framed,
 * checksummed, fdatasynced with the write-ahead log's group commit). A block record holds the header (whose
 * `stateRoot` is the application's appHash after the block), the transactions as canonical JSON, and the PBFT
 * decision (batch digest, proposer time, the `vote` certificate used for state transfer); the header's ledger
 * commit certificate follows in its own record once a quorum attested the header (docs/decisions/0007).
 * Reads by height and by transaction hash; receipts come from src/ledger/receipt.ts `buildReceipt`.
 */
import { join } from 'node:path';
import { MeridianError } from '../../errors/registry.ts';
import { batchCommitmentOf, buildBatch, type Batch as EntryBatch } from '../batch.ts';
import { type BlockHeader, blockHeaderHash, type CommitCertificate } from '../block.ts';
import { fromHex, ZERO_HASH_HEX } from '../hash.ts';
import { buildMerkleTree, leafHash, type MerkleTree } from '../merkle.ts';
import type { CommittedBlock, CommitCertificate as VoteCertificate } from '../pbft/types.ts';
import { buildReceipt, type Receipt } from '../receipt.ts';
import type { SignedTransaction } from '../transaction.ts';
import type { ValidatorSet } from '../validator-set.ts';
import { FramedLog } from './framed-log.ts';

/** Full blocks kept in memory for serving and receipts; older ones are read back from disk. */
const CACHED_BLOCKS_MAX = 256;

/** A block as stored. */
export interface StoredBlock {
  readonly header: BlockHeader;
  readonly headerHash: string;
  /** The ledger commit certificate over the header; undefined until a quorum attested it. */
  readonly certificate: CommitCertificate | undefined;
  /** Canonical JSON of each signed transaction, in block order. */
  readonly txs: readonly string[];
  /** txHash of each transaction (the PBFT request digests). */
  readonly txHashes: readonly string[];
  /** The PBFT batch digest and the `vote` certificate that decided it. */
  readonly digest: string;
  readonly decision: VoteCertificate;
}

type BlockRecord =
  | {
      t: 'block';
      header: BlockHeader;
      txs: string[];
      txHashes: string[];
      digest: string;
      decision: VoteCertificate;
    }
  | { t: 'cert'; height: number; certificate: CommitCertificate };

interface Meta {
  header: BlockHeader;
  headerHash: string;
  certificate: CommitCertificate | undefined;
  offset: number;
  digest: string;
}

function corrupt(path: string, message: string, height: number): MeridianError {
  return new MeridianError('MER_LEDGER_WAL_CORRUPT', `${path}: ${message}`, { path, height });
}

/** The block store (see the module comment). */
export class BlockStore {
  readonly #log: FramedLog;
  readonly #meta: Meta[] = [];
  readonly #txIndex = new Map<string, { height: number; index: number }>();
  readonly #cache = new Map<number, StoredBlock>();
  readonly #certifiedWaiters = new Set<() => void>();

  private constructor(log: FramedLog) {
    this.#log = log;
  }

  /** Opens `<dir>/blocks.log`: torn tail repaired, heights and prev links checked, indexes rebuilt. */
  static open(dir: string): { store: BlockStore; repairedBytes: number } {
    const { log, records, offsets, repairedBytes } = FramedLog.open(join(dir, 'blocks.log'));
    const store = new BlockStore(log);
    records.forEach((payload, i) => {
      const r = JSON.parse(payload.toString('utf8')) as BlockRecord;
      if (r.t === 'block') store.#index(r, offsets[i] as number);
      else store.#attach(r.height, r.certificate);
    });
    return { store, repairedBytes };
  }

  #index(r: Extract<BlockRecord, { t: 'block' }>, offset: number): void {
    const height = this.#meta.length + 1;
    if (r.header.height !== height)
      throw corrupt(this.#log.path, `block ${r.header.height} where ${height} belongs`, height);
    const prev = this.#meta[height - 2];
    if (r.header.prevHash !== (prev ? prev.headerHash : ZERO_HASH_HEX)) {
      throw corrupt(this.#log.path, `block ${height} does not link to block ${height - 1}`, height);
    }
    this.#meta.push({
      header: r.header,
      headerHash: blockHeaderHash(r.header),
      certificate: undefined,
      offset,
      digest: r.digest,
    });
    for (const [index, h] of r.txHashes.entries()) this.#txIndex.set(h, { height, index });
  }

  #attach(height: number, certificate: CommitCertificate): void {
    const m = this.#meta[height - 1];
    if (!m) throw corrupt(this.#log.path, `a certificate for block ${height}, which is not stored`, height);
    m.certificate = certificate;
    const cached = this.#cache.get(height);
    if (cached) this.#cache.set(height, { ...cached, certificate });
  }

  /** The last stored height (0 when empty). */
  get height(): number {
    return this.#meta.length;
  }

  /** The highest height h such that every block up to h has its commit certificate. */
  get certifiedHeight(): number {
    let h = this.#meta.length;
    while (h > 0 && this.#meta[h - 1]?.certificate === undefined) h--;
    return h;
  }

  /** The header at `height`, if stored. */
  header(height: number): BlockHeader | undefined {
    return this.#meta[height - 1]?.header;
  }

  /** The header hash at `height` (the genesis hash, all zeros, for 0). */
  headerHash(height: number): string | undefined {
    return height === 0 ? ZERO_HASH_HEX : this.#meta[height - 1]?.headerHash;
  }

  /** The ledger commit certificate at `height`, if a quorum attested it. */
  certificate(height: number): CommitCertificate | undefined {
    return this.#meta[height - 1]?.certificate;
  }

  /** The PBFT batch digest decided at `height`. */
  digest(height: number): string | undefined {
    return this.#meta[height - 1]?.digest;
  }

  /** Where a transaction is: height and index in its block. */
  locate(txHash: string): { height: number; index: number } | undefined {
    return this.#txIndex.get(txHash);
  }

  /** Buffers a new block at height + 1 (durable at the next {@link flush}). */
  append(block: Omit<StoredBlock, 'headerHash' | 'certificate'>): void {
    const r: BlockRecord = {
      t: 'block',
      header: block.header,
      txs: [...block.txs],
      txHashes: [...block.txHashes],
      digest: block.digest,
      decision: block.decision,
    };
    const offset = this.#log.append(Buffer.from(JSON.stringify(r), 'utf8'));
    this.#index(r, offset);
    this.#remember({ ...block, headerHash: blockHeaderHash(block.header), certificate: undefined });
  }

  /** Buffers the commit certificate of a stored block. */
  certify(height: number, certificate: CommitCertificate): void {
    if (this.#meta[height - 1]?.certificate !== undefined) return;
    this.#log.append(Buffer.from(JSON.stringify({ t: 'cert', height, certificate }), 'utf8'));
    this.#attach(height, certificate);
    for (const wake of [...this.#certifiedWaiters]) wake();
  }

  /**
   * Resolves when the next certificate is stored here, or after `timeoutMs`: a reader waiting for a receipt
   * waits for this instead of asking again and again.
   */
  nextCertificate(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#certifiedWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, timeoutMs));
      this.#certifiedWaiters.add(wake);
    });
  }

  /** Whether records wait for a flush. */
  get dirty(): boolean {
    return this.#log.dirty;
  }

  /** Makes the buffered blocks and certificates durable (one fdatasync). */
  flush(): void {
    this.#log.flush();
  }

  /** {@link flush} with the write and the fdatasync off the event loop (FramedLog.flushAsync). */
  flushAsync(): Promise<void> {
    return this.#log.flushAsync();
  }

  #remember(b: StoredBlock): void {
    this.#cache.set(b.header.height, b);
    if (this.#cache.size > CACHED_BLOCKS_MAX) this.#cache.delete(this.#cache.keys().next().value as number);
  }

  /** The whole block at `height`, if stored. */
  block(height: number): StoredBlock | undefined {
    const cached = this.#cache.get(height);
    if (cached) return cached;
    const m = this.#meta[height - 1];
    if (!m) return undefined;
    const r = JSON.parse(this.#log.readAt(m.offset).toString('utf8')) as Extract<BlockRecord, { t: 'block' }>;
    return {
      header: r.header,
      headerHash: m.headerHash,
      certificate: m.certificate,
      txs: r.txs,
      txHashes: r.txHashes,
      digest: r.digest,
      decision: r.decision,
    };
  }

  /** The PBFT form of a stored block, for answering a state-transfer fetch. */
  committedBlock(height: number): CommittedBlock | undefined {
    const b = this.block(height);
    if (!b) return undefined;
    return {
      height,
      digest: b.digest,
      batch: {
        height,
        proposerTimeMs: b.header.proposerTime,
        requests: b.txs.map((tx, i) => ({ digest: b.txHashes[i] as string, bytes: Buffer.from(tx, 'utf8') })),
      },
      certificate: b.decision,
    };
  }

  /**
   * A receipt for a committed, certified transaction (MER_LEDGER_NOT_FOUND otherwise); with `entries` and
   * `index`, the receipt of one entry of the notarization batch the transaction commits to.
   */
  receipt(opts: { txHash: string; validatorSet: ValidatorSet; entries?: readonly unknown[]; index?: number }): Receipt {
    const at = this.locate(opts.txHash);
    const b = at ? this.block(at.height) : undefined;
    if (!at || !b) throw new MeridianError('MER_LEDGER_NOT_FOUND', `transaction ${opts.txHash} is not committed here`);
    if (!b.certificate) {
      throw new MeridianError('MER_LEDGER_NOT_FOUND', `block ${at.height} is committed but not certified yet; retry`);
    }
    const txs = b.txs.map((t) => JSON.parse(t) as SignedTransaction);
    let entry: { batch: EntryBatch; index: number } | undefined;
    if (opts.entries !== undefined) {
      const tx = txs[at.index] as SignedTransaction;
      const commitment = batchCommitmentOf(tx.body.payload);
      const batch = buildBatch(opts.entries);
      if (!commitment || commitment.root !== batch.commitment.root || commitment.size !== batch.commitment.size) {
        throw new MeridianError('MER_LEDGER_BAD_PROOF', 'these entries are not the batch the transaction commits to');
      }
      const index = opts.index ?? 0;
      if (!Number.isInteger(index) || index < 0 || index >= batch.entries.length) {
        throw new MeridianError(
          'MER_LEDGER_INDEX_OUT_OF_RANGE',
          `no entry ${index} in a batch of ${batch.entries.length}`,
        );
      }
      entry = { batch, index };
    }
    return buildReceipt({
      txs,
      txIndex: at.index,
      header: b.header,
      certificate: b.certificate,
      validatorSet: opts.validatorSet,
      txTree: txTreeOfHashes(b.txHashes),
      ...(entry ? { entry } : {}),
    });
  }

  /** Closes the file. */
  close(): void {
    this.#log.close();
  }
}

/** The block's transaction tree from the transactions' hashes (leaf = H(0x00 ‖ txHash)), without re-hashing them. */
export function txTreeOfHashes(txHashes: readonly string[]): MerkleTree {
  return buildMerkleTree(txHashes.map((h) => leafHash(fromHex(h, 32) as Buffer)));
}
