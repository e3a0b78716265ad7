/**
 * SHRINE-style count obfuscation, a consortium option instead of suppression: add Gaussian noise rounded to
 * a whole number and clamped to ±clamp, round the result to the nearest multiple of 5, and report anything
 * at or below the floor as "≤ floor" (SHRINE: σ = 6.5, clamp 10, "10 patients or fewer"). The floor applies
 * to the obfuscated value, so it says nothing exact about the true count. Noise comes from the injected
 * byte source; repeated queries are the rate limiter's concern (averaging removes the noise).
 */
import { MeridianError } from '../../errors/registry.ts';
import { type RandomBytes, RandomDraws } from './random-source.ts';

/** SHRINE's noise standard deviation. */
export const OBFUSCATION_SIGMA_DEFAULT = 6.5;
/** SHRINE's noise clamp: the noise never exceeds ±10. */
export const OBFUSCATION_CLAMP_DEFAULT = 10;
/** Results are rounded to a multiple of this. */
export const OBFUSCATION_ROUND_TO_DEFAULT = 5;
/** Obfuscated values at or below this are reported as "≤ floor". */
export const OBFUSCATION_FLOOR_DEFAULT = 10;
/** Largest σ, clamp, rounding step or floor accepted. */
const OBFUSCATION_PARAMETER_MAX = 10_000;

/** Options of {@link obfuscateCount}. */
export interface ObfuscationOptions {
  readonly sigma?: number;
  readonly clamp?: number;
  readonly roundTo?: number;
  readonly floor?: number;
}

/** An obfuscated count: a multiple of `roundTo`, or the statement that it is at most `floor`. */
export type ObfuscatedCount = number | { readonly atMost: number };

interface Resolved {
  sigma: number;
  clamp: number;
  roundTo: number;
  floor: number;
}

function resolve(options: ObfuscationOptions | undefined): Resolved {
  const r = {
    sigma: options?.sigma ?? OBFUSCATION_SIGMA_DEFAULT,
    clamp: options?.clamp ?? OBFUSCATION_CLAMP_DEFAULT,
    roundTo: options?.roundTo ?? OBFUSCATION_ROUND_TO_DEFAULT,
    floor: options?.floor ?? OBFUSCATION_FLOOR_DEFAULT,
  };
  const rules: [keyof Resolved, boolean, string][] = [
    [
      'sigma',
      Number.isFinite(r.sigma) && r.sigma > 0 && r.sigma <= OBFUSCATION_PARAMETER_MAX,
      'a number in (0, 10000]',
    ],
    [
      'clamp',
      Number.isInteger(r.clamp) && r.clamp >= 0 && r.clamp <= OBFUSCATION_PARAMETER_MAX,
      'a whole number 0–10000',
    ],
    [
      'roundTo',
      Number.isInteger(r.roundTo) && r.roundTo >= 1 && r.roundTo <= OBFUSCATION_PARAMETER_MAX,
      'a whole number 1–10000',
    ],
    [
      'floor',
      Number.isInteger(r.floor) && r.floor >= 0 && r.floor <= OBFUSCATION_PARAMETER_MAX,
      'a whole number 0–10000',
    ],
  ];
  for (const [field, ok, rule] of rules) {
    if (!ok) {
      throw new MeridianError(
        'MER_DISCLOSURE_INVALID_OPTION',
        `obfuscation ${field} must be ${rule}, not ${r[field]}`,
        {
          field,
          value: r[field],
        },
      );
    }
  }
  return r;
}

/** One standard normal variate by Box–Muller from two uniforms in (0, 1). */
function standardNormal(draws: RandomDraws): number {
  return Math.sqrt(-2 * Math.log(draws.uniformOpen())) * Math.cos(2 * Math.PI * draws.uniformOpen());
}

function obfuscateWith(count: number, index: number | undefined, r: Resolved, draws: RandomDraws): ObfuscatedCount {
  if (!Number.isSafeInteger(count) || count < 0) {
    const field = index === undefined ? 'count' : `counts[${index}]`;
    throw new MeridianError('MER_DISCLOSURE_INVALID_INPUT', `${field} must be a whole number ≥ 0, not ${count}`, {
      field,
      value: count,
    });
  }
  const noise = Math.max(-r.clamp, Math.min(r.clamp, Math.round(r.sigma * standardNormal(draws))));
  const rounded = Math.round((count + noise) / r.roundTo) * r.roundTo;
  return rounded <= r.floor ? { atMost: r.floor } : rounded;
}

/** Obfuscates one count SHRINE-style: clamped rounded Gaussian noise, rounding to 5, "≤ 10" for small results. */
export function obfuscateCount(count: number, random: RandomBytes, options?: ObfuscationOptions): ObfuscatedCount {
  return obfuscateWith(count, undefined, resolve(options), new RandomDraws(random));
}

/** Obfuscates each count independently (fresh noise per count). */
export function obfuscateCounts(
  counts: readonly number[],
  random: RandomBytes,
  options?: ObfuscationOptions,
): ObfuscatedCount[] {
  const r = resolve(options);
  const draws = new RandomDraws(random);
  return counts.map((c, i) => obfuscateWith(c, i, r, draws));
}
