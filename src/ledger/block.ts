/**
 * Block headers and commit certificates. A header binds the height, the previous header's hash, the Merkle root
 * and count of the block's transactions, the state root after applying them, the proposer and its timestamp
 * (ms, injected, checked by consensus against each validator's clock), and the hashes of the validator set that
 * certifies this block and of the one that certifies the next (SPEC.md I11). A commit certificate is the set of
 * `commit`-purpose signatures of distinct validators over one commit vote `{ digest: header hash, height, view }`
 * (the PBFT view the block was decided in); it is valid only with strictly more than two thirds of the set
 * (SPEC.md I12).
 */
import { z } from 'zod';
import { BoundedLru } from './bounded-lru.ts';
import { canonicalBytes } from './canonical-json.ts';
import { domainHash, HASH_HEX_PATTERN, toHex } from './hash.ts';
import { buildMerkleTree, type MerkleTree } from './merkle.ts';
import { type PrivateKeyInput, SIGNATURE_HEX_PATTERN, signForPurpose, verifyForPurpose } from './signing.ts';
import { type SignedTransaction, txLeafHash } from './transaction.ts';
import {
  InstitutionNameSchema,
  type ResolvedValidatorSet,
  resolveValidatorSet,
  VALIDATORS_MAX,
  type ValidatorSet,
} from './validator-set.ts';
import { type VerificationFailure, verificationFailure } from './verification.ts';

/** The most transactions one block may hold. */
export const BLOCK_TXS_MAX = 65_536;

const HashHexSchema = z.string().regex(HASH_HEX_PATTERN, 'a hash is 64 lowercase hex characters');
const SafeCountSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Zod schema of a block header. */
export const BlockHeaderSchema = z.strictObject({
  height: SafeCountSchema,
  prevHash: HashHexSchema,
  txRoot: HashHexSchema,
  txCount: z.number().int().min(0).max(BLOCK_TXS_MAX),
  stateRoot: HashHexSchema,
  proposer: InstitutionNameSchema,
  proposerTime: SafeCountSchema,
  validatorSetHash: HashHexSchema,
  nextValidatorSetHash: HashHexSchema,
});

/** A block header; `proposerTime` is milliseconds since the Unix epoch as the proposer's clock read it. */
export type BlockHeader = z.infer<typeof BlockHeaderSchema>;

/** Zod schema of one validator's commit signature. */
export const CommitSignatureSchema = z.strictObject({
  signer: InstitutionNameSchema,
  signature: z.string().regex(SIGNATURE_HEX_PATTERN, 'a signature is 128 lowercase hex characters (Ed25519)'),
});

/** One validator's `commit` signature over a commit vote. */
export type CommitSignature = z.infer<typeof CommitSignatureSchema>;

/** Zod schema of a commit certificate. */
export const CommitCertificateSchema = z.strictObject({
  headerHash: HashHexSchema,
  view: SafeCountSchema,
  signatures: z.array(CommitSignatureSchema).min(1).max(VALIDATORS_MAX),
});

/** The signatures that commit a header: its hash, the view it was decided in, one signature per validator. */
export type CommitCertificate = z.infer<typeof CommitCertificateSchema>;

/** The domain-separated hash (hex) of a header: what commit signatures sign and the next header's prevHash. */
export function blockHeaderHash(header: BlockHeader): string {
  return toHex(domainHash('block-header', header));
}

/** The Merkle tree of a block's transactions, leaf i = H(0x00 || txHash(txs[i])). */
export function txTreeOf(txs: readonly SignedTransaction[]): MerkleTree {
  return buildMerkleTree(txs.map(txLeafHash));
}

/** The `txRoot` (hex) and `txCount` a header must carry for these transactions, in block order. */
export function txRootOf(txs: readonly SignedTransaction[]): { txRoot: string; txCount: number } {
  return { txRoot: toHex(txTreeOf(txs).root), txCount: txs.length };
}

/** What a commit signature signs: the header hash as `digest`, the height, and the view of the decision. */
export interface CommitVote {
  readonly height: number;
  readonly view: number;
  readonly digest: string;
}

/** The commit vote for `header` decided in `view`. */
export function commitVote(header: BlockHeader, view: number): CommitVote {
  return { height: header.height, view, digest: blockHeaderHash(header) };
}

// Exactly these three members are signed, whatever else the caller's vote object carries.
function commitVoteBytes(vote: CommitVote): Buffer {
  return canonicalBytes({ height: vote.height, view: vote.view, digest: vote.digest });
}

/** A validator's `commit`-purpose signature over the canonical JSON of a commit vote. */
export function signCommitVote(opts: {
  vote: CommitVote;
  signer: string;
  privateKey: PrivateKeyInput;
}): CommitSignature {
  const signature = signForPurpose({
    purpose: 'commit',
    payload: commitVoteBytes(opts.vote),
    privateKey: opts.privateKey,
  });
  return { signer: opts.signer, signature };
}

