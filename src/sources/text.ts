/**
 * Text decoding for the text-based readers (CSV, OMOP, HL7 v2, FHIR): the encoding is declared or detected from
 * the head of the file (BOM; else valid UTF-8 → UTF-8; else GB18030, the superset of GBK), then the file is
 * decoded chunk by chunk with a streaming decoder, so a multi-byte character split across two reads decodes
 * correctly and memory stays bounded whatever the file size.
 */
import type { FileHandle } from 'node:fs/promises';
import iconv from 'iconv-lite';
import { MeridianError } from '../errors/registry.ts';
import { CHUNK_BYTES, openSourceFile, readChunks, readHead } from './file-access.ts';

/** The encodings the text readers decode (GBK is read with the GB18030 decoder, its superset). */
export type TextEncoding = 'utf-8' | 'gbk' | 'gb18030' | 'utf-16le' | 'utf-16be';

/** How the encoding was chosen. */
export type EncodingSource = 'declared' | 'bom' | 'detected';

/** The encoding a file is read with, how it was chosen, and how many BOM bytes precede the text. */
export interface EncodingChoice {
  encoding: TextEncoding;
  source: EncodingSource;
  bomBytes: number;
}

/** Bytes of the head used to detect or check the encoding. */
export const ENCODING_SAMPLE_BYTES = 64 * 1024;

/** The replacement character a decoder puts where bytes cannot be decoded. */
export const REPLACEMENT_CHAR = '\uFFFD';

const LABELS: Record<string, TextEncoding> = {
  utf8: 'utf-8',
  'utf-8': 'utf-8',
  gbk: 'gbk',
  cp936: 'gbk',
  gb2312: 'gbk',
  'gb-2312': 'gbk',
  gb18030: 'gb18030',
  'gb-18030': 'gb18030',
  'utf-16le': 'utf-16le',
  utf16le: 'utf-16le',
  'utf-16be': 'utf-16be',
  utf16be: 'utf-16be',
};

/** Maps an encoding label a steward may write (`UTF8`, `GBK`, `cp936`, `GB18030` …) to a `TextEncoding`. */
export function parseEncodingLabel(label: string): TextEncoding {
  const enc = LABELS[label.trim().toLowerCase().replaceAll('_', '-')];
  if (enc === undefined) {
    throw new MeridianError(
      'MER_SOURCE_OPTION',
      `Unknown encoding "${label}"; use one of utf-8, gbk, gb18030, utf-16le, utf-16be`,
      { encoding: label },
    );
  }
  return enc;
}

/** Counts of a UTF-8 check: invalid sequences, valid multi-byte characters, and the offset of the first error. */
export interface Utf8Stats {
  invalid: number;
  multibyte: number;
  firstInvalidAt: number;
}

/**
 * Checks `bytes` as UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). When `complete` is
 * false a sequence cut off by the end of the sample is not counted as invalid.
 */
export function utf8Stats(bytes: Uint8Array, complete: boolean): Utf8Stats {
  let invalid = 0;
  let multibyte = 0;
  let firstInvalidAt = -1;
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    }
    let ok = need > 0;
    let j = 1;
    for (; ok && j <= need; j++) {
      if (i + j >= n) {
        if (!complete) return { invalid, multibyte, firstInvalidAt };
        ok = false;
        break;
      }
      const c = bytes[i + j] as number;
      const min = j === 1 ? lo : 0x80;
      const max = j === 1 ? hi : 0xbf;
      if (c < min || c > max) ok = false;
    }
    if (ok) {
      multibyte++;
      i += need + 1;
    } else {
      if (firstInvalidAt < 0) firstInvalidAt = i;
      invalid++;
      i++;
    }
  }
  return { invalid, multibyte, firstInvalidAt };
}

/** Counts of a GB18030 decode of a sample: replacement characters and other non-ASCII characters. */
function gb18030Stats(bytes: Uint8Array): { invalid: number; nonAscii: number } {
  const text = createDecoder('gb18030').write(bytes);
  let invalid = 0;
  let nonAscii = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0xfffd) invalid++;
    else if (c >= 0x80) nonAscii++;
  }
  return { invalid, nonAscii };
}

