/**
 * The numeric helpers under the fits: Cholesky solve and inverse on random symmetric positive-definite
 * matrices (A·x = b and A·A⁻¹ = I), pivot detection naming the aliased column, and the distribution
 * helpers against textbook values (t quantiles, chi-square tails, log Γ).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  chiSquareUpperP,
  logGamma,
  normalCriticalValue,
  normalTwoSidedP,
  tCriticalValue,
  tTwoSidedP,
} from '../../src/analytics/index.ts';
import { cholesky, choleskyInverse, choleskySolve } from '../../src/analytics/linalg.ts';
import { isMeridianError } from '../../src/errors/registry.ts';
import { normal, seeded } from './helpers.ts';

test('Cholesky solve and inverse on random SPD matrices: A·x = b and A·A⁻¹ = I', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 12 }), fc.integer(), (p, seed) => {
      const random = seeded(seed);
      const b = Array.from({ length: p * p }, () => normal(random));
      const a = new Float64Array(p * p);
      for (let i = 0; i < p; i++)
        for (let j = 0; j < p; j++) {
          let s = i === j ? 1 : 0;
          for (let k = 0; k < p; k++) s += (b[k * p + i] as number) * (b[k * p + j] as number);
          a[i * p + j] = s;
        }
      const rhs = Array.from({ length: p }, () => normal(random));
      const factor = cholesky(a, p);
      const x = choleskySolve(factor, rhs);
      const inverse = choleskyInverse(factor);
      for (let i = 0; i < p; i++) {
        let ax = 0;
        for (let k = 0; k < p; k++) ax += (a[i * p + k] as number) * (x[k] as number);
        assert.ok(Math.abs(ax - (rhs[i] as number)) < 1e-8 * (1 + Math.abs(rhs[i] as number)), `row ${i} of A·x`);
        for (let j = 0; j < p; j++) {
          let product = 0;
          for (let k = 0; k < p; k++) product += (a[i * p + k] as number) * (inverse[k * p + j] as number);
          assert.ok(Math.abs(product - (i === j ? 1 : 0)) < 1e-8, `A·A⁻¹[${i}][${j}] = ${product}`);
        }
      }
    }),
    { numRuns: 200 },
  );
});

test('a column that is a combination of earlier ones is named; so is a zero column', () => {
  const x = [
    [1, 2, 3],
    [1, 0, 1],
    [1, 5, 6],
    [1, 1, 2],
  ];
  const a = new Float64Array(9);
  for (const row of x)
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) a[i * 3 + j] = (a[i * 3 + j] as number) + (row[i] as number) * (row[j] as number);
  assert.throws(
    () => cholesky(a, 3, ['one', 'u', 'u plus one']),
    (e: unknown) => isMeridianError(e, 'MER_ANALYTICS_SINGULAR') && /u plus one/.test(e.message),
  );
  assert.throws(
    () => cholesky(Float64Array.from([1, 0, 0, 0]), 2, ['a', 'empty']),
    (e: unknown) => isMeridianError(e, 'MER_ANALYTICS_SINGULAR') && /empty has no weight/.test(e.message),
  );
});

test('distribution helpers match textbook values', () => {
  assert.ok(Math.abs(normalCriticalValue(0.95) - 1.959963984540054) < 1e-12);
  assert.ok(Math.abs(tCriticalValue(0.95, 18) - 2.10092204024096) < 1e-9);
  assert.ok(Math.abs(tCriticalValue(0.95, 1) - 12.7062047361747) < 1e-8);
  assert.ok(Math.abs(tCriticalValue(0.99, 5) - 4.03214298355523) < 1e-8);
  assert.ok(Math.abs(normalTwoSidedP(1.959963984540054) - 0.05) < 1e-12);
  assert.ok(Math.abs(tTwoSidedP(2.10092204024096, 18) - 0.05) < 1e-9);
  assert.ok(Math.abs(chiSquareUpperP(3.841458820694124, 1) - 0.05) < 1e-12);
  assert.ok(Math.abs(chiSquareUpperP(5.991464547107979, 2) - 0.05) < 1e-12);
  assert.ok(Math.abs(chiSquareUpperP(7.814727903251178, 3) - 0.05) < 1e-9);
  assert.ok(chiSquareUpperP(400, 1) > 0, 'closed forms keep tiny p-values above 0');
  assert.equal(logGamma(1), 0);
  assert.equal(logGamma(2), 0);
  assert.ok(Math.abs(logGamma(10) - Math.log(362880)) < 1e-12);
  assert.ok(Math.abs(logGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-13);
  assert.ok(Math.abs(logGamma(101) - 363.73937555556347) < 1e-9);
  assert.throws(
    () => logGamma(0),
    (e: unknown) => isMeridianError(e, 'MER_ANALYTICS_INVALID_INPUT'),
  );
});
