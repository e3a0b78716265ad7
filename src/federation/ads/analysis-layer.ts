/**
 * The node's analysis layer (ADS): a DuckDB database of its own, holding DWD re-laid for cohort queries (layout.ts)
 * in numbered generations. The refresh contract:
 *
 * ```
 * DWD files (lake) ──list+stat──► fingerprint ──≠ current?──► build g<N+1> (invisible) ──► meta := N+1 ──► swap
 *                                                                     │ fails: drop g<N+1>, g<N> stays current
 * read(fn): fingerprint now ≠ current? → refresh first; then fn runs on one generation, which stays until fn settles
 * ```
 *
 * - **When it is rebuilt**: by `refresh()` (the node calls it after each load it publishes) and by any `read` that
 *   finds the DWD files changed since the current generation was built. A rebuild is complete (no appends), reads
 *   exactly the files it fingerprinted, and at most one runs at a time (one more may wait; later calls join it).
 * - **Never half-built**: a generation is built in its own schema that no reader knows of; readers switch to it in
 *   one step after it is complete, and the old one is dropped when its last reader is done. In a database file the
 *   current generation is recorded in one transaction; opening drops any other generation (a build a crash cut).
 * - **Consistent with DWD**: a read answers from a generation built from exactly the DWD files present when the read
 *   began (same paths, sizes, modification times and inodes), or from a newer one.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { type BigIntStats, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { MeridianError } from '../../errors/registry.ts';
import type { DwdTable } from '../../model/dwd.ts';
import { processAlive } from '../../store/durable-fs.ts';
import type { LakeParam, LakeResultValue } from '../../store/index.ts';
import { RESULT_CONVERTER, toDuckDBParam } from '../../store/lake-values.ts';
import type { CodeColumn, CohortSource } from '../cohort/index.ts';
import type { CodeDictionary } from './dictionary.ts';
import {
  ADS_SOURCE_TABLES,
  buildStatements,
  GENERATION_SCHEMA,
  generationSchema,
  sqlString,
  sqlStrings,
} from './layout.ts';
import { adsCohortSource, type GenerationInfo } from './source.ts';

/** Most DuckDB threads the layer may be given. */
export const ADS_THREADS_MAX = 64;
/**
 * Widest person-key range (in bits) for which DuckDB may aggregate by person into a plain array instead of a hash
 * table ("perfect hash" group by: 3× faster on the index CTE). The array has 2^bits slots per aggregate and thread,
 * allocated up front: 22 bits (4.2M persons) costs ≈ 100 MB per aggregate and thread at most.
 */
export const PERFECT_HASH_BITS_MAX = 22;
/** DuckDB's own default for that setting. */
const PERFECT_HASH_BITS_DEFAULT = 12;
/** Builds one refresh tries: a second one only when DWD files changed under the first. */
const BUILD_ATTEMPTS_MAX = 2;

/** How to open the layer. */
export interface AnalysisLayerOptions {
  /** The node's lake directory (`lake.dir`), whose DWD Parquet files the layer is built from. */
  lakeDir: string;
  /** A DuckDB database file that keeps the layer across restarts; in memory (rebuilt after a restart) when omitted. */
  file?: string;
  /** DuckDB threads for builds and queries; DuckDB's default (one per core) when omitted. */
  threads?: number;
}

/** What a refresh did. */
export interface RefreshResult {
  /** The generation now current. */
  generation: number;
  /** False when the DWD files were those of the current generation, so nothing was built. */
  rebuilt: boolean;
}

/** One generation, held for the duration of a {@link AnalysisLayer.read}. */
export interface AdsSnapshot {
  readonly generation: number;
  /** The cohort compiler's source over this generation (`compileCohortCount(def, { source })`). */
  readonly source: CohortSource;
  /** Runs SQL over this generation; plain rows (value mapping: store/lake-values.ts). */
  query<T extends Record<string, unknown> = Record<string, LakeResultValue>>(
    sql: string,
    params?: readonly LakeParam[],
  ): Promise<T[]>;
}

/** An open analysis layer. */
export interface AnalysisLayer {
  /** The current generation, or undefined before the first build. */
  readonly generation: number | undefined;
  /** Rebuilds when the DWD files differ from the current generation's (see the file comment). */
  refresh(): Promise<RefreshResult>;
  /** Runs `fn` on a generation consistent with DWD as of this call; the generation stays until `fn` settles. */
  read<T>(fn: (snapshot: AdsSnapshot) => Promise<T>): Promise<T>;
  /** Waits for running work, then closes the database. */
  close(): Promise<void>;
}

