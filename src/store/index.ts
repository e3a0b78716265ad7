/** The store's public API: the operational database (PGlite | PostgreSQL, migrations) and the Parquet lake. */
export { writeFileAtomic } from './atomic-file.ts';
export { type Database, type DatabaseDialect, dropSchema, type OpenDatabaseOptions, openDatabase } from './db.ts';
export { fsyncPath } from './durable-fs.ts';
export {
  BATCH_ID,
  LAKE_NAME,
  type Lake,
  type LakeStats,
  openLake,
  type RowsBatch,
  type SqlBatch,
  type TableStats,
  type WriteBatchOptions,
  type WriteBatchResult,
} from './lake.ts';
export type { LakeColumnType, LakeParam, LakeResultValue } from './lake-values.ts';
export { MIGRATION_ID, MIGRATIONS_TABLE, type Migration, migrationChecksum } from './migrations.ts';
