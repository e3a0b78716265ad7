/**
 * The node's lake: plain Parquet files, queried by DuckDB.
 *
 * ```
 * <dir>/<table>/[<key>=<value>/…]part-<batchId>.parquet     one file per batch, hive-style partitions
 * <dir>/<table>/…/.part-<batchId>.parquet.<pid>-<rand>.tmp   a batch being written (never read)
 * <dir>/.spill-<pid>/                                       DuckDB's spill space for big sorts and joins
 * ```
 *
 * A batch is written by DuckDB's COPY to a temp file in its final directory, fsynced, then renamed into
 * place and the directory fsynced: readers glob only `*.parquet`, so they see all of a batch or none of it.
 * The file name is the batch id, so writing a batch again is a no-op (idempotent per table and batch id).
 * Every table is a DuckDB view `read_parquet('<dir>/<table>/**\/*.parquet', hive_partitioning, union_by_name)`,
 * so any engine that reads hive-partitioned Parquet (Trino, Spark) reads the same lake.
 *
 * A load that spans many batches and tables is made visible at once: its batches are written into
 * `<dir>/.staging/<stage>/` (never read), then `publish` writes an intent file `<dir>/.publish/<stage>.json`
 * listing every move and retirement, fsyncs it, and carries it out; opening the lake finishes any intent it
 * finds (roll forward) and deletes staging directories that never got one (a load that died before publishing).
 *
 * One process writes a lake at a time (the node); others may read it. Opening cleans the temp files and
 * spill directories of processes that no longer run.
 */
