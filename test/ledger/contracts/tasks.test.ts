import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contractHash, formatEpsilon } from '../../../src/ledger/contracts/index.ts';
import { DAY_MS, ETHICS, Harness, h, RESEARCHER, T0, token } from './harness.ts';

function approved(id = 'r1', opts: Parameters<Harness['request']>[1] = {}): Harness {
  const hx = new Harness();
  hx.request(id, { approve: true, ...opts });
  return hx;
}

const receipt = (taskId: string, status: 'succeeded' | 'failed' = 'succeeded') => ({
  taskId,
  resultHash: contractHash('result', { taskId, status }),
  status,
});

test('task.authorize under an approved request, within scope, records the task hash', () => {
  const hx = approved();
  const out = hx.task('t1', 'r1');
  assert.ok(out.ok && out.events?.[0]?.type === 'task.authorized');
  const t = hx.app.query('tasks/t1') as { status: string; taskHash: string; awaitingReceipts: string[] };
  assert.equal(t.status, 'authorized');
  assert.equal(t.taskHash, contractHash('task', { taskId: 't1' }));
  assert.deepEqual(t.awaitingReceipts, ['hospital-a', 'hospital-b']);
  assert.deepEqual((hx.app.query('requests/r1') as { tasks: string[] }).tasks, ['t1']);
  assert.equal((hx.app.query('tasks', { requestId: 'r1' }) as { total: number }).total, 1);
});

