/**
 * Where compiled cohort SQL reads a node's data. The compiler fixes the plan (one CTE per table, person-level
 * booleans); a source says how each piece is read: the DWD views over Parquet (`dwdSource`, the default), or the
 * analysis layer's DuckDB tables with integer person keys and dictionary-coded codes (src/federation/ads). Both
 * must give the same cohort for the same rows: the property tests hold each of them to the reference evaluator.
 *
 * Every relation a source names has, on alias `e`, the DWD column names the compiler uses (`person_id`, `gender`,
 * the code columns, `value`, `value_text`, `value_number`, `visit_type`); the rest goes through the methods below.
 */
import { type DwdTable, lakeColumns } from '../../model/dwd.ts';
import type { LakeParam } from '../../store/index.ts';
import type { EventKind } from './schema.ts';

/** Columns that hold standard codes, compared by {@link CohortSource.codeMatch}. */
export type CodeColumn =
  | 'condition_code'
  | 'atc_code'
  | 'procedure_code'
  | 'cause_code'
  | 'measurement_code'
  | 'observation_code';

/** Collects positional parameters: `add` returns the placeholder (`$1`, `$2`, …) of the value it keeps. */
export interface SqlParams {
  add(value: LakeParam): string;
}

/** How compiled SQL reads the node's data (see the file comment). */
export interface CohortSource {
  /** The FROM item of a table (the compiler adds alias `e`). */
  relation(table: DwdTable): string;
  /** The clinical day (a DATE) of an event row on alias `e`. */
  eventDate(kind: EventKind): string;
  /** An aggregate over the index event rows (alias `e`): the key year·10000 + month·100 + day of the first day. */
  indexDateKey(kind: EventKind): string;
  /** The birth key of a person row on alias `e`: year·10000 + month·100 + day of birth_date, else year_of_birth·10000. */
  readonly birthKey: string;
  /** Predicate on alias `e`: the code column holds one of `codes`, or (descendants) a code that starts with one. */
  codeMatch(column: CodeColumn, codes: readonly string[], descendants: boolean, params: SqlParams): string;
  /** True when `person` has at most one row per person_id, so the person CTE needs no GROUP BY. */
  readonly personUnique: boolean;
  /**
   * True when no relation has a NULL person_id, so the compiler adds no `person_id is not null` filters (DuckDB
   * guesses such a filter keeps a fifth of the rows, and then builds its hash joins on the wrong side).
   */
  readonly personIdsNotNull: boolean;
  /** How member lists turn the CTE `p`'s person_id into the node's person_id: a join clause and the column. */
  readonly memberId: { join: string; column: string };
}

/** Where each kind of event lives in DWD: its table, and the expression of its clinical date (a DATE) on alias `e`. */
export const EVENT_SOURCES: Readonly<Record<EventKind, { table: DwdTable; date: string }>> = {
  diagnosis: { table: 'condition_occurrence', date: 'e.condition_date' },
  // measured_at is a UTC instant; the clinical day is the day in Beijing time (UTC+8, no daylight saving).
  lab: { table: 'measurement', date: "cast(e.measured_at + interval '8 hours' as date)" },
  drug: { table: 'drug_exposure', date: 'e.start_date' },
  procedure: { table: 'procedure_occurrence', date: 'e.procedure_date' },
  visit: { table: 'visit_occurrence', date: 'e.start_date' },
  observation: { table: 'observation', date: 'e.observed_on' },
  death: { table: 'death', date: 'e.death_date' },
};

/** The key year·10000 + month·100 + day of a DATE expression: it orders as the dates do. */
export function dateKeyOf(date: string): string {
  return `(year(${date}) * 10000 + month(${date}) * 100 + day(${date}))`;
}

/** The birth key of a DWD person row on alias `e` (see {@link CohortSource.birthKey}). */
export const DWD_BIRTH_KEY = `coalesce(${dateKeyOf('e.birth_date')}, e.year_of_birth * 10000)`;

/**
 * The DWD views of a lake. Tables not in `present` (the lake never received them) are empty relations of their
 * canonical columns, so their criteria match no one.
 */
export function dwdSource(present: ReadonlySet<string>): CohortSource {
  return {
    relation: (table) => {
      if (present.has(table)) return `"${table}"`;
      const columns = Object.entries(lakeColumns(table)).map(([name, type]) => `cast(null as ${type}) as "${name}"`);
      return `(select ${columns.join(', ')} where false)`;
    },
    eventDate: (kind) => EVENT_SOURCES[kind].date,
    indexDateKey: (kind) => dateKeyOf(`min(${EVENT_SOURCES[kind].date})`),
    birthKey: DWD_BIRTH_KEY,
    codeMatch: (column, codes, descendants, params) => {
      const distinct = [...new Set(codes)];
      if (!descendants) return `e.${column} in (${distinct.map((c) => params.add(c)).join(', ')})`;
      // A code under another one of the list adds nothing to a prefix test.
      const roots = distinct.filter((c) => !distinct.some((other) => other !== c && c.startsWith(other)));
      const tests = roots.map((c) => `starts_with(e.${column}, ${params.add(c)})`);
      return tests.length === 1 ? (tests[0] as string) : `(${tests.join(' or ')})`;
    },
    personUnique: false,
    personIdsNotNull: false,
    memberId: { join: '', column: 'p.person_id' },
  };
}
