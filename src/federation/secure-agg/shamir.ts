/**
 * Shamir secret sharing over the prime field GF(2^255 − 19), for the dropout recovery of secure aggregation: a
 * secret (a 255-bit X25519 private scalar or self-mask seed) is the constant term of a random polynomial of
 * degree t − 1; the share of the holder at x is the polynomial's value there. Any t shares give the secret back by
 * Lagrange interpolation at 0; t − 1 shares are consistent with every secret (for each candidate there is exactly
 * one polynomial through it and them), so they say nothing about it. Pure: the random coefficients are passed in.
 */
import { MeridianError } from '../../errors/registry.ts';

/** The field's prime, 2^255 − 19: every 255-bit secret below it is one field element (32 bytes). */
export const SHAMIR_PRIME = (1n << 255n) - 19n;

/** Largest threshold and largest x (one share per hospital; a task has at most 64). */
export const SHAMIR_SHARES_MAX = 255;

/** One share: the holder's x (1 … 255) and the polynomial's value there. */
export interface ShamirShare {
  readonly x: number;
  readonly y: bigint;
}

function invalid(field: string, value: unknown, rule: string): never {
  throw new MeridianError('MER_SECAGG_INVALID_INPUT', `${field} ${rule}, not ${String(value)}`, { field });
}

function mod(a: bigint): bigint {
  const r = a % SHAMIR_PRIME;
  return r < 0n ? r + SHAMIR_PRIME : r;
}

function power(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % SHAMIR_PRIME;
    b = (b * b) % SHAMIR_PRIME;
    e >>= 1n;
  }
  return result;
}

function checkElement(field: string, v: bigint): bigint {
  if (typeof v !== 'bigint' || v < 0n || v >= SHAMIR_PRIME) invalid(field, v, 'must be a field element in [0, p)');
  return v;
}

function checkXs(field: string, xs: readonly number[]): void {
  const seen = new Set<number>();
  xs.forEach((x, i) => {
    if (!Number.isInteger(x) || x < 1 || x > SHAMIR_SHARES_MAX || seen.has(x)) {
      invalid(`${field}[${i}]`, x, `must be a distinct whole number from 1 to ${SHAMIR_SHARES_MAX}`);
    }
    seen.add(x);
  });
}

/** A field element from 32 little-endian bytes, or undefined when they are not below p (the caller draws again). */
export function fieldElementFromBytes(bytes: Uint8Array): bigint | undefined {
  if (bytes.length !== 32) invalid('bytes.length', bytes.length, 'must be 32');
  let v = 0n;
  for (let i = 31; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i] as number);
  return v < SHAMIR_PRIME ? v : undefined;
}

/** The 32 little-endian bytes of a field element (what travels, and an X25519 scalar's raw form). */
export function fieldElementToBytes(v: bigint): Buffer {
  checkElement('value', v);
  const out = Buffer.alloc(32);
  let r = v;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(r & 0xffn);
    r >>= 8n;
  }
  return out;
}

/**
 * Splits `secret` into one share per x: the polynomial secret + c_1·x + … + c_{t−1}·x^{t−1} with the given
 * coefficients (t − 1 uniform field elements, drawn by the caller), evaluated at each x.
 */
export function shamirSplit(opts: {
  secret: bigint;
  coefficients: readonly bigint[];
  xs: readonly number[];
}): ShamirShare[] {
  checkElement('secret', opts.secret);
  const threshold = opts.coefficients.length + 1;
  if (threshold < 2 || threshold > SHAMIR_SHARES_MAX) {
    invalid('coefficients.length', opts.coefficients.length, `must give a threshold from 2 to ${SHAMIR_SHARES_MAX}`);
  }
  for (const [i, c] of opts.coefficients.entries()) checkElement(`coefficients[${i}]`, c);
  checkXs('xs', opts.xs);
  if (opts.xs.length < threshold) invalid('xs.length', opts.xs.length, `must be at least the threshold ${threshold}`);
  const polynomial = [opts.secret, ...opts.coefficients];
  return opts.xs.map((x) => {
    let y = 0n;
    for (let k = polynomial.length - 1; k >= 0; k--) y = (y * BigInt(x) + (polynomial[k] as bigint)) % SHAMIR_PRIME;
    return { x, y };
  });
}

/** The polynomial through `shares` (distinct x) evaluated at `at`, by Lagrange interpolation. */
export function shamirInterpolate(shares: readonly ShamirShare[], at: bigint): bigint {
  if (shares.length < 1 || shares.length > SHAMIR_SHARES_MAX) {
    invalid('shares.length', shares.length, `must be from 1 to ${SHAMIR_SHARES_MAX}`);
  }
  checkXs(
    'shares.x',
    shares.map((s) => s.x),
  );
  for (const [i, s] of shares.entries()) checkElement(`shares[${i}].y`, s.y);
  let result = 0n;
  for (const [i, si] of shares.entries()) {
    let numerator = 1n;
    let denominator = 1n;
    for (const [j, sj] of shares.entries()) {
      if (i === j) continue;
      numerator = mod(numerator * (at - BigInt(sj.x)));
      denominator = mod(denominator * BigInt(si.x - sj.x));
    }
    result = mod(result + si.y * numerator * power(denominator, SHAMIR_PRIME - 2n));
  }
  return result;
}

/** The secret of at least `threshold` shares (more are fine when they are consistent); fewer are refused. */
export function shamirCombine(shares: readonly ShamirShare[], threshold: number): bigint {
  if (!Number.isInteger(threshold) || threshold < 2 || threshold > SHAMIR_SHARES_MAX) {
    invalid('threshold', threshold, `must be a whole number from 2 to ${SHAMIR_SHARES_MAX}`);
  }
  if (shares.length < threshold) {
    throw new MeridianError(
      'MER_SECAGG_RECOVERY_FAILED',
      `${shares.length} shares cannot reconstruct a secret of threshold ${threshold}`,
      { shares: shares.length, threshold },
    );
  }
  return shamirInterpolate(shares.slice(0, threshold), 0n);
}
