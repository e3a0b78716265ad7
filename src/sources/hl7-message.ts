/**
 * A strict HL7 v2 message model: segments split by the delimiters MSH-1 and MSH-2 declare, escape sequences
 * (\F\ \S\ \T\ \R\ \E\ \P\ \Xhh…\ \.br\) decoded on access, and values addressed by path (`PID-3[2].1`,
 * `OBX[3]-5`). @medplum/core's Hl7Message was evaluated and not used: it leaves escape sequences encoded, accepts
 * segment ids such as `P1`, and has no way to report which segment of which message is malformed.
 */
import { MeridianError } from '../errors/registry.ts';
import type { RejectCode } from './types.ts';

/** The delimiters of a message (MSH-1 and MSH-2; `truncation` only from v2.7 on). */
export interface Hl7Delimiters {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
  truncation?: string;
}

/** The delimiters almost every sender uses: `|^~\&`. */
export const DEFAULT_DELIMITERS: Readonly<Hl7Delimiters> = Object.freeze({
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
});

/** MSH-2 for a set of delimiters. */
export function encodingCharacters(d: Hl7Delimiters): string {
  return d.component + d.repetition + d.escape + d.subcomponent + (d.truncation ?? '');
}

/** True when the first three characters of `text` are a segment id: a capital letter, then capitals or digits. */
function hasSegmentId(text: string): boolean {
  if (text.length < 3) return false;
  const a = text.charCodeAt(0);
  const b = text.charCodeAt(1);
  const c = text.charCodeAt(2);
  const upperOrDigit = (x: number) => (x >= 65 && x <= 90) || (x >= 48 && x <= 57);
  return a >= 65 && a <= 90 && upperOrDigit(b) && upperOrDigit(c);
}
const ALNUM = /[A-Za-z0-9]/;

/** True when `c` may be a delimiter: one character, not a letter or digit, not whitespace or a control character. */
function delimiterAllowed(c: string): boolean {
  return c.length === 1 && !ALNUM.test(c) && c.charCodeAt(0) > 0x20 && c.charCodeAt(0) !== 0x7f;
}

/** Escapes text for an HL7 field: delimiters become \F\ \S\ \T\ \R\ \E\ (\P\), CR and LF become \X0D\ \X0A\. */
export function escapeHl7(text: string, d: Hl7Delimiters): string {
  let out = '';
  for (const ch of text) {
    if (ch === d.escape) out += `${d.escape}E${d.escape}`;
    else if (ch === d.field) out += `${d.escape}F${d.escape}`;
    else if (ch === d.component) out += `${d.escape}S${d.escape}`;
    else if (ch === d.subcomponent) out += `${d.escape}T${d.escape}`;
    else if (ch === d.repetition) out += `${d.escape}R${d.escape}`;
    else if (d.truncation !== undefined && ch === d.truncation) out += `${d.escape}P${d.escape}`;
    else if (ch === '\r') out += `${d.escape}X0D${d.escape}`;
    else if (ch === '\n') out += `${d.escape}X0A${d.escape}`;
    else out += ch;
  }
  return out;
}

const UTF8_FATAL = new TextDecoder('utf-8', { fatal: true });

