/**
 * Sums of real vectors through secure aggregation at close to double precision. One 64-bit fixed-point word
 * trades range for resolution (about 2^57 units to share between them), which is too little for an exact GLM:
 * X'WX entries reach 10^10 while X'Wz entries may be below 1. So every value travels as two words — a coarse
 * part (2^−8 resolution, range ±5·10^14) and the remainder below 2^−8 at 2^−48 resolution — both masked in the
 * same round; the hub adds the sums of each half. The per-node vectors it receives are uniformly masked; only
 * the sum over every hospital decodes.
 */
import type { KeyObject } from 'node:crypto';
import { MeridianError } from '../../errors/registry.ts';
import {
  decodeFixedPoint,
  encodeFixedPoint,
  type FixedPointOptions,
  maskVector,
  type SecAggParticipant,
  selfMask,
  sumMasked,
} from '../secure-agg/index.ts';

const COARSE: FixedPointOptions = { fractionBits: 8 };
const FINE: FixedPointOptions = { fractionBits: 48 };
const COARSE_UNIT = 2 ** -8;

/** One hospital's masking round: who it is, its X25519 private key, the others, and the round's labels. */
export interface SecureRound {
  readonly roundId: string;
  readonly context: string;
  readonly self: { readonly id: string; readonly privateKey: KeyObject };
  readonly peers: readonly SecAggParticipant[];
  /** The hospital's self-mask seed when the task recovers dropouts (the hub removes its mask after recovery). */
  readonly selfSeed?: Uint8Array;
}

/** Masks `values` (finite reals) for one round; the result is what leaves the node, as hex words. */
export function maskReals(values: readonly number[], round: SecureRound): string[] {
  const coarse: number[] = [];
  const fine: number[] = [];
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) {
      throw new MeridianError('MER_SECAGG_OVERFLOW', `value ${i} to aggregate is ${v}, not a finite number`, {
        index: i,
      });
    }
    const c = Math.round(v / COARSE_UNIT) * COARSE_UNIT;
    coarse.push(c);
    fine.push(v - c);
  });
  const words = new BigUint64Array(values.length * 2);
  words.set(encodeFixedPoint(coarse, COARSE), 0);
  words.set(encodeFixedPoint(fine, FINE), values.length);
  const masked = maskVector(words, round);
  if (round.selfSeed !== undefined) {
    const mask = selfMask({
      seed: round.selfSeed,
      roundId: round.roundId,
      context: round.context,
      length: words.length,
    });
    for (let i = 0; i < masked.length; i++) masked[i] = (masked[i] as bigint) + (mask[i] as bigint);
  }
  return Array.from(masked, (w) => w.toString(16));
}

/** One masked vector from its hex words (MER_FED_BAD_ANSWER naming vector `index` when it is not `2·length` words). */
export function parseMaskedWords(m: readonly string[], length: number, index: number): BigUint64Array {
  if (
    !Array.isArray(m) ||
    m.length !== length * 2 ||
    !m.every((w) => typeof w === 'string' && /^[0-9a-f]{1,16}$/.test(w))
  ) {
    throw new MeridianError('MER_FED_BAD_ANSWER', `masked vector ${index} is not ${length * 2} hex words`, { index });
  }
  return BigUint64Array.from(m, (w) => BigInt(`0x${w}`));
}

/** The reals of an encoded sum of `length` values (coarse words, then fine words), once every mask is removed. */
export function decodeRealSum(sum: BigUint64Array, length: number): number[] {
  const coarse = decodeFixedPoint(sum.slice(0, length), COARSE);
  const fine = decodeFixedPoint(sum.slice(length), FINE);
  return Array.from(coarse, (c, i) => c + (fine[i] as number));
}

/** The sum of every hospital's masked vector (all of them, or the masks do not cancel), decoded. */
export function sumMaskedReals(masked: readonly (readonly string[])[], length: number): number[] {
  return decodeRealSum(sumMasked(masked.map((m, k) => parseMaskedWords(m, length, k))), length);
}
