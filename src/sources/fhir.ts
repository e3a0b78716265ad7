/**
 * FHIR R4 reader: a Bundle as JSON (its entries streamed one at a time, never the whole file in memory), a
 * single resource as JSON, or NDJSON (one resource per line, as bulk export writes it). Every resource is
 * validated against Meridian's schema for its type (fhir-schemas.ts); a resource violating its type is a reject
 * naming the FHIRPath of the first violation.
 */
import type { BundleEntryRequest, Resource } from '@medplum/fhirtypes';
import { MeridianError } from '../errors/registry.ts';
import { validateResource } from './fhir-schemas.ts';
import { JsonObjectScanner, type JsonScanEvent } from './json-stream.ts';
import { type EncodingSource, LineSplitter, openTextFile, type TextEncoding, type TextFile } from './text.ts';
import { reject, type SourceFile, type SourceItem, type SourcePosition, type SourceReader } from './types.ts';

/** Longest bundle entry, single resource or NDJSON line by default, in characters. */
export const FHIR_ENTRY_CHARS_MAX = 32 * 1024 * 1024;

/** Options of the FHIR reader. */
export interface FhirOptions {
  encoding?: string;
  /** `json` (a Bundle or one resource) or `ndjson`; detected from the name and the head when absent. */
  layout?: 'json' | 'ndjson';
  entryCharsMax?: number;
  chunkBytes?: number;
}

/** What opening a FHIR file found out. */
export interface FhirInfo {
  encoding: TextEncoding;
  encodingSource: EncodingSource;
  layout: 'json' | 'ndjson';
}

/** A FHIR record: the validated resource, and for a bundle entry its fullUrl and request when present. */
export interface FhirPayload {
  resource: Resource;
  /** False for resource types Meridian has no schema for (only the base checks ran). */
  known: boolean;
  fullUrl?: string;
  request?: BundleEntryRequest;
}

/** True when the head of a file looks like NDJSON: a complete JSON object on the first line and more after it. */
export function looksLikeNdjson(headText: string): boolean {
  const text = headText.replace(/^\s+/, '');
  const nl = text.indexOf('\n');
  if (nl < 0) return false;
  const first = text.slice(0, nl).trim();
  if (!first.startsWith('{')) return false;
  try {
    JSON.parse(first);
  } catch {
    return false;
  }
  return text
    .slice(nl + 1)
    .trimStart()
    .startsWith('{');
}

/** Opens a FHIR JSON or NDJSON file; a file that does not start with `{` is not FHIR JSON. */
export async function openFhir(file: string, options: FhirOptions = {}): Promise<SourceFile<FhirPayload, FhirInfo>> {
  const text = await openTextFile(file, { encoding: options.encoding, chunkBytes: options.chunkBytes });
  const head = text.headText.trimStart();
  if (!head.startsWith('{')) {
    await text.close();
    if (head === '') throw new MeridianError('MER_SOURCE_EMPTY', `Source file ${file} holds only whitespace`, { file });
    throw new MeridianError(
      'MER_SOURCE_FORMAT',
      `Source file ${file} is not FHIR JSON: it does not start with a JSON object ("{")`,
      { file },
    );
  }
  const layout =
    options.layout ?? (/\.(ndjson|jsonl)$/i.test(file) || looksLikeNdjson(text.headText) ? 'ndjson' : 'json');
  const info: FhirInfo = { encoding: text.encoding.encoding, encodingSource: text.encoding.source, layout };
  const max = options.entryCharsMax ?? FHIR_ENTRY_CHARS_MAX;
  let started = false;
  return {
    file,
    format: 'fhir',
    info,
    close: () => text.close(),
    [Symbol.asyncIterator]() {
      if (started) throw new Error('a SourceFile can be iterated once');
      started = true;
      return layout === 'ndjson' ? readNdjson(text, max) : readJson(text, max);
    },
  };
}

