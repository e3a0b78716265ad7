/**
 * DICOM header reader for the PACS index: the tags Meridian indexes (patient, study, series, instance,
 * modality, dates, body part, accession, institution, manufacturer) and the file's SHA-256. Only the head of
 * the file is parsed (dicom-parser with `untilTag` = Pixel Data); the rest is streamed through the hash and
 * dropped, so a 2 GB multi-frame file costs no more memory than its header. Strings are decoded by Specific
 * Character Set (0008,0005): ISO_IR 192 (UTF-8), GB18030, GBK, ISO 2022 IR 58 (GB2312), Latin-1; undeclared
 * non-ASCII text is read as UTF-8 when valid, else GB18030, as Chinese PACS often leave it undeclared.
 */
import { createHash } from 'node:crypto';
import dicomParser from 'dicom-parser';
import { MeridianError } from '../errors/registry.ts';
import { openSourceFile, readChunks, readHead } from './file-access.ts';
import { createDecoder, type TextEncoding, utf8Stats } from './text.ts';
import { reject, type SourceFile, type SourceItem, type SourceReader } from './types.ts';

/** The tags Meridian indexes, by DICOM keyword, with their dicom-parser keys (xGGGGEEEE). */
export const DICOM_TAGS = {
  SpecificCharacterSet: 'x00080005',
  SOPClassUID: 'x00080016',
  SOPInstanceUID: 'x00080018',
  StudyDate: 'x00080020',
  SeriesDate: 'x00080021',
  StudyTime: 'x00080030',
  AccessionNumber: 'x00080050',
  Modality: 'x00080060',
  Manufacturer: 'x00080070',
  InstitutionName: 'x00080080',
  ReferringPhysicianName: 'x00080090',
  StudyDescription: 'x00081030',
  SeriesDescription: 'x0008103e',
  ManufacturerModelName: 'x00081090',
  PatientName: 'x00100010',
  PatientID: 'x00100020',
  PatientBirthDate: 'x00100030',
  PatientSex: 'x00100040',
  PatientAge: 'x00101010',
  BodyPartExamined: 'x00180015',
  StudyInstanceUID: 'x0020000d',
  SeriesInstanceUID: 'x0020000e',
  StudyID: 'x00200010',
  SeriesNumber: 'x00200011',
  InstanceNumber: 'x00200013',
} as const;

/** A DICOM keyword Meridian indexes. */
export type DicomKeyword = keyof typeof DICOM_TAGS;

/** The last indexed tag: once parsing has passed it, nothing the index needs can follow (tags ascend). */
const LAST_INDEXED_TAG = 'x00200013';
const PIXEL_DATA = 'x7fe00010';

/** Bytes of the head parsed first; doubled until the header is complete. */
const FIRST_ATTEMPT_BYTES = 64 * 1024;

/** Longest header (everything before the pixel data) accepted by default. */
export const DICOM_HEAD_BYTES_MAX = 64 * 1024 * 1024;

/** The header of one DICOM file. */
export interface DicomHeader {
  /** Indexed values by keyword (trimmed; absent when the file has no such element). */
  tags: Partial<Record<DicomKeyword, string>>;
  transferSyntaxUID: string;
  /** SHA-256 of the whole file, hex. */
  sha256: string;
  byteLength: number;
  hasPixelData: boolean;
}

/** A DICOM record: the header. */
export interface DicomPayload {
  header: DicomHeader;
}

/** Options of the DICOM reader. */
export interface DicomOptions {
  headBytesMax?: number;
  chunkBytes?: number;
}

/** What opening a DICOM file found out. */
export interface DicomInfo {
  /** `part10` with the 128-byte preamble and DICM, or `raw` for a bare data set (old PACS exports). */
  layout: 'part10' | 'raw';
  byteLength: number;
}

const UID = /^[0-9]+(\.[0-9]+)*$/;

/** True for a DICOM UID: digits in dot-separated components, at most 64 characters. */
export function isDicomUid(s: string): boolean {
  return s.length > 0 && s.length <= 64 && UID.test(s);
}

/** Guesses whether bytes without a preamble are a bare data set; returns its transfer syntax, if so. */
function rawTransferSyntax(head: Uint8Array): string | undefined {
  if (head.length < 8 || head[1] !== 0x00 || (head[0] !== 0x08 && head[0] !== 0x02)) return undefined;
  const vr = String.fromCharCode(head[4] ?? 0, head[5] ?? 0);
  return /^[A-Z]{2}$/.test(vr) ? '1.2.840.10008.1.2.1' : '1.2.840.10008.1.2';
}

