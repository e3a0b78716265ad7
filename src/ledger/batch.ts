/**
 * Notarization batches, the lower level of the two-level Merkle proof: an institution puts many entries
 * (a received file's hash, type, time, patient token, storage location) into one signed transaction whose
 * payload carries only the batch commitment `{ root, size }` under the key `batch`. Each entry's leaf is
 * H(0x00 || canonical JSON of the entry); an entry's receipt is its proof in the batch plus the transaction's
 * proof in the block (SPEC.md I6).
 *
 *   header.txRoot ── tx-in-block proof ── tx (payload.batch.root) ── entry-in-batch proof ── entry
 */
import assert from 'node:assert/strict';
import { z } from 'zod';
import { canonicalBytes } from './canonical-json.ts';
import { fromHex, HASH_BYTES, HASH_HEX_PATTERN, toHex } from './hash.ts';
import { buildMerkleTree, inclusionProof, leafHash, type MerkleTree, verifyInclusion } from './merkle.ts';

/** The most entries one batch (one transaction) may commit to. */
export const BATCH_ENTRIES_MAX = 65_536;

/** Zod schema of a batch commitment, as it sits in a transaction payload under `batch`. */
export const BatchCommitmentSchema = z.strictObject({
  root: z.string().regex(HASH_HEX_PATTERN, 'a batch root is 64 lowercase hex characters'),
  size: z.number().int().min(1).max(BATCH_ENTRIES_MAX),
});

/** The Merkle root (hex) and entry count of a batch. */
export type BatchCommitment = z.infer<typeof BatchCommitmentSchema>;

/** A batch of entries with its tree, ready to hand out entry proofs. */
export interface Batch {
  readonly entries: readonly unknown[];
  readonly tree: MerkleTree;
  readonly commitment: BatchCommitment;
}

/** An entry's place in its batch: its index and its RFC 9162 inclusion proof (hex). */
export interface EntryProof {
  index: number;
  proof: string[];
}

/** The RFC 9162 leaf hash of one entry: H(0x00 || canonical JSON of the entry). */
export function entryLeafHash(entry: unknown): Buffer {
  return leafHash(canonicalBytes(entry));
}

/** Builds the batch tree of 1..{@link BATCH_ENTRIES_MAX} entries; MER_LEDGER_INVALID_JSON if one cannot be canonical. */
export function buildBatch(entries: readonly unknown[]): Batch {
  const n = entries.length;
  assert(n >= 1 && n <= BATCH_ENTRIES_MAX, `a batch holds 1..${BATCH_ENTRIES_MAX} entries, not ${n}; split it`);
  const tree = buildMerkleTree(entries.map(entryLeafHash));
  return { entries, tree, commitment: { root: toHex(tree.root), size: tree.size } };
}

/** The proof that entry `index` is in the batch; MER_LEDGER_INDEX_OUT_OF_RANGE if there is no such entry. */
export function entryProof(batch: Batch, index: number): EntryProof {
  return { index, proof: inclusionProof(batch.tree, index).map(toHex) };
}

/** The batch commitment a transaction payload carries under `batch`, or null if it carries none. */
export function batchCommitmentOf(payload: unknown): BatchCommitment | null {
  if (typeof payload !== 'object' || payload === null || !('batch' in payload)) return null;
  const parsed = BatchCommitmentSchema.safeParse((payload as { batch: unknown }).batch);
  return parsed.success ? parsed.data : null;
}

/** True iff `proof` shows `entry` is entry `proof.index` of the batch with `commitment`. */
export function verifyEntryInBatch(entry: unknown, proof: EntryProof, commitment: BatchCommitment): boolean {
  const root = fromHex(commitment.root, HASH_BYTES);
  const path = proof.proof.map((h) => fromHex(h, HASH_BYTES));
  if (root === null || path.some((p) => p === null)) return false;
  let leaf: Buffer;
  try {
    leaf = entryLeafHash(entry);
  } catch {
    return false;
  }
  return verifyInclusion({
    leafHash: leaf,
    index: proof.index,
    treeSize: commitment.size,
    proof: path as Buffer[],
    root,
  });
}
