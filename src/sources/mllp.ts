/**
 * MLLP listener for live HL7 v2 feeds (node:net). Each frame (0x0B message 0x1C 0x0D) is parsed and handed to
 * `onMessage`; the sender gets an HL7 ACK carrying its MSH-10: AA when the callback accepted the message, AE
 * when it failed (or timed out), AR when the message could not be parsed or the callback refused it. A frame
 * larger than `frameBytesMax` gets AR and the connection is closed; idle connections are closed after
 * `idleTimeoutMs`; `close()` lets messages in flight finish and ACK before the sockets close.
 *
 *   idle ──0x0B──► in frame ──0x1C──► queued ──► onMessage ──► ACK written ──► idle
 *                     └── > frameBytesMax ──► AR, close
 *
 * @medplum/hl7's server was not used: it has no frame size bound, no idle timeout and no AR for unparseable
 * messages; this listener is small enough to own.
 */
import { createServer, type Server, type Socket } from 'node:net';
import iconv from 'iconv-lite';
import { MeridianError } from '../errors/registry.ts';
import { DEFAULT_DELIMITERS, escapeHl7, type Hl7Delimiters, type Hl7Message, parseHl7 } from './hl7-message.ts';
import { createDecoder, parseEncodingLabel, type TextEncoding, utf8Stats } from './text.ts';
import { reject, type SourceReject } from './types.ts';

const VT = 0x0b;
const FS = 0x1c;
const CR = 0x0d;

/** Largest frame accepted by default (bytes between 0x0B and 0x1C). */
export const MLLP_FRAME_BYTES_MAX = 8 * 1024 * 1024;
/** A connection with no traffic for this long is closed by default. */
export const MLLP_IDLE_TIMEOUT_MS = 60_000;
/** Most simultaneous connections by default. */
export const MLLP_CONNECTIONS_MAX = 32;
/** Longest `onMessage` may take before the message is answered AE, by default. */
export const MLLP_HANDLER_TIMEOUT_MS = 30_000;
/** Complete frames buffered per connection while one is processed; beyond this the socket is paused. */
const QUEUED_FRAMES_MAX = 8;

/** Where a message came from. */
export interface MllpContext {
  /** `host:port` of the sender. */
  peer: string;
  /** 1-based ordinal of the connection since the listener started. */
  connection: number;
  /** 1-based ordinal of the frame on its connection. */
  message: number;
}

/** The acknowledgment code the callback chooses; `text` goes into MSA-3. */
export interface MllpVerdict {
  ack: 'AA' | 'AE' | 'AR';
  text?: string;
}

/** Options of the listener. */
export interface MllpOptions {
  /** Takes one parsed message; resolve (or return a verdict) to ACK it, throw to answer AE. */
  onMessage(message: Hl7Message, ctx: MllpContext): Promise<MllpVerdict | undefined> | MllpVerdict | undefined;
  /** Takes a frame that was answered AR without reaching `onMessage`, so it can be quarantined. */
  onReject?(rejected: SourceReject, raw: Buffer, ctx: MllpContext): Promise<void> | void;
  frameBytesMax?: number;
  idleTimeoutMs?: number;
  connectionsMax?: number;
  handlerTimeoutMs?: number;
  /** Declared encoding of frames; per frame UTF-8 when valid, else GB18030, when absent. */
  encoding?: string;
  /** MSH-3 of ACKs when the message named no receiving application (MSH-5). */
  application?: string;
  /** MSH-4 of ACKs when the message named no receiving facility (MSH-6). */
  facility?: string;
  /** Clock for MSH-7 of ACKs (tests pass a fixed one). */
  now?: () => Date;
}

/** Counters of a listener. */
export interface MllpStats {
  connections: number;
  frames: number;
  accepted: number;
  errored: number;
  rejected: number;
}

/** A listener built but not yet listening (`listen` is called by whoever owns the process). */
export interface MllpListener {
  listen(opts: { port: number; host?: string }): Promise<{ host: string; port: number }>;
  /** Stops accepting, lets frames in flight finish and ACK, then closes; sockets left after `graceMs` are cut. */
  close(graceMs?: number): Promise<void>;
  readonly stats: Readonly<MllpStats>;
}

/** HL7 table 0357 codes used in ERR-3. */
const ERR_CODES: Record<string, string> = {
  HL7_NO_MSH: '100^Segment sequence error',
  HL7_BAD_SEGMENT: '100^Segment sequence error',
  HL7_MSH_FIELD_MISSING: '101^Required field missing',
  HL7_BAD_ENCODING_CHARS: '102^Data type error',
  ENCODING_INVALID: '102^Data type error',
  HL7_MESSAGE_TOO_LARGE: '207^Application internal error',
  APPLICATION: '207^Application internal error',
};

