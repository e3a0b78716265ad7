import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Delivery,
  describeResult,
  type SimulationOptions,
  type SimulationResult,
  simulate,
  simulationEnv,
} from '../../../src/ledger/pbft/index.ts';

/** Runs a scenario; on any violation the message carries the seed and the whole account (replayable). */
function run(options: SimulationOptions): SimulationResult {
  const r = simulate(options);
  assert.ok(r.ok, `replay with simulate({ seed: ${options.seed}, … }):\n${describeResult(r)}`);
  return r;
}

/** S1 as the tests see it: the honest machines' chains are prefixes of one another. */
function assertIdenticalPrefixes(r: SimulationResult): void {
  const chains = r.honest.map((m) => r.chains.get(m) ?? []);
  const longest = chains.reduce((a, b) => (b.length > a.length ? b : a), []);
  for (const [i, c] of chains.entries()) {
    assert.deepEqual(c, longest.slice(0, c.length), `${r.honest[i]} diverges (seed ${r.seed})`);
  }
}

function evidenceKinds(r: SimulationResult, offender: string): Set<string> {
  return new Set(r.evidence.filter((e) => e.evidence.offender === offender).map((e) => e.evidence.kind));
}

test('S1 L1: an equivocating primary causes no fork; a view change replaces it (n = 4 and n = 7)', () => {
  for (const seed of [11, 12, 13]) {
    const r = run({ seed, validators: 4, requestCount: 20, byzantine: { r0: 'equivocating-primary' } });
    assert.ok(r.maxView >= 1, `seed ${seed}: the view changed`);
    assertIdenticalPrefixes(r);
  }
  const r = run({ seed: 11, validators: 7, requestCount: 20, byzantine: { r0: 'equivocating-primary', r3: 'silent' } });
  assert.ok(r.maxView >= 1);
  assertIdenticalPrefixes(r);
});

test('S1 S8: a key running on two machines breaks no safety and its conflicting statements are recorded', () => {
  const primary = run({
    seed: 2,
    validators: 4,
    requestCount: 20,
    byzantine: { r0: 'twin' },
    gstMs: 1500,
    network: { lossRate: 0.2 },
  });
  assertIdenticalPrefixes(primary);
  assert.ok(evidenceKinds(primary, 'r0').has('conflicting-pre-prepare'));
  assert.ok(evidenceKinds(primary, 'r0').has('conflicting-view-change'));
  assert.ok(
    primary.honest.every((m) => !m.startsWith('r0')),
    'both machines of r0 count as one faulty identity',
  );

  const backup = run({
    seed: 1,
    validators: 7,
    requestCount: 20,
    byzantine: { r0: 'equivocating-primary', r2: 'twin' },
  });
  assertIdenticalPrefixes(backup);
  const votes = backup.evidence.filter(
    (e) => e.evidence.offender === 'r2' && e.evidence.kind === 'conflicting-prepare',
  );
  assert.ok(votes.length > 0, 'the twins voted for different batches at one (view, seq)');
  for (const { evidence } of votes) assert.notEqual(evidence.first, evidence.second);
  for (const { evidence } of backup.evidence.filter((e) => e.evidence.kind === 'conflicting-commit')) {
    const [a, b] = evidence.signatures ?? ['', ''];
    const verify = simulationEnv('r1').verifyCommit;
    assert.ok(verify(evidence.offender, { height: evidence.seq, view: evidence.view, digest: evidence.first }, a));
    assert.ok(verify(evidence.offender, { height: evidence.seq, view: evidence.view, digest: evidence.second }, b));
  }
});

test('S1 S5 L4: the only replica that collected commit votes crashes; the others decide the same block; it recovers', () => {
  const drop = (d: Delivery) => d.message.kind === 'commit' && d.message.view === 0 && d.to !== 'r3';
  const r = run({
    seed: 31,
    validators: 4,
    requestCount: 5,
    requestIntervalMs: 600,
    faults: [{ kind: 'crash', node: 'r3', atMs: 200, restartAtMs: 2000 }],
    drop,
  });
  const first = r.commits.filter((c) => c.height === 1);
  const r3 = first.find((c) => c.machine === 'r3');
  assert.ok(r3 && r3.atMs < 200 && r3.view === 0, 'r3 committed height 1 in view 0 before it crashed');
  const others = first.filter((c) => c.machine !== 'r3');
  assert.equal(others.length, 3);
  for (const c of others) {
    assert.ok(c.atMs > 200 && c.view >= 1, `${c.machine} decided height 1 after a view change`);
    assert.equal(c.digest, r3.digest, 'the same block');
  }
  assert.ok(
    r.commits.some((c) => c.machine === 'r3' && c.atMs >= 2000),
    'r3 recovered from its log and caught up',
  );
  assertIdenticalPrefixes(r);
  assert.equal(r.chains.get('r3')?.length, r.chains.get('r0')?.length);
});

