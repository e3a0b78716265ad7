/**
 * Pairwise-masked sums: exact cancellation over all participants, masked vectors indistinguishable from
 * uniform (chi-square over every byte position of the 64-bit words, with the unmasked encoding as a control
 * that fails it), and no cancellation under a wrong round id, a missing participant or a changed set.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { test } from 'node:test';
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import fc from 'fast-check';
import { isMeridianError } from '../../../src/errors/registry.ts';
import { encodeFixedPoint } from '../../../src/federation/secure-agg/fixed-point.ts';
import { publicKeyFromRaw, publicKeyToRaw } from '../../../src/federation/secure-agg/pairwise-masks.ts';
import {
  aggregateMasked,
  type MaskRound,
  maskValues,
  maskVector,
  sumMasked,
} from '../../../src/federation/secure-agg/secure-sum.ts';

interface Node {
  id: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const nodes: Node[] = ['hospital-a', 'hospital-b', 'hospital-c', 'hospital-d', 'hospital-e'].map((id) => ({
  id,
  ...generateKeyPairSync('x25519'),
}));

function roundFor(node: Node, all: readonly Node[], roundId: string, context = 'test/sum'): MaskRound {
  return {
    roundId,
    context,
    self: { id: node.id, privateKey: node.privateKey },
    peers: all.filter((n) => n.id !== node.id).map((n) => ({ id: n.id, publicKey: n.publicKey })),
  };
}

function exactSum(vectors: readonly number[][]): BigUint64Array {
  const sum = new BigUint64Array(vectors[0]?.length ?? 0);
  for (const v of vectors) {
    const e = encodeFixedPoint(v);
    for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as bigint) + (e[i] as bigint);
  }
  return sum;
}

/** p-value of a chi-square test that every byte position of the 64-bit words is uniform over 0–255. */
function bytePositionUniformity(words: BigUint64Array): number {
  const counts = new Float64Array(8 * 256);
  const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  for (let i = 0; i < bytes.length; i++) {
    const cell = (i % 8) * 256 + (bytes[i] as number);
    counts[cell] = (counts[cell] as number) + 1;
  }
  const expected = words.length / 256;
  let chi = 0;
  for (const c of counts) chi += (c - expected) ** 2 / expected;
  return 1 - chisquareCdf(chi, 8 * 255);
}

test('property: the sum of all masked vectors is exactly the sum of the encoded plain vectors', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 5 }),
      fc.integer({ min: 1, max: 40 }),
      fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 200, maxLength: 200 }),
      fc.string({ minLength: 1, maxLength: 20 }),
      (count, length, pool, roundId) => {
        const members = nodes.slice(0, count);
        const vectors = members.map((_, k) =>
          pool
            .slice(k * length, (k + 1) * length)
            .concat(new Array(200).fill(0))
            .slice(0, length),
        );
        const masked = members.map((n, k) => maskValues(vectors[k] as number[], roundFor(n, members, roundId)));
        assert.deepEqual(sumMasked(masked), exactSum(vectors));
        const decoded = aggregateMasked(masked);
        for (let i = 0; i < length; i++) {
          const plain = vectors.reduce((s, v) => s + Math.round((v[i] as number) * 2 ** 24), 0) / 2 ** 24;
          assert.ok(Math.abs((decoded[i] as number) - plain) <= 1e-9 * Math.max(1, Math.abs(plain)));
        }
      },
    ),
    { numRuns: 40 },
  );
});

test('one masked vector is indistinguishable from uniform; the unmasked encoding is not', () => {
  const length = 65_536;
  const plain = new Array<number>(length).fill(1.5); // the worst case: a constant vector
  const masked = maskValues(plain, roundFor(nodes[0] as Node, nodes, 'uniformity'));
  const p = bytePositionUniformity(masked);
  assert.ok(p > 1e-4, `masked bytes fail uniformity: p = ${p}`);
  const control = bytePositionUniformity(encodeFixedPoint(plain));
  assert.ok(control < 1e-12, `the control should fail: p = ${control}`);
  const sparse = maskValues(
    Array.from({ length }, (_, i) => (i % 2 ? 1e6 : -3)),
    roundFor(nodes[4] as Node, nodes, 'uniformity'),
  );
  assert.ok(bytePositionUniformity(sparse) > 1e-4, 'the highest id (which only subtracts) is masked as well');
});

