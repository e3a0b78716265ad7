/**
 * One site's part of a FedAvg round: start from the global model, run `epochs` passes of minibatch SGD over
 * the site's rows in an order shuffled by the injected PRNG, and return the update Δ = w_global − w_local
 * (the "pseudo-gradient" of FedAvgM), the row count that weights it, and the loss of the global model on
 * the site's rows before training.
 */
import { MeridianError } from '../../errors/registry.ts';
import { checkDataset, type Dataset } from './dataset.ts';
import { checkSpec, lossAndGradient, type Model, parameterCount } from './model.ts';
import type { Rng } from './rng.ts';

/** Most local epochs per round. */
export const EPOCHS_MAX = 1_000;
/** Largest local learning rate accepted. */
export const LEARNING_RATE_MAX = 100;

/** Local SGD options, the same at every site. */
export interface LocalTrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** L2 penalty on all parameters (default 0). */
  readonly l2?: number;
}

/** What a site sends back: its update, its row count and the global model's mean loss on its rows. */
export interface LocalUpdate {
  readonly delta: Float64Array;
  readonly n: number;
  readonly loss: number;
}

function invalid(field: string, value: unknown, rule: string): never {
  throw new MeridianError('MER_FEDAVG_INVALID_INPUT', `${field} ${rule}, not ${String(value)}`, { field });
}

/** Validates local training options; returns them with defaults filled in. */
export function checkLocalOptions(options: LocalTrainOptions): Required<LocalTrainOptions> {
  const { epochs, batchSize, learningRate } = options;
  const l2 = options.l2 ?? 0;
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > EPOCHS_MAX) {
    invalid('local.epochs', epochs, `must be a whole number from 1 to ${EPOCHS_MAX}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1)
    invalid('local.batchSize', batchSize, 'must be a whole number ≥ 1');
  if (!Number.isFinite(learningRate) || learningRate <= 0 || learningRate > LEARNING_RATE_MAX) {
    invalid('local.learningRate', learningRate, `must be a number in (0, ${LEARNING_RATE_MAX}]`);
  }
  if (!Number.isFinite(l2) || l2 < 0) invalid('local.l2', l2, 'must be a number ≥ 0');
  return { epochs, batchSize, learningRate, l2 };
}

/** Trains the global model on one site's data by local SGD; pure given the PRNG. */
export function localTrain(model: Model, data: Dataset, options: LocalTrainOptions, rng: Rng): LocalUpdate {
  checkSpec(model.spec);
  const { epochs, batchSize, learningRate, l2 } = checkLocalOptions(options);
  checkDataset(data, 'data');
  if (data.features !== model.spec.features)
    invalid('data.features', data.features, `must equal the model's ${model.spec.features}`);
  if (model.params.length !== parameterCount(model.spec))
    invalid('model.params.length', model.params.length, 'must fit the spec');
  const n = data.y.length;
  if (n === 0) invalid('data', 'no rows', 'must hold at least one row');
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const loss = lossAndGradient(model, data, order, null) / n;
  const local: Model = { spec: model.spec, params: Float64Array.from(model.params) };
  const params = local.params;
  const gradient = new Float64Array(params.length);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      const t = order[i] as number;
      order[i] = order[j] as number;
      order[j] = t;
    }
    for (let start = 0; start < n; start += batchSize) {
      const batch = order.subarray(start, Math.min(n, start + batchSize));
      gradient.fill(0);
      lossAndGradient(local, data, batch, gradient);
      const step = learningRate / batch.length;
      for (let k = 0; k < params.length; k++) {
        params[k] = (params[k] as number) - step * (gradient[k] as number) - learningRate * l2 * (params[k] as number);
      }
    }
  }
  const delta = new Float64Array(params.length);
  for (let k = 0; k < delta.length; k++) delta[k] = (model.params[k] as number) - (params[k] as number);
  return { delta, n, loss };
}
