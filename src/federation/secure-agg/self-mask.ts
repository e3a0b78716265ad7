/**
 * A hospital's self-mask for one round (Bonawitz et al. 2017, the b_u of §4): HKDF-SHA-256 of its per-task seed
 * with info binding the protocol, round id, context and length → AES-256-CTR keystream read as little-endian
 * 64-bit words. It is added on top of the pairwise masks so that a hub which recovers a peer's pairwise key (by
 * claiming the peer dropped) still sees that peer's vector masked; the hub removes it only once t hospitals reveal
 * shares of the seed, which they do only for hospitals they were told answered.
 */
import { createCipheriv, createHash, hkdfSync } from 'node:crypto';
import { MeridianError } from '../../errors/registry.ts';
import { canonicalize } from '../../ledger/canonical-json.ts';
import { VECTOR_LENGTH_MAX } from './fixed-point.ts';
import { checkLabel, SECAGG_PROTOCOL } from './pairwise-masks.ts';

/** `length` uniform words mod 2^64 from a 32-byte seed, bound to the round id and context. */
export function selfMask(opts: { seed: Uint8Array; roundId: string; context: string; length: number }): BigUint64Array {
  if (opts.seed.length !== 32) {
    throw new MeridianError('MER_SECAGG_INVALID_INPUT', `seed must be 32 bytes, not ${opts.seed.length}`, {
      field: 'seed',
    });
  }
  if (!Number.isInteger(opts.length) || opts.length < 1 || opts.length > VECTOR_LENGTH_MAX) {
    throw new MeridianError(
      'MER_SECAGG_INVALID_INPUT',
      `length must be 1 to ${VECTOR_LENGTH_MAX}, not ${opts.length}`,
      {
        field: 'length',
      },
    );
  }
  const binding = canonicalize({
    protocol: SECAGG_PROTOCOL,
    mask: 'self',
    roundId: checkLabel('roundId', opts.roundId),
    context: checkLabel('context', opts.context),
    length: opts.length,
  });
  const info = `${SECAGG_PROTOCOL}/self-mask/${createHash('sha256').update(binding).digest('hex')}`;
  const key = Buffer.from(hkdfSync('sha256', opts.seed, Buffer.alloc(0), info, 32));
  const stream = createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(opts.length * 8));
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const mask = new BigUint64Array(opts.length);
  for (let i = 0; i < opts.length; i++) mask[i] = view.getBigUint64(i * 8, true);
  return mask;
}
