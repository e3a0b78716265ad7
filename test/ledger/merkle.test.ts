import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { isMeridianError } from '../../src/errors/registry.ts';
import {
  buildMerkleTree,
  consistencyProof,
  emptyTreeHash,
  inclusionProof,
  leafHash,
  MERKLE_PROOF_LENGTH_MAX,
  type MerkleTree,
  merkleRoot,
  nodeHash,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
} from '../../src/ledger/merkle.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const dh = (h: string): Buffer => Buffer.from(h, 'hex');

// Certificate Transparency reference data (transparency-dev/merkle testonly and proof/verify_test.go).
const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(dh);
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
].map(dh);
// Inclusion vectors: leaf index (0-based), tree size, audit path.
const CT_INCLUSION: [number, number, string[]][] = [
  [
    0,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    5,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    1,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];
// Consistency vectors: first size, second size, proof.
const CT_CONSISTENCY: [number, number, string[]][] = [
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [
    2,
    5,
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
  [
    6,
    7,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
];
const SOME_HASH = dh('abacaba000000000000000000000000000000000000000000060061e00123456');
const EMPTY = emptyTreeHash();

// ---- A reference implementation written from the RFC 9162 definitions (§2.1.1, §2.1.3.1, §2.1.4.1). ----
const k2 = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};
function refMth(d: readonly Buffer[]): Buffer {
  if (d.length === 0) return createHash('sha256').digest();
  if (d.length === 1) return leafHash(d[0] as Buffer);
  const k = k2(d.length);
  return nodeHash(refMth(d.slice(0, k)), refMth(d.slice(k)));
}
function refPath(m: number, d: readonly Buffer[]): Buffer[] {
  if (d.length <= 1) return [];
  const k = k2(d.length);
  return m < k
    ? [...refPath(m, d.slice(0, k)), refMth(d.slice(k))]
    : [...refPath(m - k, d.slice(k)), refMth(d.slice(0, k))];
}
function refSubproof(m: number, d: readonly Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [refMth(d)];
  const k = k2(d.length);
  return m <= k
    ? [...refSubproof(m, d.slice(0, k), b), refMth(d.slice(k))]
    : [...refSubproof(m - k, d.slice(k), false), refMth(d.slice(0, k))];
}
/** The length of SUBPROOF(m, D[n], b), from the same recursion without hashing. */
function subproofLength(m: number, n: number, b: boolean): number {
  if (m === n) return b ? 0 : 1;
  const k = k2(n);
  return 1 + (m <= k ? subproofLength(m, k, b) : subproofLength(m - k, n - k, false));
}
/** The side of each audit-path sibling, deepest first, from the RFC's PATH recursion. */
function pathShape(m: number, n: number): string {
  if (n <= 1) return '';
  const k = k2(n);
  return m < k ? `${pathShape(m, k)}R` : `${pathShape(m - k, n - k)}L`;
}

/** Distinct entries for a tree of `n` leaves. */
const entriesOf = (n: number, salt = 0): Buffer[] =>
  Array.from({ length: n }, (_, i) => Buffer.from(`entry ${salt}:${i}`));
const treeOf = (d: readonly Buffer[]): MerkleTree => buildMerkleTree(d.map((x) => leafHash(x)));
const flipBit = (b: Uint8Array, bit: number): Buffer => {
  const out = Buffer.from(b);
  const i = (bit >> 3) % out.length;
  out[i] = (out[i] as number) ^ (1 << (bit & 7));
  return out;
};

test('I3: roots match the Certificate Transparency reference roots for sizes 0..8', () => {
  assert.equal(hex(EMPTY), hex(CT_ROOTS[0] as Buffer));
  for (let n = 0; n <= 8; n += 1) {
    assert.equal(
      hex(merkleRoot(CT_LEAVES.slice(0, n).map((x) => leafHash(x)))),
      hex(CT_ROOTS[n] as Buffer),
      `size ${n}`,
    );
  }
  assert.equal(
    hex(nodeHash(leafHash(CT_LEAVES[0] as Buffer), leafHash(CT_LEAVES[1] as Buffer))),
    hex(CT_ROOTS[2] as Buffer),
  );
});

test('I3: the level-by-level tree equals the RFC recursion (largest power of two split) for sizes 0..300', () => {
  const d = entriesOf(300);
  for (let n = 0; n <= 300; n += n < 70 ? 1 : 7)
    assert.equal(hex(treeOf(d.slice(0, n)).root), hex(refMth(d.slice(0, n))), `n=${n}`);
});

test('I4: RFC 9162 inclusion vectors verify and are what inclusionProof generates', () => {
  const tree = treeOf(CT_LEAVES);
  for (const [index, size, path] of CT_INCLUSION) {
    const sub = treeOf(CT_LEAVES.slice(0, size));
    assert.deepEqual(inclusionProof(sub, index).map(hex), path);
    const check = { leafHash: leafHash(CT_LEAVES[index] as Buffer), index, treeSize: size, proof: path.map(dh) };
    assert.ok(verifyInclusion({ ...check, root: CT_ROOTS[size] as Buffer }), `${index}/${size}`);
    assert.equal(hex(rootFromInclusionProof(check) as Buffer), hex(CT_ROOTS[size] as Buffer));
  }
  assert.equal(tree.size, 8);
});

test('I4: negative inclusion vectors (wrong index, size, leaf or root; garbage, missing or altered elements)', () => {
  for (const [index, size, pathHex] of CT_INCLUSION) {
    const proof = pathHex.map(dh);
    const leaf = leafHash(CT_LEAVES[index] as Buffer);
    const root = CT_ROOTS[size] as Buffer;
    const probes: [string, Parameters<typeof verifyInclusion>[0]][] = [
      ['index - 1', { leafHash: leaf, index: index - 1, treeSize: size, proof, root }],
      ['index + 1', { leafHash: leaf, index: index + 1, treeSize: size, proof, root }],
      ['index ^ 2', { leafHash: leaf, index: index ^ 2, treeSize: size, proof, root }],
      ['size * 2', { leafHash: leaf, index, treeSize: size * 2, proof, root }],
      ['size / 2', { leafHash: leaf, index, treeSize: Math.floor(size / 2), proof, root }],
      ['wrong leaf', { leafHash: Buffer.from('WrongLeaf'), index, treeSize: size, proof, root }],
      ['other leaf', { leafHash: SOME_HASH, index, treeSize: size, proof, root }],
      ['empty root', { leafHash: leaf, index, treeSize: size, proof, root: EMPTY }],
      ['random root', { leafHash: leaf, index, treeSize: size, proof, root: SOME_HASH }],
      ['short root', { leafHash: leaf, index, treeSize: size, proof, root: root.subarray(0, 31) }],
      ['trailing garbage', { leafHash: leaf, index, treeSize: size, proof: [...proof, Buffer.alloc(0)], root }],
      ['trailing root', { leafHash: leaf, index, treeSize: size, proof: [...proof, root], root }],
      ['preceding garbage', { leafHash: leaf, index, treeSize: size, proof: [Buffer.alloc(0), ...proof], root }],
      ['preceding root', { leafHash: leaf, index, treeSize: size, proof: [root, ...proof], root }],
      ['removed component', { leafHash: leaf, index, treeSize: size, proof: proof.slice(0, -1), root }],
      [
        'inserted component',
        { leafHash: leaf, index, treeSize: size, proof: [proof[0] as Buffer, SOME_HASH, ...proof.slice(1)], root },
      ],
      ['index = size', { leafHash: leaf, index: size, treeSize: size, proof, root }],
      ['negative index', { leafHash: leaf, index: -1, treeSize: size, proof, root }],
      ['fractional index', { leafHash: leaf, index: index + 0.5, treeSize: size, proof, root }],
      ['size 0', { leafHash: leaf, index: 0, treeSize: 0, proof: [], root: EMPTY }],
    ];
    for (let i = 0; i < proof.length; i += 1) {
      const altered = proof.map((p, j) => (j === i ? flipBit(p, 3) : p));
      probes.push([`proof[${i}] bit 3`, { leafHash: leaf, index, treeSize: size, proof: altered, root }]);
    }
    for (const [desc, probe] of probes) assert.equal(verifyInclusion(probe), false, `${index}/${size}: ${desc}`);
  }
  // A one-leaf tree: root = leaf hash, empty proof; anything else fails.
  const only = leafHash(Buffer.from('data'));
  assert.ok(verifyInclusion({ leafHash: only, index: 0, treeSize: 1, proof: [], root: only }));
  assert.equal(verifyInclusion({ leafHash: only, index: 0, treeSize: 1, proof: [], root: Buffer.alloc(0) }), false);
  assert.equal(verifyInclusion({ leafHash: Buffer.alloc(0), index: 0, treeSize: 1, proof: [], root: only }), false);
  assert.equal(verifyInclusion({ leafHash: only, index: 1, treeSize: 1, proof: [], root: only }), false);
  const tooLong = Array.from({ length: MERKLE_PROOF_LENGTH_MAX + 1 }, () => SOME_HASH);
  assert.equal(verifyInclusion({ leafHash: only, index: 0, treeSize: 2 ** 53 - 1, proof: tooLong, root: only }), false);
});

test('I4: every leaf of random trees (1..300 leaves) has a proof that verifies and equals the RFC PATH (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), (n, salt) => {
      const d = entriesOf(n, salt);
      const tree = treeOf(d);
      for (let i = 0; i < n; i += 1) {
        const proof = inclusionProof(tree, i);
        assert.ok(
          verifyInclusion({ leafHash: leafHash(d[i] as Buffer), index: i, treeSize: n, proof, root: tree.root }),
        );
        if (i % 37 === 0) assert.deepEqual(proof.map(hex), refPath(i, d).map(hex));
      }
    }),
    { numRuns: 40 },
  );
});

