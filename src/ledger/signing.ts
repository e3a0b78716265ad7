/**
 * Ed25519 signatures under domain separation: every ledger signature is over
 * `meridian/v1/<purpose>\n` || payload, so a signature made for one purpose (a transaction, a consensus vote,
 * a commit certificate, an execution receipt) can never be replayed as another (SPEC.md I7). Purposes contain
 * no newline, so no prefix is a prefix of another. Keys are the Ed25519 signing keys the consortium CA issues
 * (`identities/<name>/signing.key.pem`, `signing.pub.pem`); in JSON a public key is its raw 32 bytes in hex.
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { MeridianError } from '../errors/registry.ts';
import { BoundedLru } from './bounded-lru.ts';
import { fromHex, toHex } from './hash.ts';

/** What a signature may be for; add a purpose as a new entry, never reuse one. */
export const SIGNING_PURPOSES = ['tx', 'vote', 'commit', 'receipt'] as const;

/** One of {@link SIGNING_PURPOSES}. */
export type SigningPurpose = (typeof SIGNING_PURPOSES)[number];

/** Length of an Ed25519 signature in bytes. */
export const SIGNATURE_BYTES = 64;

/** Length of a raw Ed25519 public key in bytes. */
export const PUBLIC_KEY_BYTES = 32;

/** An Ed25519 signature in lowercase hex (128 characters). */
export const SIGNATURE_HEX_PATTERN = /^[0-9a-f]{128}$/;

/** A raw Ed25519 public key in lowercase hex (64 characters). */
export const PUBLIC_KEY_HEX_PATTERN = /^[0-9a-f]{64}$/;

/** A public key as callers hold it: a KeyObject, an SPKI PEM (signing.pub.pem) or raw hex. */
export type PublicKeyInput = KeyObject | string;

/** A private key as callers hold it: a KeyObject or a PKCS#8 PEM (signing.key.pem). */
export type PrivateKeyInput = KeyObject | string;

const PREFIXES: Record<SigningPurpose, Buffer> = Object.fromEntries(
  SIGNING_PURPOSES.map((p) => [p, Buffer.from(`meridian/v1/${p}\n`, 'utf8')]),
) as Record<SigningPurpose, Buffer>;

// DER SubjectPublicKeyInfo header of an Ed25519 key (RFC 8410); the raw key follows.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function badKey(message: string): MeridianError {
  return new MeridianError('MER_LEDGER_BAD_KEY', message);
}

/** The exact bytes signed for `purpose`: the domain prefix followed by `payload`. */
export function signingMessage(purpose: SigningPurpose, payload: Uint8Array): Buffer {
  const prefix = PREFIXES[purpose];
  if (prefix === undefined) throw badKey(`unknown signing purpose ${JSON.stringify(purpose)}`);
  return Buffer.concat([prefix, payload]);
}

/** Most raw keys {@link publicKeyOfHex} keeps parsed (validators and institutions of a consortium, with room to spare). */
const HEX_KEYS_CACHED_MAX = 4_096;
const hexKeys = new BoundedLru<string, KeyObject>(HEX_KEYS_CACHED_MAX);

/** The KeyObject of a raw hex key, parsed once: every receipt and block names the same few validators' keys. */
function publicKeyOfHex(hex: string): KeyObject {
  const cached = hexKeys.get(hex);
  if (cached !== undefined) return cached;
  const der = Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(hex, 'hex')]);
  const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  hexKeys.set(hex, key);
  return key;
}

/** An Ed25519 public KeyObject from a KeyObject, SPKI PEM or raw hex; MER_LEDGER_BAD_KEY otherwise. */
export function toPublicKey(key: PublicKeyInput): KeyObject {
  let out: KeyObject;
  try {
    if (typeof key !== 'string') {
      out = key.type === 'private' ? createPublicKey(key) : key;
    } else if (PUBLIC_KEY_HEX_PATTERN.test(key)) {
      out = publicKeyOfHex(key);
    } else {
      out = createPublicKey(key);
    }
  } catch {
    throw badKey('not an Ed25519 public key (expected a KeyObject, an SPKI PEM or 64 hex characters)');
  }
  if (out.type !== 'public' || out.asymmetricKeyType !== 'ed25519') {
    throw badKey(`a ledger public key must be Ed25519, not ${out.asymmetricKeyType ?? out.type}`);
  }
  return out;
}

/** An Ed25519 private KeyObject from a KeyObject or PKCS#8 PEM; MER_LEDGER_BAD_KEY otherwise. */
export function toPrivateKey(key: PrivateKeyInput): KeyObject {
  let out: KeyObject;
  try {
    out = typeof key === 'string' ? createPrivateKey(key) : key;
  } catch {
    throw badKey('not an Ed25519 private key (expected a KeyObject or a PKCS#8 PEM)');
  }
  if (out.type !== 'private' || out.asymmetricKeyType !== 'ed25519') {
    throw badKey(`a ledger signing key must be a private Ed25519 key, not ${out.asymmetricKeyType ?? out.type}`);
  }
  return out;
}

/** The raw 32-byte public key in hex, the form validator sets and receipts carry. */
export function publicKeyHex(key: PublicKeyInput): string {
  const der = toPublicKey(key).export({ format: 'der', type: 'spki' });
  return toHex(der.subarray(ED25519_SPKI_PREFIX.length));
}

/** Options of {@link signForPurpose}. */
export interface SignOptions {
  purpose: SigningPurpose;
  payload: Uint8Array;
  privateKey: PrivateKeyInput;
}

/** Signs `payload` for `purpose` with Ed25519; returns the signature in hex. */
export function signForPurpose(opts: SignOptions): string {
  return toHex(sign(null, signingMessage(opts.purpose, opts.payload), toPrivateKey(opts.privateKey)));
}

/** Options of {@link verifyForPurpose}. */
export interface VerifySignatureOptions {
  purpose: SigningPurpose;
  payload: Uint8Array;
  signature: string;
  publicKey: PublicKeyInput;
}

/** True iff `signature` (hex) is a valid Ed25519 signature by `publicKey` over `payload` for `purpose`. */
export function verifyForPurpose(opts: VerifySignatureOptions): boolean {
  const sig = fromHex(opts.signature, SIGNATURE_BYTES);
  if (sig === null) return false;
  // OpenSSL refuses non-canonical S (RFC 8032 §5.1.7), so a valid signature has exactly one encoding.
  return verify(null, signingMessage(opts.purpose, opts.payload), toPublicKey(opts.publicKey), sig);
}
