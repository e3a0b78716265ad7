/**
 * Record accessors: how a mapping spec's paths read a record of each source format, and how a record with a
 * repeating element (an ORU message's OBX segments, a FHIR Observation's components) becomes one mapping unit
 * per occurrence. Paths are compiled once per spec and cached, because the loader calls them for every record.
 *
 *   csv, excel, omop   column name as in the header (`患者ID`, `person_id`)
 *   hl7v2              SEG[occurrence]-field[repetition].component.subcomponent (`PID-3[2].1`, `OBX-5`)
 *   fhir               dotted path with indexes or a filter (`code.coding[system=http://loinc.org].code`);
 *                      `@.` starts at the current `each` element
 *   dicom              a DICOM keyword (`StudyInstanceUID`), or `sha256`, `byteLength`
 */
import { type Hl7Message, type Hl7Path, parseHl7Path } from '../sources/hl7-message.ts';
import type { AnySourceFile, SourcePosition } from '../sources/index.ts';
import type { MappingSpec, RecordAccessor } from './mapping.ts';

/** A record as a reader yields it (any format), without the reject case. */
export type AnyRecord = Extract<AnySourceFile extends AsyncIterable<infer I> ? I : never, { kind: 'record' }>;

/** One thing a spec maps to one row: an accessor and where it is (the record, or the occurrence in it). */
export interface MappingUnit {
  readonly get: RecordAccessor;
  readonly position: SourcePosition;
  /** The occurrence of the spec's `each` element (1-based), when the spec has one. */
  readonly occurrence?: number;
}

/** The units of one record for one spec: one per record, or one per occurrence of `each`. */
export function mappingUnits(format: AnySourceFile['format'], record: AnyRecord, spec: MappingSpec): MappingUnit[] {
  switch (format) {
    case 'csv':
    case 'excel':
    case 'omop': {
      const fields = (record as unknown as { fields: Record<string, unknown> }).fields;
      return [{ get: (p) => cellValue(fields[p]), position: record.position }];
    }
    case 'dicom': {
      const h = (record as unknown as { header: import('../sources/index.ts').DicomHeader }).header;
      const get = (p: string): unknown =>
        p === 'sha256' ? h.sha256 : p === 'byteLength' ? h.byteLength : (h.tags as Record<string, string>)[p];
      return [{ get, position: record.position }];
    }
    case 'hl7v2':
      return hl7Units((record as unknown as { message: Hl7Message }).message, record.position, spec.each);
    case 'fhir':
      return fhirUnits((record as unknown as { resource: object }).resource, record.position, spec.each);
  }
}

function cellValue(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'excel-date')
    return (v as { iso: string }).iso;
  if (typeof v === 'bigint') return v.toString();
  return v;
}

const hl7Paths = new Map<string, { path: Hl7Path; explicit: boolean }>();
const PATHS_CACHED_MAX = 10_000;

function hl7Path(text: string): { path: Hl7Path; explicit: boolean } {
  let p = hl7Paths.get(text);
  if (p === undefined) {
    p = { path: parseHl7Path(text), explicit: /^[A-Z][A-Z0-9]{2}\[/.test(text.trim()) };
    if (hl7Paths.size >= PATHS_CACHED_MAX) hl7Paths.clear();
    hl7Paths.set(text, p);
  }
  return p;
}

/**
 * HL7: without `each`, one unit reading the message. With `each` = a segment id, one unit per such segment;
 * a path on that segment reads the current one, a path on another segment reads the nearest one before it
 * (the OBR of an OBX's order group, the message's PID), unless the path names an occurrence.
 */
function hl7Units(message: Hl7Message, position: SourcePosition, each: string | undefined): MappingUnit[] {
  if (each === undefined) return [{ get: (p) => message.get(hl7Path(p).path), position }];
  const units: MappingUnit[] = [];
  const seen = new Map<string, number>();
  message.segments.forEach((seg, index) => {
    seen.set(seg.name, (seen.get(seg.name) ?? 0) + 1);
    if (seg.name !== each) return;
    const before = new Map(seen);
    const occurrence = before.get(each) as number;
    const get = (text: string): unknown => {
      const { path, explicit } = hl7Path(text);
      if (explicit) return message.get(path);
      const nearest = before.get(path.segment);
      return message.get(nearest === undefined ? path : { ...path, occurrence: nearest });
    };
    const at: SourcePosition =
      position.kind === 'message' ? { ...position, segment: index + 1, segmentName: seg.name } : position;
    units.push({ get, position: at, occurrence });
  });
  return units;
}

type Step = { key: string; index?: number; filter?: { key: string; value: string } };
const fhirPaths = new Map<string, { relative: boolean; steps: Step[] }>();

function fhirPath(text: string): { relative: boolean; steps: Step[] } {
  let p = fhirPaths.get(text);
  if (p === undefined) {
    const relative = text.startsWith('@.');
    const body = relative ? text.slice(2) : text;
    const steps = splitPath(body).map((part): Step => {
      const m = /^([^[\]]+)(?:\[(?:(\d+)|([^=\]]+)=([^\]]*))\])?$/.exec(part);
      if (!m) return { key: part };
      const step: Step = { key: m[1] as string };
      if (m[2] !== undefined) step.index = Number(m[2]);
      if (m[3] !== undefined) step.filter = { key: m[3], value: m[4] ?? '' };
      return step;
    });
    p = { relative, steps };
    if (fhirPaths.size >= PATHS_CACHED_MAX) fhirPaths.clear();
    fhirPaths.set(text, p);
  }
  return p;
}

/** Splits on dots outside brackets (a filter value may hold dots, e.g. a system URL). */
function splitPath(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === '.' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** Reads a compiled FHIR path; an array without an index or filter reads its first element. */
function readFhir(root: unknown, steps: readonly Step[]): unknown {
  let v: unknown = root;
  for (const s of steps) {
    if (v === null || v === undefined || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[s.key];
    if (Array.isArray(v)) {
      if (s.filter) {
        const f = s.filter;
        v = v.find(
          (e) => e !== null && typeof e === 'object' && String((e as Record<string, unknown>)[f.key]) === f.value,
        );
      } else v = v[s.index ?? 0];
    } else if (s.index !== undefined && s.index > 0) return undefined;
  }
  return v;
}

function fhirUnits(resource: object, position: SourcePosition, each: string | undefined): MappingUnit[] {
  const get =
    (item: unknown) =>
    (text: string): unknown => {
      const p = fhirPath(text);
      return readFhir(p.relative ? item : resource, p.steps);
    };
  if (each === undefined) return [{ get: get(undefined), position }];
  const list = readList(resource, fhirPath(each).steps);
  return list.map((item, i) => ({ get: get(item), position, occurrence: i + 1 }));
}

function readList(root: unknown, steps: readonly Step[]): unknown[] {
  const last = steps.at(-1);
  if (last === undefined) return [];
  const parent = steps.length > 1 ? readFhir(root, steps.slice(0, -1)) : root;
  if (parent === null || parent === undefined || typeof parent !== 'object') return [];
  const v = (parent as Record<string, unknown>)[last.key];
  return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
}
