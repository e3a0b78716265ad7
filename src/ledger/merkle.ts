/**
 * RFC 9162 (Certificate Transparency v2) Merkle trees over SHA-256: leaf = H(0x00 || d), node = H(0x01 || l || r),
 * a tree of n > 1 leaves splits at the largest power of two below n, and the empty tree hashes to H().
 * Inclusion and consistency proofs are generated from a tree kept level by level, and verified exactly as
 * RFC 9162 §2.1.3.2 and §2.1.4.2 prescribe (SPEC.md I3–I5). Everything here works on raw 32-byte hashes;
 * sizes and indices are safe integers, so trees up to 2^53 - 1 leaves verify without 32-bit shifts.
 *
 *   level 2:        h0123           h456          a node whose right sibling is missing is carried up
 *   level 1:    h01      h23     h45    [6]       unchanged, which is exactly the largest-power-of-two split
 *   level 0:  l0  l1   l2  l3   l4  l5   l6
 */
import assert from 'node:assert/strict';
import { MeridianError } from '../errors/registry.ts';
import { HASH_BYTES, sha256 } from './hash.ts';

/** The most elements a proof may hold: a tree of 2^53 leaves needs 53. */
export const MERKLE_PROOF_LENGTH_MAX = 64;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** MTH({}) = SHA-256 of nothing, the root of the empty tree. */
export function emptyTreeHash(): Buffer {
  return sha256();
}

/** The RFC 9162 leaf hash H(0x00 || data). */
export function leafHash(data: Uint8Array): Buffer {
  return sha256(LEAF_PREFIX, data);
}

/** The RFC 9162 interior node hash H(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(NODE_PREFIX, left, right);
}

/** A Merkle tree kept level by level; `levels[k][i]` is MTH of leaves [i·2^k, min((i+1)·2^k, size)). */
export interface MerkleTree {
  readonly size: number;
  readonly root: Buffer;
  readonly levels: readonly (readonly Buffer[])[];
}

function isHash(h: Uint8Array): boolean {
  return h.byteLength === HASH_BYTES;
}

/** Builds the tree over already-hashed leaves (use {@link leafHash}); O(n) hashes. */
export function buildMerkleTree(leafHashes: readonly Uint8Array[]): MerkleTree {
  for (const h of leafHashes) assert(isHash(h), 'every leaf hash must be 32 bytes');
  const levels: Buffer[][] = [leafHashes.map((h) => Buffer.from(h))];
  let current = levels[0] as Buffer[];
  while (current.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < current.length; i += 2) {
      const left = current[i] as Buffer;
      const right = current[i + 1];
      next.push(right === undefined ? left : nodeHash(left, right));
    }
    levels.push(next);
    current = next;
  }
  const root = leafHashes.length === 0 ? emptyTreeHash() : (current[0] as Buffer);
  return { size: leafHashes.length, root, levels };
}

/** MTH over already-hashed leaves. */
export function merkleRoot(leafHashes: readonly Uint8Array[]): Buffer {
  return buildMerkleTree(leafHashes).root;
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH of leaves [lo, hi) of `tree`, read from its levels where the range is one stored node. */
function subtreeHash(tree: MerkleTree, lo: number, hi: number): Buffer {
  const len = hi - lo;
  let level = 0;
  let width = 1;
  while (width < len) {
    width *= 2;
    level += 1;
  }
  if (lo % width === 0 && Math.min(lo + width, tree.size) === hi) {
    return tree.levels[level]?.[lo / width] as Buffer;
  }
  const k = largestPowerOfTwoBelow(len);
  return nodeHash(subtreeHash(tree, lo, lo + k), subtreeHash(tree, lo + k, hi));
}

function outOfRange(what: string, value: number, size: number): MeridianError {
  const message = `${what} ${value} is outside a tree of ${size} leaves`;
  return new MeridianError('MER_LEDGER_INDEX_OUT_OF_RANGE', message, { what, value, size });
}

/** The RFC 9162 inclusion proof (audit path) of leaf `index`, deepest sibling first; MER_LEDGER_INDEX_OUT_OF_RANGE. */
export function inclusionProof(tree: MerkleTree, index: number): Buffer[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= tree.size) throw outOfRange('leaf index', index, tree.size);
  const proof: Buffer[] = [];
  let i = index;
  for (let level = 0; level < tree.levels.length - 1; level += 1) {
    const nodes = tree.levels[level] as readonly Buffer[];
    const sibling = i % 2 === 1 ? i - 1 : i + 1;
    if (sibling < nodes.length) proof.push(nodes[sibling] as Buffer);
    i = Math.floor(i / 2);
  }
  return proof;
}

