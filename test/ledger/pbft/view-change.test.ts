import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type Batch,
  decideNewView,
  decideSeq,
  faultsTolerated,
  type NewViewMessage,
  newViewJustified,
  type PrePreparedEntry,
  type PreparedEntry,
  quorumSize,
  selectCheckpoint,
  type ViewChangeMessage,
  viewChangeFingerprint,
  weakQuorumSize,
} from '../../../src/ledger/pbft/index.ts';

const RUNS = Number(process.env.PBFT_RUNS ?? 200);

function params(n: number) {
  return { quorum: quorumSize(n), weak: weakQuorumSize(n), windowSize: 8 };
}

function batch(seq: number, empty = false): Batch {
  return {
    height: seq,
    requests: empty ? [] : [{ digest: `req${seq}`, bytes: new Uint8Array([seq]) }],
    proposerTimeMs: 0,
  };
}

function vc(
  view: number,
  prepared: [seq: number, view: number, digest: string][] = [],
  prePrepared: [seq: number, view: number, digest: string][] = [],
  stableSeq = 0,
  checkpoints = [{ seq: 0, digest: 'genesis' }],
): ViewChangeMessage {
  const p: PreparedEntry[] = prepared.map(([seq, v, digest]) => ({ seq, view: v, digest, batch: batch(seq) }));
  const fromP: PrePreparedEntry[] = prepared.map(([seq, v, digest]) => ({ seq, view: v, digest }));
  const q = [...fromP, ...prePrepared.map(([seq, v, digest]) => ({ seq, view: v, digest }))];
  return { kind: 'view-change', epoch: 0, view, stableSeq, checkpoints, prepared: p, prePrepared: q };
}

test('quorums: n = 3f+1 gives 2f+1, and any two quorums share f+1 validators', () => {
  for (let n = 1; n <= 40; n++) {
    const f = faultsTolerated(n);
    assert.ok(3 * f + 1 <= n);
    assert.ok(2 * quorumSize(n) - n >= f + 1, `n=${n}`);
    assert.ok(quorumSize(n) <= n - f, `a quorum of correct validators exists for n=${n}`);
    if (n % 3 === 1) assert.equal(quorumSize(n), 2 * f + 1);
  }
});

test('S1: a batch prepared by a quorum in view 0 is the one a new view keeps (A1 and A2)', () => {
  const vcs = [vc(1, [[1, 0, 'd']]), vc(1, [[1, 0, 'd']]), vc(1, [[1, 0, 'd']])];
  const decision = decideNewView(vcs, params(4));
  assert.equal(decision?.decisions.length, 1);
  const d = decision?.decisions[0]?.decision;
  assert.ok(d?.kind === 'batch' && d.entry.digest === 'd');
});

test('S1: a sequence number no quorum member prepared becomes null (B)', () => {
  const vcs = [vc(1, [[2, 0, 'd']]), vc(1, [[2, 0, 'd']]), vc(1), vc(1)];
  const decision = decideNewView(vcs, params(4));
  assert.deepEqual(
    decision?.decisions.map((x) => x.decision.kind),
    ['null', 'batch'],
  );
});

test('L1: the new primary waits while the claims decide nothing (a lone prepared claim, no null quorum)', () => {
  const vcs = [vc(1, [[1, 0, 'd']]), vc(1), vc(1)];
  assert.equal(decideSeq(vcs, 1, params(4)), undefined);
  assert.equal(decideNewView(vcs, params(4)), undefined);
  const more = [...vcs, vc(1, [], [[1, 0, 'd']])];
  const d = decideSeq(more, 1, params(4));
  assert.ok(d?.kind === 'batch' && d.entry.digest === 'd', 'a fourth message that saw the pre-prepare decides it');
});

test('the checkpoint is the highest one f+1 hold and a quorum has not passed', () => {
  const four = { seq: 4, digest: 'c4' };
  const cps = [{ seq: 0, digest: 'genesis' }, four];
  const vcs = [vc(1, [], [], 0, cps), vc(1, [], [], 0, cps), vc(1), vc(1, [], [], 4, [four])];
  assert.deepEqual(selectCheckpoint(vcs, params(4)), four);
  const lonely = [vc(1, [], [], 0, cps), vc(1), vc(1), vc(1)];
  assert.deepEqual(selectCheckpoint(lonely, params(4)), { seq: 0, digest: 'genesis' });
});

test('a fingerprint names the claims, not their order', () => {
  const a = vc(2, [
    [1, 0, 'x'],
    [2, 1, 'y'],
  ]);
  const b = { ...a, prepared: [...a.prepared].reverse(), prePrepared: [...a.prePrepared].reverse() };
  assert.equal(viewChangeFingerprint(a), viewChangeFingerprint(b));
  assert.notEqual(viewChangeFingerprint(a), viewChangeFingerprint(vc(2, [[1, 0, 'x']])));
});

