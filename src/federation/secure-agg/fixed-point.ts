/**
 * Fixed-point encoding for secure aggregation: a real v becomes round(v · 2^k) as a two's-complement integer
 * mod 2^64, so masks (uniform mod 2^64) cancel exactly and sums wrap like machine integers. Each value must
 * fit in 2^63 / participantsMax units so that the sum of every participant's value cannot wrap; values
 * outside are refused, or clipped first when `clip` is set (SecAgg+ clips updates the same way).
 */
import { MeridianError } from '../../errors/registry.ts';

/** Default fractional bits: a resolution of 2^−24 ≈ 6·10^−8. */
export const FRACTION_BITS_DEFAULT = 24;
/** Most fractional bits (the 64-bit integer must keep room for the integer part). */
export const FRACTION_BITS_MAX = 48;
/** Default largest number of participants one sum may have. */
export const PARTICIPANTS_MAX_DEFAULT = 64;
/** Largest participantsMax accepted. */
export const PARTICIPANTS_LIMIT = 4_096;
/** Longest vector one participant may encode. */
export const VECTOR_LENGTH_MAX = 4_194_304;

/** Fixed-point options shared by everyone in a round. */
export interface FixedPointOptions {
  /** k: values are multiples of 2^−k (default 24). */
  readonly fractionBits?: number;
  /** Most participants one sum may have; each value's range shrinks with it (default 64). */
  readonly participantsMax?: number;
  /** When set, values are clipped to [−clip, clip] before encoding instead of being refused when too large. */
  readonly clip?: number;
}

/** Resolved fixed-point parameters. */
export interface FixedPoint {
  readonly fractionBits: number;
  readonly participantsMax: number;
  readonly clip: number | undefined;
  /** Largest |value| that encodes (in real units). */
  readonly valueMax: number;
  /** Largest |encoded integer| one participant may contribute. */
  readonly unitsMax: bigint;
}

function invalid(field: string, value: unknown, rule: string): never {
  throw new MeridianError('MER_SECAGG_INVALID_INPUT', `${field} ${rule}, not ${String(value)}`, { field, value });
}

/** Validates fixed-point options and derives the per-value range. */
export function fixedPoint(options?: FixedPointOptions): FixedPoint {
  const fractionBits = options?.fractionBits ?? FRACTION_BITS_DEFAULT;
  const participantsMax = options?.participantsMax ?? PARTICIPANTS_MAX_DEFAULT;
  if (!Number.isInteger(fractionBits) || fractionBits < 0 || fractionBits > FRACTION_BITS_MAX) {
    invalid('fractionBits', fractionBits, `must be a whole number from 0 to ${FRACTION_BITS_MAX}`);
  }
  if (!Number.isInteger(participantsMax) || participantsMax < 2 || participantsMax > PARTICIPANTS_LIMIT) {
    invalid('participantsMax', participantsMax, `must be a whole number from 2 to ${PARTICIPANTS_LIMIT}`);
  }
  const unitsMax = ((1n << 63n) - 1n) / BigInt(participantsMax);
  // unitsMax with its low 11 bits cleared has at most 52 significant bits, so it is an exact double, and any
  // |v| ≤ valueMax scales and rounds to at most unitsMax.
  const valueMax = Number((unitsMax >> 11n) << 11n) / 2 ** fractionBits;
  const clip = options?.clip;
  if (clip !== undefined && (!Number.isFinite(clip) || clip <= 0 || clip > valueMax)) {
    invalid(
      'clip',
      clip,
      `must be a number in (0, ${valueMax}] for ${fractionBits} fraction bits and ${participantsMax} participants`,
    );
  }
  return { fractionBits, participantsMax, clip, valueMax, unitsMax };
}

/** Encodes reals as fixed-point integers mod 2^64; refuses non-finite or out-of-range values (naming the index). */
export function encodeFixedPoint(values: ArrayLike<number>, options?: FixedPointOptions): BigUint64Array {
  const fp = fixedPoint(options);
  if (values.length > VECTOR_LENGTH_MAX)
    invalid('values.length', values.length, `must be at most ${VECTOR_LENGTH_MAX}`);
  const scale = 2 ** fp.fractionBits;
  const out = new BigUint64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let v = values[i] as number;
    if (!Number.isFinite(v)) {
      throw new MeridianError('MER_SECAGG_OVERFLOW', `values[${i}] is ${v}, not a finite number`, { index: i });
    }
    if (fp.clip !== undefined) v = Math.max(-fp.clip, Math.min(fp.clip, v));
    if (Math.abs(v) > fp.valueMax) {
      throw new MeridianError(
        'MER_SECAGG_OVERFLOW',
        `values[${i}] = ${v} is outside ±${fp.valueMax}, the range of ${fp.fractionBits} fraction bits for ${fp.participantsMax} participants`,
        { index: i, value: v, valueMax: fp.valueMax },
      );
    }
    out[i] = BigInt.asUintN(64, BigInt(Math.round(v * scale)));
  }
  return out;
}

/** Decodes a fixed-point vector (a sum, once the masks cancelled) back to reals. */
export function decodeFixedPoint(encoded: BigUint64Array, options?: FixedPointOptions): Float64Array {
  const fp = fixedPoint(options);
  const scale = 2 ** fp.fractionBits;
  return Float64Array.from(encoded, (x) => Number(BigInt.asIntN(64, x)) / scale);
}
