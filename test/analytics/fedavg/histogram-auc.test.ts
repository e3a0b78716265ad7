/**
 * The AUC from per-class score histograms is within its stated error of the exact Mann–Whitney AUC of the scores
 * behind them, and exact when no positive shares a bin with a negative; clipping bounds the L2 norm and keeps
 * the direction.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { aucMannWhitney } from '../../../src/analytics/fedavg/auc.ts';
import { clipL2, l2Norm } from '../../../src/analytics/fedavg/clip.ts';
import { aucFromHistograms, scoreBin } from '../../../src/analytics/fedavg/histogram-auc.ts';
import { isMeridianError } from '../../../src/errors/registry.ts';

function histograms(scores: readonly number[], labels: readonly number[], bins: number) {
  const positives = new Array<number>(bins).fill(0);
  const negatives = new Array<number>(bins).fill(0);
  scores.forEach((s, i) => {
    const h = labels[i] === 1 ? positives : negatives;
    const b = scoreBin(s, bins);
    h[b] = (h[b] as number) + 1;
  });
  return { positives, negatives };
}

test('property: the histogram AUC is within its error of the exact AUC; exact when no bin holds both classes', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1)), {
        minLength: 2,
        maxLength: 200,
      }),
      fc.integer({ min: 1, max: 400 }),
      (rows, bins) => {
        const scores = rows.map((r) => r[0]);
        const labels = rows.map((r) => r[1]);
        const { positives, negatives } = histograms(scores, labels, bins);
        const got = aucFromHistograms(positives, negatives);
        const exact = aucMannWhitney(scores, labels);
        if (exact === null) return assert.equal(got, null);
        assert.ok(got !== null);
        assert.ok(Math.abs(got.auc - exact) <= got.error + 1e-12, `${got.auc} ± ${got.error} vs ${exact}`);
        if (positives.every((p, b) => p === 0 || negatives[b] === 0)) {
          assert.equal(got.error, 0);
          assert.ok(Math.abs(got.auc - exact) <= 1e-12);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('bins: probability 1 falls in the last bin; non-probabilities and bad histograms are refused', () => {
  assert.equal(scoreBin(1, 10), 9);
  assert.equal(scoreBin(0, 10), 0);
  assert.equal(scoreBin(0.25, 4), 1);
  assert.throws(
    () => scoreBin(1.5, 10),
    (e: unknown) => isMeridianError(e, 'MER_FEDAVG_INVALID_INPUT'),
  );
  assert.throws(
    () => scoreBin(Number.NaN, 10),
    (e: unknown) => isMeridianError(e, 'MER_FEDAVG_INVALID_INPUT'),
  );
  assert.throws(
    () => aucFromHistograms([1, 2], [1]),
    (e: unknown) => isMeridianError(e, 'MER_FEDAVG_INVALID_INPUT'),
  );
  assert.throws(
    () => aucFromHistograms([1, 0.5], [1, 1]),
    (e: unknown) => isMeridianError(e, 'MER_FEDAVG_INVALID_INPUT') && /positives\[1\]/.test(e.message),
  );
});

test('property: clipping bounds the L2 norm, keeps the direction, and leaves a short update as it is', () => {
  fc.assert(
    fc.property(
      fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 1, maxLength: 50 }),
      fc.double({ min: 1e-3, max: 50, noNaN: true }),
      (values, clip) => {
        const delta = Float64Array.from(values);
        const clipped = clipL2(delta, clip);
        const norm = l2Norm(delta);
        assert.ok(l2Norm(clipped) <= clip * (1 + 1e-12), `‖clipped‖ ${l2Norm(clipped)} > ${clip}`);
        if (norm <= clip) assert.deepEqual(Array.from(clipped), values);
        else {
          clipped.forEach((v, i) => {
            assert.ok(Math.abs(v - ((values[i] as number) * clip) / norm) <= 1e-12);
          });
        }
      },
    ),
    { numRuns: 300 },
  );
  assert.throws(
    () => clipL2(Float64Array.of(1), 0),
    (e: unknown) => isMeridianError(e, 'MER_FEDAVG_INVALID_INPUT'),
  );
});
