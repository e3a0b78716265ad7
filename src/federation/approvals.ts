/**
 * The contract of the data steward's approval of federated tasks, shared by the hospital node (which holds the
 * tasks and the decisions: src/node/federation-approvals.ts) and the hub (which relays the steward's page:
 * src/hub/federation/approvals-routes.ts): the channel task kinds, their payloads, and the summary of a task a
 * steward decides on (pure).
 */
import { z } from 'zod';
import { cohortCodes, parseCohort } from './cohort/index.ts';
import { parseVariables } from './dataset/index.ts';
import type { FederatedTask } from './protocol.ts';

/** Most tasks one listing returns. */
export const APPROVALS_LIST_MAX = 200;
/** Longest steward comment, in characters. */
export const APPROVAL_COMMENT_CHARS_MAX = 2_000;
/** Codes and variables a task summary names at most (the rest are counted). */
const SUMMARY_ITEMS_MAX = 20;

/** The channel task kinds through which the hub relays the steward's pages. */
export const APPROVAL_TASK_KINDS = {
  list: 'federation.approvals.list',
  decide: 'federation.approvals.decide',
} as const;

/** Where a task stands with the steward. */
export const APPROVAL_STATUSES = ['pending', 'approved', 'refused'] as const;

/** What a steward sees of a task: who asks what, about which cohort, and the decision so far. */
export const ApprovalViewSchema = z.strictObject({
  taskId: z.string(),
  kind: z.string(),
  requestId: z.string(),
  projectId: z.string(),
  researcher: z.string(),
  hospitals: z.array(z.string()),
  cohort: z.strictObject({ codes: z.array(z.string()), codeCount: z.number(), criteria: z.number() }),
  variables: z.array(z.strictObject({ name: z.string(), kind: z.string() })),
  variableCount: z.number(),
  parameters: z.array(z.string()),
  issuedAt: z.string(),
  receivedAt: z.string(),
  status: z.enum(APPROVAL_STATUSES),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  comment: z.string().nullable(),
});

/** A task as the steward sees it. */
export type ApprovalView = z.infer<typeof ApprovalViewSchema>;

/** Payload of `federation.approvals.list`: which tasks (pending by default) and how many. */
export const ApprovalListSchema = z.strictObject({
  status: z.enum(APPROVAL_STATUSES).optional(),
  limit: z.number().int().min(1).max(APPROVALS_LIST_MAX).optional(),
});

/** Payload of `federation.approvals.decide`: the task, the decision, the steward's comment and who they are. */
export const ApprovalDecisionSchema = z.strictObject({
  taskId: z.string().min(1).max(128),
  decision: z.enum(['approve', 'refuse']),
  comment: z.string().min(1).max(APPROVAL_COMMENT_CHARS_MAX),
  by: z.string().min(1).max(200),
});

/** A steward's decision. */
export type ApprovalDecision = z.infer<typeof ApprovalDecisionSchema>;

/**
 * The part of a task a steward decides on, pure: kind, request, researcher, hospitals, the cohort's codes and
 * criteria, the variables' names and kinds, the parameter names (bounded lists; a part that does not parse is
 * shown empty, since the hub checked it and the runner checks it again).
 */
export function summarizeTask(
  task: FederatedTask,
): Omit<ApprovalView, 'receivedAt' | 'status' | 'decidedBy' | 'decidedAt' | 'comment'> {
  const { codes, criteria } = cohortSummary(task.cohort);
  const variables = variableSummary(task.variables);
  return {
    taskId: task.taskId,
    kind: task.kind,
    requestId: task.requestId,
    projectId: task.projectId,
    researcher: task.user.id,
    hospitals: [...task.hospitals],
    cohort: { codes: codes.slice(0, SUMMARY_ITEMS_MAX), codeCount: codes.length, criteria },
    variables: variables.slice(0, SUMMARY_ITEMS_MAX),
    variableCount: variables.length,
    parameters: Object.keys(task.parameters).sort().slice(0, SUMMARY_ITEMS_MAX),
    issuedAt: task.issuedAt,
  };
}

/** The cohort's distinct codes (`*` when descendants count) and criteria, or none when it does not parse. */
function cohortSummary(cohort: unknown): { codes: string[]; criteria: number } {
  try {
    const def = parseCohort(cohort);
    const codes = cohortCodes(def).map((c) => `${c.vocabulary}:${c.code}${c.descendants ? '*' : ''}`);
    return { codes: [...new Set(codes)], criteria: def.criteria.length + (def.index === undefined ? 0 : 1) };
  } catch {
    return { codes: [], criteria: 0 };
  }
}

/** The variables' names and kinds, or none when they are absent or do not parse. */
function variableSummary(variables: unknown): { name: string; kind: string }[] {
  if (variables === undefined) return [];
  try {
    return parseVariables(variables).map((v) => ({ name: v.name, kind: v.kind }));
  } catch {
    return [];
  }
}
