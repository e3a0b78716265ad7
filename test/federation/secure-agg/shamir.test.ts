/**
 * Shamir sharing over GF(2^255 − 19), the sealed share boxes and the recovery rules (src/federation/secure-agg):
 * any t shares give the secret back, t − 1 shares are consistent with every secret (a polynomial through them and
 * any candidate exists, and its shares reconstruct the candidate); an X25519 key survives the trip through a
 * field element; a box opens only for its recipient, task and sender; an honest hospital never reveals both kinds
 * of shares of one peer.
 */
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { isMeridianError } from '../../../src/errors/registry.ts';
import {
  acceptDataRound,
  acceptRecovery,
  fieldElementFromBytes,
  fieldElementToBytes,
  openShareBox,
  privateKeyFromScalar,
  publicKeyToRaw,
  recoveryStart,
  recoveryThreshold,
  SHAMIR_PRIME,
  type ShamirShare,
  scalarOfPrivateKey,
  sealShareBox,
  shamirCombine,
  shamirInterpolate,
  shamirSplit,
} from '../../../src/federation/secure-agg/index.ts';

const element = fc.bigInt({ min: 0n, max: SHAMIR_PRIME - 1n });

/** A threshold t, a number of holders n ≥ t, t − 1 coefficients, and a shuffled choice of holders. */
const sharing = fc.integer({ min: 2, max: 12 }).chain((t) =>
  fc.record({
    t: fc.constant(t),
    n: fc.integer({ min: t, max: 16 }),
    secret: element,
    other: element,
    coefficients: fc.array(element, { minLength: t - 1, maxLength: t - 1 }),
    seed: fc.integer(),
  }),
);

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

test('any t of the n shares reconstruct the secret', () => {
  fc.assert(
    fc.property(sharing, ({ t, n, secret, coefficients, seed }) => {
      const xs = Array.from({ length: n }, (_, i) => i + 1);
      const shares = shamirSplit({ secret, coefficients, xs });
      const some = shuffled(shares, seed).slice(0, t + (seed & 1 ? 0 : n - t));
      assert.equal(shamirCombine(some.slice(0, t), t), secret);
      assert.equal(shamirInterpolate(some, 0n), secret, 'more than t consistent shares give the same secret');
    }),
    { numRuns: 200 },
  );
});

test('t − 1 shares are consistent with any secret: a sharing of the other secret agrees with them on every one', () => {
  fc.assert(
    fc.property(sharing, ({ t, n, secret, other, coefficients, seed }) => {
      const xs = Array.from({ length: n }, (_, i) => i + 1);
      const shares = shamirSplit({ secret, coefficients, xs });
      const seen = shuffled(shares, seed).slice(0, t - 1);
      // The unique polynomial of degree < t through (0, other) and the seen shares: a sharing of `other`.
      const through: ShamirShare[] = [...seen, { x: 0, y: other }].filter((s) => s.x !== 0);
      const alternative = xs.map((x) => {
        const known = seen.find((s) => s.x === x);
        if (known) return known;
        return { x, y: interpolateWithZero(through, other, BigInt(x)) };
      });
      for (const s of seen) assert.equal(alternative.find((a) => a.x === s.x)?.y, s.y, 'agrees on the seen shares');
      assert.equal(
        shamirCombine(shuffled(alternative, seed + 1).slice(0, t), t),
        other,
        'and reconstructs the other secret',
      );
      if (other !== secret) {
        const unseen = alternative.filter((a) => !seen.some((s) => s.x === a.x));
        assert.ok(
          unseen.some((a) => shares.find((s) => s.x === a.x)?.y !== a.y),
          'only unseen shares differ',
        );
      }
    }),
    { numRuns: 200 },
  );
});

/** The polynomial through the shares and (0, y0), evaluated at x (Lagrange over the shares plus the origin). */
function interpolateWithZero(shares: readonly ShamirShare[], y0: bigint, x: bigint): bigint {
  const p = SHAMIR_PRIME;
  const points: { x: bigint; y: bigint }[] = [{ x: 0n, y: y0 }, ...shares.map((s) => ({ x: BigInt(s.x), y: s.y }))];
  const inv = (a: bigint) => {
    let [r, b, e] = [1n, ((a % p) + p) % p, p - 2n];
    while (e > 0n) {
      if (e & 1n) r = (r * b) % p;
      b = (b * b) % p;
      e >>= 1n;
    }
    return r;
  };
  let sum = 0n;
  for (const [i, pi] of points.entries()) {
    let term = pi.y;
    for (const [j, pj] of points.entries()) {
      if (i !== j) term = (((term * (x - pj.x)) % p) * inv(pi.x - pj.x)) % p;
    }
    sum = (((sum + term) % p) + p) % p;
  }
  return sum;
}