/** MSH fields read without a full parse (for ACKs of unparseable or oversized frames). */
interface LooseHeader {
  delimiters: Hl7Delimiters;
  /** Raw (still escaped) MSH fields, index = field number; [1] is MSH-1. */
  fields: string[];
}

/** Reads the delimiters and raw fields of an MSH at the start of `text`, or defaults when there is none. */
function looseHeader(text: string): LooseHeader {
  const first = text.replace(/^\s+/, '').split(/[\r\n]/, 1)[0] ?? '';
  if (!first.startsWith('MSH') || first.length < 8) return { delimiters: DEFAULT_DELIMITERS, fields: [] };
  const fs = first.charAt(3);
  const parts = first.split(fs);
  const enc = parts[1] ?? '';
  const [component, repetition, escapeChar, subcomponent] = [...enc];
  const ok =
    component !== undefined && repetition !== undefined && escapeChar !== undefined && subcomponent !== undefined;
  const delimiters = ok ? { field: fs, component, repetition, escape: escapeChar, subcomponent } : DEFAULT_DELIMITERS;
  return { delimiters, fields: ['MSH', fs, ...parts.slice(1)] };
}

/** `YYYYMMDDHHMMSS+0000` for MSH-7. */
function hl7Timestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}+0000`
  );
}

/** What an ACK needs to say. */
export interface AckSpec {
  code: 'AA' | 'AE' | 'AR';
  text?: string;
  /** Reject code or `APPLICATION`, mapped to an HL7 table 0357 error code in ERR-3. */
  errorKind?: string;
  controlId: string;
  now: Date;
  application: string;
  facility: string;
}

/**
 * Builds an ACK for a message (given as text, parseable or not): the original's delimiters, sender and
 * receiver swapped, MSA-1 the code and MSA-2 the original MSH-10, and for AE/AR an ERR segment.
 */
export function buildAck(original: string, spec: AckSpec): string {
  const { delimiters: d, fields } = looseHeader(original);
  const f = (n: number) => fields[n] ?? '';
  const trigger = f(9).split(d.component)[1] ?? '';
  const msh = [
    'MSH',
    `${d.component}${d.repetition}${d.escape}${d.subcomponent}`,
    f(5) || escapeHl7(spec.application, d),
    f(6) || escapeHl7(spec.facility, d),
    f(3),
    f(4),
    hl7Timestamp(spec.now),
    '',
    ['ACK', trigger, 'ACK'].join(d.component),
    escapeHl7(spec.controlId, d),
    f(11) || 'P',
    f(12) || '2.5.1',
  ].join(d.field);
  const original10 = f(10);
  const text = spec.text === undefined ? '' : escapeHl7(spec.text.slice(0, 200), d);
  const segments = [msh, ['MSA', spec.code, original10, text].join(d.field)];
  if (spec.code !== 'AA') {
    const [code, name] = (ERR_CODES[spec.errorKind ?? 'APPLICATION'] ?? '207^Application internal error').split('^');
    segments.push(['ERR', '', '', [code, name, 'HL70357'].join(d.component), 'E'].join(d.field));
  }
  return `${segments.join('\r')}\r`;
}

/** Wraps bytes in an MLLP frame. */
export function mllpFrame(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([VT]), payload, Buffer.from([FS, CR])]);
}

/** Encodes text in one of the text encodings (GB18030 through iconv-lite). */
function encodeText(text: string, encoding: TextEncoding): Buffer {
  if (encoding === 'utf-8') return Buffer.from(text, 'utf8');
  return iconv.encode(text, encoding === 'gbk' ? 'gb18030' : encoding);
}

/** Builds an MLLP listener (see the file comment); call `listen` to start it. */
export function createMllpListener(opts: MllpOptions): MllpListener {
  const frameBytesMax = opts.frameBytesMax ?? MLLP_FRAME_BYTES_MAX;
  const idleTimeoutMs = opts.idleTimeoutMs ?? MLLP_IDLE_TIMEOUT_MS;
  const handlerTimeoutMs = opts.handlerTimeoutMs ?? MLLP_HANDLER_TIMEOUT_MS;
  const declared = opts.encoding === undefined ? undefined : parseEncodingLabel(opts.encoding);
  const now = opts.now ?? (() => new Date());
  const application = opts.application ?? 'MERIDIAN';
  const facility = opts.facility ?? 'MERIDIAN';
  const stats: MllpStats = { connections: 0, frames: 0, accepted: 0, errored: 0, rejected: 0 };
  const connections = new Set<Connection>();
  let ackCounter = 0;
  let closing = false;

  const server: Server = createServer({ noDelay: true }, (socket) => {
    stats.connections++;
    const conn = new Connection(socket, stats.connections);
    connections.add(conn);
    socket.once('close', () => connections.delete(conn));
    if (closing) socket.destroy();
  });
  server.maxConnections = opts.connectionsMax ?? MLLP_CONNECTIONS_MAX;

  const nextAckId = (): string => `M${now().getTime()}${String(++ackCounter % 1000).padStart(3, '0')}`;

  class Connection {
    readonly #socket: Socket;
    readonly #id: number;
    readonly #peer: string;
    #inFrame = false;
    #parts: Buffer[] = [];
    #bytes = 0;
    #skipCr = false;
    #queue: { oversized: boolean; bytes: Buffer }[] = [];
    #busy = false;
    #frames = 0;
    #ending = false;

    constructor(socket: Socket, id: number) {
      this.#socket = socket;
      this.#id = id;
      this.#peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
      socket.setTimeout(idleTimeoutMs);
      socket.on('timeout', () => {
        if (!this.#busy) socket.end();
      });
      socket.on('error', () => socket.destroy());
      socket.on('data', (data: Buffer) => this.#onData(data));
    }

    /** True when nothing is in flight: no partial frame, nothing queued or being processed. */
    get idle(): boolean {
      return !this.#inFrame && !this.#busy && this.#queue.length === 0;
    }

    /** Ends the connection once it is idle (at once if it already is). */
    endWhenIdle(): void {
      this.#ending = true;
      if (this.idle) this.#socket.end();
    }

    destroy(): void {
      this.#socket.destroy();
    }

    #onData(data: Buffer): void {
      let i = 0;
      if (this.#skipCr) {
        this.#skipCr = false;
        if (data[0] === CR) i = 1;
      }
      while (i < data.length) {
        if (!this.#inFrame) {
          const start = data.indexOf(VT, i);
          if (start < 0) break;
          this.#inFrame = true;
          this.#parts = [];
          this.#bytes = 0;
          i = start + 1;
          continue;
        }
        const end = data.indexOf(FS, i);
        const piece = data.subarray(i, end < 0 ? data.length : end);
        this.#bytes += piece.length;
        if (this.#bytes > frameBytesMax) {
          // Keep the head (for MSH-10 in the AR), stop reading: the connection ends after the AR.
          this.#queue.push({ oversized: true, bytes: Buffer.concat([...this.#parts, piece]).subarray(0, 4096) });
          this.#inFrame = false;
          this.#parts = [];
          this.#socket.removeAllListeners('data');
          this.#socket.on('data', () => {});
          break;
        }
        this.#parts.push(piece);
        if (end < 0) break;
        this.#inFrame = false;
        this.#queue.push({ oversized: false, bytes: Buffer.concat(this.#parts) });
        this.#parts = [];
        i = end + 1;
        if (i < data.length) {
          if (data[i] === CR) i++;
        } else this.#skipCr = true;
      }
      if (this.#queue.length > QUEUED_FRAMES_MAX) this.#socket.pause();
      void this.#pump();
    }

    /** Answers an oversized frame AR and ends the connection. */
    async #oversized(head: Buffer, ctx: MllpContext): Promise<void> {
      stats.rejected++;
      const message = `frame exceeds ${frameBytesMax} bytes`;
      await this.#report(reject(this.#position(ctx), 'HL7_MESSAGE_TOO_LARGE', message), head, ctx);
      const encoding = this.#encodingOf(head);
      await this.#write(
        this.#decode(head),
        { code: 'AR', text: message, errorKind: 'HL7_MESSAGE_TOO_LARGE' },
        encoding,
      );
      this.#socket.end();
    }

    #position(ctx: MllpContext) {
      return { kind: 'message' as const, file: `mllp://${ctx.peer}`, message: ctx.message, line: 1 };
    }

    #decode(bytes: Buffer): string {
      const d = createDecoder(this.#encodingOf(bytes));
      return d.write(bytes) + d.end();
    }

    #encodingOf(bytes: Buffer): TextEncoding {
      return declared ?? (utf8Stats(bytes, true).invalid === 0 ? 'utf-8' : 'gb18030');
    }

    async #pump(): Promise<void> {
      if (this.#busy) return;
      this.#busy = true;
      try {
        for (let frame = this.#queue.shift(); frame !== undefined; frame = this.#queue.shift()) {
          if (this.#queue.length <= QUEUED_FRAMES_MAX / 2) this.#socket.resume();
          try {
            await this.#process(frame);
          } catch {
            // A fault of ours (not of the message or the callback): the connection cannot be trusted any more.
            stats.errored++;
            this.#socket.destroy();
            return;
          }
        }
      } finally {
        this.#busy = false;
      }
      if (this.#ending || closing) this.endWhenIdle();
    }

    async #process(item: { oversized: boolean; bytes: Buffer }): Promise<void> {
      stats.frames++;
      const ctx: MllpContext = { peer: this.#peer, connection: this.#id, message: ++this.#frames };
      if (item.oversized) return this.#oversized(item.bytes, ctx);
      const frame = item.bytes;
      const encoding = this.#encodingOf(frame);
      const text = this.#decode(frame);
      const parsed = parseHl7(text);
      if (!parsed.ok) {
        stats.rejected++;
        const position = { ...this.#position(ctx), segment: parsed.segment, segmentName: parsed.segmentName };
        await this.#report(reject(position, parsed.code, parsed.message), frame, ctx);
        await this.#write(text, { code: 'AR', text: parsed.message, errorKind: parsed.code }, encoding);
        return;
      }
      if (text.includes('\uFFFD')) {
        stats.rejected++;
        const message = `the message holds bytes that are not valid ${encoding}`;
        await this.#report(reject(this.#position(ctx), 'ENCODING_INVALID', message), frame, ctx);
        await this.#write(text, { code: 'AR', text: message, errorKind: 'ENCODING_INVALID' }, encoding);
        return;
      }
      let verdict: MllpVerdict;
      try {
        verdict = (await withTimeout(Promise.resolve(opts.onMessage(parsed.message, ctx)), handlerTimeoutMs)) ?? {
          ack: 'AA',
        };
      } catch (e) {
        verdict = {
          ack: 'AE',
          text: e instanceof MeridianError ? `${e.code}: ${e.message}` : 'application error while storing the message',
        };
      }
      if (verdict.ack === 'AA') stats.accepted++;
      else if (verdict.ack === 'AE') stats.errored++;
      else stats.rejected++;
      await this.#write(
        text,
        verdict.text === undefined ? { code: verdict.ack } : { code: verdict.ack, text: verdict.text },
        encoding,
      );
    }

    async #report(rejected: SourceReject, raw: Buffer, ctx: MllpContext): Promise<void> {
      try {
        await opts.onReject?.(rejected, raw, ctx);
      } catch {
        // A failing quarantine must not keep the sender from its AR.
      }
    }

    async #write(
      original: string,
      ack: { code: 'AA' | 'AE' | 'AR'; text?: string; errorKind?: string },
      encoding: TextEncoding = 'utf-8',
    ): Promise<void> {
      if (this.#socket.destroyed) return;
      const body = buildAck(original, {
        ...ack,
        controlId: nextAckId(),
        now: now(),
        application,
        facility,
      });
      const bytes = mllpFrame(encodeText(body, encoding));
      await new Promise<void>((resolve) => {
        if (this.#socket.destroyed || !this.#socket.writable) return resolve();
        this.#socket.write(bytes, () => resolve());
      });
    }
  }

  return {
    stats,
    listen({ port, host = '127.0.0.1' }) {
      return new Promise((resolve, rejectListen) => {
        const onError = (e: Error & { code?: string }) =>
          rejectListen(
            new MeridianError(
              'MER_SOURCE_MLLP_LISTEN',
              `The MLLP listener cannot listen on ${host}:${port}: ${e.code ?? e.message}`,
              {
                host,
                port,
              },
            ),
          );
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          const addr = server.address();
          resolve(typeof addr === 'object' && addr ? { host: addr.address, port: addr.port } : { host, port });
        });
      });
    },
    async close(graceMs = 5_000) {
      closing = true;
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of connections) c.endWhenIdle();
      const timer = setTimeout(() => {
        for (const c of connections) c.destroy();
      }, graceMs);
      try {
        await serverClosed;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Resolves like `p`, or rejects after `ms`. */
function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, rejectTimeout) => {
    const timer = setTimeout(() => rejectTimeout(new Error('handler timed out')), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        rejectTimeout(e);
      },
    );
  });
}
