/**
 * The signed transaction envelope `{ body, signature }`. The body names the ledger (chain id), the kind of
 * action, the submitting institution, a nonce and a JSON payload, and, for a user's action, the user's id and
 * role; the signature is Ed25519 by the institution's CA-issued signing key over the body's RFC 8785 bytes
 * under the `tx` purpose (SPEC.md I7–I10). Replay protection belongs to the contracts, keyed by
 * {@link txDedupKey}.
 */
import { z } from 'zod';
import { MeridianError } from '../errors/registry.ts';
import { canonicalBytes, type JsonObject } from './canonical-json.ts';
import { domainHash, toHex } from './hash.ts';
import { leafHash } from './merkle.ts';
import {
  type PrivateKeyInput,
  type PublicKeyInput,
  SIGNATURE_HEX_PATTERN,
  type SigningPurpose,
  signForPurpose,
  verifyForPurpose,
} from './signing.ts';
import { ChainIdSchema, InstitutionNameSchema } from './validator-set.ts';

/** The largest canonical body, in bytes: the ledger holds hashes and index data, never clinical content. */
export const TX_BODY_BYTES_MAX = 65_536;

/** A nonce: 16 bytes in lowercase hex, fresh per transaction, so identical actions stay distinct. */
export const TX_NONCE_PATTERN = /^[0-9a-f]{32}$/;

/** A transaction kind: lowercase words joined by dots or dashes, e.g. `notarize.batch`, at most 64 characters. */
export const TX_KIND_PATTERN = /^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*$/;

/** A user's role inside a signed body: a lowercase word such as `researcher` or `ethics`. */
export const USER_ROLE_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/** The signing purpose of every transaction signature. */
export const TX_PURPOSE: SigningPurpose = 'tx';

const USER_ID_PATTERN = /^[^\p{Cc}]{1,128}$/u;

/** Zod schema of the user acting through a transaction. */
export const TxUserSchema = z.strictObject({
  id: z.string().regex(USER_ID_PATTERN, 'a user id is 1–128 characters without control characters'),
  role: z.string().regex(USER_ROLE_PATTERN, 'a user role is a lowercase word of at most 32 characters'),
});

const bodyShape = z.strictObject({
  chainId: ChainIdSchema,
  kind: z.string().max(64, 'a kind is at most 64 characters').regex(TX_KIND_PATTERN, 'a kind is like notarize.batch'),
  institution: InstitutionNameSchema,
  nonce: z.string().regex(TX_NONCE_PATTERN, 'a nonce is 32 lowercase hex characters (16 bytes)'),
  payload: z.record(z.string(), z.unknown()),
  user: TxUserSchema.optional(),
});

const SIZE_MESSAGE = `the canonical body exceeds ${TX_BODY_BYTES_MAX} bytes`;

/** Zod schema of a transaction body: strict keys, I-JSON payload, canonical size at most {@link TX_BODY_BYTES_MAX}. */
export const TxBodySchema = bodyShape.superRefine((body, ctx) => {
  let bytes: number;
  try {
    bytes = canonicalBytes(body).length;
  } catch (e) {
    const reason = e instanceof MeridianError ? String(e.details?.reason ?? e.message) : 'not JSON';
    ctx.addIssue({ code: 'custom', path: ['payload'], message: `the payload is not canonical JSON: ${reason}` });
    return;
  }
  if (bytes > TX_BODY_BYTES_MAX) ctx.addIssue({ code: 'custom', path: [], message: SIZE_MESSAGE, params: { bytes } });
});

/** Zod schema of a signed transaction envelope. */
export const SignedTransactionSchema = z.strictObject({
  body: TxBodySchema,
  signature: z.string().regex(SIGNATURE_HEX_PATTERN, 'a signature is 128 lowercase hex characters (Ed25519)'),
});

/** The user acting through a transaction. */
export interface TxUser {
  id: string;
  role: string;
}

/** What an institution signs. */
export interface TxBody {
  chainId: string;
  kind: string;
  institution: string;
  nonce: string;
  payload: JsonObject;
  user?: TxUser;
}

/** A transaction body with the institution's signature. */
export interface SignedTransaction {
  body: TxBody;
  signature: string;
}

function refusal(error: z.ZodError, what: string, prefix: readonly (string | number)[]): MeridianError {
  const issue = error.issues[0];
  const path = [...prefix, ...(issue?.path ?? [])].map(String).join('.');
  const message = issue?.message ?? 'invalid';
  if (message === SIZE_MESSAGE) {
    return new MeridianError('MER_LEDGER_TX_TOO_LARGE', `${what}: ${message}`, { limitBytes: TX_BODY_BYTES_MAX });
  }
  return new MeridianError('MER_LEDGER_MALFORMED_TX', `${what} is not valid at ${path || 'top level'}: ${message}`, {
    path,
    issues: error.issues.slice(0, 10).map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  });
}