/** Decodes the hex of a \X…\ sequence: UTF-8 when the bytes are valid UTF-8, else one character per byte. */
function decodeHex(hex: string): string | undefined {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
  const bytes = Buffer.from(hex, 'hex');
  try {
    return UTF8_FATAL.decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/**
 * Decodes escape sequences. Highlighting (\H\ \N\) and character-set switches (\Cxxyy\ \Mxxyyzz\) are dropped;
 * \.br\ becomes a line feed; an unknown or unclosed sequence is kept as it stands.
 */
export function unescapeHl7(text: string, d: Hl7Delimiters): string {
  const e = d.escape;
  let i = text.indexOf(e);
  if (i < 0) return text;
  let out = text.slice(0, i);
  while (i >= 0) {
    const j = text.indexOf(e, i + 1);
    if (j < 0) {
      out += text.slice(i);
      return out;
    }
    const seq = text.slice(i + 1, j);
    let decoded: string | undefined;
    switch (seq) {
      case 'F':
        decoded = d.field;
        break;
      case 'S':
        decoded = d.component;
        break;
      case 'T':
        decoded = d.subcomponent;
        break;
      case 'R':
        decoded = d.repetition;
        break;
      case 'E':
        decoded = d.escape;
        break;
      case 'P':
        decoded = d.truncation;
        break;
      case '.br':
        decoded = '\n';
        break;
      case 'H':
      case 'N':
        decoded = '';
        break;
      default:
        if (seq.startsWith('X')) decoded = decodeHex(seq.slice(1));
        else if (/^(C[0-9A-Fa-f]{4}|M[0-9A-Fa-f]{6})$/.test(seq)) decoded = '';
    }
    if (decoded === undefined) {
      // Not an escape sequence we know: keep the opening escape character and go on after it.
      out += e;
      const next = text.indexOf(e, i + 1);
      out += text.slice(i + 1, next);
      i = next;
      continue;
    }
    out += decoded;
    const next = text.indexOf(e, j + 1);
    out += text.slice(j + 1, next < 0 ? undefined : next);
    i = next;
  }
  return out;
}

/** A parsed path: segment (occurrence), field, repetition, component, subcomponent; all 1-based. */
export interface Hl7Path {
  segment: string;
  occurrence: number;
  field: number;
  repetition: number;
  component: number;
  subcomponent: number;
}

const PATH = /^([A-Z][A-Z0-9]{2})(?:\[(\d+)\])?-(\d+)(?:\[(\d+)\])?(?:\.(\d+)(?:\.(\d+))?)?$/;

/**
 * Parses `SEG[occurrence]-field[repetition].component.subcomponent` (only `SEG-field` is required; every
 * omitted index is 1), e.g. `PID-3[2].1`, `OBX[2]-5`, `PID-5.1`. Throws `MER_SOURCE_OPTION` for another form.
 */
export function parseHl7Path(path: string): Hl7Path {
  const m = PATH.exec(path.trim());
  const nums = m ? [m[2], m[3], m[4], m[5], m[6]].map((v) => (v === undefined ? 1 : Number(v))) : [];
  if (!m || nums.some((n) => n < 1)) {
    throw new MeridianError(
      'MER_SOURCE_OPTION',
      `"${path}" is not an HL7 path; write SEG[occurrence]-field[repetition].component.subcomponent, e.g. PID-3[1].1`,
      { path },
    );
  }
  const [occurrence, field, repetition, component, subcomponent] = nums as [number, number, number, number, number];
  return { segment: m[1] as string, occurrence, field, repetition, component, subcomponent };
}

/** One segment: its id and its fields as sent (escaped); `fields[n]` is field n, `fields[0]` the id. */
export class Hl7Segment {
  readonly name: string;
  readonly fields: readonly string[];

  constructor(name: string, fields: readonly string[]) {
    this.name = name;
    this.fields = fields;
  }
}

/** A parsed HL7 v2 message. */
export class Hl7Message {
  readonly delimiters: Hl7Delimiters;
  readonly segments: readonly Hl7Segment[];

  constructor(segments: readonly Hl7Segment[], delimiters: Hl7Delimiters) {
    this.segments = segments;
    this.delimiters = delimiters;
  }

  /** The `occurrence`-th (1-based) segment named `name`. */
  segment(name: string, occurrence = 1): Hl7Segment | undefined {
    let seen = 0;
    for (const s of this.segments) if (s.name === name && ++seen === occurrence) return s;
    return undefined;
  }

  /** Every segment named `name`, in order. */
  segmentsNamed(name: string): Hl7Segment[] {
    return this.segments.filter((s) => s.name === name);
  }

  /**
   * The unescaped value at `path` (`PID-3[1].1`); an omitted repetition, component or subcomponent is the first
   * one, so `PID-5` is the family name of the first name. Undefined when the segment or element is absent.
   */
  get(path: string | Hl7Path): string | undefined {
    const p = typeof path === 'string' ? parseHl7Path(path) : path;
    const seg = this.segment(p.segment, p.occurrence);
    return seg === undefined ? undefined : this.#value(seg, p, p.repetition);
  }

  /** The value at `path` in every repetition of the field (`PID-3.1` → every patient identifier). */
  getRepetitions(path: string | Hl7Path): string[] {
    const p = typeof path === 'string' ? parseHl7Path(path) : path;
    const seg = this.segment(p.segment, p.occurrence);
    const raw = seg?.fields[p.field];
    if (seg === undefined || raw === undefined || raw === '') return [];
    if (seg.name === 'MSH' && p.field <= 2) return [raw];
    const count = raw.split(this.delimiters.repetition).length;
    const out: string[] = [];
    for (let r = 1; r <= count; r++) out.push(this.#value(seg, p, r) ?? '');
    return out;
  }

  #value(seg: Hl7Segment, p: Hl7Path, repetition: number): string | undefined {
    const raw = seg.fields[p.field];
    if (raw === undefined) return undefined;
    if (seg.name === 'MSH' && p.field <= 2) return raw;
    const d = this.delimiters;
    const rep = repetition === 1 && !raw.includes(d.repetition) ? raw : raw.split(d.repetition)[repetition - 1];
    if (rep === undefined) return undefined;
    const comp = p.component === 1 && !rep.includes(d.component) ? rep : rep.split(d.component)[p.component - 1];
    if (comp === undefined) return undefined;
    const sub =
      p.subcomponent === 1 && !comp.includes(d.subcomponent) ? comp : comp.split(d.subcomponent)[p.subcomponent - 1];
    return sub === undefined ? undefined : unescapeHl7(sub, d);
  }

  /** MSH-9 as `code^event` (e.g. `ORU^R01`), or just the code when no event is given. */
  get type(): string {
    const code = this.get('MSH-9.1') ?? '';
    const event = this.get('MSH-9.2') ?? '';
    return event === '' ? code : `${code}^${event}`;
  }

  /** MSH-10, the sender's message control id. */
  get controlId(): string {
    return this.get('MSH-10') ?? '';
  }

  /** MSH-12, the HL7 version (e.g. `2.5.1`). */
  get version(): string {
    return this.get('MSH-12') ?? '';
  }

  /** The message as HL7 text, segments ended by CR. */
  toString(): string {
    const fs = this.delimiters.field;
    return this.segments
      .map((s) => (s.name === 'MSH' ? `MSH${fs}${s.fields.slice(2).join(fs)}` : s.fields.join(fs)))
      .join('\r')
      .concat('\r');
  }
}

/** The outcome of parsing one message: the message, or why it was refused and at which segment (1-based). */
export type Hl7ParseResult =
  | { ok: true; message: Hl7Message }
  | { ok: false; code: RejectCode; segment: number; segmentName: string; message: string };

/** Reads MSH-1 and MSH-2 from an MSH segment's text. */
function readDelimiters(msh: string): Hl7Delimiters | string {
  if (msh.startsWith('MSH|^~\\&|')) return DEFAULT_DELIMITERS;
  const field = msh.charAt(3);
  if (!delimiterAllowed(field)) return `MSH-1 (field separator) "${field}" is not allowed`;
  const end = msh.indexOf(field, 4);
  const enc = msh.slice(4, end < 0 ? undefined : end);
  if (enc.length !== 4 && enc.length !== 5) {
    return `MSH-2 (encoding characters) "${enc}" must be 4 characters (5 with the truncation character)`;
  }
  const chars = [field, ...enc];
  if (!chars.every(delimiterAllowed) || new Set(chars).size !== chars.length) {
    return `MSH-1/MSH-2 "${field}${enc}" must be distinct characters that are not letters, digits or spaces`;
  }
  const [component, repetition, escapeChar, subcomponent, truncation] = [...enc] as [
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  const d: Hl7Delimiters = { field, component, repetition, escape: escapeChar, subcomponent };
  if (truncation !== undefined) d.truncation = truncation;
  return d;
}

/**
 * Parses one message from its segment texts (without line ends). The first segment must be MSH with valid
 * delimiters and a message type (MSH-9) and control id (MSH-10); every segment needs a 3-character id (a capital
 * letter, then capitals or digits) followed by the field separator or the end of the segment.
 */
export function parseHl7Segments(texts: readonly string[]): Hl7ParseResult {
  const first = texts[0];
  if (first === undefined)
    return { ok: false, code: 'HL7_NO_MSH', segment: 1, segmentName: '', message: 'no segments' };
  if (!first.startsWith('MSH')) {
    const name = first.slice(0, 3);
    return {
      ok: false,
      code: 'HL7_NO_MSH',
      segment: 1,
      segmentName: name,
      message: `the message starts with "${name}", not with an MSH segment`,
    };
  }
  const d = readDelimiters(first);
  if (typeof d === 'string') {
    return { ok: false, code: 'HL7_BAD_ENCODING_CHARS', segment: 1, segmentName: 'MSH', message: d };
  }
  const segments: Hl7Segment[] = [];
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i] as string;
    const name = text.slice(0, 3);
    if (!hasSegmentId(text) || (text.length > 3 && text.charAt(3) !== d.field)) {
      const shown = text.length > 3 && text.charAt(3) !== d.field ? text.slice(0, text.indexOf(d.field)) : name;
      return {
        ok: false,
        code: 'HL7_BAD_SEGMENT',
        segment: i + 1,
        segmentName: shown.slice(0, 16),
        message: `segment ${i + 1} has no valid segment id ("${shown.slice(0, 16)}")`,
      };
    }
    if (i > 0 && name === 'MSH') {
      return {
        ok: false,
        code: 'HL7_NO_MSH',
        segment: i + 1,
        segmentName: name,
        message: `MSH appears again as segment ${i + 1}; a message has one MSH, first`,
      };
    }
    const parts = text.split(d.field);
    segments.push(new Hl7Segment(name, i === 0 ? ['MSH', d.field, ...parts.slice(1)] : parts));
  }
  const message = new Hl7Message(segments, d);
  for (const [field, what] of [
    [9, 'message type'],
    [10, 'message control id'],
  ] as const) {
    if (
      (message.get({ segment: 'MSH', occurrence: 1, field, repetition: 1, component: 1, subcomponent: 1 }) ?? '') === ''
    ) {
      return {
        ok: false,
        code: 'HL7_MSH_FIELD_MISSING',
        segment: 1,
        segmentName: 'MSH',
        message: `MSH-${field} (${what}) is empty`,
      };
    }
  }
  return { ok: true, message };
}

/** Parses one message from text whose segments end with CR, LF or CRLF (blank lines ignored). */
export function parseHl7(text: string): Hl7ParseResult {
  return parseHl7Segments(text.split(/\r\n|\r|\n/).filter((s) => s.trim() !== ''));
}
