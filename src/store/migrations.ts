/**
 * Versioned migrations. A folder owns its tables, so each folder exports its own ordered list
 * (`hubMigrations`, `ledgerMigrations`, …) and whoever opens the database passes the concatenation.
 * Applied ids are recorded in `meridian_migrations` with a checksum of the migration's code: a migration
 * that changed after it was applied is refused, never silently skipped.
 */
import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { MeridianError } from '../errors/registry.ts';

/** One schema change: `<folder>-NNNN-<what>` (e.g. 'hub-0001-users') and the code that applies it. */
export interface Migration {
  /** Stable id, `<folder>-NNNN-<what>`; never renamed or edited once released (add a new one instead). */
  readonly id: string;
  /** Applies the change; runs inside the migration's own transaction (DDL is transactional in Postgres). */
  // biome-ignore lint/suspicious/noExplicitAny: a migration sees tables before and after its change, no one DB type fits.
  up(db: Kysely<any>): Promise<void>;
}

/** The table recording applied migrations (in the database's schema). */
export const MIGRATIONS_TABLE = 'meridian_migrations';

/** `<folder>-NNNN-<what>`: lowercase folder, four digits, lowercase words joined by dashes. */
export const MIGRATION_ID = /^[a-z][a-z0-9]*-\d{4}-[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** SHA-256 of the migration's `up` source with whitespace runs collapsed, so reformatting is not a change. */
export function migrationChecksum(migration: Migration): string {
  const source = migration.up.toString().replace(/\s+/g, ' ').trim();
  return createHash('sha256').update(source).digest('hex');
}

interface AppliedRow {
  id: string;
  checksum: string;
}

/**
 * Applies the pending migrations in list order, each in its own transaction that also records it, and
 * returns the ids applied now. Every transaction first takes a transaction-scoped advisory lock for this
 * schema, so concurrent starts against one Postgres apply each migration exactly once.
 */
// biome-ignore lint/suspicious/noExplicitAny: runs before any folder's table types exist.
export async function applyMigrations(db: Kysely<any>, migrations: readonly Migration[]): Promise<string[]> {
  const checksums = validateMigrations(migrations);
  const applied = await db.transaction().execute(async (trx) => {
    await lockMigrations(trx);
    await sql`create table if not exists ${sql.table(MIGRATIONS_TABLE)} (
      id text primary key,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`.execute(trx);
    const rows = await trx.selectFrom(MIGRATIONS_TABLE).select(['id', 'checksum']).execute();
    return new Map((rows as AppliedRow[]).map((row) => [row.id, row.checksum]));
  });
  const appliedNow: string[] = [];
  for (const migration of migrations) {
    const checksum = checksums.get(migration.id) ?? '';
    const recorded = applied.get(migration.id);
    if (recorded !== undefined) {
      refuseChanged(migration.id, recorded, checksum);
      continue;
    }
    if (await applyOne(db, migration, checksum)) appliedNow.push(migration.id);
  }
  return appliedNow;
}

// biome-ignore lint/suspicious/noExplicitAny: see applyMigrations.
async function applyOne(db: Kysely<any>, migration: Migration, checksum: string): Promise<boolean> {
  try {
    return await db.transaction().execute(async (trx) => {
      await lockMigrations(trx);
      const row = (await trx
        .selectFrom(MIGRATIONS_TABLE)
        .select(['id', 'checksum'])
        .where('id', '=', migration.id)
        .executeTakeFirst()) as AppliedRow | undefined;
      if (row) {
        refuseChanged(migration.id, row.checksum, checksum); // another process applied it meanwhile
        return false;
      }
      await migration.up(trx);
      await trx.insertInto(MIGRATIONS_TABLE).values({ id: migration.id, checksum }).execute();
      return true;
    });
  } catch (e) {
    if (e instanceof MeridianError && e.code === 'MER_STORE_MIGRATION_FAILED') throw e;
    const cause = e instanceof Error ? e : new Error(String(e));
    const sqlState = (e as { code?: unknown }).code;
    const error = new MeridianError(
      'MER_STORE_MIGRATION_FAILED',
      `Migration ${migration.id} failed and was rolled back: ${cause.message}`,
      { id: migration.id, cause: cause.message, ...(typeof sqlState === 'string' ? { sqlState } : {}) },
    );
    error.cause = cause;
    throw error;
  }
}

// biome-ignore lint/suspicious/noExplicitAny: see applyMigrations.
async function lockMigrations(trx: Kysely<any>): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`${MIGRATIONS_TABLE}:`} || coalesce(current_schema(), ''), 0))`.execute(
    trx,
  );
}

/** Checks ids (form, uniqueness) and returns each migration's checksum by id. */
export function validateMigrations(migrations: readonly Migration[]): Map<string, string> {
  const checksums = new Map<string, string>();
  for (const migration of migrations) {
    if (!MIGRATION_ID.test(migration.id)) {
      throw new MeridianError(
        'MER_STORE_MIGRATION_FAILED',
        `Migration id ${JSON.stringify(migration.id)} is not of the form <folder>-NNNN-<what> (e.g. hub-0001-users)`,
        { id: migration.id },
      );
    }
    if (checksums.has(migration.id)) {
      throw new MeridianError('MER_STORE_MIGRATION_FAILED', `Migration ${migration.id} is listed twice`, {
        id: migration.id,
      });
    }
    checksums.set(migration.id, migrationChecksum(migration));
  }
  return checksums;
}

function refuseChanged(id: string, recorded: string, current: string): void {
  if (recorded === current) return;
  throw new MeridianError(
    'MER_STORE_MIGRATION_FAILED',
    `Migration ${id} was changed after it was applied (checksum ${recorded.slice(0, 12)}… recorded, ` +
      `${current.slice(0, 12)}… now); an applied migration must never change: add a new one instead`,
    { id, recordedChecksum: recorded, currentChecksum: current },
  );
}
