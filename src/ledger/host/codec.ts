/**
 * JSON forms of what the host writes to disk and to the wire: PBFT messages (a request's bytes, which are the
 * canonical JSON of a signed transaction, travel as a string) and the replica's persisted state, written as a
 * small head plus the slots that changed, with each batch stored once by digest.
 */
import type { Mode, PersistedReplica, Recovery, Slot, Vote } from '../pbft/replica.ts';
import type {
  Batch,
  Checkpoint,
  ClientRequest,
  CommitCertificate,
  CommittedBlock,
  Epoch,
  Message,
  ViewChangeMessage,
} from '../pbft/types.ts';

/** A request on the wire: its digest and the transaction's canonical JSON. */
export interface WireRequest {
  readonly digest: string;
  readonly tx: string;
}

/** A batch on the wire or on disk. */
export interface WireBatch {
  readonly height: number;
  readonly proposerTimeMs: number;
  readonly requests: readonly WireRequest[];
}

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The wire form of a request. */
export function encodeRequest(r: ClientRequest): WireRequest {
  return { digest: r.digest, tx: Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength).toString('utf8') };
}

/** A request from its wire form; anything else is passed on unchanged for the replica to refuse. */
export function decodeRequest(x: unknown): ClientRequest {
  if (isObj(x) && typeof x.tx === 'string') return { digest: x.digest as string, bytes: Buffer.from(x.tx, 'utf8') };
  return x as ClientRequest;
}

/** The wire form of a batch. */
export function encodeBatch(b: Batch): WireBatch {
  return { height: b.height, proposerTimeMs: b.proposerTimeMs, requests: b.requests.map(encodeRequest) };
}

/** A batch from its wire form (shape errors are left for the replica's checks). */
export function decodeBatch(x: unknown): Batch {
  if (!isObj(x) || !Array.isArray(x.requests)) return x as unknown as Batch;
  return {
    height: x.height as number,
    proposerTimeMs: x.proposerTimeMs as number,
    requests: x.requests.map(decodeRequest),
  };
}

function mapBatches<T extends Obj>(items: unknown, f: (b: unknown) => unknown): T[] | unknown {
  if (!Array.isArray(items)) return items;
  return items.map((e) => (isObj(e) ? { ...e, batch: f(e.batch) } : e));
}

/** The JSON form of a PBFT message. */
export function encodeMessage(m: Message): unknown {
  switch (m.kind) {
    case 'request':
      return { ...m, requests: m.requests.map(encodeRequest) };
    case 'pre-prepare':
      return { ...m, batch: encodeBatch(m.batch) };
    case 'view-change':
      return { ...m, prepared: m.prepared.map((p) => ({ ...p, batch: encodeBatch(p.batch) })) };
    case 'new-view':
      return { ...m, entries: m.entries.map((e) => ({ ...e, batch: encodeBatch(e.batch) })) };
    case 'blocks':
      return { ...m, blocks: m.blocks.map((b) => ({ ...b, batch: encodeBatch(b.batch) })) };
    case 'prepare':
    case 'commit':
    case 'checkpoint':
    case 'fetch':
      return m;
  }
}

/** A PBFT message from JSON; malformed parts stay malformed so that `step` refuses them with a reason. */
export function decodeMessage(x: unknown): Message {
  if (!isObj(x)) return x as unknown as Message;
  switch (x.kind) {
    case 'request':
      return (Array.isArray(x.requests) ? { ...x, requests: x.requests.map(decodeRequest) } : x) as unknown as Message;
    case 'pre-prepare':
      return { ...x, batch: decodeBatch(x.batch) } as unknown as Message;
    case 'view-change':
      return { ...x, prepared: mapBatches(x.prepared, decodeBatch) } as unknown as Message;
    case 'new-view':
      return { ...x, entries: mapBatches(x.entries, decodeBatch) } as unknown as Message;
    case 'blocks':
      return { ...x, blocks: mapBatches(x.blocks, decodeBatch) } as unknown as Message;
    default:
      return x as unknown as Message;
  }
}

