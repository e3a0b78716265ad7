/**
 * The dashboard (数据驾驶舱) API: `GET /api/dashboard`, for managers and oversight (administrators, auditors,
 * the ethics committee). Aggregates only, served from the hub's memory (insights.ts); reads are audited,
 * coalesced per user and window (read-audit.ts).
 */
import type { FastifyInstance } from 'fastify';
import { signedIn } from '../auth/signed-in.ts';
import type { HubInsights } from './insights.ts';
import { DASHBOARD_ROLES } from './roles.ts';

/** Registers the dashboard route on the hub's user app. */
export function registerDashboardRoutes(app: FastifyInstance, deps: { insights: HubInsights }): void {
  app.get(
    '/api/dashboard',
    {
      config: { roles: DASHBOARD_ROLES },
      schema: {
        tags: ['dashboard'],
        summary:
          'Per hospital: patients, visits, ODS and DWD volume, loads by day, quality scores; ledger activity by day',
        security: [{ bearer: [] }],
      },
    },
    async (request, reply) => {
      const body = await deps.insights.dashboard();
      deps.insights.reads.note(signedIn(request), 'dashboard.read', null);
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );
}