/** A BOM at the start of `head`, if any. */
function bomOf(head: Uint8Array): { encoding: TextEncoding; bytes: number } | undefined {
  const [a, b, c, d] = head;
  if (a === 0xef && b === 0xbb && c === 0xbf) return { encoding: 'utf-8', bytes: 3 };
  if (a === 0xff && b === 0xfe) return { encoding: 'utf-16le', bytes: 2 };
  if (a === 0xfe && b === 0xff) return { encoding: 'utf-16be', bytes: 2 };
  if (a === 0x84 && b === 0x31 && c === 0x95 && d === 0x33) return { encoding: 'gb18030', bytes: 4 };
  return undefined;
}

/**
 * A head with at least 8 valid UTF-8 multi-byte characters per invalid sequence is UTF-8 with a few corrupt
 * spots (their records are rejected later). GBK text read as UTF-8 never comes close: measured over random
 * Chinese strings, it has at most 3 valid multi-byte characters per invalid sequence at 4 characters, at most
 * 1.2 at 20, and ~0.1 in real files.
 */
const UTF8_ERRORS_PER_CHAR = 1 / 8;

/** A head is GB18030 when at most 1 in 50 of its non-ASCII characters does not decode. */
const GB18030_ERRORS_PER_CHAR = 1 / 50;

/** Options of `chooseEncoding`. */
export interface ChooseEncodingOptions {
  file: string;
  /** The encoding a steward declared, if any. */
  declared?: TextEncoding | undefined;
  /** True when `head` is the whole file (a cut-off last character is then an error). */
  complete: boolean;
}

/**
 * Picks the encoding of a file from its head: a BOM wins (and must agree with a declared encoding); a declared
 * encoding is checked against the head (GBK declared for a valid UTF-8 file, or UTF-8 declared for a GBK
 * file, is an error rather than silent mojibake); otherwise valid UTF-8 is UTF-8 and the rest must decode as
 * GB18030. Throws `MER_SOURCE_ENCODING` naming the file when no encoding fits.
 */
export function chooseEncoding(head: Uint8Array, opts: ChooseEncodingOptions): EncodingChoice {
  const { file, declared, complete } = opts;
  const bom = bomOf(head);
  if (bom) {
    const compatible =
      declared === undefined ||
      declared === bom.encoding ||
      (bom.encoding === 'gb18030' && declared === 'gbk') ||
      (bom.encoding === 'utf-8' && declared === 'utf-8');
    if (!compatible) {
      throw new MeridianError(
        'MER_SOURCE_ENCODING',
        `Source file ${file} starts with a ${bom.encoding} byte-order mark but was declared ${declared}`,
        { file, declared, detected: bom.encoding },
      );
    }
    return { encoding: declared ?? bom.encoding, source: declared ? 'declared' : 'bom', bomBytes: bom.bytes };
  }
  if (declared === 'utf-16le' || declared === 'utf-16be')
    return { encoding: declared, source: 'declared', bomBytes: 0 };

  const u8 = utf8Stats(head, complete);
  const utf8Fits = u8.invalid === 0 || u8.invalid <= u8.multibyte * UTF8_ERRORS_PER_CHAR;
  const kib = Math.ceil(head.length / 1024);
  if (declared === 'utf-8') {
    if (utf8Fits) return { encoding: 'utf-8', source: 'declared', bomBytes: 0 };
    const gb = gb18030Stats(head);
    const hint = gb.invalid === 0 ? '; it looks like GBK/GB18030' : '';
    throw new MeridianError(
      'MER_SOURCE_ENCODING',
      `Source file ${file} was declared UTF-8 but is not: ${u8.invalid} invalid byte sequences in its first ${kib} KiB ` +
        `(first at byte ${u8.firstInvalidAt})${hint}`,
      { file, declared, firstInvalidAt: u8.firstInvalidAt },
    );
  }
  if (declared === 'gbk' || declared === 'gb18030') {
    if (u8.invalid === 0 && u8.multibyte >= 3) {
      throw new MeridianError(
        'MER_SOURCE_ENCODING',
        `Source file ${file} was declared ${declared.toUpperCase()} but is valid UTF-8 (${u8.multibyte} multi-byte ` +
          `characters in its first ${kib} KiB); reading it as ${declared.toUpperCase()} would garble every Chinese character`,
        { file, declared, detected: 'utf-8' },
      );
    }
    const gb = gb18030Stats(head);
    if (gb.invalid > gb.nonAscii * GB18030_ERRORS_PER_CHAR) {
      throw new MeridianError(
        'MER_SOURCE_ENCODING',
        `Source file ${file} was declared ${declared.toUpperCase()} but ${gb.invalid} byte sequences in its first ` +
          `${kib} KiB are not valid ${declared.toUpperCase()}`,
        { file, declared },
      );
    }
    return { encoding: declared, source: 'declared', bomBytes: 0 };
  }
  if (utf8Fits) return { encoding: 'utf-8', source: 'detected', bomBytes: 0 };
  const gb = gb18030Stats(head);
  if (gb.invalid <= gb.nonAscii * GB18030_ERRORS_PER_CHAR && gb.nonAscii > 0) {
    return { encoding: 'gb18030', source: 'detected', bomBytes: 0 };
  }
  throw new MeridianError(
    'MER_SOURCE_ENCODING',
    `Source file ${file} is neither UTF-8 nor GBK/GB18030 (${u8.invalid} invalid UTF-8 and ${gb.invalid} invalid ` +
      `GB18030 sequences in its first ${kib} KiB); declare its encoding`,
    { file },
  );
}

