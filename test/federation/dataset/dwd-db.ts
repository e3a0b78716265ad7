/**
 * A real in-memory DuckDB holding DWD tables with the canonical column names and types (src/model/dwd.ts, lineage
 * columns included), for the dataset compiler's tests. Results come back through the lake's value mapping
 * (DATE as 'YYYY-MM-DD', integers as numbers), exactly as `lake.query` returns them on a node.
 */
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { DWD_TABLES, type DwdTable, lakeColumns } from '../../../src/model/dwd.ts';
import { type LakeParam, RESULT_CONVERTER, toDuckDBParam } from '../../../src/store/lake-values.ts';

/** A DWD row: dates 'YYYY-MM-DD', measured_at an ISO instant ('…Z'), null (or absent) for missing. */
export type Row = Readonly<Record<string, string | number | boolean | null>>;

/** Rows per DWD table. */
export type Dataset = Partial<Record<DwdTable, readonly Row[]>>;

/** An open in-memory DWD database. */
export interface DwdDb {
  /** Replaces every table in `tables` (default: every DWD table) with the dataset's rows (none when absent). */
  load(data: Dataset, tables?: readonly DwdTable[]): Promise<void>;
  query(sql: string, params?: readonly LakeParam[]): Promise<Record<string, unknown>[]>;
  close(): void;
}

/** Opens an empty in-memory DuckDB. */
export async function openDwdDb(): Promise<DwdDb> {
  const instance = await DuckDBInstance.create(':memory:');
  const db: DuckDBConnection = await instance.connect();
  return {
    async load(data, tables = Object.keys(DWD_TABLES) as DwdTable[]) {
      for (const table of Object.keys(DWD_TABLES) as DwdTable[]) await db.run(`drop table if exists ${table}`);
      for (const table of tables) {
        const types = lakeColumns(table);
        await db.run(
          `create table ${table} (${Object.entries(types)
            .map(([n, t]) => `${n} ${t}`)
            .join(', ')})`,
        );
        const rows = data[table] ?? [];
        if (rows.length === 0) continue;
        const names = Object.keys(types).filter((n) => rows.some((r) => r[n] !== undefined && r[n] !== null));
        if (names.length === 0) continue;
        const params: LakeParam[] = [];
        const tuples = rows.map(
          (r) =>
            `(${names
              .map((n) => {
                const value = r[n] ?? null;
                params.push(types[n] === 'TIMESTAMP' && typeof value === 'string' ? new Date(value) : value);
                return `cast($${params.length} as ${types[n]})`;
              })
              .join(', ')})`,
        );
        await db.run(
          `insert into ${table} (${names.join(', ')}) values ${tuples.join(', ')}`,
          params.map(toDuckDBParam),
        );
      }
    },
    async query(sql, params = []) {
      const reader = await db.runAndReadAll(sql, params.map(toDuckDBParam));
      return reader.convertRowObjects(RESULT_CONVERTER);
    },
    close() {
      db.closeSync();
      instance.closeSync();
    },
  };
}

const DAY_MS = 86_400_000;

/** Days from `from` to `to` (both 'YYYY-MM-DD'). */
export function daysBetween(from: string, to: string): number {
  return (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS;
}
