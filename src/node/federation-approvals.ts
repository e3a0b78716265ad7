/**
 * The data steward's approval of federated tasks at a hospital node. A task whose kind the node's policy does not
 * run automatically (MER_FED_NODE_POLICY, after its ledger authorization was checked) is kept as pending in the
 * node's own database, so a restart keeps it; the steward sees it in the portal (the hub relays
 * `federation.approvals.*` tasks, as it does the ingest pages) and approves or refuses it with a comment. An
 * approved task runs the next time the hub asks (a re-run); a refused one is refused with the steward's comment.
 * Every decision is written to the node's audit log. Bounded: past {@link APPROVALS_KEPT_MAX} the oldest go.
 *
 *   hub ─federation.run─► policy refuses ─► pending ─steward approves─► approved ─hub asks again─► runs
 *                                                  └─steward refuses──► refused (with the comment)
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { z } from 'zod';
import { MeridianError } from '../errors/registry.ts';
import {
  APPROVAL_TASK_KINDS,
  APPROVALS_LIST_MAX,
  type ApprovalDecision,
  ApprovalDecisionSchema,
  ApprovalListSchema,
  type ApprovalView,
  summarizeTask,
} from '../federation/approvals.ts';
import { type FederatedTask, FederationRunSchema, parseFederatedTask } from '../federation/protocol.ts';
import type { TaskHandler } from './hub-channel.ts';
import type { NodeDatabase, NodeFederationApprovalTable } from './schema.ts';

/** Tasks kept for the steward at most, pending and decided together (the oldest go first). */
export const APPROVALS_KEPT_MAX = 500;

/** The node's record of tasks waiting for, or decided by, its steward. */
export class FederationApprovals {
  readonly #db: Kysely<NodeDatabase>;
  readonly #node: string;
  readonly #now: () => Date;
  readonly #approved = new Set<string>();
  readonly #refused = new Map<string, { by: string; comment: string }>();

  constructor(opts: { db: Kysely<NodeDatabase>; node: string; now?: () => Date }) {
    this.#db = opts.db;
    this.#node = opts.node;
    this.#now = opts.now ?? (() => new Date());
  }

  /** Task ids the steward approved: the node policy's `approvedTasks` (kept current by {@link decide}). */
  get approved(): ReadonlySet<string> {
    return this.#approved;
  }

  /** Reads the decisions kept in the database (call once at start). */
  async load(): Promise<void> {
    const rows = await this.#db
      .selectFrom('node_federation_approvals')
      .select(['task_id', 'status', 'decided_by', 'comment'])
      .where('status', '!=', 'pending')
      .execute();
    for (const r of rows) this.#remember(r.task_id, r.status, r.decided_by ?? '', r.comment ?? '');
  }

  /** Keeps a task the policy held back as pending (once; a task already kept is left as it is). */
  async hold(task: FederatedTask): Promise<void> {
    await this.#db
      .insertInto('node_federation_approvals')
      .values({
        task_id: task.taskId,
        kind: task.kind,
        request_id: task.requestId,
        project_id: task.projectId,
        researcher: task.user.id,
        task: JSON.stringify(task),
        status: 'pending',
        received_at: this.#now(),
        decided_by: null,
        decided_at: null,
        comment: null,
      })
      .onConflict((oc) => oc.column('task_id').doNothing())
      .execute();
    const oldest = await this.#db
      .selectFrom('node_federation_approvals')
      .select('received_at')
      .orderBy('received_at', 'desc')
      .offset(APPROVALS_KEPT_MAX - 1)
      .limit(1)
      .executeTakeFirst();
    if (!oldest) return;
    const dropped = await this.#db
      .deleteFrom('node_federation_approvals')
      .where('received_at', '<', oldest.received_at)
      .returning('task_id')
      .execute();
    for (const d of dropped) this.#forget(d.task_id);
  }

  /** The steward's refusal of `taskId`, when they refused it. */
  refusal(taskId: string): { by: string; comment: string } | undefined {
    return this.#refused.get(taskId);
  }

  /** Tasks of one status (pending by default), newest first. */
  async list(opts: z.infer<typeof ApprovalListSchema> = {}): Promise<ApprovalView[]> {
    const rows = await this.#db
      .selectFrom('node_federation_approvals')
      .selectAll()
      .where('status', '=', opts.status ?? 'pending')
      .orderBy('received_at', 'desc')
      .limit(opts.limit ?? APPROVALS_LIST_MAX)
      .execute();
    return rows.map(viewOf);
  }

