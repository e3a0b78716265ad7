/**
 * Self-contained receipts, verifiable offline with nothing but trusted validator public keys (SPEC.md I14, I15).
 *
 *   receipt = { version, tx, entry?, txProof, header, certificate, validatorSet, validatorSetChain }
 *
 *   entry ──(entry.proof, tx.body.payload.batch)──► tx ──(txProof, header.txRoot/txCount)──► header
 *   header ──(certificate: > 2/3 of validatorSet, purpose commit)──► validatorSet
 *   validatorSet ◄──(validatorSetChain: each link certified by the set before it)── a trusted set
 *
 * A verifier that trusts an older set follows `validatorSetChain`: each link is a header committed by the
 * current set whose `nextValidatorSetHash` names the next set, which certifies blocks from the following height.
 * {@link verifyReceipt} runs its checks in a fixed order and names the first that fails.
 */

import assert from 'node:assert/strict';
import { z } from 'zod';
import {
  BATCH_ENTRIES_MAX,
  type Batch,
  type BatchCommitment,
  batchCommitmentOf,
  entryLeafHash,
  entryProof,
} from './batch.ts';
import {
  BLOCK_TXS_MAX,
  type BlockHeader,
  BlockHeaderSchema,
  blockHeaderHash,
  type CommitCertificate,
  CommitCertificateSchema,
  txTreeOf,
  verifyCommitCertificate,
} from './block.ts';
import { canonicalBytes } from './canonical-json.ts';
import { fromHex, HASH_BYTES, HASH_HEX_PATTERN, toHex } from './hash.ts';
import { inclusionProof, MERKLE_PROOF_LENGTH_MAX, type MerkleTree, verifyInclusion } from './merkle.ts';
import type { PublicKeyInput } from './signing.ts';
import {
  type SignedTransaction,
  SignedTransactionSchema,
  txHash,
  txLeafHash,
  verifyTransaction,
} from './transaction.ts';
import {
  type ResolvedValidatorSet,
  resolveValidatorSet,
  type ValidatorSet,
  ValidatorSetSchema,
  validatorSetHash,
} from './validator-set.ts';
import { type VerificationFailure, verificationFailure } from './verification.ts';

/** The receipt format version this code writes and reads. */
export const RECEIPT_VERSION = 1;

/** The most validator-set changes one receipt (or one chain check) may walk. */
export const VALIDATOR_SET_CHAIN_MAX = 1_024;

const ProofSchema = z
  .array(z.string().regex(HASH_HEX_PATTERN, 'a proof element is 64 lowercase hex characters'))
  .max(MERKLE_PROOF_LENGTH_MAX);

/** Zod schema of one validator-set change: a header certified by the current set naming the next set. */
export const ValidatorSetChangeSchema = z.strictObject({
  header: BlockHeaderSchema,
  certificate: CommitCertificateSchema,
  nextValidatorSet: ValidatorSetSchema,
});

/** One link of a validator-set chain. */
export type ValidatorSetChange = z.infer<typeof ValidatorSetChangeSchema>;

/** Zod schema of the entry part of an entry receipt: the entry, its index in the batch and its proof. */
export const ReceiptEntrySchema = z.strictObject({
  value: z.unknown().refine((v) => {
    try {
      canonicalBytes(v);
      return true;
    } catch {
      return false;
    }
  }, 'the entry is not canonical JSON'),
  index: z
    .number()
    .int()
    .min(0)
    .max(BATCH_ENTRIES_MAX - 1),
  proof: ProofSchema,
});

/** Zod schema of a receipt (format version 1). */
export const ReceiptSchema = z.strictObject({
  version: z.literal(RECEIPT_VERSION),
  tx: SignedTransactionSchema,
  entry: ReceiptEntrySchema.optional(),
  txProof: z.strictObject({
    index: z
      .number()
      .int()
      .min(0)
      .max(BLOCK_TXS_MAX - 1),
    proof: ProofSchema,
  }),
  header: BlockHeaderSchema,
  certificate: CommitCertificateSchema,
  validatorSet: ValidatorSetSchema,
  validatorSetChain: z.array(ValidatorSetChangeSchema).max(VALIDATOR_SET_CHAIN_MAX),
});

/** The entry part of an entry receipt. */
export interface ReceiptEntry {
  value: unknown;
  index: number;
  proof: string[];
}

/** A self-contained receipt for a transaction, or for one entry of a transaction's batch. */
export interface Receipt {
  version: typeof RECEIPT_VERSION;
  tx: SignedTransaction;
  entry?: ReceiptEntry;
  txProof: { index: number; proof: string[] };
  header: BlockHeader;
  certificate: CommitCertificate;
  validatorSet: ValidatorSet;
  validatorSetChain: ValidatorSetChange[];
}

