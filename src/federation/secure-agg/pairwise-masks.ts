/**
 * The mask two participants share for one round (Bonawitz et al. 2017, §4; recovery in recovery.ts): an
 * X25519 shared secret, stretched by HKDF-SHA-256 whose info binds the protocol version, round id, context,
 * the pair, the whole participant set (ids and public keys) and the vector length, into an AES-256-CTR key
 * whose keystream, read as little-endian 64-bit words, is the mask. Both members of the pair derive the same
 * words; nobody else can. A different round id, context or participant set gives unrelated masks, which is
 * what makes restarting a round after a dropout safe.
 */
import { createCipheriv, createHash, createPublicKey, diffieHellman, hkdfSync, type KeyObject } from 'node:crypto';
import { MeridianError } from '../../errors/registry.ts';
import { canonicalize } from '../../ledger/canonical-json.ts';

/** Protocol label bound into every derived key. */
export const SECAGG_PROTOCOL = 'meridian/secagg/v1';

/** Longest participant id, round id or context. */
export const SECAGG_LABEL_LENGTH_MAX = 256;

/** A participant as the others know it: a name and its X25519 public key. */
export interface SecAggParticipant {
  readonly id: string;
  readonly publicKey: KeyObject;
}

/** Everything one pair's mask depends on. */
export interface PairMaskInput {
  readonly privateKey: KeyObject;
  readonly peerPublicKey: KeyObject;
  readonly selfId: string;
  readonly peerId: string;
  readonly roundId: string;
  readonly context: string;
  /** {@link participantsDigest} of the round's whole participant set. */
  readonly participants: string;
  readonly length: number;
}

function invalid(field: string, value: unknown, rule: string): never {
  throw new MeridianError('MER_SECAGG_INVALID_INPUT', `${field} ${rule}, not ${String(value)}`, { field });
}

/** Throws unless `label` is a non-empty string of at most 256 characters. */
export function checkLabel(field: string, label: unknown): string {
  if (typeof label !== 'string' || label.length === 0 || label.length > SECAGG_LABEL_LENGTH_MAX) {
    invalid(field, label, `must be a text of 1 to ${SECAGG_LABEL_LENGTH_MAX} characters`);
  }
  return label;
}

/** Throws unless `key` is an X25519 key object of the given type. */
export function checkX25519(field: string, key: unknown, type: 'public' | 'private'): KeyObject {
  const k = key as Partial<KeyObject> | null;
  if (k === null || typeof k !== 'object' || k.type !== type || k.asymmetricKeyType !== 'x25519') {
    invalid(field, k?.asymmetricKeyType ?? typeof key, `must be an X25519 ${type} key`);
  }
  return key as KeyObject;
}

/** The 32 raw bytes of an X25519 public key (what participants exchange). */
export function publicKeyToRaw(publicKey: KeyObject): Buffer {
  const jwk = checkX25519('publicKey', publicKey, 'public').export({ format: 'jwk' });
  return Buffer.from(jwk.x as string, 'base64url');
}

/** An X25519 public key from its 32 raw bytes. */
export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) invalid('publicKey', `${raw.length} bytes`, 'must be 32 raw bytes');
  return createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });
}

/** SHA-256 (hex) over the participant set sorted by id: ids and raw public keys. */
export function participantsDigest(participants: readonly SecAggParticipant[]): string {
  const list = [...participants]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((p) => [p.id, publicKeyToRaw(p.publicKey).toString('hex')]);
  return createHash('sha256')
    .update(canonicalize({ protocol: SECAGG_PROTOCOL, participants: list }))
    .digest('hex');
}

/** The pair's mask: `length` uniform words mod 2^64, identical for both members of the pair. */
export function pairwiseMask(input: PairMaskInput): BigUint64Array {
  const secret = diffieHellman({ privateKey: input.privateKey, publicKey: input.peerPublicKey });
  if (secret.every((b) => b === 0))
    invalid(`peer ${input.peerId}'s public key`, 'small order', 'must not be of small order');
  const [low, high] = input.selfId < input.peerId ? [input.selfId, input.peerId] : [input.peerId, input.selfId];
  const binding = canonicalize({
    protocol: SECAGG_PROTOCOL,
    roundId: input.roundId,
    context: input.context,
    pair: [low, high],
    participants: input.participants,
    length: input.length,
  });
  // HKDF info is limited to 1024 bytes; the digest of the binding carries all of it.
  const info = `${SECAGG_PROTOCOL}/mask/${createHash('sha256').update(binding).digest('hex')}`;
  const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
  const stream = createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(input.length * 8));
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const mask = new BigUint64Array(input.length);
  for (let i = 0; i < input.length; i++) mask[i] = view.getBigUint64(i * 8, true);
  return mask;
}
