/**
 * Receipt verification with WebCrypto only, for the portal's "verify" button (the browser has no node:crypto).
 * It follows {@link ../receipt.ts}'s `verifyReceipt` check for check and in the same order, without the optional
 * transaction-signature check (the browser trusts validator keys, not institution keys):
 *
 *   schema → entry-proof → tx-proof → validator-set (+ chain) → chain-id → header-validator-set → commit-certificate
 *
 * Hashing is SHA-256 through `crypto.subtle.digest` (RFC 9162 leaves 0x00, nodes 0x01; ledger objects under the
 * `meridian/v1/hash/<domain>\n` prefixes of hash.ts) and signatures are Ed25519 through `crypto.subtle.verify`
 * (Chromium ≥ 137, Firefox ≥ 129, Safari ≥ 17, Node ≥ 20). The Zod schema mirrors receipt.ts's; a test runs both
 * verifiers over every tampered field of real receipts and expects the same verdict.
 */
import { z } from 'zod';
import { IDENTITY_NAME_PATTERN } from '../ca/identity-name.ts';
import type { ErrorCode } from '../errors/registry.ts';
import { canonicalize } from './canonical-json.ts';

/** The receipt format version this verifier reads (receipt.ts RECEIPT_VERSION). */
export const WEB_RECEIPT_VERSION = 1;

const HASH_HEX = /^[0-9a-f]{64}$/;
const SIGNATURE_HEX = /^[0-9a-f]{128}$/;
const NONCE_HEX = /^[0-9a-f]{32}$/;
const TX_KIND = /^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*$/;
const USER_ROLE = /^[a-z][a-z0-9-]{0,31}$/;
const USER_ID = /^[^\p{Cc}]{1,128}$/u;
const PROOF_LENGTH_MAX = 64;
const BLOCK_TXS_MAX = 65_536;
const BATCH_ENTRIES_MAX = 65_536;
const VALIDATORS_MAX = 128;
const CHAIN_MAX = 1_024;
const TX_BODY_BYTES_MAX = 65_536;

const Hash = z.string().regex(HASH_HEX);
const Name = z.string().regex(IDENTITY_NAME_PATTERN);
const Count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const Proof = z.array(Hash).max(PROOF_LENGTH_MAX);

function isCanonical(v: unknown): boolean {
  try {
    canonicalize(v);
    return true;
  } catch {
    return false;
  }
}

const Header = z.strictObject({
  height: Count,
  prevHash: Hash,
  txRoot: Hash,
  txCount: z.number().int().min(0).max(BLOCK_TXS_MAX),
  stateRoot: Hash,
  proposer: Name,
  proposerTime: Count,
  validatorSetHash: Hash,
  nextValidatorSetHash: Hash,
});

const Certificate = z.strictObject({
  headerHash: Hash,
  view: Count,
  signatures: z
    .array(z.strictObject({ signer: Name, signature: z.string().regex(SIGNATURE_HEX) }))
    .min(1)
    .max(VALIDATORS_MAX),
});

/** Zod schema of a validator set as receipts carry it (sorted by name, names and keys unique). */
export const WebValidatorSetSchema = z
  .strictObject({
    chainId: Name,
    validators: z
      .array(z.strictObject({ name: Name, publicKey: Hash }))
      .min(1)
      .max(VALIDATORS_MAX),
  })
  .refine(
    (s) =>
      s.validators.every((v, i) => i === 0 || (s.validators[i - 1] as { name: string }).name < v.name) &&
      new Set(s.validators.map((v) => v.publicKey)).size === s.validators.length,
    'validators must be sorted by name, with no name or key twice',
  );

/** A validator set: chain id and members `{ name, publicKey (raw Ed25519, hex) }` in name order. */
export type WebValidatorSet = z.infer<typeof WebValidatorSetSchema>;

