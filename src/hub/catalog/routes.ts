/**
 * The data catalog (数据目录) API: `GET /api/catalog` (every table of the canonical model with its level and
 * rows per hospital) and `GET /api/catalog/:table` (every field: definition, level, coverage and value
 * distribution per hospital). Every signed-in role reads it; the counts were disclosure-controlled by each node.
 * Served from the hub's memory; reads are audited, coalesced per user and window (dashboard/read-audit.ts).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MeridianError } from '../../errors/registry.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { ROLES } from '../auth/roles.ts';
import { signedIn } from '../auth/signed-in.ts';
import type { HubInsights } from '../dashboard/insights.ts';

/** Roles that may read the catalog (every signed-in role). */
export const CATALOG_ROLES = ROLES;

/** Path parameters of one table. */
export const CatalogTableParamsSchema = z.strictObject({ table: z.string().min(1).max(64) });

const security = [{ bearer: [] }];
const tags = ['catalog'];

/** Registers the catalog routes on the hub's user app. */
export function registerCatalogRoutes(app: FastifyInstance, deps: { insights: HubInsights; audit: AuditLog }): void {
  const json = 'application/json; charset=utf-8';
  app.get(
    '/api/catalog',
    {
      config: { roles: CATALOG_ROLES },
      schema: { tags, summary: 'Every table of the canonical model: definition, level, rows per hospital', security },
    },
    async (request, reply) => {
      const body = await deps.insights.catalog();
      deps.insights.reads.note(signedIn(request), 'catalog.read', null);
      return reply.type(json).send(body);
    },
  );

  app.get(
    '/api/catalog/:table',
    {
      config: { roles: CATALOG_ROLES },
      schema: {
        tags,
        summary: "One table's fields: definition (zh, en), level, coverage and value distribution per hospital",
        security,
        params: CatalogTableParamsSchema,
      },
    },
    async (request, reply) => {
      const { table } = request.params as z.infer<typeof CatalogTableParamsSchema>;
      const user = signedIn(request);
      const body = await deps.insights.table(table);
      if (body === null) {
        const error = new MeridianError('MER_CATALOG_TABLE_UNKNOWN', `the canonical model has no table "${table}"`);
        await deps.audit.record({
          actor: user.username,
          actorRole: user.role,
          action: 'catalog.read',
          target: table,
          outcome: 'refused',
          detail: { code: error.code },
        });
        throw error;
      }
      deps.insights.reads.note(user, 'catalog.read', table);
      return reply.type(json).send(body);
    },
  );
}