/** A streaming decoder: `write` returns the text of whole characters so far, `end` flushes the rest. */
export interface StreamDecoder {
  write(bytes: Uint8Array): string;
  end(): string;
}

/** True when this Node has the ICU data for GB18030 in `TextDecoder` (official builds do). */
function nativeDecoderAvailable(encoding: TextEncoding): boolean {
  try {
    new TextDecoder(encoding === 'gbk' ? 'gb18030' : encoding);
    return true;
  } catch {
    return false;
  }
}

/**
 * A streaming decoder for `encoding`: the native `TextDecoder` (3× faster) where Node has it, iconv-lite
 * otherwise or when `impl` asks for it. GBK is decoded as GB18030, which contains it.
 */
export function createDecoder(encoding: TextEncoding, impl: 'native' | 'iconv' = 'native'): StreamDecoder {
  const label = encoding === 'gbk' ? 'gb18030' : encoding;
  if (impl === 'native' && nativeDecoderAvailable(encoding)) {
    const d = new TextDecoder(label, { ignoreBOM: true });
    return { write: (bytes) => d.decode(bytes, { stream: true }), end: () => d.decode() };
  }
  const d = iconv.getDecoder(label, { stripBOM: false });
  if (label !== 'gb18030') {
    return {
      write: (bytes) => d.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)),
      end: () => d.end() ?? '',
    };
  }
  // iconv-lite 0.7.3 loses the low surrogate when a four-byte GB18030 sequence for a character beyond U+FFFF is
  // split after its third byte, so only whole characters are handed to it; the cut-off tail waits for the next write.
  let pending: Buffer = Buffer.alloc(0);
  return {
    write: (bytes) => {
      const all = pending.length === 0 ? Buffer.from(bytes) : Buffer.concat([pending, bytes]);
      const cut = gb18030WholeCharacters(all);
      pending = all.subarray(cut);
      return d.write(all.subarray(0, cut));
    },
    end: () => {
      const rest = pending.length > 0 ? d.write(pending) : '';
      pending = Buffer.alloc(0);
      return rest + (d.end() ?? '');
    },
  };
}

/** The length of the longest prefix of `bytes` that ends on a GB18030 character boundary. */
export function gb18030WholeCharacters(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x81 || b === 0xff) {
      i++;
      continue;
    }
    if (i + 1 >= n) return i;
    const second = bytes[i + 1] as number;
    if (second >= 0x30 && second <= 0x39) {
      if (i + 3 >= n) return i;
      i += 4;
    } else {
      i += 2;
    }
  }
  return n;
}

/** Options of `openTextFile`. */
export interface TextFileOptions {
  /** A declared encoding label; detected from the head when absent. */
  encoding?: string | undefined;
  /** Bytes per read. */
  chunkBytes?: number;
}

/** A decoded piece of a file and whether it holds replacement characters (undecodable bytes). */
export interface TextChunk {
  text: string;
  invalid: boolean;
}

/** An opened text file: its encoding, size, decoded chunks (one pass) and its handle to close. */
export interface TextFile {
  readonly file: string;
  readonly size: number;
  readonly encoding: EncodingChoice;
  /** The decoded head sample (at most `ENCODING_SAMPLE_BYTES`, BOM removed) for format sniffing. */
  readonly headText: string;
  /** True when the head sample is the whole file. */
  readonly headComplete: boolean;
  chunks(): AsyncGenerator<TextChunk>;
  close(): Promise<void>;
}