import { randomBytes } from 'node:crypto';
import {
  type Dirent,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { type DuckDBConnection, DuckDBDataChunk, DuckDBInstance, type DuckDBValue, type JS } from '@duckdb/node-api';
import { MeridianError } from '../errors/registry.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { fsyncPath, processAlive } from './durable-fs.ts';
import {
  COLUMN_CODECS,
  type ColumnCodec,
  INVALID,
  type LakeColumnType,
  type LakeParam,
  type LakeResultValue,
  RESULT_CONVERTER,
  toDuckDBParam,
} from './lake-values.ts';
import { Mutex } from './mutex.ts';

/** Table, column and partition-key names: lowercase, start with a letter, at most 63 characters. */
export const LAKE_NAME = /^[a-z][a-z0-9_]{0,62}$/;
/** Batch ids: letters, digits, '_' and '-', at most 128 characters (they become file names). */
export const BATCH_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** Partition values: letters, digits, '_', '-' and '.', at most 128 characters, never '..'. */
export const PARTITION_VALUE = /^(?!.*\.\.)[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;
/** Most partition levels a table may have. */
export const PARTITION_DEPTH_MAX = 4;

const CHUNK_ROWS = 2048;
const STAGING_DIR = '.staging';
const PUBLISH_DIR = '.publish';
const WRITE_WAITERS_MAX = 1_000;
const TEMP_FILE = /^\.part-[A-Za-z0-9_-]+\.parquet\.(\d+)-[0-9a-f]+\.tmp$/;
const SPILL_DIR = /^\.spill-(\d+)$/;

/** Fields every batch has. */
interface BatchTarget {
  /** Lake table (directory and view name). */
  table: string;
  /** Idempotency key: a second write with the same id adds nothing. */
  batchId: string;
  /** Hive partition, e.g. `{ load_date: '2026-03-01' }`; a table keeps one set of keys, in one order. */
  partition?: Readonly<Record<string, string | number>>;
  /** Writes into this staging area instead (see {@link Lake.publish}); a batch already published is not redone. */
  stage?: string;
}

/** A batch given as rows with a declared column schema. */
export interface RowsBatch extends BatchTarget {
  /** Column name → type, in file order. */
  columns: Readonly<Record<string, LakeColumnType>>;
  /** Plain objects keyed by column name; a missing or undefined value is NULL; an undeclared key is refused. */
  rows: readonly Readonly<Record<string, unknown>>[];
}

/** A batch given as a DuckDB query (over the lake's views), e.g. to derive DWD from ODS. */
export interface SqlBatch extends BatchTarget {
  /** A SELECT statement; trusted code only, never text from a request. */
  fromSql: string;
  /** Positional parameters ($1, $2, …) for `fromSql`. */
  params?: readonly LakeParam[];
}

/** What {@link Lake.writeBatch} takes. */
export type WriteBatchOptions = RowsBatch | SqlBatch;

/** What {@link Lake.writeBatch} returns. */
export interface WriteBatchResult {
  /** Absolute path of the batch's Parquet file. */
  file: string;
  rowCount: number;
  bytes: number;
  /** False when the batch already existed and nothing was written. */
  created: boolean;
}

/** Size of a table, or of the whole lake. */
export interface TableStats {
  rows: number;
  bytes: number;
  files: number;
}

/** {@link Lake.stats}: per table and in total (what a node reports to the hub as its data volume). */
export interface LakeStats {
  tables: Record<string, TableStats>;
  total: TableStats & { tables: number };
}

/** An open lake. */
export interface Lake {
  /** Absolute path of the lake directory. */
  readonly dir: string;
  /** Writes one batch as one Parquet file, atomically and idempotently. */
  writeBatch(options: WriteBatchOptions): Promise<WriteBatchResult>;
  /** Removes a batch's file (atomic: one unlink); `deleted` is false when there was no such batch. */
  deleteBatch(options: { table: string; batchId: string }): Promise<{ deleted: boolean }>;
  /**
   * Makes every batch staged under `stage` visible and removes the `retire` batches, as one step that a crash
   * cannot leave half done (the intent is durable before the first rename). Returns the batches published.
   */
  publish(stage: string, retire?: readonly { table: string; batchId: string }[]): Promise<{ published: number }>;
  /** Deletes a staging area that will not be published (a failed load). */
  discardStage(stage: string): Promise<void>;
  /**
   * Stages a copy of a published batch without the rows `dropWhere` (DuckDB SQL over the batch's columns) matches,
   * under a new batch id: how one source file's rows leave a batch that several files share.
   */
  rewriteBatch(options: {
    table: string;
    batchId: string;
    newBatchId: string;
    stage: string;
    dropWhere: string;
    params?: readonly LakeParam[];
  }): Promise<WriteBatchResult>;
  /** True when a batch of the table is published (visible). */
  hasBatch(table: string, batchId: string): Promise<boolean>;
  /** Runs DuckDB SQL over the table views and returns plain rows (value mapping: lake-values.ts). */
  query<T extends Record<string, unknown> = Record<string, LakeResultValue>>(
    sql: string,
    params?: readonly LakeParam[],
  ): Promise<T[]>;
  /** Tables that hold at least one batch, sorted. */
  tables(): Promise<string[]>;
  /** Rows, bytes and files per table and in total (from the Parquet footers, not a scan). */
  stats(): Promise<LakeStats>;
  /** Closes DuckDB; waits for a running write. */
  close(): Promise<void>;
}

/**
 * Opens (creating if needed) the lake in `dir`, removing temp files and spill space that dead processes
 * left behind.
 *
 * @example
 * const lake = await openLake({ dir: join(dataDir, 'lake') });
 * await lake.writeBatch({ table: 'person', batchId: loadId, columns: { person_id: 'BIGINT' }, rows });
 * const [{ n }] = await lake.query<{ n: number }>('select count(*) as n from person');
 */
export async function openLake(options: { dir: string }): Promise<Lake> {
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  cleanOrphans(dir);
  const spill = join(dir, `.spill-${process.pid}`);
  const instance = await DuckDBInstance.create(':memory:', { temp_directory: spill });
  return new DuckDBLake(dir, instance, spill);
}

class DuckDBLake implements Lake {
  readonly dir: string;
  readonly #instance: DuckDBInstance;
  readonly #spill: string;
  readonly #writes = new Mutex({
    waitersMax: WRITE_WAITERS_MAX,
    onQueueFull: () =>
      new MeridianError('MER_LAKE_WRITE_FAILED', `The lake is busy: ${WRITE_WAITERS_MAX} writes are waiting`),
  });
  /** Serializes view creation and removal. */
  readonly #viewDdl = new Mutex({
    waitersMax: WRITE_WAITERS_MAX,
    onQueueFull: () =>
      new MeridianError('MER_LAKE_WRITE_FAILED', `The lake is busy: ${WRITE_WAITERS_MAX} queries are waiting`),
  });
  /** Tables that currently have a view. */
  readonly #views = new Set<string>();
  /** DuckDB work in flight, which close() lets finish before closing the instance. */
  readonly #running = new Set<Promise<unknown>>();
  /** Stats as of the last change through this Lake (one process writes a lake), so heartbeats cost no I/O. */
  #statsCache: LakeStats | undefined;
  #closed = false;

  constructor(dir: string, instance: DuckDBInstance, spill: string) {
    this.dir = dir;
    this.#instance = instance;
    this.#spill = spill;
  }

  async writeBatch(options: WriteBatchOptions): Promise<WriteBatchResult> {
    const { table, batchId } = options;
    assertName(table, 'table');
    assertBatchId(batchId);
    const partition = partitionSegments(options.partition ?? {});
    let produce: (temp: string) => Promise<number>;
    if ('rows' in options) {
      const codecs = columnCodecs(options.columns, options.partition ?? {});
      produce = (temp) => this.#copyRows(temp, codecs, options.rows);
    } else {
      produce = (temp) => this.#copySql(temp, options.fromSql, options.params ?? []);
    }
    if (options.stage !== undefined) assertBatchId(options.stage);
    return this.#writes.run(async () => {
      this.#assertOpen('write');
      const tableDir = join(this.dir, table);
      const existing = listParquet(tableDir);
      const name = `part-${batchId}.parquet`;
      const stageTableDir = options.stage === undefined ? undefined : join(this.dir, STAGING_DIR, options.stage, table);
      const previous =
        existing.find((file) => file.name === name) ??
        (stageTableDir === undefined ? undefined : listParquet(stageTableDir).find((file) => file.name === name));
      if (previous) {
        const rowCount = await this.#fileRows(previous.path);
        return { file: previous.path, rowCount, bytes: statSync(previous.path).size, created: false };
      }
      assertSameLayout(table, existing, partition);
      const targetDir = join(stageTableDir ?? tableDir, ...partition);
      makeDirectories(this.dir, targetDir);
      const file = join(targetDir, name);
      const temp = join(targetDir, `.${name}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
      try {
        const rowCount = await produce(temp);
        fsyncPath(temp);
        const bytes = statSync(temp).size;
        renameSync(temp, file);
        fsyncPath(targetDir);
        if (stageTableDir === undefined) this.#statsCache = undefined;
        return { file, rowCount, bytes, created: true }; // the next query's #syncViews makes a new table's view
      } catch (e) {
        rmSync(temp, { force: true });
        pruneEmptyDirectories(this.dir, targetDir);
        if (e instanceof MeridianError) throw e;
        const message = e instanceof Error ? e.message : String(e);
        const error = new MeridianError(
          'MER_LAKE_WRITE_FAILED',
          `Batch ${batchId} of table ${table} was not written: ${message}`,
          { table, batchId, cause: message },
        );
        error.cause = e;
        throw error;
      }
    });
  }

  async deleteBatch(options: { table: string; batchId: string }): Promise<{ deleted: boolean }> {
    assertName(options.table, 'table');
    assertBatchId(options.batchId);
    return this.#writes.run(async () => {
      this.#assertOpen('write');
      const tableDir = join(this.dir, options.table);
      const files = listParquet(tableDir);
      const doomed = files.filter((file) => file.name === `part-${options.batchId}.parquet`);
      if (doomed.length > 0) this.#statsCache = undefined;
      for (const file of doomed) {
        unlinkSync(file.path);
        fsyncPath(file.dir);
        pruneEmptyDirectories(this.dir, file.dir);
      }
      if (doomed.length > 0 && doomed.length === files.length) await this.#dropView(options.table);
      return { deleted: doomed.length > 0 };
    });
  }

  async publish(
    stage: string,
    retire: readonly { table: string; batchId: string }[] = [],
  ): Promise<{ published: number }> {
    assertBatchId(stage);
    for (const r of retire) {
      assertName(r.table, 'table');
      assertBatchId(r.batchId);
    }
    return this.#writes.run(async () => {
      this.#assertOpen('write');
      const stageDir = join(this.dir, STAGING_DIR, stage);
      const moves: PublishIntent['moves'] = [];
      for (const table of existsSync(stageDir) ? tableNames(stageDir) : []) {
        for (const file of listParquet(join(stageDir, table))) {
          moves.push({
            from: relative(this.dir, file.path),
            to: join(table, relative(join(stageDir, table), file.path)),
          });
        }
      }
      const deletes: string[] = [];
      for (const r of retire) {
        for (const file of listParquet(join(this.dir, r.table)))
          if (file.name === `part-${r.batchId}.parquet`) deletes.push(relative(this.dir, file.path));
      }
      if (moves.length === 0 && deletes.length === 0) {
        rmSync(stageDir, { recursive: true, force: true });
        return { published: 0 };
      }
      const intentDir = join(this.dir, PUBLISH_DIR);
      mkdirSync(intentDir, { recursive: true });
      const intent = join(intentDir, `${stage}.json`);
      writeFileAtomic(intent, JSON.stringify({ stage, moves, deletes } satisfies PublishIntent));
      this.#statsCache = undefined;
      completePublish(this.dir, intent);
      const tables = new Set([...moves.map((m) => m.to), ...deletes].map((path) => path.split(sep)[0] as string));
      for (const table of tables) if (listParquet(join(this.dir, table)).length === 0) await this.#dropView(table);
      return { published: moves.length };
    });
  }

  async discardStage(stage: string): Promise<void> {
    assertBatchId(stage);
    await this.#writes.run(async () => {
      rmSync(join(this.dir, STAGING_DIR, stage), { recursive: true, force: true });
    });
  }

  async rewriteBatch(options: {
    table: string;
    batchId: string;
    newBatchId: string;
    stage: string;
    dropWhere: string;
    params?: readonly LakeParam[];
  }): Promise<WriteBatchResult> {
    assertName(options.table, 'table');
    assertBatchId(options.batchId);
    const source = listParquet(join(this.dir, options.table)).find((f) => f.name === `part-${options.batchId}.parquet`);
    if (source === undefined) {
      throw new MeridianError(
        'MER_LAKE_WRITE_FAILED',
        `Batch ${options.batchId} of table ${options.table} does not exist, so it cannot be rewritten`,
        { table: options.table, batchId: options.batchId },
      );
    }
    if (source.keys.length > 0) {
      throw new MeridianError(
        'MER_LAKE_WRITE_FAILED',
        `Batch ${options.batchId} of table ${options.table} is partitioned; only unpartitioned batches can be rewritten`,
        { table: options.table, batchId: options.batchId },
      );
    }
    return this.writeBatch({
      table: options.table,
      batchId: options.newBatchId,
      stage: options.stage,
      fromSql: `select * from read_parquet(${sqlString(source.path)}) where not coalesce((${options.dropWhere}), false)`,
      params: options.params ?? [],
    });
  }

  async hasBatch(table: string, batchId: string): Promise<boolean> {
    assertName(table, 'table');
    assertBatchId(batchId);
    return listParquet(join(this.dir, table)).some((f) => f.name === `part-${batchId}.parquet`);
  }

  async query<T extends Record<string, unknown> = Record<string, LakeResultValue>>(
    sql: string,
    params: readonly LakeParam[] = [],
  ): Promise<T[]> {
    this.#assertOpen('read');
    await this.#syncViews(false);
    try {
      return (await this.#read(sql, params)) as T[];
    } catch (e) {
      // Another process may have emptied a table since the views were made; look again, once.
      if (!(e instanceof Error) || !e.message.includes('No files found that match the pattern')) throw mapQueryError(e);
      await this.#syncViews(true);
      return (await this.#read(sql, params).catch((again: unknown) => Promise.reject(mapQueryError(again)))) as T[];
    }
  }

  async tables(): Promise<string[]> {
    this.#assertOpen('read');
    return tableNames(this.dir).filter((table) => listParquet(join(this.dir, table)).length > 0);
  }

  async stats(): Promise<LakeStats> {
    // Under the write lock: a consistent snapshot, never a file deleted between listing and reading it.
    return this.#writes.run(async () => {
      this.#statsCache ??= await this.#stats();
      return this.#statsCache;
    });
  }

  async #stats(): Promise<LakeStats> {
    this.#assertOpen('read');
    const tables: Record<string, TableStats> = {};
    const total = { rows: 0, bytes: 0, files: 0, tables: 0 };
    for (const table of tableNames(this.dir)) {
      const files = listParquet(join(this.dir, table));
      if (files.length === 0) continue;
      const rows = await this.#read(
        `select coalesce(sum(num_rows), 0) as n from parquet_file_metadata(${sqlString(files.map((f) => f.path))})`,
        [],
      );
      const stats = {
        rows: Number(rows[0]?.n ?? 0),
        bytes: files.reduce((sum, file) => sum + statSync(file.path).size, 0),
        files: files.length,
      };
      tables[table] = stats;
      total.rows += stats.rows;
      total.bytes += stats.bytes;
      total.files += stats.files;
      total.tables++;
    }
    return { tables, total };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#writes.run(async () => {
      this.#closed = true;
      await Promise.allSettled(this.#running);
      this.#instance.closeSync();
      rmSync(this.#spill, { recursive: true, force: true });
    });
  }

  #assertOpen(use: 'read' | 'write'): void {
    if (!this.#closed) return;
    if (use === 'write') throw new MeridianError('MER_LAKE_WRITE_FAILED', 'The lake is closed');
    throw new Error('The lake is closed');
  }

  /** Runs `fn` on a connection of its own (DuckDB runs connections in parallel); close() waits for it. */
  async #withConnection<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const work = (async () => {
      const connection = await this.#instance.connect();
      try {
        return await fn(connection);
      } finally {
        connection.closeSync();
      }
    })();
    this.#running.add(work);
    try {
      return await work;
    } finally {
      this.#running.delete(work);
    }
  }

  async #read(sql: string, params: readonly LakeParam[]): Promise<Record<string, JS>[]> {
    return this.#withConnection(async (connection) => {
      const reader = await connection.runAndReadAll(sql, params.map(toDuckDBParam));
      return reader.convertRowObjects(RESULT_CONVERTER);
    });
  }

  async #fileRows(path: string): Promise<number> {
    const rows = await this.#read(`select num_rows as n from parquet_file_metadata(${sqlString(path)})`, []);
    return Number(rows[0]?.n ?? 0);
  }

  async #copyRows(temp: string, codecs: readonly [string, ColumnCodec][], rows: RowsBatch['rows']): Promise<number> {
    assertDeclaredKeys(rows, new Set(codecs.map(([column]) => column)));
    return this.#withConnection(async (connection) => {
      const columnsSql = codecs.map(([column, codec]) => `${quoteName(column)} ${codec.type.toString()}`).join(', ');
      await connection.run(`create temp table batch_rows (${columnsSql})`);
      const appender = await connection.createAppender('batch_rows');
      const types = codecs.map(([, codec]) => codec.type);
      for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
        const count = Math.min(CHUNK_ROWS, rows.length - start);
        const chunk = DuckDBDataChunk.create(types, count);
        chunk.setColumns(codecs.map(([column, codec]) => encodeColumn(rows, start, count, column, codec)));
        appender.appendDataChunk(chunk);
      }
      appender.closeSync();
      return copyToParquet(connection, 'batch_rows', temp, []);
    });
  }

  async #copySql(temp: string, fromSql: string, params: readonly LakeParam[]): Promise<number> {
    await this.#syncViews(false);
    return this.#withConnection((connection) => copyToParquet(connection, `(${fromSql})`, temp, params));
  }

  /** Brings the views in line with the table directories; view DDL runs one at a time (DuckDB refuses racing DDL). */
  async #syncViews(full: boolean): Promise<void> {
    await this.#viewDdl.run(async () => {
      const present = new Set(tableNames(this.dir));
      for (const table of this.#views) {
        if (!present.has(table) || (full && listParquet(join(this.dir, table)).length === 0))
          await this.#dropViewNow(table);
      }
      for (const table of present) {
        if (this.#views.has(table) && !full) continue;
        if (listParquet(join(this.dir, table)).length > 0) await this.#createView(table);
      }
    });
  }

  async #createView(table: string): Promise<void> {
    const glob = `${join(this.dir, table)}${sep}**${sep}*.parquet`;
    await this.#withConnection((connection) =>
      connection.run(
        `create or replace view ${quoteName(table)} as select * from read_parquet(${sqlString(glob)}, hive_partitioning = true, union_by_name = true)`,
      ),
    );
    this.#views.add(table);
  }

  async #dropView(table: string): Promise<void> {
    await this.#viewDdl.run(() => this.#dropViewNow(table));
  }

  async #dropViewNow(table: string): Promise<void> {
    await this.#withConnection((connection) => connection.run(`drop view if exists ${quoteName(table)}`));
    this.#views.delete(table);
  }
}

async function copyToParquet(
  connection: DuckDBConnection,
  source: string,
  temp: string,
  params: readonly LakeParam[],
): Promise<number> {
  const reader = await connection.runAndReadAll(
    `copy ${source} to ${sqlString(temp)} (format parquet, compression zstd)`,
    params.map(toDuckDBParam),
  );
  return Number(reader.getRowsJS()[0]?.[0] ?? 0);
}

function encodeColumn(
  rows: RowsBatch['rows'],
  start: number,
  count: number,
  column: string,
  codec: ColumnCodec,
): DuckDBValue[] {
  const values: DuckDBValue[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const raw = rows[start + i]?.[column];
    if (raw === null || raw === undefined) {
      values[i] = null;
      continue;
    }
    const value = codec.encode(raw);
    if (value === INVALID) {
      throw new MeridianError(
        'MER_LAKE_WRITE_FAILED',
        `Row ${start + i}, column ${column}: expected ${codec.expected}, got ${describe(raw)}`,
        { row: start + i, column, expected: codec.expected },
      );
    }
    values[i] = value;
  }
  return values;
}

function assertDeclaredKeys(rows: RowsBatch['rows'], declared: ReadonlySet<string>): void {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    for (const key in row) {
      if (!declared.has(key)) {
        throw new MeridianError(
          'MER_LAKE_WRITE_FAILED',
          `Row ${i} has column ${key}, which the batch does not declare`,
          {
            row: i,
            column: key,
          },
        );
      }
    }
  }
}

function describe(value: unknown): string {
  if (value instanceof Date) return 'an invalid Date';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  return `a ${typeof value} (${String(value).slice(0, 40)})`;
}

function columnCodecs(
  columns: Readonly<Record<string, LakeColumnType>>,
  partition: Readonly<Record<string, string | number>>,
): [string, ColumnCodec][] {
  const entries = Object.entries(columns);
  if (entries.length === 0) throw new MeridianError('MER_LAKE_INVALID_PATH', 'A batch needs at least one column');
  return entries.map(([column, type]) => {
    assertName(column, 'column');
    if (column in partition) {
      throw new MeridianError('MER_LAKE_INVALID_PATH', `Column ${column} is also a partition key`, { column });
    }
    const codec = COLUMN_CODECS[type];
    if (!codec) throw new MeridianError('MER_LAKE_INVALID_PATH', `Column ${column} has unknown type ${String(type)}`);
    return [column, codec];
  });
}

function partitionSegments(partition: Readonly<Record<string, string | number>>): string[] {
  const entries = Object.entries(partition);
  if (entries.length > PARTITION_DEPTH_MAX) {
    throw new MeridianError('MER_LAKE_INVALID_PATH', `At most ${PARTITION_DEPTH_MAX} partition keys are allowed`);
  }
  return entries.map(([key, raw]) => {
    assertName(key, 'partition key');
    const value = String(raw);
    if (!PARTITION_VALUE.test(value)) {
      throw new MeridianError(
        'MER_LAKE_INVALID_PATH',
        `Partition value ${JSON.stringify(value)} for ${key} is not allowed: use letters, digits, '_', '-', '.'`,
        { key, value },
      );
    }
    return `${key}=${value}`;
  });
}

interface ParquetFile {
  path: string;
  dir: string;
  name: string;
  /** Partition keys in path order. */
  keys: string[];
}

/** Every `*.parquet` under a table directory (hive directories only, bounded depth). */
function listParquet(tableDir: string): ParquetFile[] {
  const found: ParquetFile[] = [];
  const walk = (dir: string, keys: string[]) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const entry of entries) {
      if (entry.isFile() && entry.name.endsWith('.parquet') && !entry.name.startsWith('.')) {
        found.push({ path: join(dir, entry.name), dir, name: entry.name, keys });
      } else if (entry.isDirectory() && keys.length < PARTITION_DEPTH_MAX && entry.name.includes('=')) {
        walk(join(dir, entry.name), [...keys, entry.name.slice(0, entry.name.indexOf('='))]);
      }
    }
  };
  walk(tableDir, []);
  return found;
}

function assertSameLayout(table: string, existing: readonly ParquetFile[], partition: readonly string[]): void {
  const keys = partition.map((segment) => segment.slice(0, segment.indexOf('=')));
  const other = existing.find((file) => file.keys.join('/') !== keys.join('/'));
  if (other) {
    throw new MeridianError(
      'MER_LAKE_INVALID_PATH',
      `Table ${table} is partitioned by (${other.keys.join(', ')}); this batch gives (${keys.join(', ')})`,
      { table, partitionKeys: other.keys, given: keys },
    );
  }
}

function tableNames(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && LAKE_NAME.test(entry.name))
    .map((entry) => entry.name)
    .sort();
}

/** mkdir -p, then fsync each directory whose entry list changed, so the new path survives a crash. */
function makeDirectories(root: string, target: string): void {
  const first = mkdirSync(target, { recursive: true });
  if (first === undefined) return;
  const parts = relative(root, target).split(sep);
  let dir = root;
  fsyncPath(dir);
  for (const part of parts.slice(0, -1)) {
    dir = join(dir, part);
    fsyncPath(dir);
  }
}

function pruneEmptyDirectories(root: string, from: string): void {
  let dir = from;
  while (dir.startsWith(root + sep)) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty (or already gone): stop
    }
    dir = resolve(dir, '..');
  }
}

/** Removes temp files and spill directories whose process is gone (a crash mid-write leaves them). */
/** A publish in progress: paths relative to the lake directory. */
interface PublishIntent {
  stage: string;
  moves: { from: string; to: string }[];
  deletes: string[];
}

/** Carries out a durable publish intent; idempotent, so a crash at any point is finished by running it again. */
function completePublish(dir: string, intentFile: string): void {
  const intent = JSON.parse(readFileSync(intentFile, 'utf8')) as PublishIntent;
  const touched = new Set<string>();
  for (const m of intent.moves) {
    const from = join(dir, m.from);
    const to = join(dir, m.to);
    if (!existsSync(from)) continue;
    makeDirectories(dir, dirname(to));
    if (existsSync(to)) unlinkSync(from);
    else renameSync(from, to);
    touched.add(dirname(to));
  }
  for (const d of intent.deletes) {
    const path = join(dir, d);
    if (existsSync(path)) {
      unlinkSync(path);
      touched.add(dirname(path));
    }
  }
  for (const t of touched) if (existsSync(t)) fsyncPath(t);
  for (const d of intent.deletes) pruneEmptyDirectories(dir, dirname(join(dir, d)));
  unlinkSync(intentFile);
  fsyncPath(dirname(intentFile));
  rmSync(join(dir, STAGING_DIR, intent.stage), { recursive: true, force: true });
}

/** Finishes publishes a crash interrupted, then drops staging areas that were never published. */
function recoverStaging(dir: string): void {
  const intents = join(dir, PUBLISH_DIR);
  if (existsSync(intents)) {
    for (const name of readdirSync(intents).sort()) {
      if (name.endsWith('.json')) completePublish(dir, join(intents, name));
      else rmSync(join(intents, name), { force: true });
    }
  }
  rmSync(join(dir, STAGING_DIR), { recursive: true, force: true });
}

function cleanOrphans(dir: string): void {
  recoverStaging(dir);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const spill = SPILL_DIR.exec(entry.name);
    if (entry.isDirectory() && spill && !processAlive(Number(spill[1]))) {
      rmSync(join(dir, entry.name), { recursive: true, force: true });
    }
  }
  const walk = (current: string, depth: number) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith('.') && depth <= PARTITION_DEPTH_MAX) walk(path, depth + 1);
      const temp = TEMP_FILE.exec(entry.name);
      if (entry.isFile() && temp && Number(temp[1]) !== process.pid && !processAlive(Number(temp[1]))) unlinkSync(path);
    }
  };
  walk(dir, 0);
}

function assertName(name: string, what: string): void {
  if (typeof name !== 'string' || !LAKE_NAME.test(name)) {
    throw new MeridianError(
      'MER_LAKE_INVALID_PATH',
      `The ${what} name ${JSON.stringify(name)} is not allowed: use a lowercase letter, then up to 62 lowercase letters, digits or '_'`,
      { [what.replace(' ', '_')]: name },
    );
  }
}

function assertBatchId(batchId: string): void {
  if (typeof batchId !== 'string' || !BATCH_ID.test(batchId)) {
    throw new MeridianError(
      'MER_LAKE_INVALID_PATH',
      `The batch id ${JSON.stringify(batchId)} is not allowed: use up to 128 letters, digits, '_' or '-'`,
      { batchId },
    );
  }
}

function mapQueryError(e: unknown): unknown {
  const message = e instanceof Error ? e.message : '';
  const missing = /Table with name ([^\s]+) does not exist/.exec(message);
  if (!missing) return e;
  const table = missing[1] ?? '';
  const error = new MeridianError('MER_LAKE_TABLE_UNKNOWN', `The lake has no table ${table}`, { table });
  error.cause = e;
  return error;
}

function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A SQL string literal, or a list literal of them. */
function sqlString(value: string | readonly string[]): string {
  if (typeof value !== 'string') return `[${value.map((v) => sqlString(v)).join(', ')}]`;
  return `'${value.replaceAll("'", "''")}'`;
}
