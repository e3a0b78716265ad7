/**
 * Validator-to-validator transport: mutual TLS 1.3 with consortium-CA certificates, one persistent outbound
 * connection per peer (reconnected with exponential back-off), frames of `u32 length ‖ JSON`, a frame size
 * limit and a bounded send queue per peer (messages beyond it are dropped and counted; PBFT retransmits). The
 * peer's name comes from its verified certificate, so a message's sender is authenticated by the channel and
 * consensus messages need no signature of their own.
 */
import tls from 'node:tls';
import { clientTlsOptions, peerIdentity, serverTlsOptions, type TlsMaterial } from '../../ca/index.ts';

/** Largest frame accepted or sent, in bytes. */
export const FRAME_BYTES_MAX_DEFAULT = 32 * 1024 * 1024;
/** Bytes queued per peer before new messages are dropped. */
export const QUEUE_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;
const BACKOFF_MS_MIN = 50;
const BACKOFF_MS_MAX = 2_000;

/** A peer as the transport knows it. */
export interface PeerAddress {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/** Counters and liveness of one peer. */
export interface PeerStatus {
  readonly name: string;
  readonly connected: boolean;
  readonly lastSeenMs: number | undefined;
  readonly sent: number;
  readonly received: number;
  readonly dropped: number;
}

/** Options of {@link PeerTransport}. */
export interface TransportOptions {
  readonly self: string;
  readonly peers: readonly PeerAddress[];
  readonly tls: TlsMaterial;
  readonly onMessage: (from: string, payload: unknown) => void;
  readonly onRefused: (from: string, reason: string) => void;
  readonly frameBytesMax?: number;
  readonly queueBytesMax?: number;
}

interface Peer {
  readonly address: PeerAddress;
  socket: tls.TLSSocket | undefined;
  connected: boolean;
  queue: Buffer[];
  queueBytes: number;
  backoffMs: number;
  timer: NodeJS.Timeout | undefined;
  lastSeenMs: number | undefined;
  sent: number;
  received: number;
  dropped: number;
}

/** Encodes one frame. */
export function encodeFrame(payload: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

/**
 * Splits a byte stream into frames: `onFrame` per complete frame, `onError` (once, then the caller closes the
 * connection) for a frame above the limit. Chunks are kept as they arrive and joined once per frame that spans
 * several, so a large frame (a pre-prepare of many requests) is copied once, not once per TLS record.
 */
export function frameReader(opts: {
  frameBytesMax: number;
  onFrame: (body: Buffer) => void;
  onError: (reason: string) => void;
}): (chunk: Buffer) => void {
  let chunks: Buffer[] = [];
  let have = 0;
  /** Bytes of the frame being read, its 4-byte length included; 0 while its length is not known yet. */
  let need = 0;
  let failed = false;
  return (chunk) => {
    if (failed || chunk.length === 0) return;
    chunks.push(chunk);
    have += chunk.length;
    for (;;) {
      if (need === 0) {
        if (have < 4) return;
        if ((chunks[0] as Buffer).length < 4) chunks = [Buffer.concat(chunks, have)];
        const n = (chunks[0] as Buffer).readUInt32BE(0);
        if (n > opts.frameBytesMax) {
          failed = true;
          chunks = [];
          opts.onError(`frame of ${n} bytes exceeds ${opts.frameBytesMax}`);
          return;
        }
        need = 4 + n;
      }
      if (have < need) return;
      const all = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, have);
      const body = all.subarray(4, need);
      const rest = all.subarray(need);
      chunks = rest.length > 0 ? [rest] : [];
      have = rest.length;
      need = 0;
      opts.onFrame(body);
    }
  };
}

/** The validator mesh (see the module comment). */
export class PeerTransport {
  readonly #opts: TransportOptions;
  readonly #peers = new Map<string, Peer>();
  readonly #frameBytesMax: number;
  readonly #queueBytesMax: number;
  #server: tls.Server | undefined;
  readonly #inbound = new Set<tls.TLSSocket>();
  #closed = false;

