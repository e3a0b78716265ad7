/**
 * Per-node task queues behind the channel's long poll. The hub never connects to a node: it queues a task
 * and the node picks it up on its next poll, then posts the result, which resolves the dispatcher's promise.
 * Every queue, wait and pending result is bounded.
 */
import { randomUUID } from 'node:crypto';
import type { ChannelTask, TaskResult } from '../../federation/channel-protocol.ts';

/** Most tasks waiting for one node. */
export const QUEUE_LENGTH_MAX = 1000;
/** Most tasks handed out by one poll. */
export const POLL_BATCH_MAX = 100;

interface Pending {
  node: string;
  resolve: (r: TaskResult) => void;
  timer: NodeJS.Timeout;
}

/** Queues tasks per node and matches results to their dispatchers. */
export class TaskQueues {
  readonly #queues = new Map<string, ChannelTask[]>();
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #pending = new Map<string, Pending>();
  readonly #now: () => Date;

  constructor(opts: { now: () => Date }) {
    this.#now = opts.now;
  }

  /** Queues a task for a node and resolves with its result, or with `failed` after `timeoutMs`. */
  dispatch(node: string, kind: string, payload: unknown, timeoutMs: number): Promise<TaskResult> {
    const queue = this.#queues.get(node) ?? [];
    if (queue.length >= QUEUE_LENGTH_MAX) {
      return Promise.resolve({
        status: 'failed',
        error: { code: 'MER_HUB_QUEUE_FULL', message: `queue of ${node} is full` },
      });
    }
    const task: ChannelTask = { id: randomUUID(), kind, createdAt: this.#now().toISOString(), payload };
    queue.push(task);
    this.#queues.set(node, queue);
    for (const wake of this.#waiters.get(node) ?? []) wake();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(task.id);
        this.#remove(node, task.id);
        resolve({
          status: 'failed',
          error: { code: 'MER_NODE_TIMEOUT', message: `${node} did not answer within ${timeoutMs} ms` },
        });
      }, timeoutMs);
      this.#pending.set(task.id, { node, resolve, timer });
    });
  }

  /** Takes up to {@link POLL_BATCH_MAX} tasks for a node, waiting up to `holdMs` for one to arrive. */
  async poll(node: string, holdMs: number, signal?: AbortSignal): Promise<ChannelTask[]> {
    const take = () => (this.#queues.get(node) ?? []).splice(0, POLL_BATCH_MAX);
    const ready = take();
    if (ready.length > 0 || holdMs === 0) return ready;
    await new Promise<void>((resolve) => {
      const waiters = this.#waiters.get(node) ?? new Set();
      this.#waiters.set(node, waiters);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, holdMs);
      waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
    return signal?.aborted ? [] : take();
  }

  /** Delivers a node's result; false when the task is unknown, already answered, or belongs to another node. */
  complete(node: string, taskId: string, result: TaskResult): boolean {
    const p = this.#pending.get(taskId);
    if (!p || p.node !== node) return false;
    clearTimeout(p.timer);
    this.#pending.delete(taskId);
    p.resolve(result);
    return true;
  }

  /** Wakes every waiting poll (used on shutdown so held connections close at once). */
  wakeAll(): void {
    for (const waiters of this.#waiters.values()) for (const wake of waiters) wake();
  }

  #remove(node: string, taskId: string): void {
    const queue = this.#queues.get(node);
    if (!queue) return;
    const i = queue.findIndex((t) => t.id === taskId);
    if (i >= 0) queue.splice(i, 1);
  }
}
