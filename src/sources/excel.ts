/**
 * Excel reader (.xlsx): HIS exports as workbooks, read with exceljs's streaming WorkbookReader, sheet by sheet
 * and row by row (only the shared-strings table is held in memory, as the format requires). On each sheet the
 * first non-empty row is the header; each later non-empty row is a record with its cells by header name.
 * Cell values are normalized: rich text → its text, formulas → their cached result (null when it is an error:
 * exceljs's streaming reader drops the error text), hyperlinks → their text, error cells → the error text
 * (`#N/A`), and date-formatted cells → `{ serial, iso }` keeping the Excel serial number (1900 or 1904 date
 * system) next to its ISO reading.
 */
import { createReadStream, type ReadStream } from 'node:fs';
import ExcelJS from 'exceljs';
import { MeridianError } from '../errors/registry.ts';
import { normalizeHeaderName } from './csv.ts';
import { openSourceFile, readHead } from './file-access.ts';
import { reject, type SourceFile, type SourceItem, type SourceReader } from './types.ts';

/** A date-formatted cell: its Excel serial number (days since the workbook's epoch) and its ISO reading. */
export interface ExcelDate {
  type: 'excel-date';
  serial: number;
  /** `YYYY-MM-DD`, or `YYYY-MM-DDThh:mm:ss[.sss]` when the cell has a time of day (wall time, no zone). */
  iso: string;
}

/** A normalized cell value (null for an empty cell). */
export type ExcelValue = string | number | boolean | null | ExcelDate;

/** An Excel record: its cells by header name. */
export interface ExcelPayload {
  fields: Record<string, ExcelValue>;
}

/** Options of the Excel reader. */
export interface ExcelOptions {
  /** Sheets to read (by name); all when absent. */
  sheets?: string[];
  /** How long the workbook reader may go without reading a byte or producing a row before the file is failed. */
  stallTimeoutMs?: number;
}

/** Default of `stallTimeoutMs`. */
export const EXCEL_STALL_TIMEOUT_MS = 10_000;

/**
 * Fails a read that stops making progress: exceljs (through unzipper) can wait forever on some corrupt
 * archives after the whole file was read. Progress is a byte read from the file or a row or sheet produced;
 * only time spent waiting for the reader counts, never time the consumer spends on a row.
 */
class StallGuard {
  readonly #stallMs: number;
  #lastProgress = Date.now();

  constructor(stallMs: number) {
    this.#stallMs = stallMs;
  }

  /** Marks progress. */
  progress(): void {
    this.#lastProgress = Date.now();
  }

  /** `p`, or a rejection once nothing has progressed for the stall timeout while waiting for it. */
  wait<T>(p: Promise<T>): Promise<T> {
    this.progress();
    return new Promise<T>((resolve, reject) => {
      const timer = setInterval(
        () => {
          if (Date.now() - this.#lastProgress > this.#stallMs) {
            clearInterval(timer);
            reject(new Error(`the reader made no progress for ${this.#stallMs} ms (corrupt archive?)`));
          }
        },
        Math.max(10, Math.min(1000, this.#stallMs / 4)),
      );
      p.then(
        (v) => {
          clearInterval(timer);
          resolve(v);
        },
        (e: unknown) => {
          clearInterval(timer);
          reject(e);
        },
      );
    });
  }

  /** Iterates `source` with every step guarded. */
  async *iterate<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
    const it = source[Symbol.asyncIterator]();
    for (;;) {
      const step = await this.wait(it.next());
      if (step.done) return;
      yield step.value;
    }
  }
}

/** What opening a workbook found out (sheets are discovered while reading). */
export interface ExcelInfo {
  byteLength: number;
}

const MS_PER_DAY = 86_400_000;
/** Days from the 1900 system's day 0 (1899-12-30, with Excel's 1900 leap-year quirk) to 1970-01-01. */
const EPOCH_1900 = 25_569;
/** The 1904 date system starts 1462 days later. */
const OFFSET_1904 = 1_462;

/** Column letters for a 1-based column number (1 → A, 27 → AA). */
export function columnLetters(col: number): string {
  let s = '';
  for (let n = col; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/** True for a number format that shows a date or time (quoted text and [colour]/[locale] parts ignored). */
export function isDateFormat(fmt: string | undefined): boolean {
  if (!fmt) return false;
  const bare = fmt
    .replace(/\[[^\]]*]/g, '')
    .replace(/"[^"]*"/g, '')
    .replace(/\\./g, '');
  return /[dmyhs]/i.test(bare) && !/^general$/i.test(bare.trim());
}

/** An ExcelDate from an Excel serial number. */
export function excelDateFromSerial(serial: number, date1904: boolean): ExcelDate {
  const ms = Math.round((serial - EPOCH_1900 + (date1904 ? OFFSET_1904 : 0)) * MS_PER_DAY);
  const iso = new Date(ms).toISOString();
  const timeOfDay = iso.slice(11, 23);
  return {
    type: 'excel-date',
    serial,
    iso: timeOfDay === '00:00:00.000' ? iso.slice(0, 10) : iso.slice(0, iso.endsWith('.000Z') ? 19 : 23),
  };
}

/** The serial number exceljs's Date (built as UTC from the serial) stands for. */
function serialFromDate(d: Date, date1904: boolean): number {
  const serial = d.getTime() / MS_PER_DAY + EPOCH_1900 - (date1904 ? OFFSET_1904 : 0);
  return Math.round(serial * MS_PER_DAY) / MS_PER_DAY;
}

/** Normalizes an exceljs cell value (see the file comment). */
export function normalizeCell(value: unknown, numFmt: string | undefined, date1904: boolean): ExcelValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return null;
    return excelDateFromSerial(serialFromDate(value, date1904), date1904);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    return isDateFormat(numFmt) ? excelDateFromSerial(value, date1904) : value;
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v.richText))
      return (v.richText as { text?: unknown }[]).map((r) => String(r.text ?? '')).join('');
    if ('formula' in v || 'sharedFormula' in v) return normalizeCell(v.result, numFmt, date1904);
    if ('error' in v) return String(v.error);
    if ('text' in v) return normalizeCell(v.text, undefined, date1904);
  }
  return String(value);
}

