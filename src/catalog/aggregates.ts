/**
 * A node's catalog and dashboard aggregates, computed with DuckDB over its lake: rows and bytes per DWD table,
 * distinct persons and visits, ODS files, bytes and records read, loads by day, and for every field its
 * non-null share and (where the catalog allows one, definitions.ts) a disclosure-controlled value distribution.
 * Fields encrypted at rest are only counted (non-null ciphertexts), never decrypted or summarized.
 *
 *   lake.stats ─► rows/bytes per table ──────────────┐
 *   per table: count(*), count(field)… ─► coverage   ├─► suppress (disclosure.ts) ─► NodeAggregates
 *   per field: top values | years | quantiles ► bins ┘
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DwdTable } from '../model/dwd.ts';
import type { LoadRow } from '../pipeline/service.ts';
import type { Lake, LakeParam } from '../store/index.ts';
import { CATALOG_TABLE_NAMES, type CatalogField, catalogTable } from './definitions.ts';
import {
  planBins,
  shapeCategories,
  shapeHistogram,
  suppressCells,
  suppressCount,
  TOP_CATEGORIES_MAX,
  YEARS_MAX,
} from './disclosure.ts';
import { LOAD_HISTORY_DAYS, loadDays } from './history.ts';
import type { Distribution, FieldAggregate, NodeAggregates } from './schemas.ts';

/** Loads a node reads for its history and ODS record total (the newest first). */
export const LOADS_READ_MAX = 500;
/** ODS entries walked at most (files and their two-hex-digit directories). */
export const ODS_ENTRIES_MAX = 1_000_000;

