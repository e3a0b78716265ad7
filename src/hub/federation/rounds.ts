/**
 * One federated round from the hub: the same `federation.run` payload goes to every hospital of the task at
 * once through the task channel; each answer is verified (task hash, round, result hash, the node's Ed25519
 * signature) before its result is used. A node that is down, slow, refuses or answers garbage does not stop
 * the round: it is listed with the reason, and the caller decides whether a partial round is usable (a count
 * is; an exact GLM round is not).
 */

import { z } from 'zod';
import { MeridianError } from '../../errors/registry.ts';
import { CLOSE_ROUND } from '../../federation/node.ts';
import {
  ClosedRunSchema,
  FEDERATION_TASK_KIND,
  type FederatedTask,
  type FederationRun,
  verifyNodeAnswer,
} from '../../federation/protocol.ts';
import type { PublicKeyInput } from '../../ledger/signing.ts';
import { callNode } from '../ingest/node-call.ts';
import type { NodeTracker } from '../nodes/node-tracker.ts';
import type { TaskQueues } from '../nodes/task-queue.ts';

/** How one hospital took part in a round. */
export type NodeOutcome =
  | {
      readonly node: string;
      readonly status: 'answered';
      readonly result: unknown;
      readonly signed: unknown;
      /** With `closeAfter`: the closing round's outcome (the hospital's receipt, or why it filed none). */
      readonly closed?: NodeOutcome;
    }
  | { readonly node: string; readonly status: 'missing'; readonly code: string; readonly message: string };

/** What a round returns: every hospital's outcome, in the task's order. */
export interface RoundOutcome {
  readonly outcomes: readonly NodeOutcome[];
  readonly answered: readonly string[];
  readonly missing: readonly string[];
}

/** Sends one `federation.run` payload to a hospital node and resolves with its (still unverified) answer. */
export type NodeCaller = (node: string, payload: FederationRun, timeoutMs: number) => Promise<unknown>;

/** What a round needs from the hub. */
export interface RoundDeps {
  readonly call: NodeCaller;
  /** A hospital's Ed25519 identity public key (from the consortium CA), or undefined if unknown. */
  readonly nodeKey: (node: string) => Promise<PublicKeyInput | undefined>;
}

const AnySchema = z.unknown();

/** The {@link NodeCaller} over the hub's task channel (the node must be known and up). */
export function channelCaller(deps: { tracker: NodeTracker; queues: TaskQueues }): NodeCaller {
  return (node, payload, timeoutMs) =>
    callNode({
      tracker: deps.tracker,
      queues: deps.queues,
      node,
      kind: FEDERATION_TASK_KIND,
      payload,
      timeoutMs,
      schema: AnySchema,
    });
}

/** Runs `round` of `task` on every hospital of the task (input per node, or one for all). */
export async function runRound(
  deps: RoundDeps,
  opts: {
    task: FederatedTask;
    round: number;
    input?: (node: string) => unknown;
    timeoutMs: number;
    /** Hospitals asked (default: every hospital of the task). */
    nodes?: readonly string[];
    /** Each hospital also closes the task right after answering (FederationRun `closeAfter`). */
    closeAfter?: boolean;
  },
): Promise<RoundOutcome> {
  const { task, round } = opts;
  const outcomes = await Promise.all(
    (opts.nodes ?? task.hospitals).map(async (node): Promise<NodeOutcome> => {
      try {
        const key = await deps.nodeKey(node);
        if (key === undefined) {
          throw new MeridianError('MER_FED_BAD_ANSWER', `no identity key is known for hospital node ${node}`, { node });
        }
        const input = opts.input?.(node);
        const payload: FederationRun = {
          task,
          round,
          ...(input === undefined ? {} : { input }),
          ...(opts.closeAfter ? { closeAfter: true as const } : {}),
        };
        const reply = await deps.call(node, payload, opts.timeoutMs);
        if (!opts.closeAfter) {
          const result = verifyNodeAnswer({ signed: reply, task, node, round, publicKey: key });
          return { node, status: 'answered', result, signed: reply };
        }
        const closed = ClosedRunSchema.safeParse(reply);
        if (!closed.success) {
          throw new MeridianError(
            'MER_FED_BAD_ANSWER',
            `hospital node ${node} did not answer and close task ${task.taskId}`,
            {
              node,
              taskId: task.taskId,
            },
          );
        }
        const { signed, close, closeError } = closed.data;
        const result = verifyNodeAnswer({ signed, task, node, round, publicKey: key });
        return { node, status: 'answered', result, signed, closed: closingOutcome(node, task, key, close, closeError) };
      } catch (e) {
        return missingOutcome(node, e);
      }
    }),
  );
  return {
    outcomes,
    answered: outcomes.filter((o) => o.status === 'answered').map((o) => o.node),
    missing: outcomes.filter((o) => o.status === 'missing').map((o) => o.node),
  };
}

/** The closing round's outcome carried in a closed run: the verified receipt answer, or why there is none. */
function closingOutcome(
  node: string,
  task: FederatedTask,
  publicKey: PublicKeyInput,
  close: unknown,
  closeError: { code: string; message: string } | undefined,
): NodeOutcome {
  if (close === undefined) {
    const why = closeError ?? { code: 'MER_FED_BAD_ANSWER', message: `${node} sent no receipt and no reason` };
    return { node, status: 'missing', ...why };
  }
  try {
    const result = verifyNodeAnswer({ signed: close, task, node, round: CLOSE_ROUND, publicKey });
    return { node, status: 'answered', result, signed: close };
  } catch (e) {
    return missingOutcome(node, e);
  }
}

/** A hospital's part in a round that failed with `e`: its code and message. */
function missingOutcome(node: string, e: unknown): NodeOutcome {
  const err = e instanceof MeridianError ? e : new MeridianError('MER_INTERNAL', (e as Error).message);
  return { node, status: 'missing', code: err.code, message: err.message };
}

/** The answered results of a round that must be complete (exact analyses); MER_FED_PARTIAL names who is missing. */
export function requireComplete(round: RoundOutcome): Map<string, unknown> {
  const missing = round.outcomes.filter((o) => o.status === 'missing');
  if (missing.length > 0) {
    throw new MeridianError(
      'MER_FED_PARTIAL',
      `an exact analysis needs every hospital; missing: ${missing
        .map((o) => (o.status === 'missing' ? `${o.node} (${o.code}: ${o.message})` : o.node))
        .join('; ')}`,
      { missing: missing.map((o) => o.node) },
    );
  }
  return new Map(round.outcomes.map((o) => [o.node, o.status === 'answered' ? o.result : undefined]));
}
