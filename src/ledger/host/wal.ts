/**
 * The replica's write-ahead log: what `persistedOf(state)` says a validator promised (view, accepted, prepared
 * and pre-prepared proposals, its view change, checkpoints, decided blocks in the window), written as diffs —
 * the head when it changed, the slots that changed (slots are immutable, so a changed slot is a new object),
 * each batch once by digest — and compacted into one snapshot record once the log outgrows `compactBytes` and
 * the stable checkpoint has moved. The host flushes it (one fdatasync) before sending anything a step produced,
 * so a restarted validator never casts a vote that contradicts one it cast before (PBFT SPEC S5).
 */
import type { PersistedReplica, ReplicaState, Slot } from '../pbft/replica.ts';
import type { Batch, ViewChangeMessage } from '../pbft/types.ts';
import {
  type DiskHead,
  type DiskSlot,
  decodeBatch,
  decodeHead,
  decodeMessage,
  decodeSlot,
  encodeBatch,
  encodeHead,
  encodeMessage,
  encodeSlot,
} from './codec.ts';
import { FramedLog } from './framed-log.ts';

/** Default log size above which the next stable checkpoint triggers a compaction. */
export const WAL_COMPACT_BYTES_DEFAULT = 32 * 1024 * 1024;

/** Batch digests remembered as already written; beyond it they are simply written again. */
const WRITTEN_BATCHES_MAX = 4096;

type WalRecord =
  | { t: 'b'; d: string; b: unknown }
  | { t: 's'; h?: DiskHead; vc?: unknown; set?: DiskSlot[]; del?: number[] }
  | { t: 'snap'; h: DiskHead; vc: unknown; slots: DiskSlot[]; batches: [string, unknown][] };

/** What {@link ReplicaWal.open} recovered. */
export interface OpenedWal {
  readonly wal: ReplicaWal;
  /** Undefined for a new log: the replica starts at genesis. */
  readonly persisted: PersistedReplica | undefined;
  readonly repairedBytes: number;
}

function json(x: unknown): Buffer {
  return Buffer.from(JSON.stringify(x), 'utf8');
}

/** The replica's write-ahead log (see the module comment). */
export class ReplicaWal {
  readonly #log: FramedLog;
  readonly #compactBytes: number;
  #slots: ReadonlyMap<number, Slot> = new Map();
  #head = '';
  #vc: ViewChangeMessage | undefined;
  #written = new Set<string>();
  #compactedAtSeq = 0;

  private constructor(log: FramedLog, compactBytes: number) {
    this.#log = log;
    this.#compactBytes = compactBytes;
  }

  /** Opens the log at `path`, repairs a torn tail, and rebuilds the persisted replica it holds. */
  static open(path: string, opts: { compactBytes?: number } = {}): OpenedWal {
    const { log, records, repairedBytes } = FramedLog.open(path);
    const wal = new ReplicaWal(log, opts.compactBytes ?? WAL_COMPACT_BYTES_DEFAULT);
    let head: DiskHead | undefined;
    let vc: ViewChangeMessage | undefined;
    const slots = new Map<number, DiskSlot>();
    const batches = new Map<string, Batch>();
    for (const payload of records) {
      const r = JSON.parse(payload.toString('utf8')) as WalRecord;
      if (r.t === 'b') batches.set(r.d, decodeBatch(r.b));
      else if (r.t === 'snap') {
        head = r.h;
        vc = r.vc ? (decodeMessage(r.vc) as ViewChangeMessage) : undefined;
        slots.clear();
        for (const s of r.slots) slots.set(s.seq, s);
        for (const [d, b] of r.batches) batches.set(d, decodeBatch(b));
      } else {
        if (r.h) head = r.h;
        if (r.vc !== undefined) vc = r.vc ? (decodeMessage(r.vc) as ViewChangeMessage) : undefined;
        for (const s of r.set ?? []) slots.set(s.seq, s);
        for (const seq of r.del ?? []) slots.delete(seq);
      }
    }
    if (!head) return { wal, persisted: undefined, repairedBytes };
    const decoded = new Map<number, Slot>();
    for (const [seq, s] of [...slots].sort((a, b) => a[0] - b[0])) decoded.set(seq, decodeSlot(s, batches));
    const persisted = decodeHead(head, vc, decoded);
    wal.#slots = decoded;
    wal.#head = JSON.stringify(head);
    wal.#vc = vc;
    for (const d of batches.keys()) wal.#written.add(d);
    wal.#compactedAtSeq = head.stable.seq;
    return { wal, persisted, repairedBytes };
  }