/** What {@link nodeAggregates} reads. */
export interface AggregatesDeps {
  lake: Lake;
  /** The node's newest loads (IngestService.loads). */
  loads: (limit: number) => Promise<LoadRow[]>;
  /** The ODS directory (`<dataDir>/ods`, one file per SHA-256 under a two-hex-digit directory). */
  odsDir: string;
  /** The consortium's minimum cell size (node.federation.minCell). */
  minCell: number;
  now: () => Date;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** Files and bytes in the ODS directory (bounded walk; a missing directory is an empty ODS). */
function odsVolume(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  let seen = 0;
  const list = (d: string) => {
    try {
      return readdirSync(d, { withFileTypes: true });
    } catch {
      return [];
    }
  };
  for (const top of list(dir)) {
    if (!top.isDirectory() || seen++ > ODS_ENTRIES_MAX) continue;
    for (const entry of list(join(dir, top.name))) {
      if (!entry.isFile() || entry.name.startsWith('.') || seen++ > ODS_ENTRIES_MAX) continue;
      files += 1;
      bytes += statSync(join(dir, top.name, entry.name)).size;
    }
  }
  return { files, bytes };
}

async function distributionOf(
  lake: Lake,
  table: DwdTable,
  field: CatalogField,
  nonNull: number,
  minCell: number,
): Promise<Distribution | null> {
  const col = quote(field.name);
  const from = `${quote(table)} where ${col} is not null`;
  const categories = async (expr: string, limit: number, kind: 'categories' | 'years') => {
    const rows = await lake.query<{ v: string; n: unknown }>(
      `select cast(${expr} as varchar) as v, count(*) as n from ${from} group by 1 order by n desc, v limit $1`,
      [limit],
    );
    const counts = rows.map((r) => ({ value: String(r.v), count: num(r.n) }));
    return shapeCategories({ kind, counts, nonNull, minCell, topMax: limit });
  };
  switch (field.distribution) {
    case 'none':
      return null;
    case 'categories':
      return categories(col, TOP_CATEGORIES_MAX, 'categories');
    case 'years':
      return categories(`year(${col})`, YEARS_MAX, 'years');
    case 'histogram': {
      const finite = `(select cast(${col} as double) as x from ${from}) where isfinite(x)`;
      const [q] = await lake.query<{ lo: unknown; hi: unknown }>(
        `select approx_quantile(x, 0.02) as lo, approx_quantile(x, 0.98) as hi from ${finite}`,
      );
      if (q?.lo === null || q?.lo === undefined || q.hi === null || q.hi === undefined) {
        return { kind: 'histogram', bins: [] };
      }
      const plan = planBins(Number(q.lo), Number(q.hi));
      const params: LakeParam[] = [plan.lo, plan.width, plan.bins];
      const rows = await lake.query<{ b: unknown; n: unknown }>(
        `select case when x < $1 then -1 when x >= $1 + $3 * $2 then $3
           else least($3 - 1, cast(floor((x - $1) / $2) as bigint)) end as b, count(*) as n
         from ${finite} group by 1`,
        params,
      );
      return shapeHistogram(plan, new Map(rows.map((r) => [num(r.b), num(r.n)])), minCell);
    }
  }
}

async function tableAggregates(
  lake: Lake,
  table: DwdTable,
  minCell: number,
): Promise<{ rows: number; fields: Record<string, FieldAggregate> }> {
  const present = new Set(
    (
      await lake.query<{ column_name: string }>(
        'select column_name from information_schema.columns where table_name = $1',
        [table],
      )
    ).map((r) => r.column_name),
  );
  const fields = catalogTable(table).fields.filter((f) => present.has(f.name));
  const counts = fields.map((f, i) => `count(${quote(f.name)}) as c${i}`);
  const [row] = await lake.query(`select ${['count(*) as n', ...counts].join(', ')} from ${quote(table)}`);
  const rows = num(row?.n);
  const out: Record<string, FieldAggregate> = {};
  for (const [i, field] of fields.entries()) {
    const nonNull = num(row?.[`c${i}`]);
    const [shown, missing] = suppressCells([nonNull, rows - nonNull], minCell);
    const share = shown === null || missing === null || rows === 0 ? null : nonNull / rows;
    const distribution = shown === null ? null : await distributionOf(lake, table, field, nonNull, minCell);
    out[field.name] = { nonNull: shown ?? null, share, distribution };
  }
  return { rows, fields: out };
}

/** The node's aggregates for the hub's catalog and dashboard (see the module comment). */
export async function nodeAggregates(deps: AggregatesDeps): Promise<NodeAggregates> {
  const now = deps.now();
  const stats = await deps.lake.stats();
  const inLake = new Set(await deps.lake.tables());
  const loads = await deps.loads(LOADS_READ_MAX);
  const tables: NodeAggregates['dwd']['tables'] = {};
  const fields: NodeAggregates['fields'] = {};
  let rows = 0;
  let bytes = 0;
  for (const table of CATALOG_TABLE_NAMES) {
    if (!inLake.has(table)) continue;
    const agg = await tableAggregates(deps.lake, table, deps.minCell);
    const tableBytes = stats.tables[table]?.bytes ?? 0;
    rows += agg.rows;
    bytes += tableBytes;
    tables[table] = { rows: suppressCount(agg.rows, deps.minCell), bytes: tableBytes };
    fields[table] = agg.fields;
  }
  const single = async (sql: string) => num((await deps.lake.query(sql))[0]?.n);
  const persons = inLake.has('person') ? await single('select count(distinct person_id) as n from person') : 0;
  const visits = inLake.has('visit_occurrence') ? await single('select count(*) as n from visit_occurrence') : 0;
  const records = loads.filter((l) => l.status === 'completed').reduce((s, l) => s + l.recordsRead, 0);
  return {
    takenAt: now.toISOString(),
    minCell: deps.minCell,
    persons: suppressCount(persons, deps.minCell),
    visits: suppressCount(visits, deps.minCell),
    ods: { ...odsVolume(deps.odsDir), records },
    dwd: { rows, bytes, tables },
    loads: loadDays(loads, { now, days: LOAD_HISTORY_DAYS }),
    fields,
  };
}