function subproof(tree: MerkleTree, m: number, lo: number, hi: number, complete: boolean): Buffer[] {
  const n = hi - lo;
  if (m === n) return complete ? [] : [subtreeHash(tree, lo, hi)];
  const k = largestPowerOfTwoBelow(n);
  if (m <= k) return [...subproof(tree, m, lo, lo + k, complete), subtreeHash(tree, lo + k, hi)];
  return [...subproof(tree, m - k, lo + k, hi, false), subtreeHash(tree, lo, lo + k)];
}

/** The RFC 9162 consistency proof PROOF(firstSize, D[n]) from the first `firstSize` leaves to the whole tree. */
export function consistencyProof(tree: MerkleTree, firstSize: number): Buffer[] {
  if (!Number.isSafeInteger(firstSize) || firstSize < 0 || firstSize > tree.size) {
    throw outOfRange('first size', firstSize, tree.size);
  }
  if (firstSize === 0 || firstSize === tree.size) return [];
  return subproof(tree, firstSize, 0, tree.size, true);
}

/** Inputs of {@link verifyInclusion}. */
export interface InclusionCheck {
  leafHash: Uint8Array;
  index: number;
  treeSize: number;
  proof: readonly Uint8Array[];
  root: Uint8Array;
}

const isOdd = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);

/** The root an inclusion proof implies (RFC 9162 §2.1.3.2 steps 1–5 without the final compare); null if malformed. */
export function rootFromInclusionProof(check: Omit<InclusionCheck, 'root'>): Buffer | null {
  const { index, treeSize, proof } = check;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize) return null;
  if (!isHash(check.leafHash) || proof.length > MERKLE_PROOF_LENGTH_MAX || !proof.every(isHash)) return null;
  let fn = index;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(check.leafHash);
  for (const p of proof) {
    if (sn === 0) return null;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : null;
}

/** RFC 9162 §2.1.3.2: true iff `proof` proves `leafHash` is leaf `index` of the tree of `treeSize` with `root`. */
export function verifyInclusion(check: InclusionCheck): boolean {
  if (!isHash(check.root)) return false;
  const r = rootFromInclusionProof(check);
  if (r === null) return false;
  return r.equals(check.root);
}

/** Inputs of {@link verifyConsistency}. */
export interface ConsistencyCheck {
  firstSize: number;
  secondSize: number;
  firstRoot: Uint8Array;
  secondRoot: Uint8Array;
  proof: readonly Uint8Array[];
}

/**
 * RFC 9162 §2.1.4.2: true iff `proof` shows the tree of `firstSize` with `firstRoot` is a prefix of the tree of
 * `secondSize` with `secondRoot`. Equal sizes need an empty proof and equal roots; size 0 needs an empty proof
 * and the empty-tree root.
 */
export function verifyConsistency(check: ConsistencyCheck): boolean {
  const { firstSize: first, secondSize: second, proof } = check;
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) return false;
  if (!isHash(check.firstRoot) || !isHash(check.secondRoot)) return false;
  if (proof.length > MERKLE_PROOF_LENGTH_MAX || !proof.every(isHash)) return false;
  const firstRoot = Buffer.from(check.firstRoot);
  const secondRoot = Buffer.from(check.secondRoot);
  if (first === 0) return proof.length === 0 && firstRoot.equals(emptyTreeHash());
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  // 1. An empty path fails.
  if (proof.length === 0) return false;
  // 2. If first is an exact power of 2, prepend first_hash.
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  // 3.–4. fn = first - 1, sn = second - 1, shifted right while LSB(fn) is set.
  let fn = first - 1;
  let sn = second - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  // 5. fr = sr = the first path element.
  let fr: Buffer = Buffer.from(path[0] as Uint8Array);
  let sr: Buffer = Buffer.from(path[0] as Uint8Array);
  // 6. Fold in every further element.
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  // 7. Both roots must match and sn must have reached 0.
  return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot);
}

function isPowerOfTwo(n: number): boolean {
  let x = n;
  while (x > 1 && x % 2 === 0) x /= 2;
  return x === 1;
}
