/**
 * An append-only file of framed records: `u32 length ‖ u32 crc32(payload) ‖ payload` (big endian). Appends are
 * buffered and written with one `fdatasync` per flush (group commit). On open a torn LAST record (a crash in the
 * middle of a write) is truncated away; a bad record with anything after it is corruption and stops the caller
 * with MER_LEDGER_WAL_CORRUPT, because silently dropping the middle of a log could un-say a vote.
 */
import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  renameSync,
  write,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { MeridianError } from '../../errors/registry.ts';

/** Largest payload of one record, in bytes; a longer length field is read as damage. */
export const RECORD_BYTES_MAX = 64 * 1024 * 1024;

/** Bytes of a frame header: length and checksum. */
export const FRAME_HEADER_BYTES = 8;

/** What opening a log found: the payloads in order and whether a torn tail was cut off. */
export interface OpenedLog {
  readonly log: FramedLog;
  readonly records: readonly Buffer[];
  /** File offset of each record's frame, for {@link FramedLog.readAt}. */
  readonly offsets: readonly number[];
  readonly repairedBytes: number;
}

/** Frames one payload. */
export function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32(payload), 4);
  payload.copy(out, FRAME_HEADER_BYTES);
  return out;
}

/** Splits a file image into payloads; the offset where the valid prefix ends and whether the rest is a torn tail. */
export function scanFrames(data: Buffer): {
  records: Buffer[];
  offsets: number[];
  validBytes: number;
  corruptAt: number | undefined;
} {
  const records: Buffer[] = [];
  const offsets: number[] = [];
  let at = 0;
  while (at < data.length) {
    if (data.length - at < FRAME_HEADER_BYTES) return { records, offsets, validBytes: at, corruptAt: undefined };
    const length = data.readUInt32BE(at);
    const sum = data.readUInt32BE(at + 4);
    const end = at + FRAME_HEADER_BYTES + length;
    if (end > data.length) {
      // A length running past the end: a torn write, unless the length itself is absurd and data follows.
      if (length > RECORD_BYTES_MAX && data.length - at > FRAME_HEADER_BYTES + 4096) {
        return { records, offsets, validBytes: at, corruptAt: at };
      }
      return { records, offsets, validBytes: at, corruptAt: undefined };
    }
    const payload = data.subarray(at + FRAME_HEADER_BYTES, end);
    if (length === 0 || length > RECORD_BYTES_MAX || crc32(payload) !== sum) {
      if (end === data.length || isZero(data.subarray(at)))
        return { records, offsets, validBytes: at, corruptAt: undefined };
      return { records, offsets, validBytes: at, corruptAt: at };
    }
    records.push(payload);
    offsets.push(at);
    at = end;
  }
  return { records, offsets, validBytes: at, corruptAt: undefined };
}

function isZero(b: Buffer): boolean {
  for (const x of b) if (x !== 0) return false;
  return true;
}

function readAll(fd: number): Buffer {
  const size = fstatSync(fd).size;
  const data = Buffer.allocUnsafe(size);
  let at = 0;
  while (at < size) {
    const n = readSync(fd, data, at, size - at, at);
    if (n === 0) break;
    at += n;
  }
  return data.subarray(0, at);
}