/**
 * Opens the analysis layer over a lake directory (creating its database file if one is named).
 *
 * @example
 * const ads = await openAnalysisLayer({ lakeDir: lake.dir, file: join(dataDir, 'ads.duckdb') });
 * await ads.refresh();                                    // after each published load
 * const n = await ads.read(async (s) => {
 *   const q = compileCohortCount(def, { source: s.source });
 *   return (await s.query<{ n: number }>(q.sql, q.params))[0]?.n;
 * });
 */
export async function openAnalysisLayer(options: AnalysisLayerOptions): Promise<AnalysisLayer> {
  const { lakeDir, threads, file } = options;
  if (typeof lakeDir !== 'string' || lakeDir.length === 0 || !isDirectory(lakeDir)) {
    throw new MeridianError(
      'MER_ADS_INVALID_OPTION',
      `lakeDir must name an existing lake directory, got ${JSON.stringify(lakeDir)}`,
      { lakeDir },
    );
  }
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= ADS_THREADS_MAX)) {
    throw new MeridianError(
      'MER_ADS_INVALID_OPTION',
      `threads must be an integer from 1 to ${ADS_THREADS_MAX}, got ${String(threads)}`,
      { threads },
    );
  }
  if (file !== undefined && (typeof file !== 'string' || file.length === 0 || file === ':memory:')) {
    throw new MeridianError(
      'MER_ADS_INVALID_OPTION',
      `file must be the path of a DuckDB database file, got ${JSON.stringify(file)}`,
      { file },
    );
  }
  // An in-memory database spills big sorts to a directory of its own; a file database next to its file.
  if (file === undefined) removeDeadSpills();
  const spill =
    file === undefined ? join(tmpdir(), `${SPILL_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`) : undefined;
  const config: Record<string, string> = {};
  if (threads !== undefined) config.threads = String(threads);
  if (spill !== undefined) {
    mkdirSync(spill, { recursive: true });
    config.temp_directory = spill;
  }
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(file === undefined ? ':memory:' : resolve(file), config);
  } catch (e) {
    if (spill !== undefined) rmSync(spill, { recursive: true, force: true });
    throw e;
  }
  const layer = new DuckDBAnalysisLayer(resolve(lakeDir), instance, spill);
  try {
    await layer.restore();
  } catch (e) {
    await layer.close();
    throw e;
  }
  return layer;
}

/** Open connections kept between queries. */
const IDLE_CONNECTIONS_MAX = 8;

const SPILL_PREFIX = 'meridian-ads-';
const SPILL_DIR = /^meridian-ads-(\d+)-[0-9a-f]{8}$/;

