import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRng } from '../../../src/ledger/pbft/index.ts';

test('the simulator PRNG replays: one seed, one sequence; another seed, another sequence', () => {
  const take = (seed: number) => {
    const rng = createRng(seed);
    return Array.from({ length: 64 }, () => rng.nextU32());
  };
  assert.deepEqual(take(42), take(42));
  assert.notDeepEqual(take(42), take(43));
  assert.ok(
    take(0).some((x) => x !== 0),
    'seed 0 is mixed by splitmix, not a stuck state',
  );
});

test('the simulator PRNG stays in range and is roughly uniform', () => {
  const rng = createRng(7);
  const buckets = new Array(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const x = rng.float();
    assert.ok(x >= 0 && x < 1);
    buckets[Math.floor(x * 10)]++;
  }
  for (const b of buckets) assert.ok(Math.abs(b - 10_000) < 500, `bucket ${b}`);
  const seen = new Set<number>();
  for (let i = 0; i < 1000; i++) seen.add(rng.int(3, 5));
  assert.deepEqual([...seen].sort(), [3, 4, 5]);
  assert.equal(rng.chance(0), false);
});
