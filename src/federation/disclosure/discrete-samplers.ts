/**
 * Exact samplers of Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy" (NeurIPS
 * 2020), Algorithms 1–3: Bernoulli(exp(−γ)), the discrete Laplace and the discrete Gaussian, using only
 * rational arithmetic and uniform random integers. No floating point touches a sample, so the output
 * distribution is exactly the one the privacy proof assumes (floating-point Laplace samplers are not:
 * Mironov 2012).
 */
import assert from 'node:assert/strict';
import type { RandomDraws } from './random-source.ts';
import { floorSqrt, type Rational, rational } from './rational.ts';

/** Iteration bound of the rejection loops: each accepts with probability above ~0.2, so reaching it means a broken source. */
const REJECTION_ROUNDS_MAX = 1_000_000;

const ONE: Rational = { num: 1n, den: 1n };

/** Bernoulli(exp(−γ)) for a rational γ ≥ 0, exactly (CKS Algorithm 1). */
export function bernoulliExp(draws: RandomDraws, gamma: Rational): boolean {
  assert.ok(gamma.num >= 0n, `bernoulliExp: γ ${gamma.num}/${gamma.den} is negative`);
  if (gamma.num <= gamma.den) {
    // γ ∈ [0, 1]: K is the first k with A_k = 0 for A_k ~ Bernoulli(γ/k); P(K odd) = exp(−γ).
    let k = 1n;
    for (let i = 0; i < REJECTION_ROUNDS_MAX; i++) {
      if (!draws.bernoulli(gamma.num, gamma.den * k)) return k % 2n === 1n;
      k += 1n;
    }
    assert.fail('bernoulliExp did not stop: the random source is broken');
  }
  const whole = gamma.num / gamma.den;
  for (let i = 0n; i < whole; i++) {
    if (!bernoulliExp(draws, ONE)) return false;
  }
  return bernoulliExp(draws, rational(gamma.num - whole * gamma.den, gamma.den));
}

/** One sample of the discrete Laplace with P(x) ∝ exp(−|x|/scale), scale a positive rational (CKS Algorithm 2). */
export function sampleDiscreteLaplace(draws: RandomDraws, scale: Rational): bigint {
  assert.ok(scale.num > 0n, `discrete Laplace scale ${scale.num}/${scale.den} is not positive`);
  // Lap_Z(t/s) with t = scale.num, s = scale.den.
  const t = scale.num;
  const s = scale.den;
  for (let round = 0; round < REJECTION_ROUNDS_MAX; round++) {
    const u = draws.uniformBigInt(t);
    if (!bernoulliExp(draws, rational(u, t))) continue;
    let v = 0n;
    while (bernoulliExp(draws, ONE)) v += 1n;
    const x = u + t * v; // geometric with parameter 1 − exp(−1/t)
    const y = x / s; // geometric with parameter 1 − exp(−s/t)
    const negative = draws.bit();
    if (negative && y === 0n) continue;
    return negative ? -y : y;
  }
  assert.fail('sampleDiscreteLaplace did not stop: the random source is broken');
}

/** One sample of the discrete Gaussian with P(x) ∝ exp(−x²/(2σ²)), σ² a positive rational (CKS Algorithm 3). */
export function sampleDiscreteGaussian(draws: RandomDraws, sigmaSquared: Rational): bigint {
  const { num: p, den: q } = sigmaSquared;
  assert.ok(p > 0n, `discrete Gaussian σ² ${p}/${q} is not positive`);
  const t = floorSqrt(sigmaSquared) + 1n;
  const laplaceScale: Rational = { num: t, den: 1n };
  for (let round = 0; round < REJECTION_ROUNDS_MAX; round++) {
    const y = sampleDiscreteLaplace(draws, laplaceScale);
    const abs = y < 0n ? -y : y;
    // (|y| − σ²/t)² / (2σ²) with σ² = p/q is (|y|·q·t − p)² / (2·p·q·t²).
    const diff = abs * q * t - p;
    if (bernoulliExp(draws, rational(diff * diff, 2n * p * q * t * t))) return y;
  }
  assert.fail('sampleDiscreteGaussian did not stop: the random source is broken');
}