/** The decoder choice for a Specific Character Set value. */
function charsetOf(value: string | undefined): { encoding: TextEncoding | 'latin1' | 'guess'; iso2022: boolean } {
  const v = (value ?? '').toUpperCase();
  if (v.includes('ISO 2022 IR 58')) return { encoding: 'gb18030', iso2022: true };
  if (v.includes('ISO_IR 192')) return { encoding: 'utf-8', iso2022: false };
  if (v.includes('GB18030')) return { encoding: 'gb18030', iso2022: false };
  if (v.includes('GBK')) return { encoding: 'gbk', iso2022: false };
  if (v.includes('ISO_IR 100')) return { encoding: 'latin1', iso2022: false };
  return { encoding: 'guess', iso2022: false };
}

/** Drops ISO 2022 escape sequences (ESC, intermediate bytes 0x20–0x2F, one final byte), leaving EUC-CN bytes. */
function stripIso2022Escapes(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] as number;
    if (c !== 0x1b) {
      out.push(c);
      continue;
    }
    while (i + 1 < bytes.length && (bytes[i + 1] as number) >= 0x20 && (bytes[i + 1] as number) <= 0x2f) i++;
    i++;
  }
  return Uint8Array.from(out);
}

/** Decodes the bytes of a string element under a character set choice. */
function decodeString(bytes: Uint8Array, cs: ReturnType<typeof charsetOf>): string {
  const b = cs.iso2022 ? stripIso2022Escapes(bytes) : bytes;
  if (b.every((x) => x < 0x80)) return Buffer.from(b).toString('latin1');
  if (cs.encoding === 'latin1') return Buffer.from(b).toString('latin1');
  const enc = cs.encoding === 'guess' ? (utf8Stats(b, true).invalid === 0 ? 'utf-8' : 'gb18030') : cs.encoding;
  const d = createDecoder(enc);
  return d.write(b) + d.end();
}

/** Strips the padding DICOM puts on values (trailing spaces and NULs, leading spaces). */
function trimValue(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) <= 0x20 || s.charCodeAt(end - 1) === 0x7f)) end--;
  let start = 0;
  while (start < end && s.charCodeAt(start) === 0x20) start++;
  return s.slice(start, end);
}

type ParseOutcome =
  | { kind: 'ok'; dataSet: dicomParser.DataSet; complete: boolean }
  | { kind: 'error'; message: string };

/** Parses a head; `complete` says the header is certainly all there (pixel data reached or passed the index). */
function parseHead(bytes: Uint8Array, rawSyntax: string | undefined): ParseOutcome {
  const options: dicomParser.ParseDicomOptions = { untilTag: PIXEL_DATA };
  if (rawSyntax !== undefined) options.TransferSyntaxUID = rawSyntax;
  const passedIndex = (ds: dicomParser.DataSet) =>
    ds.elements[PIXEL_DATA] !== undefined || Object.keys(ds.elements).some((t) => t > LAST_INDEXED_TAG);
  try {
    const dataSet = dicomParser.parseDicom(bytes, options);
    return { kind: 'ok', dataSet, complete: passedIndex(dataSet) };
  } catch (e) {
    const partial = (e as { dataSet?: dicomParser.DataSet }).dataSet;
    if (partial !== undefined && passedIndex(partial)) return { kind: 'ok', dataSet: partial, complete: true };
    const ex = (e as { exception?: unknown }).exception ?? e;
    return { kind: 'error', message: ex instanceof Error ? ex.message : String(ex) };
  }
}

/** Reads the indexed tags out of a parsed data set. */
function headerOf(
  dataSet: dicomParser.DataSet,
  rawSyntax: string | undefined,
): Omit<DicomHeader, 'sha256' | 'byteLength'> {
  const cs = charsetOf(dataSet.string(DICOM_TAGS.SpecificCharacterSet));
  const tags: Partial<Record<DicomKeyword, string>> = {};
  for (const [keyword, tag] of Object.entries(DICOM_TAGS) as [DicomKeyword, string][]) {
    const el = dataSet.elements[tag];
    if (el === undefined || el.length === 0 || el.length === 0xffffffff) continue;
    const bytes = dataSet.byteArray.subarray(el.dataOffset, el.dataOffset + el.length);
    const value = trimValue(decodeString(bytes, cs));
    if (value !== '') tags[keyword] = value;
  }
  const ts = rawSyntax ?? trimValue(dataSet.string('x00020010') ?? '');
  return { tags, transferSyntaxUID: ts, hasPixelData: dataSet.elements[PIXEL_DATA] !== undefined };
}

