import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Mutex } from '../../src/store/mutex.ts';

const full = () => new Error('queue full');

test('the mutex hands the lock over first come, first served', async () => {
  const mutex = new Mutex({ waitersMax: 10, onQueueFull: full });
  const order: number[] = [];
  await Promise.all(
    [0, 1, 2, 3].map((i) =>
      mutex.run(async () => {
        order.push(i);
        await new Promise((resolve) => setTimeout(resolve, 5 - i));
        order.push(i);
      }),
    ),
  );
  assert.deepEqual(order, [0, 0, 1, 1, 2, 2, 3, 3]);
  assert.equal(mutex.held, false);
});

test('the wait queue is bounded', async () => {
  const mutex = new Mutex({ waitersMax: 1, onQueueFull: full });
  const release = await mutex.acquire();
  const waiting = mutex.acquire();
  await assert.rejects(mutex.acquire(), /queue full/);
  release();
  (await waiting)();
  assert.equal(mutex.held, false);
});

test('releasing twice is a programmer error', async () => {
  const mutex = new Mutex({ waitersMax: 1, onQueueFull: full });
  const release = await mutex.acquire();
  release();
  assert.throws(release, /released twice/);
});

test('a throwing critical section still releases the lock', async () => {
  const mutex = new Mutex({ waitersMax: 1, onQueueFull: full });
  await assert.rejects(
    mutex.run(async () => Promise.reject(new Error('boom'))),
    /boom/,
  );
  assert.equal(mutex.held, false);
});

test('a bounded wait gives up with its error and leaves the queue intact', async () => {
  const mutex = new Mutex({
    waitersMax: 5,
    onQueueFull: full,
    waitTimeoutMs: 20,
    onWaitTimeout: () => new Error('waited too long'),
  });
  const release = await mutex.acquire();
  await assert.rejects(mutex.acquire(), /waited too long/);
  const next = mutex.acquire();
  release();
  (await next)();
  assert.equal(mutex.held, false);
});
