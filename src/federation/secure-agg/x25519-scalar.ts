/**
 * An X25519 private key as one Shamir field element and back. X25519 ignores the top bit of its 32-byte scalar
 * (RFC 7748 §5), so a key with that bit cleared is the same key and its little-endian value is below 2^255; the
 * rare value in [2^255 − 19, 2^255) is no field element, and the caller draws another key.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { checkX25519 } from './pairwise-masks.ts';
import { fieldElementFromBytes, fieldElementToBytes } from './shamir.ts';

/** The PKCS#8 DER prefix of a raw X25519 private key (RFC 8410). */
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** The key's scalar as a field element (top bit cleared), or undefined when it is not below 2^255 − 19. */
export function scalarOfPrivateKey(privateKey: KeyObject): bigint | undefined {
  const jwk = checkX25519('privateKey', privateKey, 'private').export({ format: 'jwk' });
  const raw = Buffer.from(jwk.d as string, 'base64url');
  raw[31] = (raw[31] as number) & 0x7f;
  return fieldElementFromBytes(raw);
}

/** The X25519 private key whose scalar is `scalar` (a reconstructed secret). */
export function privateKeyFromScalar(scalar: bigint): KeyObject {
  return createPrivateKey({
    key: Buffer.concat([PKCS8_X25519_PREFIX, fieldElementToBytes(scalar)]),
    format: 'der',
    type: 'pkcs8',
  });
}
