/**
 * The hub's memory of every node's aggregates (catalog.aggregates) and quality overview line, so that the
 * dashboard and the catalog are answered from memory and stay fast under a thousand concurrent readers.
 *
 *   every checkMs ──► for each known node: due? ──no──► keep
 *                         │ never asked, older than refreshMs, or its heartbeat's data volume changed (a load
 *                         │ finished), or down → up again
 *                         ▼
 *                     catalog.aggregates + quality overview ──ok──► fresh figures, takenAt
 *                                                         └─fail──► last-known figures kept, marked stale
 *
 * A node that is down is not asked; its last-known figures stay, marked stale, with the time they were taken.
 * Each refresh bumps `version`, so views built from the cache are rebuilt once per change, not per read.
 */

import { type NodeAggregates, NodeAggregatesSchema } from '../../catalog/schemas.ts';
import { CATALOG_AGGREGATES_TASK } from '../../catalog/tasks.ts';
import { isMeridianError } from '../../errors/registry.ts';
import type { NodeTracker, NodeView } from '../nodes/node-tracker.ts';
import type { TaskQueues } from '../nodes/task-queue.ts';
import { FAN_OUT_MAX, mapBounded, nodeCaller, overviewOf } from '../quality/node-call.ts';
import type { OverviewNode } from '../quality/schemas.ts';

/** How often the cache looks for nodes that are due, how often it refreshes each, and how long it waits. */
export interface AggregatesTiming {
  checkMs: number;
  refreshMs: number;
  /** Longest wait for one node's aggregates (a large lake takes a while). */
  aggregatesTimeoutMs: number;
  /** Longest wait for one quality overview task. */
  qualityTimeoutMs: number;
  /** Longest a first read waits for the first refresh before answering with what there is. */
  firstReadWaitMs: number;
}

/**
 * Defaults: look every 5 s, refresh each node every 5 minutes (and at once when its data volume changes: a load
 * finished), wait 60 s for aggregates and 5 s per quality call. The aggregates scan the whole lake, so a
 * frequent refresh would take a node's CPU from its federated tasks.
 */
export const AGGREGATES_TIMING_DEFAULT: AggregatesTiming = {
  checkMs: 5_000,
  refreshMs: 300_000,
  aggregatesTimeoutMs: 60_000,
  qualityTimeoutMs: 5_000,
  firstReadWaitMs: 8_000,
};

/** What the cache knows of one node. */
export interface NodeSnapshot {
  node: string;
  displayName: string;
  /** The node's connection state (hub tracker). */
  state: 'up' | 'down';
  /** fresh: the last ask succeeded; stale: last-known figures after a failure or while down; pending: none yet. */
  status: 'fresh' | 'stale' | 'pending';
  /** When the node computed the figures shown. */
  takenAt: string | null;
  aggregates: NodeAggregates | null;
  quality: OverviewNode | null;
  error: { code: string; message: string } | null;
}

interface Entry {
  aggregates: NodeAggregates | null;
  quality: OverviewNode | null;
  error: NodeSnapshot['error'];
  ok: boolean;
  attemptedAt: number;
  /** The heartbeat data volume when last asked (rows:bytes). */
  volume: string;
  state: 'up' | 'down';
}

const volumeKey = (n: NodeView) => `${n.dataVolume.rows}:${n.dataVolume.bytes}`;

/** The cache; one per hub, stopped with it. */
export class AggregatesCache {
  readonly #tracker: NodeTracker;
  readonly #call: ReturnType<typeof nodeCaller>;
  readonly #timing: AggregatesTiming;
  readonly #now: () => Date;
  readonly #entries = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #onRefresh: () => Promise<void>;
  readonly #minCellFloor: () => number;
  #timer: NodeJS.Timeout | null = null;
  #first: Promise<void> | null = null;
  #firstDone = false;
  /** A periodic round is running (the next tick skips rather than piles up). */
  #ticking = false;
  #version = 0;

  constructor(opts: {
    tracker: NodeTracker;
    queues: TaskQueues;
    now: () => Date;
    timing?: Partial<AggregatesTiming> | undefined;
    /** Runs after each round (the ledger activity refreshes with it). */
    onRefresh?: () => Promise<void>;
    /** The consortium's minimum cell in force (each node applies the larger of it and its own). */
    minCellFloor?: () => number;
  }) {
    this.#tracker = opts.tracker;
    this.#call = nodeCaller({ tracker: opts.tracker, queues: opts.queues });
    this.#timing = { ...AGGREGATES_TIMING_DEFAULT, ...opts.timing };
    this.#now = opts.now;
    this.#onRefresh = opts.onRefresh ?? (async () => {});
    this.#minCellFloor = opts.minCellFloor ?? (() => 1);
  }

