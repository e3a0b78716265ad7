/**
 * Quality questions to hospital nodes over the task channel. One node: `quality.*` tasks through the hub's
 * one node call (src/hub/ingest/node-call.ts: unknown node 404, down or silent 503, refusals with their code).
 * Several: a bounded fan-out, where each node's failure is that node's state, not the whole answer's.
 *
 *   overview ──► every known node ──down──► state 'down' (no task queued)
 *                     └─up─► quality.runs {limit} ──► newest completed run ──► quality.results ──► aggregates
 *                            no answer in time: 'unavailable' · refused or bad shape: 'failed' · no run: 'no-run'
 */
import type { z } from 'zod';
import { isMeridianError } from '../../errors/registry.ts';
import { callNode } from '../ingest/node-call.ts';
import type { NodeTracker } from '../nodes/node-tracker.ts';
import type { TaskQueues } from '../nodes/task-queue.ts';
import {
  NodeResultsSchema,
  NodeRunsSchema,
  type OverviewNode,
  type OverviewState,
  type QualityRun,
} from './schemas.ts';
import { outcomes } from './views.ts';

/** Runs which a node lists when asked for its newest completed run (running and failed ones come first). */
export const LATEST_RUN_WINDOW = 20;
/** Most nodes asked at once by a fan-out. */
export const FAN_OUT_MAX = 8;

/** Runs one task on one node and parses its answer, or throws a MeridianError (see callNode). */
export type NodeCaller = <S extends z.ZodType>(
  node: string,
  kind: string,
  payload: unknown,
  timeoutMs: number,
  schema: S,
) => Promise<z.infer<S>>;

/** A {@link NodeCaller} bound to the hub's tracker and task queues. */
export function nodeCaller(deps: { tracker: NodeTracker; queues: TaskQueues }): NodeCaller {
  return (node, kind, payload, timeoutMs, schema) =>
    callNode({ tracker: deps.tracker, queues: deps.queues, node, kind, payload, timeoutMs, schema });
}

/** Maps `items` through `work` with at most `concurrency` calls in flight; the answers keep the items' order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await work(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return out;
}

/** The newest completed runs of a node, newest first, at most `limit`. */
export async function completedRuns(
  call: NodeCaller,
  node: string,
  opts: { limit: number; window: number; timeoutMs: number },
): Promise<QualityRun[]> {
  const { runs } = await call(node, 'quality.runs', { limit: opts.window }, opts.timeoutMs, NodeRunsSchema);
  return runs.filter((r) => r.status === 'completed').slice(0, opts.limit);
}

/** One node's line of the consortium overview; never throws (a node's failure is its state). */
export async function overviewOf(
  call: NodeCaller,
  node: { name: string; displayName: string; state: 'up' | 'down' },
  timeoutMs: number,
): Promise<OverviewNode> {
  const line = (state: OverviewState, error: OverviewNode['error'] = null): OverviewNode => ({
    node: node.name,
    displayName: node.displayName,
    state,
    run: null,
    totals: null,
    categories: [],
    error,
  });
  if (node.state === 'down') return line('down');
  try {
    const [latest] = await completedRuns(call, node.name, { limit: 1, window: LATEST_RUN_WINDOW, timeoutMs });
    if (!latest) return line('no-run');
    const answer = await call(node.name, 'quality.results', { runId: latest.runId }, timeoutMs, NodeResultsSchema);
    const { runId, loadId, startedAt, ruleSetVersion } = answer.run;
    return { ...line('ok'), run: { runId, loadId, startedAt, ruleSetVersion }, ...outcomes(answer.results) };
  } catch (e) {
    const code = isMeridianError(e) ? e.code : 'MER_INTERNAL';
    const message = isMeridianError(e) ? e.message : `hospital node ${node.name} could not be asked`;
    return line(code === 'MER_NODE_UNAVAILABLE' ? 'unavailable' : 'failed', { code, message });
  }
}