  constructor(opts: TransportOptions) {
    this.#opts = opts;
    this.#frameBytesMax = opts.frameBytesMax ?? FRAME_BYTES_MAX_DEFAULT;
    this.#queueBytesMax = opts.queueBytesMax ?? QUEUE_BYTES_MAX_DEFAULT;
    for (const address of opts.peers) {
      if (address.name === opts.self) continue;
      this.#peers.set(address.name, {
        address,
        socket: undefined,
        connected: false,
        queue: [],
        queueBytes: 0,
        backoffMs: BACKOFF_MS_MIN,
        timer: undefined,
        lastSeenMs: undefined,
        sent: 0,
        received: 0,
        dropped: 0,
      });
    }
  }

  /** Listens for peers on `host:port` and starts connecting to every peer. */
  async listen(host: string, port: number): Promise<void> {
    const server = tls.createServer(serverTlsOptions(this.#opts.tls), (socket) => this.#accept(socket));
    server.on('tlsClientError', () => this.#opts.onRefused('unknown', 'tls-handshake'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    for (const peer of this.#peers.values()) this.#connect(peer);
  }

  #accept(socket: tls.TLSSocket): void {
    const id = peerIdentity(socket);
    const peer = id ? this.#peers.get(id.name) : undefined;
    if (!id || !peer) {
      this.#opts.onRefused(id?.name ?? 'unknown', 'not-a-validator');
      socket.destroy();
      return;
    }
    this.#inbound.add(socket);
    socket.setNoDelay(true);
    const read = frameReader({
      frameBytesMax: this.#frameBytesMax,
      onFrame: (body) => {
        peer.received++;
        peer.lastSeenMs = Date.now();
        let payload: unknown;
        try {
          payload = JSON.parse(body.toString('utf8'));
        } catch {
          this.#opts.onRefused(peer.address.name, 'malformed-frame');
          return;
        }
        this.#opts.onMessage(peer.address.name, payload);
      },
      onError: (reason) => {
        this.#opts.onRefused(peer.address.name, reason);
        socket.destroy();
      },
    });
    socket.on('data', read);
    socket.on('error', () => undefined);
    socket.on('close', () => this.#inbound.delete(socket));
  }

  #connect(peer: Peer): void {
    if (this.#closed) return;
    const { host, port, name } = peer.address;
    const socket = tls.connect({ host, port, ...clientTlsOptions(this.#opts.tls, { name }) });
    peer.socket = socket;
    socket.setNoDelay(true);
    socket.on('secureConnect', () => {
      peer.connected = true;
      peer.backoffMs = BACKOFF_MS_MIN;
      const queued = peer.queue;
      peer.queue = [];
      peer.queueBytes = 0;
      for (const f of queued) socket.write(f);
    });
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      peer.connected = false;
      peer.socket = undefined;
      if (this.#closed) return;
      peer.timer = setTimeout(() => this.#connect(peer), peer.backoffMs);
      peer.backoffMs = Math.min(BACKOFF_MS_MAX, peer.backoffMs * 2);
    });
  }

  /** Queues `payload` for peer `to`; dropped (and counted) when the queue is full or the frame too large. */
  send(to: string, payload: unknown): void {
    this.#sendFrame(to, encodeFrame(payload));
  }

  /** Queues `payload` for every peer (encoded once). */
  sendAll(payload: unknown): void {
    const f = encodeFrame(payload);
    for (const name of this.#peers.keys()) this.#sendFrame(name, f);
  }

  #sendFrame(to: string, f: Buffer): void {
    const peer = this.#peers.get(to);
    if (!peer) return;
    if (f.length - 4 > this.#frameBytesMax) {
      peer.dropped++;
      return;
    }
    if (peer.connected && peer.socket) {
      if (peer.socket.writableLength > this.#queueBytesMax) {
        peer.dropped++;
        return;
      }
      peer.socket.write(f);
      peer.sent++;
      return;
    }
    if (peer.queueBytes + f.length > this.#queueBytesMax) {
      peer.dropped++;
      return;
    }
    peer.queue.push(f);
    peer.queueBytes += f.length;
    peer.sent++;
  }

  /** Connection state and counters per peer. */
  status(): PeerStatus[] {
    return [...this.#peers.values()].map((p) => ({
      name: p.address.name,
      connected: p.connected,
      lastSeenMs: p.lastSeenMs,
      sent: p.sent,
      received: p.received,
      dropped: p.dropped,
    }));
  }

  /** Closes every connection and the listener. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const p of this.#peers.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.socket?.destroy();
    }
    for (const s of this.#inbound) s.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
