/**
 * What a node keeps on disk, opened together: the operational database (node and pipeline tables), the lake,
 * the ODS, the notarizer (the consortium ledger when `node.ledger` is configured, with the notary log as its
 * local index; the notary log alone otherwise) and the ingest service over them. The running node and the
 * offline CLI (`meridian ingest` on a stopped node, the demo's first load) open it the same way; the database's
 * data-directory lock keeps the two from opening it at once.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { NodeConfig } from '../config/schema.ts';
import { MeridianError } from '../errors/registry.ts';
import { DWD_TABLES } from '../model/dwd.ts';
import { LedgerNotarizer } from '../pipeline/ledger-notarizer.ts';
import { LocalNotaryLog, type Notarizer } from '../pipeline/notary.ts';
import { PIPELINE_MIGRATIONS, type PipelineDatabase } from '../pipeline/schema.ts';
import { IngestService } from '../pipeline/service.ts';
import type { FieldCrypto } from '../privacy/field-crypto.ts';
import { rowProtector } from '../privacy/protect.ts';
import { QUALITY_MIGRATIONS, type QualityDatabase, QualityService } from '../quality/index.ts';
import { type DatabaseDialect, type Lake, openDatabase, openLake } from '../store/index.ts';
import { openFieldCrypto } from './keys.ts';
import { NODE_MIGRATIONS, type NodeDatabase } from './schema.ts';

/** Every migration a node's database gets, in order. */
export const NODE_ALL_MIGRATIONS = [...NODE_MIGRATIONS, ...PIPELINE_MIGRATIONS, ...QUALITY_MIGRATIONS];

/** Everything in a node's operational database. */
export type NodeAllDatabase = NodeDatabase & PipelineDatabase & QualityDatabase;

/** The node's open stores. */
export interface NodeStores {
  db: Kysely<NodeAllDatabase>;
  dialect: DatabaseDialect;
  lake: Lake;
  ingest: IngestService;
  quality: QualityService;
  /** The keys of the fields encrypted at rest (to open them for linkage and the patient's own views). */
  crypto: FieldCrypto;
  schemaVersion: string | null;
  close(): Promise<void>;
}

/**
 * Opens a node's database (applying migrations), lake, field-encryption keys (refusing to open without the right
 * ones), ODS, notary log, and the ingest and quality services; the
 * quality rules run after every load that loaded a file (runs that arrive while one is going are coalesced).
 */
export async function openNodeStores(
  config: Pick<NodeConfig, 'dataDir' | 'databaseUrl'> & {
    pki?: NodeConfig['pki'];
    node?: { name: string; keyFile?: string; ledger?: NodeConfig['node']['ledger'] };
  },
  opts: { onQualityError?: (e: unknown) => void } = {},
): Promise<NodeStores> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const store = await openDatabase<NodeAllDatabase>({
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
  let notarizer: (Notarizer & { close?(): void }) | undefined;
  let crypto: FieldCrypto;
  try {
    notarizer = openNotarizer(config);
    const tables = new Set(await lake.tables());
    crypto = await openFieldCrypto({
      dataDir: config.dataDir,
      keyFile: config.node?.keyFile,
      hasData: Object.keys(DWD_TABLES).some((t) => tables.has(t)),
    });
  } catch (e) {
    notarizer?.close?.();
    await lake.close();
    await store.close();
    throw e;
  }
  const quality = new QualityService({ db: store.db, lake, node: config.node?.name });
  const checks = new AfterLoadChecks(quality, opts.onQualityError ?? (() => {}));
  const ingest = new IngestService({
    db: store.db,
    lake,
    odsDir: join(config.dataDir, 'ods'),
    notarizer,
    protect: rowProtector(crypto),
    afterLoad: (summary) => {
      if (summary.totals.loaded > 0) checks.request(summary.loadId);
    },
  });
  await ingest.recover();
  return {
    db: store.db,
    dialect: store.dialect,
    lake,
    ingest,
    quality,
    crypto,
    schemaVersion: NODE_ALL_MIGRATIONS.at(-1)?.id ?? null,
    async close() {
      await checks.idle();
      notarizer.close?.();
      await lake.close();
      await store.close();
    },
  };
}

/** The consortium ledger's notarizer when the node has a `node.ledger` section, else the local notary log. */
function openNotarizer(
  config: Pick<NodeConfig, 'dataDir'> & {
    pki?: NodeConfig['pki'];
    node?: { ledger?: NodeConfig['node']['ledger'] };
  },
): Notarizer & { close?(): void } {
  const now = () => new Date();
  const ledger = config.node?.ledger;
  if (ledger === undefined) return LocalNotaryLog.open({ file: join(config.dataDir, 'notary.log'), now });
  if (config.pki === undefined) {
    throw new MeridianError(
      'MER_CONFIG_INVALID',
      'node.ledger needs pki (caDir, identity): the key that signs notarizations',
    );
  }
  return LedgerNotarizer.open({
    dataDir: config.dataDir,
    ledgerConfigFile: ledger.configFile,
    caDir: config.pki.caDir,
    institution: config.pki.identity,
    prefer: ledger.prefer,
    timeoutMs: ledger.timeoutMs,
    now,
  });
}

/** Loads waiting for their quality run at most (a feed that outruns the checks drops the oldest, reported). */
const CHECKS_QUEUE_MAX = 1_000;

/** Runs the quality rules for each finished load, one run at a time, in order. */
class AfterLoadChecks {
  readonly #quality: QualityService;
  readonly #onError: (e: unknown) => void;
  readonly #queue: string[] = [];
  #running: Promise<void> | null = null;

  constructor(quality: QualityService, onError: (e: unknown) => void) {
    this.#quality = quality;
    this.#onError = onError;
  }

  /** Queues a run for this load. */
  request(loadId: string): void {
    this.#queue.push(loadId);
    if (this.#queue.length > CHECKS_QUEUE_MAX) {
      const dropped = this.#queue.shift();
      this.#onError(new Error(`quality checks fell behind: load ${dropped} was not checked (run them on demand)`));
    }
    this.#running ??= this.#drain();
  }

  /** Resolves when no run is going or waiting. */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    for (let loadId = this.#queue.shift(); loadId !== undefined; loadId = this.#queue.shift())
      await this.#quality.run({ loadId }).catch(this.#onError);
    this.#running = null;
  }
}
