/**
 * Shape and size checks for everything that reaches a replica from outside. Messages arrive decoded from the
 * network, so nothing is trusted to match its TypeScript type: a malformed or oversized input is refused with
 * a reason and never reaches the protocol logic (SPEC.md S6).
 */
import type { ClientRequest, Message, RefusalReason, ReplicaConfig } from './types.ts';

/** Q entries a replica keeps per sequence number (the latest views win). */
export const PRE_PREPARED_PER_SEQ_MAX = 4;
/** Requests one client input or relay message may carry. */
export const REQUESTS_PER_MESSAGE_MAX = 4096;
/** Signatures one commit certificate may carry. */
export const SIGNATURES_PER_CERTIFICATE_MAX = 1024;
/** View-change references one new-view message may carry. */
export const VIEW_CHANGE_REFS_MAX = 1024;
const DIGEST_CHARS_MAX = 256;
const SIGNATURE_CHARS_MAX = 1024;
const FINGERPRINT_CHARS_MAX = 1_000_000;
const NODE_ID_CHARS_MAX = 128;

/** Whether `x` is a non-negative safe integer. */
export function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function isText(x: unknown, max: number): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= max;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

/** Checks a client request's shape and size (its validity is the injected `validRequest`'s job). */
export function checkRequest(r: unknown, config: ReplicaConfig): RefusalReason | undefined {
  if (!isObject(r) || !isText(r.digest, DIGEST_CHARS_MAX) || !(r.bytes instanceof Uint8Array)) return 'malformed';
  return r.bytes.byteLength > config.requestBytesMax ? 'oversized' : undefined;
}

/** Checks a batch proposed for `seq`: height, request count, total size, distinct requests. */
export function checkBatch(batch: unknown, seq: number, config: ReplicaConfig): RefusalReason | undefined {
  if (!isObject(batch) || batch.height !== seq || !isCount(batch.proposerTimeMs)) return 'bad-batch';
  const requests = batch.requests;
  if (!Array.isArray(requests) || requests.length > config.batchSizeMax) return 'bad-batch';
  const seen = new Set<string>();
  let bytes = 0;
  for (const r of requests) {
    if (checkRequest(r, config) !== undefined) return 'bad-batch';
    const req = r as ClientRequest;
    if (seen.has(req.digest)) return 'bad-batch';
    seen.add(req.digest);
    bytes += req.bytes.byteLength;
  }
  return bytes > config.batchBytesMax ? 'bad-batch' : undefined;
}

/** Checks a message's shape and bounds; semantic checks (digests, signatures, quorums) come after. */
export function checkMessage(m: unknown, config: ReplicaConfig): RefusalReason | undefined {
  if (!isObject(m) || typeof m.kind !== 'string') return 'malformed';
  const msg = m as unknown as Message;
  switch (msg.kind) {
    case 'request':
      if (!Array.isArray(msg.requests)) return 'malformed';
      return msg.requests.length > REQUESTS_PER_MESSAGE_MAX ? 'oversized' : undefined;
    case 'pre-prepare':
      if (!isCount(msg.view) || !isCount(msg.seq) || msg.seq === 0 || !isText(msg.digest, DIGEST_CHARS_MAX)) {
        return 'malformed';
      }
      return checkBatch(msg.batch, msg.seq, config);
    case 'prepare':
      return isCount(msg.view) && isCount(msg.seq) && msg.seq > 0 && isText(msg.digest, DIGEST_CHARS_MAX)
        ? undefined
        : 'malformed';
    case 'commit':
      return isCount(msg.view) &&
        isCount(msg.seq) &&
        msg.seq > 0 &&
        isText(msg.digest, DIGEST_CHARS_MAX) &&
        isText(msg.signature, SIGNATURE_CHARS_MAX)
        ? undefined
        : 'malformed';
    case 'checkpoint':
      return isCount(msg.seq) && msg.seq % config.checkpointInterval === 0 && isText(msg.digest, DIGEST_CHARS_MAX)
        ? undefined
        : 'malformed';
    case 'view-change':
      return checkViewChange(msg, config);
    case 'new-view':
      return checkNewView(msg, config);
    case 'fetch':
      return isCount(msg.fromHeight) && isCount(msg.toHeight) && msg.fromHeight >= 1 ? undefined : 'malformed';
    case 'blocks':
      return checkBlocks(msg, config);
    default:
      return 'malformed';
  }
}

