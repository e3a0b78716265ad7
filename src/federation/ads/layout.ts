/**
 * The tables of one analysis-layer generation and the SQL that builds them from DWD Parquet files; pure (the
 * I/O is in analysis-layer.ts). A generation lives in its own DuckDB schema `g<N>`:
 *
 * ```
 * person_ids   person_id INTEGER (dense, in person_id order), dwd_person_id VARCHAR     one row per DWD person_id
 * person       person_id, gender, birth_key BIGINT (year·10000+month·100+day)          distinct rows, by person_id
 * codes        column_name, id INTEGER (position in byte order), code                  every distinct code per column
 * <event>      <code column> INTEGER id, person_id INTEGER, <day> DATE [, values]      sorted by code, person, day
 *              condition_occurrence · measurement (measured_on: the Beijing day) · drug_exposure ·
 *              procedure_occurrence · visit_occurrence (visit_type first) · observation · death
 * ```
 *
 * Rows the cohort semantics never count are left out: events of a person_id with no person row, with a NULL
 * person_id or without a date. Everything else is derived with the DWD compiler's own expressions (the Beijing day of
 * a measurement, the birth key), so the two read the same rows the same way.
 */
import { type DwdTable, lakeColumns } from '../../model/dwd.ts';
import { type CodeColumn, DWD_BIRTH_KEY, EVENT_SOURCES, type EventKind } from '../cohort/index.ts';

/** The event tables of the layer: the code column (dictionary-coded), the day column and the values kept. */
export const ADS_EVENT_TABLES = {
  condition_occurrence: { code: 'condition_code', day: 'condition_date', values: [] },
  measurement: { code: 'measurement_code', day: 'measured_on', values: ['value'] },
  drug_exposure: { code: 'atc_code', day: 'start_date', values: [] },
  procedure_occurrence: { code: 'procedure_code', day: 'procedure_date', values: [] },
  visit_occurrence: { code: undefined, day: 'start_date', values: ['visit_type'] },
  observation: { code: 'observation_code', day: 'observed_on', values: ['value_text', 'value_number'] },
  death: { code: 'cause_code', day: 'death_date', values: [] },
} as const satisfies Partial<
  Record<DwdTable, { code: CodeColumn | undefined; day: string; values: readonly string[] }>
>;

/** An event table of the layer. */
export type AdsEventTable = keyof typeof ADS_EVENT_TABLES;

/** Every DWD table the layer reads. */
export const ADS_SOURCE_TABLES: readonly DwdTable[] = ['person', ...(Object.keys(ADS_EVENT_TABLES) as AdsEventTable[])];

/** The event kind whose rows live in each event table. */
const KIND_OF_TABLE = Object.fromEntries(
  (Object.entries(EVENT_SOURCES) as [EventKind, { table: DwdTable }][]).map(([kind, s]) => [s.table, kind]),
) as Record<AdsEventTable, EventKind>;

/** The DuckDB schema of generation `n`. */
export function generationSchema(n: number): string {
  return `g${n}`;
}

/** Generation schemas are `g` and digits; anything else in the database is not a generation. */
export const GENERATION_SCHEMA = /^g([1-9][0-9]{0,8})$/;

/** What the build needs to know about the DWD files. */
export interface DwdSnapshot {
  /** Parquet files per table (absolute paths); a table without files reads as empty. */
  files: Readonly<Partial<Record<DwdTable, readonly string[]>>>;
  /** Columns those files have per table (from their footers); a canonical column they lack reads as NULL. */
  columns: Readonly<Partial<Record<DwdTable, ReadonlySet<string>>>>;
}

/**
 * The statements that build generation `n` from the DWD files, in order; each is one `create`, so a failure leaves
 * only a schema that the layer drops. Paths are embedded as SQL string literals (they come from the lake's own file
 * listing, never from a request).
 */
export function buildStatements(n: number, dwd: DwdSnapshot): string[] {
  const g = generationSchema(n);
  const rel = (table: DwdTable) => dwdRelation(table, dwd);
  const codeColumns = Object.entries(ADS_EVENT_TABLES).flatMap(([table, spec]) =>
    spec.code === undefined ? [] : [{ table: table as AdsEventTable, column: spec.code as CodeColumn }],
  );
  const distinctCodes = codeColumns.map(
    ({ table, column }) =>
      `select distinct '${column}' as column_name, e.${column} as code from ${rel(table)} e where e.${column} is not null`,
  );
  const statements = [
    `create schema ${g}`,
    `create table ${g}.person_ids as select (row_number() over (order by dwd_person_id) - 1)::integer as person_id, dwd_person_id from (select distinct e.person_id as dwd_person_id from ${rel('person')} e where e.person_id is not null)`,
    `create table ${g}.person as select distinct k.person_id, e.gender, ${DWD_BIRTH_KEY} as birth_key from ${rel('person')} e join ${g}.person_ids k on k.dwd_person_id = e.person_id order by k.person_id`,
    `create table ${g}.codes as select column_name, (row_number() over (partition by column_name order by code) - 1)::integer as id, code from (${distinctCodes.join(' union all ')})`,
  ];
  for (const [table, spec] of Object.entries(ADS_EVENT_TABLES) as [
    AdsEventTable,
    (typeof ADS_EVENT_TABLES)[AdsEventTable],
  ][]) {
    const day = EVENT_SOURCES[KIND_OF_TABLE[table]].date;
    const code = spec.code === undefined ? [] : [`d.id as ${spec.code}`];
    const values = spec.values.map((v) => `e.${v}`);
    const columns = [...code, ...values, 'k.person_id', `${day} as ${spec.day}`];
    const codeJoin =
      spec.code === undefined
        ? ''
        : ` left join (select id, code from ${g}.codes where column_name = '${spec.code}') d on d.code = e.${spec.code}`;
    const order =
      spec.code === undefined ? `e.${spec.values[0]}, k.person_id, ${spec.day}` : `d.id, k.person_id, ${spec.day}`;
    statements.push(
      `create table ${g}.${table} as select ${columns.join(', ')} from ${rel(table)} e join ${g}.person_ids k on k.dwd_person_id = e.person_id${codeJoin} where ${day} is not null order by ${order}`,
    );
  }
  return statements;
}

/**
 * A DWD table as the compiler sees it: its files read as one relation (hive partitions, columns by name, as the
 * lake's views read them) with the canonical columns and types; a column no file has is NULL, no files an empty
 * relation.
 */
export function dwdRelation(table: DwdTable, dwd: DwdSnapshot): string {
  const files = dwd.files[table] ?? [];
  const have = dwd.columns[table] ?? new Set<string>();
  const columns = Object.entries(lakeColumns(table)).map(([name, type]) =>
    files.length > 0 && have.has(name)
      ? `cast("${name}" as ${type}) as "${name}"`
      : `cast(null as ${type}) as "${name}"`,
  );
  if (files.length === 0) return `(select ${columns.join(', ')} where false)`;
  return `(select ${columns.join(', ')} from read_parquet(${sqlStrings(files)}, hive_partitioning = true, union_by_name = true))`;
}

/** A DuckDB string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A DuckDB list literal of string literals. */
export function sqlStrings(values: readonly string[]): string {
  return `[${values.map(sqlString).join(', ')}]`;
}
