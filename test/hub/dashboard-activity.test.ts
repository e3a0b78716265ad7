/** The dashboard's ledger activity by day, from block summaries (pure). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activityByDay, blockActivity } from '../../src/hub/dashboard/activity.ts';
import type { SignedTransaction } from '../../src/ledger/transaction.ts';

const tx = (kind: string) => ({ body: { kind } }) as unknown as SignedTransaction;

test('blocks are summed per UTC day with requests, decisions, tasks, receipts and notarizations', () => {
  const day1 = Date.parse('2026-03-01T23:59:00Z');
  const day2 = Date.parse('2026-03-02T00:01:00Z');
  const days = activityByDay([
    blockActivity(3, day2, [tx('task.authorize'), tx('task.receipt'), tx('task.receipt')]),
    blockActivity(1, day1, [tx('request.submit'), tx('notarize.batch')]),
    blockActivity(2, day1, [tx('request.decide'), tx('request.decide'), tx('membership.add')]),
  ]);
  assert.deepEqual(days, [
    {
      day: '2026-03-01',
      blocks: 2,
      txs: 5,
      requests: 1,
      decisions: 2,
      tasks: 0,
      receipts: 0,
      releases: 0,
      notarizations: 1,
    },
    {
      day: '2026-03-02',
      blocks: 1,
      txs: 3,
      requests: 0,
      decisions: 0,
      tasks: 1,
      receipts: 2,
      releases: 0,
      notarizations: 0,
    },
  ]);
  assert.deepEqual(activityByDay([]), []);
});