/** Removes the spill directories of in-memory layers whose process died without closing them. */
function removeDeadSpills(): void {
  for (const name of readdirSync(tmpdir())) {
    const owner = SPILL_DIR.exec(name);
    if (owner && !processAlive(Number(owner[1]))) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

interface Generation extends GenerationInfo {
  fingerprint: string;
  source: CohortSource;
  leases: number;
  retired: boolean;
}

interface DwdListing {
  files: Partial<Record<DwdTable, string[]>>;
  fingerprint: string;
}

class DuckDBAnalysisLayer implements AnalysisLayer {
  readonly #lakeDir: string;
  readonly #instance: DuckDBInstance;
  readonly #spill: string | undefined;
  #current: Generation | undefined;
  /** Builds and drops, one at a time (DuckDB refuses racing DDL). */
  #ddl: Promise<unknown> = Promise.resolve();
  /** A refresh waiting for the running one; later calls join it. */
  #queued: Promise<RefreshResult> | undefined;
  readonly #running = new Set<Promise<unknown>>();
  /** Connections left open after a query, for the next one (connecting costs more than a small count). */
  readonly #idle: DuckDBConnection[] = [];
  /** The listing of DWD files running now, and the one that reads arriving meanwhile will share. */
  #listingRunning: Promise<unknown> | undefined;
  #listingNext: Promise<DwdListing> | undefined;
  #closed = false;

  constructor(lakeDir: string, instance: DuckDBInstance, spill: string | undefined) {
    this.#lakeDir = lakeDir;
    this.#instance = instance;
    this.#spill = spill;
  }

  get generation(): number | undefined {
    return this.#current?.generation;
  }

  /** Takes up the generation a database file records, and drops every other one. */
  async restore(): Promise<void> {
    await this.#withConnection(async (c) => {
      await c.run('create table if not exists ads_meta (generation integer not null, fingerprint varchar not null)');
      const [meta] = (await c.runAndReadAll('select generation, fingerprint from ads_meta')).getRowObjectsJS();
      const schemas = (
        await c.runAndReadAll('select schema_name from duckdb_schemas() where database_name = current_database()')
      )
        .getRowObjectsJS()
        .map((r) => String(r.schema_name));
      for (const schema of schemas) {
        const n = GENERATION_SCHEMA.exec(schema);
        if (n && Number(n[1]) !== meta?.generation) await c.run(`drop schema ${schema} cascade`);
      }
      if (meta !== undefined && schemas.includes(generationSchema(Number(meta.generation)))) {
        this.#current = await describeGeneration(c, Number(meta.generation), String(meta.fingerprint));
      }
    });
  }

  refresh(): Promise<RefreshResult> {
    if (this.#closed) return Promise.reject(closedError());
    if (this.#queued) return this.#queued;
    const run = this.#ddl.then(() => {
      this.#queued = undefined;
      return this.#refreshNow();
    });
    this.#queued = run;
    this.#ddl = run.catch(() => undefined);
    return run;
  }

  async read<T>(fn: (snapshot: AdsSnapshot) => Promise<T>): Promise<T> {
    if (this.#closed) throw closedError();
    const { fingerprint } = await this.#freshListing();
    if (this.#current?.fingerprint !== fingerprint) await this.refresh();
    const generation = this.#current;
    assert.ok(generation, 'a successful refresh leaves a current generation');
    generation.leases++;
    let open = true;
    const snapshot: AdsSnapshot = {
      generation: generation.generation,
      source: generation.source,
      query: <R extends Record<string, unknown>>(sql: string, params: readonly LakeParam[] = []) => {
        assert.ok(open, 'a snapshot is used only inside its read()');
        return this.#withConnection(async (c) => {
          const reader = await c.runAndReadAll(sql, params.map(toDuckDBParam));
          return reader.convertRowObjects(RESULT_CONVERTER) as R[];
        });
      },
    };
    try {
      return await fn(snapshot);
    } finally {
      open = false;
      generation.leases--;
      if (generation.retired && generation.leases === 0) this.#drop(generation);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ddl;
    await Promise.allSettled(this.#running);
    for (const c of this.#idle.splice(0)) c.closeSync();
    this.#instance.closeSync();
    if (this.#spill !== undefined) rmSync(this.#spill, { recursive: true, force: true });
  }

  async #refreshNow(): Promise<RefreshResult> {
    if (this.#closed) throw closedError();
    let listing = await this.#list();
    for (let attempt = 1; ; attempt++) {
      const current = this.#current;
      if (current?.fingerprint === listing.fingerprint) return { generation: current.generation, rebuilt: false };
      try {
        const next = await this.#build((current?.generation ?? 0) + 1, listing);
        this.#current = next;
        if (current) {
          current.retired = true;
          if (current.leases === 0) this.#drop(current);
        }
        return { generation: next.generation, rebuilt: true };
      } catch (e) {
        const again = await this.#list();
        if (attempt >= BUILD_ATTEMPTS_MAX || again.fingerprint === listing.fingerprint) throw refreshError(e);
        listing = again; // files changed under the build (a load published meanwhile): build what is there now
      }
    }
  }

  /** Builds generation `n` from exactly the listed files; on failure drops what it made. */
  async #build(n: number, listing: DwdListing): Promise<Generation> {
    return this.#withConnection(async (c) => {
      const columns: Partial<Record<DwdTable, ReadonlySet<string>>> = {};
      for (const [table, files] of Object.entries(listing.files) as [DwdTable, string[]][]) {
        const described = await c.runAndReadAll(
          `describe select * from read_parquet(${sqlStrings(files)}, hive_partitioning = true, union_by_name = true)`,
        );
        columns[table] = new Set(described.getRowObjectsJS().map((r) => String(r.column_name)));
      }
      try {
        for (const statement of buildStatements(n, { files: listing.files, columns })) await c.run(statement);
        const generation = await describeGeneration(c, n, listing.fingerprint);
        await c.run('begin transaction');
        await c.run('delete from ads_meta');
        await c.run('insert into ads_meta values ($1, $2)', [n, listing.fingerprint]);
        await c.run('commit');
        return generation;
      } catch (e) {
        await c.run('rollback').catch(() => undefined); // no transaction open unless the meta update failed
        await c.run(`drop schema if exists ${generationSchema(n)} cascade`);
        throw e;
      }
    });
  }

  /** Drops a retired generation once no reader holds it (after any build in progress). */
  #drop(generation: Generation): void {
    if (this.#closed) return; // a closed database is gone anyway; a file's stale schema is dropped on open
    this.#ddl = this.#ddl.then(() =>
      this.#withConnection((c) =>
        c.run(`drop schema if exists ${generationSchema(generation.generation)} cascade`),
      ).catch(
        () => undefined, // left for the next open to drop
      ),
    );
  }

  /** The DWD files the lake's views read now, and their fingerprint. */
  /**
   * A listing of the DWD files that started after this call: a listing already running may predate a publish the
   * caller must see, so callers wait for the next one, which every read arriving meanwhile shares.
   */
  #freshListing(): Promise<DwdListing> {
    if (this.#listingNext !== undefined) return this.#listingNext;
    const before = this.#listingRunning?.catch(() => undefined) ?? Promise.resolve();
    const next: Promise<DwdListing> = before.then(() => {
      this.#listingNext = undefined;
      this.#listingRunning = next;
      return this.#list();
    });
    this.#listingNext = next;
    next
      .catch(() => undefined)
      .finally(() => {
        if (this.#listingRunning === next) this.#listingRunning = undefined;
      });
    return next;
  }

  async #list(): Promise<DwdListing> {
    const globs = ADS_SOURCE_TABLES.map(
      (table) =>
        `select '${table}' as t, file from glob(${sqlString(`${join(this.#lakeDir, table)}${sep}**${sep}*.parquet`)})`,
    );
    const rows = await this.#withConnection(async (c) =>
      (await c.runAndReadAll(`${globs.join(' union all ')} order by t, file`)).getRowObjectsJS(),
    );
    const files: DwdListing['files'] = {};
    const hash = createHash('sha256');
    for (const row of rows) {
      const table = String(row.t) as DwdTable;
      const file = String(row.file);
      let stat: BigIntStats;
      try {
        stat = statSync(file, { bigint: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // retired since the glob: not part of DWD now
        throw e;
      }
      const list = files[table] ?? [];
      list.push(file);
      files[table] = list;
      hash.update(`${table}\t${file}\t${stat.size}\t${stat.mtimeNs}\t${stat.ino}\n`);
    }
    return { files, fingerprint: hash.digest('hex') };
  }

  async #withConnection<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const work = (async () => {
      const connection = this.#idle.pop() ?? (await this.#instance.connect());
      let healthy = false;
      try {
        const out = await fn(connection);
        healthy = true;
        return out;
      } finally {
        if (healthy && !this.#closed && this.#idle.length < IDLE_CONNECTIONS_MAX) this.#idle.push(connection);
        else connection.closeSync();
      }
    })();
    this.#running.add(work);
    try {
      return await work;
    } finally {
      this.#running.delete(work);
    }
  }
}

