/**
 * The data steward's approval at a node, over a real database (PGlite, or Postgres with
 * MERIDIAN_TEST_DATABASE_URL): a task the policy holds back is kept as pending, survives a reopening, is approved
 * or refused once with a comment (audited in node_audit), and the `federation.run` wrapper holds and refuses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMeridianError, MeridianError } from '../../src/errors/registry.ts';
import { summarizeTask } from '../../src/federation/approvals.ts';
import { type FederatedTask, parseFederatedTask } from '../../src/federation/protocol.ts';
import { FederationApprovals, withStewardApproval } from '../../src/node/federation-approvals.ts';
import { NODE_MIGRATIONS, type NodeDatabase } from '../../src/node/schema.ts';
import { openDatabase } from '../../src/store/index.ts';
import { deferrer, freshDatabase } from '../store/targets.ts';

function task(taskId: string, kind: FederatedTask['kind'] = 'fedavg'): FederatedTask {
  return parseFederatedTask({
    taskId,
    requestId: 'req-1',
    projectId: 'proj-1',
    kind,
    cohort: { index: { event: { kind: 'diagnosis', codes: ['E11'], descendants: true } }, criteria: [] },
    variables: [{ name: 'age', kind: 'age' }],
    parameters: { outcome: 'age', rounds: 3 },
    hospitals: ['hospital-a', 'hospital-b'],
    user: { id: 'researcher', role: 'researcher' },
    issuedAt: '2026-11-25T08:00:00.000Z',
  });
}

async function open(t: Parameters<typeof deferrer>[0], fresh = freshDatabase({ persistent: true })) {
  const defer = deferrer(t);
  const store = await openDatabase<NodeDatabase>({ ...fresh.options, migrations: NODE_MIGRATIONS });
  defer(() => fresh.cleanup());
  defer(() => store.close());
  return { store, fresh };
}

test('summarizeTask names the kind, request, researcher, cohort codes and variables', () => {
  const s = summarizeTask(task('task-s'));
  assert.equal(s.kind, 'fedavg');
  assert.equal(s.researcher, 'researcher');
  assert.deepEqual(s.cohort, { codes: ['ICD-10:E11*'], codeCount: 1, criteria: 1 });
  assert.deepEqual(s.variables, [{ name: 'age', kind: 'age' }]);
  assert.deepEqual(s.parameters, ['outcome', 'rounds']);
});

test('a held task is pending, survives a restart, and is approved once with a comment (audited)', async (t) => {
  const { store, fresh } = await open(t);
  const approvals = new FederationApprovals({ db: store.db, node: 'hospital-a' });
  await approvals.load();
  await approvals.hold(task('task-1'));
  await approvals.hold(task('task-1'));
  const pending = await approvals.list();
  assert.equal(pending.length, 1, 'held once');
  assert.equal(pending[0]?.taskId, 'task-1');
  assert.equal(pending[0]?.status, 'pending');
  assert.deepEqual(pending[0]?.hospitals, ['hospital-a', 'hospital-b']);
  assert.equal(approvals.approved.has('task-1'), false);

  const decided = await approvals.decide({
    taskId: 'task-1',
    decision: 'approve',
    comment: '伦理批件已核对',
    by: 'steward-a@hub',
  });
  assert.equal(decided.status, 'approved');
  assert.equal(decided.comment, '伦理批件已核对');
  assert.equal(approvals.approved.has('task-1'), true);
  assert.deepEqual(await approvals.list(), []);

  await assert.rejects(
    approvals.decide({ taskId: 'task-1', decision: 'refuse', comment: 'changed my mind', by: 'steward-a@hub' }),
    (e) => isMeridianError(e, 'MER_FED_APPROVAL_DECIDED'),
  );
  await assert.rejects(
    approvals.decide({ taskId: 'task-nope', decision: 'approve', comment: 'ok', by: 'steward-a@hub' }),
    (e) => isMeridianError(e, 'MER_FED_APPROVAL_NOT_FOUND'),
  );
  const audit = await store.db.selectFrom('node_audit').select(['actor', 'action', 'target', 'outcome']).execute();
  assert.deepEqual(audit.map((a) => `${a.actor} ${a.action} ${a.target} ${a.outcome}`).sort(), [
    'steward-a@hub federation.approve task-1 ok',
    'steward-a@hub federation.approve task-nope refused',
    'steward-a@hub federation.refuse task-1 refused',
  ]);

  await store.close();
  const reopened = await openDatabase<NodeDatabase>({ ...fresh.options, migrations: NODE_MIGRATIONS });
  t.after(() => reopened.close());
  const again = new FederationApprovals({ db: reopened.db, node: 'hospital-a' });
  await again.load();
  assert.equal(again.approved.has('task-1'), true, 'the approval survives a restart');
  assert.equal((await again.list({ status: 'approved' }))[0]?.decidedBy, 'steward-a@hub');
});

test('the federation.run wrapper holds a task the policy refuses and refuses one the steward refused', async (t) => {
  const { store } = await open(t, freshDatabase());
  const approvals = new FederationApprovals({ db: store.db, node: 'hospital-a' });
  let runs = 0;
  const policy = withStewardApproval(approvals, async (payload) => {
    runs++;
    const { task: tk } = payload as { task: FederatedTask };
    if (!approvals.approved.has(tk.taskId)) {
      throw new MeridianError('MER_FED_NODE_POLICY', `hospital-a runs fedavg analyses only after approval`);
    }
    return { ran: tk.taskId };
  });
  const channelTask = { id: 'ch-1', kind: 'federation.run', payload: null } as never;
  const payload = (id: string) => ({ task: task(id), round: 0 });

  await assert.rejects(policy(payload('task-2'), channelTask), (e) => {
    assert.ok(isMeridianError(e, 'MER_FED_NODE_POLICY'));
    assert.match(e.message, /waits for the steward's decision/);
    return true;
  });
  assert.deepEqual(
    (await approvals.list()).map((v) => v.taskId),
    ['task-2'],
  );
  await approvals.decide({ taskId: 'task-2', decision: 'approve', comment: 'fine', by: 'steward-a@hub' });
  assert.deepEqual(await policy(payload('task-2'), channelTask), { ran: 'task-2' });

  await assert.rejects(policy(payload('task-3'), channelTask));
  await approvals.decide({ taskId: 'task-3', decision: 'refuse', comment: '超出伦理范围', by: 'steward-a@hub' });
  const before = runs;
  await assert.rejects(policy(payload('task-3'), channelTask), (e) => {
    assert.ok(isMeridianError(e, 'MER_FED_NODE_POLICY'));
    assert.match(e.message, /refused task task-3 \(steward-a@hub: 超出伦理范围\)/);
    return true;
  });
  assert.equal(runs, before, 'a refused task never reaches the runner');
});
