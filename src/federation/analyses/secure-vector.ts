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
  return Array.from(maskVector(words, round), (w) => w.toString(16));
}

/** The sum of every hospital's masked vector (all of them, or the masks do not cancel), decoded. */
export function sumMaskedReals(masked: readonly (readonly string[])[], length: number): number[] {
  const vectors = masked.map((m, k) => {
    if (
      !Array.isArray(m) ||
      m.length !== length * 2 ||
      !m.every((w) => typeof w === 'string' && /^[0-9a-f]{1,16}$/.test(w))
    ) {
      throw new MeridianError('MER_FED_BAD_ANSWER', `masked vector ${k} is not ${length * 2} hex words`, { index: k });
    }
    return BigUint64Array.from(m, (w) => BigInt(`0x${w}`));
  });
  const sum = sumMasked(vectors);
  const coarse = decodeFixedPoint(sum.slice(0, length), COARSE);
  const fine = decodeFixedPoint(sum.slice(length), FINE);
  return Array.from(coarse, (c, i) => c + (fine[i] as number));
}