test('I4: a bit flip in proof, leaf or root, or another index, never verifies; another size verifies only with the same path shape (property)', () => {
  fc.assert(
    fc.property(
      fc
        .integer({ min: 1, max: 300 })
        .chain((n) => fc.tuple(fc.constant(n), fc.nat({ max: n - 1 }), fc.nat(), fc.nat())),
      ([n, i, bit, salt]) => {
        const d = entriesOf(n, salt);
        const tree = treeOf(d);
        const leaf = leafHash(d[i] as Buffer);
        const proof = inclusionProof(tree, i);
        const ok = { leafHash: leaf, index: i, treeSize: n, proof, root: tree.root };
        assert.ok(verifyInclusion(ok));
        assert.equal(verifyInclusion({ ...ok, leafHash: flipBit(leaf, bit % 256) }), false, 'leaf');
        assert.equal(verifyInclusion({ ...ok, root: flipBit(tree.root, bit % 256) }), false, 'root');
        if (proof.length > 0) {
          const j = bit % proof.length;
          const altered = proof.map((p, k) => (k === j ? flipBit(p, bit % 256) : p));
          assert.equal(verifyInclusion({ ...ok, proof: altered }), false, 'proof');
        }
        for (let b = 0; b < 10; b += 1) {
          const other = i ^ (1 << b);
          if (other !== i && other < n) assert.equal(verifyInclusion({ ...ok, index: other }), false, `index ${other}`);
          // RFC 9162 proofs do not bind the tree size: a size whose audit path has the same shape also verifies.
          // Receipts therefore take sizes only from signed data (header.txCount, the signed batch.size).
          const size = n ^ (1 << b);
          if (size > i) {
            assert.equal(
              verifyInclusion({ ...ok, treeSize: size }),
              pathShape(i, size) === pathShape(i, n),
              `size ${size}`,
            );
          }
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('I4: inclusionProof refuses an index outside the tree with MER_LEDGER_INDEX_OUT_OF_RANGE', () => {
  const tree = treeOf(entriesOf(5));
  for (const bad of [-1, 5, 1.5, Number.NaN]) {
    assert.throws(
      () => inclusionProof(tree, bad),
      (e) => isMeridianError(e, 'MER_LEDGER_INDEX_OUT_OF_RANGE'),
    );
  }
  assert.throws(
    () => inclusionProof(treeOf([]), 0),
    (e) => isMeridianError(e, 'MER_LEDGER_INDEX_OUT_OF_RANGE'),
  );
  assert.throws(
    () => consistencyProof(tree, 6),
    (e) => isMeridianError(e, 'MER_LEDGER_INDEX_OUT_OF_RANGE'),
  );
});

test('I5: RFC 9162 consistency vectors verify, are what consistencyProof generates, and every corruption fails', () => {
  const tree = treeOf(CT_LEAVES);
  for (const [first, second, pathHex] of CT_CONSISTENCY) {
    const proof = pathHex.map(dh);
    assert.deepEqual(consistencyProof(treeOf(CT_LEAVES.slice(0, second)), first).map(hex), pathHex);
    const r1 = CT_ROOTS[first] as Buffer;
    const r2 = CT_ROOTS[second] as Buffer;
    const ok = { firstSize: first, secondSize: second, firstRoot: r1, secondRoot: r2, proof };
    assert.ok(verifyConsistency(ok), `${first}->${second}`);
    const probes: [string, Parameters<typeof verifyConsistency>[0]][] = [
      ['first - 1', { ...ok, firstSize: first - 1 }],
      ['first + 1', { ...ok, firstSize: first + 1 }],
      ['first ^ 2', { ...ok, firstSize: first ^ 2 }],
      ['second * 2', { ...ok, secondSize: second * 2 }],
      ['second / 2', { ...ok, secondSize: Math.floor(second / 2) }],
      ['wrong first root', { ...ok, firstRoot: Buffer.from('WrongRoot') }],
      ['wrong second root', { ...ok, secondRoot: Buffer.from('WrongRoot') }],
      ['other first root', { ...ok, firstRoot: SOME_HASH }],
      ['swapped roots', { ...ok, firstRoot: r2, secondRoot: r1 }],
      ['empty proof', { ...ok, proof: [] }],
      ['trailing garbage', { ...ok, proof: [...proof, Buffer.alloc(0)] }],
      ['trailing root1', { ...ok, proof: [...proof, r1] }],
      ['trailing root2', { ...ok, proof: [...proof, r2] }],
      ['preceding garbage', { ...ok, proof: [Buffer.alloc(0), ...proof] }],
      ['preceding root1', { ...ok, proof: [r1, ...proof] }],
      ['preceding root2', { ...ok, proof: [r2, ...proof] }],
      ['preceding proof[0]', { ...ok, proof: [proof[0] as Buffer, ...proof] }],
      ['truncated proof', { ...ok, proof: proof.slice(0, -1) }],
      ['first > second', { ...ok, firstSize: second + 1 }],
    ];
    for (let i = 0; i < proof.length; i += 1) {
      probes.push([`proof[${i}] bit 4`, { ...ok, proof: proof.map((p, j) => (j === i ? flipBit(p, 4) : p)) }]);
    }
    for (const [desc, probe] of probes) assert.equal(verifyConsistency(probe), false, `${first}->${second}: ${desc}`);
  }
  assert.equal(tree.size, 8);
});

test('I5: trivial consistency cases: equal sizes need an empty proof and equal roots; size 0 needs the empty root', () => {
  const r1 = CT_ROOTS[1] as Buffer;
  const r2 = CT_ROOTS[2] as Buffer;
  const c = (firstSize: number, secondSize: number, firstRoot: Buffer, secondRoot: Buffer, proof: Buffer[] = []) =>
    verifyConsistency({ firstSize, secondSize, firstRoot, secondRoot, proof });
  assert.ok(c(0, 0, EMPTY, EMPTY));
  assert.ok(c(0, 5, EMPTY, r2));
  assert.ok(c(1, 1, r1, r1));
  assert.equal(c(0, 0, r1, r1), false, 'size 0 with a non-empty root');
  assert.equal(c(0, 5, r1, r2), false);
  assert.equal(c(1, 1, r1, r2), false, 'equal sizes, different roots');
  assert.equal(c(1, 1, r1, r1, [EMPTY]), false, 'equal sizes, non-empty proof');
  assert.equal(c(0, 1, EMPTY, r1, [EMPTY]), false, 'size 0, non-empty proof');
  assert.equal(c(1, 0, r1, EMPTY), false, 'time travel');
  assert.equal(c(2, 1, r2, r1), false, 'time travel');
  assert.equal(c(1, 2, r1, r2), false, 'empty proof');
  assert.equal(c(-1, 2, r1, r2), false);
});

test('I5: consistency holds for every m ≤ n up to 64 leaves, and equals the RFC SUBPROOF', () => {
  const d = entriesOf(64, 7);
  const roots = Array.from({ length: 65 }, (_, n) => treeOf(d.slice(0, n)).root);
  for (let n = 0; n <= 64; n += 1) {
    const tree = treeOf(d.slice(0, n));
    for (let m = 0; m <= n; m += 1) {
      const proof = consistencyProof(tree, m);
      const check = {
        firstSize: m,
        secondSize: n,
        firstRoot: roots[m] as Buffer,
        secondRoot: roots[n] as Buffer,
        proof,
      };
      assert.ok(verifyConsistency(check), `${m}->${n}`);
      if (m > 0 && m < n && (m * n) % 11 === 0)
        assert.deepEqual(proof.map(hex), refSubproof(m, d.slice(0, n), true).map(hex));
      if (m > 0 && m < n) assert.equal(proof.length, subproofLength(m, n, true));
    }
  }
});

test('I5: consistency for random m ≤ n up to 300 leaves; bit flips fail, other sizes fail whenever the proof length differs (property)', () => {
  fc.assert(
    fc.property(
      fc
        .integer({ min: 2, max: 300 })
        .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n - 1 }), fc.nat())),
      ([n, m, bit]) => {
        const d = entriesOf(n, bit);
        const tree = treeOf(d);
        const first = treeOf(d.slice(0, m)).root;
        const proof = consistencyProof(tree, m);
        const ok = { firstSize: m, secondSize: n, firstRoot: first, secondRoot: tree.root, proof };
        assert.ok(verifyConsistency(ok));
        const j = bit % proof.length;
        assert.equal(
          verifyConsistency({ ...ok, proof: proof.map((p, k) => (k === j ? flipBit(p, bit % 256) : p)) }),
          false,
        );
        assert.equal(verifyConsistency({ ...ok, firstRoot: flipBit(first, bit % 256) }), false);
        assert.equal(verifyConsistency({ ...ok, secondRoot: flipBit(tree.root, bit % 256) }), false);
        assert.equal(verifyConsistency({ ...ok, proof: proof.slice(1) }), false);
        assert.equal(verifyConsistency({ ...ok, proof: [...proof, SOME_HASH] }), false);
        for (let b = 0; b < 10; b += 1) {
          for (const [m2, n2] of [
            [m ^ (1 << b), n],
            [m, n ^ (1 << b)],
          ] as const) {
            if (m2 < 1 || m2 >= n2) continue;
            const sameLength = subproofLength(m2, n2, true) === proof.length;
            if (!sameLength)
              assert.equal(verifyConsistency({ ...ok, firstSize: m2, secondSize: n2 }), false, `${m2}->${n2}`);
          }
        }
      },
    ),
    { numRuns: 150 },
  );
});
