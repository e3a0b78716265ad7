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

/** Row of mapping_specs: every version of every mapping spec, as JSON; the newest version is the one in use. */
export interface MappingSpecTable {
  id: string;
  version: number;
  spec: string;
  created_at: Date;
  created_by: string;
}

/** Row of source_profiles: which files are read how and mapped by which specs (one profile per source). */
export interface SourceProfileTable {
  source: string;
  profile: string;
  updated_at: Date;
}

/** Row of ingest_loads: one run of the loader over one or more files, with its totals. */
export interface IngestLoadTable {
  load_id: string;
  source: string;
  started_at: Date;
  finished_at: Date | null;
  status: 'running' | 'completed' | 'failed';
  files: number;
  records_read: number;
  rows_loaded: number;
  rejected: number;
  /** The whole load summary as JSON once finished. */
  summary: string | null;
}

/** Row of ingest_files: one file version loaded under one mapping fingerprint, and what it produced. */
export interface IngestFileTable {
  source: string;
  name: string;
  sha256: string;
  version: number;
  fingerprint: string;
  load_id: string;
  format: string;
  /** True for the rows that are visible now (the last load of this source and name). */
  current: boolean;
  records_read: number;
  rows_loaded: number;
  rejected: number;
  /** JSON: rejects by reason, rows by table, lake batches written, unmapped codes with counts. */
  detail: string;
  loaded_at: Date;
}

/**
 * Row of ingest_pending: what the database must record once a group of files is published in the lake, written
 * before the publish, so a crash between the two is finished (or undone) by the next load or start.
 */
export interface IngestPendingTable {
  stage: string;
  load_id: string;
  /** JSON plan: rows to insert, names to retire, shared rows to update, batches published and retired. */
  plan: string;
}

/** Kysely view of the pipeline's tables. */
export interface PipelineDatabase {
  ods_files: OdsFileTable;
  ods_versions: OdsVersionTable;
  mapping_specs: MappingSpecTable;
  source_profiles: SourceProfileTable;
  ingest_loads: IngestLoadTable;
  ingest_files: IngestFileTable;
  ingest_pending: IngestPendingTable;
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
  {
    id: 'pipeline-0002-ingest',
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('mapping_specs')
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('spec', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('mapping_specs_pk', ['id', 'version'])
        .execute();
      await db.schema
        .createTable('source_profiles')
        .addColumn('source', 'text', (c) => c.primaryKey())
        .addColumn('profile', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('ingest_loads')
        .addColumn('load_id', 'text', (c) => c.primaryKey())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('started_at', 'timestamptz', (c) => c.notNull())
        .addColumn('finished_at', 'timestamptz')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('files', 'integer', (c) => c.notNull())
        .addColumn('records_read', 'bigint', (c) => c.notNull())
        .addColumn('rows_loaded', 'bigint', (c) => c.notNull())
        .addColumn('rejected', 'bigint', (c) => c.notNull())
        .addColumn('summary', 'text')
        .execute();
      await db.schema
        .createTable('ingest_files')
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('load_id', 'text', (c) => c.notNull())
        .addColumn('format', 'text', (c) => c.notNull())
        .addColumn('current', 'boolean', (c) => c.notNull())
        .addColumn('records_read', 'bigint', (c) => c.notNull())
        .addColumn('rows_loaded', 'bigint', (c) => c.notNull())
        .addColumn('rejected', 'bigint', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('loaded_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('ingest_files_pk', ['source', 'sha256', 'fingerprint'])
        .execute();
      await db.schema
        .createIndex('ingest_files_current')
        .on('ingest_files')
        .columns(['source', 'name', 'current'])
        .execute();
    },
  },
  {
    id: 'pipeline-0003-ingest-pending',
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('ingest_pending')
        .addColumn('stage', 'text', (c) => c.primaryKey())
        .addColumn('load_id', 'text', (c) => c.notNull())
        .addColumn('plan', 'text', (c) => c.notNull())
        .execute();
      // Two names with the same bytes under the same mapping are two files, each with its own row.
      await db.schema.alterTable('ingest_files').dropConstraint('ingest_files_pk').execute();
      await db.schema
        .alterTable('ingest_files')
        .addPrimaryKeyConstraint('ingest_files_pk', ['source', 'name', 'sha256', 'fingerprint'])
        .execute();
    },
  },
];
