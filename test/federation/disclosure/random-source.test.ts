/** Exact uniform draws from bytes: no modulo bias at awkward bounds, bigint ranges, doubles strictly inside (0, 1). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import fc from 'fast-check';
import { cryptoRandomBytes, RandomDraws, seededRandomBytes } from '../../../src/federation/disclosure/random-source.ts';
import { exactRational, floorSqrt, isqrt } from '../../../src/federation/disclosure/rational.ts';

test('uniformInt(n) is uniform for a bound that is not a power of two (chi-square)', () => {
  const d = new RandomDraws(seededRandomBytes('uniform'));
  const n = 6;
  const counts = new Array<number>(n).fill(0);
  const samples = 60_000;
  for (let i = 0; i < samples; i++) {
    const k = d.uniformInt(n);
    counts[k] = (counts[k] as number) + 1;
  }
  const expected = samples / n;
  const chi = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  assert.ok(1 - chisquareCdf(chi, n - 1) > 1e-4, `chi-square ${chi}`);
});

test('uniformBigInt covers a 41-bit range with the right mean; bernoulli hits num/den', () => {
  const d = new RandomDraws(seededRandomBytes('bigint'));
  const n = 3n * 2n ** 40n;
  let sum = 0;
  const samples = 20_000;
  for (let i = 0; i < samples; i++) {
    const v = d.uniformBigInt(n);
    assert.ok(v >= 0n && v < n);
    sum += Number(v) / Number(n);
  }
  // mean of U(0,1) is 1/2 with SE √(1/12/n)
  assert.ok(Math.abs(sum / samples - 0.5) < 5 * Math.sqrt(1 / 12 / samples));
  let hits = 0;
  for (let i = 0; i < samples; i++) if (d.bernoulli(3n, 7n)) hits++;
  const p = 3 / 7;
  assert.ok(Math.abs(hits / samples - p) < 5 * Math.sqrt((p * (1 - p)) / samples));
});

test('uniformOpen stays strictly inside (0, 1); the crypto source gives fresh bytes', () => {
  const d = new RandomDraws(cryptoRandomBytes);
  for (let i = 0; i < 10_000; i++) {
    const u = d.uniformOpen();
    assert.ok(u > 0 && u < 1);
  }
  assert.notDeepEqual(cryptoRandomBytes(32), cryptoRandomBytes(32));
});

test('property: exactRational is exact and floorSqrt is the integer square root', () => {
  fc.assert(
    fc.property(fc.double({ min: -1e12, max: 1e12, noNaN: true }), (x) => {
      const r = exactRational(x);
      assert.ok(r.den > 0n && (r.den & (r.den - 1n)) === 0n, 'a double has a power-of-two denominator');
      assert.ok(r.num % 2n !== 0n || r.den === 1n, 'in lowest terms');
      // num < 2^53 and den a power of two: scaling x by den in two exact steps gives num back.
      const half = 2 ** Math.floor(r.den.toString(2).length / 2);
      assert.ok(x * half * Number(r.den / BigInt(half)) === Number(r.num), `${x} → ${r.num}/${r.den}`); // -0 is 0/1
    }),
  );
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.bigInt({ min: 1n, max: 10n ** 6n }), (p, q) => {
      const s = floorSqrt({ num: p, den: q });
      assert.ok(s * s * q <= p && (s + 1n) * (s + 1n) * q > p);
    }),
  );
  assert.equal(isqrt(10n ** 40n), 10n ** 20n);
});
