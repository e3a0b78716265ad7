/**
 * FedAvg (FedAvgM) across three hospital lakes, in process (masked-fixtures.ts): death (the survival variable's
 * event) predicted from age, sex and HbA1c, through the real node runner and the hub's rounds. Checks: the
 * federated model, losses and pooled standardization equal `trainFederated` on the pooled standardized rows with
 * the same seed and the same clipping (1e-9), for a logistic model and a perceptron; the AUC from the pooled score
 * histograms is the exact AUC within the error the histograms allow; every update leaving a node has an L2 norm
 * within the clip (and the clip did bind); every vector the hub receives is masked; the default node policy waits
 * for the steward; a rare outcome class, a non-binary outcome and bad parameters are refused.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  clipL2,
  type Dataset,
  type FederatedResult,
  l2Norm,
  type ModelSpec,
  plainSums,
  trainFederated,
} from '../../src/analytics/fedavg/index.ts';
import { isMeridianError } from '../../src/errors/registry.ts';
import {
  FEDAVG_ANALYSIS,
  type FedAvgPlan,
  FedAvgRoundInputSchema,
  fedavgPlan,
  fedavgRunner,
  prepareFedAvg,
} from '../../src/federation/analyses/fedavg.ts';
import { designMatrix } from '../../src/federation/dataset/index.ts';
import { type FederationNodeDeps, runFederatedRound } from '../../src/federation/node.ts';
import type { AnalysisKind, FederatedTask } from '../../src/federation/protocol.ts';
import { type FederatedFedAvg, runFederatedFedAvg } from '../../src/hub/federation/fedavg.ts';
import { assertMaskedOnly, type Consortium, HOSPITALS, maskedOf, openConsortium } from './masked-fixtures.ts';

const FEATURES = ['age', 'male', 'hba1c'];
const LOGISTIC = {
  outcome: 'os_event',
  features: FEATURES,
  rounds: 6,
  epochs: 2,
  batchSize: 16,
  learningRate: 0.2,
  clipNorm: 0.4,
  momentum: 0.5,
  seed: 20_261_125,
  aucBins: 1_000,
};

let consortium: Consortium;

before(async () => {
  consortium = await openConsortium(300);
});

after(async () => {
  await consortium.close();
});

/** Every hospital running FedAvg without waiting for its steward, under `minCell` (or one hospital's own). */
function fedavgNodes(minCell: (node: string) => number = () => 5): Map<string, FederationNodeDeps> {
  const policy = { autoApprove: new Set<AnalysisKind>(['fedavg']) };
  return new Map(HOSPITALS.map((h) => [h, { ...consortium.nodeDeps(h, 'fedavg', fedavgRunner, minCell(h)), policy }]));
}

/** Each hospital's complete-case design of the task, read straight from its lake. */
async function designs(task: FederatedTask) {
  return Promise.all(
    HOSPITALS.map(async (h) =>
      designMatrix(await consortium.rows(h, task), { outcome: 'os_event', covariates: FEATURES, intercept: false }),
    ),
  );
}

/** The in-memory reference: trainFederated on the rows standardized by `fed`'s pooled scaling, clipping as the nodes do. */
async function reference(
  task: FederatedTask,
  fed: FederatedFedAvg,
  spec: ModelSpec,
  norms: number[] = [],
): Promise<FederatedResult> {
  const plan = fedavgPlan(task);
  const sites: Dataset[] = (await designs(task)).map((d) => ({
    features: FEATURES.length,
    x: Float64Array.from(
      d.X.flat().map((v, i) => {
        const f = fed.features[i % FEATURES.length] as { mean: number; sd: number };
        return (v - f.mean) / f.sd;
      }),
    ),
    y: Float64Array.from(d.y),
  }));
  return trainFederated(sites, {
    model: spec,
    rounds: plan.rounds,
    seed: plan.seed,
    local: { epochs: plan.epochs, batchSize: plan.batchSize, learningRate: plan.learningRate },
    server: { learningRate: plan.serverLearningRate, momentum: plan.momentum },
    aggregate: (updates) => {
      for (const u of updates) norms.push(l2Norm(u.delta));
      return plainSums(updates.map((u) => ({ ...u, delta: clipL2(u.delta, plan.clipNorm) })));
    },
  });
}

