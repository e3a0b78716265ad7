/**
 * Differentially private counts and clamped sums with exact discrete noise. The discrete Laplace with scale
 * Δ/ε gives ε-DP for an integer query of L1 sensitivity Δ; the discrete Gaussian of variance parameter σ²
 * gives ρ-zCDP with ρ = Δ²/(2σ²) (CKS 2020, Thm 4), which implies (ρ + 2√(ρ·ln(1/δ)), δ)-DP (Bun–Steinke
 * 2016, Prop 1.3); `gaussianSigmaSquared` inverts that bound and rounds σ² up. Neighbouring datasets differ by
 * adding or removing one patient, so a count has sensitivity 1 and a sum clamped to [L, U] has max(|L|, |U|).
 * Every release returns the cost to charge to the budget before the value leaves the node.
 */
import { MeridianError } from '../../errors/registry.ts';
import { EPSILON_MICROS_MAX, MICRO_EPSILON_PER_EPSILON } from '../../ledger/contracts/schemas.ts';
import { sampleDiscreteGaussian, sampleDiscreteLaplace } from './discrete-samplers.ts';
import { PICO_DELTA_PER_DELTA, type PrivacyCost } from './privacy-budget.ts';
import { type RandomBytes, RandomDraws } from './random-source.ts';
import { type Rational, rational } from './rational.ts';

/** Largest sensitivity (in integer units) a mechanism accepts. */
export const SENSITIVITY_MAX = 1_000_000_000;

/** Most decimals a clamped sum keeps (its fixed-point quantum is 10^−decimals). */
export const SUM_DECIMALS_MAX = 6;

/** Denominator σ² is rounded up to, so the Gaussian sampler works with small integers. */
const SIGMA_SQUARED_DENOMINATOR = 2 ** 20;

/** Relative margin added to σ² before rounding up, far above the error of the floating-point log and sqrt. */
const SIGMA_SQUARED_MARGIN = 1e-9;

/** Which noise a release adds: discrete Laplace (ε-DP) or discrete Gaussian ((ε, δ)-DP). */
export type DpMechanism =
  | { readonly kind: 'laplace'; readonly epsilonMicros: number }
  | { readonly kind: 'gaussian'; readonly epsilonMicros: number; readonly deltaPicos: number };

/** A noisy value and the privacy it spent. */
export interface NoisyRelease {
  readonly value: number;
  readonly cost: PrivacyCost;
}

/** Options of {@link dpClampedSum}. */
export interface ClampedSumOptions {
  readonly lower: number;
  readonly upper: number;
  /** Fixed-point decimals of the sum (0 to 6): values are rounded to 10^−decimals before summing. */
  readonly decimals: number;
  readonly mechanism: DpMechanism;
}

function invalid(field: string, value: unknown, rule: string): never {
  throw new MeridianError('MER_DP_INVALID_OPTION', `${field} ${rule}, not ${String(value)}`, { field, value });
}

function wholeIn(field: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    invalid(field, value, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function checkMechanism(mechanism: DpMechanism): void {
  wholeIn('mechanism.epsilonMicros', mechanism.epsilonMicros, 1, EPSILON_MICROS_MAX);
  if (mechanism.kind === 'gaussian') {
    wholeIn('mechanism.deltaPicos', mechanism.deltaPicos, 1, PICO_DELTA_PER_DELTA - 1);
  } else if (mechanism.kind !== 'laplace') {
    invalid('mechanism.kind', (mechanism as { kind: unknown }).kind, "must be 'laplace' or 'gaussian'");
  }
}

/** The discrete Laplace scale Δ/ε as an exact rational (ε in micro-ε). */
export function laplaceScale(epsilonMicros: number, sensitivity: number): Rational {
  wholeIn('epsilonMicros', epsilonMicros, 1, EPSILON_MICROS_MAX);
  wholeIn('sensitivity', sensitivity, 1, SENSITIVITY_MAX);
  return rational(BigInt(sensitivity) * BigInt(MICRO_EPSILON_PER_EPSILON), BigInt(epsilonMicros));
}

/** σ² of the discrete Gaussian that is (ε, δ)-DP at L2 sensitivity Δ via zCDP, rounded up to a multiple of 2^−20. */
export function gaussianSigmaSquared(epsilonMicros: number, deltaPicos: number, sensitivity: number): Rational {
  wholeIn('epsilonMicros', epsilonMicros, 1, EPSILON_MICROS_MAX);
  wholeIn('deltaPicos', deltaPicos, 1, PICO_DELTA_PER_DELTA - 1);
  wholeIn('sensitivity', sensitivity, 1, SENSITIVITY_MAX);
  const epsilon = epsilonMicros / MICRO_EPSILON_PER_EPSILON;
  const logInverseDelta = Math.log(PICO_DELTA_PER_DELTA / deltaPicos);
  // ε = ρ + 2√(ρL) solved for √ρ = √(L+ε) − √L, written without cancellation.
  const rootRho = epsilon / (Math.sqrt(logInverseDelta + epsilon) + Math.sqrt(logInverseDelta));
  const sigmaSquared = (sensitivity * sensitivity) / (2 * rootRho * rootRho);
  const scaled = Math.ceil(sigmaSquared * SIGMA_SQUARED_DENOMINATOR * (1 + SIGMA_SQUARED_MARGIN));
  return rational(BigInt(scaled), BigInt(SIGMA_SQUARED_DENOMINATOR));
}

function toSafeNumber(n: bigint, what: string): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MeridianError('MER_DP_INVALID_OPTION', `${what} ${n} is beyond the safe integer range`, { what });
  }
  return Number(n);
}

