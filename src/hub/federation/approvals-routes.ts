/**
 * The data steward's approval page on the hub (/api/federation/approvals/:node): the federated tasks a hospital
 * node holds back under its local policy, and the steward's decision with a comment. Each call is one
 * `federation.approvals.*` task on the node through the task channel (as the ingest pages are); the node keeps
 * the tasks and the decisions, and audits them. A steward reaches only their own hospital's node; an admin may
 * read every node's list but decide nothing. Decisions are audited here too, on success and on failure.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  APPROVAL_COMMENT_CHARS_MAX,
  APPROVAL_STATUSES,
  APPROVAL_TASK_KINDS,
  APPROVALS_LIST_MAX,
  ApprovalViewSchema,
} from '../../federation/approvals.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { audited } from '../audit/audited.ts';
import { otherHospitalRefusal } from '../auth/other-hospital.ts';
import type { Role } from '../auth/roles.ts';
import { signedIn } from '../auth/signed-in.ts';
import { callNode } from '../ingest/node-call.ts';
import { NodeParamsSchema } from '../ingest/schemas.ts';
import type { NodeTracker } from '../nodes/node-tracker.ts';
import type { TaskQueues } from '../nodes/task-queue.ts';

/** Roles that may list a node's held tasks (a steward only their own hospital's). */
export const APPROVAL_READ_ROLES = ['admin', 'steward'] as const satisfies readonly Role[];
/** Roles that may decide a held task (only at their own hospital). */
export const APPROVAL_DECIDE_ROLES = ['steward'] as const satisfies readonly Role[];
/** How long the hub waits for the node's answer. */
export const APPROVAL_CALL_TIMEOUT_MS = 10_000;

/** Query of the list: which status (pending by default) and how many. */
export const ApprovalsQuerySchema = z.strictObject({
  status: z.enum(APPROVAL_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(APPROVALS_LIST_MAX).optional(),
});

/** Path of a decision: the node and the task. */
export const ApprovalParamsSchema = NodeParamsSchema.extend({
  taskId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'a task id (letters, digits, . _ : -)'),
});

/** Body of a decision: approve or refuse, with the steward's comment. */
export const ApprovalBodySchema = z.strictObject({
  decision: z.enum(['approve', 'refuse']),
  comment: z.string().trim().min(1).max(APPROVAL_COMMENT_CHARS_MAX),
});

/** The list's answer. */
export const ApprovalsAnswerSchema = z.strictObject({ tasks: z.array(ApprovalViewSchema) });

const security = [{ bearer: [] }];

/** Registers the approval routes on the hub's user app. */
export function registerApprovalRoutes(
  app: FastifyInstance,
  deps: { tracker: NodeTracker; queues: TaskQueues; audit: AuditLog },
): void {
  const call = <S extends z.ZodType>(node: string, kind: string, payload: unknown, schema: S) =>
    callNode({
      tracker: deps.tracker,
      queues: deps.queues,
      node,
      kind,
      payload,
      timeoutMs: APPROVAL_CALL_TIMEOUT_MS,
      schema,
    });

  /** The node of the request, after checking a steward asks about their own hospital (refusals are audited). */
  const nodeOf = async (request: FastifyRequest): Promise<string> => {
    const { node } = request.params as z.infer<typeof NodeParamsSchema>;
    const user = signedIn(request);
    if (user.role === 'steward' && user.hospital !== node) {
      throw await otherHospitalRefusal(request, deps.audit, node, 'MER_FED_OTHER_HOSPITAL');
    }
    return node;
  };

  app.get(
    '/api/federation/approvals/:node',
    {
      config: { roles: APPROVAL_READ_ROLES },
      schema: {
        tags: ['federation'],
        summary:
          "Federated tasks a hospital node holds for its steward's decision (pending by default): kind, request, researcher, cohort and variables",
        security,
        params: NodeParamsSchema,
        querystring: ApprovalsQuerySchema,
        response: { 200: ApprovalsAnswerSchema },
      },
    },
    async (request) => {
      const node = await nodeOf(request);
      return call(node, APPROVAL_TASK_KINDS.list, request.query, ApprovalsAnswerSchema);
    },
  );

  app.post(
    '/api/federation/approvals/:node/:taskId',
    {
      config: { roles: APPROVAL_DECIDE_ROLES },
      schema: {
        tags: ['federation'],
        summary:
          "Approve or refuse, with a comment, a federated task held at the steward's own hospital; an approved task runs when the researcher re-runs it",
        security,
        params: ApprovalParamsSchema,
        body: ApprovalBodySchema,
        response: { 200: ApprovalViewSchema },
      },
    },
    async (request) => {
      const node = await nodeOf(request);
      const user = signedIn(request);
      const { taskId } = request.params as z.infer<typeof ApprovalParamsSchema>;
      const body = request.body as z.infer<typeof ApprovalBodySchema>;
      const what = {
        action: `federation.approval.${body.decision}`,
        target: taskId,
        detail: { node, taskId, comment: body.comment },
      };
      return audited(deps.audit, user, what, async () => {
        const payload = { taskId, ...body, by: `${user.username}@hub` };
        const answer = await call(node, APPROVAL_TASK_KINDS.decide, payload, ApprovalViewSchema);
        return { answer, detail: { kind: answer.kind, requestId: answer.requestId, status: answer.status } };
      });
    },
  );
}
