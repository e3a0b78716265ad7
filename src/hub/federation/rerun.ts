/**
 * Re-running a partial count (POST /api/federation/tasks/:taskId/rerun): the researcher who ran it asks the
 * hospitals that were missing again, under the same ledger authorization (a partial count is never released,
 * so the nodes still admit it: docs/decisions/0010). The answer is the merged count, complete (partial=false,
 * released on the ledger) when every hospital has answered and filed its receipt. One re-run per task at a time.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MeridianError } from '../../errors/registry.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { audited } from '../audit/audited.ts';
import { signedIn } from '../auth/signed-in.ts';
import type { PartialCounts } from './partial-counts.ts';
import { CountAnswerSchema, FEDERATION_ROLES } from './routes.ts';
import type { FederationService } from './service.ts';

/** Re-runs going on at once at most (each holds one task). */
export const RERUNS_RUNNING_MAX = 64;

/** Path parameters of a re-run. */
export const RerunParamsSchema = z.strictObject({
  taskId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'a task id (letters, digits, . _ : -)'),
});

/** Registers the re-run route on the hub's user app. */
export function registerRerunRoute(
  app: FastifyInstance,
  deps: { federation: FederationService; partials: PartialCounts; audit: AuditLog },
): void {
  const running = new Set<string>();
  app.post(
    '/api/federation/tasks/:taskId/rerun',
    {
      config: { roles: FEDERATION_ROLES },
      schema: {
        tags: ['federation'],
        summary:
          'Re-run a partial count at the hospitals that were missing, under the same ledger authorization; answers the merged count (partial=false and released when every hospital answered)',
        security: [{ bearer: [] }],
        params: RerunParamsSchema,
        response: { 200: CountAnswerSchema },
      },
    },
    async (request) => {
      const user = signedIn(request);
      const { taskId } = request.params as z.infer<typeof RerunParamsSchema>;
      const what = { action: 'federation.count.rerun', target: taskId, detail: { taskId } };
      return audited(deps.audit, user, what, async () => {
        const kept = await deps.partials.get(taskId);
        if (kept.userId !== user.username) {
          throw new MeridianError(
            'MER_FED_RERUN_FORBIDDEN',
            `task ${taskId} was run by another researcher; only they may re-run it`,
            { taskId },
          );
        }
        if (running.has(taskId) || running.size >= RERUNS_RUNNING_MAX) {
          throw new MeridianError(
            'MER_FED_RERUN_BUSY',
            running.has(taskId)
              ? `task ${taskId} is being re-run now; wait for that answer`
              : `${RERUNS_RUNNING_MAX} re-runs are going on; try again in a moment`,
            { taskId },
          );
        }
        running.add(taskId);
        try {
          const missingBefore = kept.answer.missing;
          const answer = await deps.federation.rerunCount(kept.task, kept.answer);
          await deps.partials.record({ userId: kept.userId, task: kept.task, answer });
          const detail = {
            requestId: kept.task.requestId,
            missingBefore,
            partial: answer.partial,
            missing: answer.missing,
          };
          return { answer, detail };
        } finally {
          running.delete(taskId);
        }
      });
    },
  );
}
