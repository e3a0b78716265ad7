/**
 * The shared vocabulary of the source readers (src/sources): what a reader yields for each record of a hospital
 * export, where that record sits in its file, and why a record was refused. Every reader streams: it yields
 * `SourceItem`s one by one from an async iterator, never holding a whole file, and turns a bad record into a
 * `reject` item instead of throwing. Only a failure of the whole file (unreadable, empty, wrong format,
 * undecodable) is a `MeridianError` naming the file.
 */

/** The formats Meridian reads (the `--format` values of `meridian ingest`). */
export const SOURCE_FORMATS = ['csv', 'excel', 'hl7v2', 'fhir', 'dicom', 'omop'] as const;

/** One of the formats Meridian reads. */
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

/**
 * Where a record sits in its source. Line, row, message and segment numbers are 1-based (as an editor, Excel or
 * an HL7 viewer counts them); a bundle entry is 0-based because it is an index into `Bundle.entry[i]`.
 */
export type SourcePosition =
  /** CSV, OMOP CSV and NDJSON: the line where the record starts. */
  | { kind: 'line'; file: string; line: number }
  /** Excel: the sheet name and the row number Excel shows. */
  | { kind: 'row'; file: string; sheet: string; row: number }
  /** HL7 v2: the message's ordinal in the file or connection, its first line, and the segment at fault if any. */
  | { kind: 'message'; file: string; message: number; line: number; segment?: number; segmentName?: string }
  /** FHIR Bundle: the entry index and the line where the entry starts. */
  | { kind: 'entry'; file: string; entry: number; line: number }
  /** DICOM, a single-resource JSON file, or a defect of a whole file that still let other records through. */
  | { kind: 'file'; file: string };

/** Why a record was refused: the stable reason codes a load summary counts rejects by. */
export const REJECT_CODES = {
  ENCODING_INVALID: 'The record holds bytes that are not valid in the encoding of the file',
  CSV_UNTERMINATED_QUOTE: 'A quoted field is never closed (a truncated record, or a stray quote)',
  CSV_BAD_QUOTE: 'Text follows the closing quote of a field before the next delimiter',
  CSV_FIELD_COUNT: 'The record has a different number of fields than the header row',
  CSV_RECORD_TOO_LARGE: 'The record is longer than the reader allows (recordCharsMax)',
  EXCEL_CELL_OUTSIDE_HEADER: 'A row has a value in a column to the right of the last header column',
  HL7_NO_MSH: 'Segments appear without an MSH segment before them',
  HL7_BAD_SEGMENT: 'A segment has no valid 3-character segment id followed by the field separator',
  HL7_BAD_ENCODING_CHARS: 'MSH-1 or MSH-2 does not define distinct, non-alphanumeric delimiters',
  HL7_MSH_FIELD_MISSING: 'MSH-9 (message type) or MSH-10 (control id) is empty',
  HL7_MESSAGE_TOO_LARGE: 'The message is longer than the reader allows (messageCharsMax, segmentsMax)',
  FHIR_JSON_SYNTAX: 'The text is not valid JSON (or the file ends inside it)',
  FHIR_ENTRY_NO_RESOURCE: 'A Bundle entry carries no resource object',
  FHIR_ENTRY_TOO_LARGE: 'A Bundle entry or NDJSON line is longer than the reader allows (entryCharsMax)',
  FHIR_INVALID_RESOURCE: 'A resource violates its type: a required element is missing or a value has a wrong type',
  DICOM_CORRUPT: 'The DICOM data set cannot be parsed (truncated or corrupt)',
  DICOM_INVALID_UID: 'A Study, Series or SOP Instance UID is missing or not a valid UID',
  DICOM_HEADER_TOO_LARGE: 'The header before the pixel data is longer than the reader allows (headBytesMax)',
  OMOP_REQUIRED: 'A column that OMOP CDM v5.4 requires is empty',
  OMOP_BAD_TYPE: 'A value does not have the type its OMOP CDM column has (integer, float, date, datetime)',
  OMOP_TOO_LONG: 'A text value is longer than its OMOP CDM varchar column allows',
} as const;

/** A stable reason code for a rejected record. */
export type RejectCode = keyof typeof REJECT_CODES;

/** The reason of one reject: its code, a message naming what is wrong, and the element path where one applies. */
export interface RejectReason {
  code: RejectCode;
  message: string;
  /** FHIRPath-like location inside the record (e.g. `Observation.component[1].code`), when there is one. */
  path?: string;
}

/** A record that could not be taken, with where it is and why; readers go on with the next record. */
export interface SourceReject {
  kind: 'reject';
  position: SourcePosition;
  reason: RejectReason;
}

/** A record a reader could take: its position plus the reader's payload (`fields`, `message`, `resource` …). */
export type SourceRecord<P extends object> = { kind: 'record'; position: SourcePosition } & P;

/** What every reader yields: a record, or a reject that keeps the rest of the file flowing. */
export type SourceItem<P extends object> = SourceRecord<P> | SourceReject;

/** An opened source file: what was detected when opening it, and its items (one pass). */
export interface SourceFile<P extends object, I extends object = object> extends AsyncIterable<SourceItem<P>> {
  readonly file: string;
  readonly format: SourceFormat;
  /** What the reader found out when it opened the file (encoding, delimiter, header, layout …). */
  readonly info: I;
  /** Releases the file; safe to call twice and after the iteration ended. */
  close(): Promise<void>;
}

/** A reader of one format: `open` throws a file-level `MeridianError`, iteration never throws for a record. */
export interface SourceReader<P extends object, I extends object = object, O extends object = object> {
  readonly format: SourceFormat;
  open(file: string, options?: O): Promise<SourceFile<P, I>>;
}

/** Builds a reject item. */
export function reject(position: SourcePosition, code: RejectCode, message: string, path?: string): SourceReject {
  return { kind: 'reject', position, reason: path === undefined ? { code, message } : { code, message, path } };
}

/** A short human form of a position for messages and lineage: `a.csv:12`, `b.xlsx!Sheet1:5`, `c.hl7#3/2(PID)`. */
export function formatPosition(p: SourcePosition): string {
  switch (p.kind) {
    case 'line':
      return `${p.file}:${p.line}`;
    case 'row':
      return `${p.file}!${p.sheet}:${p.row}`;
    case 'message':
      return `${p.file}#${p.message}${p.segment === undefined ? '' : `/${p.segment}(${p.segmentName ?? '?'})`}`;
    case 'entry':
      return `${p.file}[${p.entry}]`;
    case 'file':
      return p.file;
  }
}