/** Opens a workbook; a file that is not a ZIP (e.g. a legacy .xls) is `MER_SOURCE_FORMAT`. */
export async function openExcel(
  file: string,
  options: ExcelOptions = {},
): Promise<SourceFile<ExcelPayload, ExcelInfo>> {
  const { handle, size } = await openSourceFile(file);
  let head: Buffer;
  try {
    head = await readHead(handle, Math.min(size, 8), file);
  } finally {
    await handle.close();
  }
  if (head.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))) {
    throw new MeridianError(
      'MER_SOURCE_FORMAT',
      `Source file ${file} is a legacy .xls workbook, which is not supported; save it as .xlsx`,
      { file },
    );
  }
  if (!head.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) {
    throw new MeridianError('MER_SOURCE_FORMAT', `Source file ${file} is not an .xlsx workbook (not a ZIP archive)`, {
      file,
    });
  }
  const wanted = options.sheets === undefined ? undefined : new Set(options.sheets);
  let stream: ReadStream | undefined;
  let started = false;
  return {
    file,
    format: 'excel',
    info: { byteLength: size },
    close: async () => {
      stream?.destroy();
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<SourceItem<ExcelPayload>> {
      if (started) throw new Error('a SourceFile can be iterated once');
      started = true;
      stream = createReadStream(file);
      const guard = new StallGuard(options.stallTimeoutMs ?? EXCEL_STALL_TIMEOUT_MS);
      stream.on('data', () => guard.progress());
      const reader = new ExcelJS.stream.xlsx.WorkbookReader(stream, {
        sharedStrings: 'cache',
        styles: 'cache',
        hyperlinks: 'ignore',
        worksheets: 'emit',
        entries: 'ignore',
      });
      let sheets = 0;
      try {
        for await (const sheet of guard.iterate(reader)) {
          sheets++;
          const name = (sheet as unknown as { name?: string }).name ?? `Sheet${sheets}`;
          const date1904 = Boolean(
            (reader as unknown as { properties?: { model?: { date1904?: boolean } } }).properties?.model?.date1904,
          );
          if (wanted && !wanted.has(name)) {
            for await (const _ of guard.iterate(sheet)) {
              // Skip the rows of a sheet that was not asked for.
            }
            continue;
          }
          yield* readSheet(file, name, guard.iterate(sheet as AsyncIterable<ExcelJS.Row>), date1904);
        }
      } catch (e) {
        if (e instanceof MeridianError) throw e;
        throw new MeridianError(
          'MER_SOURCE_FORMAT',
          `Source file ${file} is not a readable .xlsx workbook: ${(e as Error).message ?? String(e)}`,
          { file },
        );
      } finally {
        stream.destroy();
      }
      if (sheets === 0) {
        throw new MeridianError('MER_SOURCE_FORMAT', `Source file ${file} has no worksheets`, { file });
      }
    },
  };
}

async function* readSheet(
  file: string,
  sheet: string,
  rows: AsyncIterable<ExcelJS.Row>,
  date1904: boolean,
): AsyncGenerator<SourceItem<ExcelPayload>> {
  let header: string[] | undefined;
  for await (const row of rows) {
    const cells: { col: number; value: ExcelValue }[] = [];
    row.eachCell({ includeEmpty: false }, (cell, col) => {
      const value = normalizeCell(cell.value, cell.numFmt, date1904);
      if (value !== null && value !== '') cells.push({ col, value });
    });
    if (cells.length === 0) continue;
    const position = { kind: 'row' as const, file, sheet, row: row.number };
    if (header === undefined) {
      header = headerRow(cells);
      continue;
    }
    const outside = cells.find((c) => c.col > (header as string[]).length);
    if (outside !== undefined) {
      yield reject(
        position,
        'EXCEL_CELL_OUTSIDE_HEADER',
        `sheet ${sheet} row ${row.number} has a value in column ${columnLetters(outside.col)}, right of the last header column ${columnLetters(header.length)}`,
      );
      continue;
    }
    const fields: Record<string, ExcelValue> = {};
    for (const h of header) fields[h] = null;
    for (const c of cells) fields[header[c.col - 1] as string] = c.value;
    yield { kind: 'record', position, fields };
  }
}

/** Header names from the header row's cells: normalized, `column_<letter>` for blanks, unique. */
function headerRow(cells: { col: number; value: ExcelValue }[]): string[] {
  const width = Math.max(...cells.map((c) => c.col));
  const names: string[] = [];
  const seen = new Set<string>();
  for (let col = 1; col <= width; col++) {
    const cell = cells.find((c) => c.col === col);
    const text =
      cell === undefined
        ? ''
        : typeof cell.value === 'object' && cell.value !== null
          ? cell.value.iso
          : String(cell.value);
    let name = normalizeHeaderName(text);
    if (name === '' || name === '__proto__') name = `column_${columnLetters(col)}`;
    let unique = name;
    for (let k = 2; seen.has(unique); k++) unique = `${name}_${k}`;
    seen.add(unique);
    names.push(unique);
  }
  return names;
}

/** The Excel reader. */
export const excelReader: SourceReader<ExcelPayload, ExcelInfo, ExcelOptions> = { format: 'excel', open: openExcel };
