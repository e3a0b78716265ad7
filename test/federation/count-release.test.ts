/**
 * Node-side disclosure of counts, without a ledger: the release rule of a count (suppression, SHRINE obfuscation,
 * DP noise with the minimum cell applied to the noisy value), DP task parameters and their hash, the node's
 * check that a DP task's charge on its ledger replica pays for it, and the hub's per-researcher rate limit.
 * The ledger-backed path (charge, budget view, refusals) is test/federation/disclosure-ledger.test.ts.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { isMeridianError } from '../../src/errors/registry.ts';
import { releaseCount } from '../../src/federation/analyses/count.ts';
import { seededRandomBytes } from '../../src/federation/disclosure/index.ts';
import { checkDpCharge, dpOfTask, dpTaskParameters } from '../../src/federation/dp-task.ts';
import {
  admitTask,
  DEFAULT_NODE_POLICY,
  type FederationNodeDeps,
  runFederatedRound,
  type TaskAuthorization,
} from '../../src/federation/node.ts';
import { type FederatedTask, parseFederatedTask, taskHashOf } from '../../src/federation/protocol.ts';
import { QueryLimiter } from '../../src/hub/federation/query-limiter.ts';

const keys = generateKeyPairSync('ed25519');

function countTask(parameters: Record<string, unknown> = {}, over: Partial<FederatedTask> = {}): FederatedTask {
  return parseFederatedTask({
    taskId: 'task-dp-1',
    requestId: 'req-1',
    projectId: 'proj-1',
    kind: 'count',
    cohort: { criteria: [{ kind: 'diagnosis', codes: ['E11'], descendants: true }] },
    parameters,
    hospitals: ['hospital-a', 'hospital-b'],
    user: { id: 'researcher-1', role: 'researcher' },
    issuedAt: '2026-11-25T00:00:00.000Z',
    ...over,
  });
}

test('suppression releases the exact count at or above the minimum cell and withholds it below', () => {
  const random = seededRandomBytes('suppress');
  assert.deepEqual(releaseCount(12, { minCell: 5, mode: 'suppress' }, random), {
    count: 12,
    disclosure: 'suppression',
  });
  assert.deepEqual(releaseCount(5, { minCell: 5, mode: 'suppress' }, random), { count: 5, disclosure: 'suppression' });
  for (const n of [0, 1, 4]) {
    assert.deepEqual(releaseCount(n, { minCell: 5, mode: 'suppress' }, random), {
      count: { suppressed: true },
      disclosure: 'suppression',
    });
  }
});

test('obfuscation never shows an exact small count: 10 or fewer patients read "at most 10" or a rounded noisy number above it', () => {
  const random = seededRandomBytes('obfuscate-small');
  let atMost = 0;
  for (let n = 0; n <= 10; n++) {
    for (let draw = 0; draw < 300; draw++) {
      const r = releaseCount(n, { minCell: 5, mode: 'obfuscate' }, random);
      assert.equal(r.disclosure, 'obfuscation');
      if (typeof r.count === 'number') {
        assert.ok(r.count > 10, `count ${n} released as ${r.count}`);
        assert.equal(r.count % 5, 0, `count ${n} released as ${r.count}, not a multiple of 5`);
        assert.ok(r.count <= n + 10 + 2, `count ${n} released as ${r.count}: noise beyond the clamp`);
      } else {
        assert.deepEqual(r.count, { atMost: 10 });
        atMost++;
      }
    }
  }
  assert.ok(atMost > 2_500, `${atMost} of 3300 small counts read "at most 10"`);
});

test('obfuscated large counts are multiples of 5 within the clamp and vary between queries', () => {
  const random = seededRandomBytes('obfuscate-large');
  const seen = new Set<number>();
  for (let draw = 0; draw < 200; draw++) {
    const r = releaseCount(1_003, { minCell: 5, mode: 'obfuscate' }, random);
    assert.equal(typeof r.count, 'number');
    const v = r.count as number;
    assert.equal(v % 5, 0);
    assert.ok(Math.abs(v - 1_003) <= 12, `1003 released as ${v}`);
    seen.add(v);
  }
  assert.ok(seen.size >= 3, `only ${[...seen].join(', ')} released`);
});

test('a DP count is noisy around the truth, applies the minimum cell to the noisy value, and never goes negative', () => {
  const random = seededRandomBytes('dp-count');
  const dp = dpTaskParameters({ mechanism: 'laplace', epsilon: 0.5 });
  const values: number[] = [];
  for (let draw = 0; draw < 400; draw++) {
    const r = releaseCount(1_000, { minCell: 5, mode: 'suppress', dp }, random);
    assert.equal(r.disclosure, 'dp');
    values.push(r.count as number);
  }
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  // Discrete Laplace with scale 2: variance ≈ 8, so the mean of 400 draws is within ±0.6 with overwhelming odds.
  assert.ok(Math.abs(mean - 1_000) < 0.6, `mean ${mean}`);
  assert.ok(new Set(values).size > 5, 'the noise varies');
  assert.ok(
    values.some((v) => v !== 1_000),
    'not the exact count every time',
  );
  for (let draw = 0; draw < 300; draw++) {
    const r = releaseCount(0, { minCell: 5, mode: 'obfuscate', dp }, random);
    assert.equal(r.disclosure, 'dp', 'DP replaces the node mode');
    if (typeof r.count === 'number') assert.ok(r.count >= 5, `0 released as ${r.count}`);
    else assert.deepEqual(r.count, { suppressed: true });
  }
  const gaussian = dpTaskParameters({ mechanism: 'gaussian', epsilon: 1, delta: 1e-6 });
  const g = releaseCount(500, { minCell: 5, mode: 'suppress', dp: gaussian }, random);
  assert.equal(g.disclosure, 'dp');
  assert.ok(typeof g.count === 'number' && Math.abs(g.count - 500) < 60, JSON.stringify(g));
});

test('DP parameters become integer units in the task, and the task hash covers them', () => {
  assert.deepEqual(dpTaskParameters({ mechanism: 'laplace', epsilon: 0.25 }), {
    mechanism: 'laplace',
    epsilonMicros: 250_000,
  });
  assert.deepEqual(dpTaskParameters({ mechanism: 'gaussian', epsilon: 1, delta: 1e-6 }), {
    mechanism: 'gaussian',
    epsilonMicros: 1_000_000,
    deltaPicos: 1_000_000,
  });
  assert.throws(
    () => dpTaskParameters({ mechanism: 'laplace', epsilon: 1e-9 }),
    (e: unknown) => isMeridianError(e, 'MER_DP_INVALID_OPTION') && /dp\.epsilon/.test(e.message),
  );
  assert.throws(
    () => dpTaskParameters({ mechanism: 'gaussian', epsilon: 1 } as never),
    (e: unknown) => isMeridianError(e, 'MER_DP_INVALID_OPTION') && /dp\.delta/.test(e.message),
  );
  assert.throws(
    () => dpTaskParameters({ mechanism: 'laplace', epsilon: 50 }),
    (e: unknown) => isMeridianError(e, 'MER_DP_INVALID_OPTION') && /dp\.epsilon/.test(e.message),
  );
  const a = countTask({ dp: dpTaskParameters({ mechanism: 'laplace', epsilon: 0.5 }) });
  const b = countTask({ dp: dpTaskParameters({ mechanism: 'laplace', epsilon: 1 }) });
  assert.notEqual(taskHashOf(a), taskHashOf(b));
  assert.notEqual(taskHashOf(a), taskHashOf(countTask()));
  assert.deepEqual(dpOfTask(a), { mechanism: 'laplace', epsilonMicros: 500_000 });
  assert.equal(dpOfTask(countTask()), undefined);
  assert.throws(
    () => dpOfTask(countTask({ dp: { mechanism: 'laplace', epsilonMicros: 0 } })),
    (e: unknown) => isMeridianError(e, 'MER_FED_INVALID_TASK') && /parameters\.dp\.epsilonMicros/.test(e.message),
  );
});

test('a hospital refuses a DP task whose ledger charge is missing, too small, or already used by its receipt', () => {
  const task = countTask({ dp: { mechanism: 'laplace', epsilonMicros: 500_000 } });
  const dp = dpOfTask(task);
  assert.ok(dp);
  const refused = (ledger: Parameters<typeof checkDpCharge>[0]['ledger'], re: RegExp) =>
    assert.throws(
      () => checkDpCharge({ task, dp, node: 'hospital-a', ledger }),
      (e: unknown) => isMeridianError(e, 'MER_FED_DP_NOT_CHARGED') && re.test(e.message),
    );
  refused({}, /asks ε 0\.5 .* charge of ε 0 for it/);
  refused({ epsilonChargedMicros: 0 }, /charge of ε 0 for it/);
  refused({ epsilonChargedMicros: 499_999 }, /charge of ε 0\.499999/);
  refused({ epsilonChargedMicros: 500_000, receipts: { 'hospital-a': {} } }, /already released/);
  checkDpCharge({ task, dp, node: 'hospital-a', ledger: { epsilonChargedMicros: 500_000 } });
  checkDpCharge({ task, dp, node: 'hospital-a', ledger: { epsilonChargedMicros: 800_000, receipts: { x: {} } } });
});

test('a node admits a DP task only with its charge, and runs it once (a second delivery is refused before it runs)', async () => {
  const task = countTask({ dp: { mechanism: 'laplace', epsilonMicros: 500_000 } });
  const auth = (epsilonChargedMicros?: number): TaskAuthorization => ({
    taskId: task.taskId,
    requestId: task.requestId,
    projectId: task.projectId,
    taskHash: taskHashOf(task),
    analysisKind: 'count',
    hospitals: task.hospitals,
    status: 'authorized',
    ...(epsilonChargedMicros === undefined ? {} : { epsilonChargedMicros }),
    receipts: {},
  });
  let runs = 0;
  const deps = (a: TaskAuthorization): FederationNodeDeps => ({
    node: 'hospital-a',
    signingKey: keys.privateKey,
    authority: { authorization: async () => a },
    policy: DEFAULT_NODE_POLICY,
    runners: {
      count: async () => {
        runs++;
        return { count: 42, disclosure: 'dp', minCell: 5, unknownCodes: [] };
      },
    },
  });
  await assert.rejects(admitTask(deps(auth()), task), (e: unknown) => isMeridianError(e, 'MER_FED_DP_NOT_CHARGED'));
  await assert.rejects(runFederatedRound(deps(auth(100)), { task, round: 0 }), (e: unknown) =>
    isMeridianError(e, 'MER_FED_DP_NOT_CHARGED'),
  );
  assert.equal(runs, 0, 'nothing ran without the charge');
  const charged = deps(auth(500_000));
  const first = await runFederatedRound(charged, { task, round: 0 });
  assert.equal(first.answer.taskId, task.taskId);
  await assert.rejects(
    runFederatedRound(charged, { task, round: 0 }),
    (e: unknown) => isMeridianError(e, 'MER_FED_DP_NOT_CHARGED') && /already ran/.test((e as Error).message),
  );
  assert.equal(runs, 1);
});

test('the rate limiter refuses the (N+1)-th near-identical query of a researcher, says when to retry, and frees it after the window', () => {
  let now = 1_000_000;
  const limiter = new QueryLimiter({ options: { repeatsMax: 2, windowMs: 60_000 }, now: () => now });
  const base = countTask();
  const nearSame = countTask(
    {},
    {
      taskId: 'task-other',
      requestId: 'req-2',
      hospitals: ['hospital-c'],
      cohort: { criteria: [{ descendants: true, codes: ['  e11 '], kind: 'DIAGNOSIS' }] },
    },
  );
  assert.equal(limiter.admit(base).remaining, 1);
  now += 1_000;
  assert.equal(limiter.admit(nearSame).remaining, 0, 'key order, case, spaces, hospitals and request do not matter');
  now += 1_000;
  assert.throws(
    () => limiter.admit(base),
    (e: unknown) =>
      isMeridianError(e, 'MER_DISCLOSURE_RATE_LIMITED') &&
      e.status === 429 &&
      e.details?.retryAfterMs === 58_000 &&
      e.details?.retryAt === new Date(now + 58_000).toISOString() &&
      /may be asked again at/.test(e.message),
  );
  const other = limiter.admit(countTask({}, { cohort: { criteria: [{ kind: 'diagnosis', codes: ['I10'] }] } }));
  assert.equal(other.remaining, 1, 'another question is admitted');
  const dp = limiter.admit(countTask({ dp: { mechanism: 'laplace', epsilonMicros: 100_000 } }));
  assert.equal(dp.remaining, 1, 'the same cohort with DP parameters is a question of its own');
  const otherUser = limiter.admit(countTask({}, { user: { id: 'researcher-2', role: 'researcher' } }));
  assert.equal(otherUser.remaining, 1, 'limits are per researcher');
  now += 58_000;
  assert.equal(limiter.admit(base).remaining, 0, 'the oldest query left the window');
});

test('obfuscation never prints a count under a minimum cell above SHRINE’s floor of 10', () => {
  const random = seededRandomBytes('obfuscate-min-cell');
  for (let draw = 0; draw < 500; draw++) {
    const r = releaseCount(draw % 30, { minCell: 20, mode: 'obfuscate' }, random);
    if (typeof r.count === 'number') assert.ok(r.count > 20, `released ${r.count}`);
    else assert.deepEqual(r.count, { atMost: 20 });
  }
});