const TxBody = z
  .strictObject({
    chainId: Name,
    kind: z.string().max(64).regex(TX_KIND),
    institution: Name,
    nonce: z.string().regex(NONCE_HEX),
    payload: z.record(z.string(), z.unknown()),
    user: z.strictObject({ id: z.string().regex(USER_ID), role: z.string().regex(USER_ROLE) }).optional(),
  })
  .refine(
    (b) => isCanonical(b) && new TextEncoder().encode(canonicalize(b)).length <= TX_BODY_BYTES_MAX,
    'the body is not canonical JSON within the size limit',
  );

const Change = z.strictObject({ header: Header, certificate: Certificate, nextValidatorSet: WebValidatorSetSchema });

const ReceiptShape = z.strictObject({
  version: z.literal(WEB_RECEIPT_VERSION),
  tx: z.strictObject({ body: TxBody, signature: z.string().regex(SIGNATURE_HEX) }),
  entry: z
    .strictObject({
      value: z.unknown().refine(isCanonical, 'the entry is not canonical JSON'),
      index: z
        .number()
        .int()
        .min(0)
        .max(BATCH_ENTRIES_MAX - 1),
      proof: Proof,
    })
    .optional(),
  txProof: z.strictObject({
    index: z
      .number()
      .int()
      .min(0)
      .max(BLOCK_TXS_MAX - 1),
    proof: Proof,
  }),
  header: Header,
  certificate: Certificate,
  validatorSet: WebValidatorSetSchema,
  validatorSetChain: z.array(Change).max(CHAIN_MAX),
});

type WebReceipt = z.infer<typeof ReceiptShape>;
type WebHeader = z.infer<typeof Header>;
type WebCertificate = z.infer<typeof Certificate>;

/** The checks of {@link verifyReceiptWeb}, in the order they run (receipt.ts RECEIPT_CHECKS minus tx-signature). */
export const WEB_RECEIPT_CHECKS = [
  'schema',
  'entry-proof',
  'tx-proof',
  'validator-set',
  'chain-id',
  'header-validator-set',
  'commit-certificate',
] as const;

/** One of {@link WEB_RECEIPT_CHECKS}. */
export type WebReceiptCheck = (typeof WEB_RECEIPT_CHECKS)[number];

/** A receipt that verified in the browser: what it proves. */
export interface WebReceiptVerified {
  readonly ok: true;
  readonly height: number;
  readonly headerHash: string;
  readonly txHash: string;
  readonly txIndex: number;
  /** For an entry receipt: the entry's index and leaf hash in its batch. */
  readonly entry?: { readonly index: number; readonly leafHash: string };
  readonly validatorSetHash: string;
  readonly signers: readonly string[];
}

/** A receipt that failed: the first failing check, its registry code and a message naming the field. */
export interface WebReceiptFailure {
  readonly ok: false;
  readonly check: WebReceiptCheck;
  readonly code: ErrorCode;
  readonly message: string;
}

/** What {@link verifyReceiptWeb} resolves with. */
export type WebReceiptVerification = WebReceiptVerified | WebReceiptFailure;

/** The hashing and signature primitives used (WebCrypto's SubtleCrypto; injectable for tests). */
export type Subtle = Pick<SubtleCrypto, 'digest' | 'importKey' | 'verify'>;

const utf8 = new TextEncoder();

