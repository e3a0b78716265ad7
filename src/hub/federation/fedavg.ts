/**
 * The hub's side of FedAvg with server momentum (the node side is src/federation/analyses/fedavg.ts): a key round,
 * two rounds that pool the design columns' means and SDs (every hospital then standardizes alike), `rounds`
 * training rounds — masked Σ n·Δ and Σ n → one FedAvgM server step → the next global weights — and a last
 * evaluation of the final model. Each round also sums the incoming model's loss and per-class score histograms,
 * from which the hub reads the pooled loss and AUC; it releases only those numbers, never a histogram.
 *
 *   round 0        keys
 *   round 1        { stage: center }                       ─► n, Σx            ─► mean
 *   round 2        { stage: scale, center }                ─► Σ(x − mean)²     ─► sd (n − 1)
 *   round 2 + t    { stage: train, step t, weights w_{t−1} } ─► Σ n·Δ, n, Σ loss, histograms
 *                  ─► w_t = FedAvgM(w_{t−1}, Σ n·Δ / n)   (t = 1 … rounds)
 *   round 3 + R    { stage: evaluate, weights w_R }         ─► Σ loss, histograms
 *
 * Round t of the history reports the training loss of w_{t−1} (the hospitals' rows before local training) and the
 * loss and AUC of w_t, as `trainFederated` does. The initial weights come from the task's seed like the in-memory
 * driver's, so the federated model equals `trainFederated` on the pooled standardized rows.
 */
import {
  aucFromHistograms,
  deriveSeed,
  initModel,
  initServer,
  type ServerState,
  seededRng,
  serverStepFromSums,
} from '../../analytics/fedavg/index.ts';
import { MeridianError } from '../../errors/registry.ts';
import {
  centerLength,
  evaluationLength,
  type FedAvgPlan,
  fedavgPlan,
  trainLength,
} from '../../federation/analyses/fedavg.ts';
import type { FederatedTask } from '../../federation/protocol.ts';
import { keyRound, maskedSumRound } from './masked-rounds.ts';
import type { RoundDeps } from './rounds.ts';

/** One design column's pooled standardization. */
export interface FeatureScaling {
  readonly name: string;
  readonly mean: number;
  readonly sd: number;
}

/** A model's pooled loss and AUC as the hub reads them from one round's sums. */
export interface PooledEvaluation {
  readonly n: number;
  /** Mean log loss (nats per row). */
  readonly loss: number;
  /** AUC from the pooled score histograms, null when a class is empty. */
  readonly auc: number | null;
  /** Largest distance from `auc` to the exact AUC (half the share of pairs that share a score bin). */
  readonly aucError: number | null;
}

/** One training round as reported. */
export interface FedAvgRoundReport {
  readonly round: number;
  /** Mean loss of the round's starting model on the hospitals' rows. */
  readonly trainLoss: number;
  /** The new model's mean loss and AUC on the pooled rows. */
  readonly loss: number;
  readonly auc: number | null;
  readonly aucError: number | null;
}

/** A federated FedAvg training as the researcher sees it. */
export interface FederatedFedAvg {
  readonly model:
    | { readonly kind: 'logistic' }
    | { readonly kind: 'mlp'; readonly hidden: number; readonly activation: 'relu' | 'tanh' };
  /** The design columns in weight order, with the pooled mean and SD every hospital standardized them by. */
  readonly features: readonly FeatureScaling[];
  /** The trained parameters on the standardized scale (layout: src/analytics/fedavg/model.ts). */
  readonly weights: readonly number[];
  readonly n: number;
  readonly rounds: number;
  readonly seed: number;
  readonly history: readonly FedAvgRoundReport[];
}

function bad(message: string): MeridianError {
  return new MeridianError('MER_FED_BAD_ANSWER', message);
}

function whole(value: number, what: string): number {
  const n = Math.round(value);
  if (!(n >= 0) || Math.abs(value - n) > 1e-6) throw bad(`the summed ${what} is not a whole count ≥ 0`);
  return n;
}

/** The pooled row count and design-column means from a centre round's sums [n, Σx₁ … Σx_d]. */
export function pooledMeans(centerSums: readonly number[], columns: number): { n: number; center: number[] } {
  const n = whole(centerSums[0] as number, 'row count');
  if (n < 2) throw bad('the hospitals hold fewer than two rows in all');
  return { n, center: Array.from({ length: columns }, (_, k) => (centerSums[k + 1] as number) / n) };
}

