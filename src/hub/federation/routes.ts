/**
 * Federated analysis routes (/api/federation/*). A researcher asks under one of their data-use requests; the
 * hub authorizes the task on the ledger (refused there unless the request is approved and the analysis is in
 * its scope), runs it on the hospitals, and answers with what the hospitals released. Every call is audited
 * with the task id and hash, whatever its outcome.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.ts';
import { audited } from '../audit/audited.ts';
import type { Role } from '../auth/roles.ts';
import { signedIn } from '../auth/signed-in.ts';
import type { FederationService } from './service.ts';

/** Roles that may run federated analyses. */
export const FEDERATION_ROLES = ['researcher'] as const satisfies readonly Role[];

const IdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);

/** Body of a federated count: the request it runs under, the cohort and the hospitals asked. */
export const CountBodySchema = z.strictObject({
  requestId: IdSchema,
  projectId: IdSchema,
  cohort: z.record(z.string(), z.unknown()),
  hospitals: z.array(z.string().min(2).max(63)).min(1).max(64),
});

const ReleasedCountSchema = z.union([z.number(), z.strictObject({ suppressed: z.literal(true) })]);

/** The answer of a federated count. */
export const CountAnswerSchema = z.strictObject({
  taskId: z.string(),
  taskHash: z.string(),
  authorizedAt: z.strictObject({ txHash: z.string(), height: z.number() }),
  byHospital: z.array(
    z.union([
      z.strictObject({ hospital: z.string(), status: z.literal('answered'), count: ReleasedCountSchema }),
      z.strictObject({ hospital: z.string(), status: z.literal('missing'), code: z.string(), message: z.string() }),
    ]),
  ),
  total: z.number(),
  suppressed: z.array(z.string()),
  missing: z.array(z.string()),
  partial: z.boolean(),
  minCell: z.number().nullable(),
  unknownCodes: z.array(z.string()),
});

/** Body of a federated GLM: the request, the cohort, the analysis variables and the model. */
export const GlmBodySchema = z.strictObject({
  requestId: IdSchema,
  projectId: IdSchema,
  cohort: z.record(z.string(), z.unknown()),
  variables: z.array(z.record(z.string(), z.unknown())).min(1).max(50),
  parameters: z.record(z.string(), z.unknown()),
  hospitals: z.array(z.string().min(2).max(63)).min(2).max(64),
});

const CoefficientSchema = z.object({
  name: z.string(),
  estimate: z.number(),
  standardError: z.number(),
  statistic: z.number(),
  pValue: z.number(),
  lower: z.number(),
  upper: z.number(),
});

/** The answer of a federated GLM: the task, its authorization, and the fit (equal to the pooled fit). */
export const GlmAnswerSchema = z.object({
  taskId: z.string(),
  taskHash: z.string(),
  authorizedAt: z.strictObject({ txHash: z.string(), height: z.number() }),
  rounds: z.number(),
  n: z.number(),
  result: z.object({ coefficients: z.array(CoefficientSchema) }).passthrough(),
});

const security = [{ bearer: [] }];

/** Registers the federation routes on the hub's user app. */
export function registerFederationRoutes(
  app: FastifyInstance,
  deps: { federation: FederationService; audit: AuditLog },
): void {
  app.post(
    '/api/federation/count',
    {
      config: { roles: FEDERATION_ROLES },
      schema: {
        tags: ['federation'],
        summary:
          "Count a cohort at every hospital of a data-use request: authorized on the ledger, released under each hospital's minimum cell size, partial when a hospital does not answer",
        security,
        body: CountBodySchema,
        response: { 200: CountAnswerSchema },
      },
    },
    async (request) => {
      const user = signedIn(request);
      const body = request.body as z.infer<typeof CountBodySchema>;
      const task = deps.federation.task({ ...body, kind: 'count' }, { id: user.username, role: user.role });
      const detail = { taskId: task.taskId, requestId: task.requestId, hospitals: task.hospitals };
      return audited(deps.audit, user, { action: 'federation.count', target: task.requestId, detail }, async () => {
        const answer = await deps.federation.count(task);
        return {
          answer,
          detail: { ...detail, taskHash: answer.taskHash, partial: answer.partial, missing: answer.missing },
        };
      });
    },
  );

  app.post(
    '/api/federation/glm',
    {
      config: { roles: FEDERATION_ROLES },
      schema: {
        tags: ['federation'],
        summary:
          'Fit a GLM (gaussian, binomial, poisson) across the hospitals of a data-use request: authorized on the ledger, every hospital returns pairwise-masked sums, the coefficients equal the pooled fit',
        security,
        body: GlmBodySchema,
        response: { 200: GlmAnswerSchema },
      },
    },
    async (request) => {
      const user = signedIn(request);
      const body = request.body as z.infer<typeof GlmBodySchema>;
      const task = deps.federation.task({ ...body, kind: 'glm' }, { id: user.username, role: user.role });
      const detail = { taskId: task.taskId, requestId: task.requestId, hospitals: task.hospitals };
      return audited(deps.audit, user, { action: 'federation.glm', target: task.requestId, detail }, async () => {
        const answer = await deps.federation.glm(task);
        return { answer, detail: { ...detail, taskHash: answer.taskHash, rounds: answer.rounds, n: answer.n } };
      });
    },
  );
}
