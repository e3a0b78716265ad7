/**
 * The FedAvgM server update (Hsu, Qi and Brown 2019): with Δ̄ the row-weighted mean of the sites' updates,
 * v ← β·v + Δ̄ and w ← w − η·v. β = 0 and η = 1 is plain FedAvg (w becomes the weighted mean of the local
 * models). The server only needs Σ nᵢΔᵢ and Σ nᵢ, which is what secure aggregation delivers.
 */
import { MeridianError } from '../../errors/registry.ts';
import type { LocalUpdate } from './local-train.ts';
import type { Model } from './model.ts';

/** Default server learning rate η. */
export const SERVER_LEARNING_RATE_DEFAULT = 1;
/** Default server momentum β. */
export const MOMENTUM_DEFAULT = 0.5;

/** The server's state between rounds. */
export interface ServerState {
  readonly model: Model;
  readonly velocity: Float64Array;
  readonly round: number;
}

/** Server options: learning rate η (default 1) and momentum β (default 0.5; 0.9 with η = 1 overshoots after a full local epoch). */
export interface ServerOptions {
  readonly learningRate?: number;
  readonly momentum?: number;
}

/** What the server aggregates from a round: Σ nᵢΔᵢ and Σ nᵢ. */
export interface AggregateSums {
  readonly weightedDeltaSum: Float64Array;
  readonly n: number;
}

function invalid(field: string, value: unknown, rule: string): never {
  throw new MeridianError('MER_FEDAVG_INVALID_INPUT', `${field} ${rule}, not ${String(value)}`, { field });
}

/** The server state before the first round. */
export function initServer(model: Model): ServerState {
  return { model, velocity: new Float64Array(model.params.length), round: 0 };
}

/** Σ nᵢΔᵢ and Σ nᵢ of the sites' updates in the clear (what secure aggregation computes without revealing each). */
export function plainSums(updates: readonly LocalUpdate[]): AggregateSums {
  const length = updates[0]?.delta.length ?? 0;
  const weightedDeltaSum = new Float64Array(length);
  let n = 0;
  updates.forEach((u, k) => {
    if (u.delta.length !== length) invalid(`updates[${k}].delta.length`, u.delta.length, `must equal ${length}`);
    if (!Number.isSafeInteger(u.n) || u.n < 1) invalid(`updates[${k}].n`, u.n, 'must be a whole number ≥ 1');
    for (let i = 0; i < length; i++)
      weightedDeltaSum[i] = (weightedDeltaSum[i] as number) + u.n * (u.delta[i] as number);
    n += u.n;
  });
  return { weightedDeltaSum, n };
}

/** One FedAvgM step from aggregated sums. */
export function serverStepFromSums(state: ServerState, sums: AggregateSums, options?: ServerOptions): ServerState {
  const eta = options?.learningRate ?? SERVER_LEARNING_RATE_DEFAULT;
  const beta = options?.momentum ?? MOMENTUM_DEFAULT;
  if (!Number.isFinite(eta) || eta <= 0 || eta > 100)
    invalid('server.learningRate', eta, 'must be a number in (0, 100]');
  if (!Number.isFinite(beta) || beta < 0 || beta >= 1) invalid('server.momentum', beta, 'must be a number in [0, 1)');
  const params = state.model.params;
  if (sums.weightedDeltaSum.length !== params.length) {
    invalid(
      'sums.weightedDeltaSum.length',
      sums.weightedDeltaSum.length,
      `must equal the model's ${params.length} parameters`,
    );
  }
  if (!(sums.n >= 1)) invalid('sums.n', sums.n, 'must be at least 1');
  const velocity = new Float64Array(params.length);
  const next = new Float64Array(params.length);
  for (let i = 0; i < params.length; i++) {
    const mean = (sums.weightedDeltaSum[i] as number) / sums.n;
    if (!Number.isFinite(mean)) invalid(`sums.weightedDeltaSum[${i}]`, sums.weightedDeltaSum[i], 'must be finite');
    velocity[i] = beta * (state.velocity[i] as number) + mean;
    next[i] = (params[i] as number) - eta * (velocity[i] as number);
  }
  return { model: { spec: state.model.spec, params: next }, velocity, round: state.round + 1 };
}

/** One FedAvgM step from the sites' updates. */
export function serverStep(state: ServerState, updates: readonly LocalUpdate[], options?: ServerOptions): ServerState {
  if (updates.length === 0) invalid('updates.length', 0, 'must be at least 1');
  return serverStepFromSums(state, plainSums(updates), options);
}
