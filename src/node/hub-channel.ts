/**
 * The node's side of the task channel: it connects out to the hub (never the other way round), reports its
 * status every `heartbeatMs`, long-polls for tasks, runs each with its handler and posts the result. Up to
 * {@link TASKS_IN_FLIGHT_MAX} tasks run at once, so a slow task (a re-run, a model's round) does not hold the
 * counts behind it; the node polls for more only while it has room. Every failure is retried with bounded
 * exponential back-off; nothing here can crash the node.
 */
import { randomUUID } from 'node:crypto';
import type https from 'node:https';
import type { Insertable, Kysely } from 'kysely';
import type { Logger } from 'pino';
import { httpsRequestJson, mutualTlsAgent, type TlsMaterial } from '../ca/index.ts';
import { isMeridianError } from '../errors/registry.ts';
import {
  type ChannelTask,
  type Heartbeat,
  TaskPollReplySchema,
  type TaskResult,
} from '../federation/channel-protocol.ts';
import { GroupInsert } from '../store/group-insert.ts';
import type { NodeDatabase } from './schema.ts';

/** Runs one kind of task; its return value is the task's result. */
export type TaskHandler = (payload: unknown, task: ChannelTask) => Promise<unknown>;

/** Longest wait between two attempts to reach the hub. */
export const BACKOFF_MS_MAX = 5_000;
/** Most tasks a node runs at once; it asks the hub for more only below this. */
export const TASKS_IN_FLIGHT_MAX = 64;
/** Margin on top of the hold time before a poll request counts as lost. */
const POLL_MARGIN_MS = 5_000;
/** Connections kept open to the hub: the poll, the heartbeat and a result per task in flight, with room to spare. */
const HUB_SOCKETS_MAX = TASKS_IN_FLIGHT_MAX * 2 + 4;

/** Options for {@link HubChannel}. */
export interface HubChannelOptions {
  hubUrl: string;
  tls: TlsMaterial;
  heartbeatMs: number;
  /** Builds the current status report (data volume changes as data arrives). */
  status: () => Promise<Heartbeat>;
  handlers: Record<string, TaskHandler>;
  db: Kysely<NodeDatabase>;
  log: Logger;
}

/** The node's outbound connection to the hub. */
export class HubChannel {
  readonly #opts: HubChannelOptions;
  readonly #stop = new AbortController();
  #connected = false;
  #loops: Promise<void>[] = [];
  readonly #running = new Set<Promise<void>>();
  /** Keep-alive connections to the hub: one handshake per connection, not per request. */
  readonly #agent: https.Agent;

  /** The audit row of every task, committed together with those of tasks finishing at the same moment. */
  readonly #audit: GroupInsert<Insertable<NodeDatabase['node_audit']>>;

  constructor(opts: HubChannelOptions) {
    this.#opts = opts;
    this.#audit = new GroupInsert(async (rows) => {
      await opts.db
        .insertInto('node_audit')
        .values([...rows])
        .execute();
    });
    this.#agent = mutualTlsAgent(opts.tls, { role: 'hub' }, HUB_SOCKETS_MAX);
  }

  /** True after the hub accepted the last heartbeat. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Starts the heartbeat and poll loops. */
  start(): void {
    this.#loops = [this.#heartbeatLoop(), this.#pollLoop()];
  }

  /** Stops both loops, lets the tasks in flight finish, and tells the hub the node is going away (best effort). */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled(this.#loops);
    await Promise.allSettled([...this.#running]);
    await this.#request('POST', '/peer/v1/goodbye', {}, 2_000).catch(() => undefined);
    this.#agent.destroy();
    this.#connected = false;
  }

  async #heartbeatLoop(): Promise<void> {
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      try {
        const res = await this.#request(
          'POST',
          '/peer/v1/heartbeat',
          await this.#opts.status(),
          this.#opts.heartbeatMs * 3,
        );
        if (res.status !== 200) throw new Error(`hub answered ${res.status}: ${JSON.stringify(res.body)}`);
        if (!this.#connected) this.#opts.log.info({ hub: this.#opts.hubUrl }, 'connected to hub');
        this.#connected = true;
        failures = 0;
      } catch (e) {
        if (this.#connected || failures === 0)
          this.#opts.log.warn({ err: errorText(e), hub: this.#opts.hubUrl }, 'hub unreachable');
        this.#connected = false;
        failures++;
      }
      await sleep(
        failures === 0 ? this.#opts.heartbeatMs : backoff(failures, this.#opts.heartbeatMs),
        this.#stop.signal,
      );
    }
  }

  async #pollLoop(): Promise<void> {
    let failures = 0;
    while (!this.#stop.signal.aborted) {
      try {
        const res = await this.#request('GET', '/peer/v1/tasks', undefined, 60_000 + POLL_MARGIN_MS, this.#stop.signal);
        if (res.status !== 200) throw new Error(`hub answered ${res.status}`);
        const { tasks } = TaskPollReplySchema.parse(res.body);
        failures = 0;
        for (const task of tasks) {
          const run: Promise<void> = this.#run(task)
            .catch((e: unknown) =>
              this.#opts.log.error({ err: errorText(e), task: task.id }, 'task could not be closed'),
            )
            .finally(() => this.#running.delete(run));
          this.#running.add(run);
        }
        while (this.#running.size >= TASKS_IN_FLIGHT_MAX) await Promise.race(this.#running);
      } catch (e) {
        if (this.#stop.signal.aborted) return;
        failures++;
        this.#opts.log.debug({ err: errorText(e) }, 'task poll failed');
        await sleep(backoff(failures, this.#opts.heartbeatMs), this.#stop.signal);
      }
    }
  }

  async #run(task: ChannelTask): Promise<void> {
    const handler = this.#opts.handlers[task.kind];
    let result: TaskResult;
    if (!handler) {
      result = {
        status: 'refused',
        error: { code: 'MER_TASK_KIND_UNKNOWN', message: `this node has no handler for "${task.kind}"` },
      };
    } else {
      try {
        result = { status: 'done', result: await handler(task.payload, task) };
      } catch (e) {
        result = isMeridianError(e)
          ? { status: 'refused', error: { code: e.code, message: e.message } }
          : { status: 'failed', error: { code: 'MER_INTERNAL', message: 'the task failed on the node; see its log' } };
        if (!isMeridianError(e)) this.#opts.log.error({ err: e, task: task.id }, 'task failed');
      }
    }
    await this.#audit.add({
      id: randomUUID(),
      at: new Date(),
      actor: 'hub',
      action: `task.${task.kind}`,
      target: task.id,
      outcome: result.status === 'done' ? 'ok' : result.status,
      detail: JSON.stringify({ code: result.error?.code ?? null }),
    });
    await this.#request('POST', `/peer/v1/tasks/${task.id}/result`, result, 10_000).catch((e) =>
      this.#opts.log.warn({ err: errorText(e), task: task.id }, 'could not deliver task result'),
    );
  }

  #request(method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number, signal?: AbortSignal) {
    const url = new URL(path, this.#opts.hubUrl).toString();
    const { tls } = this.#opts;
    return httpsRequestJson({ url, method, body, tls, timeoutMs, agent: this.#agent, ...(signal ? { signal } : {}) });
  }
}

function backoff(failures: number, baseMs: number): number {
  return Math.min(BACKOFF_MS_MAX, baseMs * 2 ** Math.min(failures - 1, 6));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${(e as NodeJS.ErrnoException).code ?? e.name}: ${e.message}` : String(e);
}