/** Options of {@link buildReceipt}. */
export interface BuildReceiptOptions {
  /** The block's transactions in block order. */
  txs: readonly SignedTransaction[];
  txIndex: number;
  header: BlockHeader;
  certificate: CommitCertificate;
  /** The set that committed the block. */
  validatorSet: ValidatorSet;
  /** Changes from an older set to `validatorSet`, oldest first. */
  validatorSetChain?: readonly ValidatorSetChange[];
  /** The block's tree from {@link txTreeOf}, to reuse across many receipts of one block. */
  txTree?: MerkleTree;
  /** For an entry receipt: the transaction's batch and the entry's index in it. */
  entry?: { batch: Batch; index: number };
}

/** Assembles a receipt from a committed block; MER_LEDGER_INDEX_OUT_OF_RANGE if the index is not in the block. */
export function buildReceipt(opts: BuildReceiptOptions): Receipt {
  const tree = opts.txTree ?? txTreeOf(opts.txs);
  assert.equal(toHex(tree.root), opts.header.txRoot, 'the transactions are not the ones the header commits to');
  assert.equal(tree.size, opts.header.txCount, 'the header counts another number of transactions');
  const proof = inclusionProof(tree, opts.txIndex).map(toHex);
  const tx = opts.txs[opts.txIndex] as SignedTransaction;
  const receipt: Receipt = {
    version: RECEIPT_VERSION,
    tx,
    txProof: { index: opts.txIndex, proof },
    header: opts.header,
    certificate: opts.certificate,
    validatorSet: opts.validatorSet,
    validatorSetChain: [...(opts.validatorSetChain ?? [])],
  };
  if (opts.entry !== undefined) {
    const committed = batchCommitmentOf(tx.body.payload);
    assert.deepEqual(committed, opts.entry.batch.commitment, 'the transaction does not commit to this batch');
    const { index, proof: entryPath } = entryProof(opts.entry.batch, opts.entry.index);
    receipt.entry = { value: opts.entry.batch.entries[index], index, proof: entryPath };
  }
  return receipt;
}

/** A validator-set chain that checked out: the set it ends at and the first height that set certifies. */
export interface ValidatorSetChainVerified {
  readonly ok: true;
  readonly validatorSet: ValidatorSet;
  readonly validatorSetHash: string;
  /** The first height the final set certifies (0 for an empty chain: the trusted set's own start is not known). */
  readonly activeFromHeight: number;
}

/** What {@link verifyValidatorSetChain} returns; a failure names the link (0-based) that failed. */
export type ValidatorSetChainVerification =
  | ValidatorSetChainVerified
  | (VerificationFailure & { readonly link: number });

/**
 * Follows validator-set changes from `trusted`: link i must be a header that names the current set, is committed
 * by it (> 2/3, purpose commit), lies above the previous link and whose `nextValidatorSetHash` is the hash of
 * `nextValidatorSet` on the same chain; that set becomes current from the following height.
 */
export function verifyValidatorSetChain(
  trusted: ValidatorSet | ResolvedValidatorSet,
  chain: readonly ValidatorSetChange[],
): ValidatorSetChainVerification {
  let current = resolveValidatorSet(trusted);
  if (chain.length > VALIDATOR_SET_CHAIN_MAX) {
    return { ...chainFailure(`the chain has ${chain.length} links; at most ${VALIDATOR_SET_CHAIN_MAX}`), link: 0 };
  }
  let activeFromHeight = 0;
  for (const [link, change] of chain.entries()) {
    const fail = (f: VerificationFailure): ValidatorSetChainVerification => ({ ...f, link });
    const parsed = ValidatorSetChangeSchema.safeParse(change);
    if (!parsed.success)
      return fail(verificationFailure('MER_LEDGER_BAD_VALIDATOR_SET_CHAIN', `link ${link} is malformed`));
    const { header, certificate, nextValidatorSet } = change;
    if (header.validatorSetHash !== current.hash) {
      const code = link === 0 ? 'MER_LEDGER_UNTRUSTED_VALIDATOR_SET' : 'MER_LEDGER_VALIDATOR_SET_MISMATCH';
      return fail(
        verificationFailure(code, `link ${link} is certified by set ${header.validatorSetHash}, not ${current.hash}`),
      );
    }
    if (header.height < activeFromHeight) {
      return fail(chainFailure(`link ${link} is at height ${header.height}, below ${activeFromHeight}`));
    }
    const cert = verifyCommitCertificate(header, certificate, current);
    if (!cert.ok) return fail(verificationFailure(cert.code, `link ${link}: ${cert.message}`));
    const nextHash = validatorSetHash(nextValidatorSet);
    if (nextHash !== header.nextValidatorSetHash) {
      return fail(chainFailure(`link ${link} names next set ${header.nextValidatorSetHash}, but carries ${nextHash}`));
    }
    if (nextValidatorSet.chainId !== current.set.chainId) {
      return fail(
        verificationFailure(
          'MER_LEDGER_WRONG_CHAIN',
          `link ${link} hands over to chain ${nextValidatorSet.chainId}, not ${current.set.chainId}`,
        ),
      );
    }
    current = resolveValidatorSet(nextValidatorSet);
    activeFromHeight = header.height + 1;
  }
  return { ok: true, validatorSet: current.set, validatorSetHash: current.hash, activeFromHeight };
}

