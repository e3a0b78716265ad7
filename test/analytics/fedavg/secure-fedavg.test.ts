/**
 * FedAvgM with its updates passed through secure aggregation: each site masks [n·Δ, n] in fixed point with
 * its X25519 key, the hub sees only masked vectors and their sum, and training ends at the same model as with
 * plain aggregation up to fixed-point precision.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import type { LocalUpdate } from '../../../src/analytics/fedavg/local-train.ts';
import type { AggregateSums } from '../../../src/analytics/fedavg/server-step.ts';
import { trainFederated } from '../../../src/analytics/fedavg/train-federated.ts';
import { encodeFixedPoint, type FixedPointOptions } from '../../../src/federation/secure-agg/fixed-point.ts';
import { aggregateMasked, maskValues } from '../../../src/federation/secure-agg/secure-sum.ts';
import { threeSites } from './synthetic.ts';

const { sites, test: heldOut } = threeSites(21);
const keys = sites.map((_, k) => ({ id: `hospital-${k}`, ...generateKeyPairSync('x25519') }));
const FIXED: FixedPointOptions = { fractionBits: 32, participantsMax: 8 };
const local = { epochs: 1, batchSize: 32, learningRate: 0.05 };

test('secure aggregation gives the same federated model as plain aggregation, and the hub sees only masks', () => {
  const seen: BigUint64Array[][] = [];
  const secure = (updates: readonly LocalUpdate[], round: number): AggregateSums => {
    // At each site: its own vector [n·Δ…, n], masked with its private key and the others' public keys.
    const masked = updates.map((u, k) => {
      const me = keys[k] ?? assert.fail();
      const vector = [...u.delta.map((d) => d * u.n), u.n];
      const out = maskValues(
        vector,
        {
          roundId: `fedavg-round-${round}`,
          context: 'fedavg/test',
          self: { id: me.id, privateKey: me.privateKey },
          peers: keys.filter((p) => p.id !== me.id).map((p) => ({ id: p.id, publicKey: p.publicKey })),
        },
        FIXED,
      );
      const plain = encodeFixedPoint(vector, FIXED);
      assert.ok(
        out.every((w, i) => w !== plain[i]),
        'no word of a masked update equals its plain encoding',
      );
      return out;
    });
    seen.push(masked);
    // At the hub: only the masked vectors, whose sum is Σ n·Δ and Σ n.
    const sum = aggregateMasked(masked, FIXED);
    return { weightedDeltaSum: sum.subarray(0, sum.length - 1), n: sum[sum.length - 1] as number };
  };
  for (const model of [
    { kind: 'logistic', features: 6 },
    { kind: 'mlp', features: 6, hidden: 16, activation: 'tanh' },
  ] as const) {
    const options = { model, rounds: 10, seed: 5, local, evaluation: heldOut };
    const plain = trainFederated(sites, options);
    const masked = trainFederated(sites, { ...options, aggregate: secure });
    const gap = Math.max(...plain.model.params.map((p, k) => Math.abs(p - (masked.model.params[k] as number))));
    assert.ok(gap < 1e-9, `${model.kind}: largest parameter difference ${gap}`);
    const aucGap = Math.abs((plain.history.at(-1)?.auc as number) - (masked.history.at(-1)?.auc as number));
    assert.ok(aucGap < 1e-9, `${model.kind}: AUC differs by ${aucGap}`);
  }
  assert.equal(seen.length, 20);
  assert.ok(seen.every((round) => round.length === 3));
});
