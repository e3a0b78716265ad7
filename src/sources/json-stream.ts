/**
 * A streaming scanner for one large JSON object (a FHIR Bundle): it tracks only structure (nesting, strings,
 * escapes) and hands out the text of each element of the top-level `entry` array, and of each other top-level
 * member, as soon as it is complete. Each piece is then parsed with JSON.parse on its own, so a bundle of any
 * size is read holding one entry at a time. Pieces longer than `pieceCharsMax` are reported, not held.
 */

const LF = 10;
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_OBJ = 123;
const CLOSE_OBJ = 125;
const OPEN_ARR = 91;
const CLOSE_ARR = 93;

/** What the scanner reports. */
export type JsonScanEvent =
  /** A complete element of the top-level `entry` array (0-based index, 1-based start line); no text when too large. */
  | { kind: 'entry'; index: number; line: number; text: string | undefined }
  /** A complete top-level member other than `entry`; no text when too large. */
  | { kind: 'member'; key: string; line: number; text: string | undefined }
  /** The text cannot be scanned further (the reason says where); scanning stops. */
  | { kind: 'syntax'; line: number; message: string; entry?: number };

/** Where the scanner is in the top-level object. */
const State = {
  BeforeRoot: 0,
  ExpectKey: 1,
  InKey: 2,
  ExpectColon: 3,
  ExpectValue: 4,
  AfterValue: 5,
  InEntries: 6,
  AfterEntry: 7,
  AfterRoot: 8,
  Done: 9,
} as const;
type State = (typeof State)[keyof typeof State];

function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** The streaming scanner (see the file comment). */
export class JsonObjectScanner {
  readonly #pieceCharsMax: number;
  #state: State = State.BeforeRoot;
  #line = 1;
  #key = '';
  #keyParts: string[] = [];
  // The value being captured: its open brackets, string state, and its text so far.
  #capturing = false;
  /** Open brackets of the captured value ('{' or '['), innermost last. */
  #capStack: number[] = [];
  #capInString = false;
  #capEscape = false;
  #capScalar = false;
  #capParts: string[] = [];
  #capChars = 0;
  #capTooLarge = false;
  #capLine = 0;
  #capIsEntry = false;
  #entryIndex = 0;
  #keyEscape = false;

  constructor(pieceCharsMax: number) {
    this.#pieceCharsMax = pieceCharsMax;
  }

  /** Feeds text; returns the events it completed. */
  push(text: string): JsonScanEvent[] {
    const out: JsonScanEvent[] = [];
    this.#scan(text, out);
    return out;
  }