  /** Bumped after every round that asked a node (views built from the cache are rebuilt only then). */
  get version(): number {
    return this.#version;
  }

  /**
   * Starts the periodic refresh on first use and waits (at most firstReadWaitMs) for the first round, so the
   * first reader sees figures rather than an empty page; later calls return at once.
   */
  async ready(): Promise<void> {
    if (this.#firstDone) return;
    if (!this.#first) {
      this.#first = this.refresh().finally(() => {
        this.#firstDone = true;
      });
      this.#timer = setInterval(() => void this.#tick(), this.#timing.checkMs);
      this.#timer.unref();
    }
    let timeout: NodeJS.Timeout | undefined;
    const wait = new Promise<void>((resolve) => {
      timeout = setTimeout(resolve, this.#timing.firstReadWaitMs);
      timeout.unref();
    });
    await Promise.race([this.#first, wait]);
    clearTimeout(timeout);
  }

  /** Asks every known node that is up now (down ones are marked stale), then the ledger; never throws. */
  async refresh(): Promise<void> {
    await this.#round(() => true);
  }

  /** Every known node as the cache knows it, in the tracker's order. */
  snapshot(): NodeSnapshot[] {
    return this.#tracker.list().map((n) => {
      const e = this.#entries.get(n.name);
      const status: NodeSnapshot['status'] = !e?.aggregates ? 'pending' : e.ok && n.state === 'up' ? 'fresh' : 'stale';
      return {
        node: n.name,
        displayName: n.displayName,
        state: n.state,
        status,
        takenAt: e?.aggregates?.takenAt ?? null,
        aggregates: e?.aggregates ?? null,
        quality: e?.quality ?? null,
        error: e?.error ?? null,
      };
    });
  }

  /** Stops the periodic refresh. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #tick(): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    const now = this.#now().getTime();
    await this.#round((n, e) => {
      if (!e) return true;
      if (e.state !== n.state) return true;
      if (now - e.attemptedAt >= this.#timing.refreshMs) return true;
      return n.state === 'up' && volumeKey(n) !== e.volume;
    }).finally(() => {
      this.#ticking = false;
    });
  }

  async #round(due: (n: NodeView, e: Entry | undefined) => boolean): Promise<void> {
    const nodes = this.#tracker.list().filter((n) => due(n, this.#entries.get(n.name)));
    await mapBounded(nodes, FAN_OUT_MAX, (n) => this.#refreshNode(n));
    await this.#onRefresh();
    if (nodes.length > 0) this.#version += 1;
  }

  #refreshNode(n: NodeView): Promise<void> {
    const running = this.#inFlight.get(n.name);
    if (running) return running;
    const work = this.#ask(n).finally(() => this.#inFlight.delete(n.name));
    this.#inFlight.set(n.name, work);
    return work;
  }

  async #ask(n: NodeView): Promise<void> {
    const before = this.#entries.get(n.name);
    const base = {
      aggregates: before?.aggregates ?? null,
      quality: before?.quality ?? null,
      attemptedAt: this.#now().getTime(),
      volume: volumeKey(n),
      state: n.state,
    };
    if (n.state === 'down') {
      const error = { code: 'MER_NODE_UNAVAILABLE', message: `hospital node ${n.name} is down` };
      this.#entries.set(n.name, { ...base, ok: false, error });
      return;
    }
    try {
      const aggregates = await this.#call(
        n.name,
        CATALOG_AGGREGATES_TASK,
        { minCellFloor: this.#minCellFloor() },
        this.#timing.aggregatesTimeoutMs,
        NodeAggregatesSchema,
      );
      const quality = await overviewOf(this.#call, n, this.#timing.qualityTimeoutMs);
      this.#entries.set(n.name, { ...base, aggregates, quality, ok: true, error: null });
    } catch (e) {
      const error = isMeridianError(e)
        ? { code: e.code, message: e.message }
        : { code: 'MER_INTERNAL', message: `hospital node ${n.name} could not be asked` };
      this.#entries.set(n.name, { ...base, ok: false, error });
    }
  }
}
