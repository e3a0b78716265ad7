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

/** Row of node_federation_approvals: a federated task the node's policy holds for its data steward's decision. */
export interface NodeFederationApprovalTable {
  task_id: string;
  kind: string;
  request_id: string;
  project_id: string;
  /** The researcher the task runs for. */
  researcher: string;
  /** The task as the hub sent it (authorized on the ledger; bounded by the protocol's task size). */
  task: unknown;
  status: 'pending' | 'approved' | 'refused';
  received_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  comment: string | null;
}

/** Kysely view of a node's operational database. */
export interface NodeDatabase {
  node_audit: NodeAuditTable;
  node_federation_approvals: NodeFederationApprovalTable;
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
  {
    id: 'node-0002-federation-approvals',
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('node_federation_approvals')
        .addColumn('task_id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('project_id', 'text', (c) => c.notNull())
        .addColumn('researcher', 'text', (c) => c.notNull())
        .addColumn('task', 'jsonb', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('received_at', 'timestamptz', (c) => c.notNull())
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', 'timestamptz')
        .addColumn('comment', 'text')
        .execute();
      await db.schema
        .createIndex('node_federation_approvals_received')
        .on('node_federation_approvals')
        .column('received_at')
        .execute();
    },
  },
];