test('fewer than t shares are refused; bad inputs name the field', () => {
  const shares = shamirSplit({ secret: 42n, coefficients: [7n, 9n], xs: [1, 2, 3, 4] });
  assert.throws(
    () => shamirCombine(shares.slice(0, 2), 3),
    (e: unknown) => isMeridianError(e, 'MER_SECAGG_RECOVERY_FAILED'),
  );
  assert.throws(
    () => shamirSplit({ secret: SHAMIR_PRIME, coefficients: [1n], xs: [1, 2] }),
    (e: unknown) => isMeridianError(e, 'MER_SECAGG_INVALID_INPUT') && /secret/.test(e.message),
  );
  assert.throws(
    () => shamirSplit({ secret: 1n, coefficients: [1n], xs: [1, 1] }),
    (e: unknown) => isMeridianError(e, 'MER_SECAGG_INVALID_INPUT') && /xs\[1\]/.test(e.message),
  );
  assert.equal(fieldElementFromBytes(Buffer.alloc(32, 0xff)), undefined, 'a value ≥ p is no field element');
});

test('an X25519 key goes through a field element and back to the same key', () => {
  for (let i = 0; i < 20; i++) {
    const { privateKey, publicKey } = generateKeyPairSync('x25519');
    const scalar = scalarOfPrivateKey(privateKey);
    assert.ok(scalar !== undefined);
    assert.deepEqual(fieldElementFromBytes(fieldElementToBytes(scalar)), scalar);
    const back = privateKeyFromScalar(scalar);
    assert.deepEqual(publicKeyToRaw(createPublicKey(back)), publicKeyToRaw(publicKey));
  }
});

test('a share box opens only for its recipient, under its task and sender', () => {
  const u = generateKeyPairSync('x25519');
  const v = generateKeyPairSync('x25519');
  const w = generateKeyPairSync('x25519');
  const labels = { taskHash: 'a'.repeat(64), from: 'hospital-a', to: 'hospital-b' };
  const plaintext = randomBytes(64);
  const box = sealShareBox({
    privateKey: u.privateKey,
    peerPublicKey: v.publicKey,
    labels,
    plaintext,
    iv: randomBytes(12),
  });
  assert.ok(!box.includes(plaintext.subarray(0, 16)), 'the shares are not in the clear');
  const open = (opts: Partial<Parameters<typeof openShareBox>[0]>) =>
    openShareBox({ privateKey: v.privateKey, peerPublicKey: u.publicKey, labels, box, ...opts });
  assert.deepEqual(open({}), plaintext);
  const refused = (e: unknown) => isMeridianError(e, 'MER_FED_BAD_ANSWER') && /does not open/.test(e.message);
  assert.throws(() => open({ privateKey: w.privateKey }), refused, 'another recipient');
  assert.throws(() => open({ labels: { ...labels, taskHash: 'b'.repeat(64) } }), refused, 'another task');
  assert.throws(() => open({ labels: { ...labels, from: 'hospital-c' } }), refused, 'another sender');
  const flipped = Buffer.from(box);
  flipped[20] = (flipped[20] as number) ^ 1;
  assert.throws(() => open({ box: flipped }), refused, 'an altered box');
});

test('the recovery rules: one kind of share per peer, the threshold, and the participant set', () => {
  const hospitals = ['hospital-a', 'hospital-b', 'hospital-c', 'hospital-d', 'hospital-e'];
  assert.deepEqual(
    [2, 3, 4, 5, 64].map((n) => recoveryThreshold(n)),
    [2, 2, 3, 3, 33],
  );
  const refused = (rule: RegExp) => (e: unknown) =>
    isMeridianError(e, 'MER_SECAGG_RECOVERY_REFUSED') && rule.test(e.message);
  let a = recoveryStart({ self: 'hospital-a', hospitals });
  assert.throws(
    () => acceptDataRound(a, { round: 2, participants: hospitals.slice(0, 4) }),
    refused(/expected/),
    'a hospital leaves only through a recovery',
  );
  a = acceptDataRound(a, { round: 2, participants: hospitals });
  const survivors = ['hospital-a', 'hospital-b', 'hospital-c'];
  const dropped = ['hospital-d', 'hospital-e'];
  assert.throws(
    () => acceptRecovery(a, { round: 2, survivors: survivors.slice(0, 2), dropped: [...dropped, 'hospital-c'] }),
    refused(/threshold 3/),
  );
  assert.throws(
    () => acceptRecovery(a, { round: 2, survivors: hospitals.slice(1), dropped: ['hospital-a'] }),
    refused(/survivor/),
  );
  assert.throws(() => acceptRecovery(a, { round: 4, survivors, dropped }), refused(/no data round 4/));
  const after = acceptRecovery(a, { round: 2, survivors, dropped });
  assert.deepEqual(
    acceptRecovery(after, { round: 2, survivors, dropped }),
    after,
    'the same request again is answered alike',
  );
  assert.throws(
    () =>
      acceptRecovery(after, {
        round: 2,
        survivors: ['hospital-a', 'hospital-c', 'hospital-d'],
        dropped: ['hospital-b', 'hospital-e'],
      }),
    refused(/hospital-b's self-mask shares/),
  );
  assert.throws(
    () => acceptDataRound(after, { round: 4, participants: hospitals }),
    refused(/expected/),
    'the dropped stay out',
  );
  const next = acceptDataRound(after, { round: 4, participants: survivors });
  assert.throws(() => acceptDataRound(next, { round: 4, participants: survivors }), refused(/does not follow/));
});