function checkViewChange(m: Message & { kind: 'view-change' }, config: ReplicaConfig): RefusalReason | undefined {
  const { windowSize: L, checkpointInterval: K } = config;
  if (!isCount(m.epoch) || !isCount(m.view) || m.view === 0 || !isCount(m.stableSeq) || m.stableSeq % K !== 0) {
    return 'bad-view-change';
  }
  if (!Array.isArray(m.checkpoints) || !Array.isArray(m.prepared) || !Array.isArray(m.prePrepared)) {
    return 'bad-view-change';
  }
  if (
    m.checkpoints.length > L / K + 1 ||
    m.prepared.length > L ||
    m.prePrepared.length > L * PRE_PREPARED_PER_SEQ_MAX
  ) {
    return 'oversized';
  }
  const inWindow = (seq: unknown) => isCount(seq) && seq > m.stableSeq && seq <= m.stableSeq + L;
  for (const c of m.checkpoints as unknown[]) {
    if (!isObject(c) || !isCount(c.seq) || c.seq < m.stableSeq || c.seq > m.stableSeq + L || c.seq % K !== 0) {
      return 'bad-view-change';
    }
    if (!isText(c.digest, DIGEST_CHARS_MAX)) return 'bad-view-change';
  }
  const preparedSeqs = new Set<number>();
  for (const p of m.prepared as unknown[]) {
    if (!isObject(p) || !inWindow(p.seq) || !isCount(p.view) || p.view >= m.view) return 'bad-view-change';
    if (!isText(p.digest, DIGEST_CHARS_MAX) || preparedSeqs.has(p.seq as number)) return 'bad-view-change';
    if (checkBatch(p.batch, p.seq as number, config) !== undefined) return 'bad-view-change';
    preparedSeqs.add(p.seq as number);
  }
  for (const q of m.prePrepared as unknown[]) {
    if (!isObject(q) || !inWindow(q.seq) || !isCount(q.view) || q.view >= m.view) return 'bad-view-change';
    if (!isText(q.digest, DIGEST_CHARS_MAX)) return 'bad-view-change';
  }
  return undefined;
}

function checkNewView(m: Message & { kind: 'new-view' }, config: ReplicaConfig): RefusalReason | undefined {
  if (!isCount(m.epoch) || !isCount(m.view) || m.view === 0 || !isObject(m.checkpoint)) return 'bad-new-view';
  if (!isCount(m.checkpoint.seq) || !isText(m.checkpoint.digest, DIGEST_CHARS_MAX)) return 'bad-new-view';
  if (!Array.isArray(m.viewChanges) || !Array.isArray(m.entries)) return 'bad-new-view';
  if (m.viewChanges.length > VIEW_CHANGE_REFS_MAX || m.entries.length > config.windowSize) return 'oversized';
  const senders = new Set<string>();
  for (const r of m.viewChanges as unknown[]) {
    if (!isObject(r) || !isText(r.sender, NODE_ID_CHARS_MAX) || !isText(r.fingerprint, FINGERPRINT_CHARS_MAX)) {
      return 'bad-new-view';
    }
    if (senders.has(r.sender)) return 'bad-new-view';
    senders.add(r.sender);
  }
  for (const e of m.entries as unknown[]) {
    if (!isObject(e) || !isCount(e.seq) || !isText(e.digest, DIGEST_CHARS_MAX)) return 'bad-new-view';
    if (checkBatch(e.batch, e.seq, config) !== undefined) return 'bad-new-view';
  }
  return undefined;
}

function checkBlocks(m: Message & { kind: 'blocks' }, config: ReplicaConfig): RefusalReason | undefined {
  if (!isCount(m.lastExecuted) || !Array.isArray(m.blocks)) return 'malformed';
  if (m.blocks.length > config.fetchBlocksMax) return 'oversized';
  for (const b of m.blocks as unknown[]) {
    if (!isObject(b) || !isCount(b.height) || b.height === 0 || !isText(b.digest, DIGEST_CHARS_MAX)) return 'bad-block';
    if (checkBatch(b.batch, b.height, config) !== undefined) return 'bad-block';
    const cert = b.certificate;
    if (!isObject(cert) || !isCount(cert.view) || !Array.isArray(cert.signatures)) return 'bad-block';
    if (cert.signatures.length > SIGNATURES_PER_CERTIFICATE_MAX) return 'oversized';
    for (const s of cert.signatures as unknown[]) {
      if (!isObject(s) || !isText(s.signer, NODE_ID_CHARS_MAX) || !isText(s.signature, SIGNATURE_CHARS_MAX)) {
        return 'bad-block';
      }
    }
  }
  return undefined;
}
