/**
 * The hub's store of partial counts (for re-runs) over a real database: a partial answer is kept with its task and
 * researcher, replaced by a later partial one, forgotten once complete and released, and bounded (oldest first).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMeridianError } from '../../src/errors/registry.ts';
import { type FederatedTask, parseFederatedTask, taskHashOf } from '../../src/federation/protocol.ts';
import { PartialCounts } from '../../src/hub/federation/partial-counts.ts';
import type { CountAnswer } from '../../src/hub/federation/service.ts';
import { HUB_MIGRATIONS, type HubDatabase } from '../../src/hub/schema.ts';
import { openDatabase } from '../../src/store/index.ts';
import { deferrer, freshDatabase } from '../store/targets.ts';

function task(taskId: string): FederatedTask {
  return parseFederatedTask({
    taskId,
    requestId: 'req-1',
    projectId: 'proj-1',
    kind: 'count',
    cohort: { criteria: [] },
    hospitals: ['hospital-a', 'hospital-b'],
    user: { id: 'researcher', role: 'researcher' },
    issuedAt: '2026-11-25T08:00:00.000Z',
  });
}

function answer(t: FederatedTask, partial: boolean, released: boolean): CountAnswer {
  return {
    taskId: t.taskId,
    taskHash: taskHashOf(t),
    authorizedAt: { txHash: 'a', height: 1 },
    ledger: {
      receipts: {},
      release: released ? { txHash: 'r', height: 3, resultHash: 'f'.repeat(64) } : null,
      unreleased: released ? null : 'hospital-b did not answer',
    },
    byHospital: [],
    total: 7,
    suppressed: [],
    missing: partial ? ['hospital-b'] : [],
    partial,
    minCell: 5,
    unknownCodes: [],
    atMost: [],
    noisy: false,
  };
}

test('a partial count is kept until it is complete and released; the oldest go past the bound', async (t) => {
  const defer = deferrer(t);
  const fresh = freshDatabase();
  const store = await openDatabase<HubDatabase>({ ...fresh.options, migrations: HUB_MIGRATIONS });
  defer(() => fresh.cleanup());
  defer(() => store.close());
  let clock = Date.parse('2026-11-25T08:00:00Z');
  const tick = () => {
    clock += 1000;
    return new Date(clock);
  };
  const partials = new PartialCounts({ db: store.db, now: tick, kept: 2 });

  const t1 = task('task-1');
  await partials.record({ userId: 'researcher', task: t1, answer: answer(t1, true, false) });
  const kept = await partials.get('task-1');
  assert.equal(kept.userId, 'researcher');
  assert.equal(taskHashOf(kept.task), taskHashOf(t1), 'the task comes back with the hash the ledger authorized');
  assert.deepEqual(kept.answer.missing, ['hospital-b']);

  await partials.record({ userId: 'researcher', task: t1, answer: answer(t1, false, false) });
  assert.equal((await partials.get('task-1')).answer.partial, false, 'complete but unreleased is kept');
  await partials.record({ userId: 'researcher', task: t1, answer: answer(t1, false, true) });
  await assert.rejects(partials.get('task-1'), (e) => isMeridianError(e, 'MER_FED_RERUN_NOT_FOUND'));

  for (const id of ['task-2', 'task-3', 'task-4']) {
    const tk = task(id);
    await partials.record({ userId: 'researcher', task: tk, answer: answer(tk, true, false) });
  }
  await assert.rejects(partials.get('task-2'), (e) => isMeridianError(e, 'MER_FED_RERUN_NOT_FOUND'));
  assert.equal((await partials.get('task-4')).task.taskId, 'task-4');
  assert.equal((await partials.get('task-3')).task.taskId, 'task-3');
});