test('task.authorize refusals: not approved, out of scope (kind, hospital, period), taken id, not the hub', () => {
  const pending = new Harness();
  pending.request('r1');
  assert.match(JSON.stringify(pending.task('t1', 'r1')), /MER_CONTRACT_WRONG_STATE.*r1 is pending, not approved/);
  assert.match(JSON.stringify(pending.task('t1', 'nope')), /MER_CONTRACT_NOT_FOUND.*payload\.requestId: no request/);

  const hx = approved('r1', { kinds: ['count'] });
  assert.match(
    JSON.stringify(hx.task('t1', 'r1', ['hospital-a'], 'cox')),
    /MER_CONTRACT_OUT_OF_SCOPE.*payload\.analysisKind cox is not among request r1's \(count\)/,
  );
  assert.match(
    JSON.stringify(hx.task('t1', 'r1', ['hospital-a', 'hospital-c'])),
    /MER_CONTRACT_OUT_OF_SCOPE.*payload\.hospitals\.1 hospital-c is not among/,
  );
  assert.ok(hx.task('t1', 'r1').ok);
  assert.match(JSON.stringify(hx.task('t1', 'r1')), /MER_CONTRACT_EXISTS.*payload\.taskId: t1 exists/);
  hx.refused(
    hx.tx('hospital-a', 'task.authorize', {
      taskId: 't2',
      requestId: 'r1',
      taskHash: h('t2'),
      analysisKind: 'count',
      hospitals: ['hospital-a'],
    }),
    'MER_CONTRACT_FORBIDDEN',
    /task\.authorize is submitted by the hub/,
  );

  const later = approved('r2', { periodStartMs: T0 + 10 * DAY_MS, periodEndMs: T0 + 20 * DAY_MS });
  assert.match(JSON.stringify(later.task('t1', 'r2')), /MER_CONTRACT_OUT_OF_SCOPE.*outside request r2's period/);
  later.block([], 10 * DAY_MS);
  assert.ok(later.task('t1', 'r2').ok);
  later.block([], 11 * DAY_MS);
  assert.match(JSON.stringify(later.task('t2', 'r2')), /MER_CONTRACT_OUT_OF_SCOPE.*outside/);
});

test('consent withdrawal (for the purpose or for all) blocks tasks listing the token; granting again unblocks', () => {
  const hx = approved('r1', { purpose: 'research' });
  const p1 = token('p1');
  const p2 = token('p2');
  hx.ok(
    hx.tx('hospital-a', 'consent.set', {
      patientToken: p1,
      purpose: 'research',
      status: 'withdrawn',
      evidenceHash: h('form'),
    }),
  );
  hx.ok(hx.tx('hospital-b', 'consent.set', { patientToken: p2, purpose: 'all', status: 'withdrawn' }));
  hx.ok(hx.tx('hospital-b', 'consent.set', { patientToken: p2, purpose: 'quality', status: 'granted' }));
  const authorize = (taskId: string, tokens: string[]) =>
    hx.apply(
      hx.tx('hub', 'task.authorize', {
        taskId,
        requestId: 'r1',
        taskHash: h(taskId),
        analysisKind: 'count',
        hospitals: ['hospital-a'],
        patientTokens: tokens,
      }),
    );
  assert.match(
    JSON.stringify(authorize('t1', [token('ok'), p1])),
    /MER_CONTRACT_CONSENT_WITHDRAWN.*patientTokens\.1 .* purpose research/,
  );
  assert.match(JSON.stringify(authorize('t1', [p2])), /MER_CONTRACT_CONSENT_WITHDRAWN.*all purposes/);
  const c = hx.app.query(`consent/${p2}`) as { purposes: Record<string, { status: string }> };
  assert.deepEqual(Object.keys(c.purposes).sort(), ['all', 'quality']);
  hx.ok(hx.tx('hospital-a', 'consent.set', { patientToken: p1, purpose: 'research', status: 'granted' }));
  const out = authorize('t1', [p1]);
  assert.ok(out.ok);
  assert.equal((hx.app.query('tasks/t1') as { patientTokenCount: number }).patientTokenCount, 1);
  assert.deepEqual(hx.app.query(`consent/${token('never')}`), { patientToken: token('never'), purposes: {} });
});

test('receipts from each hospital, then release once; refusals name the missing or failed hospitals', () => {
  const hx = approved();
  hx.task('t1', 'r1');
  hx.refused(
    hx.tx('hub', 'result.release', { taskId: 't1', resultHash: h('res') }),
    'MER_CONTRACT_WRONG_STATE',
    /awaits receipts from hospital-a, hospital-b/,
  );
  hx.refused(
    hx.tx('hospital-c', 'task.receipt', receipt('t1')),
    'MER_CONTRACT_FORBIDDEN',
    /hospital-c is not a hospital of task t1/,
  );
  hx.refused(hx.tx('hub', 'task.receipt', receipt('t1')), 'MER_CONTRACT_FORBIDDEN', /submitted by the hospital/);
  hx.refused(hx.tx('hospital-a', 'task.receipt', receipt('t9')), 'MER_CONTRACT_NOT_FOUND', /no task "t9"/);
  hx.ok(hx.tx('hospital-a', 'task.receipt', receipt('t1')));
  hx.refused(hx.tx('hospital-a', 'task.receipt', receipt('t1')), 'MER_CONTRACT_EXISTS', /already filed a receipt/);
  hx.ok(hx.tx('hospital-b', 'task.receipt', receipt('t1')));
  hx.refused(hx.tx('hospital-a', 'result.release', { taskId: 't1', resultHash: h('res') }), 'MER_CONTRACT_FORBIDDEN');
  const out = hx.ok(
    hx.tx('hub', 'result.release', { taskId: 't1', resultHash: h('res'), location: 'results/t1.json' }),
  );
  assert.ok(out.ok && out.events?.[0]?.type === 'result.released');
  const t = hx.app.query('tasks/t1') as { status: string; release: { location: string } };
  assert.equal(t.status, 'released');
  assert.equal(t.release.location, 'results/t1.json');
  hx.refused(
    hx.tx('hub', 'result.release', { taskId: 't1', resultHash: h('res2') }),
    'MER_CONTRACT_EXISTS',
    /released at height/,
  );

  hx.task('t2', 'r1');
  hx.ok(hx.tx('hospital-a', 'task.receipt', receipt('t2')));
  hx.ok(hx.tx('hospital-b', 'task.receipt', receipt('t2', 'failed')));
  hx.refused(
    hx.tx('hub', 'result.release', { taskId: 't2', resultHash: h('res') }),
    'MER_CONTRACT_WRONG_STATE',
    /failed at hospital-b/,
  );
});

test('budget.charge deducts exact micro-ε and is refused once the budget is spent', () => {
  const hx = approved('r1', { epsilonMicros: 1_000_000, projectId: 'p1' });
  hx.task('t1', 'r1');
  // Ten charges of 0.1 ε reach exactly 1 ε (0.1 * 10 !== 1 in floating point).
  for (let i = 0; i < 10; i += 1)
    hx.ok(hx.tx(i % 2 === 0 ? 'hub' : 'hospital-a', 'budget.charge', { taskId: 't1', epsilonMicros: 100_000 }));
  const b = hx.app.query('budget/p1') as { spentMicros: number; remainingMicros: number };
  assert.equal(b.spentMicros, 1_000_000);
  assert.equal(b.remainingMicros, 0);
  hx.refused(
    hx.tx('hub', 'budget.charge', { taskId: 't1', epsilonMicros: 1 }),
    'MER_CONTRACT_BUDGET_EXHAUSTED',
    /payload\.epsilonMicros 1 exceeds project p1's remaining 0 micro-ε/,
  );
  hx.refused(
    hx.tx('hospital-c', 'budget.charge', { taskId: 't1', epsilonMicros: 1 }),
    'MER_CONTRACT_FORBIDDEN',
    /neither the hub nor a hospital/,
  );
  hx.refused(
    hx.raw('hub', 'budget.charge', { taskId: 't1', epsilonMicros: 0 }),
    'MER_CONTRACT_INVALID_PAYLOAD',
    /epsilonMicros/,
  );
  assert.equal((hx.app.query('tasks/t1') as { epsilonChargedMicros: number }).epsilonChargedMicros, 1_000_000);
  // A second approved request of the same project adds its grant.
  hx.request('r2', { approve: true, epsilonMicros: 250_000, projectId: 'p1' });
  assert.equal((hx.app.query('budget/p1') as { remainingMicros: number }).remainingMicros, 250_000);
  assert.equal(formatEpsilon(1_250_000), '1.25');
  assert.equal(formatEpsilon(0), '0');
});

test('task.feasibility: a count for a researcher without a request, released like any task; nothing else may use it', () => {
  const hx = new Harness();
  const feasibility = (taskId: string, hospitals = ['hospital-a', 'hospital-b'], user = RESEARCHER) =>
    hx.tx('hub', 'task.feasibility', { taskId, projectId: 'p1', taskHash: h(taskId), hospitals }, { user });
  const out = hx.ok(feasibility('f1'));
  assert.ok(out.ok && out.events?.[0]?.type === 'task.authorized');
  const t = hx.app.query('tasks/f1') as { requestId: string; analysisKind: string; projectId: string; status: string };
  assert.deepEqual([t.requestId, t.analysisKind, t.projectId, t.status], ['feasibility', 'count', 'p1', 'authorized']);
  hx.ok(hx.tx('hospital-a', 'task.receipt', receipt('f1')));
  hx.ok(hx.tx('hospital-b', 'task.receipt', receipt('f1')));
  hx.ok(hx.tx('hub', 'result.release', { taskId: 'f1', resultHash: h('released') }));
  assert.equal((hx.app.query('tasks/f1') as { status: string }).status, 'released');

  hx.refused(feasibility('f1'), 'MER_CONTRACT_EXISTS', /payload\.taskId: f1 exists/);
  hx.refused(feasibility('f2', ['hospital-a', 'hub']), 'MER_CONTRACT_NOT_FOUND', /hospitals\.1: hub is not a hospital/);
  hx.refused(feasibility('f3', ['hospital-a'], ETHICS), 'MER_CONTRACT_FORBIDDEN', /user\.role researcher/);
  hx.refused(
    hx.tx(
      'hospital-a',
      'task.feasibility',
      { taskId: 'f4', projectId: 'p1', taskHash: h('f4'), hospitals: ['hospital-a'] },
      { user: RESEARCHER },
    ),
    'MER_CONTRACT_FORBIDDEN',
    /task\.feasibility is submitted by the hub/,
  );
  hx.refused(
    hx.tx('hub', 'budget.charge', { taskId: 'f1', epsilonMicros: 10 }),
    'MER_CONTRACT_WRONG_STATE',
    /feasibility count; it spends no privacy budget/,
  );
  assert.throws(() => hx.request('feasibility'), /MER_CONTRACT_INVALID_PAYLOAD.*reserved for feasibility counts/);
});
