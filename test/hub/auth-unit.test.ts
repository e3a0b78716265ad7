import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMeridianError } from '../../src/errors/registry.ts';
import { hashPassword, verifyPassword } from '../../src/hub/auth/passwords.ts';
import { SessionIssuer } from '../../src/hub/auth/sessions.ts';
import { TaskQueues } from '../../src/hub/nodes/task-queue.ts';

test('scrypt hashes verify only the right password and never store it', async () => {
  const h = await hashPassword('correct horse battery');
  assert.match(h, /^scrypt\$32768\$8\$1\$/);
  assert.ok(!h.includes('correct'));
  assert.equal(await verifyPassword('correct horse battery', h), true);
  assert.equal(await verifyPassword('correct horse batterY', h), false);
  assert.equal(await verifyPassword('x', 'not-a-hash'), false);
  assert.notEqual(await hashPassword('same'), await hashPassword('same'));
});

test('session tokens expire and refuse tampering, with distinct codes', async () => {
  let now = new Date('2026-01-01T00:00:00Z');
  const key = new Uint8Array(32).fill(7);
  const issuer = new SessionIssuer({ key, ttlSec: 900, now: () => now });
  const user = { id: 'u1', username: 'amy', displayName: 'Amy', role: 'researcher' as const, hospital: null };
  const { token, expiresAt } = await issuer.issue(user);
  assert.equal(expiresAt.toISOString(), '2026-01-01T00:15:00.000Z');
  assert.equal((await issuer.verify(token)).sub, 'u1');
  const other = new SessionIssuer({ key: new Uint8Array(32).fill(8), ttlSec: 900, now: () => now });
  await assert.rejects(other.verify(token), (e) => isMeridianError(e, 'MER_AUTH_TOKEN_INVALID'));
  await assert.rejects(issuer.verify(`${token.slice(0, -2)}xx`), (e) => isMeridianError(e, 'MER_AUTH_TOKEN_INVALID'));
  now = new Date('2026-01-01T00:16:00Z');
  await assert.rejects(issuer.verify(token), (e) => isMeridianError(e, 'MER_AUTH_TOKEN_EXPIRED'));
});

test('task queues: a poll receives a dispatched task, the result resolves the dispatcher, strangers cannot answer', async () => {
  const q = new TaskQueues({ now: () => new Date(0) });
  const pollP = q.poll('hospital-a', 5_000);
  const resultP = q.dispatch('hospital-a', 'count', { x: 1 }, 5_000);
  const tasks = await pollP;
  assert.equal(tasks.length, 1);
  const task = tasks[0];
  assert.ok(task);
  assert.equal(task.kind, 'count');
  assert.equal(q.complete('hospital-b', task.id, { status: 'done', result: 1 }), false);
  assert.equal(q.complete('hospital-a', task.id, { status: 'done', result: 42 }), true);
  assert.deepEqual(await resultP, { status: 'done', result: 42 });
  assert.equal(q.complete('hospital-a', task.id, { status: 'done' }), false);
});

test('task queues: an empty poll returns after its hold time; an unanswered task times out as failed', async () => {
  const q = new TaskQueues({ now: () => new Date(0) });
  assert.deepEqual(await q.poll('n', 20), []);
  const r = await q.dispatch('n', 'k', null, 30);
  assert.equal(r.status, 'failed');
  assert.equal(r.error?.code, 'MER_NODE_TIMEOUT');
  assert.deepEqual(await q.poll('n', 0), []);
});
