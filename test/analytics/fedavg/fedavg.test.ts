/**
 * FedAvgM on three unequal, shifted sites drawn from a known logistic model: the federated logistic model and
 * the 16-unit perceptron reach the held-out AUC of the pooled maximum-likelihood fit within 0.02; gradients
 * match finite differences; the server step is FedAvgM exactly; runs replay from their seed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { makeDataset } from '../../../src/analytics/fedavg/dataset.ts';
import { evaluate } from '../../../src/analytics/fedavg/evaluate.ts';
import { localTrain } from '../../../src/analytics/fedavg/local-train.ts';
import { initModel, lossAndGradient, type Model, type ModelSpec } from '../../../src/analytics/fedavg/model.ts';
import { seededRng } from '../../../src/analytics/fedavg/rng.ts';
import { initServer, serverStep } from '../../../src/analytics/fedavg/server-step.ts';
import { trainFederated } from '../../../src/analytics/fedavg/train-federated.ts';
import { isMeridianError } from '../../../src/errors/registry.ts';
import { pooledLogisticFit, TRUE_COEFFICIENTS, threeSites } from './synthetic.ts';

const { sites, test: heldOut } = threeSites(7);
const pooled = pooledLogisticFit(sites);
const pooledAuc = evaluate({ spec: { kind: 'logistic', features: 6 }, params: pooled }, heldOut).auc as number;
const local = { epochs: 1, batchSize: 32, learningRate: 0.05 };

test('the pooled fit recovers the truth (a sanity check of the reference)', () => {
  for (const [k, b] of TRUE_COEFFICIENTS.entries()) {
    assert.ok(Math.abs((pooled[k] as number) - b) < 0.15, `β${k} ${pooled[k]} vs ${b}`);
  }
  assert.ok(pooledAuc > 0.8);
});

test('federated logistic regression reaches the pooled AUC within 0.02, and nearly its coefficients', () => {
  const run = trainFederated(sites, {
    model: { kind: 'logistic', features: 6 },
    rounds: 20,
    seed: 1,
    local,
    evaluation: heldOut,
  });
  const last = run.history.at(-1);
  assert.ok(last !== undefined && last.auc !== null);
  assert.ok(Math.abs(last.auc - pooledAuc) < 0.02, `federated AUC ${last.auc} vs pooled ${pooledAuc}`);
  const pooledLoss = evaluate({ spec: { kind: 'logistic', features: 6 }, params: pooled }, heldOut).loss;
  assert.ok(last.loss < pooledLoss + 0.01, `loss ${last.loss} vs pooled ${pooledLoss}`);
  for (const [k, p] of pooled.entries()) {
    assert.ok(Math.abs((run.model.params[k] as number) - p) < 0.1, `parameter ${k}: ${run.model.params[k]} vs ${p}`);
  }
  assert.ok((run.history[0]?.trainLoss as number) > last.trainLoss, 'the training loss falls');
  assert.equal(run.history.length, 20);
});

test('federated 16-unit perceptron (tanh and ReLU) reaches the pooled logistic AUC within 0.02', () => {
  for (const activation of ['tanh', 'relu'] as const) {
    const model: ModelSpec = { kind: 'mlp', features: 6, hidden: 16, activation };
    const run = trainFederated(sites, { model, rounds: 25, seed: 3, local, evaluation: heldOut });
    const auc = run.history.at(-1)?.auc as number;
    assert.ok(Math.abs(auc - pooledAuc) < 0.02, `${activation}: federated AUC ${auc} vs pooled ${pooledAuc}`);
  }
});

test('a run replays from its seed; another seed trains another perceptron', () => {
  const options = { model: { kind: 'mlp', features: 6, hidden: 4, activation: 'tanh' } as const, rounds: 2, local };
  const a = trainFederated(sites, { ...options, seed: 11 });
  const b = trainFederated(sites, { ...options, seed: 11 });
  const c = trainFederated(sites, { ...options, seed: 12 });
  assert.deepEqual(a.model.params, b.model.params);
  assert.deepEqual(a.history, b.history);
  assert.notDeepEqual(a.model.params, c.model.params);
});

test('property: gradients match central finite differences (logistic, tanh and ReLU perceptrons)', () => {
  const specs: ModelSpec[] = [
    { kind: 'logistic', features: 3 },
    { kind: 'mlp', features: 3, hidden: 4, activation: 'tanh' },
    { kind: 'mlp', features: 3, hidden: 4, activation: 'relu' },
  ];
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(0, 1, 2), (seed, which) => {
      const rng = seededRng(seed);
      const spec = specs[which] as ModelSpec;
      const model = initModel(spec, rng);
      for (let k = 0; k < model.params.length; k++) model.params[k] = (model.params[k] as number) + (rng() - 0.5);
      const rows = Array.from({ length: 5 }, () => Array.from({ length: 3 }, () => 2 * rng() - 1));
      const data = makeDataset(
        rows,
        rows.map(() => (rng() < 0.5 ? 0 : 1)),
      );
      const all = [0, 1, 2, 3, 4];
      const gradient = new Float64Array(model.params.length);
      lossAndGradient(model, data, all, gradient);
      const h = 1e-6;
      for (let k = 0; k < model.params.length; k++) {
        const at = (delta: number): number => {
          const p = Float64Array.from(model.params);
          p[k] = (p[k] as number) + delta;
          return lossAndGradient({ spec, params: p } as Model, data, all, null);
        };
        const numeric = (at(h) - at(-h)) / (2 * h);
        const tolerance = 1e-5 * Math.max(1, Math.abs(numeric));
        assert.ok(Math.abs(numeric - (gradient[k] as number)) < tolerance, `∂/∂θ${k}: ${gradient[k]} vs ${numeric}`);
      }
    }),
    { numRuns: 60 },
  );
});

test('the server step is FedAvgM: v ← βv + Δ̄ (row-weighted), w ← w − ηv; β = 0, η = 1 is plain FedAvg', () => {
  const model: Model = { spec: { kind: 'logistic', features: 1 }, params: Float64Array.from([1, 2]) };
  let state = initServer(model);
  const updates = [
    { delta: Float64Array.from([1, 0]), n: 1, loss: 0 },
    { delta: Float64Array.from([4, 3]), n: 2, loss: 0 },
  ];
  state = serverStep(state, updates, { momentum: 0.5, learningRate: 0.1 });
  assert.deepEqual([...state.velocity], [3, 2]); // Δ̄ = (1·[1,0] + 2·[4,3]) / 3
  assert.deepEqual([...state.model.params], [1 - 0.3, 2 - 0.2]);
  state = serverStep(state, updates, { momentum: 0.5, learningRate: 0.1 });
  assert.deepEqual([...state.velocity], [4.5, 3]);
  assert.equal(state.round, 2);

  const site = sites[0] ?? assert.fail();
  const start = initModel({ kind: 'logistic', features: 6 }, seededRng(0));
  const update = localTrain(start, site, local, seededRng(5));
  const fedavg = serverStep(initServer(start), [update], { momentum: 0, learningRate: 1 });
  const alone = localTrain(start, site, local, seededRng(5));
  for (const [k, p] of fedavg.model.params.entries()) {
    assert.ok(Math.abs(p - ((start.params[k] as number) - (alone.delta[k] as number))) < 1e-15);
  }
});

test('bad options and data are refused with the field named', () => {
  const refused = (fn: () => unknown, text: RegExp) =>
    assert.throws(fn, (e: unknown) => isMeridianError(e, 'MER_FEDAVG_INVALID_INPUT') && text.test(e.message));
  const model = { kind: 'logistic', features: 6 } as const;
  refused(() => trainFederated(sites, { model, rounds: 0, seed: 1, local }), /rounds/);
  refused(() => trainFederated([], { model, rounds: 1, seed: 1, local }), /sites\.length/);
  refused(
    () => trainFederated(sites, { model, rounds: 1, seed: 1, local: { ...local, learningRate: -1 } }),
    /local\.learningRate/,
  );
  refused(
    () =>
      trainFederated(sites, {
        model: { kind: 'mlp', features: 6, hidden: 0, activation: 'relu' },
        rounds: 1,
        seed: 1,
        local,
      }),
    /model\.hidden/,
  );
  refused(
    () => trainFederated(sites, { model, rounds: 1, seed: 1, local, server: { momentum: 1 } }),
    /server\.momentum/,
  );
  refused(() => makeDataset([[1, 2], [3]], [0, 1]), /rows\[1\]\.length/);
  refused(() => makeDataset([[1], [2]], [0, 2]), /dataset\.y\[1\] must be 0 or 1/);
  refused(() => makeDataset([[1], [Number.NaN]], [0, 1]), /dataset\.x\[1\]\[0\]/);
  refused(
    () =>
      localTrain(
        initModel({ kind: 'logistic', features: 2 }, seededRng(1)),
        sites[0] ?? assert.fail(),
        local,
        seededRng(1),
      ),
    /data\.features/,
  );
});