function chainFailure(message: string): VerificationFailure {
  return verificationFailure('MER_LEDGER_BAD_VALIDATOR_SET_CHAIN', message);
}

/** The checks of {@link verifyReceipt}, in the order they run. */
export const RECEIPT_CHECKS = [
  'schema',
  'entry-proof',
  'tx-proof',
  'validator-set',
  'chain-id',
  'header-validator-set',
  'commit-certificate',
  'tx-signature',
] as const;

/** One of {@link RECEIPT_CHECKS}. */
export type ReceiptCheck = (typeof RECEIPT_CHECKS)[number];

/** A receipt that verified: what it proves. */
export interface ReceiptVerified {
  readonly ok: true;
  readonly height: number;
  readonly headerHash: string;
  readonly txHash: string;
  readonly txIndex: number;
  /** Present for an entry receipt: the entry's index in its batch and the batch it belongs to. */
  readonly entry?: { readonly index: number; readonly leafHash: string; readonly batch: BatchCommitment };
  readonly validatorSetHash: string;
  readonly signers: readonly string[];
  /** True iff the transaction's own signature was checked (institution keys were given). */
  readonly txSignatureChecked: boolean;
}

/** A receipt that failed: the first failing check and its error code. */
export type ReceiptFailure = VerificationFailure & { readonly check: ReceiptCheck };

/** What {@link verifyReceipt} returns. */
export type ReceiptVerification = ReceiptVerified | ReceiptFailure;

/** Options of {@link verifyReceipt}. */
export interface VerifyReceiptOptions {
  /** Institutions' signing keys; when given, the transaction's own signature is checked too. */
  institutionKeys?: Readonly<Record<string, PublicKeyInput>>;
}

function fail(check: ReceiptCheck, f: VerificationFailure): ReceiptFailure {
  return { ok: false, code: f.code, message: f.message, check };
}

function failWith(check: ReceiptCheck, code: VerificationFailure['code'], message: string): ReceiptFailure {
  return fail(check, verificationFailure(code, message));
}

function hashes(hexes: readonly string[]): Buffer[] {
  return hexes.map((h) => fromHex(h, HASH_BYTES) ?? Buffer.alloc(0));
}

/**
 * Verifies a receipt offline against trusted validator sets (one, or several the verifier knows). Checks, in
 * order: schema, entry-in-batch proof, tx-in-block proof, that the certifying set is trusted or reached from a
 * trusted set by the receipt's chain, chain id, that the header names that set, the commit certificate, and
 * (only with `institutionKeys`) the transaction's own signature. Returns the first failing check; throws
 * MER_LEDGER_MALFORMED_VALIDATOR_SET only if a trusted set itself (the caller's configuration) is malformed.
 */
