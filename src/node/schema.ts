/** The node's own operational tables (owned by src/node) and their migrations. */
import { type Kysely, sql } from 'kysely';
import type { Migration } from '../store/index.ts';

/** Row of node_audit: every task the node received and what it did with it, and every peer access. */
export interface NodeAuditTable {
  id: string;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  outcome: 'ok' | 'refused' | 'failed';
  detail: unknown;
}

/** Kysely view of a node's operational database. */
export interface NodeDatabase {
  node_audit: NodeAuditTable;
}

/** Node migrations, applied in order by the store. */
export const NODE_MIGRATIONS: Migration[] = [
  {
    id: 'node-0001-audit',
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('node_audit')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('detail', 'jsonb', (c) => c.notNull())
        .execute();
    },
  },
];
