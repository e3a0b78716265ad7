/**
 * The master patient index on the hub (/api/identity/…): aggregate figures, linkage sweeps across the nodes,
 * the review queue of borderline pairs and the merge/split history. Everything here is tokens, record ids
 * and counts — the hub never holds a name or an ID number. Sweeps and review decisions are audited.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { LinkageService } from '../../identity/index.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { audited } from '../audit/audited.ts';
import type { Role } from '../auth/roles.ts';
import { signedIn } from '../auth/signed-in.ts';
import type { IdentitySweeper } from './sweep.ts';

/** Roles that see the index's aggregate figures. */
export const IDENTITY_SUMMARY_ROLES = ['admin', 'steward', 'manager', 'auditor'] as const satisfies readonly Role[];
/** Roles that work the review queue and start sweeps. */
export const IDENTITY_REVIEW_ROLES = ['admin', 'steward'] as const satisfies readonly Role[];
/** Roles that read the merge/split history. */
export const IDENTITY_HISTORY_ROLES = ['admin', 'auditor'] as const satisfies readonly Role[];

const security = [{ bearer: [] }];

const SweepNodeSchema = z.object({
  node: z.string(),
  pages: z.number(),
  records: z.number(),
  added: z.number(),
  changed: z.number(),
  newGlobals: z.number(),
  attached: z.number(),
  merges: z.number(),
  reviewsQueued: z.number(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

const SweepSchema = z.object({
  sweepId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  nodes: z.array(SweepNodeSchema),
});

const SummarySchema = z.object({
  recordsByHospital: z.record(z.string(), z.number()),
  persons: z.number(),
  sharedPersons: z.number(),
  reviews: z.object({ pending: z.number(), accepted: z.number(), rejected: z.number() }),
  events: z.record(z.string(), z.number()),
  lastSweep: SweepSchema.nullable(),
});

const ReviewSchema = z.object({
  reviewId: z.string(),
  recordA: z.string(),
  recordB: z.string(),
  weight: z.number(),
  probability: z.number(),
  comparison: z.record(z.string(), z.number().nullable()),
  status: z.enum(['pending', 'accepted', 'rejected']),
  decidedBy: z.string().nullable(),
});

const ReviewsQuerySchema = z.strictObject({
  status: z.enum(['pending', 'accepted', 'rejected']).default('pending'),
  limit: z.coerce.number().int().min(1).max(1_000).default(200),
});

const DecideParamsSchema = z.strictObject({ reviewId: z.string().min(1).max(128) });
const DecideBodySchema = z.strictObject({ decision: z.enum(['accept', 'reject']) });

const EventsQuerySchema = z.strictObject({
  afterSeq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1_000).default(200),
});

const EventSchema = z.object({
  seq: z.number(),
  at: z.union([z.string(), z.date()]),
  kind: z.string(),
  global_id: z.string(),
  other_global_id: z.string().nullable(),
  record_id: z.string().nullable(),
  actor: z.string(),
  batch_id: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
});

/** Registers the identity routes on the hub's user app. */
export function registerIdentityRoutes(
  app: FastifyInstance,
  deps: { linkage: LinkageService; sweeper: IdentitySweeper; audit: AuditLog },
): void {
  app.get(
    '/api/identity/summary',
    {
      config: { roles: IDENTITY_SUMMARY_ROLES },
      schema: {
        tags: ['identity'],
        summary: 'Records per hospital, persons, persons seen at two or more hospitals, reviews, last sweep',
        security,
        response: { 200: SummarySchema },
      },
    },
    async () => ({ ...(await deps.linkage.stats()), lastSweep: deps.sweeper.last }),
  );

  app.post(
    '/api/identity/sweep',
    {
      config: { roles: IDENTITY_REVIEW_ROLES },
      schema: {
        tags: ['identity'],
        summary: 'Collects every connected node’s keyed tokens and links them (joins a sweep already running)',
        security,
        response: { 200: SweepSchema },
      },
    },
    async (request) => {
      const user = signedIn(request);
      return audited(deps.audit, user, { action: 'identity.sweep', target: null }, async () => {
        const sweep = await deps.sweeper.sweep();
        return { answer: sweep, detail: { sweepId: sweep.sweepId, nodes: sweep.nodes.length } };
      });
    },
  );

  app.get(
    '/api/identity/reviews',
    {
      config: { roles: IDENTITY_REVIEW_ROLES },
      schema: {
        tags: ['identity'],
        summary: 'Borderline record pairs (record ids, match weight, comparison levels; never identifiers)',
        security,
        querystring: ReviewsQuerySchema,
        response: { 200: z.object({ reviews: z.array(ReviewSchema) }) },
      },
    },
    async (request) => {
      const q = request.query as z.infer<typeof ReviewsQuerySchema>;
      return { reviews: await deps.linkage.reviews({ status: q.status, limit: q.limit }) };
    },
  );

  app.post(
    '/api/identity/reviews/:reviewId',
    {
      config: { roles: IDENTITY_REVIEW_ROLES },
      schema: {
        tags: ['identity'],
        summary: 'Accepts (the two records become one person) or rejects (never linked) a borderline pair',
        security,
        params: DecideParamsSchema,
        body: DecideBodySchema,
        response: { 200: z.object({ merged: z.boolean() }) },
      },
    },
    async (request) => {
      const user = signedIn(request);
      const { reviewId } = request.params as z.infer<typeof DecideParamsSchema>;
      const { decision } = request.body as z.infer<typeof DecideBodySchema>;
      return audited(deps.audit, user, { action: `identity.review.${decision}`, target: reviewId }, async () => {
        const r = await deps.linkage.decide({ reviewId, decision, by: user.username });
        return { answer: r, detail: { merged: r.merged } };
      });
    },
  );

  app.get(
    '/api/identity/events',
    {
      config: { roles: IDENTITY_HISTORY_ROLES },
      schema: {
        tags: ['identity'],
        summary: 'Merges, splits and review decisions of the index, in order',
        security,
        querystring: EventsQuerySchema,
        response: { 200: z.object({ events: z.array(EventSchema) }) },
      },
    },
    async (request) => {
      const q = request.query as z.infer<typeof EventsQuerySchema>;
      return { events: await deps.linkage.events({ afterSeq: q.afterSeq, limit: q.limit }) };
    },
  );
}