/** Opens a DICOM file; a file with neither the DICM marker nor a recognizable bare data set is not DICOM. */
export async function openDicom(
  file: string,
  options: DicomOptions = {},
): Promise<SourceFile<DicomPayload, DicomInfo>> {
  const { handle, size } = await openSourceFile(file);
  let rawSyntax: string | undefined;
  try {
    const head = await readHead(handle, Math.min(size, 132), file);
    const part10 = head.length === 132 && head.subarray(128, 132).toString('latin1') === 'DICM';
    if (!part10) {
      rawSyntax = rawTransferSyntax(head);
      if (rawSyntax === undefined) {
        throw new MeridianError(
          'MER_SOURCE_FORMAT',
          `Source file ${file} is not DICOM: no "DICM" marker at byte 128 and no data set at its start`,
          { file },
        );
      }
    }
  } catch (e) {
    await handle.close();
    throw e;
  }
  const headBytesMax = options.headBytesMax ?? DICOM_HEAD_BYTES_MAX;
  const chunkBytes = options.chunkBytes;
  const info: DicomInfo = { layout: rawSyntax === undefined ? 'part10' : 'raw', byteLength: size };
  let started = false;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return {
    file,
    format: 'dicom',
    info,
    close,
    async *[Symbol.asyncIterator](): AsyncGenerator<SourceItem<DicomPayload>> {
      if (started) throw new Error('a SourceFile can be iterated once');
      started = true;
      const position = { kind: 'file' as const, file };
      const hash = createHash('sha256');
      const parts: Buffer[] = [];
      let headLen = 0;
      let nextAttempt = FIRST_ATTEMPT_BYTES;
      let outcome: ParseOutcome | undefined;
      let lastError = '';
      try {
        for await (const chunk of readChunks(handle, file, 0, chunkBytes)) {
          hash.update(chunk);
          if (outcome !== undefined) continue;
          parts.push(chunk);
          headLen += chunk.length;
          if (headLen < nextAttempt && headLen < size) continue;
          const attempt = parseHead(Buffer.concat(parts), rawSyntax);
          if (attempt.kind === 'ok' && attempt.complete) {
            outcome = attempt;
            parts.length = 0;
          } else if (attempt.kind === 'error') {
            lastError = attempt.message;
          }
          if (outcome === undefined && headLen >= headBytesMax) {
            yield reject(
              position,
              'DICOM_HEADER_TOO_LARGE',
              `${file}: no complete header in the first ${headBytesMax} bytes (${lastError || 'no pixel data yet'})`,
            );
            return;
          }
          nextAttempt = Math.max(nextAttempt * 2, headLen + 1);
        }
        if (outcome === undefined) {
          const final = parseHead(Buffer.concat(parts), rawSyntax);
          parts.length = 0;
          if (final.kind === 'error') {
            yield reject(position, 'DICOM_CORRUPT', `${file} cannot be parsed as DICOM: ${final.message}`);
            return;
          }
          outcome = final;
        }
        if (outcome.kind !== 'ok') return;
        const h = headerOf(outcome.dataSet, rawSyntax);
        for (const k of ['StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID'] as const) {
          const uid = h.tags[k];
          if (uid === undefined || !isDicomUid(uid)) {
            yield reject(
              position,
              'DICOM_INVALID_UID',
              `${file}: ${k} is ${uid === undefined ? 'missing' : `not a valid UID ("${uid.slice(0, 80)}")`}`,
              k,
            );
            return;
          }
        }
        yield { kind: 'record', position, header: { ...h, sha256: hash.digest('hex'), byteLength: size } };
      } finally {
        await close();
      }
    },
  };
}

/** The DICOM reader. */
export const dicomReader: SourceReader<DicomPayload, DicomInfo, DicomOptions> = { format: 'dicom', open: openDicom };
