/**
 * The exact CKS samplers against their theoretical distributions, 100k samples each from a seeded byte
 * source: mean and variance within 5 standard errors (computed from the theoretical fourth moment), P(0) of
 * the discrete Laplace, and a chi-square goodness-of-fit test on the whole histogram.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import {
  bernoulliExp,
  sampleDiscreteGaussian,
  sampleDiscreteLaplace,
} from '../../../src/federation/disclosure/discrete-samplers.ts';
import { RandomDraws, seededRandomBytes } from '../../../src/federation/disclosure/random-source.ts';
import type { Rational } from '../../../src/federation/disclosure/rational.ts';

const SAMPLES = 100_000;
const SUPPORT = 200; // |x| beyond this has probability far below 1e-12 for the scales used

/** Normalized pmf over [-SUPPORT, SUPPORT] from an unnormalized weight. */
function pmf(weight: (x: number) => number): Map<number, number> {
  const out = new Map<number, number>();
  let total = 0;
  for (let x = -SUPPORT; x <= SUPPORT; x++) total += weight(x);
  for (let x = -SUPPORT; x <= SUPPORT; x++) out.set(x, weight(x) / total);
  return out;
}

function moment(p: Map<number, number>, k: number): number {
  let m = 0;
  for (const [x, px] of p) m += x ** k * px;
  return m;
}

/** Checks mean, variance and a chi-square fit (cells with expected count ≥ 5, tails pooled). */
function checkAgainst(samples: readonly number[], p: Map<number, number>, label: string): void {
  const n = samples.length;
  const mean = samples.reduce((s, x) => s + x, 0) / n;
  const second = samples.reduce((s, x) => s + x * x, 0) / n;
  const variance = moment(p, 2);
  const meanSe = Math.sqrt(variance / n);
  const secondSe = Math.sqrt((moment(p, 4) - variance * variance) / n);
  assert.ok(Math.abs(mean) < 5 * meanSe, `${label}: mean ${mean} is not within 5 SE (${meanSe}) of 0`);
  assert.ok(
    Math.abs(second - variance) < 5 * secondSe,
    `${label}: variance ${second} is not within 5 SE (${secondSe}) of ${variance}`,
  );
  const observed = new Map<number, number>();
  for (const x of samples) observed.set(x, (observed.get(x) ?? 0) + 1);
  let chi = 0;
  let cells = 0;
  let tailExpected = 0;
  let tailObserved = 0;
  for (const [x, px] of p) {
    const expected = px * n;
    if (expected >= 5) {
      chi += ((observed.get(x) ?? 0) - expected) ** 2 / expected;
      cells++;
    } else {
      tailExpected += expected;
      tailObserved += observed.get(x) ?? 0;
    }
  }
  chi += (tailObserved - tailExpected) ** 2 / tailExpected;
  const pValue = 1 - chisquareCdf(chi, cells);
  assert.ok(pValue > 1e-4, `${label}: chi-square ${chi} on ${cells} df, p = ${pValue}`);
}

function draw(seed: string, count: number, sampler: (d: RandomDraws) => bigint): number[] {
  const d = new RandomDraws(seededRandomBytes(seed));
  return Array.from({ length: count }, () => Number(sampler(d)));
}

test('Bernoulli(exp(−γ)) hits exp(−γ) for γ below and above 1', () => {
  for (const gamma of [
    { num: 0n, den: 1n },
    { num: 1n, den: 3n },
    { num: 7n, den: 4n },
    { num: 5n, den: 1n },
  ] satisfies Rational[]) {
    const d = new RandomDraws(seededRandomBytes(`bern-${gamma.num}/${gamma.den}`));
    const n = 50_000;
    let hits = 0;
    for (let i = 0; i < n; i++) if (bernoulliExp(d, gamma)) hits++;
    const p = Math.exp(-Number(gamma.num) / Number(gamma.den));
    const se = Math.sqrt((p * (1 - p)) / n) || 1e-9;
    assert.ok(Math.abs(hits / n - p) <= 5 * se, `γ = ${gamma.num}/${gamma.den}: ${hits / n} vs ${p}`);
  }
});

test('discrete Laplace, scale 3: mean, variance 2q/(1−q)², P(0) = (1−q)/(1+q) and the histogram', () => {
  const samples = draw('laplace-3', SAMPLES, (d) => sampleDiscreteLaplace(d, { num: 3n, den: 1n }));
  const q = Math.exp(-1 / 3);
  const p = pmf((x) => q ** Math.abs(x));
  assert.ok(Math.abs(moment(p, 2) - (2 * q) / (1 - q) ** 2) < 1e-9, 'the reference pmf has the closed-form variance');
  checkAgainst(samples, p, 'Lap_Z(3)');
  const p0 = (1 - q) / (1 + q);
  const zeros = samples.filter((x) => x === 0).length / SAMPLES;
  assert.ok(Math.abs(zeros - p0) < 5 * Math.sqrt((p0 * (1 - p0)) / SAMPLES), `P(0) ${zeros} vs ${p0}`);
});

test('discrete Laplace with a fractional scale 5/2 (the s > 1 branch)', () => {
  const samples = draw('laplace-5/2', SAMPLES, (d) => sampleDiscreteLaplace(d, { num: 5n, den: 2n }));
  const q = Math.exp(-2 / 5);
  checkAgainst(
    samples,
    pmf((x) => q ** Math.abs(x)),
    'Lap_Z(5/2)',
  );
  const p0 = (1 - q) / (1 + q);
  const zeros = samples.filter((x) => x === 0).length / SAMPLES;
  assert.ok(Math.abs(zeros - p0) < 5 * Math.sqrt((p0 * (1 - p0)) / SAMPLES), `P(0) ${zeros} vs ${p0}`);
});

test('discrete Gaussian, σ² = 21/2: mean, variance and the histogram', () => {
  const sigma2 = 10.5;
  const samples = draw('gauss-10.5', SAMPLES, (d) => sampleDiscreteGaussian(d, { num: 21n, den: 2n }));
  const p = pmf((x) => Math.exp(-(x * x) / (2 * sigma2)));
  assert.ok(Math.abs(moment(p, 2) - sigma2) < 1e-9, 'for σ ≥ 1 the discrete variance is σ² to many digits (CKS)');
  checkAgainst(samples, p, 'N_Z(0, 10.5)');
});

test('discrete Gaussian with a small σ² = 1/4 (t = 1)', () => {
  const samples = draw('gauss-0.25', SAMPLES, (d) => sampleDiscreteGaussian(d, { num: 1n, den: 4n }));
  checkAgainst(
    samples,
    pmf((x) => Math.exp(-(x * x) / 0.5)),
    'N_Z(0, 1/4)',
  );
});

test('a seeded source replays; another seed does not', () => {
  const a = draw('same', 200, (d) => sampleDiscreteLaplace(d, { num: 10n, den: 1n }));
  const b = draw('same', 200, (d) => sampleDiscreteLaplace(d, { num: 10n, den: 1n }));
  const c = draw('other', 200, (d) => sampleDiscreteLaplace(d, { num: 10n, den: 1n }));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('control: the same checks reject samples of a slightly different scale', () => {
  const samples = draw('laplace-3', SAMPLES, (d) => sampleDiscreteLaplace(d, { num: 3n, den: 1n }));
  const q = Math.exp(-1 / 3.3);
  assert.throws(
    () =>
      checkAgainst(
        samples,
        pmf((x) => q ** Math.abs(x)),
        'Lap_Z(3) as Lap_Z(3.3)',
      ),
    /SE|chi-square/,
  );
});
