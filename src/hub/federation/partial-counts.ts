/**
 * The partial counts the hub keeps so their researcher can re-run the hospitals that were missing: the task as the
 * ledger authorized it and the answer so far, in the hub's database (a hub restart keeps them). Bounded: past
 * {@link PARTIAL_COUNTS_MAX} the oldest are dropped. A count that becomes complete and released is removed.
 */
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { MeridianError } from '../../errors/registry.ts';
import { type FederatedTask, parseFederatedTask, taskHashOf } from '../../federation/protocol.ts';
import type { FederationHubDatabase } from './schema.ts';
import type { CountAnswer } from './service.ts';

/** Partial counts kept at most (the oldest go first). */
export const PARTIAL_COUNTS_MAX = 1_000;

/** A kept partial count: whose it is, the task and the answer so far. */
export interface PartialCount {
  readonly userId: string;
  readonly task: FederatedTask;
  readonly answer: CountAnswer;
}

/** The hub's store of partial counts. */
export class PartialCounts {
  readonly #db: Kysely<FederationHubDatabase>;
  readonly #now: () => Date;
  readonly #kept: number;

  constructor(opts: {
    db: Kysely<FederationHubDatabase>;
    now?: () => Date;
    /** Partial counts kept at most (default {@link PARTIAL_COUNTS_MAX}). */
    kept?: number;
  }) {
    this.#db = opts.db;
    this.#now = opts.now ?? (() => new Date());
    this.#kept = Math.min(Math.max(1, opts.kept ?? PARTIAL_COUNTS_MAX), PARTIAL_COUNTS_MAX);
  }

  /**
   * Keeps `answer` while it is partial or unreleased (replacing an earlier one of the task); forgets the task once
   * it is complete and released.
   */
  async record(opts: { userId: string; task: FederatedTask; answer: CountAnswer }): Promise<void> {
    const { task, answer } = opts;
    if (!answer.partial && answer.ledger.release !== null) {
      await this.#db.deleteFrom('hub_federation_partials').where('task_id', '=', task.taskId).execute();
      return;
    }
    const at = this.#now();
    const values = { task: JSON.stringify(task), answer: JSON.stringify(answer), updated_at: at };
    await this.#db
      .insertInto('hub_federation_partials')
      .values({ task_id: task.taskId, user_id: opts.userId, created_at: at, ...values })
      .onConflict((oc) => oc.column('task_id').doUpdateSet(values))
      .execute();
    const keep = await this.#db
      .selectFrom('hub_federation_partials')
      .select('created_at')
      .orderBy('created_at', 'desc')
      .offset(this.#kept - 1)
      .limit(1)
      .executeTakeFirst();
    if (keep) await this.#db.deleteFrom('hub_federation_partials').where('created_at', '<', keep.created_at).execute();
  }

  /** The kept partial count of `taskId`, or MER_FED_RERUN_NOT_FOUND. */
  async get(taskId: string): Promise<PartialCount> {
    const row = await this.#db
      .selectFrom('hub_federation_partials')
      .select(['user_id', 'task', 'answer'])
      .where('task_id', '=', taskId)
      .executeTakeFirst();
    if (!row) {
      throw new MeridianError(
        'MER_FED_RERUN_NOT_FOUND',
        `the hub keeps no partial count ${taskId} to re-run: it is complete and released, was never partial, or was dropped as one of the oldest`,
        { taskId },
      );
    }
    const task = parseFederatedTask(typeof row.task === 'string' ? JSON.parse(row.task) : row.task);
    const answer = (typeof row.answer === 'string' ? JSON.parse(row.answer) : row.answer) as CountAnswer;
    assert.ok(
      answer.taskHash === taskHashOf(task) && answer.taskId === taskId,
      `partial count ${taskId} matches its task`,
    );
    return { userId: row.user_id, task, answer };
  }
}
