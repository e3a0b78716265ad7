/**
 * A buffered, synchronous text file writer in the encodings Chinese hospital exports use (UTF-8 with or
 * without a byte-order mark, GBK, GB18030). Text is collected up to a bound, encoded, hashed (SHA-256) and
 * appended, so memory stays flat however large the file grows.
 */
import assert from 'node:assert/strict';
import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import iconv from 'iconv-lite';

/** The encodings the generator writes. */
export type TextEncoding = 'utf-8' | 'utf-8-bom' | 'gbk' | 'gb18030';

/** Size and hash of a finished file. */
export interface WrittenFile {
  bytes: number;
  sha256: string;
}

/** Characters buffered before an encode-and-write: small buffers die young, which keeps garbage collection cheap. */
const FLUSH_CHARS_MAX = 1 << 16;
const QUESTION = 0x3f;

/** Appends text to one file in one encoding. */
export class TextSink {
  readonly path: string;
  readonly encoding: TextEncoding;
  #fd: number;
  #parts: string[] = [];
  #pending = 0;
  #bytes = 0;
  #hash: Hash = createHash('sha256');
  #closed = false;

  constructor(path: string, encoding: TextEncoding) {
    this.path = path;
    this.encoding = encoding;
    this.#fd = openSync(path, 'w');
    if (encoding === 'utf-8-bom') this.#emit(Buffer.from([0xef, 0xbb, 0xbf]));
  }

  /** Queues text; it reaches the disk at the next flush. */
  write(text: string): void {
    assert(!this.#closed, `write after close: ${this.path}`);
    this.#parts.push(text);
    this.#pending += text.length;
    if (this.#pending >= FLUSH_CHARS_MAX) this.flush();
  }

  /** Encodes and writes everything queued. */
  flush(): void {
    if (this.#parts.length === 0) return;
    const text = this.#parts.join('');
    this.#parts = [];
    this.#pending = 0;
    this.#emit(this.#encode(text));
  }

  /** Flushes, closes the file and returns its size and SHA-256. */
  close(): WrittenFile {
    this.flush();
    closeSync(this.#fd);
    this.#closed = true;
    return { bytes: this.#bytes, sha256: this.#hash.digest('hex') };
  }

  #encode(text: string): Buffer {
    if (this.encoding === 'utf-8' || this.encoding === 'utf-8-bom') return Buffer.from(text, 'utf8');
    const buf = iconv.encode(text, this.encoding);
    if (this.encoding === 'gbk') {
      // iconv-lite writes '?' for a character GBK lacks; in GBK 0x3F is never a trail byte, so a count
      // mismatch means an unencodable character slipped in (a generator bug, not data).
      assert.equal(countByte(buf, QUESTION), countChar(text, '?'), `a character outside GBK in ${this.path}`);
    }
    return buf;
  }

  #emit(buf: Buffer): void {
    let off = 0;
    while (off < buf.length) off += writeSync(this.#fd, buf, off, buf.length - off);
    this.#hash.update(buf);
    this.#bytes += buf.length;
  }
}

function countByte(buf: Buffer, byte: number): number {
  let n = 0;
  let i = buf.indexOf(byte);
  while (i !== -1) {
    n++;
    i = buf.indexOf(byte, i + 1);
  }
  return n;
}

function countChar(text: string, ch: string): number {
  let n = 0;
  let i = text.indexOf(ch);
  while (i !== -1) {
    n++;
    i = text.indexOf(ch, i + 1);
  }
  return n;
}

/** One CSV line; fields with a comma, quote, line break or edge whitespace are quoted (RFC 4180). */
export function csvLine(fields: readonly string[], eol: string): string {
  let out = '';
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as string;
    if (i > 0) out += ',';
    out += needsQuotes(f) ? `"${f.replaceAll('"', '""')}"` : f;
  }
  return out + eol;
}

const QUOTE_CHARS = /[",\r\n]/;

function needsQuotes(f: string): boolean {
  if (f.length === 0) return false;
  const first = f.charCodeAt(0);
  const last = f.charCodeAt(f.length - 1);
  return isSpace(first) || isSpace(last) || QUOTE_CHARS.test(f);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x3000;
}