test('a wrong round id, a missing participant or a different set breaks cancellation', () => {
  const vectors = nodes.map((_, k) => [k, 2 * k, -k, 0.25]);
  const truth = exactSum(vectors);
  const honest = nodes.map((n, k) => maskValues(vectors[k] as number[], roundFor(n, nodes, 'round-1')));
  assert.deepEqual(sumMasked(honest), truth);

  const stray = honest.slice();
  stray[2] = maskValues(vectors[2] as number[], roundFor(nodes[2] as Node, nodes, 'round-2'));
  const wrong = sumMasked(stray);
  assert.ok(
    wrong.every((w, i) => w !== truth[i]),
    'every word differs when one participant used another round id',
  );

  const missing = sumMasked(honest.slice(0, 4));
  const truthOfFour = exactSum(vectors.slice(0, 4));
  assert.ok(
    missing.every((w, i) => w !== truthOfFour[i]),
    'a dropout leaves the masks in place',
  );

  const context = nodes.map((n, k) =>
    maskValues(vectors[k] as number[], roundFor(n, nodes, 'round-1', k === 0 ? 'other' : 'test/sum')),
  );
  assert.ok(
    sumMasked(context).every((w, i) => w !== truth[i]),
    'the context is bound too',
  );

  // Restarting with a fresh round id and the four that remain works, and shares no mask with round 1.
  const four = nodes.slice(0, 4);
  const restart = four.map((n, k) => maskValues(vectors[k] as number[], roundFor(n, four, 'round-1b')));
  assert.deepEqual(sumMasked(restart), truthOfFour);
  assert.ok(restart.every((m, k) => m.every((w, i) => w !== (honest[k] as BigUint64Array)[i])));
});

test('public keys travel as 32 raw bytes', () => {
  const raw = publicKeyToRaw((nodes[0] as Node).publicKey);
  assert.equal(raw.length, 32);
  const back = publicKeyFromRaw(raw);
  const members = nodes.slice(0, 2);
  const a = maskVector(new BigUint64Array([5n]), roundFor(members[0] as Node, members, 'raw'));
  const b = maskVector(new BigUint64Array([7n]), {
    ...roundFor(members[1] as Node, members, 'raw'),
    peers: [{ id: (members[0] as Node).id, publicKey: back }],
  });
  assert.deepEqual(sumMasked([a, b]), new BigUint64Array([12n]));
});

test('bad rounds are refused with the field named', () => {
  const [a, b] = nodes as [Node, Node];
  const refused = (fn: () => unknown, code: string, text: RegExp) =>
    assert.throws(fn, (e: unknown) => isMeridianError(e) && e.code === code && text.test(e.message));
  const round = roundFor(a, [a, b], 'r');
  refused(() => maskValues([1e300], round), 'MER_SECAGG_OVERFLOW', /values\[0\]/);
  refused(() => maskVector(new BigUint64Array(1), { ...round, roundId: '' }), 'MER_SECAGG_INVALID_INPUT', /roundId/);
  refused(
    () => maskVector(new BigUint64Array(1), { ...round, peers: [] }),
    'MER_SECAGG_INVALID_INPUT',
    /peers\.length/,
  );
  refused(
    () => maskVector(new BigUint64Array(1), { ...round, peers: [{ id: a.id, publicKey: a.publicKey }] }),
    'MER_SECAGG_INVALID_INPUT',
    /peers\[0\]\.id.*hospital-a/,
  );
  const ed = generateKeyPairSync('ed25519');
  refused(
    () => maskVector(new BigUint64Array(1), { ...round, self: { id: a.id, privateKey: ed.privateKey } }),
    'MER_SECAGG_INVALID_INPUT',
    /self\.privateKey.*X25519/,
  );
  refused(
    () => maskVector(new BigUint64Array(1), { ...round, peers: [{ id: b.id, publicKey: a.privateKey }] }),
    'MER_SECAGG_INVALID_INPUT',
    /peers\[0\]\.publicKey/,
  );
  refused(
    () => sumMasked([new BigUint64Array(2), new BigUint64Array(3)]),
    'MER_SECAGG_INVALID_INPUT',
    /masked\[1\]\.length/,
  );
  refused(
    () => maskValues([1], roundFor(a, nodes, 'r'), { participantsMax: 4 }),
    'MER_SECAGG_INVALID_INPUT',
    /participantsMax 4/,
  );
  refused(
    () =>
      aggregateMasked([new BigUint64Array(1), new BigUint64Array(1), new BigUint64Array(1)], { participantsMax: 2 }),
    'MER_SECAGG_INVALID_INPUT',
    /participantsMax 2/,
  );
});
