/**
 * The maximum-likelihood fits of the planted effects on the generated sample, written into the manifest so
 * a later federated analysis can be checked against the pooled estimate on exactly the same rows (not only
 * against the true coefficients, which any finite sample misses by sampling error): logistic regression by
 * IRLS, and Cox proportional hazards (Breslow ties) by Newton–Raphson. Small dense problems only; pure.
 */

/** A fitted model: coefficients, their standard errors, iterations used and whether it converged. */
export interface Fit {
  coefficients: number[];
  standardErrors: number[];
  iterations: number;
  converged: boolean;
}

/** Iteration limit for both fits. */
const ITERATIONS_MAX = 100;
const TOLERANCE = 1e-10;

/** Solves A x = b for a small symmetric positive-definite A (Gaussian elimination with partial pivoting). */
export function solve(a: readonly (readonly number[])[], b: readonly number[]): number[] | null {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i] as number]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++)
      if (Math.abs((m[r] as number[])[c] as number) > Math.abs((m[pivot] as number[])[c] as number)) pivot = r;
    if (Math.abs((m[pivot] as number[])[c] as number) < 1e-300) return null;
    [m[c], m[pivot]] = [m[pivot] as number[], m[c] as number[]];
    const row = m[c] as number[];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const other = m[r] as number[];
      const f = (other[c] as number) / (row[c] as number);
      if (f === 0) continue;
      for (let k = c; k <= n; k++) other[k] = (other[k] as number) - f * (row[k] as number);
    }
  }
  return m.map((row, i) => (row[n] as number) / (row[i] as number));
}

function inverseDiagonal(a: readonly (readonly number[])[]): number[] {
  return a.map((_, i) => {
    const e = a.map((__, j) => (i === j ? 1 : 0));
    const col = solve(a, e);
    return col ? (col[i] as number) : Number.NaN;
  });
}

/** The fit at `beta`, with standard errors from the inverse of the information matrix. */
function fitted(beta: number[], info: readonly (readonly number[])[], iterations: number, converged: boolean): Fit {
  return { coefficients: beta, standardErrors: inverseDiagonal(info).map(Math.sqrt), iterations, converged };
}

/** Logistic regression of y on X (X includes the intercept column) by iteratively reweighted least squares. */
export function fitLogistic(x: readonly (readonly number[])[], y: readonly number[]): Fit {
  const p = x[0]?.length ?? 0;
  let beta = new Array<number>(p).fill(0);
  let info: number[][] = [];
  for (let it = 1; it <= ITERATIONS_MAX; it++) {
    info = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    const rhs = new Array<number>(p).fill(0);
    x.forEach((row, i) => {
      let eta = 0;
      for (let j = 0; j < p; j++) eta += (row[j] as number) * (beta[j] as number);
      const mu = 1 / (1 + Math.exp(-eta));
      const w = Math.max(mu * (1 - mu), 1e-12);
      const z = eta + ((y[i] as number) - mu) / w;
      for (let j = 0; j < p; j++) {
        const xj = row[j] as number;
        rhs[j] = (rhs[j] as number) + w * xj * z;
        const infoRow = info[j] as number[];
        for (let k = 0; k < p; k++) infoRow[k] = (infoRow[k] as number) + w * xj * (row[k] as number);
      }
    });
    const next = solve(info, rhs);
    if (next === null)
      return { coefficients: beta, standardErrors: beta.map(() => Number.NaN), iterations: it, converged: false };
    const delta = Math.max(...next.map((v, j) => Math.abs(v - (beta[j] as number))));
    beta = next;
    if (delta < TOLERANCE * (1 + Math.max(...beta.map(Math.abs)))) {
      return fitted(beta, info, it, true);
    }
  }
  return fitted(beta, info, ITERATIONS_MAX, false);
}

/** Cox proportional-hazards fit (Breslow ties) of (time, event) on covariates X (no intercept). */
export function fitCox(time: readonly number[], event: readonly boolean[], x: readonly (readonly number[])[]): Fit {
  const n = time.length;
  const p = x[0]?.length ?? 0;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (time[b] as number) - (time[a] as number));
  let beta = new Array<number>(p).fill(0);
  let info: number[][] = [];
  for (let it = 1; it <= ITERATIONS_MAX; it++) {
    const grad = new Array<number>(p).fill(0);
    info = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    let s0 = 0;
    const s1 = new Array<number>(p).fill(0);
    const s2 = Array.from({ length: p }, () => new Array<number>(p).fill(0));
    let i = 0;
    while (i < n) {
      const t = time[order[i] as number] as number;
      let j = i;
      // Add everyone with this time to the risk set first (risk set = time >= t).
      while (j < n && time[order[j] as number] === t) {
        const row = x[order[j] as number] as readonly number[];
        let eta = 0;
        for (let k = 0; k < p; k++) eta += (row[k] as number) * (beta[k] as number);
        const r = Math.exp(eta);
        s0 += r;
        for (let a = 0; a < p; a++) {
          s1[a] = (s1[a] as number) + r * (row[a] as number);
          const s2a = s2[a] as number[];
          for (let b = 0; b < p; b++) s2a[b] = (s2a[b] as number) + r * (row[a] as number) * (row[b] as number);
        }
        j++;
      }
      for (let q = i; q < j; q++) {
        const idx = order[q] as number;
        if (!event[idx]) continue;
        const row = x[idx] as readonly number[];
        for (let a = 0; a < p; a++) {
          const mean = (s1[a] as number) / s0;
          grad[a] = (grad[a] as number) + (row[a] as number) - mean;
          const infoA = info[a] as number[];
          for (let b = 0; b < p; b++) {
            infoA[b] = (infoA[b] as number) + ((s2[a] as number[])[b] as number) / s0 - mean * ((s1[b] as number) / s0);
          }
        }
      }
      i = j;
    }
    const step = solve(info, grad);
    if (step === null)
      return { coefficients: beta, standardErrors: beta.map(() => Number.NaN), iterations: it, converged: false };
    beta = beta.map((v, k) => v + (step[k] as number));
    if (Math.max(...step.map(Math.abs)) < TOLERANCE * (1 + Math.max(...beta.map(Math.abs)))) {
      return fitted(beta, info, it, true);
    }
  }
  return fitted(beta, info, ITERATIONS_MAX, false);
}
