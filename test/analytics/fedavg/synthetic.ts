/**
 * Synthetic sites with a known logistic truth, and the pooled maximum-likelihood fit (Newton–Raphson on all
 * rows in one place) that federated training is measured against.
 */
import { inverse, Matrix } from 'ml-matrix';
import { concatDatasets, type Dataset } from '../../../src/analytics/fedavg/dataset.ts';
import { seededRng } from '../../../src/analytics/fedavg/rng.ts';

/** True coefficients of the generating model, one per feature. */
export const TRUE_COEFFICIENTS = [1.0, -0.8, 0.5, 0, 0.3, -0.4];
/** True intercept of the generating model. */
export const TRUE_INTERCEPT = -0.5;

/** Rows from the true model, with feature 0 shifted by `shift` (sites differ: non-IID). */
export function generate(rng: () => number, rows: number, shift: number): Dataset {
  const d = TRUE_COEFFICIENTS.length;
  const x = new Float64Array(rows * d);
  const y = new Float64Array(rows);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  for (let i = 0; i < rows; i++) {
    let z = TRUE_INTERCEPT;
    for (let k = 0; k < d; k++) {
      const v = normal() + (k === 0 ? shift : 0);
      x[i * d + k] = v;
      z += (TRUE_COEFFICIENTS[k] as number) * v;
    }
    y[i] = rng() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return { features: d, x, y };
}

/** Three unequal, shifted sites and a held-out test set from the same three populations. */
export function threeSites(seed: number): { sites: Dataset[]; test: Dataset } {
  const rng = seededRng(seed);
  const shifts = [-0.5, 0, 0.8];
  const sites = [1500, 2500, 1000].map((n, k) => generate(rng, n, shifts[k] as number));
  const test = concatDatasets(shifts.map((s) => generate(rng, 2000, s)));
  return { sites, test };
}

/** The pooled logistic MLE as [coefficients…, intercept] (the logistic model's parameter layout). */
export function pooledLogisticFit(sites: readonly Dataset[]): Float64Array {
  const data = concatDatasets(sites);
  const d = data.features;
  const w = new Float64Array(d + 1);
  const row = new Float64Array(d + 1);
  for (let iteration = 0; iteration < 30; iteration++) {
    const hessian = Matrix.zeros(d + 1, d + 1);
    const gradient = Matrix.zeros(d + 1, 1);
    for (let i = 0; i < data.y.length; i++) {
      row.set(data.x.subarray(i * d, (i + 1) * d));
      row[d] = 1;
      let z = 0;
      for (let k = 0; k <= d; k++) z += (w[k] as number) * (row[k] as number);
      const p = 1 / (1 + Math.exp(-z));
      for (let a = 0; a <= d; a++) {
        gradient.set(a, 0, gradient.get(a, 0) + (p - (data.y[i] as number)) * (row[a] as number));
        for (let b = 0; b <= d; b++)
          hessian.set(a, b, hessian.get(a, b) + p * (1 - p) * (row[a] as number) * (row[b] as number));
      }
    }
    const step = inverse(hessian).mmul(gradient);
    for (let k = 0; k <= d; k++) w[k] = (w[k] as number) - step.get(k, 0);
  }
  return w;
}