/** The pooled standardization from the means and the scale round's Σ(x − mean)²; a constant column is refused. */
export function pooledScaling(
  names: readonly string[],
  pooled: { n: number; center: readonly number[] },
  squareSums: readonly number[],
): FeatureScaling[] {
  return names.map((name, k) => {
    const mean = pooled.center[k] as number;
    const sd = Math.sqrt((squareSums[k] as number) / (pooled.n - 1));
    if (!(sd > 1e-12 * Math.max(1, Math.abs(mean)))) {
      throw new MeridianError(
        'MER_FEDAVG_INVALID_INPUT',
        `feature ${name} has the same value in every row of the hospitals; it cannot be standardized (leave it out)`,
        { field: name },
      );
    }
    return { name, mean, sd };
  });
}

/** Reads an evaluation block [n, Σ loss, positives (bins), negatives (bins)] of summed reals. */
export function pooledEvaluation(block: readonly number[], bins: number): PooledEvaluation {
  if (block.length !== 2 + 2 * bins) throw bad(`an evaluation block has ${block.length} reals, not ${2 + 2 * bins}`);
  const n = whole(block[0] as number, 'row count');
  const positives = block.slice(2, 2 + bins).map((c, b) => whole(c, `positives in score bin ${b}`));
  const negatives = block.slice(2 + bins).map((c, b) => whole(c, `negatives in score bin ${b}`));
  if (positives.reduce((s, c) => s + c, 0) + negatives.reduce((s, c) => s + c, 0) !== n) {
    throw bad('the summed score histograms do not add up to the rows: a hospital sent garbage');
  }
  const auc = aucFromHistograms(positives, negatives);
  return { n, loss: (block[1] as number) / n, auc: auc?.auc ?? null, aucError: auc?.error ?? null };
}

/** Runs an authorized FedAvg task on every hospital of the task (see the module comment for the rounds). */
export async function runFederatedFedAvg(deps: RoundDeps, task: FederatedTask): Promise<FederatedFedAvg> {
  const plan: FedAvgPlan = fedavgPlan(task);
  const keys = await keyRound(deps, task);
  const sumRound = (round: number, input: Record<string, unknown>, length: number) =>
    maskedSumRound(deps, { task, round, keys, input, length });
  const centered = await sumRound(1, { stage: 'center' }, centerLength(plan));
  const pooled = pooledMeans(centered.sum, plan.names.length);
  const squares = await sumRound(2, { stage: 'scale', center: pooled.center }, plan.names.length);
  const features = pooledScaling(plan.names, pooled, squares.sum);
  const n = pooled.n;
  const scaling = { center: features.map((f) => f.mean), scale: features.map((f) => f.sd) };
  const server = { learningRate: plan.serverLearningRate, momentum: plan.momentum };
  let state: ServerState = initServer(initModel(plan.spec, seededRng(deriveSeed(plan.seed, 0))));
  const trainLosses: number[] = [];
  const evaluations: PooledEvaluation[] = [];
  const p = plan.parameters;
  for (let step = 1; step <= plan.rounds; step++) {
    const weights = Array.from(state.model.params);
    const { sum } = await sumRound(2 + step, { stage: 'train', step, ...scaling, weights }, trainLength(plan));
    const evaluation = pooledEvaluation(sum.slice(p), plan.aucBins);
    if (evaluation.n !== n) throw bad(`the hospitals' rows changed between rounds (${n}, then ${evaluation.n})`);
    if (step > 1) evaluations.push(evaluation);
    trainLosses.push(evaluation.loss);
    state = serverStepFromSums(state, { weightedDeltaSum: Float64Array.from(sum.slice(0, p)), n }, server);
  }
  const weights = Array.from(state.model.params);
  const last = await sumRound(3 + plan.rounds, { stage: 'evaluate', ...scaling, weights }, evaluationLength(plan));
  evaluations.push(pooledEvaluation(last.sum, plan.aucBins));
  const history = evaluations.map((e, i) => ({
    round: i + 1,
    trainLoss: trainLosses[i] as number,
    loss: e.loss,
    auc: e.auc,
    aucError: e.aucError,
  }));
  return { model: plan.model, features, weights, n, rounds: plan.rounds, seed: plan.seed, history };
}
