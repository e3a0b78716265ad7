/**
 * Exact non-negative rationals over bigint for the differential-privacy samplers: their correctness proofs
 * assume exact arithmetic, so parameters are turned into p/q once (every finite double is one exactly) and
 * never touch floating point again.
 */
import assert from 'node:assert/strict';

/** A rational number num/den in lowest terms with den ≥ 1. */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** num/den reduced to lowest terms (den must be positive). */
export function rational(num: bigint, den: bigint): Rational {
  assert.ok(den > 0n, `rational denominator ${den} is not positive`);
  const g = gcd(num, den);
  return g <= 1n ? { num, den } : { num: num / g, den: den / g };
}

/** The exact value of a finite double as a rational (doubles are dyadic, so this is lossless). */
export function exactRational(x: number): Rational {
  assert.ok(Number.isFinite(x), `${x} is not finite`);
  let v = x;
  let den = 1n;
  // A non-integer double is below 2^52 in magnitude, so doubling it is exact until it becomes an integer.
  while (!Number.isInteger(v)) {
    v *= 2;
    den *= 2n;
  }
  return rational(BigInt(v), den);
}

/** ⌊√n⌋ for a non-negative bigint (Newton's method from above). */
export function isqrt(n: bigint): bigint {
  assert.ok(n >= 0n, `isqrt of negative ${n}`);
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** ⌊√r⌋ for a non-negative rational: ⌊√(p/q)⌋ = ⌊√⌊p/q⌋⌋. */
export function floorSqrt(r: Rational): bigint {
  return isqrt(r.num / r.den);
}