/** A validator's commit signature for `header` decided in `view`. */
export function signCommit(opts: {
  header: BlockHeader;
  view: number;
  signer: string;
  privateKey: PrivateKeyInput;
}): CommitSignature {
  return signCommitVote({ vote: commitVote(opts.header, opts.view), signer: opts.signer, privateKey: opts.privateKey });
}

/** A certificate from signatures over `header` in `view`, ordered by signer name (its canonical order). */
export function makeCommitCertificate(
  header: BlockHeader,
  view: number,
  signatures: readonly CommitSignature[],
): CommitCertificate {
  const sorted = [...signatures].sort((a, b) => (a.signer < b.signer ? -1 : a.signer > b.signer ? 1 : 0));
  return { headerHash: blockHeaderHash(header), view, signatures: sorted };
}

/** A verified certificate: the header hash and the validators whose signatures count. */
export interface CertificateVerified {
  readonly ok: true;
  readonly headerHash: string;
  readonly signers: readonly string[];
}

/** What {@link verifyCommitCertificate} returns. */
export type CertificateVerification = CertificateVerified | VerificationFailure;

function firstIssue(error: z.ZodError, what: string): string {
  const issue = error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  return `${what} is not valid at ${path || 'top level'}: ${issue?.message ?? 'invalid'}`;
}

/** Most certificates remembered as verified by {@link verifyCommitCertificate}. */
const VERIFIED_CERTIFICATES_MAX = 1_024;
/** Certificates whose signatures verified, keyed by set, header hash, view and every signer's signature. */
const verifiedCertificates = new BoundedLru<string, true>(VERIFIED_CERTIFICATES_MAX);

/**
 * Checks that `cert` commits `header` under `validatorSet`: the header names this set, the certificate is for
 * this header's hash, every signer is a distinct member, there are at least ⌊2n/3⌋ + 1 of them and every
 * signature verifies under the `commit` purpose over the vote `{ digest, height, view }`. Cheap checks run
 * first; the first failure is returned. The signatures of a certificate already verified (the same set, header,
 * view and signatures: receipts of one block, a block read after its receipts) are not checked again.
 */
export function verifyCommitCertificate(
  header: BlockHeader,
  cert: CommitCertificate,
  validatorSet: ValidatorSet | ResolvedValidatorSet,
): CertificateVerification {
  const h = BlockHeaderSchema.safeParse(header);
  if (!h.success) return verificationFailure('MER_LEDGER_MALFORMED_BLOCK', firstIssue(h.error, 'block header'));
  const c = CommitCertificateSchema.safeParse(cert);
  if (!c.success) return verificationFailure('MER_LEDGER_MALFORMED_BLOCK', firstIssue(c.error, 'commit certificate'));
  let set: ResolvedValidatorSet;
  try {
    set = resolveValidatorSet(validatorSet);
  } catch (e) {
    return verificationFailure('MER_LEDGER_MALFORMED_VALIDATOR_SET', (e as Error).message);
  }
  if (header.validatorSetHash !== set.hash) {
    return verificationFailure(
      'MER_LEDGER_VALIDATOR_SET_MISMATCH',
      `the header at height ${header.height} names validator set ${header.validatorSetHash}, not ${set.hash}`,
    );
  }
  const headerHash = blockHeaderHash(header);
  if (cert.headerHash !== headerHash) {
    return verificationFailure(
      'MER_LEDGER_BAD_SIGNATURE',
      `the certificate signs header ${cert.headerHash}, not header ${headerHash} at height ${header.height}`,
    );
  }
  const seen = new Set<string>();
  for (const s of cert.signatures) {
    if (seen.has(s.signer)) {
      return verificationFailure(
        'MER_LEDGER_DUPLICATE_SIGNATURE',
        `validator ${s.signer} signed the certificate twice`,
      );
    }
    seen.add(s.signer);
    if (!set.keys.has(s.signer)) {
      return verificationFailure('MER_LEDGER_UNKNOWN_SIGNER', `${s.signer} is not a validator of this set`);
    }
  }
  if (seen.size < set.quorum) {
    return verificationFailure(
      'MER_LEDGER_INSUFFICIENT_SIGNATURES',
      `${seen.size} of ${set.set.validators.length} validators signed; a commit needs ${set.quorum}`,
    );
  }
  const memo = `${set.hash}|${headerHash}|${cert.view}|${cert.signatures.map((s) => `${s.signer}:${s.signature}`).join(',')}`;
  if (verifiedCertificates.get(memo)) return { ok: true, headerHash, signers: [...seen] };
  const payload = commitVoteBytes({ height: header.height, view: cert.view, digest: headerHash });
  for (const s of cert.signatures) {
    const publicKey = set.keys.get(s.signer);
    if (
      publicKey === undefined ||
      !verifyForPurpose({ purpose: 'commit', payload, signature: s.signature, publicKey })
    ) {
      return verificationFailure(
        'MER_LEDGER_BAD_SIGNATURE',
        `the commit signature of ${s.signer} does not verify for header ${headerHash}`,
      );
    }
  }
  verifiedCertificates.set(memo, true);
  return { ok: true, headerHash, signers: [...seen] };
}
