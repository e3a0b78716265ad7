/** SHRINE-style obfuscation: multiples of 5, bounded distortion, "≤ 10" for small results, deterministic with a seed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isMeridianError } from '../../../src/errors/registry.ts';
import { obfuscateCount, obfuscateCounts } from '../../../src/federation/disclosure/obfuscation.ts';
import { seededRandomBytes } from '../../../src/federation/disclosure/random-source.ts';

test('property: a multiple of 5 within clamp + 2 of the count, or "≤ 10" when the result is at most 10', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 100_000 }), fc.string(), (count, seed) => {
      const out = obfuscateCount(count, seededRandomBytes(seed));
      if (typeof out === 'number') {
        assert.equal(out % 5, 0);
        assert.ok(out > 10);
        assert.ok(Math.abs(out - count) <= 12, `${count} → ${out}`);
      } else {
        assert.deepEqual(out, { atMost: 10 });
        assert.ok(count <= 22, `${count} cannot become ≤ 10 with noise clamped at 10`);
      }
    }),
  );
});

test('noise: mean 0 and the spread of a clamped, rounded N(0, 6.5²)', () => {
  const random = seededRandomBytes('shrine');
  const counts = new Array<number>(40_000).fill(1000);
  const out = obfuscateCounts(counts, random, { roundTo: 1 });
  const noise = out.map((o) => (o as number) - 1000);
  assert.ok(
    noise.every((x) => Math.abs(x) <= 10),
    'clamped at ±10',
  );
  const mean = noise.reduce((s, x) => s + x, 0) / noise.length;
  const variance = noise.reduce((s, x) => s + x * x, 0) / noise.length;
  // Reference variance of round(6.5 Z) clamped to ±10, by numerical integration of the normal density.
  let reference = 0;
  for (let k = -10; k <= 10; k++) {
    const lo = k === -10 ? -50 : (k - 0.5) / 6.5;
    const hi = k === 10 ? 50 : (k + 0.5) / 6.5;
    let p = 0;
    const steps = 2000;
    for (let i = 0; i < steps; i++) {
      const z = lo + ((i + 0.5) * (hi - lo)) / steps;
      p += (Math.exp(-(z * z) / 2) / Math.sqrt(2 * Math.PI)) * ((hi - lo) / steps);
    }
    reference += k * k * p;
  }
  assert.ok(Math.abs(mean) < 0.15, `mean ${mean}`);
  assert.ok(Math.abs(variance / reference - 1) < 0.03, `variance ${variance} vs ${reference}`);
  assert.ok(reference < 6.5 * 6.5, 'clamping shrinks the variance below σ²');
});

test('the same seed gives the same obfuscation; parameters are configurable', () => {
  const a = obfuscateCounts([40, 41, 42, 300], seededRandomBytes('s'));
  const b = obfuscateCounts([40, 41, 42, 300], seededRandomBytes('s'));
  assert.deepEqual(a, b);
  const exact = obfuscateCounts([3, 40], seededRandomBytes('s'), { sigma: 1e-9, clamp: 0, roundTo: 1, floor: 5 });
  assert.deepEqual(exact, [{ atMost: 5 }, 40]);
});

test('bad options and counts are refused with the field named', () => {
  const random = seededRandomBytes('x');
  assert.throws(
    () => obfuscateCount(-1, random),
    (e) => isMeridianError(e, 'MER_DISCLOSURE_INVALID_INPUT') && /count.*-1/.test(e.message),
  );
  assert.throws(
    () => obfuscateCounts([1, 2.5], random),
    (e) => isMeridianError(e, 'MER_DISCLOSURE_INVALID_INPUT') && /counts\[1\]/.test(e.message),
  );
  assert.throws(
    () => obfuscateCount(1, random, { sigma: 0 }),
    (e) => isMeridianError(e, 'MER_DISCLOSURE_INVALID_OPTION') && /sigma/.test(e.message),
  );
  assert.throws(
    () => obfuscateCount(1, random, { roundTo: 0 }),
    (e) => isMeridianError(e, 'MER_DISCLOSURE_INVALID_OPTION') && /roundTo/.test(e.message),
  );
});
