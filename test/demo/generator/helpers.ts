/**
 * Shared fixture and independent readers for the generator tests: one small consortium generated per test
 * process, and deliberately simple parsers (CSV, HL7 framing, FHIR bundles/NDJSON, DICOM listing) written
 * here rather than imported from src, so the tests read the files back the way an outsider would.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import {
  type ConsortiumManifest,
  fromOldIdNumber,
  type GenerateConsortiumResult,
  generateConsortium,
  type HospitalManifest,
} from '../../../src/demo/generator/index.ts';

/** Patients per hospital in the shared fixture. */
export const FIXTURE_PATIENTS = 300;
/** Seed of the shared fixture. */
export const FIXTURE_SEED = 'meridian-test-20260101';

/** A generated consortium on disk. */
export interface Fixture {
  dir: string;
  manifest: ConsortiumManifest;
  result: GenerateConsortiumResult;
}

const dirs: string[] = [];
process.on('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh temporary directory, removed when the test process exits. */
export function scratchDir(prefix = 'meridian-gen-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

let shared: Promise<Fixture> | null = null;

/** Generates a consortium (once per test process for the default options). */
export function fixture(): Promise<Fixture> {
  shared ??= generate({ seed: FIXTURE_SEED, patients: FIXTURE_PATIENTS });
  return shared;
}

/** Generates a consortium into a fresh directory. */
export async function generate(opts: {
  seed: number | string;
  patients: number;
  chunkSize?: number;
  hospitals?: number;
  workers?: number;
}): Promise<Fixture> {
  const dir = join(scratchDir(), 'out');
  const result = await generateConsortium({
    hospitals: opts.hospitals ?? 3,
    patients: opts.patients,
    seed: opts.seed,
    outDir: dir,
    ...(opts.chunkSize === undefined ? {} : { chunkSize: opts.chunkSize }),
    ...(opts.workers === undefined ? {} : { workers: opts.workers }),
  });
  return { dir, manifest: result.manifest, result };
}

/** One hospital's manifest part. */
export function hospital(m: ConsortiumManifest, name: string): HospitalManifest {
  const h = m.hospitals.find((x) => x.name === name);
  if (!h) throw new Error(`no ${name} in the manifest`);
  return h;
}

/** The manifest's row count of one file. */
export function manifestRows(m: ConsortiumManifest, path: string): Record<string, number> {
  for (const h of m.hospitals) for (const f of h.files) if (f.path === path) return f.rows;
  throw new Error(`no ${path} in the manifest`);
}

/** RFC 4180 CSV parsing (quoted fields with commas, quotes and line breaks; CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\r' || c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** A CSV table: header and rows as objects keyed by header, plus the raw data lines' texts for duplicates. */
export interface Table {
  header: string[];
  rows: Record<string, string>[];
  raw: string[][];
}

/** Reads and decodes a CSV file in the given encoding. */
export function readTable(path: string, encoding: 'gbk' | 'gb18030' | 'utf-8' | 'utf-8-bom'): Table {
  const bytes = readFileSync(path);
  let text: string;
  if (encoding === 'gbk' || encoding === 'gb18030') text = iconv.decode(bytes, encoding);
  else text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: encoding !== 'utf-8-bom' }).decode(bytes);
  const [header, ...raw] = parseCsv(text);
  if (!header) throw new Error(`empty ${path}`);
  return { header, raw, rows: raw.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))) };
}

/** Counts rows that repeat an earlier row exactly. */
export function exactDuplicates(raw: readonly string[][]): number {
  const seen = new Set<string>();
  let dup = 0;
  for (const r of raw) {
    const k = JSON.stringify(r);
    if (seen.has(k)) dup++;
    else seen.add(k);
  }
  return dup;
}

/** Splits an HL7 file into messages (newline-separated or MLLP-framed), each as a list of segments. */
export function hl7Messages(path: string, framing: 'newline' | 'mllp'): { text: string; segments: string[] }[] {
  const text = readFileSync(path, 'utf8');
  let blocks: string[];
  if (framing === 'mllp') {
    blocks = [];
    let i = 0;
    while (i < text.length) {
      if (text[i] !== '\u000b') throw new Error(`MLLP block does not start with VT at ${i}`);
      const end = text.indexOf('\u001c\r', i);
      if (end < 0) throw new Error('MLLP block without FS CR');
      blocks.push(text.slice(i + 1, end));
      i = end + 2;
    }
  } else blocks = text.split('\n').filter((b) => b !== '');
  return blocks.map((b) => ({ text: b, segments: b.split('\r').filter((s) => s !== '') }));
}

