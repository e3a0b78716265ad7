import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Batch,
  type CommittedBlock,
  certificateValid,
  type Message,
  makeRequest,
  type PrePrepareMessage,
  persistedOf,
  replicaConfig,
  restoreReplica,
  SIMULATION_REPLICA_DEFAULTS,
  simulationEnv,
  step,
  viewChangeMessage,
  wipedReplica,
} from '../../../src/ledger/pbft/index.ts';
import { Cluster } from './harness.ts';

const env = simulationEnv('r0');

function prePrepare(seq: number, texts: string[], view = 0, proposerTimeMs = 0): PrePrepareMessage {
  const batch: Batch = { height: seq, requests: texts.map(makeRequest), proposerTimeMs };
  return { kind: 'pre-prepare', view, seq, digest: env.digestBatch(batch), batch };
}

function refusals(outputs: readonly { type: string; reason?: string }[]): string[] {
  return outputs.filter((o) => o.type === 'refused').map((o) => o.reason as string);
}

test('S2 S3: a request submitted to every replica is committed by all, with a one-view quorum certificate', () => {
  const c = new Cluster(4);
  const request = makeRequest('tx:1');
  c.client([request]);
  c.deliverAll();
  for (const id of c.ids) {
    const commits = c.outputsOf(id, 'commit');
    assert.equal(commits.length, 1, id);
    const block = commits[0]?.block as CommittedBlock;
    assert.equal(block.height, 1);
    assert.deepEqual(
      block.batch.requests.map((r) => r.digest),
      [request.digest],
    );
    assert.ok(certificateValid(block, c.ids, simulationEnv(id).verifyCommit), id);
  }
  assert.equal(new Set(c.ids.map((id) => c.chain(id)[0])).size, 1);
});

test('pipelining: the primary keeps inFlightMax sequence numbers in flight, then proposes as blocks execute', () => {
  const c = new Cluster(4, { batchSizeMax: 1, inFlightMax: 3 });
  c.client(
    ['a', 'b', 'c', 'd', 'e'].map((x) => makeRequest(`tx:${x}`)),
    ['r0'],
  );
  assert.deepEqual(
    c.sent('r0', 'pre-prepare').map((m) => m.seq),
    [1, 2, 3],
  );
  c.deliverAll();
  for (const id of c.ids) assert.equal(c.chain(id).length, 5, id);
});

test('batching: requests that arrive while the pipeline is full leave together, at most batchSizeMax per batch', () => {
  const c = new Cluster(4, { batchSizeMax: 3, inFlightMax: 1 });
  c.client([makeRequest('tx:0')], ['r0']);
  c.client(
    [1, 2, 3, 4, 5].map((i) => makeRequest(`tx:${i}`)),
    ['r0'],
  );
  assert.equal(c.sent('r0', 'pre-prepare').length, 1);
  c.deliverAll();
  assert.deepEqual(
    c.sent('r0', 'pre-prepare').map((m) => m.batch.requests.length),
    [1, 3, 2],
  );
  assert.equal(c.chain('r3').length, 3);
});

test('S6: a pre-prepare from a backup is refused as not-primary', () => {
  const c = new Cluster(4);
  const outputs = c.input('r1', { type: 'message', from: 'r2', message: prePrepare(1, ['tx:1']) });
  assert.deepEqual(refusals(outputs), ['not-primary']);
  assert.equal(c.state('r1').slots.size, 0);
});

