/**
 * HL7 v2 file reader: ADT/ORU messages as files from a LIS or an interface engine. Segments end with CR, LF or
 * CRLF; a message starts at each MSH segment, or at an MLLP start byte (0x0B) when the file holds MLLP frames
 * (0x0B … 0x1C 0x0D); batch envelopes (FHS, BHS, BTS, FTS) are skipped. Each message is a `record` with its
 * parsed `Hl7Message`, or a `reject` naming the message and the segment at fault.
 */
import { MeridianError } from '../errors/registry.ts';
import { type Hl7Message, parseHl7Segments } from './hl7-message.ts';
import { type EncodingSource, LineSplitter, openTextFile, type TextEncoding } from './text.ts';
import { reject, type SourceFile, type SourceItem, type SourceReader } from './types.ts';

/** Longest message accepted by default, in characters (a message with an embedded PDF report fits). */
export const HL7_MESSAGE_CHARS_MAX = 16 * 1024 * 1024;

/** Most segments one message may have by default. */
export const HL7_SEGMENTS_MAX = 10_000;

/** Options of the HL7 v2 file reader. */
export interface Hl7FileOptions {
  /** Declared encoding; detected when absent (UTF-8, else GB18030). */
  encoding?: string;
  messageCharsMax?: number;
  segmentsMax?: number;
  chunkBytes?: number;
}

/** What opening an HL7 file found out. */
export interface Hl7Info {
  encoding: TextEncoding;
  encodingSource: EncodingSource;
  /** `mllp` when the file holds MLLP frames, else `lines`. */
  framing: 'mllp' | 'lines';
}

/** An HL7 record: the parsed message. */
export interface Hl7Payload {
  message: Hl7Message;
}

const VT = '\u000b';
const FS = '\u001c';
const BATCH_SEGMENTS = new Set(['FHS', 'BHS', 'BTS', 'FTS']);

/** True when a segment text starts with the id `name` followed by a separator (not a letter or digit). */
function startsSegment(text: string, name: string): boolean {
  if (!text.startsWith(name)) return false;
  if (text.length === 3) return true;
  const c = text.charCodeAt(3);
  return !((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122));
}

/** True for a line holding only whitespace. */
function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x20) return false;
  return true;
}

/** Opens an HL7 v2 file; a file with no MSH segment in its head is not HL7 (`MER_SOURCE_FORMAT`). */
export async function openHl7File(
  file: string,
  options: Hl7FileOptions = {},
): Promise<SourceFile<Hl7Payload, Hl7Info>> {
  const text = await openTextFile(file, { encoding: options.encoding, chunkBytes: options.chunkBytes });
  const head = text.headText;
  const hasMsh = head
    .split(/[\r\n]/)
    .some((l) => startsSegment(l.replace(/^\s+/, ''), 'MSH') || startsSegment(l.trimStart(), 'FHS'));
  if (!hasMsh) {
    await text.close();
    if (head.trim() === '') {
      throw new MeridianError('MER_SOURCE_EMPTY', `Source file ${file} holds only blank lines`, { file });
    }
    throw new MeridianError(
      'MER_SOURCE_FORMAT',
      `Source file ${file} is not HL7 v2: no MSH segment in its first ${Math.ceil(head.length / 1024)} KiB`,
      { file },
    );
  }
  const info: Hl7Info = {
    encoding: text.encoding.encoding,
    encodingSource: text.encoding.source,
    framing: head.replace(/^[ \t\r\n]+/, '').startsWith(VT) ? 'mllp' : 'lines',
  };
  const messageCharsMax = options.messageCharsMax ?? HL7_MESSAGE_CHARS_MAX;
  const segmentsMax = options.segmentsMax ?? HL7_SEGMENTS_MAX;
  let started = false;
  return {
    file,
    format: 'hl7v2',
    info,
    close: () => text.close(),
    async *[Symbol.asyncIterator]() {
      if (started) throw new Error('a SourceFile can be iterated once');
      started = true;
      const group = new MessageGroups(file, messageCharsMax, segmentsMax);
      const splitter = new LineSplitter(messageCharsMax);
      try {
        for await (const chunk of text.chunks()) {
          const out: SourceItem<Hl7Payload>[] = [];
          for (const line of splitter.push(chunk.text)) group.line(out, line.text, line.line, line.tooLong);
          for (const item of out) yield item;
        }
        const out: SourceItem<Hl7Payload>[] = [];
        for (const line of splitter.finish()) group.line(out, line.text, line.line, line.tooLong);
        group.flush(out);
        for (const item of out) yield item;
      } finally {
        await text.close();
      }
    },
  };
}

