/**
 * An in-memory FedAvgM driver: every round, each site trains locally from the global model (its PRNG
 * derived from the run seed, the round and the site), the updates are aggregated — in the clear by default,
 * or by an injected aggregator such as secure aggregation — and the server takes a momentum step. Each round
 * reports the sites' training loss and the new model's loss and exact AUC on the evaluation data (the pooled
 * sites unless given). A node-and-hub deployment runs the same pure functions across the wire.
 */
import { MeridianError } from '../../errors/registry.ts';
import { checkDataset, concatDatasets, type Dataset } from './dataset.ts';
import { evaluate } from './evaluate.ts';
import { type LocalTrainOptions, type LocalUpdate, localTrain } from './local-train.ts';
import { checkSpec, initModel, type Model, type ModelSpec } from './model.ts';
import { deriveSeed, seededRng } from './rng.ts';
import { type AggregateSums, initServer, plainSums, type ServerOptions, serverStepFromSums } from './server-step.ts';

/** Most rounds one run may take. */
export const ROUNDS_MAX = 10_000;
/** Most sites one run may have. */
export const SITES_MAX = 256;

/** Turns one round's updates into Σ nᵢΔᵢ and Σ nᵢ (e.g. through secure aggregation). */
export type Aggregator = (updates: readonly LocalUpdate[], round: number) => AggregateSums;

/** Options of a federated run. */
export interface FederatedOptions {
  readonly model: ModelSpec;
  readonly rounds: number;
  /** Seeds initialization and every site's shuffling: the run replays exactly. */
  readonly seed: number;
  readonly local: LocalTrainOptions;
  readonly server?: ServerOptions;
  readonly aggregate?: Aggregator;
  /** Where each round's loss and AUC are measured (default: all sites pooled). */
  readonly evaluation?: Dataset;
}

/** One round as reported. */
export interface RoundReport {
  readonly round: number;
  /** Row-weighted mean loss of the round's starting model on the sites' rows, as the sites reported it. */
  readonly trainLoss: number;
  /** The new model's mean loss on the evaluation data. */
  readonly loss: number;
  /** The new model's exact AUC on the evaluation data (null if it holds one class). */
  readonly auc: number | null;
}

/** The trained model and the per-round history. */
export interface FederatedResult {
  readonly model: Model;
  readonly history: readonly RoundReport[];
}

/** Trains a model by FedAvgM over in-memory sites. */
export function trainFederated(sites: readonly Dataset[], options: FederatedOptions): FederatedResult {
  const spec = checkSpec(options.model);
  const { rounds, seed } = options;
  if (sites.length === 0 || sites.length > SITES_MAX) {
    throw new MeridianError('MER_FEDAVG_INVALID_INPUT', `sites.length must be 1 to ${SITES_MAX}, not ${sites.length}`, {
      field: 'sites',
    });
  }
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > ROUNDS_MAX) {
    throw new MeridianError(
      'MER_FEDAVG_INVALID_INPUT',
      `rounds must be a whole number from 1 to ${ROUNDS_MAX}, not ${rounds}`,
      {
        field: 'rounds',
      },
    );
  }
  if (!Number.isSafeInteger(seed)) {
    throw new MeridianError('MER_FEDAVG_INVALID_INPUT', `seed must be a safe integer, not ${seed}`, { field: 'seed' });
  }
  for (const [k, s] of sites.entries()) checkDataset(s, `sites[${k}]`);
  const evaluation = options.evaluation ?? concatDatasets(sites);
  const aggregate = options.aggregate ?? ((updates: readonly LocalUpdate[]) => plainSums(updates));
  let state = initServer(initModel(spec, seededRng(deriveSeed(seed, 0))));
  const history: RoundReport[] = [];
  for (let round = 1; round <= rounds; round++) {
    const updates = sites.map((site, k) =>
      localTrain(state.model, site, options.local, seededRng(deriveSeed(seed, round, k + 1))),
    );
    const rows = updates.reduce((s, u) => s + u.n, 0);
    const trainLoss = updates.reduce((s, u) => s + u.n * u.loss, 0) / rows;
    state = serverStepFromSums(state, aggregate(updates, round), options.server);
    history.push({ round, trainLoss, ...evaluate(state.model, evaluation) });
  }
  return { model: state.model, history };
}