export function verifyReceipt(
  input: unknown,
  trusted: ValidatorSet | readonly ValidatorSet[],
  opts: VerifyReceiptOptions = {},
): ReceiptVerification {
  const anchors = (Array.isArray(trusted) ? trusted : [trusted]).map((s: ValidatorSet) => resolveValidatorSet(s));
  const parsed = ReceiptSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') ?? '';
    const message = `the receipt is not valid at ${path || 'top level'}: ${issue?.message ?? 'invalid'}`;
    return failWith('schema', 'MER_LEDGER_MALFORMED_RECEIPT', message);
  }
  const receipt = input as Receipt;
  const { tx, header } = receipt;

  let entryResult: ReceiptVerified['entry'];
  if (receipt.entry !== undefined) {
    const batch = batchCommitmentOf(tx.body.payload);
    if (batch === null) {
      return failWith('entry-proof', 'MER_LEDGER_BAD_PROOF', 'the transaction commits to no batch (payload.batch)');
    }
    const leaf = entryLeafHash(receipt.entry.value);
    const root = fromHex(batch.root, HASH_BYTES) ?? Buffer.alloc(0);
    const { index, proof } = receipt.entry;
    if (!verifyInclusion({ leafHash: leaf, index, treeSize: batch.size, proof: hashes(proof), root })) {
      return failWith('entry-proof', 'MER_LEDGER_BAD_PROOF', `entry ${index} is not proven in batch ${batch.root}`);
    }
    entryResult = { index, leafHash: toHex(leaf), batch };
  }

  const id = txHash(tx);
  const { index: txIndex, proof: txPath } = receipt.txProof;
  const txRoot = fromHex(header.txRoot, HASH_BYTES) ?? Buffer.alloc(0);
  const leaf = txLeafHash(tx);
  if (
    !verifyInclusion({ leafHash: leaf, index: txIndex, treeSize: header.txCount, proof: hashes(txPath), root: txRoot })
  ) {
    return failWith(
      'tx-proof',
      'MER_LEDGER_BAD_PROOF',
      `transaction ${id} is not proven at index ${txIndex} of block ${header.height}`,
    );
  }

  let signer: ResolvedValidatorSet;
  const receiptSetHash = validatorSetHash(receipt.validatorSet);
  if (receipt.validatorSetChain.length === 0) {
    const anchor = anchors.find((a) => a.hash === receiptSetHash);
    if (anchor === undefined) {
      return failWith(
        'validator-set',
        'MER_LEDGER_UNTRUSTED_VALIDATOR_SET',
        `validator set ${receiptSetHash} is not trusted`,
      );
    }
    signer = anchor;
  } else {
    const first = receipt.validatorSetChain[0] as ValidatorSetChange;
    const anchor = anchors.find((a) => a.hash === first.header.validatorSetHash);
    if (anchor === undefined) {
      const message = `the validator-set chain starts at set ${first.header.validatorSetHash}, which is not trusted`;
      return failWith('validator-set', 'MER_LEDGER_UNTRUSTED_VALIDATOR_SET', message);
    }
    const chain = verifyValidatorSetChain(anchor, receipt.validatorSetChain);
    if (!chain.ok) return fail('validator-set', chain);
    if (chain.validatorSetHash !== receiptSetHash) {
      const message = `the chain ends at set ${chain.validatorSetHash}, but the receipt carries set ${receiptSetHash}`;
      return failWith('validator-set', 'MER_LEDGER_VALIDATOR_SET_MISMATCH', message);
    }
    if (header.height < chain.activeFromHeight) {
      const message = `block ${header.height} precedes height ${chain.activeFromHeight}, where the chain's last set starts`;
      return failWith('validator-set', 'MER_LEDGER_BAD_VALIDATOR_SET_CHAIN', message);
    }
    signer = resolveValidatorSet(chain.validatorSet);
  }

  if (tx.body.chainId !== signer.set.chainId) {
    const message = `the transaction is for chain ${tx.body.chainId}, the validators run chain ${signer.set.chainId}`;
    return failWith('chain-id', 'MER_LEDGER_WRONG_CHAIN', message);
  }

  if (header.validatorSetHash !== signer.hash) {
    const message = `block ${header.height} names validator set ${header.validatorSetHash}, not ${signer.hash}`;
    return failWith('header-validator-set', 'MER_LEDGER_VALIDATOR_SET_MISMATCH', message);
  }

  const cert = verifyCommitCertificate(header, receipt.certificate, signer);
  if (!cert.ok) return fail('commit-certificate', cert);

  let txSignatureChecked = false;
  if (opts.institutionKeys !== undefined) {
    const key = Object.hasOwn(opts.institutionKeys, tx.body.institution)
      ? opts.institutionKeys[tx.body.institution]
      : undefined;
    if (key === undefined) {
      return failWith(
        'tx-signature',
        'MER_LEDGER_UNKNOWN_SIGNER',
        `no signing key is known for ${tx.body.institution}`,
      );
    }
    if (!verifyTransaction(tx, key)) {
      return failWith(
        'tx-signature',
        'MER_LEDGER_BAD_SIGNATURE',
        `the signature of ${tx.body.institution} on ${id} does not verify`,
      );
    }
    txSignatureChecked = true;
  }

  return {
    ok: true,
    height: header.height,
    headerHash: blockHeaderHash(header),
    txHash: id,
    txIndex,
    ...(entryResult === undefined ? {} : { entry: entryResult }),
    validatorSetHash: signer.hash,
    signers: cert.signers,
    txSignatureChecked,
  };
}
