/**
 * Sealed boxes that carry one hospital's Shamir shares to another through the hub, which routes them but can
 * neither read nor swap them: X25519 between the sender's and the recipient's per-task encryption keys →
 * HKDF-SHA-256 (info binding the protocol, the task hash and the ordered pair, so each direction has its own key)
 * → AES-256-GCM whose associated data repeats the task hash, sender and recipient. Only the sender or the
 * recipient can make a box that opens, so a box that opens came from the sender; one under another task or pair
 * does not open.
 *
 *   u: seal(c_u, C_v, {task, u→v}, shares) ─► hub (signed in u's answer) ─► v: open(c_v, C_u, {task, u→v})
 */
import { createCipheriv, createDecipheriv, createHash, diffieHellman, hkdfSync, type KeyObject } from 'node:crypto';
import { MeridianError } from '../../errors/registry.ts';
import { canonicalize } from '../../ledger/canonical-json.ts';
import { checkLabel, checkX25519, SECAGG_PROTOCOL } from './pairwise-masks.ts';

/** Bytes of a box's nonce and tag. */
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Largest plaintext a box carries (two 32-byte shares with room to spare). */
export const SHARE_BOX_PLAINTEXT_MAX = 256;

/** Who a box goes from and to, and for which task. */
export interface ShareBoxLabels {
  readonly taskHash: string;
  readonly from: string;
  readonly to: string;
}

function invalid(field: string, value: unknown, rule: string): never {
  throw new MeridianError('MER_SECAGG_INVALID_INPUT', `${field} ${rule}, not ${String(value)}`, { field });
}

function boxKey(privateKey: KeyObject, peerPublicKey: KeyObject, labels: ShareBoxLabels): { key: Buffer; aad: Buffer } {
  checkLabel('taskHash', labels.taskHash);
  checkLabel('from', labels.from);
  checkLabel('to', labels.to);
  if (labels.from === labels.to) invalid('to', labels.to, 'must differ from the sender');
  const secret = diffieHellman({
    privateKey: checkX25519('privateKey', privateKey, 'private'),
    publicKey: checkX25519('peerPublicKey', peerPublicKey, 'public'),
  });
  if (secret.every((b) => b === 0)) invalid('peerPublicKey', 'small order', 'must not be of small order');
  const aad = Buffer.from(
    canonicalize({
      protocol: SECAGG_PROTOCOL,
      box: 'shares',
      taskHash: labels.taskHash,
      from: labels.from,
      to: labels.to,
    }),
  );
  const info = `${SECAGG_PROTOCOL}/share-box/${createHash('sha256').update(aad).digest('hex')}`;
  return { key: Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32)), aad };
}

/** Seals `plaintext` from `labels.from` to `labels.to`; `iv` is 12 fresh random bytes (drawn by the caller). */
export function sealShareBox(opts: {
  privateKey: KeyObject;
  peerPublicKey: KeyObject;
  labels: ShareBoxLabels;
  plaintext: Uint8Array;
  iv: Uint8Array;
}): Buffer {
  if (opts.iv.length !== IV_BYTES) invalid('iv.length', opts.iv.length, `must be ${IV_BYTES}`);
  if (opts.plaintext.length < 1 || opts.plaintext.length > SHARE_BOX_PLAINTEXT_MAX) {
    invalid('plaintext.length', opts.plaintext.length, `must be from 1 to ${SHARE_BOX_PLAINTEXT_MAX}`);
  }
  const { key, aad } = boxKey(opts.privateKey, opts.peerPublicKey, opts.labels);
  const cipher = createCipheriv('aes-256-gcm', key, opts.iv).setAAD(aad);
  const body = Buffer.concat([cipher.update(opts.plaintext), cipher.final()]);
  return Buffer.concat([opts.iv, body, cipher.getAuthTag()]);
}

/** Opens a box sealed by `labels.from` to this recipient, or throws MER_FED_BAD_ANSWER naming the sender. */
export function openShareBox(opts: {
  privateKey: KeyObject;
  peerPublicKey: KeyObject;
  labels: ShareBoxLabels;
  box: Uint8Array;
}): Buffer {
  const bad = () =>
    new MeridianError(
      'MER_FED_BAD_ANSWER',
      `the share box from ${opts.labels.from} to ${opts.labels.to} does not open (altered, swapped or of another task)`,
      { from: opts.labels.from, to: opts.labels.to },
    );
  if (opts.box.length <= IV_BYTES + TAG_BYTES || opts.box.length > IV_BYTES + TAG_BYTES + SHARE_BOX_PLAINTEXT_MAX) {
    throw bad();
  }
  const { key, aad } = boxKey(opts.privateKey, opts.peerPublicKey, opts.labels);
  const box = Buffer.from(opts.box);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, box.subarray(0, IV_BYTES)).setAAD(aad);
    decipher.setAuthTag(box.subarray(box.length - TAG_BYTES));
    return Buffer.concat([decipher.update(box.subarray(IV_BYTES, box.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw bad();
  }
}
