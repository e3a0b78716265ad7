/**
 * Differentially private counts and clamped sums, and the ε/δ budget: noise at the calibrated scale, the
 * (ε, δ) → σ² conversion checked against the zCDP bound, costs in the ledger's micro-ε units, and refusal
 * once the budget is spent.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isMeridianError } from '../../../src/errors/registry.ts';
import {
  addDiscreteNoise,
  dpClampedSum,
  dpCount,
  gaussianSigmaSquared,
  laplaceScale,
} from '../../../src/federation/disclosure/dp-mechanisms.ts';
import { charge, PICO_DELTA_PER_DELTA, remainingBudget } from '../../../src/federation/disclosure/privacy-budget.ts';
import { seededRandomBytes } from '../../../src/federation/disclosure/random-source.ts';
import type { BudgetRecord } from '../../../src/ledger/contracts/state.ts';

const refusedWith = (code: string, text: RegExp) => (e: unknown) =>
  isMeridianError(e) && e.code === code && text.test(e.message);

test('laplace scale is Δ/ε exactly in micro-ε', () => {
  assert.deepEqual(laplaceScale(500_000, 1), { num: 2n, den: 1n });
  assert.deepEqual(laplaceScale(300_000, 2), { num: 20n, den: 3n });
});

test('a DP count: noise variance matches the discrete Laplace at scale 1/ε; cost is ε, δ 0', () => {
  const random = seededRandomBytes('dp-count');
  const n = 20_000;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < n; i++) {
    const r = dpCount(1000, { kind: 'laplace', epsilonMicros: 500_000 }, random);
    assert.deepEqual(r.cost, { epsilonMicros: 500_000, deltaPicos: 0 });
    sum += r.value - 1000;
    sumSquares += (r.value - 1000) ** 2;
  }
  const q = Math.exp(-0.5);
  const variance = (2 * q) / (1 - q) ** 2;
  assert.ok(Math.abs(sum / n) < 5 * Math.sqrt(variance / n), `mean noise ${sum / n}`);
  assert.ok(Math.abs(sumSquares / n / variance - 1) < 0.08, `noise variance ${sumSquares / n} vs ${variance}`);
});

test('(ε, δ) → σ²: the zCDP bound ρ + 2√(ρ ln 1/δ) at the rounded σ² stays within ε, and is tight', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 10_000, max: 5_000_000 }),
      fc.integer({ min: 1, max: 1_000_000_000 }),
      fc.integer({ min: 1, max: 1000 }),
      (epsilonMicros, deltaPicos, sensitivity) => {
        const s2 = gaussianSigmaSquared(epsilonMicros, deltaPicos, sensitivity);
        const sigmaSquared = Number(s2.num) / Number(s2.den);
        const rho = (sensitivity * sensitivity) / (2 * sigmaSquared);
        const log = Math.log(PICO_DELTA_PER_DELTA / deltaPicos);
        const epsilon = rho + 2 * Math.sqrt(rho * log);
        assert.ok(epsilon <= epsilonMicros / 1e6, `ε ${epsilon} exceeds ${epsilonMicros / 1e6}`);
        assert.ok(epsilon > (epsilonMicros / 1e6) * (1 - 1e-6), 'σ² is not needlessly large');
      },
    ),
  );
});

test('a DP count with the discrete Gaussian: variance σ², cost ε and δ', () => {
  const random = seededRandomBytes('dp-gauss');
  const mechanism = { kind: 'gaussian', epsilonMicros: 1_000_000, deltaPicos: 1_000_000 } as const; // ε 1, δ 1e-6
  const s2 = gaussianSigmaSquared(1_000_000, 1_000_000, 1);
  const sigmaSquared = Number(s2.num) / Number(s2.den);
  const n = 20_000;
  let sumSquares = 0;
  for (let i = 0; i < n; i++) {
    const r = dpCount(50, mechanism, random);
    sumSquares += (r.value - 50) ** 2;
    assert.deepEqual(r.cost, { epsilonMicros: 1_000_000, deltaPicos: 1_000_000 });
  }
  // Var(X²) = 2σ⁴ for a Gaussian: 5 SE of the mean square is 5σ²√(2/n).
  assert.ok(
    Math.abs(sumSquares / n - sigmaSquared) < 5 * sigmaSquared * Math.sqrt(2 / n),
    `${sumSquares / n} vs ${sigmaSquared}`,
  );
});

test('a clamped sum: values clamped to [lower, upper] in fixed point, noise scaled to max(|L|, |U|)', () => {
  const values = [1.234, 250, -4, 7.5];
  const random = seededRandomBytes('sum');
  const n = 4000;
  let total = 0;
  let totalSquares = 0;
  for (let i = 0; i < n; i++) {
    const r = dpClampedSum(
      values,
      { lower: 0, upper: 100, decimals: 1, mechanism: { kind: 'laplace', epsilonMicros: 1_000_000 } },
      random,
    );
    total += r.value;
    totalSquares += r.value * r.value;
  }
  // clamped and rounded: 1.2 + 100 + 0 + 7.5 = 108.7; noise scale Δ/ε = 1000 units of 0.1 = 100
  const mean = total / n;
  const q = Math.exp(-1 / 1000);
  const variance = (2 * q) / (1 - q) ** 2 / 100;
  assert.ok(Math.abs(mean - 108.7) < 5 * Math.sqrt(variance / n), `mean ${mean}`);
  assert.ok(Math.abs((totalSquares / n - mean * mean) / variance - 1) < 0.15);
});

test('bad DP parameters name the field and value', () => {
  const random = seededRandomBytes('bad');
  assert.throws(
    () => dpCount(-1, { kind: 'laplace', epsilonMicros: 1 }, random),
    refusedWith('MER_DP_INVALID_OPTION', /count.*-1/),
  );
  assert.throws(
    () => dpCount(1, { kind: 'laplace', epsilonMicros: 0 }, random),
    refusedWith('MER_DP_INVALID_OPTION', /epsilonMicros.*0/),
  );
  assert.throws(
    () => dpCount(1, { kind: 'gaussian', epsilonMicros: 1, deltaPicos: PICO_DELTA_PER_DELTA }, random),
    refusedWith('MER_DP_INVALID_OPTION', /deltaPicos/),
  );
  assert.throws(
    () =>
      dpClampedSum([1], { lower: 5, upper: 1, decimals: 0, mechanism: { kind: 'laplace', epsilonMicros: 1 } }, random),
    refusedWith('MER_DP_INVALID_OPTION', /upper.*1/),
  );
  assert.throws(
    () =>
      dpClampedSum(
        [1, Number.NaN],
        { lower: 0, upper: 1, decimals: 0, mechanism: { kind: 'laplace', epsilonMicros: 1 } },
        random,
      ),
    refusedWith('MER_DP_INVALID_OPTION', /values\[1\]/),
  );
  assert.throws(
    () => addDiscreteNoise(1.5, { mechanism: { kind: 'laplace', epsilonMicros: 1 }, sensitivity: 1 }, random),
    refusedWith('MER_DP_INVALID_OPTION', /value/),
  );
});

test('budget: charges add exactly in micro-ε and pico-δ, and are refused once either would overspend', () => {
  const ledgerRecord: BudgetRecord = { projectId: 'p1', totalMicros: 1_000_000, spentMicros: 0, grants: [] };
  const first = charge(ledgerRecord, { epsilonMicros: 300_000, deltaPicos: 0 });
  assert.ok(first.ok);
  assert.equal(first.budget.spentMicros, 300_000);
  assert.equal(first.budget.projectId, 'p1', 'a ledger BudgetRecord passes through with its own fields');
  // 0.1 + 0.2 in floating point is not 0.3; in micro-ε it is.
  let b = first.budget;
  for (const c of [100_000, 200_000, 400_000]) {
    const r = charge(b, { epsilonMicros: c, deltaPicos: 0 });
    assert.ok(r.ok);
    b = r.budget;
  }
  assert.deepEqual(remainingBudget(b), { epsilonMicros: 0, deltaPicos: 0 });
  const refused = charge(b, { epsilonMicros: 1, deltaPicos: 0 });
  assert.ok(!refused.ok);
  assert.equal(refused.error.code, 'MER_DP_BUDGET_EXHAUSTED');
  assert.match(refused.error.message, /epsilonMicros 1 exceeds the remaining 0 micro-ε/);

  const withDelta = { totalMicros: 5_000_000, spentMicros: 0, deltaTotalPicos: 1_000_000, deltaSpentPicos: 0 };
  const g = charge(withDelta, { epsilonMicros: 1_000_000, deltaPicos: 600_000 });
  assert.ok(g.ok);
  const again = charge(g.budget, { epsilonMicros: 1_000_000, deltaPicos: 600_000 });
  assert.ok(!again.ok && /deltaPicos 600000 exceeds the remaining 400000 pico-δ/.test(again.error.message));
  const noDelta = charge(ledgerRecord, { epsilonMicros: 1, deltaPicos: 1 });
  assert.ok(!noDelta.ok, 'a budget without δ refuses a Gaussian release');
  assert.throws(
    () => charge({ totalMicros: 1, spentMicros: 2 }, { epsilonMicros: 0, deltaPicos: 0 }),
    refusedWith('MER_DP_INVALID_OPTION', /spends more than it grants/),
  );
});

test('a release then its charge: the cost returned is what the budget takes', () => {
  const budget = { totalMicros: 1_000_000, spentMicros: 0 };
  const release = dpCount(12, { kind: 'laplace', epsilonMicros: 250_000 }, seededRandomBytes('flow'));
  const after = charge(budget, release.cost);
  assert.ok(after.ok);
  assert.equal(after.budget.spentMicros, 250_000);
});
