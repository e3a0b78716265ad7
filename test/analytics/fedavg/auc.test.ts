/** Exact AUC by Mann–Whitney with ties equals the brute-force count over all (positive, negative) pairs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { aucMannWhitney } from '../../../src/analytics/fedavg/auc.ts';
import { isMeridianError } from '../../../src/errors/registry.ts';

function bruteForce(scores: readonly number[], labels: readonly number[]): number {
  let pairs = 0;
  let wins = 0;
  scores.forEach((s, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((t, j) => {
      if (labels[j] !== 0) return;
      pairs++;
      wins += s > t ? 1 : s === t ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

test('property: equals the pairwise count, ties counting one half (small integer scores force many ties)', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.oneof(fc.integer({ min: -3, max: 3 }), fc.double({ min: -5, max: 5, noNaN: true })),
          fc.constantFrom(0, 1),
        ),
        {
          minLength: 2,
          maxLength: 300,
        },
      ),
      (pairs) => {
        const scores = pairs.map(([s]) => s);
        const labels = pairs.map(([, y]) => y);
        const auc = aucMannWhitney(scores, labels);
        if (!labels.includes(0) || !labels.includes(1)) return assert.equal(auc, null);
        const positives = labels.filter((y) => y === 1).length;
        const scale = positives * (labels.length - positives);
        // Compare U statistics (half-integers) so the check is exact, not a tolerance on a ratio.
        assert.equal(Math.round((auc as number) * scale * 2), Math.round(bruteForce(scores, labels) * scale * 2));
        assert.ok(Math.abs((auc as number) - bruteForce(scores, labels)) < 1e-12);
      },
    ),
    { numRuns: 300 },
  );
});

test('known values: perfect, reversed, all tied, one class', () => {
  assert.equal(aucMannWhitney([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
  assert.equal(aucMannWhitney([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
  assert.equal(aucMannWhitney([1, 1, 1, 1], [0, 1, 0, 1]), 0.5);
  assert.equal(aucMannWhitney([0.3, 0.6, 0.6, 0.9], [0, 0, 1, 1]), 0.875);
  assert.equal(aucMannWhitney([1, 2], [1, 1]), null);
});

test('bad input names the field', () => {
  assert.throws(
    () => aucMannWhitney([1, Number.NaN], [0, 1]),
    (e) => isMeridianError(e, 'MER_FEDAVG_INVALID_INPUT') && /scores\[1\]/.test(e.message),
  );
  assert.throws(
    () => aucMannWhitney([1, 2], [0, 2]),
    (e) => isMeridianError(e) && /labels\[1\] must be 0 or 1/.test(e.message),
  );
  assert.throws(
    () => aucMannWhitney([1, 2], [0]),
    (e) => isMeridianError(e) && /labels\.length/.test(e.message),
  );
});
