/**
 * A minimal deterministic ZIP writer (deflate, no ZIP64) for the xlsx export. Entries carry a fixed
 * timestamp so the same content gives the same bytes (exceljs's writer stamps the wall clock). A streamed
 * entry is compressed chunk by chunk: each chunk is its own raw-deflate run ended by a sync flush, and the
 * runs concatenate into one valid deflate stream, so memory stays flat; CRC and sizes are patched into the
 * local header afterwards.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, writeSync } from 'node:fs';
import { constants, crc32, deflateRawSync } from 'node:zlib';

/** 1980-01-01 00:00, the DOS epoch: the fixed timestamp of every entry. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
/** ZIP without ZIP64 cannot exceed 4 GiB per entry or archive. */
const ZIP32_MAX = 0xffffffff;
/** General-purpose flag bit 11: names are UTF-8. */
const FLAG_UTF8 = 0x0800;

interface Entry {
  name: Buffer;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
}

/** Writes one ZIP archive. */
export class ZipWriter {
  #fd: number;
  #pos = 0;
  #entries: Entry[] = [];
  #open: { entry: Entry; crc: number; compressed: number; size: number } | null = null;

  constructor(path: string) {
    this.#fd = openSync(path, 'w');
  }

  /** Adds a small entry in one piece. */
  addFile(name: string, data: Buffer): void {
    this.beginEntry(name);
    this.writeEntry(data);
    this.endEntry();
  }

  /** Starts a streamed entry. */
  beginEntry(name: string): void {
    assert(this.#open === null, 'one entry at a time');
    const entry: Entry = { name: Buffer.from(name, 'utf8'), crc: 0, compressed: 0, size: 0, offset: this.#pos };
    this.#write(localHeader(entry));
    this.#open = { entry, crc: 0, compressed: 0, size: 0 };
  }

  /** Appends data to the open entry. */
  writeEntry(data: Buffer): void {
    const open = this.#open;
    assert(open !== null, 'an entry is open');
    if (data.length === 0) return;
    open.crc = crc32(data, open.crc);
    open.size += data.length;
    const chunk = deflateRawSync(data, { level: 6, finishFlush: constants.Z_SYNC_FLUSH });
    open.compressed += chunk.length;
    this.#write(chunk);
  }

  /** Finishes the open entry and patches its local header. */
  endEntry(): void {
    const open = this.#open;
    assert(open !== null, 'an entry is open');
    const tail = deflateRawSync(Buffer.alloc(0), { finishFlush: constants.Z_FINISH });
    open.compressed += tail.length;
    this.#write(tail);
    const { entry } = open;
    entry.crc = open.crc;
    entry.compressed = open.compressed;
    entry.size = open.size;
    assert(entry.compressed <= ZIP32_MAX && entry.size <= ZIP32_MAX, 'entry fits without ZIP64');
    const patch = Buffer.alloc(12);
    patch.writeUInt32LE(entry.crc, 0);
    patch.writeUInt32LE(entry.compressed, 4);
    patch.writeUInt32LE(entry.size, 8);
    writeSync(this.#fd, patch, 0, 12, entry.offset + 14);
    this.#entries.push(entry);
    this.#open = null;
  }

  /** Writes the central directory and closes the file. */
  close(): void {
    assert(this.#open === null, 'no entry left open');
    const start = this.#pos;
    for (const e of this.#entries) this.#write(centralHeader(e));
    const size = this.#pos - start;
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(this.#entries.length, 8);
    end.writeUInt16LE(this.#entries.length, 10);
    end.writeUInt32LE(size, 12);
    end.writeUInt32LE(start, 16);
    this.#write(end);
    assert(this.#pos <= ZIP32_MAX, 'archive fits without ZIP64');
    closeSync(this.#fd);
  }

  #write(buf: Buffer): void {
    let off = 0;
    while (off < buf.length) off += writeSync(this.#fd, buf, off, buf.length - off, this.#pos + off);
    this.#pos += buf.length;
  }
}

function localHeader(e: Entry): Buffer {
  const b = Buffer.alloc(30 + e.name.length);
  b.writeUInt32LE(0x04034b50, 0);
  b.writeUInt16LE(20, 4);
  b.writeUInt16LE(FLAG_UTF8, 6);
  b.writeUInt16LE(8, 8);
  b.writeUInt16LE(DOS_TIME, 10);
  b.writeUInt16LE(DOS_DATE, 12);
  b.writeUInt32LE(e.crc, 14);
  b.writeUInt32LE(e.compressed, 18);
  b.writeUInt32LE(e.size, 22);
  b.writeUInt16LE(e.name.length, 26);
  b.writeUInt16LE(0, 28);
  e.name.copy(b, 30);
  return b;
}

function centralHeader(e: Entry): Buffer {
  const b = Buffer.alloc(46 + e.name.length);
  b.writeUInt32LE(0x02014b50, 0);
  b.writeUInt16LE(20, 4);
  b.writeUInt16LE(20, 6);
  b.writeUInt16LE(FLAG_UTF8, 8);
  b.writeUInt16LE(8, 10);
  b.writeUInt16LE(DOS_TIME, 12);
  b.writeUInt16LE(DOS_DATE, 14);
  b.writeUInt32LE(e.crc, 16);
  b.writeUInt32LE(e.compressed, 20);
  b.writeUInt32LE(e.size, 24);
  b.writeUInt16LE(e.name.length, 28);
  b.writeUInt32LE(e.offset, 42);
  e.name.copy(b, 46);
  return b;
}
