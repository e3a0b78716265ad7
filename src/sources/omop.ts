/**
 * OMOP CDM CSV import for networks that already hold OMOP data: a file is recognized as a CDM v5.4 table by
 * its name (`person.csv`, `VISIT_OCCURRENCE.csv`, `measurement.tsv` …), its header must hold every required
 * column of that table (in any order and case), and each row's values are converted to the column types —
 * a row with an empty required value, a value of the wrong type or an over-long text is a reject.
 * Reading, encodings and delimiters are the CSV reader's.
 */
import { basename } from 'node:path';
import { MeridianError } from '../errors/registry.ts';
import { type CsvInfo, type CsvOptions, openCsv } from './csv.ts';
import { OMOP_TABLE_SPECS } from './omop-tables.ts';
import { type RejectCode, reject, type SourceFile, type SourceReader } from './types.ts';

/** The value types of OMOP CDM columns. */
export type OmopType = 'int' | 'float' | 'date' | 'datetime' | 'text';

/** One column of an OMOP table. */
export interface OmopColumn {
  name: string;
  type: OmopType;
  /** Longest text in characters (varchar(n)); absent for varchar(MAX) and non-text columns. */
  maxLength?: number;
  required: boolean;
}

/** Parses the compact `column type[!]` lists of omop-tables.ts. */
function parseSpec(spec: string): OmopColumn[] {
  return spec.split(', ').map((item) => {
    const m = /^(\w+) (int|float|date|datetime|text)(?:\((\d+)\))?(!?)$/.exec(item);
    if (!m) throw new Error(`bad OMOP column spec "${item}"`);
    const col: OmopColumn = { name: m[1] as string, type: m[2] as OmopType, required: m[4] === '!' };
    if (m[3] !== undefined) col.maxLength = Number(m[3]);
    return col;
  });
}

/** The OMOP CDM v5.4 tables and their columns. */
export const OMOP_TABLES: Readonly<Record<string, readonly OmopColumn[]>> = Object.fromEntries(
  Object.entries(OMOP_TABLE_SPECS).map(([table, spec]) => [table, parseSpec(spec)]),
);

/** The OMOP table a file name names (`person.csv` → `person`), if it names one. */
export function omopTableOf(file: string): string | undefined {
  const m = /^(.+)\.(csv|tsv|txt)$/i.exec(basename(file));
  const table = m?.[1]?.toLowerCase();
  return table !== undefined && Object.hasOwn(OMOP_TABLES, table) ? table : undefined;
}

/** A converted OMOP value: integers as numbers (bigint beyond 2^53), dates as `YYYY-MM-DD`, empty as null. */
export type OmopValue = string | number | bigint | null;

/** An OMOP record: the table and its values by column name (every column of the table, absent ones null). */
export interface OmopPayload {
  table: string;
  fields: Record<string, OmopValue>;
}

/** Options of the OMOP reader: the CSV options, and the table when the file name does not say it. */
export interface OmopOptions extends CsvOptions {
  table?: string;
}

/** What opening an OMOP file found out. */
export interface OmopInfo extends CsvInfo {
  table: string;
  /** Header columns that are not columns of the table (kept as text under their lowercase name). */
  extraColumns: string[];
}

