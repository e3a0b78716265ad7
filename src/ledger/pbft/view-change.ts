/**
 * The new-view decision procedure of PBFT for authenticated channels (Castro & Liskov, TOCS 2002, §4.5):
 * view-change messages carry claims (P: what the sender prepared, Q: what it pre-prepared, C: its
 * checkpoints), not certificates, so a choice needs enough matching claims that at least one comes from a
 * correct replica. The new primary runs `decideNewView`; every backup runs `newViewJustified` on the
 * view-change messages it received itself, so a forged or mistaken new view is never installed (SPEC.md S1).
 *
 *   checkpoint (h, d):   quorum of senders with stable checkpoint ≤ h, and f+1 senders holding (h, d)
 *   batch d at seq n:    some P entry (n, d, v) with
 *                        A1  a quorum of senders with stable < n whose P entry at n is older than v or is (v, d)
 *                        A2  f+1 senders with a Q entry (n, d, v') where v' ≥ v
 *   null at seq n:       B   a quorum of senders with stable < n and no P entry at n
 */
import type { Checkpoint, NewViewMessage, PrePreparedEntry, PreparedEntry, ViewChangeMessage } from './types.ts';

/** Quorum sizes and window of the epoch a view change runs in. */
export interface DecisionParams {
  readonly quorum: number;
  readonly weak: number;
  readonly windowSize: number;
}

/** What the new view puts at one sequence number: a prepared batch, or null (an empty batch). */
export type SeqDecision = { readonly kind: 'batch'; readonly entry: PreparedEntry } | { readonly kind: 'null' };

/** The checkpoint a new view starts from and the decisions for every sequence number after it. */
export interface NewViewDecision {
  readonly checkpoint: Checkpoint;
  readonly decisions: readonly { readonly seq: number; readonly decision: SeqDecision }[];
}

/** A canonical string naming a view-change message's claims (batch bodies are bound by their digests). */
export function viewChangeFingerprint(vc: ViewChangeMessage): string {
  const c = [...vc.checkpoints].sort((a, b) => a.seq - b.seq || cmp(a.digest, b.digest));
  const p = [...vc.prepared].sort((a, b) => a.seq - b.seq);
  const q = [...vc.prePrepared].sort((a, b) => a.seq - b.seq || a.view - b.view || cmp(a.digest, b.digest));
  return [
    `e${vc.epoch}v${vc.view}s${vc.stableSeq}`,
    `C${c.map((x) => `${x.seq}:${x.digest}`).join(',')}`,
    `P${p.map((x) => `${x.seq}:${x.view}:${x.digest}`).join(',')}`,
    `Q${q.map((x) => `${x.seq}:${x.view}:${x.digest}`).join(',')}`,
  ].join('|');
}

/** The highest checkpoint a quorum can start from (undefined while the claims do not justify one). */
export function selectCheckpoint(vcs: readonly ViewChangeMessage[], params: DecisionParams): Checkpoint | undefined {
  let best: Checkpoint | undefined;
  for (const vc of vcs) {
    for (const cp of vc.checkpoints) {
      if (best && (cp.seq < best.seq || (cp.seq === best.seq && cmp(cp.digest, best.digest) >= 0))) continue;
      if (checkpointJustified(vcs, cp, params)) best = cp;
    }
  }
  return best;
}

/** Whether the claims justify starting a new view from `cp`. */
export function checkpointJustified(
  vcs: readonly ViewChangeMessage[],
  cp: Checkpoint,
  params: DecisionParams,
): boolean {
  const notAbove = vcs.filter((vc) => vc.stableSeq <= cp.seq).length;
  const holding = vcs.filter((vc) => vc.checkpoints.some((c) => c.seq === cp.seq && c.digest === cp.digest)).length;
  return notAbove >= params.quorum && holding >= params.weak;
}

/** The decision at `seq`, or undefined when the claims allow none yet (more view changes are needed). */
export function decideSeq(
  vcs: readonly ViewChangeMessage[],
  seq: number,
  params: DecisionParams,
): SeqDecision | undefined {
  const candidates: PreparedEntry[] = [];
  for (const vc of vcs) {
    const e = preparedAt(vc, seq);
    if (e && !candidates.some((c) => c.view === e.view && c.digest === e.digest)) candidates.push(e);
  }
  candidates.sort((a, b) => b.view - a.view || cmp(a.digest, b.digest));
  for (const entry of candidates) {
    if (supportsBatch(vcs, seq, entry, params)) return { kind: 'batch', entry };
  }
  return supportsNull(vcs, seq, params) ? { kind: 'null' } : undefined;
}