/** Reads back what the compiler needs about a built generation. */
async function describeGeneration(c: DuckDBConnection, n: number, fingerprint: string): Promise<Generation> {
  const g = generationSchema(n);
  const [persons] = (
    await c.runAndReadAll(
      `select count(*) = count(distinct person_id) as unique_persons, (select count(*) from ${g}.person_ids) as n from ${g}.person`,
    )
  ).getRowObjectsJS();
  // Person keys are 0 … n-1: a group by person fits an array of 2^bits slots.
  const bits = Math.ceil(Math.log2(Math.max(2, Number(persons?.n ?? 0))));
  const perfect = bits <= PERFECT_HASH_BITS_MAX ? Math.max(bits, PERFECT_HASH_BITS_DEFAULT) : PERFECT_HASH_BITS_DEFAULT;
  await c.run(`set global perfect_ht_threshold = ${perfect}`);
  const codes = (await c.runAndReadAll(`select column_name, code from ${g}.codes order by column_name, id`))
    .getRowObjectsJS()
    .map((r) => ({ column: String(r.column_name) as CodeColumn, code: String(r.code) }));
  const dictionary: Partial<Record<CodeColumn, string[]>> = {};
  for (const { column, code } of codes) {
    const list = dictionary[column] ?? [];
    list.push(code);
    dictionary[column] = list;
  }
  const info: GenerationInfo = {
    generation: n,
    dictionary: dictionary as CodeDictionary,
    personUnique: persons?.unique_persons === true,
  };
  return { ...info, fingerprint, source: adsCohortSource(info), leases: 0, retired: false };
}

function closedError(): MeridianError {
  return new MeridianError('MER_ADS_CLOSED', 'The analysis layer is closed (the node is shutting down)');
}

function refreshError(e: unknown): MeridianError {
  const message = e instanceof Error ? e.message : String(e);
  const error = new MeridianError(
    'MER_ADS_REFRESH_FAILED',
    `The analysis layer could not be rebuilt from DWD: ${message}`,
    { cause: message },
  );
  error.cause = e;
  return error;
}
