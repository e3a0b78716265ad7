/**
 * A Kysely dialect for PGlite. PGlite is one Postgres backend in this process: one session, so one
 * connection. The driver hands that connection to one caller at a time through a FIFO mutex, and Kysely
 * keeps it for the whole of a transaction, so a transaction is exclusive: no other query runs until it
 * commits or rolls back.
 *
 * Consequence for callers: inside `db.transaction().execute(async (trx) => …)` use `trx`, never `db`; a
 * query on `db` waits for the transaction to end, which it never does while the callback awaits it. That
 * wait is bounded (`waitTimeoutMs`), so the mistake surfaces as MER_STORE_UNAVAILABLE instead of a hang.
 */
import type { PGlite } from '@electric-sql/pglite';
import {
  AbortedTransactionError,
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { MeridianError } from '../errors/registry.ts';
import { Mutex, type Release } from './mutex.ts';

/** Options for {@link PGliteDialect}. */
export interface PGliteDialectOptions {
  /** An open PGlite; the dialect owns it from now on and closes it on `db.destroy()`. */
  pglite: PGlite;
  /** Callers allowed to wait for the single connection before new ones are refused (MER_STORE_UNAVAILABLE). */
  waitersMax?: number;
  /** Longest wait for the connection before MER_STORE_UNAVAILABLE (default 30 s). */
  waitTimeoutMs?: number;
  /** Runs after PGlite is closed (e.g. to release the data directory's lock file). */
  onClosed?: () => void;
}

const WAITERS_MAX_DEFAULT = 10_000;
const WAIT_TIMEOUT_MS_DEFAULT = 30_000;
const AFFECTING_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/** Kysely dialect over one PGlite instance: Postgres SQL, adapter and introspector; an exclusive connection. */
export class PGliteDialect implements Dialect {
  readonly #options: PGliteDialectOptions;

  constructor(options: PGliteDialectOptions) {
    this.#options = options;
  }

  /** The driver that serializes access to the PGlite session. */
  createDriver(): Driver {
    return new PGliteDriver(this.#options);
  }

  /** Postgres SQL, since PGlite is Postgres. */
  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  /** Postgres adapter (transactional DDL, RETURNING). */
  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  /** Postgres catalog introspection. */
  // biome-ignore lint/suspicious/noExplicitAny: Kysely's Dialect interface takes Kysely<any>.
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}

class PGliteDriver implements Driver {
  readonly #pglite: PGlite;
  readonly #mutex: Mutex;
  readonly #onClosed: (() => void) | undefined;
  readonly #connection: PGliteConnection;
  #release: Release | undefined;
  #closed = false;

  constructor(options: PGliteDialectOptions) {
    this.#pglite = options.pglite;
    this.#onClosed = options.onClosed;
    this.#connection = new PGliteConnection(options.pglite);
    const waitersMax = options.waitersMax ?? WAITERS_MAX_DEFAULT;
    const waitTimeoutMs = options.waitTimeoutMs ?? WAIT_TIMEOUT_MS_DEFAULT;
    this.#mutex = new Mutex({
      waitersMax,
      onQueueFull: () =>
        new MeridianError('MER_STORE_UNAVAILABLE', `The embedded database is busy: ${waitersMax} callers are waiting`, {
          waitersMax,
        }),
      waitTimeoutMs,
      onWaitTimeout: () =>
        new MeridianError(
          'MER_STORE_UNAVAILABLE',
          `Waited ${waitTimeoutMs} ms for the embedded database's one connection; a transaction holds it ` +
            '(inside db.transaction(), query through its trx, never through db)',
          { waitTimeoutMs },
        ),
    });
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.#mutex.acquire();
    if (this.#closed) {
      release();
      throw new MeridianError('MER_STORE_UNAVAILABLE', 'The embedded database is closed');
    }
    this.#release = release;
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const parts = ['start transaction'];
    if (settings.isolationLevel) parts.push(`isolation level ${settings.isolationLevel}`);
    if (settings.accessMode) parts.push(settings.accessMode);
    await connection.executeQuery(CompiledQuery.raw(parts.join(' ')));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const { rows } = await connection.executeQuery<{ command?: string }>(CompiledQuery.raw('commit'));
    // Postgres completes COMMIT of an aborted transaction with a ROLLBACK tag; Kysely's Postgres driver
    // turns that into AbortedTransactionError, and so do we.
    if (rows[0]?.command === 'ROLLBACK') throw new AbortedTransactionError();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdentifier(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint ${quoteIdentifier(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${quoteIdentifier(name)}`));
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    try {
      // The session is shared: never hand it on inside a transaction someone opened with raw SQL and left.
      if (!this.#closed && this.#pglite.isInTransaction()) await this.#pglite.query('rollback');
    } finally {
      release?.();
    }
  }

  async destroy(): Promise<void> {
    if (this.#closed) return;
    await this.#mutex.run(async () => {
      if (this.#closed) return;
      this.#closed = true;
      try {
        await this.#pglite.close();
      } finally {
        this.#onClosed?.();
      }
    });
  }
}

class PGliteConnection implements DatabaseConnection {
  readonly #pglite: PGlite;

  constructor(pglite: PGlite) {
    this.#pglite = pglite;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.#pglite.query<R>(compiledQuery.sql, [...compiledQuery.parameters], { rowMode: 'object' });
    const command = result.command?.toUpperCase();
    if (command === 'COMMIT' || command === 'ROLLBACK') return { rows: [{ command } as R] };
    return {
      rows: result.rows,
      ...(command && AFFECTING_COMMANDS.has(command)
        ? { numAffectedRows: BigInt(result.rowCount ?? result.affectedRows ?? 0) }
        : {}),
    };
  }

  /** PGlite has no server-side cursor outside a transaction, so this reads the result and yields it in chunks. */
  async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    if (!Number.isInteger(chunkSize) || chunkSize <= 0) throw new Error('chunkSize must be a positive integer');
    const { rows } = await this.executeQuery<R>(compiledQuery);
    for (let i = 0; i < rows.length; i += chunkSize) yield { rows: rows.slice(i, i + chunkSize) };
  }
}

/** Quotes a Postgres identifier ("a""b"). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
