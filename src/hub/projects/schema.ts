/**
 * The hub's research-workflow tables (owned by src/hub/projects): projects, their members and documents, saved
 * cohorts, the hub's side of data-use requests (the texts the ledger holds only as hashes, and each transaction
 * the hub committed for them), and analyses with their released results.
 */
import { type Kysely, sql } from 'kysely';
import type { Migration } from '../../store/index.ts';

/** Row of hub_projects: one study. */
export interface HubProjectTable {
  project_id: string;
  title: string;
  description: string;
  created_by: string;
  created_at: Date;
}

/** Row of hub_project_members: a user's part in a project (the creator is its owner). */
export interface HubProjectMemberTable {
  project_id: string;
  username: string;
  member_role: 'owner' | 'member';
  added_by: string;
  added_at: Date;
}

/** Row of hub_project_documents: an uploaded protocol or ethics document, hashed and notarized on the ledger. */
export interface HubProjectDocumentTable {
  document_id: string;
  project_id: string;
  kind: 'protocol' | 'ethics' | 'consent-form' | 'other';
  name: string;
  media_type: string;
  size: number;
  sha256: string;
  content: Uint8Array;
  uploaded_by: string;
  uploaded_at: Date;
  /** The `notarize.batch` transaction that put the hash on the ledger: `{ txHash, height }`. */
  notarized: unknown;
}

/** Row of hub_cohorts: a cohort definition saved in a project. */
export interface HubCohortTable {
  cohort_id: string;
  project_id: string;
  name: string;
  description: string;
  definition: unknown;
  /** `contractHash('cohort', definition)`: what a data-use request names. */
  hash: string;
  created_by: string;
  created_at: Date;
}

/** Row of hub_requests: the hub's side of a data-use request (the ledger holds its state and decisions). */
export interface HubRequestTable {
  request_id: string;
  project_id: string;
  cohort_id: string;
  purpose: string;
  /** The researcher's description of the purpose; the ledger holds its hash. */
  statement: string;
  analysis_kinds: unknown;
  hospitals: unknown;
  period_start: Date;
  period_end: Date;
  epsilon_micros: number;
  created_by: string;
  created_at: Date;
}

/** Row of hub_request_events: one transaction the hub committed for a request (submit, each decision). */
export interface HubRequestEventTable {
  request_id: string;
  tx_hash: string;
  height: number;
  kind: 'submit' | 'decide';
  /** `ethics` or the hospital that decided; the submitter for `submit`. */
  approver: string;
  decision: string | null;
  comment: string;
  username: string;
  at: Date;
}

/** Row of hub_analyses: one analysis run in a project, with the result the hospitals released. */
export interface HubAnalysisTable {
  analysis_id: string;
  project_id: string;
  cohort_id: string;
  request_id: string;
  kind: string;
  body: unknown;
  hospitals: unknown;
  status: 'done' | 'failed';
  task_id: string | null;
  result: unknown;
  error: unknown;
  created_by: string;
  created_at: Date;
}

/** Kysely view of the research-workflow tables. */
export interface ProjectsHubDatabase {
  hub_projects: HubProjectTable;
  hub_project_members: HubProjectMemberTable;
  hub_project_documents: HubProjectDocumentTable;
  hub_cohorts: HubCohortTable;
  hub_requests: HubRequestTable;
  hub_request_events: HubRequestEventTable;
  hub_analyses: HubAnalysisTable;
}

/** Research-workflow migrations, appended to the hub's. */
export const PROJECTS_HUB_MIGRATIONS: Migration[] = [
  {
    id: 'hub-0006-projects',
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('hub_projects')
        .addColumn('project_id', 'text', (c) => c.primaryKey())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('hub_project_members')
        .addColumn('project_id', 'text', (c) => c.notNull().references('hub_projects.project_id'))
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('member_role', 'text', (c) => c.notNull())
        .addColumn('added_by', 'text', (c) => c.notNull())
        .addColumn('added_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('hub_project_members_pk', ['project_id', 'username'])
        .execute();
      await db.schema.createIndex('hub_project_members_user').on('hub_project_members').column('username').execute();
      await db.schema
        .createTable('hub_project_documents')
        .addColumn('document_id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('hub_projects.project_id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('media_type', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('content', 'bytea', (c) => c.notNull())
        .addColumn('uploaded_by', 'text', (c) => c.notNull())
        .addColumn('uploaded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('notarized', 'jsonb')
        .execute();
      await db.schema
        .createTable('hub_cohorts')
        .addColumn('cohort_id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('hub_projects.project_id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('definition', 'jsonb', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('hub_requests')
        .addColumn('request_id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('hub_projects.project_id'))
        .addColumn('cohort_id', 'text', (c) => c.notNull().references('hub_cohorts.cohort_id'))
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('statement', 'text', (c) => c.notNull())
        .addColumn('analysis_kinds', 'jsonb', (c) => c.notNull())
        .addColumn('hospitals', 'jsonb', (c) => c.notNull())
        .addColumn('period_start', 'timestamptz', (c) => c.notNull())
        .addColumn('period_end', 'timestamptz', (c) => c.notNull())
        .addColumn('epsilon_micros', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('hub_request_events')
        .addColumn('request_id', 'text', (c) => c.notNull().references('hub_requests.request_id'))
        .addColumn('tx_hash', 'text', (c) => c.primaryKey())
        .addColumn('height', 'integer', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('approver', 'text', (c) => c.notNull())
        .addColumn('decision', 'text')
        .addColumn('comment', 'text', (c) => c.notNull())
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('hub_request_events_request').on('hub_request_events').column('request_id').execute();
      await db.schema
        .createTable('hub_analyses')
        .addColumn('analysis_id', 'text', (c) => c.primaryKey())
        .addColumn('project_id', 'text', (c) => c.notNull().references('hub_projects.project_id'))
        .addColumn('cohort_id', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('body', 'jsonb', (c) => c.notNull())
        .addColumn('hospitals', 'jsonb', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('task_id', 'text')
        .addColumn('result', 'jsonb')
        .addColumn('error', 'jsonb')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema.createIndex('hub_analyses_project').on('hub_analyses').column('project_id').execute();
    },
  },
];