/** A proposal or decided block on disk: the batch by digest. */
interface DiskProposal {
  readonly view: number;
  readonly digest: string;
}

/** One slot on disk. */
export interface DiskSlot {
  readonly seq: number;
  readonly accepted: DiskProposal | null;
  readonly prepared: DiskProposal | null;
  readonly prePrepared: readonly Vote[];
  readonly decided: { readonly digest: string; readonly certificate: CommitCertificate } | null;
}

/** The small part of the persisted replica, written whenever it changes. */
export interface DiskHead {
  readonly epochs: readonly Epoch[];
  readonly view: number;
  readonly mode: Mode;
  readonly lastExecuted: number;
  readonly stable: Checkpoint;
  readonly ownCheckpoints: readonly (readonly [number, string])[];
  readonly nextSeq: number;
  readonly recovery: { readonly floor: number | null; readonly reports: readonly (readonly [string, number])[] } | null;
}

/** The slot's disk form, and the batches it references. */
export function encodeSlot(slot: Slot): { slot: DiskSlot; batches: Map<string, Batch> } {
  const batches = new Map<string, Batch>();
  const ref = (p: { view: number; digest: string; batch: Batch } | undefined): DiskProposal | null => {
    if (!p) return null;
    batches.set(p.digest, p.batch);
    return { view: p.view, digest: p.digest };
  };
  if (slot.decided) batches.set(slot.decided.digest, slot.decided.batch);
  return {
    slot: {
      seq: slot.seq,
      accepted: ref(slot.accepted),
      prepared: ref(slot.prepared),
      prePrepared: slot.prePrepared,
      decided: slot.decided ? { digest: slot.decided.digest, certificate: slot.decided.certificate } : null,
    },
    batches,
  };
}

/** A slot from its disk form and the batch table. */
export function decodeSlot(d: DiskSlot, batches: ReadonlyMap<string, Batch>): Slot {
  const batch = (digest: string): Batch => {
    const b = batches.get(digest);
    if (!b) throw new Error(`batch ${digest} missing from the log`);
    return b;
  };
  const decided: CommittedBlock | undefined = d.decided
    ? { height: d.seq, digest: d.decided.digest, batch: batch(d.decided.digest), certificate: d.decided.certificate }
    : undefined;
  return {
    seq: d.seq,
    accepted: d.accepted ? { ...d.accepted, batch: batch(d.accepted.digest) } : undefined,
    prepared: d.prepared ? { ...d.prepared, batch: batch(d.prepared.digest) } : undefined,
    prePrepared: d.prePrepared,
    decided,
    prepares: new Map(),
    commits: new Map(),
  };
}

/** The head of a persisted replica. */
export function encodeHead(p: PersistedReplica): DiskHead {
  return {
    epochs: p.epochs,
    view: p.view,
    mode: p.mode,
    lastExecuted: p.lastExecuted,
    stable: p.stable,
    ownCheckpoints: [...p.ownCheckpoints],
    nextSeq: p.nextSeq,
    recovery: p.recovery ? { floor: p.recovery.floor ?? null, reports: [...p.recovery.reports] } : null,
  };
}

/** A persisted replica from its head, view change and slots. */
export function decodeHead(
  h: DiskHead,
  ownViewChange: ViewChangeMessage | undefined,
  slots: ReadonlyMap<number, Slot>,
): PersistedReplica {
  const recovery: Recovery | undefined = h.recovery
    ? { floor: h.recovery.floor ?? undefined, reports: new Map(h.recovery.reports) }
    : undefined;
  return {
    epochs: h.epochs,
    view: h.view,
    mode: h.mode,
    lastExecuted: h.lastExecuted,
    stable: h.stable,
    ownCheckpoints: new Map(h.ownCheckpoints),
    slots,
    ownViewChange,
    nextSeq: h.nextSeq,
    recovery,
  };
}
