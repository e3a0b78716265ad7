/**
 * The envelope checks every transaction passes in `checkTx` and again in `finalizeBlock`: shape and size, chain
 * id, a registered and active institution, and its Ed25519 signature. Signature checks dominate the cost, so a
 * bounded LRU remembers which transaction hashes verified under which key: a cache hit is exactly what the check
 * would return (verification is a pure function of the bytes and the key), so validators with different cache
 * contents still refuse and accept the same transactions.
 */
import { createHash, type KeyObject } from 'node:crypto';
import type { ErrorCode } from '../../errors/registry.ts';
import { BoundedLru } from '../bounded-lru.ts';
import { canonicalBytes } from '../canonical-json.ts';
import { SIGNATURE_HEX_PATTERN, verifyForPurpose } from '../signing.ts';
import { parseSignedTransaction, type SignedTransaction, TX_PURPOSE } from '../transaction.ts';

export { BoundedLru };

/** Default number of verified transaction hashes remembered: two full blocks. */
export const SIGNATURE_CACHE_SIZE_DEFAULT = 131_072;

/** The hashes of a transaction, from one canonicalization of its body. */
export interface TxDigests {
  /** {@link txHash}: the envelope hash. */
  readonly txHash: string;
  /** {@link txContentHash}: the body hash. */
  readonly contentHash: string;
  /** The canonical body bytes (what the signature covers). */
  readonly bodyBytes: Buffer;
}

const TX_PREFIX = Buffer.from('meridian/v1/hash/tx\n', 'utf8');
const BODY_PREFIX = Buffer.from('meridian/v1/hash/tx-body\n', 'utf8');

/** A refusal of the envelope: code and message. */
export interface EnvelopeRefusal {
  readonly code: ErrorCode;
  readonly message: string;
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * The hashes of an envelope `{ body, signature }` with exactly those keys and a hex signature; a refusal when the
 * envelope is not that shape or the body is not canonical JSON. Equal to txHash / txContentHash of the core.
 */
export function txDigests(tx: unknown): TxDigests | EnvelopeRefusal {
  if (!isPlainRecord(tx)) return { code: 'MER_LEDGER_MALFORMED_TX', message: 'a transaction is an object' };
  const keys = Object.keys(tx);
  if (keys.length !== 2 || !('body' in tx) || !('signature' in tx)) {
    return { code: 'MER_LEDGER_MALFORMED_TX', message: 'a transaction has exactly the keys body and signature' };
  }
  const signature = tx.signature;
  if (typeof signature !== 'string' || !SIGNATURE_HEX_PATTERN.test(signature)) {
    return { code: 'MER_LEDGER_MALFORMED_TX', message: 'signature is not 128 lowercase hex characters (Ed25519)' };
  }
  let bodyBytes: Buffer;
  try {
    bodyBytes = canonicalBytes(tx.body);
  } catch (e) {
    return { code: 'MER_LEDGER_MALFORMED_TX', message: `body cannot be canonical JSON: ${(e as Error).message}` };
  }
  return digestsOfBody(signature, bodyBytes);
}

/** The hashes of a transaction from its signature and its body's canonical bytes (no serialization). */
export function digestsOfBody(signature: string, bodyBytes: Buffer): TxDigests {
  // canonical({ body, signature }) is `{"body":<body>,"signature":"<hex>"}`: keys sort as body < signature.
  const txHash = createHash('sha256')
    .update(TX_PREFIX)
    .update('{"body":')
    .update(bodyBytes)
    .update(`,"signature":"${signature}"}`)
    .digest('hex');
  const contentHash = createHash('sha256').update(BODY_PREFIX).update(bodyBytes).digest('hex');
  return { txHash, contentHash, bodyBytes };
}

/** Checks the full transaction schema (fields, patterns, size); the refusal names the first bad field. */
export function checkTxShape(tx: unknown): EnvelopeRefusal | undefined {
  try {
    parseSignedTransaction(tx);
    return undefined;
  } catch (e) {
    const err = e as { code?: ErrorCode; message: string };
    return { code: err.code ?? 'MER_LEDGER_MALFORMED_TX', message: err.message };
  }
}

/** Verifies the `tx`-purpose signature over the canonical body bytes with an already-parsed key. */
export function verifyTxSignature(tx: SignedTransaction, bodyBytes: Buffer, key: KeyObject): boolean {
  return verifyForPurpose({ purpose: TX_PURPOSE, payload: bodyBytes, signature: tx.signature, publicKey: key });
}
