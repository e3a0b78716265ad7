import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { isMeridianError } from '../../src/errors/registry.ts';
import {
  admitTask,
  CLOSE_ROUND,
  DEFAULT_NODE_POLICY,
  type FederationNodeDeps,
  receiptResultHash,
  runFederatedRound,
  runFederatedRun,
  type TaskAuthorization,
} from '../../src/federation/node.ts';
import {
  type ClosedRun,
  type FederatedTask,
  parseFederatedTask,
  signNodeAnswer,
  taskHashOf,
  verifyNodeAnswer,
} from '../../src/federation/protocol.ts';

const keys = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');

const task: FederatedTask = parseFederatedTask({
  taskId: 'task-1',
  requestId: 'req-1',
  projectId: 'proj-1',
  kind: 'count',
  cohort: { all: [{ diagnosis: { codes: ['E11'], descendants: true } }] },
  parameters: {},
  hospitals: ['hospital-a', 'hospital-b'],
  user: { id: 'researcher-1', role: 'researcher' },
  issuedAt: '2026-11-25T00:00:00.000Z',
});

function authorization(over: Partial<TaskAuthorization> = {}): TaskAuthorization {
  return {
    taskId: task.taskId,
    requestId: task.requestId,
    projectId: task.projectId,
    taskHash: taskHashOf(task),
    analysisKind: task.kind,
    hospitals: task.hospitals,
    status: 'authorized',
    ...over,
  };
}

function deps(auth: TaskAuthorization | undefined, over: Partial<FederationNodeDeps> = {}): FederationNodeDeps {
  return {
    node: 'hospital-a',
    signingKey: keys.privateKey,
    authority: { authorization: async () => auth },
    policy: DEFAULT_NODE_POLICY,
    runners: { count: async () => ({ count: 42 }) },
    ...over,
  };
}

test('a signed answer verifies, and every altered field or a foreign key fails with the check named', () => {
  const signed = signNodeAnswer({
    task,
    node: 'hospital-a',
    round: 0,
    result: { count: 42 },
    privateKey: keys.privateKey,
  });
  const ok = verifyNodeAnswer({ signed, task, node: 'hospital-a', round: 0, publicKey: keys.publicKey });
  assert.deepEqual(ok, { count: 42 });
  const cases: [string, unknown, Partial<{ node: string; round: number }>, RegExp][] = [
    ['result', { ...signed, answer: { ...signed.answer, result: { count: 43 } } }, {}, /does not match its hash/],
    [
      'result and hash',
      {
        ...signed,
        answer: {
          ...signed.answer,
          result: { count: 43 },
          resultHash: signNodeAnswer({
            task,
            node: 'hospital-a',
            round: 0,
            result: { count: 43 },
            privateKey: other.privateKey,
          }).answer.resultHash,
        },
      },
      {},
      /signature/,
    ],
    ['node', signed, { node: 'hospital-b' }, /signed as hospital-a/],
    ['round', signed, { round: 1 }, /round 0, expected 1/],
    ['task hash', { ...signed, answer: { ...signed.answer, taskHash: '0'.repeat(64) } }, {}, /wrong task hash/],
    ['signature', { ...signed, signature: 'ab'.repeat(64) }, {}, /signature/],
    ['shape', { answer: 'x' }, {}, /not a signed node answer/],
  ];
  for (const [what, s, o, re] of cases) {
    assert.throws(
      () =>
        verifyNodeAnswer({
          signed: s,
          task,
          node: o.node ?? 'hospital-a',
          round: o.round ?? 0,
          publicKey: keys.publicKey,
        }),
      (e: unknown) => isMeridianError(e, 'MER_FED_BAD_ANSWER') && re.test(e.message),
      what,
    );
  }
  assert.throws(
    () => verifyNodeAnswer({ signed, task, node: 'hospital-a', round: 0, publicKey: other.publicKey }),
    /signature does not verify/,
  );
});

test('a malformed task is refused with the field named', () => {
  assert.throws(
    () => parseFederatedTask({ ...task, kind: 'export-everything' }),
    (e: unknown) => isMeridianError(e, 'MER_FED_INVALID_TASK') && /kind/.test(e.message),
  );
  assert.throws(
    () => parseFederatedTask({ ...task, hospitals: [] }),
    (e: unknown) => isMeridianError(e, 'MER_FED_INVALID_TASK') && /hospitals/.test(e.message),
  );
  assert.throws(
    () => parseFederatedTask({ ...task, cohort: { blob: 'x'.repeat(300_000) } }),
    (e: unknown) => isMeridianError(e, 'MER_FED_INVALID_TASK') && /bytes/.test(e.message),
  );
});