/** JSON.parse, or undefined for absent or invalid text. */
function parseOrUndefined(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Turns one parsed resource into a record or a reject. */
function resourceItem(
  position: SourcePosition,
  where: string,
  value: unknown,
  extra: Pick<FhirPayload, 'fullUrl' | 'request'> = {},
): SourceItem<FhirPayload> {
  const v = validateResource(value);
  if (!v.ok) return reject(position, 'FHIR_INVALID_RESOURCE', `${where}: ${v.message}`, v.path);
  return { kind: 'record', position, resource: v.resource, known: v.known, ...extra };
}

async function* readNdjson(text: TextFile, max: number): AsyncGenerator<SourceItem<FhirPayload>> {
  const file = text.file;
  const splitter = new LineSplitter(max);
  const toItem = (l: { text: string; line: number; tooLong: boolean }): SourceItem<FhirPayload> | undefined => {
    const position: SourcePosition = { kind: 'line', file, line: l.line };
    if (l.tooLong) return reject(position, 'FHIR_ENTRY_TOO_LARGE', `line ${l.line} is longer than ${max} characters`);
    if (l.text.trim() === '') return undefined;
    if (l.text.includes('\uFFFD')) {
      return reject(
        position,
        'ENCODING_INVALID',
        `line ${l.line} holds bytes that are not valid ${text.encoding.encoding}`,
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(l.text);
    } catch (e) {
      return reject(position, 'FHIR_JSON_SYNTAX', `line ${l.line} is not valid JSON: ${(e as Error).message}`);
    }
    return resourceItem(position, `line ${l.line}`, value);
  };
  try {
    for await (const chunk of text.chunks()) {
      for (const l of splitter.push(chunk.text)) {
        const item = toItem(l);
        if (item) yield item;
      }
    }
    for (const l of splitter.finish()) {
      const item = toItem(l);
      if (item) yield item;
    }
  } finally {
    await text.close();
  }
}

async function* readJson(text: TextFile, max: number): AsyncGenerator<SourceItem<FhirPayload>> {
  const file = text.file;
  const scanner = new JsonObjectScanner(max);
  const members = new Map<string, string | undefined>();
  let memberChars = 0;
  let entries = 0;
  let stopped = false;

  const entryItem = (e: Extract<JsonScanEvent, { kind: 'entry' }>): SourceItem<FhirPayload> => {
    const position: SourcePosition = { kind: 'entry', file, entry: e.index, line: e.line };
    const where = `Bundle.entry[${e.index}] (line ${e.line})`;
    if (e.text === undefined)
      return reject(position, 'FHIR_ENTRY_TOO_LARGE', `${where} is longer than ${max} characters`);
    if (e.text.includes('\uFFFD')) {
      return reject(position, 'ENCODING_INVALID', `${where} holds bytes that are not valid ${text.encoding.encoding}`);
    }
    let entry: unknown;
    try {
      entry = JSON.parse(e.text);
    } catch (err) {
      return reject(position, 'FHIR_JSON_SYNTAX', `${where} is not valid JSON: ${(err as Error).message}`);
    }
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      return reject(position, 'FHIR_ENTRY_NO_RESOURCE', `${where} is not an object`, `Bundle.entry[${e.index}]`);
    }
    const { resource, fullUrl, request } = entry as { resource?: unknown; fullUrl?: unknown; request?: unknown };
    if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
      return reject(
        position,
        'FHIR_ENTRY_NO_RESOURCE',
        `${where} has no resource`,
        `Bundle.entry[${e.index}].resource`,
      );
    }
    const extra: Pick<FhirPayload, 'fullUrl' | 'request'> = {};
    if (typeof fullUrl === 'string') extra.fullUrl = fullUrl;
    if (typeof request === 'object' && request !== null) extra.request = request as BundleEntryRequest;
    return resourceItem(position, where, resource, extra);
  };

  const handle = (events: JsonScanEvent[]): SourceItem<FhirPayload>[] => {
    const out: SourceItem<FhirPayload>[] = [];
    for (const e of events) {
      if (e.kind === 'entry') {
        entries++;
        out.push(entryItem(e));
      } else if (e.kind === 'member') {
        memberChars += e.text?.length ?? 0;
        members.set(e.key, memberChars > max ? undefined : e.text);
      } else {
        stopped = true;
        const position: SourcePosition =
          e.entry === undefined ? { kind: 'file', file } : { kind: 'entry', file, entry: e.entry, line: e.line };
        out.push(reject(position, 'FHIR_JSON_SYNTAX', e.message));
      }
    }
    return out;
  };

  try {
    for await (const chunk of text.chunks()) {
      yield* handle(scanner.push(chunk.text));
      if (stopped) return;
    }
    yield* handle(scanner.finish());
    if (stopped) return;
    const type = parseOrUndefined(members.get('resourceType'));
    if (type === 'Bundle') return;
    const position: SourcePosition = { kind: 'file', file };
    if (entries > 0) {
      yield reject(
        position,
        'FHIR_INVALID_RESOURCE',
        `the file has entries but its resourceType is ${JSON.stringify(type)}, not "Bundle"`,
        'resourceType',
      );
      return;
    }
    // One resource in the file: rebuild it from its members (as own properties, whatever their names).
    const pairs: [string, unknown][] = [];
    for (const [key, value] of members) {
      if (value === undefined) {
        yield reject(position, 'FHIR_ENTRY_TOO_LARGE', `the resource is longer than ${max} characters`);
        return;
      }
      try {
        pairs.push([key, JSON.parse(value)]);
      } catch (err) {
        yield reject(position, 'FHIR_JSON_SYNTAX', `member "${key}" is not valid JSON: ${(err as Error).message}`);
        return;
      }
    }
    const resource = Object.fromEntries(pairs);
    yield resourceItem(position, 'the resource', resource);
  } finally {
    await text.close();
  }
}

/** The FHIR reader. */
export const fhirReader: SourceReader<FhirPayload, FhirInfo, FhirOptions> = { format: 'fhir', open: openFhir };
