/**
 * Keyed hashing for de-identification: HMAC-SHA-256 under a project key, with a domain string so that the
 * same value gives unrelated outputs for different purposes (a person's pseudonym, their date offset).
 * Without the key nobody can recompute or invert a pseudonym by trying candidate identifiers.
 */
import { createHmac } from 'node:crypto';
import { MeridianError } from '../errors/registry.ts';

/** Shortest project key accepted (bytes): 256 bits, so a pseudonym cannot be brute-forced through the key. */
export const PROJECT_KEY_BYTES_MIN = 32;

/** Hex characters of a pseudonym (128 bits: collisions are negligible for any hospital's population). */
const PSEUDONYM_HEX_CHARS = 32;

/** Throws MER_PRIVACY_INVALID_OPTION unless `key` is long enough to be a project key. */
export function assertProjectKey(key: Uint8Array): void {
  if (key.length < PROJECT_KEY_BYTES_MIN)
    throw new MeridianError(
      'MER_PRIVACY_INVALID_OPTION',
      `a de-identification project key must have at least ${PROJECT_KEY_BYTES_MIN} bytes (got ${key.length})`,
    );
}

/** HMAC-SHA-256 of `value` under `key`, separated by `domain` (domain and value are joined by a NUL byte). */
export function keyedDigest(key: Uint8Array, domain: string, value: string): Buffer {
  assertProjectKey(key);
  return createHmac('sha256', key).update(domain).update('\0').update(value).digest();
}

/** The stable pseudonym of `value` in `domain` under `key` (same key, domain and value → same pseudonym). */
export function pseudonym(key: Uint8Array, domain: string, value: string): string {
  return keyedDigest(key, `pseudonym:${domain}`, value).toString('hex').slice(0, PSEUDONYM_HEX_CHARS);
}
