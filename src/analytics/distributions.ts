/**
 * The distribution functions the fits report with: two-sided p-values and quantiles for the normal, t and
 * chi-square distributions (on @stdlib), and log Γ for the binomial and Poisson likelihoods. Kept in one
 * place so every analysis rounds its p-values and intervals the same way.
 */
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import { MeridianError } from '../errors/registry.ts';

/** Bisection steps that pin a t quantile to the last bit of a double (the bracket halves each step). */
const QUANTILE_BISECTION_STEPS = 200;

/** Two-sided p-value of a standard normal statistic, P(|Z| ≥ |z|). */
export function normalTwoSidedP(z: number): number {
  return 2 * normalCdf(-Math.abs(z), 0, 1);
}

/** Two-sided p-value of a Student t statistic with `df` degrees of freedom, P(|T| ≥ |t|). */
export function tTwoSidedP(t: number, df: number): number {
  return 2 * tCdf(-Math.abs(t), df);
}

/** Upper tail P(X ≥ x) of a chi-square with `df` degrees of freedom (closed forms for 1 and 2 keep tiny p). */
export function chiSquareUpperP(x: number, df: number): number {
  if (x <= 0) return 1;
  if (df === 1) return 2 * normalCdf(-Math.sqrt(x), 0, 1);
  if (df === 2) return Math.exp(-x / 2);
  return 1 - chisquareCdf(x, df);
}

/** The z with P(|Z| ≤ z) = level: the half-width multiplier of a Wald interval (1.959964 for 0.95). */
export function normalCriticalValue(level: number): number {
  checkLevel(level);
  return normalQuantile(0.5 + level / 2, 0, 1);
}

/** The t with P(|T| ≤ t) = level for `df` degrees of freedom (2.100922 for 0.95 and 18), by bisection. */
export function tCriticalValue(level: number, df: number): number {
  checkLevel(level);
  const target = 0.5 + level / 2;
  let low = 0;
  let high = Math.max(1, normalQuantile(target, 0, 1));
  while (tCdf(high, df) < target) high *= 2;
  for (let step = 0; step < QUANTILE_BISECTION_STEPS && high - low > Number.EPSILON * high; step++) {
    const middle = (low + high) / 2;
    if (tCdf(middle, df) < target) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

/** Throws unless `level` is a confidence level strictly between 0 and 1. */
export function checkLevel(level: number): void {
  if (!(level > 0 && level < 1))
    throw new MeridianError(
      'MER_ANALYTICS_INVALID_INPUT',
      `confidenceLevel must be strictly between 0 and 1; got ${level}`,
    );
}

const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** log Γ(x) for x ≥ 0.5 by the Lanczos approximation (g = 7, 9 terms; relative error about 1e-15). */
export function logGamma(x: number): number {
  if (!(x >= 0.5)) throw new MeridianError('MER_ANALYTICS_INVALID_INPUT', `logGamma needs x ≥ 0.5; got ${x}`);
  if (x === 1 || x === 2) return 0;
  const shifted = x - 1;
  let series = LANCZOS[0] as number;
  for (let i = 1; i < LANCZOS.length; i++) series += (LANCZOS[i] as number) / (shifted + i);
  const t = shifted + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (shifted + 0.5) * Math.log(t) - t + Math.log(series);
}
