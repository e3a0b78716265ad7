/** Fixed-point encoding mod 2^64: round trip within half a unit, exact wrapping sums, and clear range errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isMeridianError } from '../../../src/errors/registry.ts';
import { decodeFixedPoint, encodeFixedPoint, fixedPoint } from '../../../src/federation/secure-agg/fixed-point.ts';

test('property: decode(encode(v)) is v rounded to 2^−k', () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true })),
      fc.integer({ min: 0, max: 30 }),
      (values, k) => {
        const back = decodeFixedPoint(encodeFixedPoint(values, { fractionBits: k }), { fractionBits: k });
        for (const [i, v] of values.entries()) {
          assert.ok(Math.abs((back[i] as number) - v) <= 2 ** -(k + 1), `${v} → ${back[i]}`);
        }
      },
    ),
  );
});

test('property: the sum of encodings mod 2^64 decodes to the sum of the rounded values, signs included', () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 64 }),
      (values) => {
        const encoded = encodeFixedPoint(values);
        let sum = 0n;
        let exact = 0n;
        for (let i = 0; i < values.length; i++) {
          sum = BigInt.asUintN(64, sum + (encoded[i] as bigint));
          exact += BigInt(Math.round((values[i] as number) * 2 ** 24));
        }
        assert.equal(BigInt.asIntN(64, sum), exact);
      },
    ),
  );
});

test('the range shrinks with participants so that a full sum cannot wrap', () => {
  const fp = fixedPoint({ fractionBits: 24, participantsMax: 64 });
  assert.ok(fp.valueMax * 2 ** 24 <= Number(fp.unitsMax));
  const n = 64;
  const top = encodeFixedPoint(new Array<number>(n).fill(fp.valueMax));
  const bottom = encodeFixedPoint(new Array<number>(n).fill(-fp.valueMax));
  let high = 0n;
  let low = 0n;
  for (let i = 0; i < n; i++) {
    high = BigInt.asUintN(64, high + (top[i] as bigint));
    low = BigInt.asUintN(64, low + (bottom[i] as bigint));
  }
  assert.ok(BigInt.asIntN(64, high) > 0n && BigInt.asIntN(64, low) < 0n, 'the extreme sums keep their sign');
  assert.equal(decodeFixedPoint(new BigUint64Array([high]))[0], fp.valueMax * n);
});

test('out-of-range and non-finite values are refused naming the index; clip clips instead', () => {
  const fp = fixedPoint();
  assert.throws(
    () => encodeFixedPoint([0, fp.valueMax * 2]),
    (e) => isMeridianError(e, 'MER_SECAGG_OVERFLOW') && /values\[1\].*outside ±/.test(e.message),
  );
  assert.throws(
    () => encodeFixedPoint([Number.POSITIVE_INFINITY]),
    (e) => isMeridianError(e, 'MER_SECAGG_OVERFLOW') && /values\[0\] is Infinity/.test(e.message),
  );
  assert.deepEqual([...decodeFixedPoint(encodeFixedPoint([5, -1e300, 0.5], { clip: 1 }))], [1, -1, 0.5]);
  assert.throws(
    () => fixedPoint({ fractionBits: 60 }),
    (e) => isMeridianError(e, 'MER_SECAGG_INVALID_INPUT') && /fractionBits/.test(e.message),
  );
  assert.throws(
    () => fixedPoint({ participantsMax: 1 }),
    (e) => isMeridianError(e, 'MER_SECAGG_INVALID_INPUT') && /participantsMax/.test(e.message),
  );
  assert.throws(
    () => fixedPoint({ clip: -1 }),
    (e) => isMeridianError(e, 'MER_SECAGG_INVALID_INPUT') && /clip/.test(e.message),
  );
});