const INT = /^[+-]?\d+(?:\.0+)?$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const DATE = /^(\d{4})-?(\d{2})-?(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

function realDay(y: string, m: string, d: string): boolean {
  const month = Number(m);
  const day = Number(d);
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
}

/** Converts one CSV value to its column type, or says why it cannot be. */
export function convertOmopValue(
  raw: string,
  col: OmopColumn,
): { value: OmopValue } | { code: RejectCode; why: string } {
  const v = raw.trim();
  if (v === '') {
    return col.required ? { code: 'OMOP_REQUIRED', why: `${col.name} is required` } : { value: null };
  }
  switch (col.type) {
    case 'int': {
      if (!INT.test(v)) return { code: 'OMOP_BAD_TYPE', why: `${col.name} "${v.slice(0, 40)}" is not an integer` };
      const digits = v.replace(/\.0+$/, '');
      const n = Number(digits);
      return { value: Number.isSafeInteger(n) ? n : BigInt(digits) };
    }
    case 'float': {
      const n = Number(v);
      if (!FLOAT.test(v) || !Number.isFinite(n)) {
        return { code: 'OMOP_BAD_TYPE', why: `${col.name} "${v.slice(0, 40)}" is not a number` };
      }
      return { value: n };
    }
    case 'date': {
      const m = DATE.exec(v);
      if (!m || !realDay(m[1] as string, m[2] as string, m[3] as string)) {
        return { code: 'OMOP_BAD_TYPE', why: `${col.name} "${v.slice(0, 40)}" is not a date (YYYY-MM-DD)` };
      }
      return { value: `${m[1]}-${m[2]}-${m[3]}` };
    }
    case 'datetime': {
      const m = DATETIME.exec(v);
      const ok =
        m !== null &&
        realDay(m[1] as string, m[2] as string, m[3] as string) &&
        Number(m[4] ?? 0) <= 23 &&
        Number(m[5] ?? 0) <= 59 &&
        Number(m[6] ?? 0) <= 60;
      if (!ok || m === null) {
        return {
          code: 'OMOP_BAD_TYPE',
          why: `${col.name} "${v.slice(0, 40)}" is not a datetime (YYYY-MM-DD HH:MM:SS)`,
        };
      }
      const time = `${m[4] ?? '00'}:${m[5] ?? '00'}:${m[6] ?? '00'}${m[7] ?? ''}`;
      return { value: `${m[1]}-${m[2]}-${m[3]}T${time}${m[8] ?? ''}` };
    }
    case 'text': {
      if (col.maxLength !== undefined) {
        let length = 0;
        for (const _ of raw) length++;
        if (length > col.maxLength) {
          return {
            code: 'OMOP_TOO_LONG',
            why: `${col.name} has ${length} characters; varchar(${col.maxLength}) allows ${col.maxLength}`,
          };
        }
      }
      return { value: raw };
    }
  }
}

/** Opens an OMOP CDM table file; an unknown table or a missing required column is `MER_SOURCE_OMOP_TABLE`. */
export async function openOmop(file: string, options: OmopOptions = {}): Promise<SourceFile<OmopPayload, OmopInfo>> {
  const table = options.table?.toLowerCase() ?? omopTableOf(file);
  if (table === undefined || !Object.hasOwn(OMOP_TABLES, table)) {
    throw new MeridianError(
      'MER_SOURCE_OMOP_TABLE',
      `${options.table ? `"${options.table}"` : `The name of ${file}`} is not an OMOP CDM v5.4 table; ` +
        'name the file after its table (person.csv, visit_occurrence.csv, measurement.csv …)',
      { file },
    );
  }
  const columns = OMOP_TABLES[table] as readonly OmopColumn[];
  const csv = await openCsv(file, options);
  const header = csv.info.header.map((h) => h.toLowerCase());
  const missing = columns.filter((c) => c.required && !header.includes(c.name)).map((c) => c.name);
  if (missing.length > 0) {
    await csv.close();
    throw new MeridianError(
      'MER_SOURCE_OMOP_TABLE',
      `${file} (OMOP table ${table}) lacks required column(s): ${missing.join(', ')}`,
      { file, table, missing },
    );
  }
  const known = new Set(columns.map((c) => c.name));
  const extraColumns = header.filter((h) => !known.has(h));
  const info: OmopInfo = { ...csv.info, table, extraColumns };
  // Header name (as the CSV reader keys it) for each table column present, and for each extra column.
  const sourceOf = new Map<string, string>();
  for (const [i, h] of csv.info.header.entries()) sourceOf.set(header[i] as string, h);
  let started = false;
  return {
    file,
    format: 'omop',
    info,
    close: () => csv.close(),
    async *[Symbol.asyncIterator]() {
      if (started) throw new Error('a SourceFile can be iterated once');
      started = true;
      for await (const item of csv) {
        if (item.kind === 'reject') {
          yield item;
          continue;
        }
        const fields: Record<string, OmopValue> = {};
        const problems: { code: RejectCode; why: string }[] = [];
        for (const col of columns) {
          const src = sourceOf.get(col.name);
          const converted = convertOmopValue(src === undefined ? '' : (item.fields[src] ?? ''), col);
          if ('value' in converted) fields[col.name] = converted.value;
          else problems.push(converted);
        }
        for (const extra of extraColumns) fields[extra] = item.fields[sourceOf.get(extra) as string] ?? null;
        const first = problems[0];
        if (first !== undefined) {
          const line = item.position.kind === 'line' ? item.position.line : 0;
          yield reject(item.position, first.code, `line ${line}: ${problems.map((p) => p.why).join('; ')}`);
          continue;
        }
        yield { kind: 'record', position: item.position, table, fields };
      }
    },
  };
}

/** The OMOP CDM reader. */
export const omopReader: SourceReader<OmopPayload, OmopInfo, OmopOptions> = { format: 'omop', open: openOmop };
