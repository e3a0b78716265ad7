/**
 * The catalog's answers as pure functions of the cached node snapshots: the table list (definitions, level,
 * rows per hospital) and one table's fields (definitions, level, coverage and distribution per hospital).
 * Every count in them was disclosure-controlled by its node; nothing here adds or derives a count.
 */
import { CATALOG, type CatalogField, type CatalogTable } from '../../catalog/definitions.ts';
import type { Distribution } from '../../catalog/schemas.ts';
import type { NodeSnapshot } from './aggregates-cache.ts';

/** A hospital as the catalog lists it: whether its figures are fresh and when they were taken. */
export interface CatalogHospital {
  node: string;
  displayName: string;
  status: NodeSnapshot['status'];
  takenAt: string | null;
}

/** One table in the list. */
export interface CatalogTableSummary {
  name: CatalogTable['name'];
  zh: string;
  en: string;
  level: CatalogTable['level'];
  fields: number;
  /** Rows per hospital (null: under the minimum cell; absent: the hospital has not reported). */
  rows: { node: string; rows: number | null }[];
}

/** Body of `GET /api/catalog`. */
export interface CatalogListResponse {
  hospitals: CatalogHospital[];
  tables: CatalogTableSummary[];
}

/** One field with its figures at every hospital that reported. */
export interface CatalogFieldView extends CatalogField {
  coverage: { node: string; nonNull: number | null; share: number | null }[];
  distributions: { node: string; distribution: Distribution }[];
}

/** Body of `GET /api/catalog/:table`. */
export interface CatalogTableResponse {
  hospitals: CatalogHospital[];
  table: Omit<CatalogTableSummary, 'fields'>;
  fields: CatalogFieldView[];
}

function hospitals(nodes: readonly NodeSnapshot[]): CatalogHospital[] {
  return nodes.map((n) => ({ node: n.node, displayName: n.displayName, status: n.status, takenAt: n.takenAt }));
}

function rowsOf(table: CatalogTable, nodes: readonly NodeSnapshot[]): CatalogTableSummary['rows'] {
  return nodes.flatMap((n) =>
    n.aggregates ? [{ node: n.node, rows: n.aggregates.dwd.tables[table.name]?.rows ?? 0 }] : [],
  );
}

/** The table list. */
export function catalogListView(nodes: readonly NodeSnapshot[]): CatalogListResponse {
  return {
    hospitals: hospitals(nodes),
    tables: CATALOG.map((t) => ({
      name: t.name,
      zh: t.zh,
      en: t.en,
      level: t.level,
      fields: t.fields.length,
      rows: rowsOf(t, nodes),
    })),
  };
}

/** One table's fields with coverage and distributions per hospital. */
export function catalogTableView(table: CatalogTable, nodes: readonly NodeSnapshot[]): CatalogTableResponse {
  const reported = nodes.filter((n) => n.aggregates !== null);
  return {
    hospitals: hospitals(nodes),
    table: { name: table.name, zh: table.zh, en: table.en, level: table.level, rows: rowsOf(table, nodes) },
    fields: table.fields.map((f) => {
      const at = reported.map((n) => ({ node: n.node, agg: n.aggregates?.fields[table.name]?.[f.name] ?? null }));
      return {
        ...f,
        coverage: at.map(({ node, agg }) => ({ node, nonNull: agg ? agg.nonNull : 0, share: agg ? agg.share : null })),
        distributions: at.flatMap(({ node, agg }) =>
          f.distribution !== 'none' && agg?.distribution ? [{ node, distribution: agg.distribution }] : [],
        ),
      };
    }),
  };
}
