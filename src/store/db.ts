/**
 * The operational database: Kysely over PGlite (embedded Postgres, the default) or over PostgreSQL (when a
 * `databaseUrl` is given). Same SQL, same migrations, same JS values on both (see pg-types.ts).
 *
 * ```
 * openDatabase({ dataDir })        → PGlite in <dataDir>/db   (lock file <dataDir>/db.lock, fsync per commit)
 * openDatabase({})                 → PGlite in memory          (tests)
 * openDatabase({ databaseUrl })    → pg.Pool                  (production; `schema` isolates tests)
 *         └─ then: pending migrations, each in its own transaction, recorded in meridian_migrations
 * ```
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { MeridianError } from '../errors/registry.ts';
import { acquireDirLock, type DirLock, fsyncPath } from './durable-fs.ts';
import { applyMigrations, type Migration, validateMigrations } from './migrations.ts';
import { PG_TYPES, PGLITE_PARSERS } from './pg-types.ts';
import { PGliteDialect, quoteIdentifier } from './pglite-dialect.ts';
import { DURABLE_START_PARAMS, DurableNodeFS } from './pglite-fs.ts';

/** Which engine serves the database. */
export type DatabaseDialect = 'pglite' | 'postgres';

/** Options for {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** Node data directory; PGlite keeps its files in `<dataDir>/db`. Omitted (and no URL): in-memory PGlite. */
  dataDir?: string;
  /** `postgres://user[:password]@host[:port]/database`; when set, PostgreSQL is used and `dataDir` is not. */
  databaseUrl?: string;
  /** Schema to create if missing and put first on every connection's search_path (per-test isolation). */
  schema?: string;
  /** Every folder's migrations, concatenated in dependency order; pending ones are applied at open. */
  migrations: readonly Migration[];
  /** PostgreSQL pool size (default 10); PGlite always has exactly one connection. */
  poolSizeMax?: number;
  /** How long to wait for a PostgreSQL connection before giving up (default 10 s). */
  connectTimeoutMs?: number;
}

/** An open operational database. */
export interface Database<DB> {
  /** The query builder; on PGlite, use the `trx` inside a transaction, never `db` (see pglite-dialect.ts). */
  db: Kysely<DB>;
  /** The engine behind `db`. */
  dialect: DatabaseDialect;
  /** Waits for running queries, then closes the pool or PGlite (and releases the data directory lock). */
  close(): Promise<void>;
}

/** Schema names we create: lowercase identifiers that need no quoting anywhere (also in `-c search_path=`). */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

const POOL_SIZE_MAX_DEFAULT = 10;
const CONNECT_TIMEOUT_MS_DEFAULT = 10_000;

/**
 * Opens the operational database and applies pending migrations.
 *
 * @example
 * const { db, close } = await openDatabase<HubTables>({ dataDir: './data/hub', migrations: hubMigrations });
 * const users = await db.selectFrom('users').selectAll().execute();
 * await close();
 */
export async function openDatabase<DB>(options: OpenDatabaseOptions): Promise<Database<DB>> {
  if (options.schema !== undefined) assertSchemaName(options.schema);
  validateMigrations(options.migrations); // before opening: Kysely.destroy() skips a driver that never connected
  const opened = options.databaseUrl
    ? await openPostgres<DB>(options, options.databaseUrl)
    : await openPGlite<DB>(options);
  try {
    await applyMigrations(opened.db, options.migrations);
  } catch (e) {
    await opened.db.destroy();
    throw e;
  }
  return { db: opened.db, dialect: opened.dialect, close: () => opened.db.destroy() };
}

/** Drops a PostgreSQL schema and everything in it (test cleanup for `openDatabase({ schema })`). */
export async function dropSchema(options: { databaseUrl: string; schema: string }): Promise<void> {
  assertSchemaName(options.schema);
  const server = describeServer(options.databaseUrl);
  const client = new pg.Client({
    connectionString: options.databaseUrl,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS_DEFAULT,
  });
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw unavailable(server, e, options.databaseUrl);
  }
  try {
    await client.query(`drop schema if exists ${quoteIdentifier(options.schema)} cascade`);
  } finally {
    await client.end();
  }
}

interface Opened<DB> {
  db: Kysely<DB>;
  dialect: DatabaseDialect;
}

async function openPostgres<DB>(options: OpenDatabaseOptions, databaseUrl: string): Promise<Opened<DB>> {
  const server = describeServer(databaseUrl);
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.poolSizeMax ?? POOL_SIZE_MAX_DEFAULT,
    connectionTimeoutMillis: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS_DEFAULT,
    application_name: 'meridian',
    types: PG_TYPES as pg.CustomTypesConfig,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // An idle pooled client whose server goes away emits 'error' on the pool; unhandled, that would kill the
  // process. The pool already discards that client, and the next query reports the outage to its caller.
  pool.on('error', () => undefined);
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw unavailable(server, e, databaseUrl);
  }
  try {
    if (options.schema) await createSchema(client, options.schema);
  } catch (e) {
    client.release();
    await pool.end().catch(() => undefined);
    throw e;
  }
  client.release();
  return { db: new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }), dialect: 'postgres' };
}

async function createSchema(client: pg.PoolClient, schema: string): Promise<void> {
  // Two processes creating one schema at once can both pass IF NOT EXISTS; the lock makes one wait.
  await client.query('begin');
  try {
    await client.query(`select pg_advisory_xact_lock(hashtextextended('meridian_schema:' || $1::text, 0))`, [schema]);
    await client.query(`create schema if not exists ${quoteIdentifier(schema)}`);
    await client.query('commit');
  } catch (e) {
    await client.query('rollback');
    throw e;
  }
}