/** Checks a transaction body; MER_LEDGER_MALFORMED_TX naming the first bad field, or MER_LEDGER_TX_TOO_LARGE. */
export function parseTxBody(input: unknown): TxBody {
  const parsed = TxBodySchema.safeParse(input);
  if (!parsed.success) throw refusal(parsed.error, 'transaction body', []);
  // The input itself (not Zod's copy) is returned: it is what was checked to canonicalize.
  return input as TxBody;
}

/** Checks a signed transaction's shape and size (not its signature); the same errors as {@link parseTxBody}. */
export function parseSignedTransaction(input: unknown): SignedTransaction {
  const parsed = SignedTransactionSchema.safeParse(input);
  if (!parsed.success) throw refusal(parsed.error, 'transaction', []);
  return input as SignedTransaction;
}

const SignedTransactionShapeSchema = z.strictObject({
  body: bodyShape,
  signature: SignedTransactionSchema.shape.signature,
});

/** `{"body":` — what the canonical bytes of an envelope start with (keys sort as body < signature). */
const ENVELOPE_HEAD = Buffer.from('{"body":', 'utf8');
/** The bytes after the body in a canonical envelope: `,"signature":"` + 128 hex characters + `"}`. */
const ENVELOPE_TAIL_BYTES = ',"signature":"'.length + 128 + '"}'.length;

/**
 * Checks a signed transaction whose canonical bytes the caller already holds (`canonical` = canonicalBytes(input)),
 * without serializing it again: the shape by schema, the size and the body's canonical bytes (a view into
 * `canonical`, what the signature covers) from the envelope's layout. The same errors as {@link parseSignedTransaction}.
 */
export function parseCanonicalSignedTransaction(
  input: unknown,
  canonical: Buffer,
): { tx: SignedTransaction; bodyBytes: Buffer } {
  const parsed = SignedTransactionShapeSchema.safeParse(input);
  if (!parsed.success) throw refusal(parsed.error, 'transaction', []);
  const bodyBytes = canonical.subarray(ENVELOPE_HEAD.length, canonical.length - ENVELOPE_TAIL_BYTES);
  if (!canonical.subarray(0, ENVELOPE_HEAD.length).equals(ENVELOPE_HEAD) || bodyBytes[0] !== 0x7b) {
    throw new MeridianError('MER_LEDGER_MALFORMED_TX', 'transaction bytes are not the canonical form of an envelope');
  }
  if (bodyBytes.length > TX_BODY_BYTES_MAX) {
    throw new MeridianError('MER_LEDGER_TX_TOO_LARGE', `transaction: ${SIZE_MESSAGE}`, {
      limitBytes: TX_BODY_BYTES_MAX,
    });
  }
  return { tx: input as SignedTransaction, bodyBytes };
}

/** True iff `signature` is the `tx`-purpose signature of `publicKey` over a body's canonical bytes. */
export function verifyTransactionBytes(bodyBytes: Uint8Array, signature: string, publicKey: PublicKeyInput): boolean {
  return verifyForPurpose({ purpose: TX_PURPOSE, payload: bodyBytes, signature, publicKey });
}

/** Signs a body (checked first) with the institution's Ed25519 key under the `tx` purpose. */
export function signTransaction(body: TxBody, privateKey: PrivateKeyInput): SignedTransaction {
  const checked = parseTxBody(body);
  return {
    body: checked,
    signature: signForPurpose({ purpose: TX_PURPOSE, payload: canonicalBytes(checked), privateKey }),
  };
}

/** True iff the signature is the `tx`-purpose Ed25519 signature of `publicKey` over the canonical body. */
export function verifyTransaction(tx: SignedTransaction, publicKey: PublicKeyInput): boolean {
  let payload: Buffer;
  try {
    payload = canonicalBytes(tx.body);
  } catch {
    return false;
  }
  return verifyForPurpose({ purpose: TX_PURPOSE, payload, signature: tx.signature, publicKey });
}

/** The hash (hex) of the body alone: what was asked, independent of who signed it how. */
export function txContentHash(body: TxBody): string {
  return toHex(domainHash('tx-body', body));
}

/** The hash (hex) of the whole signed envelope: the transaction's id in blocks and receipts. */
export function txHash(tx: SignedTransaction): string {
  return toHex(domainHash('tx', tx));
}

/** The RFC 9162 leaf hash of a transaction in its block's tree: H(0x00 || txHash bytes). */
export function txLeafHash(tx: SignedTransaction): Buffer {
  return leafHash(domainHash('tx', tx));
}

/** The key under which the ledger refuses a repeated transaction: institution, purpose and content hash. */
export function txDedupKey(tx: SignedTransaction): string {
  return `${tx.body.institution}/${TX_PURPOSE}/${txContentHash(tx.body)}`;
}
