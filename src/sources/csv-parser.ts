/**
 * A streaming RFC 4180 parser: quoted fields with embedded delimiters, line breaks and doubled quotes; CRLF,
 * LF or CR line ends; blank lines skipped. Text is pushed chunk by chunk and complete records come out with the
 * line they start on. A record is re-scanned from its start when more text arrives, so the parser holds no
 * state inside a field; records longer than `recordCharsMax` are refused, so memory stays bounded.
 *
 * A quoted field that never closes (a truncated last record, or a stray quote), or one that closes on a later line
 * and is followed by text (a stray quote that paired with a later field's quote), refuses the physical line the
 * record starts on and parsing resumes on the next line, so one stray quote costs one line, not the file.
 */
import { REPLACEMENT_CHAR } from './text.ts';

const LF = 10;
const CR = 13;
const QUOTE = 34;

/** What the parser produces: a record's values, or a refused record with its reason. */
export type CsvEvent =
  | { kind: 'values'; values: string[]; line: number; invalid: boolean; badQuote: boolean }
  | { kind: 'error'; line: number; code: CsvErrorCode; message: string };

/** The reasons the parser itself refuses a record for. */
export type CsvErrorCode = 'CSV_UNTERMINATED_QUOTE' | 'CSV_RECORD_TOO_LARGE' | 'CSV_BAD_QUOTE';

/** Options of a `CsvParser`. */
export interface CsvParserOptions {
  /** One character: `,`, tab, `;`, `|` or any other. */
  delimiter: string;
  /** Longest record (in characters, quotes included) before it is refused. */
  recordCharsMax: number;
}

type Step =
  | { kind: 'record'; values: string[]; end: number; breaks: number; badQuote: boolean }
  | { kind: 'blank'; end: number }
  | { kind: 'more'; inQuote: boolean }
  | { kind: 'unterminated' };

const MORE: Step = { kind: 'more', inQuote: false };
const MORE_IN_QUOTE: Step = { kind: 'more', inQuote: true };
const UNTERMINATED: Step = { kind: 'unterminated' };

/** Counts line breaks (`\r\n`, `\r`, `\n`) in `s[from, to)`. */
function countBreaks(s: string, from: number, to: number): number {
  let breaks = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === LF) breaks++;
    else if (c === CR && s.charCodeAt(i + 1) !== LF) breaks++;
  }
  return breaks;
}

/** The index of the first line break at or after `from`, or -1. */
function nextBreak(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === LF || c === CR) return i;
  }
  return -1;
}

/** A push parser for delimited text (see the file comment). */
export class CsvParser {
  readonly #delim: number;
  readonly #recordCharsMax: number;
  #buf = '';
  #pos = 0;
  #line = 1;
  #invalid = false;
  #skipping = false;

  constructor(opts: CsvParserOptions) {
    if (opts.delimiter.length !== 1) throw new RangeError('delimiter must be one character');
    this.#delim = opts.delimiter.charCodeAt(0);
    this.#recordCharsMax = opts.recordCharsMax;
  }

  /** Feeds decoded text; `invalid` says it holds replacement characters. Returns the events it completed. */
  push(text: string, invalid = false): CsvEvent[] {
    const out: CsvEvent[] = [];
    if (this.#skipping) {
      const b = nextBreak(text, 0);
      if (b < 0) return out;
      this.#skipping = false;
      text = text.slice(b);
    }
    if (this.#pos < this.#buf.length) {
      this.#buf = this.#buf.slice(this.#pos) + text;
      this.#invalid ||= invalid;
    } else {
      this.#buf = text;
      this.#invalid = invalid;
    }
    this.#pos = 0;
    this.#drain(out, false);
    return out;
  }