function fsyncDir(path: string): void {
  const fd = openSync(dirname(path), 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A framed append-only log file (see the module comment). */
export class FramedLog {
  readonly path: string;
  #fd: number;
  /** Bytes written to the file (readable). */
  #size: number;
  /** Where the next flush writes: {@link #size} plus what a flush in flight is writing. */
  #reserved: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  private constructor(path: string, fd: number, size: number) {
    this.path = path;
    this.#fd = fd;
    this.#size = size;
    this.#reserved = size;
  }

  /** Opens (or creates) the log, repairing a torn tail; MER_LEDGER_WAL_CORRUPT on damage before the end. */
  static open(path: string): OpenedLog {
    const created = !existsSync(path);
    const fd = openSync(path, created ? 'w+' : 'r+');
    if (created) fsyncDir(path);
    const data = readAll(fd);
    const scan = scanFrames(data);
    if (scan.corruptAt !== undefined) {
      closeSync(fd);
      throw new MeridianError(
        'MER_LEDGER_WAL_CORRUPT',
        `${path} is damaged at byte ${scan.corruptAt} of ${data.length} (a record before the last one fails its checksum); the validator stops rather than forget what it signed — restore the data directory from a replica or wipe it and let the validator recover by state transfer`,
        { path, offset: scan.corruptAt, size: data.length },
      );
    }
    const repairedBytes = data.length - scan.validBytes;
    if (repairedBytes > 0) {
      ftruncateSync(fd, scan.validBytes);
      fsyncSync(fd);
    }
    return {
      log: new FramedLog(path, fd, scan.validBytes),
      records: scan.records,
      offsets: scan.offsets,
      repairedBytes,
    };
  }

  /** Bytes on disk plus bytes waiting for the next flush. */
  get sizeBytes(): number {
    return this.#reserved + this.#pendingBytes;
  }

  /** Whether records wait for a flush. */
  get dirty(): boolean {
    return this.#pending.length > 0;
  }

  /** Buffers one record and returns its future offset; nothing is durable until {@link flush}. */
  append(payload: Buffer): number {
    if (payload.length === 0 || payload.length > RECORD_BYTES_MAX) {
      throw new RangeError(`a log record is 1..${RECORD_BYTES_MAX} bytes, not ${payload.length}`);
    }
    const f = frame(payload);
    const offset = this.#reserved + this.#pendingBytes;
    this.#pending.push(f);
    this.#pendingBytes += f.length;
    return offset;
  }

  /** Reads back the flushed record at `offset` (checked again: the disk may have changed under us). */
  readAt(offset: number): Buffer {
    const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    readSync(this.#fd, head, 0, FRAME_HEADER_BYTES, offset);
    const length = head.readUInt32BE(0);
    if (length === 0 || length > RECORD_BYTES_MAX || offset + FRAME_HEADER_BYTES + length > this.#size) {
      throw new MeridianError('MER_LEDGER_WAL_CORRUPT', `${this.path}: no record at byte ${offset}`, {
        path: this.path,
        offset,
      });
    }
    const payload = Buffer.allocUnsafe(length);
    readSync(this.#fd, payload, 0, length, offset + FRAME_HEADER_BYTES);
    if (crc32(payload) !== head.readUInt32BE(4)) {
      throw new MeridianError('MER_LEDGER_WAL_CORRUPT', `${this.path}: the record at byte ${offset} changed on disk`, {
        path: this.path,
        offset,
      });
    }
    return payload;
  }

  /** Writes every buffered record and fdatasyncs once (group commit). */
  flush(): void {
    const next = this.#take();
    if (next === undefined) return;
    let at = 0;
    while (at < next.data.length) {
      at += writeSync(this.#fd, next.data, at, next.data.length - at, next.position + at);
    }
    fdatasyncSync(this.#fd);
    this.#written(next);
  }

  /**
   * {@link flush} off the event loop: the write and the fdatasync run on libuv's thread pool, so the process goes
   * on receiving while the disk works. Records appended meanwhile wait for the next flush. At most one flush may be
   * in flight, and the file must not be closed or rewritten before it settles.
   */
  async flushAsync(): Promise<void> {
    const next = this.#take();
    if (next === undefined) return;
    const fd = this.#fd;
    let at = 0;
    while (at < next.data.length) {
      at += await new Promise<number>((resolve, reject) =>
        write(fd, next.data, at, next.data.length - at, next.position + at, (e, n) => (e ? reject(e) : resolve(n))),
      );
    }
    await new Promise<void>((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())));
    this.#written(next);
  }

  #take(): { data: Buffer; position: number } | undefined {
    if (this.#pending.length === 0) return undefined;
    const data = this.#pending.length === 1 ? (this.#pending[0] as Buffer) : Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    const position = this.#reserved;
    this.#reserved += data.length;
    return { data, position };
  }

  #written(w: { data: Buffer; position: number }): void {
    this.#size = Math.max(this.#size, w.position + w.data.length);
  }

  /** Replaces the whole log by `payloads` atomically (temp file, fsync, rename, fsync of the directory). */
  rewrite(payloads: readonly Buffer[]): void {
    const tmp = `${this.path}.compact`;
    const fd = openSync(tmp, 'w');
    const data = Buffer.concat(payloads.map(frame));
    let at = 0;
    while (at < data.length) at += writeSync(fd, data, at, data.length - at, at);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.path);
    fsyncDir(this.path);
    closeSync(this.#fd);
    this.#fd = openSync(this.path, 'r+');
    this.#size = data.length;
    this.#reserved = data.length;
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  /** Closes the file; buffered records not flushed are dropped. */
  close(): void {
    closeSync(this.#fd);
  }
}
