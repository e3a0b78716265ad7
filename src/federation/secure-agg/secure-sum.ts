/**
 * Pairwise-masked secure summation. Each participant i adds, for every other participant j, the pair's mask
 * when i < j (by id) and subtracts it when i > j, so over all participants every mask is added once and
 * subtracted once: the sum of the masked vectors mod 2^64 is exactly the sum of the encoded vectors, while
 * any one masked vector (or any sum of fewer than all) is uniformly distributed to whoever lacks the keys.
 *
 *   node A: x_A + m_AB + m_AC ─┐
 *   node B: x_B − m_AB + m_BC ─┼─▶ hub: Σ mod 2^64 = x_A + x_B + x_C ─▶ decode
 *   node C: x_C − m_AC − m_BC ─┘
 *
 * Dropouts: recovery.ts removes a dropped participant's pair masks once its key is reconstructed from Shamir
 * shares (shamir.ts), with self-masks (self-mask.ts) keeping every survivor hidden meanwhile.
 * Round ids must never repeat for a participant set: equal masks on two vectors reveal their difference.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { MeridianError } from '../../errors/registry.ts';
import {
  decodeFixedPoint,
  encodeFixedPoint,
  type FixedPointOptions,
  fixedPoint,
  VECTOR_LENGTH_MAX,
} from './fixed-point.ts';
import { checkLabel, checkX25519, pairwiseMask, participantsDigest, type SecAggParticipant } from './pairwise-masks.ts';

/** One participant's view of a round: who it is, its private key, the others, and the round's labels. */
export interface MaskRound {
  readonly roundId: string;
  /** What is being summed (e.g. "fedavg/project-7"), so two sums in one round never share masks. */
  readonly context: string;
  readonly self: { readonly id: string; readonly privateKey: KeyObject };
  readonly peers: readonly SecAggParticipant[];
}

function invalid(field: string, value: unknown, rule: string): never {
  throw new MeridianError('MER_SECAGG_INVALID_INPUT', `${field} ${rule}, not ${String(value)}`, { field });
}

/** Masks an encoded vector for one round: adds the pair masks of higher ids, subtracts those of lower ids. */
export function maskVector(encoded: BigUint64Array, round: MaskRound): BigUint64Array {
  checkLabel('roundId', round.roundId);
  checkLabel('context', round.context);
  checkLabel('self.id', round.self.id);
  const privateKey = checkX25519('self.privateKey', round.self.privateKey, 'private');
  if (!(encoded instanceof BigUint64Array)) invalid('encoded', typeof encoded, 'must be a BigUint64Array');
  if (encoded.length > VECTOR_LENGTH_MAX)
    invalid('encoded.length', encoded.length, `must be at most ${VECTOR_LENGTH_MAX}`);
  if (round.peers.length === 0) invalid('peers.length', 0, 'must be at least 1 (a sum of one reveals it)');
  const ids = new Set([round.self.id]);
  round.peers.forEach((p, i) => {
    checkLabel(`peers[${i}].id`, p.id);
    checkX25519(`peers[${i}].publicKey`, p.publicKey, 'public');
    if (ids.has(p.id)) invalid(`peers[${i}].id`, p.id, 'must differ from self.id and every other peer');
    ids.add(p.id);
  });
  const participants = participantsDigest([
    { id: round.self.id, publicKey: createPublicKey(privateKey) },
    ...round.peers,
  ]);
  const masked = BigUint64Array.from(encoded);
  for (const peer of round.peers) {
    const mask = pairwiseMask({
      privateKey,
      peerPublicKey: peer.publicKey,
      selfId: round.self.id,
      peerId: peer.id,
      roundId: round.roundId,
      context: round.context,
      participants,
      length: encoded.length,
    });
    // BigUint64Array stores mod 2^64, so + and − wrap exactly.
    if (round.self.id < peer.id)
      for (let i = 0; i < masked.length; i++) masked[i] = (masked[i] as bigint) + (mask[i] as bigint);
    else for (let i = 0; i < masked.length; i++) masked[i] = (masked[i] as bigint) - (mask[i] as bigint);
  }
  return masked;
}

/** Encodes reals in fixed point and masks them (checks the participant count against `participantsMax`). */
export function maskValues(values: ArrayLike<number>, round: MaskRound, options?: FixedPointOptions): BigUint64Array {
  const fp = fixedPoint(options);
  const participants = round.peers.length + 1;
  if (participants > fp.participantsMax) {
    invalid('peers.length', round.peers.length, `plus self must be at most participantsMax ${fp.participantsMax}`);
  }
  return maskVector(encodeFixedPoint(values, options), round);
}

/** Adds masked vectors mod 2^64: with every participant's vector the masks cancel and this is the encoded sum. */
export function sumMasked(masked: readonly BigUint64Array[]): BigUint64Array {
  const first = masked[0];
  if (first === undefined) invalid('masked.length', 0, 'must be at least 1');
  const sum = new BigUint64Array(first.length);
  masked.forEach((m, k) => {
    if (!(m instanceof BigUint64Array) || m.length !== first.length) {
      invalid(`masked[${k}].length`, m?.length, `must equal masked[0].length ${first.length}`);
    }
    for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as bigint) + (m[i] as bigint);
  });
  return sum;
}

/** The decoded sum of every participant's masked vector (all of them, or the masks do not cancel). */
export function aggregateMasked(masked: readonly BigUint64Array[], options?: FixedPointOptions): Float64Array {
  const fp = fixedPoint(options);
  if (masked.length > fp.participantsMax) {
    invalid('masked.length', masked.length, `must be at most participantsMax ${fp.participantsMax}`);
  }
  return decodeFixedPoint(sumMasked(masked), options);
}
