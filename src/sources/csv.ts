/**
 * CSV reader: HIS/LIS exports as delimited text in UTF-8 (with or without BOM), GBK or GB18030. The encoding
 * and the delimiter (comma, tab, semicolon, |) are declared or detected; the first non-blank record is the
 * header and names the fields (Chinese names kept as they are, trimmed, full-width spaces made half-width).
 * Each later record is a `record` with its fields by name, or a `reject` with its line and reason.
 */
import { MeridianError } from '../errors/registry.ts';
import { type CsvEvent, CsvParser, detectDelimiter } from './csv-parser.ts';
import { type EncodingSource, openTextFile, type TextChunk, type TextEncoding, type TextFile } from './text.ts';
import { reject, type SourceFile, type SourceItem, type SourceReader } from './types.ts';

/** Longest record accepted by default, in characters (a long clinical note fits; a runaway quote does not). */
export const CSV_RECORD_CHARS_MAX = 4 * 1024 * 1024;

/** Options of the CSV reader. */
export interface CsvOptions {
  /** Declared encoding (`utf-8`, `gbk`, `gb18030`, `utf-16le` …); detected when absent. */
  encoding?: string;
  /** Declared delimiter (one character); detected among `,` tab `;` `|` when absent. */
  delimiter?: string;
  /** Longest record in characters; longer ones are rejected. */
  recordCharsMax?: number;
  /** Bytes per read (tests use small values to split characters across reads). */
  chunkBytes?: number;
}

/** What opening a CSV file found out. */
export interface CsvInfo {
  encoding: TextEncoding;
  encodingSource: EncodingSource;
  delimiter: string;
  /** Field names in column order, after normalization (empty → `column_<n>`, repeats → `<name>_<k>`). */
  header: string[];
  /** The line the header row is on. */
  headerLine: number;
}

/** A CSV record: its fields by header name (an empty field is `''`). */
export interface CsvPayload {
  fields: Record<string, string>;
}

/** Trims a header name and makes full-width (U+3000) and no-break spaces ordinary spaces. */
export function normalizeHeaderName(name: string): string {
  return name.replace(/[\u3000\u00a0]/g, ' ').trim();
}

/** Header names made usable as keys: normalized, never empty (`column_<n>`), unique (`<name>_<k>`). */
export function headerNames(raw: readonly string[]): string[] {
  const seen = new Set<string>();
  return raw.map((r, i) => {
    let name = normalizeHeaderName(r);
    if (name === '' || name === '__proto__') name = `column_${i + 1}`;
    let unique = name;
    for (let k = 2; seen.has(unique); k++) unique = `${name}_${k}`;
    seen.add(unique);
    return unique;
  });
}

/** Binary signatures that show a file is not text at all. */
function notTextReason(headText: string): string | undefined {
  if (headText.startsWith('PK\u0003\u0004')) return 'it is a ZIP archive (an .xlsx workbook? read it as excel)';
  if (headText.includes('\u0000')) return 'it holds NUL characters, so it is binary, not delimited text';
  return undefined;
}

/** Opens a CSV file: encoding, delimiter and header row are settled here; file-level failures throw. */
export async function openCsv(file: string, options: CsvOptions = {}): Promise<SourceFile<CsvPayload, CsvInfo>> {
  if (options.delimiter !== undefined && [...options.delimiter].length !== 1) {
    throw new MeridianError('MER_SOURCE_OPTION', `A CSV delimiter is one character, not "${options.delimiter}"`);
  }
  const text = await openTextFile(file, { encoding: options.encoding, chunkBytes: options.chunkBytes });
  try {
    const why = notTextReason(text.headText);
    if (why) throw new MeridianError('MER_SOURCE_FORMAT', `Source file ${file} is not CSV: ${why}`, { file });
    if (text.headComplete && text.headText.trim() === '') {
      throw new MeridianError('MER_SOURCE_EMPTY', `Source file ${file} has no header row (only blank lines)`, { file });
    }
    const delimiter = options.delimiter ?? detectDelimiter(text.headText, text.headComplete);
    const parser = new CsvParser({ delimiter, recordCharsMax: options.recordCharsMax ?? CSV_RECORD_CHARS_MAX });
    const chunks = text.chunks();
    const { header, pending } = await readHeader(text, chunks, parser);
    const info: CsvInfo = {
      encoding: text.encoding.encoding,
      encodingSource: text.encoding.source,
      delimiter,
      header: headerNames(header.values),
      headerLine: header.line,
    };
    return csvFile(file, text, info, chunks, parser, pending);
  } catch (e) {
    await text.close();
    throw e;
  }
}

