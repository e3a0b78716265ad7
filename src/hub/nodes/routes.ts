/** Node routes: the task channel on the institution port, and the node list for portal users. */
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { MeridianError } from '../../errors/registry.ts';
import {
  HeartbeatReplySchema,
  HeartbeatSchema,
  TaskPollQuerySchema,
  TaskPollReplySchema,
  TaskResultSchema,
} from '../../federation/channel-protocol.ts';
import { MERIDIAN_VERSION } from '../../version.ts';
import type { NodeTracker } from './node-tracker.ts';
import type { TaskQueues } from './task-queue.ts';

/** Roles that may see the consortium's nodes in the portal. */
export const NODE_VIEW_ROLES = ['admin', 'manager', 'steward', 'auditor'] as const;

/** Registers the node-facing channel routes on the hub's institution (mutual TLS) app. */
export function registerChannelRoutes(
  app: FastifyInstance,
  deps: { tracker: NodeTracker; queues: TaskQueues; pollHoldMs: number; now: () => Date; hubName: string },
): void {
  app.post(
    '/peer/v1/heartbeat',
    {
      config: { peer: ['node'] },
      logLevel: 'warn',
      schema: {
        tags: ['channel'],
        summary: "A node's status report",
        body: HeartbeatSchema,
        response: { 200: HeartbeatReplySchema },
      },
    },
    async (request) => {
      const hb = request.body as z.infer<typeof HeartbeatSchema>;
      const peer = request.peer?.name;
      if (hb.name !== peer) {
        throw new MeridianError(
          'MER_NODE_NAME_MISMATCH',
          `heartbeat names "${hb.name}" but the certificate is "${peer}"`,
          {
            announced: hb.name,
            certificate: peer,
          },
        );
      }
      await deps.tracker.heartbeat(hb);
      return { serverTime: deps.now().toISOString(), pollHoldMs: deps.pollHoldMs };
    },
  );

  app.post(
    '/peer/v1/goodbye',
    { config: { peer: ['node'] }, schema: { tags: ['channel'], summary: 'A node shuts down gracefully' } },
    async (request) => {
      await deps.tracker.goodbye(request.peer?.name ?? '');
      return { ok: true };
    },
  );

  app.get(
    '/peer/v1/tasks',
    {
      config: { peer: ['node'] },
      logLevel: 'warn',
      schema: {
        tags: ['channel'],
        summary: 'Long poll for tasks',
        querystring: TaskPollQuerySchema,
        response: { 200: TaskPollReplySchema },
      },
    },
    async (request, reply) => {
      const name = request.peer?.name ?? '';
      const { holdMs } = request.query as z.infer<typeof TaskPollQuerySchema>;
      const abort = new AbortController();
      reply.raw.once('close', () => {
        if (reply.raw.writableFinished) return;
        abort.abort();
        deps.tracker.channelLost(name);
      });
      deps.tracker.touch(name);
      const tasks = await deps.queues.poll(name, Math.min(holdMs ?? deps.pollHoldMs, deps.pollHoldMs), abort.signal);
      if (!abort.signal.aborted) deps.tracker.touch(name);
      return { tasks };
    },
  );

  app.post(
    '/peer/v1/tasks/:id/result',
    {
      config: { peer: ['node'] },
      schema: { tags: ['channel'], summary: "A node's result for one task", body: TaskResultSchema },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const name = request.peer?.name ?? '';
      if (!deps.queues.complete(name, id, request.body as z.infer<typeof TaskResultSchema>)) {
        throw new MeridianError('MER_TASK_UNKNOWN', `no pending task ${id} for node ${name}`, { task: id });
      }
      return { ok: true };
    },
  );

  app.get(
    '/peer/v1/consortium',
    { config: { peer: ['node', 'hub'] }, schema: { tags: ['channel'], summary: 'The consortium as the hub sees it' } },
    async () => consortiumView(deps.tracker, deps.hubName, deps.now),
  );
}

/** Registers the portal's node list. */
export function registerNodeApiRoutes(
  app: FastifyInstance,
  deps: { tracker: NodeTracker; hubName: string; now: () => Date },
): void {
  app.get(
    '/api/nodes',
    {
      config: { roles: NODE_VIEW_ROLES },
      schema: { tags: ['nodes'], summary: 'Every hospital node with its live state', security: [{ bearer: [] }] },
    },
    async () => consortiumView(deps.tracker, deps.hubName, deps.now),
  );
}

/** The consortium summary shared by the API, the CLI and the portal. */
export function consortiumView(tracker: NodeTracker, hubName: string, now: () => Date) {
  const nodes = tracker.list();
  return {
    generatedAt: now().toISOString(),
    hub: { name: hubName, version: MERIDIAN_VERSION },
    summary: { total: nodes.length, up: nodes.filter((n) => n.state === 'up').length },
    nodes,
  };
}
