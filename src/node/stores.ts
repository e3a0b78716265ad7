/**
 * What a node keeps on disk, opened together: the operational database (node and pipeline tables), the lake,
 * the ODS, the notary log and the ingest service over them. The running node and the offline CLI (`meridian
 * ingest` on a stopped node, the demo's first load) open it the same way; the database's data-directory lock
 * keeps the two from opening it at once.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { NodeConfig } from '../config/schema.ts';
import { LocalNotaryLog } from '../pipeline/notary.ts';
import { PIPELINE_MIGRATIONS, type PipelineDatabase } from '../pipeline/schema.ts';
import { IngestService } from '../pipeline/service.ts';
import { type DatabaseDialect, type Lake, openDatabase, openLake } from '../store/index.ts';
import { NODE_MIGRATIONS, type NodeDatabase } from './schema.ts';

/** Every migration a node's database gets, in order. */
export const NODE_ALL_MIGRATIONS = [...NODE_MIGRATIONS, ...PIPELINE_MIGRATIONS];

/** The node's open stores. */
export interface NodeStores {
  db: Kysely<NodeDatabase & PipelineDatabase>;
  dialect: DatabaseDialect;
  lake: Lake;
  ingest: IngestService;
  schemaVersion: string | null;
  close(): Promise<void>;
}

/** Opens a node's database (applying migrations), lake, ODS and notary log. */
export async function openNodeStores(config: Pick<NodeConfig, 'dataDir' | 'databaseUrl'>): Promise<NodeStores> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openDatabase<NodeDatabase & PipelineDatabase>({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    migrations: NODE_ALL_MIGRATIONS,
  });
  let lake: Lake;
  try {
    lake = await openLake({ dir: join(config.dataDir, 'lake') });
  } catch (e) {
    await store.close();
    throw e;
  }
  const notarizer = LocalNotaryLog.open({ file: join(config.dataDir, 'notary.log'), now: () => new Date() });
  const ingest = new IngestService({ db: store.db, lake, odsDir: join(config.dataDir, 'ods'), notarizer });
  await ingest.recover();
  return {
    db: store.db,
    dialect: store.dialect,
    lake,
    ingest,
    schemaVersion: NODE_ALL_MIGRATIONS.at(-1)?.id ?? null,
    async close() {
      await lake.close();
      await store.close();
    },
  };
}