  /** Records the steward's decision on a pending task, in the table and the node's audit log; returns the task. */
  async decide(d: ApprovalDecision): Promise<ApprovalView> {
    const at = this.#now();
    const audit = (outcome: 'ok' | 'refused', detail: Record<string, unknown>) =>
      this.#db
        .insertInto('node_audit')
        .values({
          id: randomUUID(),
          at,
          actor: d.by,
          action: `federation.${d.decision}`,
          target: d.taskId,
          outcome,
          detail: JSON.stringify(detail),
        })
        .execute();
    const row = await this.#db
      .selectFrom('node_federation_approvals')
      .select(['status'])
      .where('task_id', '=', d.taskId)
      .executeTakeFirst();
    if (!row) {
      await audit('refused', { code: 'MER_FED_APPROVAL_NOT_FOUND' });
      throw new MeridianError(
        'MER_FED_APPROVAL_NOT_FOUND',
        `${this.#node} holds no task ${d.taskId} for its steward (never held back, or dropped as one of the oldest)`,
        { taskId: d.taskId },
      );
    }
    if (row.status !== 'pending') {
      await audit('refused', { code: 'MER_FED_APPROVAL_DECIDED', status: row.status });
      throw new MeridianError(
        'MER_FED_APPROVAL_DECIDED',
        `task ${d.taskId} at ${this.#node} was already ${row.status}; a decision is final (ask for a new task)`,
        { taskId: d.taskId, status: row.status },
      );
    }
    const status = d.decision === 'approve' ? 'approved' : 'refused';
    await this.#db
      .updateTable('node_federation_approvals')
      .set({ status, decided_by: d.by, decided_at: at, comment: d.comment })
      .where('task_id', '=', d.taskId)
      .where('status', '=', 'pending')
      .execute();
    this.#remember(d.taskId, status, d.by, d.comment);
    await audit('ok', { status, comment: d.comment });
    const decided = await this.#db
      .selectFrom('node_federation_approvals')
      .selectAll()
      .where('task_id', '=', d.taskId)
      .executeTakeFirstOrThrow();
    return viewOf(decided);
  }

  #remember(taskId: string, status: string, by: string, comment: string): void {
    if (status === 'approved') this.#approved.add(taskId);
    if (status === 'refused') this.#refused.set(taskId, { by, comment });
  }

  #forget(taskId: string): void {
    this.#approved.delete(taskId);
    this.#refused.delete(taskId);
  }
}

/** A stored row as the steward sees it. */
function viewOf(r: Selectable<NodeFederationApprovalTable>): ApprovalView {
  return {
    ...summarizeTask(parseFederatedTask(typeof r.task === 'string' ? JSON.parse(r.task) : r.task)),
    receivedAt: r.received_at.toISOString(),
    status: r.status,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at?.toISOString() ?? null,
    comment: r.comment,
  };
}

/**
 * Wraps the node's `federation.run` handler: a task the steward refused is refused with their comment; a task the
 * policy holds back (MER_FED_NODE_POLICY) is kept as pending for the steward, and the refusal says so.
 */
export function withStewardApproval(approvals: FederationApprovals, run: TaskHandler): TaskHandler {
  return async (payload, channelTask) => {
    const parsed = FederationRunSchema.safeParse(payload);
    const refused = parsed.success ? approvals.refusal(parsed.data.task.taskId) : undefined;
    if (parsed.success && refused) {
      throw new MeridianError(
        'MER_FED_NODE_POLICY',
        `the data steward refused task ${parsed.data.task.taskId} (${refused.by}: ${refused.comment})`,
        { taskId: parsed.data.task.taskId },
      );
    }
    try {
      return await run(payload, channelTask);
    } catch (e) {
      if (!(e instanceof MeridianError && e.code === 'MER_FED_NODE_POLICY' && parsed.success)) throw e;
      await approvals.hold(parsed.data.task);
      throw new MeridianError(
        'MER_FED_NODE_POLICY',
        `${e.message}; it waits for the steward's decision in the portal, then re-run it`,
        e.details,
      );
    }
  };
}

/** Task handlers through which the hub serves the steward's approval page. */
export function approvalTaskHandlers(approvals: FederationApprovals): Record<string, TaskHandler> {
  return {
    [APPROVAL_TASK_KINDS.list]: async (payload) => ({
      tasks: await approvals.list(ApprovalListSchema.parse(payload ?? {})),
    }),
    [APPROVAL_TASK_KINDS.decide]: async (payload) => approvals.decide(ApprovalDecisionSchema.parse(payload)),
  };
}
