/**
 * The patient panorama (/api/panorama/…) for clinicians bound to a hospital: search a patient by ID number at
 * their own hospital, then open the merged record across hospitals. Both are audited (ok, refused or failed,
 * with the code); the audit detail holds the search handle, hospitals, global id and break-glass reason, never
 * the ID number. Every open writes an access record per hospital on the ledger before any record is read.
 */
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { AuditLog } from '../audit/audit-log.ts';
import { audited } from '../audit/audited.ts';
import type { Role } from '../auth/roles.ts';
import { signedIn } from '../auth/signed-in.ts';
import { OpenAnswerSchema, OpenBodySchema, SearchAnswerSchema, SearchBodySchema } from './schemas.ts';
import type { PanoramaService } from './service.ts';

/** Roles that use the panorama. */
export const PANORAMA_ROLES = ['clinician'] as const satisfies readonly Role[];

const security = [{ bearer: [] }];

/** Registers the panorama routes on the hub's user app. */
export function registerPanoramaRoutes(
  app: FastifyInstance,
  deps: { panorama: PanoramaService; audit: AuditLog },
): void {
  app.post(
    '/api/panorama/search',
    {
      config: { roles: PANORAMA_ROLES },
      schema: {
        tags: ['panorama'],
        summary:
          "Finds a patient by ID number at the clinician's own hospital; answers a handle and the hospitals holding records",
        security,
        body: SearchBodySchema,
        response: { 200: SearchAnswerSchema },
      },
    },
    async (request) => {
      const user = signedIn(request);
      const { idNumber } = request.body as z.infer<typeof SearchBodySchema>;
      return audited(deps.audit, user, { action: 'panorama.search', target: null }, async () => {
        const answer = await deps.panorama.search(user, idNumber);
        return {
          answer,
          detail: {
            handle: answer.handle,
            globalId: answer.globalId,
            hospitals: answer.hospitals.map((h) => h.hospital),
            localVisits: answer.localVisits,
          },
        };
      });
    },
  );

  app.post(
    '/api/panorama/open',
    {
      config: { roles: PANORAMA_ROLES },
      schema: {
        tags: ['panorama'],
        summary:
          'Opens a searched patient: records the view on the ledger per hospital, fetches each in parallel, merges one timeline',
        security,
        body: OpenBodySchema,
        response: { 200: OpenAnswerSchema },
      },
    },
    async (request) => {
      const user = signedIn(request);
      const body = request.body as z.infer<typeof OpenBodySchema>;
      const what = {
        action: body.breakGlass ? 'panorama.open.break-glass' : 'panorama.open',
        target: body.handle,
        detail: body.breakGlass ? { reasonCode: body.breakGlass.reasonCode, reason: body.breakGlass.reason } : {},
      };
      return audited(deps.audit, user, what, async () => {
        const answer = await deps.panorama.open(user, body);
        return {
          answer,
          detail: {
            globalId: answer.globalId,
            breakGlass: answer.breakGlass,
            hospitals: answer.hospitals.map((h) => `${h.hospital}:${h.status}`),
            access: answer.access.map((a) => ({ hospital: a.hospital, txHash: a.txHash, height: a.height })),
          },
        };
      });
    },
  );
}
