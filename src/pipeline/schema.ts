/** Tables the pipeline owns in a node's operational database, and their migrations. */
import { type Generated, type Kysely, sql } from 'kysely';
import type { Migration } from '../store/index.ts';

/** Row of ods_files: one received file, content-addressed (its SHA-256), stored once however often it arrives. */
export interface OdsFileTable {
  sha256: string;
  size_bytes: number;
  stored_path: string;
  received_at: Date;
}

/** Row of ods_versions: each (source, name) as it arrived over time; a changed file is a new version. */
export interface OdsVersionTable {
  source: string;
  name: string;
  version: number;
  sha256: string;
  received_at: Generated<Date>;
}

/** Kysely view of the pipeline's tables. */
export interface PipelineDatabase {
  ods_files: OdsFileTable;
  ods_versions: OdsVersionTable;
}

/** Pipeline migrations, applied after the node's own. */
export const PIPELINE_MIGRATIONS: Migration[] = [
  {
    id: 'pipeline-0001-ods',
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('ods_files')
        .addColumn('sha256', 'text', (c) => c.primaryKey())
        .addColumn('size_bytes', 'bigint', (c) => c.notNull())
        .addColumn('stored_path', 'text', (c) => c.notNull())
        .addColumn('received_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('ods_versions')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull().references('ods_files.sha256'))
        .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('ods_versions_pk', ['source', 'name', 'version'])
        .execute();
    },
  },
];