  /** Bytes of the log, flushed or not. */
  get sizeBytes(): number {
    return this.#log.sizeBytes;
  }

  /** Buffers the difference between `state`'s persisted part and what the log already holds. */
  record(state: ReplicaState | PersistedReplica): void {
    const set: DiskSlot[] = [];
    const del: number[] = [];
    for (const [seq, slot] of state.slots) {
      const before = this.#slots.get(seq);
      if (before !== undefined && sameDurable(before, slot)) continue;
      const { slot: disk, batches } = encodeSlot(slot);
      for (const [d, b] of batches) {
        if (this.#written.has(d)) continue;
        if (this.#written.size >= WRITTEN_BATCHES_MAX) this.#written.clear();
        this.#written.add(d);
        this.#log.append(json({ t: 'b', d, b: encodeBatch(b) }));
      }
      set.push(disk);
    }
    for (const seq of this.#slots.keys()) if (!state.slots.has(seq)) del.push(seq);
    const headJson = JSON.stringify(encodeHead(state));
    const r: WalRecord = { t: 's' };
    if (headJson !== this.#head) r.h = JSON.parse(headJson) as DiskHead;
    if (state.ownViewChange !== this.#vc) r.vc = state.ownViewChange ? encodeMessage(state.ownViewChange) : null;
    if (set.length > 0) r.set = set;
    if (del.length > 0) r.del = del;
    if (r.h === undefined && r.vc === undefined && r.set === undefined && r.del === undefined) return;
    this.#log.append(json(r));
    this.#slots = state.slots;
    this.#head = headJson;
    this.#vc = state.ownViewChange;
  }

  /** Makes everything recorded durable (one fdatasync). */
  flush(): void {
    this.#log.flush();
  }

  /** {@link flush} with the write and the fdatasync off the event loop (FramedLog.flushAsync). */
  flushAsync(): Promise<void> {
    return this.#log.flushAsync();
  }

  /** Whether records wait for a flush. */
  get dirty(): boolean {
    return this.#log.dirty;
  }

  /** Rewrites the log as one snapshot when it is large and the stable checkpoint moved since the last one. */
  compactIfDue(state: ReplicaState | PersistedReplica): boolean {
    if (this.#log.sizeBytes < this.#compactBytes || state.stable.seq <= this.#compactedAtSeq) return false;
    const slots: DiskSlot[] = [];
    const batches = new Map<string, unknown>();
    for (const slot of state.slots.values()) {
      const enc = encodeSlot(slot);
      slots.push(enc.slot);
      for (const [d, b] of enc.batches) batches.set(d, encodeBatch(b));
    }
    const head = encodeHead(state);
    const snap: WalRecord = {
      t: 'snap',
      h: head,
      vc: state.ownViewChange ? encodeMessage(state.ownViewChange) : null,
      slots,
      batches: [...batches],
    };
    this.#log.rewrite([json(snap)]);
    this.#slots = state.slots;
    this.#head = JSON.stringify(head);
    this.#vc = state.ownViewChange;
    this.#written = new Set(batches.keys());
    this.#compactedAtSeq = state.stable.seq;
    return true;
  }

  /** Closes the file (unflushed records are lost, as in a crash). */
  close(): void {
    this.#log.close();
  }
}

// Volatile votes (prepares, commits) change a slot object without changing what must be on disk.
function sameDurable(a: Slot, b: Slot): boolean {
  return (
    a === b ||
    (a.accepted === b.accepted &&
      a.prepared === b.prepared &&
      a.prePrepared === b.prePrepared &&
      a.decided === b.decided)
  );
}