test('S6: malformed, oversized, wrongly signed or misaddressed input is refused with a reason, never thrown', () => {
  const c = new Cluster(4);
  const vc = viewChangeMessage(c.state('r2'), 1);
  const good = prePrepare(1, ['tx:1']);
  const badRequest = { digest: 'ab'.repeat(32), bytes: new TextEncoder().encode('tx:forged') };
  const cases: [unknown, string, string][] = [
    [null, 'r0', 'malformed'],
    [{ kind: 'nope' }, 'r0', 'malformed'],
    [{ kind: 'prepare', view: 0, seq: -1, digest: 'x' }, 'r2', 'malformed'],
    [{ kind: 'prepare', view: 0.5, seq: 1, digest: 'x' }, 'r2', 'malformed'],
    [{ kind: 'commit', view: 0, seq: 1, digest: 'x' }, 'r2', 'malformed'],
    [{ ...good, batch: { ...good.batch, height: 2 } }, 'r0', 'bad-batch'],
    [prePrepare(1, ['1', '2', '3', '4', '5', '6', '7', '8', '9']), 'r0', 'bad-batch'],
    [{ ...good, digest: 'f'.repeat(64) }, 'r0', 'bad-digest'],
    [{ ...good, batch: { ...good.batch, requests: [badRequest] }, digest: 'x' }, 'r0', 'bad-digest'],
    [{ kind: 'checkpoint', seq: 3, digest: 'x' }, 'r2', 'malformed'],
    [{ ...vc, prepared: [{ seq: 1, view: 1, digest: good.digest, batch: good.batch }] }, 'r2', 'bad-view-change'],
    [{ ...vc, prePrepared: Array.from({ length: 33 }, () => ({ seq: 1, view: 0, digest: 'x' })) }, 'r2', 'oversized'],
    [
      {
        kind: 'new-view',
        epoch: 0,
        view: 1,
        viewChanges: [],
        checkpoint: { seq: 0, digest: 'genesis' },
        entries: Array.from({ length: 9 }, (_, i) => ({ seq: i + 1, digest: 'x', batch: good.batch })),
      },
      'r1',
      'oversized',
    ],
    [{ kind: 'blocks', blocks: Array.from({ length: 17 }, () => ({})), lastExecuted: 0 }, 'r2', 'oversized'],
    [{ kind: 'fetch', fromHeight: 0, toHeight: 3 }, 'r2', 'malformed'],
    [{ kind: 'request', requests: 'x' }, 'r2', 'malformed'],
    [{ kind: 'commit', view: 0, seq: 1, digest: good.digest, signature: 'sig:r3:1:0:nope' }, 'r2', 'bad-signature'],
    [{ kind: 'prepare', view: 0, seq: 1, digest: good.digest }, 'x9', 'not-a-validator'],
  ];
  for (const [message, from, reason] of cases) {
    const before = c.state('r1');
    const outputs = c.input('r1', { type: 'message', from, message: message as Message });
    assert.deepEqual(refusals(outputs), [reason], JSON.stringify(message)?.slice(0, 80));
    assert.equal(c.state('r1').slots.size, before.slots.size);
    assert.equal(c.state('r1').view, before.view);
  }
  const clientCases: [unknown, string][] = [
    [{ digest: 'x', bytes: 'not bytes' }, 'malformed'],
    [badRequest, 'bad-request'],
    [makeRequest(`tx:${'x'.repeat(300_000)}`), 'oversized'],
  ];
  for (const [request, reason] of clientCases) {
    const outputs = c.input('r1', { type: 'client', requests: [request as never] });
    assert.deepEqual(refusals(outputs), [reason]);
  }
  assert.equal(c.state('r1').pending.size, 0);
});

test('S4: a commit signature covers the view, and a certificate mixing views does not verify', () => {
  const vote = { height: 1, view: 0, digest: 'd'.repeat(64) };
  const sig = simulationEnv('r1').signCommit(vote);
  assert.ok(env.verifyCommit('r1', vote, sig));
  assert.ok(!env.verifyCommit('r1', { ...vote, view: 1 }, sig));
  const batch: Batch = { height: 1, requests: [], proposerTimeMs: 0 };
  const digest = env.digestBatch(batch);
  const signed = (signer: string, view: number) => ({
    signer,
    signature: simulationEnv(signer).signCommit({ height: 1, view, digest }),
  });
  const validators = ['r0', 'r1', 'r2', 'r3'];
  const oneView = {
    height: 1,
    digest,
    batch,
    certificate: { view: 0, signatures: [0, 1, 2].map((i) => signed(`r${i}`, 0)) },
  };
  assert.ok(certificateValid(oneView, validators, env.verifyCommit));
  const mixed = {
    ...oneView,
    certificate: { view: 0, signatures: [signed('r0', 0), signed('r1', 0), signed('r2', 1)] },
  };
  assert.ok(!certificateValid(mixed, validators, env.verifyCommit));
  const tooFew = { ...oneView, certificate: { view: 0, signatures: [signed('r0', 0), signed('r1', 0)] } };
  assert.ok(!certificateValid(tooFew, validators, env.verifyCommit));
  const repeated = {
    ...oneView,
    certificate: { view: 0, signatures: [signed('r0', 0), signed('r0', 0), signed('r1', 0)] },
  };
  assert.ok(!certificateValid(repeated, validators, env.verifyCommit));
});

