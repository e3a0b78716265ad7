/**
 * Small dense symmetric linear algebra for the model fits: a Cholesky factorization that names the first
 * column whose pivot vanishes (an aliased or all-zero column), solves and inverses built on it. The matrices
 * are p×p with p the number of coefficients (tens, not thousands), so a plain row-major Float64Array and an
 * O(p³) factorization are both fast and exact enough; row-major flat storage also lets the GLM node step
 * accumulate X'WX without allocating per row.
 */
import { MeridianError } from '../errors/registry.ts';

/**
 * A pivot smaller than this share of its original diagonal entry marks the column as a linear combination
 * of the columns before it (the squared analogue of R's QR tolerance 1e-7 on a column norm, kept looser
 * because X'WX squares the condition number).
 */
export const PIVOT_TOLERANCE_RELATIVE = 1e-10;

/** A symmetric positive-definite matrix factorized as L·L' (L lower triangular, row-major p×p). */
export interface Cholesky {
  p: number;
  lower: Float64Array;
}

/** Converts nested arrays to a row-major Float64Array after checking the shape is p×p. */
export function toSquare(matrix: readonly (readonly number[])[], what: string): Float64Array {
  const p = matrix.length;
  const out = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    const row = matrix[i];
    if (row === undefined || row.length !== p)
      throw new MeridianError('MER_ANALYTICS_INVALID_INPUT', `${what} must be ${p}×${p}; row ${i} has ${row?.length}`);
    for (let j = 0; j < p; j++) out[i * p + j] = row[j] as number;
  }
  return out;
}

/** Converts a row-major p×p Float64Array back to nested arrays (the wire and result form). */
export function fromSquare(a: Float64Array, p: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < p; i++) out.push(Array.from(a.subarray(i * p, i * p + p)));
  return out;
}

/**
 * Factorizes a symmetric matrix (only its upper triangle is read) as L·L'. Throws MER_ANALYTICS_SINGULAR
 * naming the first column whose pivot falls under {@link PIVOT_TOLERANCE_RELATIVE} of its diagonal entry:
 * that column is zero or a combination of the columns before it.
 */
export function cholesky(a: Float64Array, p: number, names?: readonly string[]): Cholesky {
  const lower = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    const diagonal = a[j * p + j] as number;
    let pivot = diagonal;
    for (let k = 0; k < j; k++) {
      const l = lower[j * p + k] as number;
      pivot -= l * l;
    }
    if (!(pivot > PIVOT_TOLERANCE_RELATIVE * Math.abs(diagonal)) || !(diagonal > 0) || !Number.isFinite(pivot)) {
      const name = names?.[j] ?? `column ${j}`;
      const reason =
        diagonal > 0
          ? 'is (numerically) a linear combination of the columns before it'
          : 'has no weight: it is all zero where the weights are positive';
      throw new MeridianError('MER_ANALYTICS_SINGULAR', `the model matrix is singular: ${name} ${reason}`, {
        column: name,
        index: j,
      });
    }
    const root = Math.sqrt(pivot);
    lower[j * p + j] = root;
    for (let i = j + 1; i < p; i++) {
      let s = a[j * p + i] as number;
      for (let k = 0; k < j; k++) s -= (lower[i * p + k] as number) * (lower[j * p + k] as number);
      lower[i * p + j] = s / root;
    }
  }
  return { p, lower };
}

/** Solves (L·L')·x = b for x. */
export function choleskySolve(factor: Cholesky, b: ArrayLike<number>): Float64Array {
  const { p, lower } = factor;
  const x = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (lower[i * p + k] as number) * (x[k] as number);
    x[i] = s / (lower[i * p + i] as number);
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = x[i] as number;
    for (let k = i + 1; k < p; k++) s -= (lower[k * p + i] as number) * (x[k] as number);
    x[i] = s / (lower[i * p + i] as number);
  }
  return x;
}

/** The inverse of L·L' as a full symmetric row-major matrix (covariance from an information matrix). */
export function choleskyInverse(factor: Cholesky): Float64Array {
  const { p } = factor;
  const inverse = new Float64Array(p * p);
  const unit = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    unit.fill(0);
    unit[j] = 1;
    const column = choleskySolve(factor, unit);
    for (let i = 0; i < p; i++) inverse[i * p + j] = column[i] as number;
  }
  for (let i = 0; i < p; i++)
    for (let j = i + 1; j < p; j++) {
      const mean = ((inverse[i * p + j] as number) + (inverse[j * p + i] as number)) / 2;
      inverse[i * p + j] = mean;
      inverse[j * p + i] = mean;
    }
  return inverse;
}

/** Mirrors the upper triangle of a row-major p×p matrix into its lower triangle, in place. */
export function symmetrizeFromUpper(a: Float64Array, p: number): Float64Array {
  for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) a[j * p + i] = a[i * p + j] as number;
  return a;
}
