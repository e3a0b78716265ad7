/** The hub's federation tables (owned by src/hub/federation) and their migrations. */
import { type Kysely, sql } from 'kysely';
import type { Migration } from '../../store/index.ts';

/** Row of hub_federation_partials: a partial count kept so the researcher can re-run its missing hospitals. */
export interface HubFederationPartialTable {
  task_id: string;
  /** The researcher who ran it (the only one who may re-run it). */
  user_id: string;
  /** The task as authorized on the ledger (its hash must not change). */
  task: unknown;
  /** The count answer so far, ledger trail included. */
  answer: unknown;
  created_at: Date;
  updated_at: Date;
}

/** Kysely view of the federation tables. */
export interface FederationHubDatabase {
  hub_federation_partials: HubFederationPartialTable;
}

/** Federation migrations, appended to the hub's. */
export const FEDERATION_HUB_MIGRATIONS: Migration[] = [
  {
    id: 'hub-0004-federation-partials',
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('hub_federation_partials')
        .addColumn('task_id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('task', 'jsonb', (c) => c.notNull())
        .addColumn('answer', 'jsonb', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createIndex('hub_federation_partials_created')
        .on('hub_federation_partials')
        .column('created_at')
        .execute();
    },
  },
];