  /** Ends the input; a file that ends inside the object is reported as a syntax event. */
  finish(): JsonScanEvent[] {
    const out: JsonScanEvent[] = [];
    if (this.#capturing && this.#capScalar && !this.#capInString) this.#endCapture(out);
    if (this.#state === State.Done || this.#state === State.AfterRoot) return out;
    if (this.#state === State.BeforeRoot) {
      out.push({ kind: 'syntax', line: this.#line, message: 'no JSON object in the file' });
    } else if (this.#capturing && this.#capIsEntry) {
      out.push({
        kind: 'syntax',
        line: this.#capLine,
        entry: this.#entryIndex,
        message: `the file ends inside entry ${this.#entryIndex} (started line ${this.#capLine}): truncated`,
      });
    } else {
      out.push({
        kind: 'syntax',
        line: this.#line,
        message: 'the file ends before the JSON object is closed: truncated',
      });
    }
    this.#state = State.Done;
    return out;
  }

  #fail(out: JsonScanEvent[], message: string): void {
    out.push({ kind: 'syntax', line: this.#line, message: `line ${this.#line}: ${message}` });
    this.#state = State.Done;
  }

  #startCapture(first: number, isEntry: boolean): void {
    this.#capturing = true;
    this.#capStack = [];
    this.#capInString = false;
    this.#capEscape = false;
    this.#capScalar = first !== OPEN_OBJ && first !== OPEN_ARR && first !== QUOTE;
    this.#capParts = [];
    this.#capChars = 0;
    this.#capTooLarge = false;
    this.#capLine = this.#line;
    this.#capIsEntry = isEntry;
  }

  #keep(text: string, from: number, to: number): void {
    if (this.#capTooLarge || to <= from) return;
    this.#capChars += to - from;
    if (this.#capChars > this.#pieceCharsMax) {
      this.#capTooLarge = true;
      this.#capParts = [];
      return;
    }
    this.#capParts.push(text.slice(from, to));
  }

  #endCapture(out: JsonScanEvent[]): void {
    const text = this.#capTooLarge ? undefined : this.#capParts.join('');
    this.#capParts = [];
    this.#capturing = false;
    if (this.#capIsEntry) {
      out.push({ kind: 'entry', index: this.#entryIndex++, line: this.#capLine, text });
      this.#state = State.AfterEntry;
    } else {
      out.push({ kind: 'member', key: this.#key, line: this.#capLine, text });
      this.#state = State.AfterValue;
    }
  }

  /**
   * Advances the capture over text[i…]; returns the index after the captured value, or -1 when the text ran
   * out inside it (the consumed part is kept).
   */
  #capture(text: string, i: number, out: JsonScanEvent[]): number {
    const n = text.length;
    let j = i;
    // Inside strings the scanner jumps from quote to quote with indexOf; `bs` caches the next backslash.
    let bs = -2;
    while (j < n) {
      if (this.#capInString) {
        if (this.#capEscape) {
          this.#capEscape = false;
          j++;
          continue;
        }
        if (bs < j && bs !== -1) bs = text.indexOf('\\', j);
        const q = text.indexOf('"', j);
        if (bs !== -1 && (q === -1 || bs < q)) {
          this.#capEscape = true;
          j = bs + 1;
          continue;
        }
        if (q === -1) {
          j = n;
          break;
        }
        this.#capInString = false;
        j = q;
        if (this.#capStack.length === 0) {
          this.#keep(text, i, j + 1);
          this.#endCapture(out);
          return j + 1;
        }
        j++;
        continue;
      }
      const c = text.charCodeAt(j);
      if (this.#capScalar) {
        if (c === COMMA || c === CLOSE_OBJ || c === CLOSE_ARR || isWs(c)) {
          this.#keep(text, i, j);
          this.#endCapture(out);
          return j;
        }
        j++;
        continue;
      }
      if (c === QUOTE) this.#capInString = true;
      else if (c === OPEN_OBJ || c === OPEN_ARR) this.#capStack.push(c);
      else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
        // A bracket closes its opener and any unclosed brackets inside it, so one broken entry cannot swallow
        // the entries after it (JSON.parse then refuses the broken one).
        const opener = c === CLOSE_OBJ ? OPEN_OBJ : OPEN_ARR;
        const at = this.#capStack.lastIndexOf(opener);
        this.#capStack.length = at < 0 ? Math.max(0, this.#capStack.length - 1) : at;
        if (this.#capStack.length === 0) {
          this.#keep(text, i, j + 1);
          this.#endCapture(out);
          return j + 1;
        }
      } else if (c === LF) this.#line++;
      j++;
    }
    this.#keep(text, i, n);
    return -1;
  }

  #scan(text: string, out: JsonScanEvent[]): void {
    const n = text.length;
    let i = 0;
    if (this.#capturing) {
      const end = this.#capture(text, 0, out);
      if (end < 0) return;
      i = end;
    }
    while (i < n && this.#state !== State.Done) {
      const c = text.charCodeAt(i);
      switch (this.#state) {
        case State.BeforeRoot:
          if (isWs(c)) break;
          if (c !== OPEN_OBJ) {
            this.#fail(out, 'the file does not hold a JSON object');
            return;
          }
          this.#state = State.ExpectKey;
          break;
        case State.ExpectKey:
          if (isWs(c)) break;
          if (c === CLOSE_OBJ) {
            this.#state = State.AfterRoot;
            break;
          }
          if (c !== QUOTE) {
            this.#fail(out, 'expected a member name');
            return;
          }
          this.#keyParts = [];
          this.#keyEscape = false;
          this.#state = State.InKey;
          break;
        case State.InKey: {
          let j = i;
          while (j < n) {
            const k = text.charCodeAt(j);
            if (this.#keyEscape) this.#keyEscape = false;
            else if (k === BACKSLASH) this.#keyEscape = true;
            else if (k === QUOTE) break;
            j++;
          }
          this.#keyParts.push(text.slice(i, j));
          if (j >= n) return;
          const raw = this.#keyParts.join('');
          if (raw.length > 1024) {
            this.#fail(out, 'a member name longer than 1024 characters');
            return;
          }
          try {
            this.#key = JSON.parse(`"${raw}"`) as string;
          } catch {
            this.#fail(out, 'a member name is not a valid JSON string');
            return;
          }
          this.#state = State.ExpectColon;
          i = j;
          break;
        }
        case State.ExpectColon:
          if (isWs(c)) break;
          if (c !== COLON) {
            this.#fail(out, `expected ":" after "${this.#key}"`);
            return;
          }
          this.#state = State.ExpectValue;
          break;
        case State.ExpectValue:
          if (isWs(c)) break;
          if (this.#key === 'entry' && c === OPEN_ARR) {
            this.#state = State.InEntries;
            break;
          }
          this.#startCapture(c, false);
          {
            const end = this.#capture(text, i, out);
            if (end < 0) return;
            i = end;
          }
          continue;
        case State.AfterValue:
          if (isWs(c)) break;
          if (c === COMMA) this.#state = State.ExpectKey;
          else if (c === CLOSE_OBJ) this.#state = State.AfterRoot;
          else {
            this.#fail(out, 'expected "," or "}" after a member');
            return;
          }
          break;
        case State.InEntries:
          if (isWs(c) || c === COMMA) break;
          if (c === CLOSE_ARR) {
            this.#state = State.AfterValue;
            break;
          }
          this.#startCapture(c, true);
          {
            const end = this.#capture(text, i, out);
            if (end < 0) return;
            i = end;
          }
          continue;
        case State.AfterEntry:
          if (isWs(c)) break;
          if (c === COMMA) this.#state = State.InEntries;
          else if (c === CLOSE_ARR) this.#state = State.AfterValue;
          else {
            this.#fail(out, `expected "," or "]" after entry ${this.#entryIndex - 1}`);
            return;
          }
          break;
        case State.AfterRoot:
          if (isWs(c)) break;
          {
            this.#fail(out, 'text after the end of the JSON object');
            return;
          }
        default:
          return;
      }
      if (c === LF) this.#line++;
      i++;
    }
  }
}
