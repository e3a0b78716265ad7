/**
 * The two models FedAvg trains: logistic regression and a one-hidden-layer perceptron (ReLU or tanh hidden
 * units, sigmoid output), both scored by binary cross-entropy. Parameters live in one flat Float64Array so
 * updates, averages and secure aggregation treat every model alike:
 *
 *   logistic:  [ w (features) | b ]
 *   mlp:       [ W1 (hidden × features, row-major) | b1 (hidden) | w2 (hidden) | b2 ]
 */
import { MeridianError } from '../../errors/registry.ts';
import { type Dataset, FEATURES_MAX } from './dataset.ts';
import type { Rng } from './rng.ts';

/** Most hidden units of the perceptron. */
export const HIDDEN_MAX = 1_024;

/** Which model to train. */
export type ModelSpec =
  | { readonly kind: 'logistic'; readonly features: number }
  | { readonly kind: 'mlp'; readonly features: number; readonly hidden: number; readonly activation: 'relu' | 'tanh' };

/** A model: its spec and its flat parameters. */
export interface Model {
  readonly spec: ModelSpec;
  readonly params: Float64Array;
}

function invalid(field: string, value: unknown, rule: string): never {
  throw new MeridianError('MER_FEDAVG_INVALID_INPUT', `${field} ${rule}, not ${String(value)}`, { field });
}

/** Validates a model spec; returns it. */
export function checkSpec(spec: ModelSpec): ModelSpec {
  if (!Number.isInteger(spec.features) || spec.features < 1 || spec.features > FEATURES_MAX) {
    invalid('model.features', spec.features, `must be a whole number from 1 to ${FEATURES_MAX}`);
  }
  if (spec.kind === 'mlp') {
    if (!Number.isInteger(spec.hidden) || spec.hidden < 1 || spec.hidden > HIDDEN_MAX) {
      invalid('model.hidden', spec.hidden, `must be a whole number from 1 to ${HIDDEN_MAX}`);
    }
    if (spec.activation !== 'relu' && spec.activation !== 'tanh') {
      invalid('model.activation', spec.activation, "must be 'relu' or 'tanh'");
    }
  } else if (spec.kind !== 'logistic') {
    invalid('model.kind', (spec as { kind: unknown }).kind, "must be 'logistic' or 'mlp'");
  }
  return spec;
}

/** Number of parameters of a model. */
export function parameterCount(spec: ModelSpec): number {
  return spec.kind === 'logistic' ? spec.features + 1 : spec.hidden * spec.features + 2 * spec.hidden + 1;
}

/**
 * A fresh model: logistic weights at zero (the loss is convex; zero is the usual start), perceptron weights
 * uniform in ±√(6/fan-in) for ReLU (He) or ±√(6/(fan-in + fan-out)) for tanh (Glorot), biases at zero.
 */
export function initModel(spec: ModelSpec, rng: Rng): Model {
  checkSpec(spec);
  const params = new Float64Array(parameterCount(spec));
  if (spec.kind === 'mlp') {
    const { features: d, hidden: h } = spec;
    const first = spec.activation === 'relu' ? Math.sqrt(6 / d) : Math.sqrt(6 / (d + h));
    const second = spec.activation === 'relu' ? Math.sqrt(6 / h) : Math.sqrt(6 / (h + 1));
    for (let i = 0; i < h * d; i++) params[i] = (2 * rng() - 1) * first;
    for (let j = 0; j < h; j++) params[h * d + h + j] = (2 * rng() - 1) * second;
  }
  return { spec, params };
}

/** Binary cross-entropy of one logit, log(1 + e^z) − y·z, computed without overflow. */
export function logLoss(z: number, y: number): number {
  const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
  return softplus - y * z;
}

/** The logistic function. */
export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * The summed loss over the given rows, adding the summed gradient into `gradient` when one is given. One
 * pass, no allocation per row (the hidden activations reuse one scratch array).
 */
export function lossAndGradient(
  model: Model,
  data: Dataset,
  rows: ArrayLike<number>,
  gradient: Float64Array | null,
): number {
  const { spec, params } = model;
  const d = spec.features;
  const x = data.x;
  let total = 0;
  if (spec.kind === 'logistic') {
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as number;
      const offset = row * d;
      let z = params[d] as number;
      for (let k = 0; k < d; k++) z += (params[k] as number) * (x[offset + k] as number);
      const y = data.y[row] as number;
      total += logLoss(z, y);
      if (gradient === null) continue;
      const g = sigmoid(z) - y;
      for (let k = 0; k < d; k++) gradient[k] = (gradient[k] as number) + g * (x[offset + k] as number);
      gradient[d] = (gradient[d] as number) + g;
    }
    return total;
  }
  const h = spec.hidden;
  const relu = spec.activation === 'relu';
  const b1 = h * d;
  const w2 = b1 + h;
  const b2 = w2 + h;
  const activation = new Float64Array(h);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as number;
    const offset = row * d;
    let z = params[b2] as number;
    for (let j = 0; j < h; j++) {
      let pre = params[b1 + j] as number;
      const base = j * d;
      for (let k = 0; k < d; k++) pre += (params[base + k] as number) * (x[offset + k] as number);
      const a = relu ? Math.max(pre, 0) : Math.tanh(pre);
      activation[j] = a;
      z += (params[w2 + j] as number) * a;
    }
    const y = data.y[row] as number;
    total += logLoss(z, y);
    if (gradient === null) continue;
    const g = sigmoid(z) - y;
    gradient[b2] = (gradient[b2] as number) + g;
    for (let j = 0; j < h; j++) {
      const a = activation[j] as number;
      gradient[w2 + j] = (gradient[w2 + j] as number) + g * a;
      const slope = relu ? (a > 0 ? 1 : 0) : 1 - a * a;
      const back = g * (params[w2 + j] as number) * slope;
      if (back === 0) continue;
      gradient[b1 + j] = (gradient[b1 + j] as number) + back;
      const base = j * d;
      for (let k = 0; k < d; k++)
        gradient[base + k] = (gradient[base + k] as number) + back * (x[offset + k] as number);
    }
  }
  return total;
}

/** The model's logits (log-odds) for every row. */
export function predictLogits(model: Model, data: Dataset): Float64Array {
  const out = new Float64Array(data.y.length);
  for (let i = 0; i < out.length; i++) out[i] = logit(model, data, i);
  return out;
}

function logit(model: Model, data: Dataset, row: number): number {
  const { spec, params } = model;
  const d = spec.features;
  const offset = row * d;
  const x = data.x;
  if (spec.kind === 'logistic') {
    let z = params[d] as number;
    for (let k = 0; k < d; k++) z += (params[k] as number) * (x[offset + k] as number);
    return z;
  }
  const h = spec.hidden;
  const b1 = h * d;
  const w2 = b1 + h;
  let z = params[w2 + h] as number;
  for (let j = 0; j < h; j++) {
    let pre = params[b1 + j] as number;
    for (let k = 0; k < d; k++) pre += (params[j * d + k] as number) * (x[offset + k] as number);
    z += (params[w2 + j] as number) * (spec.activation === 'relu' ? Math.max(pre, 0) : Math.tanh(pre));
  }
  return z;
}