async function openPGlite<DB>(options: OpenDatabaseOptions): Promise<Opened<DB>> {
  let pglite: PGlite;
  let lock: DirLock | undefined;
  if (options.dataDir === undefined) {
    pglite = await createPGlite('memory', async () =>
      PGlite.create({ loadDataDir: await freshClusterImage(), parsers: PGLITE_PARSERS }),
    );
  } else {
    const dataDir = resolve(options.dataDir);
    const dir = join(dataDir, 'db');
    mkdirSync(dataDir, { recursive: true });
    lock = acquireDirLock(join(dataDir, 'db.lock'), `embedded database ${dir}`);
    try {
      if (!existsSync(join(dir, 'PG_VERSION'))) await initCluster(dataDir, dir);
      pglite = await createPGlite(dir, () =>
        PGlite.create({ fs: new DurableNodeFS(dir), startParams: [...DURABLE_START_PARAMS], parsers: PGLITE_PARSERS }),
      );
    } catch (e) {
      lock.release();
      throw e;
    }
  }
  try {
    if (options.schema) {
      await pglite.query(`create schema if not exists ${quoteIdentifier(options.schema)}`);
      await pglite.query(`set search_path to ${quoteIdentifier(options.schema)}`);
    }
  } catch (e) {
    await pglite.close();
    lock?.release();
    throw e;
  }
  const dialect = new PGliteDialect({ pglite, ...(lock ? { onClosed: () => lock.release() } : {}) });
  return { db: new Kysely<DB>({ dialect }), dialect: 'pglite' };
}

/**
 * A fresh cluster (initdb output) as a gzipped tar image (about 4.5 MB), made once per process and never
 * modified: a new database loads it in about 1 s instead of running initdb again (3 to 5 s). Tests and the
 * demo, which create many databases in one process, gain the most.
 */
let freshCluster: Promise<Blob> | undefined;

function freshClusterImage(): Promise<Blob> {
  if (!freshCluster) {
    freshCluster = (async () => {
      const template = await PGlite.create();
      try {
        return await template.dumpDataDir('gzip');
      } finally {
        await template.close();
      }
    })();
    freshCluster.catch(() => {
      freshCluster = undefined;
    });
  }
  return freshCluster;
}

async function createPGlite(where: string, create: () => Promise<PGlite>): Promise<PGlite> {
  try {
    return await create();
  } catch (e) {
    if (e instanceof MeridianError) throw e;
    const message = e instanceof Error ? e.message : String(e);
    throw new MeridianError('MER_STORE_UNAVAILABLE', `Cannot open the embedded database (${where}): ${message}`, {
      dir: where,
    });
  }
}

/**
 * Creates a new cluster beside `dir` and renames it into place only when complete, so a crash during the
 * first start never leaves a half-initialized database that a later start would try to resume.
 */
async function initCluster(dataDir: string, dir: string): Promise<void> {
  if (existsSync(dir)) {
    if (readdirSync(dir).length > 0) {
      throw new MeridianError('MER_STORE_UNAVAILABLE', `${dir} exists but holds no database; move it away`, { dir });
    }
    rmSync(dir, { recursive: true });
  }
  for (const name of readdirSync(dataDir)) {
    if (name.startsWith('.db-init-')) rmSync(join(dataDir, name), { recursive: true, force: true }); // we hold the lock
  }
  const scratch = join(dataDir, `.db-init-${randomUUID()}`);
  const init = await createPGlite(scratch, async () =>
    PGlite.create({
      fs: new DurableNodeFS(scratch),
      startParams: [...DURABLE_START_PARAMS],
      loadDataDir: await freshClusterImage(),
    }),
  );
  await init.close();
  fsyncTree(scratch);
  renameSync(scratch, dir);
  fsyncPath(dataDir);
}

function fsyncTree(path: string): void {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path)) fsyncTree(join(path, name));
  }
  fsyncPath(path);
}

function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new MeridianError(
      'MER_CONFIG_INVALID',
      `Schema name ${JSON.stringify(schema)} is not allowed: use 1–63 lowercase letters, digits or underscores`,
      { schema },
    );
  }
}

interface Server {
  host: string;
  port: number;
  database: string;
}

function describeServer(databaseUrl: string): Server {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new MeridianError('MER_CONFIG_INVALID', 'The database URL is not a valid postgres://host:port/database URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new MeridianError(
      'MER_CONFIG_INVALID',
      `The database URL must start with postgres://, not ${url.protocol}//`,
    );
  }
  const host = url.hostname || url.searchParams.get('host') || 'localhost';
  return { host, port: Number(url.port || 5432), database: decodeURIComponent(url.pathname.slice(1)) || 'postgres' };
}

function unavailable(server: Server, e: unknown, databaseUrl: string): MeridianError {
  const code = (e as { code?: unknown }).code;
  const raw = e instanceof Error && e.message ? e.message : typeof code === 'string' ? code : String(e);
  const password = new URL(databaseUrl).password;
  const reason = password ? raw.replaceAll(decodeURIComponent(password), '***') : raw;
  return new MeridianError(
    'MER_STORE_UNAVAILABLE',
    `Cannot reach PostgreSQL at ${server.host}:${server.port} (database ${server.database}): ${reason}`,
    {
      host: server.host,
      port: server.port,
      database: server.database,
      ...(typeof code === 'string' ? { cause: code } : {}),
    },
  );
}