/** Pushes chunks until the first record (the header) is complete; returns it and the events after it. */
async function readHeader(
  text: TextFile,
  chunks: AsyncGenerator<TextChunk>,
  parser: CsvParser,
): Promise<{ header: Extract<CsvEvent, { kind: 'values' }>; pending: CsvEvent[] }> {
  let events: CsvEvent[] = [];
  let done = false;
  while (events.length === 0 && !done) {
    const next = await chunks.next();
    if (next.done) {
      events = parser.finish();
      done = true;
    } else {
      events = parser.push(next.value.text, next.value.invalid);
    }
  }
  const [first, ...rest] = events;
  if (first === undefined) {
    throw new MeridianError('MER_SOURCE_EMPTY', `Source file ${text.file} has no header row`, { file: text.file });
  }
  if (first.kind === 'error') {
    throw new MeridianError(
      'MER_SOURCE_FORMAT',
      `Source file ${text.file}: the header row (line ${first.line}) cannot be read: ${first.message}`,
      { file: text.file, line: first.line },
    );
  }
  return { header: first, pending: rest };
}

function csvFile(
  file: string,
  text: TextFile,
  info: CsvInfo,
  chunks: AsyncGenerator<TextChunk>,
  parser: CsvParser,
  pending: CsvEvent[],
): SourceFile<CsvPayload, CsvInfo> {
  const names = info.header;
  const width = names.length;
  let started = false;
  const toItem = (e: CsvEvent): SourceItem<CsvPayload> => {
    const position = { kind: 'line' as const, file, line: e.line };
    if (e.kind === 'error') return reject(position, e.code, `line ${e.line}: ${e.message}`);
    if (e.invalid) {
      return reject(position, 'ENCODING_INVALID', `line ${e.line} holds bytes that are not valid ${info.encoding}`);
    }
    if (e.values.length !== width) {
      return reject(
        position,
        'CSV_FIELD_COUNT',
        `line ${e.line} has ${e.values.length} fields; the header (line ${info.headerLine}) has ${width}`,
      );
    }
    if (e.badQuote) {
      return reject(position, 'CSV_BAD_QUOTE', `line ${e.line}: text follows a closing quote before the delimiter`);
    }
    const fields: Record<string, string> = {};
    for (let i = 0; i < width; i++) fields[names[i] as string] = e.values[i] as string;
    return { kind: 'record', position, fields };
  };
  return {
    file,
    format: 'csv',
    info,
    close: async () => {
      await chunks.return(undefined);
      await text.close();
    },
    async *[Symbol.asyncIterator]() {
      if (started) throw new Error('a SourceFile can be iterated once');
      started = true;
      try {
        for (const e of pending) yield toItem(e);
        for await (const chunk of chunks) {
          for (const e of parser.push(chunk.text, chunk.invalid)) yield toItem(e);
        }
        for (const e of parser.finish()) yield toItem(e);
      } finally {
        await chunks.return(undefined);
        await text.close();
      }
    },
  };
}

/** The CSV reader. */
export const csvReader: SourceReader<CsvPayload, CsvInfo, CsvOptions> = { format: 'csv', open: openCsv };
