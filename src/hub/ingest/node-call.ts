/**
 * One request from a portal user to a hospital node, through the task channel: check the node is known and
 * up, queue the task, await its result within a time limit, and turn every outcome into either the parsed
 * answer or a MeridianError the user can act on.
 *
 *   hub route ──dispatch──► TaskQueues ──long poll──► node runs `ingest.*` ──result──► parse ──► answer
 *       │ unknown node: MER_NODE_UNKNOWN (404)       │ down, no answer in time, queue full: MER_NODE_UNAVAILABLE (503)
 *       │ node refused with a registered code: that code (e.g. MER_INGEST_BUSY 409)
 *       └ node failed, unknown code or answer of the wrong shape: MER_NODE_TASK_FAILED (502)
 */
import type { z } from 'zod';
import { ERROR_REGISTRY, type ErrorCode, MeridianError } from '../../errors/registry.ts';
import type { NodeTracker } from '../nodes/node-tracker.ts';
import type { TaskQueues } from '../nodes/task-queue.ts';

/** Error codes of a failed dispatch that mean the node could not be reached rather than that it refused. */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set(['MER_NODE_TIMEOUT', 'MER_HUB_QUEUE_FULL']);

/** Runs one task on a node and returns its result parsed by `schema`, or throws a MeridianError. */
export async function callNode<S extends z.ZodType>(opts: {
  tracker: NodeTracker;
  queues: TaskQueues;
  node: string;
  kind: string;
  payload: unknown;
  timeoutMs: number;
  schema: S;
}): Promise<z.infer<S>> {
  const { node, kind } = opts;
  const view = opts.tracker.list().find((n) => n.name === node);
  if (!view) {
    throw new MeridianError('MER_NODE_UNKNOWN', `no hospital node named "${node}" has connected to this hub`, {
      node,
    });
  }
  if (!opts.tracker.isUp(node)) {
    throw new MeridianError(
      'MER_NODE_UNAVAILABLE',
      `hospital node ${node} is down${view.lastSeen ? ` (last seen ${view.lastSeen})` : ''}; try again when it is up`,
      { node, reason: 'down', lastSeen: view.lastSeen },
    );
  }
  const result = await opts.queues.dispatch(node, kind, opts.payload, opts.timeoutMs);
  if (result.status === 'done') {
    const parsed = opts.schema.safeParse(result.result);
    if (parsed.success) return parsed.data;
    throw new MeridianError('MER_NODE_TASK_FAILED', `hospital node ${node} answered ${kind} with an unexpected shape`, {
      node,
      kind,
      problems: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`),
    });
  }
  const code = result.error?.code ?? 'MER_INTERNAL';
  const message = result.error?.message ?? `the task ${kind} did not complete`;
  if (UNREACHABLE_CODES.has(code)) {
    throw new MeridianError(
      'MER_NODE_UNAVAILABLE',
      `hospital node ${node} did not answer: ${message}; try again in a moment`,
      { node, reason: code === 'MER_NODE_TIMEOUT' ? 'timeout' : 'queue-full' },
    );
  }
  if (result.status === 'refused' && isRegistered(code) && code !== 'MER_INTERNAL') {
    throw new MeridianError(code, `hospital node ${node}: ${message}`, { node });
  }
  throw new MeridianError('MER_NODE_TASK_FAILED', `hospital node ${node} could not run ${kind}: ${message}`, {
    node,
    kind,
    code,
  });
}

function isRegistered(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_REGISTRY, code);
}
