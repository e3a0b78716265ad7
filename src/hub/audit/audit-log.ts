/** The hub's audit trail: every access and operation, on success and on failure (who, what, target, outcome). */
import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely } from 'kysely';
import { GroupInsert } from '../../store/group-insert.ts';
import type { HubAuditTable, HubDatabase } from '../schema.ts';

/** One audit record as callers describe it. */
export interface AuditEntry {
  actor: string;
  actorRole?: string | null;
  action: string;
  target?: string | null;
  outcome: HubAuditTable['outcome'];
  detail?: Record<string, unknown>;
}

/** Appends audit records; records written at the same moment are committed together (store/group-insert.ts). */
export class AuditLog {
  readonly #db: Kysely<HubDatabase>;
  readonly #now: () => Date;
  readonly #rows: GroupInsert<Insertable<HubAuditTable>>;

  constructor(opts: { db: Kysely<HubDatabase>; now: () => Date }) {
    this.#db = opts.db;
    this.#now = opts.now;
    this.#rows = new GroupInsert(async (rows) => {
      await this.#db
        .insertInto('hub_audit')
        .values([...rows])
        .execute();
    });
  }

  /** Writes one record; awaited, so an action is never reported done before its audit record is committed. */
  async record(entry: AuditEntry): Promise<void> {
    await this.#rows.add({
      id: randomUUID(),
      at: this.#now(),
      actor: entry.actor,
      actor_role: entry.actorRole ?? null,
      action: entry.action,
      target: entry.target ?? null,
      outcome: entry.outcome,
      detail: JSON.stringify(entry.detail ?? {}),
    });
  }

  /** The newest records first, at most `limit` (bounded to 500). */
  async recent(limit = 100): Promise<HubAuditTable[]> {
    return this.#db
      .selectFrom('hub_audit')
      .selectAll()
      .orderBy('at', 'desc')
      .limit(Math.min(Math.max(1, limit), 500))
      .execute();
  }
}
