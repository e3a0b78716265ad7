/** Format detection from a file's name and first bytes, for `meridian ingest` without `--format`. */
import { extname } from 'node:path';
import { openSourceFile, readHead } from './file-access.ts';
import { OMOP_TABLES, omopTableOf } from './omop.ts';
import type { SourceFormat } from './types.ts';

/** How many leading bytes `detectFormat` looks at. */
export const DETECT_BYTES = 4096;

/** The first part of the text, after a UTF-8/UTF-16 BOM, decoded loosely (enough to sniff ASCII syntax). */
function sniffText(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (b[0] === 0xff && b[1] === 0xfe) return b.subarray(2).toString('utf16le');
  if (b[0] === 0xfe && b[1] === 0xff) return Buffer.from(b.subarray(2)).swap16().toString('utf16le');
  const start = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  return b.subarray(start).toString('latin1');
}

/**
 * The format of a file from its name and first bytes (`DETECT_BYTES` are enough), or undefined when it cannot
 * be told: DICM at byte 128 → dicom; a ZIP or OLE2 signature or an .xlsx/.xls name → excel; MLLP start byte or
 * a first segment MSH/FHS/BHS → hl7v2; `{` → fhir; an OMOP CDM table name whose header holds the table's first
 * column → omop; other text → csv.
 */
export function detectFormat(path: string, firstBytes: Uint8Array): SourceFormat | undefined {
  const ext = extname(path).toLowerCase();
  const b = firstBytes;
  if (b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d) return 'dicom';
  if (ext === '.dcm' || ext === '.dicom') return 'dicom';
  const zip = b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
  const ole2 = b[0] === 0xd0 && b[1] === 0xcf && b[2] === 0x11 && b[3] === 0xe0;
  if (zip || ole2 || ext === '.xlsx' || ext === '.xlsm' || ext === '.xls') return 'excel';
  const text = sniffText(b);
  const trimmed = text.replace(/^\s+/, '');
  if (text.startsWith('\u000b') || /^(MSH|FHS|BHS)[^A-Za-z0-9\s]/.test(trimmed)) return 'hl7v2';
  if (ext === '.hl7') return 'hl7v2';
  if (trimmed.startsWith('{') || ext === '.ndjson' || ext === '.jsonl') return 'fhir';
  if (b.includes(0)) return undefined;
  const table = omopTableOf(path);
  const firstColumn = table === undefined ? undefined : OMOP_TABLES[table]?.[0]?.name;
  if (firstColumn !== undefined) {
    const headerLine = (trimmed.split(/\r?\n|\r/, 1)[0] ?? '').toLowerCase();
    if (headerLine.includes(firstColumn)) return 'omop';
  }
  if (['.csv', '.tsv', '.txt', '.psv', '.dat'].includes(ext) || trimmed.length > 0) return 'csv';
  return undefined;
}

/** Reads the head of a file and detects its format (file-level errors as `openSourceFile` throws them). */
export async function detectFileFormat(path: string): Promise<SourceFormat | undefined> {
  const { handle, size } = await openSourceFile(path);
  try {
    return detectFormat(path, await readHead(handle, Math.min(size, DETECT_BYTES), path));
  } finally {
    await handle.close();
  }
}