/** Opens a text file: checks it is readable and non-empty, picks its encoding, and streams it decoded. */
export async function openTextFile(file: string, opts: TextFileOptions = {}): Promise<TextFile> {
  const declared = opts.encoding === undefined ? undefined : parseEncodingLabel(opts.encoding);
  const { handle, size } = await openSourceFile(file);
  let encoding: EncodingChoice;
  let headText: string;
  let headComplete: boolean;
  try {
    const head = await readHead(handle, Math.min(size, ENCODING_SAMPLE_BYTES), file);
    headComplete = head.length === size;
    encoding = chooseEncoding(head, { file, declared, complete: headComplete });
    headText = createDecoder(encoding.encoding).write(head.subarray(encoding.bomBytes));
  } catch (e) {
    await handle.close();
    throw e;
  }
  return textFile({ file, handle, size, encoding, headText, headComplete, chunkBytes: opts.chunkBytes ?? CHUNK_BYTES });
}

function textFile(o: {
  file: string;
  handle: FileHandle;
  size: number;
  encoding: EncodingChoice;
  headText: string;
  headComplete: boolean;
  chunkBytes: number;
}): TextFile {
  const { file, handle, size, encoding, headText, headComplete, chunkBytes } = o;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return {
    file,
    size,
    encoding,
    headText,
    headComplete,
    async *chunks() {
      const decoder = createDecoder(encoding.encoding);
      try {
        for await (const bytes of readChunks(handle, file, encoding.bomBytes, chunkBytes)) {
          const text = decoder.write(bytes);
          if (text.length > 0) yield { text, invalid: text.includes(REPLACEMENT_CHAR) };
        }
        const rest = decoder.end();
        if (rest.length > 0) yield { text: rest, invalid: rest.includes(REPLACEMENT_CHAR) };
      } finally {
        await close();
      }
    },
    close,
  };
}

/** One line of text with its 1-based line number; a `tooLong` line carries only its first characters. */
export interface TextLine {
  text: string;
  line: number;
  tooLong: boolean;
}

/** How many leading characters a too-long line keeps (enough to tell e.g. an HL7 segment id). */
const TOO_LONG_PREFIX_CHARS = 16;

/**
 * Splits streamed text into lines at `\r\n`, `\r` or `\n` (a `\r\n` split across two chunks counts once).
 * A line longer than `lineCharsMax` is reported as `tooLong` with only its first 16 characters, so memory
 * stays bounded.
 */
export class LineSplitter {
  readonly #lineCharsMax: number;
  #pending: string[] = [];
  #pendingChars = 0;
  #tooLong = false;
  #skipLf = false;
  #line = 1;

  constructor(lineCharsMax: number) {
    this.#lineCharsMax = lineCharsMax;
  }

  /** Feeds a chunk; returns the lines it completed. */
  push(text: string): TextLine[] {
    const out: TextLine[] = [];
    let start = 0;
    if (this.#skipLf && text.charCodeAt(0) === 10) start = 1;
    this.#skipLf = false;
    const n = text.length;
    let i = start;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) {
        i++;
        continue;
      }
      this.#emit(out, text, start, i);
      if (c === 13) {
        if (i + 1 < n) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else this.#skipLf = true;
      }
      i++;
      start = i;
    }
    if (start < n) this.#hold(text, start, n);
    return out;
  }

  /** Ends the input; returns the last line if it had no line break. */
  finish(): TextLine[] {
    const out: TextLine[] = [];
    if (this.#pendingChars > 0 || this.#tooLong) this.#emit(out, '', 0, 0);
    return out;
  }

  #hold(text: string, from: number, to: number): void {
    if (this.#tooLong) return;
    this.#pendingChars += to - from;
    this.#pending.push(text.slice(from, to));
    if (this.#pendingChars > this.#lineCharsMax) {
      this.#tooLong = true;
      this.#pending = [this.#pending.join('').slice(0, TOO_LONG_PREFIX_CHARS)];
    }
  }

  #emit(out: TextLine[], text: string, from: number, to: number): void {
    const line = this.#line++;
    if (this.#tooLong || this.#pendingChars + (to - from) > this.#lineCharsMax) {
      const prefix = (this.#pending.join('') + text.slice(from, Math.min(to, from + TOO_LONG_PREFIX_CHARS))).slice(
        0,
        TOO_LONG_PREFIX_CHARS,
      );
      out.push({ text: prefix, line, tooLong: true });
    } else if (this.#pending.length === 0) {
      out.push({ text: text.slice(from, to), line, tooLong: false });
    } else {
      this.#pending.push(text.slice(from, to));
      out.push({ text: this.#pending.join(''), line, tooLong: false });
    }
    this.#pending = [];
    this.#pendingChars = 0;
    this.#tooLong = false;
  }
}