test('a node runs only the task the ledger authorized, for itself, within its policy', async () => {
  await admitTask(deps(authorization()), task);
  const refusals: [string, TaskAuthorization | undefined, RegExp][] = [
    ['none', undefined, /no authorization/],
    ['hash', authorization({ taskHash: 'f'.repeat(64) }), /hash differs/],
    ['kind', authorization({ analysisKind: 'glm' }), /authorized glm, not count/],
    ['request', authorization({ requestId: 'req-2' }), /another request/],
    ['not me', authorization({ hospitals: ['hospital-b', 'hospital-c'] }), /not among the authorized/],
    ['set', authorization({ hospitals: ['hospital-a', 'hospital-b', 'hospital-c'] }), /other hospitals/],
    ['released', authorization({ status: 'released' }), /already released/],
  ];
  for (const [what, auth, re] of refusals) {
    await assert.rejects(
      admitTask(deps(auth), task),
      (e: unknown) => isMeridianError(e, 'MER_FED_NOT_AUTHORIZED') && re.test(e.message),
      what,
    );
  }
  const fedavg = { ...task, kind: 'fedavg' as const };
  await assert.rejects(
    admitTask(deps(authorization({ taskHash: taskHashOf(fedavg), analysisKind: 'fedavg' })), fedavg),
    (e: unknown) => isMeridianError(e, 'MER_FED_NODE_POLICY'),
  );
  await admitTask(
    deps(authorization({ taskHash: taskHashOf(fedavg), analysisKind: 'fedavg' }), {
      policy: { ...DEFAULT_NODE_POLICY, approvedTasks: new Set([task.taskId]) },
    }),
    fedavg,
  );
});

test('runFederatedRound signs what the runner computed, and never runs it when admission fails', async () => {
  let ran = 0;
  const runners = {
    count: async () => {
      ran++;
      return { count: 7 };
    },
  };
  const signed = await runFederatedRound(deps(authorization(), { runners }), { task, round: 0 });
  assert.deepEqual(verifyNodeAnswer({ signed, task, node: 'hospital-a', round: 0, publicKey: keys.publicKey }), {
    count: 7,
  });
  await assert.rejects(runFederatedRound(deps(undefined, { runners }), { task, round: 0 }), /no authorization/);
  assert.equal(ran, 1);
  await assert.rejects(
    runFederatedRound(deps(authorization(), { runners }), { task, round: -1 }),
    (e: unknown) => isMeridianError(e, 'MER_FED_INVALID_TASK') && /round/.test(e.message),
  );
});

test('a run with closeAfter answers and files its receipt in one exchange; without a ledger it still answers', async () => {
  const filed: { taskId: string; resultHash: string }[] = [];
  const receipts = async (t: FederatedTask, resultHash: string) => {
    filed.push({ taskId: t.taskId, resultHash });
    return { txHash: 'a'.repeat(64), height: 7 };
  };
  const reply = (await runFederatedRun(deps(authorization(), { receipts }), {
    task,
    round: 0,
    closeAfter: true,
  })) as ClosedRun;
  const answer = verifyNodeAnswer({
    signed: reply.signed,
    task,
    node: 'hospital-a',
    round: 0,
    publicKey: keys.publicKey,
  });
  assert.deepEqual(answer, { count: 42 });
  const close = verifyNodeAnswer({
    signed: reply.close,
    task,
    node: 'hospital-a',
    round: CLOSE_ROUND,
    publicKey: keys.publicKey,
  }) as { resultHash: string; answers: number; receipt: unknown };
  const answerHash = (reply.signed as { answer: { resultHash: string } }).answer.resultHash;
  assert.equal(close.resultHash, receiptResultHash(task, [answerHash]), 'the receipt names exactly this answer');
  assert.deepEqual(close.receipt, { txHash: 'a'.repeat(64), height: 7 });
  assert.deepEqual(filed, [{ taskId: task.taskId, resultHash: close.resultHash }]);

  const unfiled = (await runFederatedRun(deps(authorization()), { task, round: 0, closeAfter: true })) as ClosedRun;
  assert.deepEqual(
    verifyNodeAnswer({ signed: unfiled.signed, task, node: 'hospital-a', round: 0, publicKey: keys.publicKey }),
    { count: 42 },
  );
  assert.equal(unfiled.close, undefined);
  assert.equal(unfiled.closeError?.code, 'MER_FED_LEDGER_UNAVAILABLE');
});
