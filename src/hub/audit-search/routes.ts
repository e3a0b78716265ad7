/**
 * The audit search (/api/audit) for auditors and administrators: operations from the hub's audit trail and the
 * clinicians' access records on the ledger, filtered by user, patient token, hospital, type, action and time.
 * Each access record names its transaction; its receipt comes from GET /api/ledger/txs/:hash/receipt (same
 * roles), verifiable offline. The search itself is audited.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PATIENT_TOKEN_PATTERN } from '../../ledger/contracts/schemas.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { audited } from '../audit/audited.ts';
import { LEDGER_ROLES } from '../auth/roles.ts';
import { signedIn } from '../auth/signed-in.ts';
import { AUDIT_SEARCH_LIMIT_MAX, type AuditSearch } from './search.ts';

/** Roles that search the audit trail. */
export const AUDIT_SEARCH_ROLES = LEDGER_ROLES;

/** Query of GET /api/audit. */
export const AuditQuerySchema = z.strictObject({
  user: z.string().min(1).max(128).optional(),
  patientToken: z.string().regex(PATIENT_TOKEN_PATTERN, 'a patient token is 16–128 base64url characters').optional(),
  hospital: z.string().min(1).max(63).optional(),
  type: z.enum(['access', 'operation']).optional(),
  action: z.string().min(1).max(64).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  limit: z.coerce.number().int().min(1).max(AUDIT_SEARCH_LIMIT_MAX).default(100),
});

const AuditRecordSchema = z.object({
  id: z.string(),
  type: z.enum(['access', 'operation']),
  at: z.string(),
  user: z.string(),
  role: z.string().nullable(),
  action: z.string(),
  target: z.string().nullable(),
  outcome: z.enum(['ok', 'refused', 'failed']),
  hospital: z.string().nullable(),
  patientToken: z.string().nullable(),
  breakGlass: z.boolean().nullable(),
  reasonCode: z.string().nullable(),
  reason: z.string().nullable(),
  txHash: z.string().nullable(),
  height: z.number().nullable(),
  source: z.enum(['hub', 'ledger']),
  detail: z.record(z.string(), z.unknown()),
});

/** Answer of GET /api/audit. */
export const AuditAnswerSchema = z.object({ records: z.array(AuditRecordSchema), ledgerChecked: z.boolean() });

/** Answer of GET /api/audit, as the portal reads it. */
export type AuditAnswer = z.infer<typeof AuditAnswerSchema>;

/** Registers the audit search on the hub's user app. */
export function registerAuditSearchRoutes(app: FastifyInstance, deps: { search: AuditSearch; audit: AuditLog }): void {
  app.get(
    '/api/audit',
    {
      config: { roles: AUDIT_SEARCH_ROLES },
      schema: {
        tags: ['audit'],
        summary:
          'Searches operations and clinicians’ access records (with their ledger transactions) by user, patient token, hospital, type and time',
        security: [{ bearer: [] }],
        querystring: AuditQuerySchema,
        response: { 200: AuditAnswerSchema },
      },
    },
    async (request) => {
      const user = signedIn(request);
      const q = request.query as z.infer<typeof AuditQuerySchema>;
      const filters = Object.fromEntries(
        Object.entries(q).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]),
      );
      return audited(deps.audit, user, { action: 'audit.search', target: null, detail: filters }, async () => {
        const answer = await deps.search.search(q);
        return { answer, detail: { records: answer.records.length } };
      });
    },
  );
}