  /** Ends the input: the last record (with or without a final line break) and any unterminated one. */
  finish(): CsvEvent[] {
    const out: CsvEvent[] = [];
    if (!this.#skipping) this.#drain(out, true);
    this.#buf = '';
    this.#pos = 0;
    return out;
  }

  #drain(out: CsvEvent[], final: boolean): void {
    for (;;) {
      const step = this.#step(final);
      switch (step.kind) {
        case 'blank':
          this.#pos = step.end;
          this.#line++;
          continue;
        case 'record': {
          if (step.badQuote && step.breaks > 0) {
            // A quote opened on one line and "closed" on a later one, then followed by text: almost surely a
            // stray quote that paired with the opening quote of a later field. Refuse the first line only.
            this.#refuseLine(out, 'CSV_BAD_QUOTE', 'a quote opened here pairs with one on a later line (stray quote?)');
            continue;
          }
          const line = this.#line;
          const endsWithBreak = step.end > 0 && this.#isBreakBefore(step.end);
          this.#pos = step.end;
          this.#line += step.breaks + (endsWithBreak ? 1 : 0);
          const invalid = this.#invalid && step.values.some((v) => v.includes(REPLACEMENT_CHAR));
          out.push({ kind: 'values', values: step.values, line, invalid, badQuote: step.badQuote });
          continue;
        }
        case 'unterminated':
          this.#refuseLine(
            out,
            'CSV_UNTERMINATED_QUOTE',
            'a quoted field is never closed (truncated record or stray quote)',
          );
          if (this.#pos >= this.#buf.length) return;
          continue;
        case 'more':
          if (this.#buf.length - this.#pos > this.#recordCharsMax) {
            if (step.inQuote) {
              this.#refuseLine(
                out,
                'CSV_UNTERMINATED_QUOTE',
                `a quoted field runs past ${this.#recordCharsMax} characters without closing (stray quote?)`,
              );
            } else {
              this.#refuseLine(
                out,
                'CSV_RECORD_TOO_LARGE',
                `the record is longer than ${this.#recordCharsMax} characters`,
              );
            }
            if (this.#pos < this.#buf.length) continue;
          }
          return;
      }
    }
  }

  #isBreakBefore(end: number): boolean {
    const c = this.#buf.charCodeAt(end - 1);
    return c === LF || c === CR;
  }

  /** Refuses the physical line the current record starts on and resumes at the line break after it. */
  #refuseLine(out: CsvEvent[], code: CsvErrorCode, message: string): void {
    out.push({ kind: 'error', line: this.#line, code, message });
    const b = nextBreak(this.#buf, this.#pos);
    if (b < 0) {
      // The line has not ended yet: drop what we hold and skip text until it does.
      this.#skipping = this.#buf.length > 0;
      this.#buf = '';
      this.#pos = 0;
      return;
    }
    // Leave the line break in place: it is consumed as a blank line, which advances the line number.
    this.#pos = b;
  }

  /** Scans one record (or blank line) starting at #pos. */
  #step(final: boolean): Step {
    const s = this.#buf;
    const n = s.length;
    const d = this.#delim;
    let i = this.#pos;
    if (i >= n) return MORE;
    const c0 = s.charCodeAt(i);
    if (c0 === LF) return { kind: 'blank', end: i + 1 };
    if (c0 === CR) {
      if (i + 1 >= n && !final) return MORE;
      return { kind: 'blank', end: s.charCodeAt(i + 1) === LF ? i + 2 : i + 1 };
    }
    const values: string[] = [];
    let breaks = 0;
    let badQuote = false;
    for (;;) {
      if (i < n && s.charCodeAt(i) === QUOTE) {
        let value = '';
        let segStart = i + 1;
        let j = segStart;
        for (;;) {
          const q = s.indexOf('"', j);
          if (q < 0) return final ? UNTERMINATED : MORE_IN_QUOTE;
          if (q + 1 >= n && !final) return MORE_IN_QUOTE;
          if (s.charCodeAt(q + 1) === QUOTE) {
            value += s.slice(segStart, q + 1);
            j = q + 2;
            segStart = j;
            continue;
          }
          value += s.slice(segStart, q);
          breaks += countBreaks(s, i + 1, q);
          i = q + 1;
          break;
        }
        if (i < n) {
          const c = s.charCodeAt(i);
          if (c !== d && c !== LF && c !== CR) {
            let k = i;
            while (k < n) {
              const ck = s.charCodeAt(k);
              if (ck === d || ck === LF || ck === CR) break;
              k++;
            }
            if (k >= n && !final) return MORE;
            badQuote = true;
            value += s.slice(i, k);
            i = k;
          }
        }
        values.push(value);
      } else {
        let k = i;
        while (k < n) {
          const ck = s.charCodeAt(k);
          if (ck === d || ck === LF || ck === CR) break;
          k++;
        }
        if (k >= n && !final) return MORE;
        values.push(s.slice(i, k));
        i = k;
      }
      if (i >= n) return { kind: 'record', values, end: n, breaks, badQuote };
      const c = s.charCodeAt(i);
      if (c === d) {
        i++;
        continue;
      }
      if (c === CR) {
        if (i + 1 >= n && !final) return MORE;
        return { kind: 'record', values, end: s.charCodeAt(i + 1) === LF ? i + 2 : i + 1, breaks, badQuote };
      }
      return { kind: 'record', values, end: i + 1, breaks, badQuote };
    }
  }
}

/** The delimiters detection chooses from, in order of preference on a tie. */
export const CSV_DELIMITERS = [',', '\t', ';', '|'] as const;

/** Records sampled to detect the delimiter. */
const DETECT_RECORDS = 20;

/**
 * Picks the delimiter of a CSV head: for each candidate, the first records are parsed (quotes respected) and the
 * candidate whose records most consistently have the header's field count (at least two fields) wins, more
 * fields breaking a tie. A file where no candidate splits the header is single-column (comma).
 */
export function detectDelimiter(headText: string, complete: boolean): string {
  let best: string = CSV_DELIMITERS[0];
  let bestScore = -1;
  for (const delimiter of CSV_DELIMITERS) {
    const parser = new CsvParser({ delimiter, recordCharsMax: headText.length + 1 });
    const events = [...parser.push(headText), ...(complete ? parser.finish() : [])];
    const counts: number[] = [];
    for (const e of events) {
      if (e.kind === 'values') counts.push(e.values.length);
      if (counts.length >= DETECT_RECORDS) break;
    }
    const header = counts[0] ?? 0;
    if (header < 2) continue;
    const agreeing = counts.filter((c) => c === header).length / counts.length;
    const score = agreeing * 1_000_000 + header;
    if (score > bestScore) {
      bestScore = score;
      best = delimiter;
    }
  }
  return best;
}