/** Runs the whole procedure; undefined until the messages decide the checkpoint and every sequence number. */
export function decideNewView(vcs: readonly ViewChangeMessage[], params: DecisionParams): NewViewDecision | undefined {
  if (vcs.length < params.quorum) return undefined;
  const checkpoint = selectCheckpoint(vcs, params);
  if (!checkpoint) return undefined;
  const end = rangeEnd(vcs, checkpoint.seq, params.windowSize);
  const decisions: { seq: number; decision: SeqDecision }[] = [];
  for (let seq = checkpoint.seq + 1; seq <= end; seq++) {
    const decision = decideSeq(vcs, seq, params);
    if (!decision) return undefined;
    decisions.push({ seq, decision });
  }
  return { checkpoint, decisions };
}

/**
 * Whether a new view is justified by `vcs` (messages the checking replica received itself): its checkpoint
 * is justified, it covers every prepared sequence number after it, and each entry is a batch chosen by A1+A2
 * or an empty batch allowed by B. Digests of the entries must already have been checked by the caller.
 */
export function newViewJustified(
  vcs: readonly ViewChangeMessage[],
  nv: NewViewMessage,
  params: DecisionParams,
): boolean {
  if (vcs.length < params.quorum) return false;
  if (!checkpointJustified(vcs, nv.checkpoint, params)) return false;
  if (nv.entries.length > params.windowSize) return false;
  if (rangeEnd(vcs, nv.checkpoint.seq, params.windowSize) > nv.checkpoint.seq + nv.entries.length) return false;
  for (const [i, entry] of nv.entries.entries()) {
    const seq = nv.checkpoint.seq + 1 + i;
    if (entry.seq !== seq || entry.batch.height !== seq) return false;
    if (!entryJustified(vcs, entry.seq, entry.digest, entry.batch.requests.length === 0, params)) return false;
  }
  return true;
}

/** Whether putting `digest` (empty batch or not) at `seq` is justified by the claims. */
export function entryJustified(
  vcs: readonly ViewChangeMessage[],
  seq: number,
  digest: string,
  empty: boolean,
  params: DecisionParams,
): boolean {
  for (const vc of vcs) {
    const e = preparedAt(vc, seq);
    if (e && e.digest === digest && supportsBatch(vcs, seq, e, params)) return true;
  }
  return empty && supportsNull(vcs, seq, params);
}

/** The last sequence number a new view must decide: the highest prepared one within the window. */
function rangeEnd(vcs: readonly ViewChangeMessage[], from: number, windowSize: number): number {
  let end = from;
  for (const vc of vcs) {
    for (const e of vc.prepared) if (e.seq > end && e.seq <= from + windowSize) end = e.seq;
  }
  return end;
}

function supportsBatch(
  vcs: readonly ViewChangeMessage[],
  seq: number,
  entry: PreparedEntry,
  params: DecisionParams,
): boolean {
  let a1 = 0;
  let a2 = 0;
  for (const vc of vcs) {
    if (vc.stableSeq < seq) {
      const p = preparedAt(vc, seq);
      if (!p || p.view < entry.view || (p.view === entry.view && p.digest === entry.digest)) a1++;
    }
    if (
      vc.prePrepared.some((q: PrePreparedEntry) => q.seq === seq && q.digest === entry.digest && q.view >= entry.view)
    ) {
      a2++;
    }
  }
  return a1 >= params.quorum && a2 >= params.weak;
}

function supportsNull(vcs: readonly ViewChangeMessage[], seq: number, params: DecisionParams): boolean {
  return vcs.filter((vc) => vc.stableSeq < seq && !preparedAt(vc, seq)).length >= params.quorum;
}

function preparedAt(vc: ViewChangeMessage, seq: number): PreparedEntry | undefined {
  return vc.prepared.find((e) => e.seq === seq);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
