/**
 * DICOM Part 10 files with headers only (no pixel data), as a PACS export for indexing: 128-byte preamble,
 * "DICM", the file meta group (0002) and a data set, all Explicit VR Little Endian. Text values are encoded
 * per Specific Character Set: ISO_IR 192 (UTF-8) or GB18030, which Chinese PACS commonly use.
 */
import iconv from 'iconv-lite';

/** One data element: tag as 0xGGGGEEEE, value representation, value (text or bytes). */
export interface DicomElement {
  tag: number;
  vr: string;
  value: string | Buffer;
}

/** The two character sets the generator writes. */
export type DicomCharset = 'ISO_IR 192' | 'GB18030';

/** Explicit VR Little Endian. */
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** Our implementation class UID (a UUID-derived OID under 2.25). */
const IMPLEMENTATION_CLASS_UID = '2.25.226403437498306931012981290473582617241';
const IMPLEMENTATION_VERSION = 'MERIDIAN_GEN_1';
/** VRs with a 2-byte reserved field and a 4-byte length. */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
/** VRs whose text may hold non-ASCII characters (encoded per the character set). */
const TEXT_VRS = new Set(['LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT']);

function encodeValue(el: DicomElement, charset: DicomCharset): Buffer {
  let bytes: Buffer;
  if (typeof el.value !== 'string') bytes = el.value;
  else if (TEXT_VRS.has(el.vr))
    bytes = charset === 'GB18030' ? iconv.encode(el.value, 'gb18030') : Buffer.from(el.value, 'utf8');
  else bytes = Buffer.from(el.value, 'latin1');
  if (bytes.length % 2 === 1)
    bytes = Buffer.concat([bytes, Buffer.from([el.vr === 'UI' || el.vr === 'OB' ? 0 : 0x20])]);
  return bytes;
}

function encodeElement(el: DicomElement, charset: DicomCharset): Buffer {
  const value = encodeValue(el, charset);
  const long = LONG_VRS.has(el.vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(el.tag >>> 16, 0);
  head.writeUInt16LE(el.tag & 0xffff, 2);
  head.write(el.vr, 4, 'latin1');
  if (long) head.writeUInt32LE(value.length, 8);
  else {
    if (value.length > 0xffff) throw new RangeError(`value too long for ${el.vr}`);
    head.writeUInt16LE(value.length, 6);
  }
  return Buffer.concat([head, value]);
}

/** A whole Part 10 file: preamble, DICM, file meta group, then the data set sorted by tag. */
export function dicomFile(opts: {
  sopClassUid: string;
  sopInstanceUid: string;
  charset: DicomCharset;
  elements: readonly DicomElement[];
}): Buffer {
  const meta = [
    { tag: 0x00020001, vr: 'OB', value: Buffer.from([0, 1]) },
    { tag: 0x00020002, vr: 'UI', value: opts.sopClassUid },
    { tag: 0x00020003, vr: 'UI', value: opts.sopInstanceUid },
    { tag: 0x00020010, vr: 'UI', value: EXPLICIT_VR_LITTLE_ENDIAN },
    { tag: 0x00020012, vr: 'UI', value: IMPLEMENTATION_CLASS_UID },
    { tag: 0x00020013, vr: 'SH', value: IMPLEMENTATION_VERSION },
  ].map((el) => encodeElement(el, 'ISO_IR 192'));
  const metaLength = meta.reduce((s, b) => s + b.length, 0);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(metaLength, 0);
  const data = [
    { tag: 0x00080005, vr: 'CS', value: opts.charset },
    { tag: 0x00080016, vr: 'UI', value: opts.sopClassUid },
    { tag: 0x00080018, vr: 'UI', value: opts.sopInstanceUid },
    ...opts.elements,
  ]
    .sort((a, b) => a.tag - b.tag)
    .map((el) => encodeElement(el, opts.charset));
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM', 'latin1'),
    encodeElement({ tag: 0x00020000, vr: 'UL', value: groupLength }, 'ISO_IR 192'),
    ...meta,
    ...data,
  ]);
}

/** A DICOM UID under the 2.25 root from 128 random bits (ITU-T X.667 UUID-derived OID). */
export function uidFromWords(w: readonly [number, number, number, number]): string {
  const n = (BigInt(w[0]) << 96n) | (BigInt(w[1]) << 64n) | (BigInt(w[2]) << 32n) | BigInt(w[3]);
  return `2.25.${n.toString(10)}`;
}