test('S1: a new view must cover every prepared sequence number and justify each entry', () => {
  const vcs = [vc(1, [[1, 0, 'd']]), vc(1, [[1, 0, 'd']]), vc(1, [[1, 0, 'd']])];
  const nv = (entries: NewViewMessage['entries']): NewViewMessage => ({
    kind: 'new-view',
    epoch: 0,
    view: 1,
    viewChanges: [],
    checkpoint: { seq: 0, digest: 'genesis' },
    entries,
  });
  assert.ok(newViewJustified(vcs, nv([{ seq: 1, digest: 'd', batch: batch(1) }]), params(4)));
  assert.ok(!newViewJustified(vcs, nv([]), params(4)), 'a gap drops a prepared batch');
  assert.ok(!newViewJustified(vcs, nv([{ seq: 1, digest: 'null', batch: batch(1, true) }]), params(4)));
  assert.ok(!newViewJustified(vcs, nv([{ seq: 1, digest: 'x', batch: batch(1) }]), params(4)));
  assert.ok(!newViewJustified(vcs.slice(0, 2), nv([{ seq: 1, digest: 'd', batch: batch(1) }]), params(4)));
});

/**
 * A model of what correct replicas can claim after digest D was committed at seq 1 in view v (prepared by
 * f+1 or more correct replicas), plus arbitrary claims by f Byzantine ones. Whatever set of at least a
 * quorum of these messages a new primary uses, and whichever later view it is for, D is the only batch a
 * justified new view can put at seq 1.
 */
const committedWorld = fc
  .record({
    n: fc.constantFrom(4, 7),
    v: fc.integer({ min: 0, max: 4 }),
    gap: fc.integer({ min: 1, max: 3 }),
    seed: fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
  })
  .map(({ n, v, gap, seed }) => {
    const f = faultsTolerated(n);
    const w = v + gap;
    let i = 0;
    const next = (max: number) => (seed[i++ % seed.length] as number) % (max + 1);
    const other = () => ['a', 'b', 'c'][next(2)] as string;
    const committers = f + 1 + next(n - 2 * f - 1);
    const messages: ViewChangeMessage[] = [];
    for (let r = 0; r < n - f; r++) {
      const q: [number, number, string][] = [];
      // A committer accepted D in view v, so any other digest it saw at seq 1 came in an earlier view.
      const lastOtherView = r < committers ? v - 1 : v;
      if (lastOtherView >= 0) for (let k = next(2); k > 0; k--) q.push([1, next(lastOtherView), other()]);
      if (r < committers) {
        messages.push(vc(w, [[1, v + next(w - 1 - v), 'D']], q));
      } else {
        const kind = next(2);
        if (kind === 0) messages.push(vc(w, [], q));
        else if (kind === 1 && v > 0) messages.push(vc(w, [[1, next(v - 1), other()]], q));
        else messages.push(vc(w, [[1, v + next(w - 1 - v), 'D']], q));
      }
    }
    for (let r = 0; r < f; r++) {
      const p: [number, number, string][] = next(1) ? [[1, next(w - 1), next(1) ? 'D' : other()]] : [];
      const q: [number, number, string][] = Array.from({ length: next(3) }, () => [1, next(w - 1), other()]);
      messages.push(vc(w, p, q));
    }
    const chosen = messages.filter(() => next(3) > 0);
    return { n, w, messages: chosen.length >= quorumSize(n) ? chosen : messages };
  });

test('S1 (property): no set of view changes justifies replacing a batch committed in an earlier view', () => {
  fc.assert(
    fc.property(committedWorld, ({ n, w, messages }) => {
      const p = params(n);
      const decision = decideNewView(messages, p);
      const at1 = decision?.decisions.find((x) => x.seq === 1)?.decision;
      if (at1) assert.ok(at1.kind === 'batch' && at1.entry.digest === 'D', JSON.stringify(at1));
      for (const [digest, empty] of [
        ['a', false],
        ['b', false],
        ['null', true],
      ] as const) {
        const forged: NewViewMessage = {
          kind: 'new-view',
          epoch: 0,
          view: w,
          viewChanges: [],
          checkpoint: { seq: 0, digest: 'genesis' },
          entries: [{ seq: 1, digest, batch: batch(1, empty) }],
        };
        assert.ok(!newViewJustified(messages, forged, p), `a new view putting ${digest} at seq 1 is justified`);
      }
    }),
    { numRuns: RUNS },
  );
});