/** Groups segment lines into messages and parses each group. */
class MessageGroups {
  readonly #file: string;
  readonly #charsMax: number;
  readonly #segmentsMax: number;
  #lines: string[] = [];
  #chars = 0;
  #startLine = 0;
  #tooLarge = false;
  #invalid = false;
  #open = false;
  #index = 0;

  constructor(file: string, charsMax: number, segmentsMax: number) {
    this.#file = file;
    this.#charsMax = charsMax;
    this.#segmentsMax = segmentsMax;
  }

  /** Takes one line of the file; appends the items of any message it completed to `out`. */
  line(out: SourceItem<Hl7Payload>[], raw: string, lineNo: number, tooLong: boolean): void {
    let text = raw;
    if (text.includes(VT)) {
      this.#flushInto(out);
      text = text.slice(text.lastIndexOf(VT) + 1);
    }
    const fs = text.indexOf(FS);
    const endsMessage = fs >= 0;
    if (endsMessage) text = text.slice(0, fs);
    if (tooLong) {
      // Only the first characters of the line are known: enough to see whether a new message starts here.
      if (startsSegment(text, 'MSH')) this.#flushInto(out);
      this.#start(lineNo);
      this.#tooLarge = true;
    } else if (!isBlank(text)) {
      const first = text.charCodeAt(0);
      if (first === 77 && startsSegment(text, 'MSH')) {
        this.#flushInto(out);
        this.#start(lineNo);
      } else if (
        (first === 70 || first === 66) &&
        BATCH_SEGMENTS.has(text.slice(0, 3)) &&
        startsSegment(text, text.slice(0, 3))
      ) {
        this.#flushInto(out);
        return;
      } else if (!this.#open) {
        this.#start(lineNo);
      }
      this.#add(text);
    }
    if (endsMessage) this.#flushInto(out);
  }

  /** Ends the input: appends the last message. */
  flush(out: SourceItem<Hl7Payload>[]): void {
    this.#flushInto(out);
  }

  #start(lineNo: number): void {
    if (this.#open) return;
    this.#open = true;
    this.#startLine = lineNo;
  }

  #add(text: string): void {
    if (this.#tooLarge) return;
    this.#chars += text.length + 1;
    if (this.#chars > this.#charsMax || this.#lines.length >= this.#segmentsMax) {
      this.#tooLarge = true;
      this.#lines = [];
      return;
    }
    if (text.includes('\uFFFD')) this.#invalid = true;
    this.#lines.push(text);
  }

  #flushInto(out: SourceItem<Hl7Payload>[]): void {
    if (!this.#open) return;
    const message = ++this.#index;
    const position = { kind: 'message' as const, file: this.#file, message, line: this.#startLine };
    if (this.#tooLarge) {
      out.push(
        reject(
          position,
          'HL7_MESSAGE_TOO_LARGE',
          `message ${message} (line ${this.#startLine}) exceeds ${this.#charsMax} characters or ${this.#segmentsMax} segments`,
        ),
      );
    } else if (this.#invalid) {
      out.push(
        reject(position, 'ENCODING_INVALID', `message ${message} (line ${this.#startLine}) holds undecodable bytes`),
      );
    } else {
      const parsed = parseHl7Segments(this.#lines);
      if (parsed.ok) {
        out.push({ kind: 'record', position, message: parsed.message });
      } else {
        out.push(
          reject(
            { ...position, segment: parsed.segment, segmentName: parsed.segmentName },
            parsed.code,
            `message ${message} (line ${this.#startLine}): ${parsed.message}`,
          ),
        );
      }
    }
    this.#lines = [];
    this.#chars = 0;
    this.#tooLarge = false;
    this.#invalid = false;
    this.#open = false;
  }
}

/** The HL7 v2 file reader. */
export const hl7v2Reader: SourceReader<Hl7Payload, Hl7Info, Hl7FileOptions> = { format: 'hl7v2', open: openHl7File };