test('S8: conflicting commits from one identity give one piece of transferable evidence', () => {
  const c = new Cluster(4);
  const a = prePrepare(1, ['tx:a']);
  const b = prePrepare(1, ['tx:b']);
  const commit = (digest: string) => ({
    kind: 'commit' as const,
    view: 0,
    seq: 1,
    digest,
    signature: simulationEnv('r2').signCommit({ height: 1, view: 0, digest }),
  });
  c.input('r1', { type: 'message', from: 'r2', message: commit(a.digest) });
  const outputs = c.input('r1', { type: 'message', from: 'r2', message: commit(b.digest) });
  const evidence = outputs.filter((o) => o.type === 'evidence').map((o) => o.evidence);
  assert.equal(evidence.length, 1);
  const e = evidence[0];
  assert.ok(e && e.kind === 'conflicting-commit' && e.offender === 'r2' && e.signatures);
  assert.ok(env.verifyCommit('r2', { height: 1, view: 0, digest: e.first }, e.signatures[0]));
  assert.ok(env.verifyCommit('r2', { height: 1, view: 0, digest: e.second }, e.signatures[1]));
  assert.notEqual(e.first, e.second);
  const again = c.input('r1', { type: 'message', from: 'r2', message: commit(b.digest) });
  assert.equal(again.filter((o) => o.type === 'evidence').length, 0);
});

test('L3: one validator asking for view 10^9 moves nobody; f+1 move a replica, by at most viewJumpMax', () => {
  const c = new Cluster(4);
  c.input('r1', { type: 'message', from: 'r3', message: viewChangeMessage(c.state('r3'), 1_000_000_000) });
  assert.equal(c.state('r1').view, 0);
  assert.equal(c.state('r1').mode, 'active');
  c.input('r1', { type: 'message', from: 'r2', message: viewChangeMessage(c.state('r2'), 1) });
  assert.equal(c.state('r1').view, 1);
  assert.equal(c.state('r1').mode, 'view-change');
  assert.deepEqual(
    c.sent('r1', 'view-change').map((m) => m.view),
    [1],
  );
  const d = new Cluster(4);
  d.input('r1', { type: 'message', from: 'r3', message: viewChangeMessage(d.state('r3'), 1_000_000_000) });
  d.input('r1', { type: 'message', from: 'r2', message: viewChangeMessage(d.state('r2'), 100) });
  assert.equal(d.state('r1').view, SIMULATION_REPLICA_DEFAULTS.viewJumpMax);
});

test('L2: a replica cut off from the others changes view once and does not climb; timeouts double', () => {
  const T = SIMULATION_REPLICA_DEFAULTS.viewChangeTimeoutMs;
  const c = new Cluster(4);
  c.client([makeRequest('tx:1')], ['r3']);
  c.now = T;
  c.input('r3', { type: 'tick' });
  assert.equal(c.state('r3').view, 1);
  c.now = 100 * T;
  c.input('r3', { type: 'tick' });
  assert.equal(c.state('r3').view, 1, 'no quorum asked for view 1: the new-view timer never started');
  assert.equal(c.state('r3').timers.viewChangeAtMs, undefined);
  for (const from of ['r0', 'r2']) {
    c.input('r3', { type: 'message', from, message: viewChangeMessage(c.state(from), 1) });
  }
  assert.equal(c.state('r3').timers.viewChangeAtMs, c.now + 2 * T);
  c.now += 2 * T;
  c.input('r3', { type: 'tick' });
  assert.equal(c.state('r3').view, 2);
  for (const from of ['r0', 'r1']) {
    c.input('r3', { type: 'message', from, message: viewChangeMessage(c.state(from), 2) });
  }
  assert.equal(c.state('r3').timers.viewChangeAtMs, c.now + 4 * T);
});

test('L2: a primary that never proposes one request is replaced although other requests commit', () => {
  const c = new Cluster(4);
  const censored = makeRequest('tx:censored');
  const noRelay = (e: { message: Message }) => e.message.kind === 'request';
  c.client([censored], ['r1', 'r2', 'r3']);
  for (const t of [100, 200, 300]) {
    c.now = t;
    c.client([makeRequest(`tx:${t}`)]);
    c.deliverAll(noRelay);
  }
  assert.equal(c.chain('r1').length, 3);
  c.tickAll(SIMULATION_REPLICA_DEFAULTS.viewChangeTimeoutMs + 50);
  c.deliverAll();
  for (const id of c.ids) {
    assert.equal(c.state(id).view, 1, id);
    const committed = c.stores.get(id)?.flatMap((b) => b.batch.requests.map((r) => r.digest));
    assert.ok(committed?.includes(censored.digest), id);
  }
});