function assertSameTraining(fed: FederatedFedAvg, ref: FederatedResult): void {
  assert.equal(fed.weights.length, ref.model.params.length);
  fed.weights.forEach((w, i) => {
    const r = ref.model.params[i] as number;
    assert.ok(Math.abs(w - r) <= 1e-9, `weight ${i}: ${w} vs ${r}`);
  });
  assert.equal(fed.history.length, ref.history.length);
  fed.history.forEach((h, i) => {
    const r = ref.history[i];
    assert.ok(r && Math.abs(h.trainLoss - r.trainLoss) <= 1e-9, `round ${h.round} train loss ${h.trainLoss}`);
    assert.ok(r && Math.abs(h.loss - r.loss) <= 1e-9, `round ${h.round} loss ${h.loss} vs ${r?.loss}`);
    assert.ok(r?.auc !== null && r?.auc !== undefined && h.auc !== null && h.aucError !== null);
    assert.ok(
      Math.abs(h.auc - r.auc) <= h.aucError + 1e-12,
      `round ${h.round} AUC ${h.auc} ± ${h.aucError} vs exact ${r.auc}`,
    );
    assert.ok(h.aucError < 0.01, `round ${h.round}: the grid hides at most ${h.aucError} of the AUC`);
  });
}

test('a federated logistic FedAvgM equals trainFederated on the pooled standardized rows; updates are clipped; the hub sees only masked vectors', async (t) => {
  const task = consortium.task('fedavg', LOGISTIC);
  const seen: Parameters<Consortium['inProcess']>[1] = [];
  const fed = await runFederatedFedAvg(consortium.inProcess(fedavgNodes(), seen), task);
  t.diagnostic(`history ${JSON.stringify(fed.history)}`);

  const rows = await designs(task);
  const pooled = rows.flatMap((d) => d.X);
  assert.equal(fed.n, pooled.length);
  FEATURES.forEach((name, k) => {
    const xs = pooled.map((r) => r[k] as number);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1));
    const f = fed.features[k];
    assert.equal(f?.name, name);
    assert.ok(f && Math.abs(f.mean - mean) <= 1e-9 * Math.abs(mean), `${name} mean ${f?.mean} vs ${mean}`);
    assert.ok(f && Math.abs(f.sd - sd) <= 1e-9 * sd, `${name} sd ${f?.sd} vs ${sd}`);
  });

  const norms: number[] = [];
  const ref = await reference(task, fed, { kind: 'logistic', features: FEATURES.length }, norms);
  assertSameTraining(fed, ref);
  assert.ok(
    norms.some((n) => n > LOGISTIC.clipNorm),
    'some unclipped update exceeds the clip (else clipping is untested)',
  );
  const last = fed.history.at(-1);
  assert.ok(last && last.loss < (fed.history[0]?.trainLoss as number), 'training lowers the loss');
  assert.ok(last?.auc !== null && (last?.auc as number) > 0.55, `AUC ${last?.auc}: age and sex predict death`);

  // Every round's vectors: masked alone, the true sums together; every update that left a node within the clip.
  const plan: FedAvgPlan = fedavgPlan(task);
  const tables = new Map(
    await Promise.all(
      HOSPITALS.map(
        async (node) => [node, prepareFedAvg(await consortium.rows(node, task), plan, { minCell: 5, node })] as const,
      ),
    ),
  );
  let updates = 0;
  for (let round = 1; round <= plan.rounds + 3; round++) {
    const truth = new Map<string, number[]>();
    for (const s of seen.filter((x) => x.payload.round === round)) {
      const input = FedAvgRoundInputSchema.parse(s.payload.input);
      const table = tables.get(s.node);
      assert.ok(table);
      const values = FEDAVG_ANALYSIS.compute(table, plan, input).values;
      truth.set(s.node, values);
      if (input.stage !== 'train') continue;
      const delta = values.slice(0, plan.parameters).map((v) => v / table.y.length);
      assert.ok(l2Norm(delta) <= plan.clipNorm * (1 + 1e-12), `${s.node} round ${round}: ‖Δ‖ ${l2Norm(delta)}`);
      updates++;
    }
    assertMaskedOnly(maskedOf(seen, round), truth, 1e-9);
  }
  assert.equal(updates, plan.rounds * HOSPITALS.length);
});

