/**
 * The consortium minimum cell size as each task's floor: the hub stamps its setting on the task (inside the hash
 * the ledger authorizes), every node applies the larger of the floor and its own setting, and the hub refuses a
 * count released under less than the floor.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { test } from 'node:test';
import { releaseCount } from '../../src/federation/analyses/count.ts';
import { type AnalysisRunner, CLOSE_ROUND, effectiveMinCell, runnersWithFloor } from '../../src/federation/node.ts';
import {
  type FederatedTask,
  type FederationRun,
  parseFederatedTask,
  signNodeAnswer,
  taskHashOf,
} from '../../src/federation/protocol.ts';
import { countLines } from '../../src/hub/federation/count-merge.ts';
import { FederationService } from '../../src/hub/federation/service.ts';

const BASE = {
  taskId: 'task-1',
  requestId: 'req-1',
  projectId: 'proj-1',
  kind: 'count',
  cohort: { criteria: [{ kind: 'sex', values: ['F'] }] },
  hospitals: ['hospital-a'],
  user: { id: 'u1', role: 'researcher' },
  issuedAt: '2026-03-01T08:00:00.000Z',
} as const;

const noRandom = () => {
  throw new Error('suppression draws no randomness');
};

test('the floor is part of the task: checked on the wire and inside the authorized hash', () => {
  const plain = parseFederatedTask(BASE);
  const floored = parseFederatedTask({ ...BASE, minCellFloor: 11 });
  assert.equal(floored.minCellFloor, 11);
  assert.notEqual(taskHashOf(plain), taskHashOf(floored), 'a changed floor is a different task');
  assert.throws(() => parseFederatedTask({ ...BASE, minCellFloor: 0 }), /minCellFloor/);
  assert.throws(() => parseFederatedTask({ ...BASE, minCellFloor: 1_001 }), /minCellFloor/);
});

test('a node applies the larger of the consortium floor and its own minimum cell', () => {
  const task = (floor?: number): FederatedTask =>
    parseFederatedTask(floor === undefined ? BASE : { ...BASE, minCellFloor: floor });
  assert.equal(effectiveMinCell(5, task()), 5, 'no floor: the node’s own');
  assert.equal(effectiveMinCell(5, task(11)), 11, 'a stricter consortium floor wins');
  assert.equal(effectiveMinCell(20, task(11)), 20, 'a stricter node setting still wins');
});

test('runners with a floor: one runner set per effective minimum cell, reused across rounds', async () => {
  const built: number[] = [];
  const runners = runnersWithFloor(5, (minCell) => {
    built.push(minCell);
    const count: AnalysisRunner = async () => ({ minCell });
    return { count };
  });
  assert.deepEqual(Object.keys(runners), ['count'], 'only the kinds the node can run');
  const run = (floor?: number) =>
    runners.count?.({
      task: parseFederatedTask(floor === undefined ? BASE : { ...BASE, minCellFloor: floor }),
      round: 0,
      input: undefined,
    });
  assert.deepEqual(await run(), { minCell: 5 });
  assert.deepEqual(await run(12), { minCell: 12 });
  assert.deepEqual(await run(12), { minCell: 12 });
  assert.deepEqual(await run(3), { minCell: 5 });
  assert.deepEqual(built, [5, 12], 'each set is built once');
});

test('the hub refuses a count released under less than the task floor', () => {
  const line = (node: string, minCell: number) => ({
    node,
    status: 'answered' as const,
    result: { count: 40, disclosure: 'suppression', minCell, unknownCodes: [] },
    signed: null,
  });
  const lines = countLines([line('a', 10), line('b', 3)], 10);
  assert.equal(lines.byHospital[0]?.status, 'answered');
  const refused = lines.byHospital[1];
  assert.equal(refused?.status, 'missing');
  assert.equal(refused?.status === 'missing' ? refused.code : '', 'MER_FED_BAD_ANSWER');
  assert.match(refused?.status === 'missing' ? refused.message : '', /minimum cell of 3, below the consortium's 10/);
  assert.equal(countLines([line('b', 3)]).byHospital[0]?.status, 'answered', 'without a floor nothing changes');
});

test('end to end: the hub stamps its setting, nodes suppress under it, a node that ignores it is not used', async () => {
  const counts: Record<string, number> = { 'hospital-a': 8, 'hospital-b': 30, 'hospital-c': 9 };
  const keys = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }>();
  const nodeRunners = new Map<string, ReturnType<typeof runnersWithFloor>>();
  for (const h of Object.keys(counts)) {
    keys.set(h, generateKeyPairSync('ed25519'));
    nodeRunners.set(
      h,
      runnersWithFloor(5, (minCell) => ({
        count: async () => ({
          ...releaseCount(counts[h] ?? 0, { minCell, mode: 'suppress' }, noRandom),
          // hospital-c ignores the floor and reports (and releases under) its own setting only
          minCell: h === 'hospital-c' ? 5 : minCell,
          unknownCodes: [],
        }),
      })),
    );
  }
  let floor = 10;
  let height = 0;
  const service = new FederationService({
    nodeKey: async (node) => keys.get(node)?.publicKey,
    call: async (node, payload: FederationRun) => {
      const result = await nodeRunners
        .get(node)
        ?.count?.({ task: payload.task, round: payload.round, input: undefined });
      const privateKey = keys.get(node)?.privateKey as KeyObject;
      const signed = signNodeAnswer({ task: payload.task, node, round: payload.round, result, privateKey });
      const receipt = {
        resultHash: 'f'.repeat(64),
        answers: 1,
        receipt: { txHash: `receipt-${node}`, height: ++height },
      };
      return {
        signed,
        close: signNodeAnswer({ task: payload.task, node, round: CLOSE_ROUND, result: receipt, privateKey }),
      };
    },
    authorize: async () => ({ txHash: 'authorize', height: ++height }),
    release: async () => ({ txHash: 'release', height: ++height }),
    minCellFloor: () => floor,
  });
  const request = {
    requestId: 'req-1',
    projectId: 'proj-1',
    kind: 'count' as const,
    cohort: { criteria: [{ kind: 'sex', values: ['F'] }] },
    hospitals: ['hospital-a', 'hospital-b', 'hospital-c'],
  };
  const task = service.task(request, { id: 'researcher', role: 'researcher' });
  assert.equal(task.minCellFloor, 10, 'the setting in force is stamped on the task');
  const answer = await service.count(task);
  const byHospital = Object.fromEntries(answer.byHospital.map((l) => [l.hospital, l]));
  assert.deepEqual(byHospital['hospital-a'], {
    hospital: 'hospital-a',
    status: 'answered',
    count: { suppressed: true },
    disclosure: 'suppression',
  });
  assert.equal(byHospital['hospital-b']?.status, 'answered');
  assert.equal(byHospital['hospital-c']?.status, 'missing');
  assert.equal(answer.minCell, 10);
  assert.equal(answer.total, 30);

  floor = 5;
  const later = await service.count(service.task(request, { id: 'researcher', role: 'researcher' }));
  assert.equal(later.total, 8 + 30 + 9, 'a lowered setting applies to the next task');
});