function hexToBytes(hex: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

function concat(...parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Hashing and signature checks over one SubtleCrypto. */
class Crypto {
  readonly #subtle: Subtle;
  readonly #keys = new Map<string, Promise<CryptoKey | null>>();

  constructor(subtle: Subtle) {
    this.#subtle = subtle;
  }

  async sha256(...parts: readonly Uint8Array[]): Promise<Uint8Array> {
    return new Uint8Array(await this.#subtle.digest('SHA-256', concat(...parts)));
  }

  /** SHA-256 of `meridian/v1/hash/<domain>\n` || canonical JSON of `value` (hash.ts domainHash). */
  domainHash(domain: 'tx' | 'block-header' | 'validator-set', value: unknown): Promise<Uint8Array> {
    return this.sha256(utf8.encode(`meridian/v1/hash/${domain}\n${canonicalize(value)}`));
  }

  leaf(data: Uint8Array): Promise<Uint8Array> {
    return this.sha256(Uint8Array.of(0), data);
  }

  node(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
    return this.sha256(Uint8Array.of(1), left, right);
  }

  /** RFC 9162 §2.1.3.2 (merkle.ts verifyInclusion). */
  async verifyInclusion(opts: {
    leafHash: Uint8Array;
    index: number;
    treeSize: number;
    proof: readonly string[];
    root: string;
  }): Promise<boolean> {
    const { index, treeSize } = opts;
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize) return false;
    let fn = index;
    let sn = treeSize - 1;
    let r = opts.leafHash;
    for (const hex of opts.proof) {
      if (sn === 0) return false;
      const p = hexToBytes(hex);
      if (fn % 2 === 1 || fn === sn) {
        r = await this.node(p, r);
        if (fn % 2 !== 1) {
          while (fn % 2 !== 1 && fn !== 0) {
            fn = Math.floor(fn / 2);
            sn = Math.floor(sn / 2);
          }
        }
      } else {
        r = await this.node(r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 && equalBytes(r, hexToBytes(opts.root));
  }

  /** Ed25519 over `meridian/v1/<purpose>\n` || payload (signing.ts verifyForPurpose); false for a bad key. */
  async verifyCommit(publicKey: string, signature: string, payload: string): Promise<boolean> {
    let key = this.#keys.get(publicKey);
    if (key === undefined) {
      key = Promise.resolve(
        this.#subtle.importKey('raw', hexToBytes(publicKey), { name: 'Ed25519' }, false, ['verify']),
      ).catch(() => null);
      this.#keys.set(publicKey, key);
    }
    const k = await key;
    if (k === null) return false;
    try {
      return await this.#subtle.verify(
        { name: 'Ed25519' },
        k,
        hexToBytes(signature),
        utf8.encode(`meridian/v1/commit\n${payload}`),
      );
    } catch {
      return false;
    }
  }
}

type Failure = { ok: false; code: ErrorCode; message: string };

function failure(code: ErrorCode, message: string): Failure {
  return { ok: false, code, message };
}

/** block.ts verifyCommitCertificate: set binding, header hash, distinct members, quorum ⌊2n/3⌋+1, signatures. */
async function verifyCertificate(
  c: Crypto,
  header: WebHeader,
  cert: WebCertificate,
  set: WebValidatorSet,
  setHash: string,
): Promise<{ ok: true; headerHash: string; signers: string[] } | Failure> {
  if (header.validatorSetHash !== setHash) {
    return failure(
      'MER_LEDGER_VALIDATOR_SET_MISMATCH',
      `the header at height ${header.height} names validator set ${header.validatorSetHash}, not ${setHash}`,
    );
  }
  const headerHash = bytesToHex(await c.domainHash('block-header', header));
  if (cert.headerHash !== headerHash) {
    return failure(
      'MER_LEDGER_BAD_SIGNATURE',
      `the certificate signs header ${cert.headerHash}, not header ${headerHash} at height ${header.height}`,
    );
  }
  const keys = new Map(set.validators.map((v) => [v.name, v.publicKey]));
  const seen = new Set<string>();
  for (const s of cert.signatures) {
    if (seen.has(s.signer)) {
      return failure('MER_LEDGER_DUPLICATE_SIGNATURE', `validator ${s.signer} signed the certificate twice`);
    }
    seen.add(s.signer);
    if (!keys.has(s.signer)) return failure('MER_LEDGER_UNKNOWN_SIGNER', `${s.signer} is not a validator of this set`);
  }
  const quorum = Math.floor((2 * set.validators.length) / 3) + 1;
  if (seen.size < quorum) {
    return failure(
      'MER_LEDGER_INSUFFICIENT_SIGNATURES',
      `${seen.size} of ${set.validators.length} validators signed; a commit needs ${quorum}`,
    );
  }
  const vote = canonicalize({ height: header.height, view: cert.view, digest: headerHash });
  for (const s of cert.signatures) {
    if (!(await c.verifyCommit(keys.get(s.signer) as string, s.signature, vote))) {
      return failure(
        'MER_LEDGER_BAD_SIGNATURE',
        `the commit signature of ${s.signer} does not verify for header ${headerHash}`,
      );
    }
  }
  return { ok: true, headerHash, signers: [...seen] };
}

/** receipt.ts verifyValidatorSetChain from a trusted set: the set the chain ends at and where it starts. */
async function followChain(
  c: Crypto,
  trusted: WebValidatorSet,
  trustedHash: string,
  chain: WebReceipt['validatorSetChain'],
): Promise<{ ok: true; set: WebValidatorSet; hash: string; activeFromHeight: number } | Failure> {
  let set = trusted;
  let hash = trustedHash;
  let activeFromHeight = 0;
  for (const [link, { header, certificate, nextValidatorSet }] of chain.entries()) {
    if (header.validatorSetHash !== hash) {
      const code = link === 0 ? 'MER_LEDGER_UNTRUSTED_VALIDATOR_SET' : 'MER_LEDGER_VALIDATOR_SET_MISMATCH';
      return failure(code, `link ${link} is certified by set ${header.validatorSetHash}, not ${hash}`);
    }
    if (header.height < activeFromHeight) {
      return failure(
        'MER_LEDGER_BAD_VALIDATOR_SET_CHAIN',
        `link ${link} is at height ${header.height}, below ${activeFromHeight}`,
      );
    }
    const cert = await verifyCertificate(c, header, certificate, set, hash);
    if (!cert.ok) return failure(cert.code, `link ${link}: ${cert.message}`);
    const nextHash = bytesToHex(await c.domainHash('validator-set', nextValidatorSet));
    if (nextHash !== header.nextValidatorSetHash) {
      return failure(
        'MER_LEDGER_BAD_VALIDATOR_SET_CHAIN',
        `link ${link} names next set ${header.nextValidatorSetHash}, but carries ${nextHash}`,
      );
    }
    if (nextValidatorSet.chainId !== set.chainId) {
      return failure(
        'MER_LEDGER_WRONG_CHAIN',
        `link ${link} hands over to chain ${nextValidatorSet.chainId}, not ${set.chainId}`,
      );
    }
    set = nextValidatorSet;
    hash = nextHash;
    activeFromHeight = header.height + 1;
  }
  return { ok: true, set, hash, activeFromHeight };
}

/** The hash (hex) of a validator set, as block headers carry it (validator-set.ts validatorSetHash). */
export async function validatorSetHashWeb(
  set: WebValidatorSet,
  subtle: Subtle = globalThis.crypto.subtle,
): Promise<string> {
  return bytesToHex(await new Crypto(subtle).domainHash('validator-set', set));
}

/**
 * Verifies a receipt in the browser against trusted validator sets (the ones the auditor holds). The same checks,
 * order and error codes as receipt.ts `verifyReceipt` without institution keys; resolves with the first failure.
 */
export async function verifyReceiptWeb(
  input: unknown,
  trusted: readonly WebValidatorSet[],
  subtle: Subtle = globalThis.crypto.subtle,
): Promise<WebReceiptVerification> {
  const c = new Crypto(subtle);
  const fail = (check: WebReceiptCheck, f: Failure): WebReceiptFailure => ({ ...f, check });
  const anchors = await Promise.all(
    trusted.map(async (set) => ({ set, hash: bytesToHex(await c.domainHash('validator-set', set)) })),
  );
  const parsed = ReceiptShape.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') ?? '';
    const message = `the receipt is not valid at ${path || 'top level'}: ${issue?.message ?? 'invalid'}`;
    return fail('schema', failure('MER_LEDGER_MALFORMED_RECEIPT', message));
  }
  // The input itself (not Zod's copy) is what gets hashed, as in receipt.ts.
  const receipt = input as WebReceipt;
  const { tx, header } = receipt;

  let entry: WebReceiptVerified['entry'];
  if (receipt.entry !== undefined) {
    const batch = (tx.body.payload as { batch?: unknown }).batch;
    const commitment = z
      .strictObject({ root: Hash, size: z.number().int().min(1).max(BATCH_ENTRIES_MAX) })
      .safeParse(batch);
    if (!commitment.success) {
      return fail(
        'entry-proof',
        failure('MER_LEDGER_BAD_PROOF', 'the transaction commits to no batch (payload.batch)'),
      );
    }
    const leaf = await c.leaf(utf8.encode(canonicalize(receipt.entry.value)));
    const { index, proof } = receipt.entry;
    const { root, size } = commitment.data;
    if (!(await c.verifyInclusion({ leafHash: leaf, index, treeSize: size, proof, root }))) {
      return fail('entry-proof', failure('MER_LEDGER_BAD_PROOF', `entry ${index} is not proven in batch ${root}`));
    }
    entry = { index, leafHash: bytesToHex(leaf) };
  }

  const txHashBytes = await c.domainHash('tx', tx);
  const txHash = bytesToHex(txHashBytes);
  const { index: txIndex, proof: txPath } = receipt.txProof;
  const included = await c.verifyInclusion({
    leafHash: await c.leaf(txHashBytes),
    index: txIndex,
    treeSize: header.txCount,
    proof: txPath,
    root: header.txRoot,
  });
  if (!included) {
    const message = `transaction ${txHash} is not proven at index ${txIndex} of block ${header.height}`;
    return fail('tx-proof', failure('MER_LEDGER_BAD_PROOF', message));
  }

  const receiptSetHash = bytesToHex(await c.domainHash('validator-set', receipt.validatorSet));
  let signer: { set: WebValidatorSet; hash: string };
  const first = receipt.validatorSetChain[0];
  if (first === undefined) {
    const anchor = anchors.find((a) => a.hash === receiptSetHash);
    if (anchor === undefined) {
      const message = `validator set ${receiptSetHash} is not trusted`;
      return fail('validator-set', failure('MER_LEDGER_UNTRUSTED_VALIDATOR_SET', message));
    }
    signer = anchor;
  } else {
    const anchor = anchors.find((a) => a.hash === first.header.validatorSetHash);
    if (anchor === undefined) {
      const message = `the validator-set chain starts at set ${first.header.validatorSetHash}, which is not trusted`;
      return fail('validator-set', failure('MER_LEDGER_UNTRUSTED_VALIDATOR_SET', message));
    }
    const chain = await followChain(c, anchor.set, anchor.hash, receipt.validatorSetChain);
    if (!chain.ok) return fail('validator-set', chain);
    if (chain.hash !== receiptSetHash) {
      const message = `the chain ends at set ${chain.hash}, but the receipt carries set ${receiptSetHash}`;
      return fail('validator-set', failure('MER_LEDGER_VALIDATOR_SET_MISMATCH', message));
    }
    if (header.height < chain.activeFromHeight) {
      const message = `block ${header.height} precedes height ${chain.activeFromHeight}, where the chain's last set starts`;
      return fail('validator-set', failure('MER_LEDGER_BAD_VALIDATOR_SET_CHAIN', message));
    }
    signer = { set: chain.set, hash: chain.hash };
  }

  if (tx.body.chainId !== signer.set.chainId) {
    const message = `the transaction is for chain ${tx.body.chainId}, the validators run chain ${signer.set.chainId}`;
    return fail('chain-id', failure('MER_LEDGER_WRONG_CHAIN', message));
  }
  if (header.validatorSetHash !== signer.hash) {
    const message = `block ${header.height} names validator set ${header.validatorSetHash}, not ${signer.hash}`;
    return fail('header-validator-set', failure('MER_LEDGER_VALIDATOR_SET_MISMATCH', message));
  }
  const cert = await verifyCertificate(c, header, receipt.certificate, signer.set, signer.hash);
  if (!cert.ok) return fail('commit-certificate', cert);

  return {
    ok: true,
    height: header.height,
    headerHash: cert.headerHash,
    txHash,
    txIndex,
    ...(entry === undefined ? {} : { entry }),
    validatorSetHash: signer.hash,
    signers: cert.signers,
  };
}