test('S7: a stable checkpoint every K blocks garbage-collects the log and moves the window', () => {
  const c = new Cluster(4, { batchSizeMax: 1 });
  c.client([1, 2, 3, 4, 5].map((i) => makeRequest(`tx:${i}`)));
  c.deliverAll();
  for (const id of c.ids) {
    const s = c.state(id);
    assert.equal(s.lastExecuted, 5);
    assert.equal(s.stable.seq, 4);
    assert.equal(s.stable.digest, c.chain(id)[3]);
    assert.ok([...s.slots.keys()].every((seq) => seq > 4));
    assert.ok([...s.ownCheckpoints.keys()].every((seq) => seq >= 4));
  }
});

test('water marks: a pre-prepare above the high water mark is ignored', () => {
  const c = new Cluster(4);
  const outputs = c.input('r1', { type: 'message', from: 'r0', message: prePrepare(9, ['tx:9']) });
  assert.equal(outputs.filter((o) => o.type === 'send').length, 0);
  assert.equal(c.state('r1').slots.size, 0);
});

test('S5: a replica restarted from its persisted log keeps its votes and re-sends them, never others', () => {
  const c = new Cluster(4);
  const a = prePrepare(1, ['tx:a']);
  c.input('r1', { type: 'message', from: 'r0', message: a });
  for (const from of ['r2', 'r3']) {
    c.input('r1', { type: 'message', from, message: { kind: 'prepare', view: 0, seq: 1, digest: a.digest } });
  }
  const commit = c.sent('r1', 'commit')[0];
  assert.equal(commit?.digest, a.digest);
  const config = c.state('r1').config;
  let state = restoreReplica(config, persistedOf(c.state('r1')));
  assert.equal(state.slots.get(1)?.accepted?.digest, a.digest);
  assert.equal(state.slots.get(1)?.prepared?.digest, a.digest);
  const ctx = (nowMs: number) => ({ nowMs, env: simulationEnv('r1') });
  const b = prePrepare(1, ['tx:b']);
  const conflicting = step(state, { type: 'message', from: 'r0', message: b }, ctx(0));
  assert.ok(conflicting.outputs.some((o) => o.type === 'evidence' && o.evidence.kind === 'conflicting-pre-prepare'));
  assert.ok(
    !conflicting.outputs.some((o) => o.type === 'send' && 'digest' in o.message && o.message.digest === b.digest),
  );
  state = conflicting.state;
  const resent: Message[] = [];
  for (let t = 1; t <= 3; t++) {
    const r = step(state, { type: 'tick' }, ctx(t * config.retransmitIntervalMs));
    state = r.state;
    for (const o of r.outputs) if (o.type === 'send') resent.push(o.message);
  }
  const votes = resent.filter((m) => m.kind === 'prepare' || m.kind === 'commit');
  assert.ok(votes.some((m) => m.kind === 'commit' && m.signature === commit?.signature));
  assert.ok(votes.every((m) => 'digest' in m && m.digest === a.digest));
});

test('R2: a wiped replica does not vote until a stable checkpoint passes what it may have voted on', () => {
  const config = replicaConfig({ self: 'r1', genesis: ['r0', 'r1', 'r2', 'r3'], ...SIMULATION_REPLICA_DEFAULTS });
  const wiped = wipedReplica(config);
  const r = step(
    wiped,
    { type: 'message', from: 'r0', message: prePrepare(1, ['tx:1']) },
    {
      nowMs: 0,
      env: simulationEnv('r1'),
    },
  );
  assert.ok(!r.outputs.some((o) => o.type === 'send' && o.message.kind === 'prepare'));
  assert.ok(
    r.outputs.some((o) => o.type === 'send' && o.message.kind === 'fetch'),
    'it asks how far the others are',
  );
  assert.equal(r.state.slots.get(1)?.accepted?.digest, prePrepare(1, ['tx:1']).digest, 'it still learns batches');
});

