/**
 * Linkage sweeps: the hub asks every hospital node that is up for its persons' keyed tokens (`identity.tokens`,
 * page by page) and links each page into the master patient index. Only tokens travel; a page is linked under a
 * batch id made of the node, the sweep and the page, so a page sent twice changes nothing. One sweep runs at a
 * time; a node that is down or fails is reported in the sweep's summary and the others go on.
 */
import { randomBytes } from 'node:crypto';
import { isMeridianError } from '../../errors/registry.ts';
import { type LinkageService, TokenPageSchema } from '../../identity/index.ts';
import { callNode } from '../ingest/node-call.ts';
import type { NodeTracker } from '../nodes/node-tracker.ts';
import type { TaskQueues } from '../nodes/task-queue.ts';

/** Persons per page asked of a node. */
export const SWEEP_PAGE_PERSONS = 5_000;
/** Most pages taken from one node in one sweep (bounds a sweep: 5,000 × 2,000 persons). */
export const SWEEP_PAGES_MAX = 2_000;

/** What one sweep did at one node. */
export interface SweepNodeResult {
  node: string;
  pages: number;
  records: number;
  added: number;
  changed: number;
  newGlobals: number;
  attached: number;
  merges: number;
  reviewsQueued: number;
  error?: { code: string; message: string };
}

/** What one sweep did. */
export interface SweepSummary {
  sweepId: string;
  startedAt: string;
  finishedAt: string;
  nodes: SweepNodeResult[];
}

/** Runs linkage sweeps over the connected nodes, one at a time. */
export class IdentitySweeper {
  readonly #o: {
    tracker: NodeTracker;
    queues: TaskQueues;
    linkage: LinkageService;
    now: () => Date;
    pageTimeoutMs: number;
  };
  #running: Promise<SweepSummary> | null = null;
  #last: SweepSummary | null = null;

  constructor(opts: {
    tracker: NodeTracker;
    queues: TaskQueues;
    linkage: LinkageService;
    now: () => Date;
    pageTimeoutMs?: number;
  }) {
    this.#o = { ...opts, pageTimeoutMs: opts.pageTimeoutMs ?? 120_000 };
  }

  /** The last finished sweep, if any. */
  get last(): SweepSummary | null {
    return this.#last;
  }

  /** Starts a sweep, or joins the one running. */
  sweep(): Promise<SweepSummary> {
    this.#running ??= this.#sweep().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #sweep(): Promise<SweepSummary> {
    const startedAt = this.#o.now();
    const sweepId = `s${startedAt.toISOString().replace(/\D/g, '').slice(0, 14)}${randomBytes(3).toString('hex')}`;
    const nodes: SweepNodeResult[] = [];
    for (const view of this.#o.tracker.list()) {
      if (!this.#o.tracker.isUp(view.name)) continue;
      nodes.push(await this.#node(view.name, sweepId));
    }
    const summary = { sweepId, startedAt: startedAt.toISOString(), finishedAt: this.#o.now().toISOString(), nodes };
    this.#last = summary;
    return summary;
  }

  async #node(node: string, sweepId: string): Promise<SweepNodeResult> {
    const result: SweepNodeResult = {
      node,
      pages: 0,
      records: 0,
      added: 0,
      changed: 0,
      newGlobals: 0,
      attached: 0,
      merges: 0,
      reviewsQueued: 0,
    };
    try {
      let after: string | undefined;
      for (let page = 0; page < SWEEP_PAGES_MAX; page++) {
        const tokens = await callNode({
          tracker: this.#o.tracker,
          queues: this.#o.queues,
          node,
          kind: 'identity.tokens',
          payload: { limit: SWEEP_PAGE_PERSONS, ...(after === undefined ? {} : { after }) },
          timeoutMs: this.#o.pageTimeoutMs,
          schema: TokenPageSchema,
        });
        const linked = await this.#o.linkage.linkPage({
          from: node,
          batchId: `${node}:${sweepId}:${page}`,
          page: tokens,
        });
        result.pages++;
        result.records += linked.records;
        result.added += linked.added;
        result.changed += linked.changed;
        result.newGlobals += linked.newGlobals;
        result.attached += linked.attached;
        result.merges += linked.merges;
        result.reviewsQueued += linked.reviewsQueued;
        if (tokens.next === null) break;
        after = tokens.next;
      }
    } catch (e) {
      result.error = isMeridianError(e)
        ? { code: e.code, message: e.message }
        : { code: 'MER_INTERNAL', message: e instanceof Error ? e.message : String(e) };
    }
    return result;
  }
}
