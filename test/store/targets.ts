/**
 * The database a store test runs against: PGlite by default, PostgreSQL when MERIDIAN_TEST_DATABASE_URL is
 * set. Every call gives a fresh, isolated database (a new PGlite, or a new schema dropped afterwards).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DatabaseDialect, dropSchema, type OpenDatabaseOptions } from '../../src/store/index.ts';

/** Where this run's database tests go. */
export const TARGET: DatabaseDialect = process.env.MERIDIAN_TEST_DATABASE_URL ? 'postgres' : 'pglite';

/** Open options for one isolated database, and how to clean it up. */
export interface FreshDatabase {
  options: Omit<OpenDatabaseOptions, 'migrations'>;
  cleanup(): Promise<void>;
}

/**
 * A fresh database for one test. `persistent` makes it reopenable with the same options: PGlite then lives
 * in a temp data directory instead of memory (a Postgres schema is always reopenable).
 */
export function freshDatabase(opts: { persistent?: boolean } = {}): FreshDatabase {
  const url = process.env.MERIDIAN_TEST_DATABASE_URL;
  if (url) {
    const schema = `t_${randomUUID().replaceAll('-', '')}`;
    return { options: { databaseUrl: url, schema }, cleanup: () => dropSchema({ databaseUrl: url, schema }) };
  }
  if (!opts.persistent) return { options: {}, cleanup: async () => {} };
  const dataDir = mkdtempSync(join(tmpdir(), 'meridian-db-'));
  return { options: { dataDir }, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
}

/** Registers cleanups that run last-in first-out after the test (close before removing the directory). */
export function deferrer(t: { after(fn: () => Promise<void>): void }): (fn: () => unknown) => void {
  const stack: Array<() => unknown> = [];
  t.after(async () => {
    for (const fn of stack.reverse()) await fn();
  });
  return (fn) => {
    stack.push(fn);
  };
}

/** A temp directory removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