test('S1: after a view change the new primary re-proposes the prepared batch and all commit it', () => {
  const c = new Cluster(4);
  c.client([makeRequest('tx:1')]);
  const noCommits = (e: { message: Message }) => e.message.kind === 'commit' && e.message.view === 0;
  c.deliverAll(noCommits);
  const digest = c.sent('r0', 'pre-prepare')[0]?.digest;
  assert.ok(c.ids.every((id) => c.state(id).slots.get(1)?.prepared?.digest === digest));
  assert.ok(c.ids.every((id) => c.chain(id).length === 0));
  c.tickAll(SIMULATION_REPLICA_DEFAULTS.viewChangeTimeoutMs);
  c.deliverAll(noCommits);
  assert.ok(c.sent('r1', 'new-view').length >= 1);
  for (const id of c.ids) {
    assert.equal(c.state(id).view, 1, id);
    assert.deepEqual(c.chain(id), [digest]);
    assert.equal(c.stores.get(id)?.[0]?.certificate.view, 1);
  }
});

test('S1: a new view that drops a prepared batch is refused; the justified one is installed', () => {
  const c = new Cluster(4);
  c.client([makeRequest('tx:1')]);
  const noCommits = (e: { message: Message }) => e.message.kind === 'commit' && e.message.view === 0;
  c.deliverAll(noCommits);
  c.tickAll(SIMULATION_REPLICA_DEFAULTS.viewChangeTimeoutMs);
  c.deliverAll((e) => noCommits(e) || e.message.kind === 'new-view' || e.to === 'r2' || e.from === 'r2');
  const real = c.sent('r1', 'new-view')[0];
  assert.ok(real);
  for (const from of ['r0', 'r1', 'r3']) {
    c.input('r2', { type: 'message', from, message: c.sent(from, 'view-change')[0] as Message });
  }
  const nullBatch: Batch = { height: 1, requests: [], proposerTimeMs: 0 };
  const forged = { ...real, entries: [{ seq: 1, digest: env.digestBatch(nullBatch), batch: nullBatch }] };
  const outputs = c.input('r2', { type: 'message', from: 'r1', message: forged });
  assert.deepEqual(refusals(outputs), ['bad-new-view']);
  assert.equal(c.state('r2').mode, 'view-change');
  c.input('r2', { type: 'message', from: 'r1', message: real });
  assert.equal(c.state('r2').mode, 'active');
  assert.equal(c.state('r2').slots.get(1)?.accepted?.digest, real.entries[0]?.digest);
});

test('L4: a replica that missed every message catches up by state transfer; a forged block is refused', () => {
  const c = new Cluster(4, { batchSizeMax: 1 });
  c.client(
    [1, 2, 3].map((i) => makeRequest(`tx:${i}`)),
    ['r0', 'r1', 'r2'],
  );
  c.deliverAll((e) => e.to === 'r3');
  assert.equal(c.chain('r0').length, 3);
  assert.equal(c.chain('r3').length, 0);
  const real = c.stores.get('r0')?.[0] as CommittedBlock;
  const forged = { ...real, certificate: { ...real.certificate, signatures: real.certificate.signatures.slice(0, 2) } };
  const outputs = c.input('r3', {
    type: 'message',
    from: 'r0',
    message: { kind: 'blocks', blocks: [forged], lastExecuted: 3 },
  });
  assert.deepEqual(refusals(outputs), ['bad-block']);
  assert.equal(c.chain('r3').length, 0);
  c.now = SIMULATION_REPLICA_DEFAULTS.syncIntervalMs;
  c.input('r3', { type: 'tick' });
  c.deliverAll();
  assert.deepEqual(c.chain('r3'), c.chain('r0'));
});

test('request timer: work that arrives after a long idle spell gets a full timeout, not an expired one', () => {
  const c = new Cluster(4, { viewChangeTimeoutMs: 1_000 });
  c.client([makeRequest('tx:early')]);
  c.deliverAll();
  for (const id of c.ids) assert.equal(c.chain(id).length, 1, id);
  // Idle far beyond the timeout (ticks only), then a new request is accepted by the backups but not yet committed.
  c.tickAll(60_000);
  c.now = 60_001;
  c.client([makeRequest('tx:late')]);
  c.deliverAll((e) => e.message.kind === 'commit');
  c.tickAll(60_500);
  for (const id of c.ids) assert.equal(c.state(id).view, 0, `${id} keeps view 0 within the timeout`);
  c.tickAll(61_100);
  assert.ok(
    c.ids.every((id) => c.state(id).mode === 'view-change' || c.state(id).view > 0),
    'a batch stuck beyond the timeout still starts a view change',
  );
});
