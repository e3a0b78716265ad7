/**
 * A site's training data for federated learning: a dense row-major feature matrix and binary labels, held
 * in typed arrays so local SGD touches no objects per row.
 */
import { MeridianError } from '../../errors/registry.ts';

/** Most features a model may take. */
export const FEATURES_MAX = 10_000;

/** Rows × features (row-major) and a 0/1 label per row. */
export interface Dataset {
  readonly features: number;
  readonly x: Float64Array;
  readonly y: Float64Array;
}

function invalid(field: string, value: unknown, rule: string): never {
  throw new MeridianError('MER_FEDAVG_INVALID_INPUT', `${field} ${rule}, not ${String(value)}`, { field });
}

/** Rows of a dataset. */
export function rowCount(data: Dataset): number {
  return data.y.length;
}

/** Builds a dataset from rows of features and 0/1 labels, refusing ragged rows, non-finite values and other labels. */
export function makeDataset(rows: readonly (readonly number[])[], labels: readonly number[]): Dataset {
  const features = rows[0]?.length ?? 0;
  if (rows.length !== labels.length) invalid('labels.length', labels.length, `must equal rows.length ${rows.length}`);
  const x = new Float64Array(rows.length * features);
  rows.forEach((r, i) => {
    if (r.length !== features) invalid(`rows[${i}].length`, r.length, `must equal ${features}`);
    x.set(r, i * features);
  });
  return checkDataset({ features, x, y: Float64Array.from(labels) }, 'dataset');
}

/** Validates a dataset's shape and values; returns it. */
export function checkDataset(data: Dataset, name: string): Dataset {
  const { features, x, y } = data;
  if (!Number.isInteger(features) || features < 1 || features > FEATURES_MAX) {
    invalid(`${name}.features`, features, `must be a whole number from 1 to ${FEATURES_MAX}`);
  }
  if (x.length !== y.length * features)
    invalid(`${name}.x.length`, x.length, `must be rows ${y.length} × features ${features}`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i] as number))
      invalid(`${name}.x[${Math.floor(i / features)}][${i % features}]`, x[i], 'must be finite');
  }
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0 && y[i] !== 1) invalid(`${name}.y[${i}]`, y[i], 'must be 0 or 1');
  }
  return data;
}

/** Concatenates datasets with the same features (the pooled data of an in-memory simulation). */
export function concatDatasets(parts: readonly Dataset[]): Dataset {
  const features = parts[0]?.features ?? 0;
  parts.forEach((p, k) => {
    if (p.features !== features) invalid(`sites[${k}].features`, p.features, `must equal ${features}`);
  });
  const x = new Float64Array(parts.reduce((s, p) => s + p.x.length, 0));
  const y = new Float64Array(parts.reduce((s, p) => s + p.y.length, 0));
  let xo = 0;
  let yo = 0;
  for (const p of parts) {
    x.set(p.x, xo);
    y.set(p.y, yo);
    xo += p.x.length;
    yo += p.y.length;
  }
  return { features, x, y };
}
