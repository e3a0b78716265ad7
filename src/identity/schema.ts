/**
 * The master patient index's tables in the hub database (owned by src/identity) and their migrations. They
 * hold tokens, block keys made of tokens, global ids, links, reviews, events and model counts: never a name,
 * an ID number, a phone or a birth date in the clear.
 */
import type { Generated, Kysely } from 'kysely';
import type { Migration } from '../store/index.ts';

/** Row of identity_records: one person record of one hospital, its tokens and its global patient id. */
export interface IdentityRecordTable {
  /** `<hospital>:<recordKey>`. */
  record_id: string;
  hospital: string;
  record_key: string;
  /** The Tokens object as JSON. */
  tokens: string;
  global_id: string;
  batch_id: string;
  updated_at: Date;
}

/** Row of identity_blocks: a record under one blocking key (rule + tokens), for incremental candidate lookup. */
export interface IdentityBlockTable {
  block_key: string;
  record_id: string;
}

/** Row of identity_globals: a global patient id; merged ids point at the id that absorbed them. */
export interface IdentityGlobalTable {
  global_id: string;
  created_batch: string;
  created_at: Date;
  merged_into: string | null;
}

/** Row of identity_links: why two records are one person (ID token, Fellegi–Sunter weight, or a reviewer). */
export interface IdentityLinkTable {
  record_a: string;
  record_b: string;
  kind: 'id' | 'fs' | 'review';
  weight: number | null;
  batch_id: string;
}

/** Row of identity_reviews: a borderline pair waiting for (or decided by) a reviewer. */
export interface IdentityReviewTable {
  review_id: string;
  record_a: string;
  record_b: string;
  weight: number;
  probability: number;
  /** Comparison levels per field as JSON (e.g. {"id":null,"name":1,…}). */
  comparison: string;
  status: 'pending' | 'accepted' | 'rejected';
  created_batch: string;
  created_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
}

/** Row of identity_events: merges, splits and review decisions, in order. */
export interface IdentityEventTable {
  seq: Generated<number>;
  at: Date;
  kind: 'merge' | 'split' | 'review-accepted' | 'review-rejected';
  global_id: string;
  other_global_id: string | null;
  record_id: string | null;
  actor: string;
  batch_id: string | null;
  detail: string;
}

/** Row of identity_batches: one batch of token records received from a node, with its outcome. */
export interface IdentityBatchTable {
  batch_id: string;
  hospital: string;
  received_at: Date;
  records: number;
  summary: string;
}

/** Row of identity_state: the consortium key fingerprint, id counters and the model's pattern counts. */
export interface IdentityStateTable {
  name: string;
  value: string;
}

/** Kysely view of the identity tables. */
export interface IdentityDatabase {
  identity_records: IdentityRecordTable;
  identity_blocks: IdentityBlockTable;
  identity_globals: IdentityGlobalTable;
  identity_links: IdentityLinkTable;
  identity_reviews: IdentityReviewTable;
  identity_events: IdentityEventTable;
  identity_batches: IdentityBatchTable;
  identity_state: IdentityStateTable;
}

/** Identity migrations (hub database), applied in order by the store. */
export const IDENTITY_MIGRATIONS: Migration[] = [
  {
    id: 'identity-0001-index',
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('identity_records')
        .addColumn('record_id', 'text', (c) => c.primaryKey())
        .addColumn('hospital', 'text', (c) => c.notNull())
        .addColumn('record_key', 'text', (c) => c.notNull())
        .addColumn('tokens', 'text', (c) => c.notNull())
        .addColumn('global_id', 'text', (c) => c.notNull())
        .addColumn('batch_id', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('identity_records_global').on('identity_records').column('global_id').execute();
      await db.schema
        .createTable('identity_blocks')
        .addColumn('block_key', 'text', (c) => c.notNull())
        .addColumn('record_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('identity_blocks_pk', ['block_key', 'record_id'])
        .execute();
      await db.schema.createIndex('identity_blocks_record').on('identity_blocks').column('record_id').execute();
      await db.schema
        .createTable('identity_globals')
        .addColumn('global_id', 'text', (c) => c.primaryKey())
        .addColumn('created_batch', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('merged_into', 'text')
        .execute();
      await db.schema
        .createTable('identity_links')
        .addColumn('record_a', 'text', (c) => c.notNull())
        .addColumn('record_b', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('weight', 'double precision')
        .addColumn('batch_id', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('identity_links_pk', ['record_a', 'record_b'])
        .execute();
      await db.schema.createIndex('identity_links_b').on('identity_links').column('record_b').execute();
      await db.schema
        .createTable('identity_reviews')
        .addColumn('review_id', 'text', (c) => c.primaryKey())
        .addColumn('record_a', 'text', (c) => c.notNull())
        .addColumn('record_b', 'text', (c) => c.notNull())
        .addColumn('weight', 'double precision', (c) => c.notNull())
        .addColumn('probability', 'double precision', (c) => c.notNull())
        .addColumn('comparison', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_batch', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull())
        .addColumn('decided_by', 'text')
        .addColumn('decided_at', 'timestamptz')
        .addUniqueConstraint('identity_reviews_pair', ['record_a', 'record_b'])
        .execute();
      await db.schema.createIndex('identity_reviews_status').on('identity_reviews').column('status').execute();
      await db.schema
        .createTable('identity_events')
        .addColumn('seq', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
        .addColumn('at', 'timestamptz', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('global_id', 'text', (c) => c.notNull())
        .addColumn('other_global_id', 'text')
        .addColumn('record_id', 'text')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('batch_id', 'text')
        .addColumn('detail', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('identity_batches')
        .addColumn('batch_id', 'text', (c) => c.primaryKey())
        .addColumn('hospital', 'text', (c) => c.notNull())
        .addColumn('received_at', 'timestamptz', (c) => c.notNull())
        .addColumn('records', 'integer', (c) => c.notNull())
        .addColumn('summary', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('identity_state')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
  },
];
