/**
 * SHA-256 and the hex form every ledger hash, key and signature takes in JSON. Hashes of ledger objects are
 * domain-separated (`meridian/v1/hash/<domain>\n` prefix) so the hash of a header can never equal the hash of
 * a transaction or a validator set made of the same bytes (SPEC.md I10, I11, I13).
 */
import { createHash } from 'node:crypto';
import { canonicalBytes } from './canonical-json.ts';

/** Length of a SHA-256 digest in bytes. */
export const HASH_BYTES = 32;

/** A SHA-256 digest in lowercase hex (64 characters). */
export const HASH_HEX_PATTERN = /^[0-9a-f]{64}$/;

/** The all-zero hash: the previous-block hash of the genesis block. */
export const ZERO_HASH_HEX = '0'.repeat(HASH_BYTES * 2);

/** The things the ledger hashes, each under its own prefix. */
export const HASH_DOMAINS = ['tx-body', 'tx', 'block-header', 'validator-set'] as const;

/** One of {@link HASH_DOMAINS}. */
export type HashDomain = (typeof HASH_DOMAINS)[number];

const DOMAIN_PREFIXES: Record<HashDomain, Buffer> = Object.fromEntries(
  HASH_DOMAINS.map((d) => [d, Buffer.from(`meridian/v1/hash/${d}\n`, 'utf8')]),
) as Record<HashDomain, Buffer>;

/** SHA-256 of the concatenation of `parts`. */
export function sha256(...parts: readonly Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** SHA-256 of the canonical JSON of `value` under a domain prefix. */
export function domainHash(domain: HashDomain, value: unknown): Buffer {
  return sha256(DOMAIN_PREFIXES[domain], canonicalBytes(value));
}

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** The bytes of a lowercase hex string of exactly `byteLength` bytes; null when it is anything else. */
export function fromHex(hex: string, byteLength: number): Buffer | null {
  if (hex.length !== byteLength * 2 || !/^[0-9a-f]*$/.test(hex)) return null;
  return Buffer.from(hex, 'hex');
}