test('a federated perceptron (tanh) equals trainFederated with the same seed', async () => {
  const parameters = { ...LOGISTIC, model: { kind: 'mlp', hidden: 4, activation: 'tanh' }, rounds: 3, clipNorm: 2 };
  const task = consortium.task('fedavg', parameters);
  const fed = await runFederatedFedAvg(consortium.inProcess(fedavgNodes()), task);
  assert.deepEqual(fed.model, { kind: 'mlp', hidden: 4, activation: 'tanh' });
  const spec: ModelSpec = { kind: 'mlp', features: FEATURES.length, hidden: 4, activation: 'tanh' };
  assertSameTraining(fed, await reference(task, fed, spec));
});

test('the default node policy leaves FedAvg to the steward', async () => {
  const task = consortium.task('fedavg', LOGISTIC);
  const deps = consortium.nodeDeps(HOSPITALS[0] as string, 'fedavg', fedavgRunner);
  await assert.rejects(runFederatedRound(deps, { task, round: 0 }), (e: unknown) =>
    isMeridianError(e, 'MER_FED_NODE_POLICY'),
  );
});

test('a rare outcome class or a non-binary outcome is refused at the node, naming no count; bad parameters name the field', async () => {
  const task = consortium.task('fedavg', LOGISTIC);
  const plan = fedavgPlan(task);
  const rows = Array.from({ length: 100 }, (_, i) => ({
    os_event: i < 4 ? 1 : 0,
    age: 50 + (i % 30),
    male: i % 2,
    hba1c: 6 + (i % 10) / 10,
  }));
  assert.throws(
    () => prepareFedAvg(rows, plan, { minCell: 5, node: 'hospital-a' }),
    (e: unknown) =>
      isMeridianError(e, 'MER_DISCLOSURE_FEDAVG_REFUSED') &&
      /hospital-a refuses: binary variable os_event has a category under the minimum cell of 5/.test(e.message) &&
      !/\b4\b/.test(e.message),
  );
  assert.throws(
    () => prepareFedAvg(rows.slice(0, 4), plan, { minCell: 5, node: 'hospital-a' }),
    (e: unknown) => isMeridianError(e, 'MER_DISCLOSURE_COHORT_TOO_SMALL'),
  );
  assert.throws(
    () =>
      prepareFedAvg(rows, fedavgPlan(consortium.task('fedavg', { ...LOGISTIC, outcome: 'age', features: ['hba1c'] })), {
        minCell: 5,
        node: 'hospital-a',
      }),
    (e: unknown) => isMeridianError(e, 'MER_DATASET_DESIGN_INVALID') && /outcome age/.test(e.message),
  );

  // Through the hub: one hospital's minimum cell sits just above its rarer outcome class.
  const [first] = await designs(task);
  assert.ok(first);
  const deaths = first.y.filter((y) => y === 1).length;
  const rare = Math.min(deaths, first.y.length - deaths);
  assert.ok(rare + 1 <= first.y.length && plan.parameters <= 0.33 * first.y.length);
  const strict = HOSPITALS[0] as string;
  await assert.rejects(
    runFederatedFedAvg(consortium.inProcess(fedavgNodes((h) => (h === strict ? rare + 1 : 5))), task),
    (e: unknown) =>
      isMeridianError(e, 'MER_FED_PARTIAL') &&
      new RegExp(`${strict} \\(MER_DISCLOSURE_FEDAVG_REFUSED: ${strict} refuses: binary variable os_event`).test(
        e.message,
      ) &&
      !e.message.includes(String(rare)),
  );

  const bad = (parameters: Record<string, unknown>, field: RegExp) =>
    assert.throws(
      () => fedavgPlan(consortium.task('fedavg', { ...LOGISTIC, ...parameters })),
      (e: unknown) => isMeridianError(e, 'MER_FED_INVALID_TASK') && field.test(e.message),
    );
  bad({ features: ['age', 'weight'] }, /parameters\.features\.1: weight is not a column/);
  bad({ features: ['age', 'os_event'] }, /parameters\.features\.1: os_event is already the outcome/);
  bad({ outcome: 'death' }, /parameters\.outcome: death is not a column/);
  bad({ categorical: { sex: { levels: ['F', 'M'], reference: 'F' } } }, /parameters\.categorical\.sex: is not one/);
  bad({ model: { kind: 'mlp', hidden: 65 } }, /parameters\.model\.hidden/);
  bad({ clipNorm: 0 }, /parameters\.clipNorm/);
  bad({ rounds: 201 }, /parameters\.rounds/);
});