/** Field n of an HL7 segment (MSH numbering honoured: MSH-1 is the field separator). */
export function hl7Field(segment: string, n: number): string {
  const parts = segment.split('|');
  if (parts[0] === 'MSH') return n === 1 ? '|' : (parts[n - 1] ?? '');
  return parts[n] ?? '';
}

/** The first segment of a name in a message. */
export function seg(segments: readonly string[], name: string): string {
  const s = segments.find((x) => x.startsWith(`${name}|`));
  if (!s) throw new Error(`no ${name} segment`);
  return s;
}

/** A FHIR resource read back, with where it came from. */
export interface ReadResource {
  resource: Record<string, unknown> & { resourceType: string; id: string };
  file: string;
  line: string | null;
}

/** Every FHIR resource of hospital C: NDJSON lines and transaction-bundle entries. */
export function fhirResources(dir: string): { resources: ReadResource[]; bundles: Record<string, unknown>[] } {
  const resources: ReadResource[] = [];
  const ndjsonDir = join(dir, 'hospital-c', 'fhir', 'ndjson');
  for (const f of readdirSync(ndjsonDir).sort()) {
    for (const line of readFileSync(join(ndjsonDir, f), 'utf8').split('\n')) {
      if (line === '') continue;
      resources.push({ resource: JSON.parse(line), file: `hospital-c/fhir/ndjson/${f}`, line });
    }
  }
  const bundleDir = join(dir, 'hospital-c', 'fhir', 'bundles');
  const bundles: Record<string, unknown>[] = [];
  for (const f of readdirSync(bundleDir).sort()) {
    const b = JSON.parse(readFileSync(join(bundleDir, f), 'utf8')) as {
      entry: { resource: ReadResource['resource'] }[];
    };
    bundles.push(b as unknown as Record<string, unknown>);
    for (const e of b.entry) resources.push({ resource: e.resource, file: `hospital-c/fhir/bundles/${f}`, line: null });
  }
  return { resources, bundles };
}

/** Every file under a directory (relative paths, sorted). */
export function listFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1))
    .sort();
}

/** Full-width digits and X to ASCII, whitespace removed, lower-case x upper-cased, 15 digits upgraded to 18. */
export function normalizeId(raw: string): string {
  const half = raw
    .replace(/[\uff10-\uff19\uff38]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\s/g, '');
  const upper = half.toUpperCase();
  return /^\d{15}$/.test(upper) ? fromOldIdNumber(upper) : upper;
}

/** Parses any date spelling the generator writes (ISO, slash, compact, Chinese; optional time) to YYYY-MM-DD. */
export function parseAnyDate(text: string): string | null {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?: \d{2}:\d{2}:\d{2})?$/.exec(text) ??
    /^(\d{4})\/(\d{1,2})\/(\d{1,2})(?: \d{1,2}:\d{2})?$/.exec(text) ??
    /^(\d{4})(\d{2})(\d{2})(?:\d{6})?$/.exec(text) ??
    /^(\d{4})年(\d{1,2})月(\d{1,2})日(?: \d{2}:\d{2})?$/.exec(text);
  if (!m) return null;
  return `${m[1]}-${String(m[2]).padStart(2, '0')}-${String(m[3]).padStart(2, '0')}`;
}

/** Which spelling a date value uses. */
export function dateStyleOf(text: string): 'iso' | 'slash' | 'compact' | 'chinese' | null {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) return 'iso';
  if (/^\d{4}\/\d{1,2}\/\d{1,2}/.test(text)) return 'slash';
  if (/^\d{8}(\d{6})?$/.test(text)) return 'compact';
  if (/^\d{4}年/.test(text)) return 'chinese';
  return null;
}

/** Sums a record of counts. */
export function sum(record: Record<string, number> | undefined): number {
  return Object.values(record ?? {}).reduce((s, n) => s + n, 0);
}