test('L2: asymmetric partitions (a validator that can only send, or only receive) cause no endless view changes', () => {
  for (const [node, direction] of [
    ['r2', 'send-only'],
    ['r2', 'receive-only'],
    ['r0', 'receive-only'],
    ['r0', 'send-only'],
  ] as const) {
    const r = run({
      seed: 41,
      validators: 4,
      requestCount: 120,
      requestIntervalMs: 50,
      faults: [{ kind: 'one-way', node, direction, fromMs: 100, untilMs: 8000 }],
    });
    const views = [...r.views.values()].map((v) => v ?? 0);
    assert.ok(Math.max(...views) <= 1, `${node} ${direction}: views ${views} after 8 s of a one-way link`);
    assertIdenticalPrefixes(r);
  }
});

test('L4 R2: kill, wipe and restart a validator: it resyncs by state transfer and its chain is identical', () => {
  const r = run({
    seed: 51,
    validators: 4,
    requestCount: 150,
    faults: [{ kind: 'crash', node: 'r2', atMs: 500, restartAtMs: 1500, wipe: true }],
  });
  assertIdenticalPrefixes(r);
  assert.deepEqual(r.chains.get('r2'), r.chains.get('r0'));
  assert.equal(r.states.get('r2')?.recovery, undefined, 'recovered: a stable checkpoint passed its floor');
});

test('S1 L1: message loss, duplication, reordering and delay before GST (n = 4 and n = 7)', () => {
  for (const n of [4, 7]) {
    const r = run({
      seed: 61,
      validators: n,
      requestCount: 60,
      gstMs: 5000,
      network: { lossRate: 0.3, duplicateRate: 0.3, delayMinMs: 1, delayMaxMs: 300 },
    });
    assert.ok(r.messages.dropped > 0);
    assertIdenticalPrefixes(r);
  }
});

test('L1: a partition with no quorum on either side stalls, and progress resumes when it heals', () => {
  const r = run({
    seed: 81,
    validators: 4,
    requestCount: 60,
    requestIntervalMs: 50,
    faults: [
      {
        kind: 'partition',
        groups: [
          ['r0', 'r1'],
          ['r2', 'r3'],
        ],
        fromMs: 100,
        untilMs: 3000,
      },
    ],
  });
  assert.ok(r.endMs > 3000);
  assertIdenticalPrefixes(r);
});

test('L3: a validator spamming view changes with huge view numbers moves no correct replica', () => {
  const r = run({ seed: 71, validators: 4, requestCount: 30, byzantine: { r3: 'view-change-spammer' } });
  for (const m of r.honest) assert.equal(r.views.get(m), 0, m);
  assertIdenticalPrefixes(r);
});

test('R1: validators are added, removed and re-added under load; every certificate verifies against its height', () => {
  const r = run({
    seed: 1,
    validators: 4,
    observers: ['r4'],
    requestCount: 250,
    requestIntervalMs: 10,
    reconfigurations: [
      { atMs: 200, validators: ['r0', 'r1', 'r2', 'r3', 'r4'] },
      { atMs: 900, validators: ['r1', 'r2', 'r3', 'r4'] },
      { atMs: 1600, validators: ['r0', 'r1', 'r2', 'r3', 'r4'] },
    ],
    faults: [{ kind: 'crash', node: 'r2', atMs: 1200, restartAtMs: 1400 }],
    network: { lossRate: 0.05, duplicateRate: 0.05 },
    gstMs: 2600,
  });
  assertIdenticalPrefixes(r);
  for (const m of r.honest) {
    const epochs = r.states.get(m)?.epochs.map((e) => e.validators.join(','));
    assert.deepEqual(epochs, ['r0,r1,r2,r3', 'r0,r1,r2,r3,r4', 'r1,r2,r3,r4', 'r0,r1,r2,r3,r4'], m);
  }
});

test('simulate is a pure function of its options: a seed replays exactly, another seed differs', () => {
  const options: SimulationOptions = {
    seed: 5,
    validators: 4,
    requestCount: 30,
    gstMs: 2000,
    network: { lossRate: 0.2, duplicateRate: 0.2, delayMaxMs: 100 },
    faults: [{ kind: 'crash', node: 'r1', atMs: 300, restartAtMs: 900 }],
  };
  const a = simulate(options);
  const b = simulate(options);
  assert.equal(a.events, b.events);
  assert.deepEqual([...a.chains], [...b.chains]);
  assert.deepEqual(a.messages, b.messages);
  const c = simulate({ ...options, seed: 6 });
  assert.notDeepEqual([a.events, a.messages], [c.events, c.messages]);
});