/** Adds discrete Laplace or Gaussian noise to an integer answer of the given sensitivity (in the same units). */
export function addDiscreteNoise(
  value: number,
  options: { readonly mechanism: DpMechanism; readonly sensitivity: number },
  random: RandomBytes,
): NoisyRelease {
  if (!Number.isSafeInteger(value)) invalid('value', value, 'must be a safe integer');
  const { mechanism, sensitivity } = options;
  checkMechanism(mechanism);
  const draws = new RandomDraws(random);
  const noise =
    mechanism.kind === 'laplace'
      ? sampleDiscreteLaplace(draws, laplaceScale(mechanism.epsilonMicros, sensitivity))
      : sampleDiscreteGaussian(draws, gaussianSigmaSquared(mechanism.epsilonMicros, mechanism.deltaPicos, sensitivity));
  return {
    value: toSafeNumber(BigInt(value) + noise, 'noisy value'),
    cost: {
      epsilonMicros: mechanism.epsilonMicros,
      deltaPicos: mechanism.kind === 'gaussian' ? mechanism.deltaPicos : 0,
    },
  };
}

/** A differentially private count (sensitivity 1); the noisy value may be negative (clamping it is safe post-processing). */
export function dpCount(count: number, mechanism: DpMechanism, random: RandomBytes): NoisyRelease {
  if (!Number.isSafeInteger(count) || count < 0) invalid('count', count, 'must be a whole number ≥ 0');
  return addDiscreteNoise(count, { mechanism, sensitivity: 1 }, random);
}

/** A differentially private sum of values clamped to [lower, upper], in fixed point with `decimals` decimals. */
export function dpClampedSum(values: ArrayLike<number>, options: ClampedSumOptions, random: RandomBytes): NoisyRelease {
  const { lower, upper, decimals, mechanism } = options;
  wholeIn('decimals', decimals, 0, SUM_DECIMALS_MAX);
  if (!Number.isFinite(lower)) invalid('lower', lower, 'must be a finite number');
  if (!Number.isFinite(upper) || upper < lower) invalid('upper', upper, `must be a finite number ≥ lower (${lower})`);
  const quantum = 10 ** decimals;
  const lowerUnits = Math.round(lower * quantum);
  const upperUnits = Math.round(upper * quantum);
  const sensitivity = Math.max(Math.abs(lowerUnits), Math.abs(upperUnits), 1);
  if (sensitivity > SENSITIVITY_MAX) {
    invalid(
      'upper',
      upper,
      `with lower ${lower} and ${decimals} decimals must give a sensitivity ≤ ${SENSITIVITY_MAX} units`,
    );
  }
  if (values.length * sensitivity > Number.MAX_SAFE_INTEGER) {
    invalid('values.length', values.length, 'times the sensitivity must stay within the safe integer range');
  }
  let sumUnits = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) invalid(`values[${i}]`, v, 'must be a finite number');
    sumUnits += Math.min(upperUnits, Math.max(lowerUnits, Math.round(v * quantum)));
  }
  const noisy = addDiscreteNoise(sumUnits, { mechanism, sensitivity }, random);
  return { value: noisy.value / quantum, cost: noisy.cost };
}
