/**
 * The de-identification preview on the hub (/api/privacy/:node/preview): one `privacy.preview` task on the
 * hospital's node, answered with the rule of every field, a few de-identified rows and the k-anonymity of the
 * quasi-identifiers. The node computes everything where the data lives; the hub checks who asks, forwards,
 * parses the answer and records the access in the audit trail (ok, refused or failed, with the code).
 *
 * Who: an administrator for any hospital, a data steward for their own only (another hospital's steward is
 * refused with MER_PRIVACY_OTHER_HOSPITAL, audited). A down or silent node is 503 MER_NODE_UNAVAILABLE.
 */

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MeridianError } from '../../errors/registry.ts';
import {
  PREVIEW_K_DEFAULT,
  PREVIEW_K_MAX,
  PREVIEW_QI_MAX,
  PREVIEW_SAMPLE_DEFAULT,
  PREVIEW_SAMPLE_MAX,
  PrivacyPreviewPayloadSchema,
  PrivacyPreviewSchema,
} from '../../privacy/index.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { audited } from '../audit/audited.ts';
import type { Role } from '../auth/roles.ts';
import { signedIn } from '../auth/signed-in.ts';
import { callNode } from '../ingest/node-call.ts';
import { NodeParamsSchema } from '../ingest/schemas.ts';
import type { NodeTracker } from '../nodes/node-tracker.ts';
import type { TaskQueues } from '../nodes/task-queue.ts';

/** Roles that may preview a de-identified extract (a steward only of their own hospital). */
export const PRIVACY_PREVIEW_ROLES = ['admin', 'steward'] as const satisfies readonly Role[];

/** How long the hub waits for a preview: below the portal's 15 s request limit, so the user sees the hub's answer. */
export const PRIVACY_PREVIEW_TIMEOUT_MS = 12_000;

/** Query of the preview: the table, the target k, the quasi-identifiers (comma-separated) and the sample size. */
export const PreviewQuerySchema = z.strictObject({
  table: PrivacyPreviewPayloadSchema.shape.table,
  k: z.coerce.number().int().min(2).max(PREVIEW_K_MAX).default(PREVIEW_K_DEFAULT),
  qi: z
    .string()
    .max(PREVIEW_QI_MAX * 81)
    .transform((s) => s.split(',').map((q) => q.trim()))
    .pipe(z.array(z.string().min(1).max(80)).min(1).max(PREVIEW_QI_MAX))
    .optional(),
  sample: z.coerce.number().int().min(0).max(PREVIEW_SAMPLE_MAX).default(PREVIEW_SAMPLE_DEFAULT),
});

const security = [{ bearer: [] }];

/** What the privacy routes need. */
export interface PrivacyRouteDeps {
  tracker: NodeTracker;
  queues: TaskQueues;
  audit: AuditLog;
}

/** Registers the privacy routes on the hub's user app. */
export function registerPrivacyRoutes(app: FastifyInstance, deps: PrivacyRouteDeps): void {
  app.get(
    '/api/privacy/:node/preview',
    {
      config: { roles: PRIVACY_PREVIEW_ROLES },
      schema: {
        tags: ['privacy'],
        summary:
          "A de-identification preview of one table at a hospital: each field's rule, de-identified sample rows, k-anonymity (admin, or the hospital's own steward)",
        security,
        params: NodeParamsSchema,
        querystring: PreviewQuerySchema,
        response: { 200: PrivacyPreviewSchema },
      },
    },
    async (request) => {
      const user = signedIn(request);
      const { node } = request.params as z.infer<typeof NodeParamsSchema>;
      const q = request.query as z.infer<typeof PreviewQuerySchema>;
      const payload = { table: q.table, k: q.k, sampleRows: q.sample, ...(q.qi ? { quasiIdentifiers: q.qi } : {}) };
      const asked = { table: q.table, k: q.k, quasiIdentifiers: q.qi ?? null };
      return audited(deps.audit, user, { action: 'privacy.preview', target: node, detail: asked }, async () => {
        if (user.role === 'steward' && user.hospital !== node)
          throw new MeridianError(
            'MER_PRIVACY_OTHER_HOSPITAL',
            `steward "${user.username}" looks after ${user.hospital ?? 'no hospital'}, not ${node}; only ${node}'s steward or an administrator may preview its data`,
            { node, hospital: user.hospital },
          );
        const answer = await callNode({
          tracker: deps.tracker,
          queues: deps.queues,
          node,
          kind: 'privacy.preview',
          payload,
          timeoutMs: PRIVACY_PREVIEW_TIMEOUT_MS,
          schema: PrivacyPreviewSchema,
        });
        return {
          answer,
          detail: { examined: answer.examined, kAchieved: answer.k.achieved, sample: answer.sample.length },
        };
      });
    },
  );
}
