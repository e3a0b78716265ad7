/**
 * A PBFT replica as a pure state machine: `step(state, input, ctx)` returns the next state and what the host
 * must do (send, commit, set a timer, serve blocks, record evidence). No clock (the time is `ctx.nowMs`), no
 * randomness, no I/O; the host persists `persistedOf(state)` before it performs the outputs. SPEC.md lists
 * the invariants; docs/ledger/pbft.md describes the protocol and the host's duties.
 *
 *            timer / f+1 view changes                 quorum of view changes (new primary)
 *   active ───────────────────────────► view-change ──────────────────────────────────────► active (v+1)
 *     ▲  pre-prepare → prepare → commit     │  timer (back-off ×2) → view-change for v+2        │
 *     │  checkpoint every K, GC below h     ▼                                                    │
 *     └──────────────────────────── valid new-view received ◄───────────────────────────────────┘
 */
import assert from 'node:assert/strict';
import { epochAt, quorumSize, reconfigEffectiveHeight, scheduleEpoch, validatorsAt, weakQuorumSize } from './quorum.ts';
import type {
  Batch,
  BlocksMessage,
  Checkpoint,
  CheckpointMessage,
  ClientInput,
  ClientRequest,
  CommitCertificate,
  CommitMessage,
  CommittedBlock,
  Digest,
  Epoch,
  Evidence,
  FetchMessage,
  Input,
  Message,
  MessageInput,
  MessageKind,
  NewViewEntry,
  NewViewMessage,
  NodeId,
  Output,
  PrePrepareMessage,
  PrepareMessage,
  RefusalReason,
  RefusedOutput,
  ReplicaConfig,
  RequestMessage,
  Signature,
  StepContext,
  ViewChangeMessage,
} from './types.ts';
import {
  checkBatch,
  checkMessage,
  checkRequest,
  PRE_PREPARED_PER_SEQ_MAX,
  REQUESTS_PER_MESSAGE_MAX,
} from './validate.ts';
import { type DecisionParams, decideNewView, newViewJustified, viewChangeFingerprint } from './view-change.ts';

/** Digest of the checkpoint at height 0 every replica starts from. */
export const GENESIS_DIGEST = 'genesis';
/** Checkpoint votes kept per sender (its highest ones), enough to find a stable checkpoint ahead of us. */
export const CHECKPOINT_VOTES_PER_SENDER_MAX = 4;
/** View-change messages kept per sender (its highest views). */
export const VIEW_CHANGES_PER_SENDER_MAX = 2;

/** Whether a replica orders normally or is moving to `view`. */
export type Mode = 'active' | 'view-change';

/** A batch accepted (pre-prepared) or prepared in a view. */
export interface Proposal {
  readonly view: number;
  readonly digest: Digest;
  readonly batch: Batch;
}

/** A vote as stored: the latest view a sender voted in at a sequence number. */
export interface Vote {
  readonly view: number;
  readonly digest: Digest;
}

/** A commit vote with its signature. */
export interface SignedVote extends Vote {
  readonly signature: Signature;
}

/** Everything a replica knows about one sequence number inside its window. */
export interface Slot {
  readonly seq: number;
  /** Durable: the pre-prepare accepted in `accepted.view` (one per view, never replaced within a view). */
  readonly accepted: Proposal | undefined;
  /** Durable: the latest view in which this replica prepared (its P entry). */
  readonly prepared: Proposal | undefined;
  /** Durable: the latest view per digest this replica pre-prepared (its Q entries). */
  readonly prePrepared: readonly Vote[];
  /** Durable: the decided block once a commit certificate is known. */
  readonly decided: CommittedBlock | undefined;
  /** Volatile: the latest prepare per sender. */
  readonly prepares: ReadonlyMap<NodeId, Vote>;
  /** Volatile: the latest commit per sender. */
  readonly commits: ReadonlyMap<NodeId, SignedVote>;
}

/** A wiped replica's recovery: it stays silent until a stable checkpoint passes every height it may have voted on. */
export interface Recovery {
  /** Undefined until a quorum reported its last executed height; then that maximum plus the window. */
  readonly floor: number | undefined;
  readonly reports: ReadonlyMap<NodeId, number>;
}

/** A client request waiting in the pool. */
export interface PendingRequest {
  readonly request: ClientRequest;
  readonly sinceMs: number;
}

/** A received view-change message with its fingerprint. */
export interface StoredViewChange {
  readonly message: ViewChangeMessage;
  readonly fingerprint: string;
}

/** Deadlines; each is undefined when its timer is off. */
export interface Timers {
  readonly progressAtMs: number | undefined;
  readonly viewChangeAtMs: number | undefined;
  readonly retransmitAtMs: number | undefined;
  readonly syncAtMs: number | undefined;
  /** The last wake-up time given to the host. */
  readonly wakeAtMs: number | undefined;
}

/** What survives a crash: the replica's own promises (the host writes it to its log before sending). */
export interface PersistedReplica {
  readonly epochs: readonly Epoch[];
  readonly view: number;
  readonly mode: Mode;
  readonly lastExecuted: number;
  readonly stable: Checkpoint;
  readonly ownCheckpoints: ReadonlyMap<number, Digest>;
  readonly slots: ReadonlyMap<number, Slot>;
  readonly ownViewChange: ViewChangeMessage | undefined;
  readonly nextSeq: number;
  readonly recovery: Recovery | undefined;
}

/** The whole state of a replica: the persisted part plus what it rebuilds from its peers after a restart. */
export interface ReplicaState extends PersistedReplica {
  readonly config: ReplicaConfig;
  /** Requests waiting to be ordered, oldest first, with the time each arrived. */
  readonly pending: ReadonlyMap<Digest, PendingRequest>;
  /** When the current view became active here (undefined: at the next step). */
  readonly viewSinceMs: number | undefined;
  /** When this replica last executed a block, entered the view or got work after being idle (undefined: idle). */
  readonly progressSinceMs: number | undefined;
  /** Digests of recently executed requests, in two generations, so a late re-submission is dropped. */
  readonly recent: { readonly older: ReadonlySet<Digest>; readonly newer: ReadonlySet<Digest> };
  readonly viewChanges: ReadonlyMap<NodeId, readonly StoredViewChange[]>;
  /** The new-view message that installed `view`, kept to help replicas that missed it. */
  readonly newView: NewViewMessage | undefined;
  /** A new-view message waiting for the view changes it references. */
  readonly pendingNewView: NewViewMessage | undefined;
  readonly checkpointVotes: ReadonlyMap<NodeId, readonly Checkpoint[]>;
  /** Consecutive view changes without executing a block: the exponent of the timeout back-off. */
  readonly backoff: number;
  readonly timers: Timers;
  /** Highest height this replica knows is decided and must fetch if it cannot execute it otherwise. */
  readonly fetchTarget: number;
  readonly helpedAtMs: ReadonlyMap<NodeId, number>;
  readonly evidenceKeys: readonly string[];
  /** Validators this replica saw making conflicting statements (at most n; cleared with the epoch). */
  readonly equivocators: ReadonlySet<NodeId>;
  /** Progress seen at the last retransmission; votes are re-sent only when nothing moved since. */
  readonly progressMark: string;
}

/** The next state and the host's to-do list. */
export interface StepResult {
  readonly state: ReplicaState;
  readonly outputs: readonly Output[];
}

/** Defaults for every limit of a replica's configuration. */
export const REPLICA_CONFIG_DEFAULTS = {
  checkpointInterval: 16,
  windowSize: 64,
  inFlightMax: 8,
  batchSizeMax: 256,
  batchBytesMax: 4 * 1024 * 1024,
  requestBytesMax: 256 * 1024,
  pendingRequestsMax: 16_384,
  recentRequestsMax: 16_384,
  viewChangeTimeoutMs: 2_000,
  viewChangeBackoffMax: 6,
  viewJumpMax: 16,
  retransmitIntervalMs: 500,
  syncIntervalMs: 5_000,
  fetchBlocksMax: 64,
  reconfigDistance: 64,
  evidenceMax: 256,
} as const satisfies Omit<ReplicaConfig, 'self' | 'genesis'>;

/** Builds a checked configuration from the identity, the genesis validators and any overrides. */
export function replicaConfig(
  options: Pick<ReplicaConfig, 'self' | 'genesis'> & Partial<Omit<ReplicaConfig, 'self' | 'genesis'>>,
): ReplicaConfig {
  const config: ReplicaConfig = { ...REPLICA_CONFIG_DEFAULTS, ...options, genesis: [...options.genesis] };
  const { checkpointInterval: K, windowSize: L } = config;
  assert.ok(config.genesis.length >= 1 && new Set(config.genesis).size === config.genesis.length, 'genesis set');
  assert.ok(Number.isInteger(K) && K >= 1 && Number.isInteger(L) && L >= K && L % K === 0, 'window is a multiple of K');
  assert.ok(config.inFlightMax >= 1 && config.inFlightMax <= L, 'inFlightMax within the window');
  assert.ok(config.reconfigDistance >= L, 'a validator-set change must take effect beyond the window in flight');
  assert.ok(config.batchSizeMax >= 1 && config.pendingRequestsMax >= config.batchSizeMax, 'batch and pool sizes');
  assert.ok(config.recentRequestsMax >= 2, 'recent requests remembered');
  assert.ok(config.viewChangeTimeoutMs > 0 && config.retransmitIntervalMs > 0 && config.syncIntervalMs > 0, 'timers');
  assert.ok(config.viewJumpMax >= 1, 'a view jump of at least one');
  assert.ok(config.fetchBlocksMax >= 1 && config.evidenceMax >= 1 && config.viewChangeBackoffMax >= 0, 'limits');
  return config;
}

/** A fresh replica at genesis (also a validator that joins later: it catches up by state transfer). */
export function createReplica(config: ReplicaConfig): ReplicaState {
  return fromPersisted(config, {
    epochs: [{ epoch: 0, fromHeight: 1, validators: config.genesis }],
    view: 0,
    mode: 'active',
    lastExecuted: 0,
    stable: { seq: 0, digest: GENESIS_DIGEST },
    ownCheckpoints: new Map([[0, GENESIS_DIGEST]]),
    slots: new Map(),
    ownViewChange: undefined,
    nextSeq: 1,
    recovery: undefined,
  });
}

/**
 * A replica whose disk was wiped: it has no promises to keep, so it may have voted on heights it no longer
 * remembers. It stays silent (counted among the f faulty) until a stable checkpoint passes them.
 */
export function wipedReplica(config: ReplicaConfig): ReplicaState {
  const fresh = createReplica(config);
  return { ...fresh, recovery: { floor: undefined, reports: new Map() }, timers: { ...NO_TIMERS, syncAtMs: 0 } };
}

/** A replica restarted from its persisted log: same promises, fresh volatile state; it asks for news at once. */
export function restoreReplica(config: ReplicaConfig, persisted: PersistedReplica): ReplicaState {
  return { ...fromPersisted(config, persisted), timers: { ...NO_TIMERS, syncAtMs: 0 } };
}

const NO_TIMERS: Timers = {
  progressAtMs: undefined,
  viewChangeAtMs: undefined,
  retransmitAtMs: undefined,
  syncAtMs: undefined,
  wakeAtMs: undefined,
};

function fromPersisted(config: ReplicaConfig, persisted: PersistedReplica): ReplicaState {
  const slots = new Map<number, Slot>();
  for (const [seq, slot] of persisted.slots) slots.set(seq, { ...slot, prepares: new Map(), commits: new Map() });
  return {
    ...persisted,
    slots,
    config,
    pending: new Map(),
    viewSinceMs: undefined,
    progressSinceMs: undefined,
    recent: { older: new Set(), newer: new Set() },
    viewChanges: persisted.ownViewChange
      ? new Map([[config.self, [stored(persisted.ownViewChange)]]])
      : new Map<NodeId, readonly StoredViewChange[]>(),
    newView: undefined,
    pendingNewView: undefined,
    checkpointVotes: new Map(),
    backoff: 0,
    timers: NO_TIMERS,
    fetchTarget: persisted.lastExecuted,
    helpedAtMs: new Map(),
    evidenceKeys: [],
    equivocators: new Set(),
    progressMark: '',
  };
}

/** The part of the state a validator must have on disk before it sends anything it signed or promised. */
export function persistedOf(state: ReplicaState): PersistedReplica {
  const slots = new Map<number, Slot>();
  for (const [seq, slot] of state.slots) slots.set(seq, { ...slot, prepares: new Map(), commits: new Map() });
  return {
    epochs: state.epochs,
    view: state.view,
    mode: state.mode,
    lastExecuted: state.lastExecuted,
    stable: state.stable,
    ownCheckpoints: state.ownCheckpoints,
    slots,
    ownViewChange: state.ownViewChange,
    nextSeq: state.nextSeq,
    recovery: state.recovery,
  };
}

/** Applies one input; pure: the same state, input and context always give the same result. */
export function step(state: ReplicaState, input: Input, ctx: StepContext): StepResult {
  assert.ok(Number.isFinite(ctx.nowMs), 'now is a finite number of milliseconds');
  const tx = new Tx(state, ctx);
  INPUT_HANDLERS[input.type](tx, input as never);
  runTimers(tx);
  settle(tx);
  assertStep(state, tx);
  return { state: tx.state, outputs: tx.outputs };
}

// ---------------------------------------------------------------------------------------------------------
// Derived facts

/** The epoch of the replica's window (the heights after its stable checkpoint). */
export function currentEpoch(state: ReplicaState): Epoch {
  return epochAt(state.epochs, state.stable.seq + 1);
}

/** The primary of `view` in the current epoch: validators[view mod n]. */
export function primaryOf(state: ReplicaState, view: number): NodeId {
  const validators = currentEpoch(state).validators;
  return validators[view % validators.length] as NodeId;
}

/** The high water mark: the window ends L after the stable checkpoint, or where the epoch ends. */
export function highWaterMark(state: ReplicaState): number {
  const high = state.stable.seq + state.config.windowSize;
  const next = state.epochs.find((e) => e.fromHeight > state.stable.seq + 1);
  return next ? Math.min(high, next.fromHeight - 1) : high;
}

/** Whether this replica may vote: it is a validator of the current epoch and not recovering from a wipe. */
export function canVote(state: ReplicaState): boolean {
  return state.recovery === undefined && currentEpoch(state).validators.includes(state.config.self);
}

/** The view-change message this replica would send for `view` (its checkpoints, P and Q). */
export function viewChangeMessage(state: ReplicaState, view: number): ViewChangeMessage {
  const checkpoints: Checkpoint[] = [];
  const high = state.stable.seq + state.config.windowSize;
  for (const [seq, digest] of state.ownCheckpoints) {
    if (seq >= state.stable.seq && seq <= high) checkpoints.push({ seq, digest });
  }
  checkpoints.sort((a, b) => a.seq - b.seq);
  const prepared = [];
  const prePrepared = [];
  for (const slot of sortedSlots(state)) {
    if (slot.prepared) prepared.push({ seq: slot.seq, ...slot.prepared });
    for (const q of slot.prePrepared) prePrepared.push({ seq: slot.seq, ...q });
  }
  return {
    kind: 'view-change',
    epoch: currentEpoch(state).epoch,
    view,
    stableSeq: state.stable.seq,
    checkpoints,
    prepared,
    prePrepared,
  };
}

function decisionParams(state: ReplicaState): DecisionParams {
  const n = currentEpoch(state).validators.length;
  return { quorum: quorumSize(n), weak: weakQuorumSize(n), windowSize: state.config.windowSize };
}

function isMember(state: ReplicaState, id: NodeId): boolean {
  return currentEpoch(state).validators.includes(id);
}

function inWindow(state: ReplicaState, seq: number): boolean {
  return seq > state.stable.seq && seq <= highWaterMark(state);
}

function sortedSlots(state: ReplicaState): Slot[] {
  return [...state.slots.values()].sort((a, b) => a.seq - b.seq);
}

function emptySlot(seq: number): Slot {
  return {
    seq,
    accepted: undefined,
    prepared: undefined,
    prePrepared: [],
    decided: undefined,
    prepares: new Map(),
    commits: new Map(),
  };
}

function stored(message: ViewChangeMessage): StoredViewChange {
  return { message, fingerprint: viewChangeFingerprint(message) };
}

function timeoutMs(state: ReplicaState): number {
  return state.config.viewChangeTimeoutMs * 2 ** Math.min(state.backoff, state.config.viewChangeBackoffMax);
}

// ---------------------------------------------------------------------------------------------------------
// The step's working copy: every update replaces `state` with a new object; the input state is never touched.

class Tx {
  state: ReplicaState;
  readonly outputs: Output[] = [];
  readonly ctx: StepContext;

  constructor(state: ReplicaState, ctx: StepContext) {
    this.state = state;
    this.ctx = ctx;
  }

  get now(): number {
    return this.ctx.nowMs;
  }

  set(patch: Partial<ReplicaState>): void {
    this.state = { ...this.state, ...patch };
  }

  setTimers(patch: Partial<Timers>): void {
    this.set({ timers: { ...this.state.timers, ...patch } });
  }

  slot(seq: number): Slot {
    return this.state.slots.get(seq) ?? emptySlot(seq);
  }

  putSlot(slot: Slot): void {
    assert.ok(inWindow(this.state, slot.seq), `slot ${slot.seq} outside the window`);
    const slots = new Map(this.state.slots);
    slots.set(slot.seq, slot);
    this.set({ slots });
  }

  send(to: NodeId | 'all', message: Message): void {
    this.outputs.push({ type: 'send', to, message });
  }

  refuse(from: NodeId | 'client', subject: RefusedOutput['subject'], reason: RefusalReason): void {
    this.outputs.push({ type: 'refused', from, subject, reason });
  }

  evidence(e: Evidence): void {
    const key = `${e.kind}|${e.offender}|${e.view}|${e.seq}`;
    if (this.state.evidenceKeys.includes(key)) return;
    const keys = [...this.state.evidenceKeys, key];
    this.set({ evidenceKeys: keys.length > this.state.config.evidenceMax ? keys.slice(1) : keys });
    if (!this.state.equivocators.has(e.offender) && isMember(this.state, e.offender)) {
      this.set({ equivocators: new Set(this.state.equivocators).add(e.offender) });
    }
    this.outputs.push({ type: 'evidence', evidence: e });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Transition tables: the compiler checks that every input type and message kind has a handler.

type InputHandlers = { readonly [T in Input['type']]: (tx: Tx, input: Extract<Input, { type: T }>) => void };
type MessageHandlers = {
  readonly [K in MessageKind]: (tx: Tx, from: NodeId, m: Extract<Message, { kind: K }>) => void;
};

const INPUT_HANDLERS: InputHandlers = {
  message: onMessage,
  client: onClient,
  tick: () => undefined,
};

const MESSAGE_HANDLERS: MessageHandlers = {
  request: onRequest,
  'pre-prepare': onPrePrepare,
  prepare: onPrepare,
  commit: onCommit,
  checkpoint: onCheckpoint,
  'view-change': onViewChange,
  'new-view': onNewView,
  fetch: onFetch,
  blocks: onBlocks,
};

function onMessage(tx: Tx, input: MessageInput): void {
  const kind = (input.message as { kind?: unknown } | null)?.kind;
  const subject = typeof kind === 'string' && Object.hasOwn(MESSAGE_HANDLERS, kind) ? (kind as MessageKind) : 'unknown';
  const reason = checkMessage(input.message, tx.state.config);
  if (reason !== undefined) {
    tx.refuse(input.from, subject, reason);
    return;
  }
  if (input.from === tx.state.config.self) return;
  const handler = MESSAGE_HANDLERS[input.message.kind] as (tx: Tx, from: NodeId, m: Message) => void;
  handler(tx, input.from, input.message);
}

function onClient(tx: Tx, input: ClientInput): void {
  if (!Array.isArray(input.requests) || input.requests.length > REQUESTS_PER_MESSAGE_MAX) {
    tx.refuse('client', 'client-request', 'oversized');
    return;
  }
  addRequests(tx, 'client', input.requests);
}

function onRequest(tx: Tx, from: NodeId, m: RequestMessage): void {
  if (!isMember(tx.state, from)) {
    tx.refuse(from, 'request', 'not-a-validator');
    return;
  }
  addRequests(tx, from, m.requests);
}

function addRequests(tx: Tx, from: NodeId | 'client', requests: readonly ClientRequest[]): void {
  const { config } = tx.state;
  let pending: Map<Digest, PendingRequest> | undefined;
  for (const r of requests) {
    const shape = checkRequest(r, config);
    if (shape !== undefined || !tx.ctx.env.validRequest(r)) {
      tx.refuse(from, from === 'client' ? 'client-request' : 'request', shape ?? 'bad-request');
      continue;
    }
    const pool = pending ?? tx.state.pending;
    const { older, newer } = tx.state.recent;
    if (pool.has(r.digest) || newer.has(r.digest) || older.has(r.digest)) continue;
    if (pool.size >= config.pendingRequestsMax) {
      tx.refuse(from, from === 'client' ? 'client-request' : 'request', 'pool-full');
      continue;
    }
    pending ??= new Map(tx.state.pending);
    pending.set(r.digest, { request: r, sinceMs: tx.now });
  }
  if (pending) tx.set({ pending });
}

// ---------------------------------------------------------------------------------------------------------
// Normal case: pre-prepare → prepare → commit

function onPrePrepare(tx: Tx, from: NodeId, m: PrePrepareMessage): void {
  const s = tx.state;
  if (!inWindow(s, m.seq) || m.seq <= s.lastExecuted) return;
  if (m.view !== s.view || s.mode !== 'active') {
    if (m.view < s.view) help(tx, from);
    return;
  }
  if (from !== primaryOf(s, m.view)) {
    tx.refuse(from, 'pre-prepare', 'not-primary');
    return;
  }
  if (tx.ctx.env.digestBatch(m.batch) !== m.digest) {
    tx.refuse(from, 'pre-prepare', 'bad-digest');
    return;
  }
  if (!m.batch.requests.every((r) => tx.ctx.env.validRequest(r))) {
    tx.refuse(from, 'pre-prepare', 'bad-batch');
    return;
  }
  const slot = tx.slot(m.seq);
  if (slot.accepted?.view === m.view) {
    if (slot.accepted.digest !== m.digest) {
      tx.evidence({
        kind: 'conflicting-pre-prepare',
        offender: from,
        view: m.view,
        seq: m.seq,
        first: slot.accepted.digest,
        second: m.digest,
      });
    }
    return;
  }
  if (slot.decided && slot.decided.digest !== m.digest) return;
  accept(tx, m.seq, { view: m.view, digest: m.digest, batch: m.batch });
  checkPrepared(tx, m.seq);
  checkCommitted(tx, m.seq);
}

/** Records a pre-prepare in the current view (Q entry) and, as a backup, sends the prepare. */
function accept(tx: Tx, seq: number, proposal: Proposal): void {
  const s = tx.state;
  const slot = tx.slot(seq);
  assert.ok(slot.accepted === undefined || slot.accepted.view < proposal.view, 'one pre-prepare per view and seq');
  const others = slot.prePrepared.filter((q) => q.digest !== proposal.digest);
  const prePrepared = [...others, { view: proposal.view, digest: proposal.digest }]
    .sort((a, b) => b.view - a.view)
    .slice(0, PRE_PREPARED_PER_SEQ_MAX);
  let prepares = slot.prepares;
  const self = s.config.self;
  if (primaryOf(s, proposal.view) !== self && canVote(s)) {
    prepares = new Map(prepares).set(self, { view: proposal.view, digest: proposal.digest });
    tx.send('all', { kind: 'prepare', view: proposal.view, seq, digest: proposal.digest });
  }
  tx.putSlot({ ...slot, accepted: proposal, prePrepared, prepares });
}

function onPrepare(tx: Tx, from: NodeId, m: PrepareMessage): void {
  const s = tx.state;
  if (!inWindow(s, m.seq)) return;
  if (!isMember(s, from)) {
    tx.refuse(from, 'prepare', 'not-a-validator');
    return;
  }
  if (m.view !== s.view || s.mode !== 'active') {
    if (m.view < s.view) help(tx, from);
    return;
  }
  if (from === primaryOf(s, m.view)) {
    tx.refuse(from, 'prepare', 'malformed');
    return;
  }
  const slot = tx.slot(m.seq);
  const previous = slot.prepares.get(from);
  if (previous && previous.view === m.view) {
    if (previous.digest !== m.digest) {
      tx.evidence({
        kind: 'conflicting-prepare',
        offender: from,
        view: m.view,
        seq: m.seq,
        first: previous.digest,
        second: m.digest,
      });
    }
    return;
  }
  tx.putSlot({ ...slot, prepares: new Map(slot.prepares).set(from, { view: m.view, digest: m.digest }) });
  checkPrepared(tx, m.seq);
}

/** prepared(v, n, d): the accepted pre-prepare plus quorum−1 matching prepares from backups → send commit. */
function checkPrepared(tx: Tx, seq: number): void {
  const s = tx.state;
  const slot = tx.slot(seq);
  const acc = slot.accepted;
  if (!acc || acc.view !== s.view || s.mode !== 'active' || slot.prepared?.view === s.view) return;
  const primary = primaryOf(s, s.view);
  let matching = 0;
  for (const [sender, vote] of slot.prepares) {
    if (sender !== primary && vote.view === acc.view && vote.digest === acc.digest && isMember(s, sender)) matching++;
  }
  if (matching < decisionParams(s).quorum - 1) return;
  let commits = slot.commits;
  if (canVote(s)) {
    const signature = tx.ctx.env.signCommit({ height: seq, view: acc.view, digest: acc.digest });
    commits = new Map(commits).set(s.config.self, { view: acc.view, digest: acc.digest, signature });
    tx.send('all', { kind: 'commit', view: acc.view, seq, digest: acc.digest, signature });
  }
  tx.putSlot({ ...slot, prepared: acc, commits });
  checkCommitted(tx, seq);
}

function onCommit(tx: Tx, from: NodeId, m: CommitMessage): void {
  const s = tx.state;
  if (m.seq <= s.lastExecuted || !inWindow(s, m.seq)) return;
  if (!isMember(s, from)) {
    tx.refuse(from, 'commit', 'not-a-validator');
    return;
  }
  if (!tx.ctx.env.verifyCommit(from, { height: m.seq, view: m.view, digest: m.digest }, m.signature)) {
    tx.refuse(from, 'commit', 'bad-signature');
    return;
  }
  const slot = tx.slot(m.seq);
  const previous = slot.commits.get(from);
  if (previous && previous.view === m.view && previous.digest !== m.digest) {
    tx.evidence({
      kind: 'conflicting-commit',
      offender: from,
      view: m.view,
      seq: m.seq,
      first: previous.digest,
      second: m.digest,
      signatures: [previous.signature, m.signature],
    });
    return;
  }
  if (previous && previous.view >= m.view) return;
  const vote = { view: m.view, digest: m.digest, signature: m.signature };
  tx.putSlot({ ...slot, commits: new Map(slot.commits).set(from, vote) });
  checkCommitted(tx, m.seq);
}

/** committed: a quorum of commits from one view for one digest is a certificate; the batch is then decided. */
function checkCommitted(tx: Tx, seq: number): void {
  const s = tx.state;
  const slot = tx.slot(seq);
  if (slot.decided || seq <= s.lastExecuted) return;
  const groups = new Map<string, { view: number; digest: Digest; signers: NodeId[] }>();
  for (const [sender, vote] of slot.commits) {
    if (!isMember(s, sender)) continue;
    const key = `${vote.view}|${vote.digest}`;
    const group = groups.get(key) ?? { view: vote.view, digest: vote.digest, signers: [] };
    group.signers.push(sender);
    groups.set(key, group);
  }
  const quorum = decisionParams(s).quorum;
  for (const group of groups.values()) {
    if (group.signers.length < quorum) continue;
    const batch = [slot.accepted, slot.prepared].find((p) => p?.digest === group.digest)?.batch;
    if (!batch) {
      tx.set({ fetchTarget: Math.max(s.fetchTarget, seq) });
      return;
    }
    const signatures = group.signers.sort().map((signer) => ({
      signer,
      signature: (slot.commits.get(signer) as SignedVote).signature,
    }));
    const certificate: CommitCertificate = { view: group.view, signatures };
    tx.putSlot({ ...slot, decided: { height: seq, digest: group.digest, batch, certificate } });
    return;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Execution, checkpoints, garbage collection

function executeReady(tx: Tx): void {
  for (let i = 0; i <= tx.state.config.windowSize; i++) {
    const seq = tx.state.lastExecuted + 1;
    if (seq <= tx.state.stable.seq) return;
    const decided = tx.state.slots.get(seq)?.decided;
    if (!decided) return;
    execute(tx, decided);
  }
}

/** Executes the next block: commit output, pool clean-up, validator-set changes, checkpoint. */
function execute(tx: Tx, block: CommittedBlock): void {
  const s = tx.state;
  assert.equal(block.height, s.lastExecuted + 1, 'blocks execute in height order (S3)');
  if (block.height === s.stable.seq) assert.equal(block.digest, s.stable.digest, 'block matches the stable checkpoint');
  tx.outputs.push({ type: 'commit', block });
  let pending = s.pending;
  if (block.batch.requests.some((r) => pending.has(r.digest))) {
    const next = new Map(pending);
    for (const r of block.batch.requests) next.delete(r.digest);
    pending = next;
  }
  let recent = s.recent;
  if (block.batch.requests.length > 0) {
    const newer = new Set(recent.newer);
    for (const r of block.batch.requests) newer.add(r.digest);
    const full = newer.size >= s.config.recentRequestsMax / 2;
    recent = full ? { older: newer, newer: new Set() } : { older: recent.older, newer };
  }
  let epochs = s.epochs;
  const validators = tx.ctx.env.reconfigOf(block.batch);
  if (validators && validators.length >= 1 && new Set(validators).size === validators.length) {
    const from = reconfigEffectiveHeight(block.height, s.config.checkpointInterval, s.config.reconfigDistance);
    epochs = scheduleEpoch(epochs, from, validators);
  }
  tx.set({
    lastExecuted: block.height,
    pending,
    recent,
    epochs,
    fetchTarget: Math.max(s.fetchTarget, block.height),
    backoff: s.mode === 'active' ? 0 : s.backoff,
    progressSinceMs: tx.now,
  });
  if (block.height % s.config.checkpointInterval === 0) {
    const checkpoint = { seq: block.height, digest: block.digest };
    tx.set({ ownCheckpoints: new Map(tx.state.ownCheckpoints).set(block.height, block.digest) });
    if (validatorsAt(tx.state.epochs, block.height).includes(s.config.self)) {
      recordCheckpointVote(tx, s.config.self, checkpoint);
      tx.send('all', { kind: 'checkpoint', ...checkpoint });
    }
    tryStable(tx);
  }
}

function onCheckpoint(tx: Tx, from: NodeId, m: CheckpointMessage): void {
  const s = tx.state;
  if (!validatorsAt(s.epochs, m.seq).includes(from)) {
    tx.refuse(from, 'checkpoint', 'not-a-validator');
    return;
  }
  if (m.seq <= s.stable.seq) return;
  recordCheckpointVote(tx, from, { seq: m.seq, digest: m.digest });
  tryStable(tx);
}

function recordCheckpointVote(tx: Tx, from: NodeId, cp: Checkpoint): void {
  const votes = tx.state.checkpointVotes.get(from) ?? [];
  const same = votes.find((v) => v.seq === cp.seq);
  if (same) {
    if (same.digest !== cp.digest) {
      tx.evidence({
        kind: 'conflicting-checkpoint',
        offender: from,
        view: tx.state.view,
        seq: cp.seq,
        first: same.digest,
        second: cp.digest,
      });
    }
    return;
  }
  const kept = [...votes, cp].sort((a, b) => b.seq - a.seq).slice(0, CHECKPOINT_VOTES_PER_SENDER_MAX);
  tx.set({ checkpointVotes: new Map(tx.state.checkpointVotes).set(from, kept) });
}

/** Moves the low water mark to the highest checkpoint a quorum of its validators vouches for. */
function tryStable(tx: Tx): void {
  const s = tx.state;
  const counts = new Map<string, { cp: Checkpoint; voters: number }>();
  for (const [sender, votes] of s.checkpointVotes) {
    for (const cp of votes) {
      if (cp.seq <= s.stable.seq || !validatorsAt(s.epochs, cp.seq).includes(sender)) continue;
      const key = `${cp.seq}|${cp.digest}`;
      const entry = counts.get(key) ?? { cp, voters: 0 };
      entry.voters++;
      counts.set(key, entry);
    }
  }
  let best: Checkpoint | undefined;
  for (const { cp, voters } of counts.values()) {
    if (voters < quorumSize(validatorsAt(s.epochs, cp.seq).length)) continue;
    if (!best || cp.seq > best.seq) best = cp;
  }
  if (best) moveStable(tx, best);
}

/** Makes `cp` the stable checkpoint: garbage-collects the log below it and fetches what was not executed. */
function moveStable(tx: Tx, cp: Checkpoint): void {
  const s = tx.state;
  assert.ok(cp.seq > s.stable.seq, 'the low water mark only moves up');
  if (s.lastExecuted >= cp.seq) {
    assert.equal(
      s.ownCheckpoints.get(cp.seq),
      cp.digest,
      'a stable checkpoint matches what this replica executed (S1)',
    );
  }
  const slots = new Map<number, Slot>();
  for (const [seq, slot] of s.slots) if (seq > cp.seq) slots.set(seq, slot);
  const ownCheckpoints = new Map<number, Digest>();
  for (const [seq, digest] of s.ownCheckpoints) if (seq >= cp.seq) ownCheckpoints.set(seq, digest);
  const checkpointVotes = new Map<NodeId, readonly Checkpoint[]>();
  for (const [sender, votes] of s.checkpointVotes) {
    const kept = votes.filter((v) => v.seq > cp.seq);
    if (kept.length > 0) checkpointVotes.set(sender, kept);
  }
  const previousEpoch = currentEpoch(s).epoch;
  const recovery = s.recovery?.floor !== undefined && cp.seq >= s.recovery.floor ? undefined : s.recovery;
  tx.set({
    stable: cp,
    slots,
    ownCheckpoints,
    checkpointVotes,
    recovery,
    fetchTarget: Math.max(s.fetchTarget, cp.seq),
    nextSeq: Math.max(s.nextSeq, cp.seq + 1),
  });
  if (currentEpoch(tx.state).epoch !== previousEpoch) startEpoch(tx);
}

/** A new validator set takes over at a stable checkpoint: everything before is final, views restart at 0. */
function startEpoch(tx: Tx): void {
  tx.set({
    view: 0,
    mode: 'active',
    viewChanges: new Map(),
    ownViewChange: undefined,
    newView: undefined,
    pendingNewView: undefined,
    backoff: 0,
    equivocators: new Set(),
    nextSeq: tx.state.stable.seq + 1,
    viewSinceMs: tx.now,
    progressSinceMs: tx.now,
  });
  tx.setTimers({ progressAtMs: undefined, viewChangeAtMs: undefined });
}

// ---------------------------------------------------------------------------------------------------------
// View change

/** Moves to `view` (timer expiry or f+1 peers asking) and announces this replica's P, Q and checkpoints. */
function startViewChange(tx: Tx, view: number): void {
  const s = tx.state;
  assert.ok(view > s.view, 'views only move up');
  const vc = canVote(s) ? viewChangeMessage(s, view) : undefined;
  tx.set({
    view,
    mode: 'view-change',
    backoff: Math.min(s.backoff + 1, s.config.viewChangeBackoffMax),
    ownViewChange: vc,
    newView: undefined,
    pendingNewView: s.pendingNewView && s.pendingNewView.view >= view ? s.pendingNewView : undefined,
  });
  tx.setTimers({ progressAtMs: undefined, viewChangeAtMs: undefined });
  if (vc) {
    storeViewChange(tx, s.config.self, vc);
    tx.send('all', vc);
  }
  viewChangeProgress(tx, view);
}

function onViewChange(tx: Tx, from: NodeId, m: ViewChangeMessage): void {
  const s = tx.state;
  if (!isMember(s, from)) {
    tx.refuse(from, 'view-change', 'not-a-validator');
    return;
  }
  if (m.epoch !== currentEpoch(s).epoch) return;
  if (!m.prepared.every((p) => tx.ctx.env.digestBatch(p.batch) === p.digest)) {
    tx.refuse(from, 'view-change', 'bad-view-change');
    return;
  }
  if (m.view < s.view || (m.view === s.view && s.mode === 'active')) {
    help(tx, from);
    return;
  }
  storeViewChange(tx, from, m);
  joinViewChange(tx);
  viewChangeProgress(tx, m.view);
}

function storeViewChange(tx: Tx, from: NodeId, m: ViewChangeMessage): void {
  const list = tx.state.viewChanges.get(from) ?? [];
  const entry = stored(m);
  const same = list.find((x) => x.message.view === m.view);
  if (same) {
    if (same.fingerprint !== entry.fingerprint) {
      tx.evidence({
        kind: 'conflicting-view-change',
        offender: from,
        view: m.view,
        seq: m.stableSeq,
        first: same.fingerprint,
        second: entry.fingerprint,
      });
    }
    return;
  }
  const kept = [...list, entry].sort((a, b) => b.message.view - a.message.view).slice(0, VIEW_CHANGES_PER_SENDER_MAX);
  tx.set({ viewChanges: new Map(tx.state.viewChanges).set(from, kept) });
}

/**
 * PBFT's liveness rule with a guard: when f+1 validators ask for views above ours, at least one of them is
 * correct, so we move to the smallest of their f+1 highest requests, and never more than viewJumpMax at once.
 * A single Byzantine validator asking for view 10^9 therefore moves nobody (SPEC.md L3).
 */
function joinViewChange(tx: Tx): void {
  const s = tx.state;
  const views: number[] = [];
  for (const [sender, list] of s.viewChanges) {
    if (sender === s.config.self || !isMember(s, sender)) continue;
    const highest = list[0]?.message.view ?? 0;
    if (highest > s.view) views.push(highest);
  }
  const weak = decisionParams(s).weak;
  if (views.length < weak) return;
  views.sort((a, b) => b - a);
  startViewChange(tx, Math.min(views[weak - 1] as number, s.view + s.config.viewJumpMax));
}

function viewChangesFor(state: ReplicaState, view: number): { sender: NodeId; vc: StoredViewChange }[] {
  const found = [];
  for (const [sender, list] of state.viewChanges) {
    if (!isMember(state, sender)) continue;
    const vc = list.find((x) => x.message.view === view);
    if (vc) found.push({ sender, vc });
  }
  return found.sort((a, b) => (a.sender < b.sender ? -1 : a.sender > b.sender ? 1 : 0));
}

/**
 * After a view change for `view` arrived: start the new-view timer, build or check the new view. The timer
 * starts once a quorum (this replica included) asks for this view or a later one: a replica cut off from the
 * others never starts it, so it cannot climb views alone (SPEC.md L2), while replicas split across two views
 * (one ahead, whose older view change was lost) still time out and meet in the higher one.
 */
function viewChangeProgress(tx: Tx, view: number): void {
  const s = tx.state;
  if (s.mode === 'view-change' && s.timers.viewChangeAtMs === undefined) {
    let atOrAbove = 0;
    for (const [sender, list] of s.viewChanges) {
      if (isMember(s, sender) && (list[0]?.message.view ?? -1) >= s.view) atOrAbove++;
    }
    if (atOrAbove >= decisionParams(s).quorum) tx.setTimers({ viewChangeAtMs: tx.now + timeoutMs(s) });
  }
  if (s.mode === 'view-change' && s.view === view && primaryOf(s, view) === s.config.self && canVote(s)) {
    buildNewView(tx);
  }
  const pending = tx.state.pendingNewView;
  if (pending && pending.view === view) tryNewView(tx, pending);
}

/**
 * The new primary's side: decide from the view changes received for its view, announce and install. It
 * prefers the messages of validators it never caught equivocating: a backup can only match a reference to
 * the version of a view change it received itself, and an equivocator (twins) gave different ones to each.
 */
function buildNewView(tx: Tx): void {
  const s = tx.state;
  const all = viewChangesFor(s, s.view);
  const params = decisionParams(s);
  const trusted = all.filter((x) => !s.equivocators.has(x.sender));
  let found = trusted;
  let decision =
    trusted.length >= params.quorum
      ? decideNewView(
          trusted.map((x) => x.vc.message),
          params,
        )
      : undefined;
  if (!decision && trusted.length < all.length && all.length >= params.quorum) {
    found = all;
    decision = decideNewView(
      all.map((x) => x.vc.message),
      params,
    );
  }
  if (!decision) return;
  const vcs = found.map((x) => x.vc.message);
  const entries: NewViewEntry[] = decision.decisions.map(({ seq, decision: d }) => {
    if (d.kind === 'batch') return { seq, digest: d.entry.digest, batch: d.entry.batch };
    const batch: Batch = { height: seq, requests: [], proposerTimeMs: Math.max(0, Math.floor(tx.now)) };
    return { seq, digest: tx.ctx.env.digestBatch(batch), batch };
  });
  const nv: NewViewMessage = {
    kind: 'new-view',
    epoch: currentEpoch(s).epoch,
    view: s.view,
    viewChanges: found.map((x) => ({ sender: x.sender, fingerprint: x.vc.fingerprint })),
    checkpoint: decision.checkpoint,
    entries,
  };
  assert.ok(newViewJustified(vcs, nv, params), 'the new primary justifies its own new view');
  tx.send('all', nv);
  installNewView(tx, nv);
}

function onNewView(tx: Tx, from: NodeId, m: NewViewMessage): void {
  const s = tx.state;
  if (!isMember(s, from)) {
    tx.refuse(from, 'new-view', 'not-a-validator');
    return;
  }
  if (m.epoch !== currentEpoch(s).epoch) return;
  if (m.view < s.view || (m.view === s.view && s.mode === 'active')) return;
  for (const e of m.entries) {
    if (tx.ctx.env.digestBatch(e.batch) !== e.digest) {
      tx.refuse(from, 'new-view', 'bad-digest');
      return;
    }
    if (!e.batch.requests.every((r) => tx.ctx.env.validRequest(r))) {
      tx.refuse(from, 'new-view', 'bad-batch');
      return;
    }
  }
  if (tryNewView(tx, m) === 'invalid') tx.refuse(from, 'new-view', 'bad-new-view');
}

/**
 * A backup checks a new view against the view changes it received itself (the sender of each is
 * authenticated by the channel); a reference it cannot match yet leaves the new view pending.
 */
function tryNewView(tx: Tx, nv: NewViewMessage): 'installed' | 'pending' | 'invalid' {
  const s = tx.state;
  const params = decisionParams(s);
  const matched: ViewChangeMessage[] = [];
  for (const ref of nv.viewChanges) {
    if (!isMember(s, ref.sender)) continue;
    const vc = s.viewChanges.get(ref.sender)?.find((x) => x.message.view === nv.view);
    if (vc && vc.fingerprint === ref.fingerprint) matched.push(vc.message);
  }
  if (matched.length >= params.quorum && newViewJustified(matched, nv, params)) {
    if (contradictsSameViewDecision(s, nv)) {
      tx.set({ pendingNewView: undefined });
      return 'invalid';
    }
    installNewView(tx, nv);
    return 'installed';
  }
  if (matched.length === nv.viewChanges.length && matched.length >= params.quorum) {
    tx.set({ pendingNewView: undefined });
    return 'invalid';
  }
  tx.set({ pendingNewView: nv });
  return 'pending';
}

/**
 * A justified new view may still disagree with a block this replica saw certified in that same view: the
 * primary equivocated (two new views, as twins do), and quorum intersection lets only one of them commit
 * anything. Such a new view is refused. Disagreeing with a block certified in an earlier view is impossible
 * with at most f faulty validators; installNewView asserts it.
 */
function contradictsSameViewDecision(s: ReplicaState, nv: NewViewMessage): boolean {
  return nv.entries.some((e) => {
    const decided = s.slots.get(e.seq)?.decided;
    return decided !== undefined && decided.digest !== e.digest && decided.certificate.view >= nv.view;
  });
}

/** Enters the new view: the checkpoint, the re-proposed batches (prepared again in this view), the primary's next seq. */
function installNewView(tx: Tx, nv: NewViewMessage): void {
  if (nv.checkpoint.seq > tx.state.stable.seq) moveStable(tx, nv.checkpoint);
  if (currentEpoch(tx.state).epoch !== nv.epoch) return;
  tx.set({
    view: nv.view,
    mode: 'active',
    newView: nv,
    pendingNewView: undefined,
    viewSinceMs: tx.now,
    progressSinceMs: tx.now,
  });
  tx.setTimers({ progressAtMs: undefined, viewChangeAtMs: undefined });
  let last = Math.max(tx.state.stable.seq, tx.state.lastExecuted);
  for (const e of nv.entries) {
    last = Math.max(last, e.seq);
    if (!inWindow(tx.state, e.seq)) continue;
    const slot = tx.slot(e.seq);
    if (slot.decided) assert.equal(slot.decided.digest, e.digest, 'a new view keeps every earlier decision (S1)');
    if (slot.accepted && slot.accepted.view >= nv.view) continue;
    accept(tx, e.seq, { view: nv.view, digest: e.digest, batch: e.batch });
  }
  tx.set({ nextSeq: last + 1 });
  const s = tx.state;
  const primary = primaryOf(s, s.view);
  if (primary !== s.config.self && canVote(s)) relayPending(tx, primary, 0);
}

/** Sends a replica that is behind our view what it needs to follow: our view change and the new view. */
function help(tx: Tx, to: NodeId): void {
  const s = tx.state;
  if (s.mode !== 'active' || !isMember(s, to)) return;
  const last = s.helpedAtMs.get(to);
  if (last !== undefined && tx.now - last < s.config.retransmitIntervalMs) return;
  if (s.ownViewChange?.view === s.view) tx.send(to, s.ownViewChange);
  if (s.newView?.view === s.view) tx.send(to, s.newView);
  const helpedAtMs = new Map(s.helpedAtMs).set(to, tx.now);
  if (helpedAtMs.size > currentEpoch(s).validators.length) helpedAtMs.delete(helpedAtMs.keys().next().value as NodeId);
  tx.set({ helpedAtMs });
}

// ---------------------------------------------------------------------------------------------------------
// State transfer

function onFetch(tx: Tx, from: NodeId, m: FetchMessage): void {
  const s = tx.state;
  const toHeight = Math.min(m.toHeight, s.lastExecuted, m.fromHeight + s.config.fetchBlocksMax - 1);
  tx.outputs.push({ type: 'serve', to: from, fromHeight: m.fromHeight, toHeight });
}

function onBlocks(tx: Tx, from: NodeId, m: BlocksMessage): void {
  noteRecoveryReport(tx, from, m.lastExecuted);
  if (isMember(tx.state, from)) tx.set({ fetchTarget: Math.max(tx.state.fetchTarget, m.lastExecuted) });
  for (const block of m.blocks) {
    const s = tx.state;
    if (block.height <= s.lastExecuted) continue;
    if (block.height !== s.lastExecuted + 1) break;
    const validators = validatorsAt(s.epochs, block.height);
    const valid =
      checkBatch(block.batch, block.height, s.config) === undefined &&
      tx.ctx.env.digestBatch(block.batch) === block.digest &&
      tx.ctx.env.verifyBlock(block, validators);
    if (!valid) {
      tx.refuse(from, 'blocks', 'bad-block');
      return;
    }
    const slot = s.slots.get(block.height);
    if (slot?.decided) assert.equal(slot.decided.digest, block.digest, 'two certified blocks at one height (S1)');
    if (inWindow(s, block.height)) tx.putSlot({ ...tx.slot(block.height), decided: block });
    execute(tx, block);
  }
  if (tx.state.lastExecuted < tx.state.fetchTarget && m.blocks.length > 0) sendFetch(tx);
}

function noteRecoveryReport(tx: Tx, from: NodeId, lastExecuted: number): void {
  const r = tx.state.recovery;
  if (!r || r.floor !== undefined || !isMember(tx.state, from)) return;
  const reports = new Map(r.reports).set(from, lastExecuted);
  const params = decisionParams(tx.state);
  if (reports.size < params.quorum) {
    tx.set({ recovery: { floor: undefined, reports } });
    return;
  }
  const floor = Math.max(...reports.values()) + tx.state.config.windowSize;
  tx.set({ recovery: tx.state.stable.seq >= floor ? undefined : { floor, reports: new Map() } });
}

function sendFetch(tx: Tx): void {
  const from = tx.state.lastExecuted + 1;
  tx.send('all', { kind: 'fetch', fromHeight: from, toHeight: from + tx.state.config.fetchBlocksMax - 1 });
}

// ---------------------------------------------------------------------------------------------------------
// Proposals, timers, retransmission

/** The primary proposes batches while the window and the pipelining depth allow. */
function propose(tx: Tx): void {
  const s0 = tx.state;
  if (s0.mode !== 'active' || primaryOf(s0, s0.view) !== s0.config.self || !canVote(s0)) return;
  if (s0.pending.size === 0 || s0.lastExecuted < s0.stable.seq) return;
  const inFlight = new Set<Digest>();
  for (const slot of s0.slots.values()) {
    if (slot.seq <= s0.lastExecuted) continue;
    // Batches of abandoned views that the new view did not carry are not in flight any more.
    const live = slot.decided ?? (slot.accepted?.view === s0.view ? slot.accepted : undefined);
    for (const r of live?.batch.requests ?? []) inFlight.add(r.digest);
  }
  for (let i = 0; i < s0.config.windowSize; i++) {
    const s = tx.state;
    const seq = Math.max(s.nextSeq, s.lastExecuted + 1);
    if (seq > highWaterMark(s) || seq - s.lastExecuted > s.config.inFlightMax) return;
    const requests: ClientRequest[] = [];
    let bytes = 0;
    for (const { request: r } of s.pending.values()) {
      if (requests.length >= s.config.batchSizeMax) break;
      if (inFlight.has(r.digest) || bytes + r.bytes.byteLength > s.config.batchBytesMax) continue;
      requests.push(r);
      bytes += r.bytes.byteLength;
      inFlight.add(r.digest);
    }
    if (requests.length === 0) return;
    const slot = tx.slot(seq);
    if (slot.decided || (slot.accepted?.view ?? -1) >= s.view) {
      // Decided by a certificate the new view did not need to re-propose: never propose over it.
      tx.set({ nextSeq: seq + 1 });
      for (const r of requests) inFlight.delete(r.digest);
      continue;
    }
    const batch: Batch = { height: seq, requests, proposerTimeMs: Math.max(0, Math.floor(tx.now)) };
    const digest = tx.ctx.env.digestBatch(batch);
    accept(tx, seq, { view: s.view, digest, batch });
    tx.send('all', { kind: 'pre-prepare', view: s.view, seq, digest, batch });
    tx.set({ nextSeq: seq + 1 });
  }
}

function runTimers(tx: Tx): void {
  const { timers, mode, view } = tx.state;
  if (mode === 'active' && timers.progressAtMs !== undefined && timers.progressAtMs <= tx.now) {
    startViewChange(tx, view + 1);
  } else if (mode === 'view-change' && timers.viewChangeAtMs !== undefined && timers.viewChangeAtMs <= tx.now) {
    startViewChange(tx, view + 1);
  }
  if (tx.state.timers.retransmitAtMs !== undefined && tx.state.timers.retransmitAtMs <= tx.now) {
    tx.setTimers({ retransmitAtMs: undefined });
    retransmit(tx);
  }
  if (tx.state.timers.syncAtMs !== undefined && tx.state.timers.syncAtMs <= tx.now) {
    tx.setTimers({ syncAtMs: undefined });
    sendFetch(tx);
  }
}

function settle(tx: Tx): void {
  executeReady(tx);
  propose(tx);
  const s = tx.state;
  const uncommitted = [...s.slots.values()].some((x) => x.seq > s.lastExecuted && x.accepted?.view === s.view);
  // An idle replica's progress clock starts with the next work, not at the last block of a busy spell.
  const idle = !uncommitted && s.pending.size === 0;
  tx.set({ viewSinceMs: s.viewSinceMs ?? tx.now, progressSinceMs: idle ? undefined : (s.progressSinceMs ?? tx.now) });
  tx.setTimers({ progressAtMs: progressDeadline(tx.state, uncommitted) });
  const ownLatest = Math.max(0, ...s.ownCheckpoints.keys());
  const outstanding =
    s.mode === 'view-change' ||
    uncommitted ||
    s.pending.size > 0 ||
    s.lastExecuted < s.fetchTarget ||
    ownLatest > s.stable.seq ||
    (s.recovery !== undefined && s.recovery.floor === undefined);
  if (!outstanding) tx.setTimers({ retransmitAtMs: undefined });
  else if (tx.state.timers.retransmitAtMs === undefined) {
    tx.setTimers({ retransmitAtMs: tx.now + s.config.retransmitIntervalMs });
  }
  if (tx.state.timers.syncAtMs === undefined) tx.setTimers({ syncAtMs: tx.now + s.config.syncIntervalMs });
  const t = tx.state.timers;
  const deadlines = [t.progressAtMs, t.viewChangeAtMs, t.retransmitAtMs, t.syncAtMs].filter((x) => x !== undefined);
  const wake = deadlines.length > 0 ? Math.min(...deadlines) : undefined;
  if (wake !== t.wakeAtMs) {
    tx.setTimers({ wakeAtMs: wake });
    if (wake !== undefined) tx.outputs.push({ type: 'timer', atMs: wake });
  }
}

/**
 * PBFT's request timer: a view change when an accepted batch waits too long (no block executed) or when the
 * oldest pending request waits too long in this view, so a primary cannot censor one request while serving
 * others (clients submit to every validator).
 */
function progressDeadline(s: ReplicaState, uncommitted: boolean): number | undefined {
  if (s.mode !== 'active' || !canVote(s)) return undefined;
  const viewSince = s.viewSinceMs ?? 0;
  const timeout = timeoutMs(s);
  let deadline: number | undefined;
  if (uncommitted) deadline = Math.max(s.progressSinceMs ?? 0, viewSince) + timeout;
  const oldest = s.pending.values().next().value;
  if (oldest) {
    const d = Math.max(oldest.sinceMs, viewSince) + timeout;
    deadline = deadline === undefined ? d : Math.min(deadline, d);
  }
  return deadline;
}

/**
 * Resends what a lossy network may have dropped: the fetch in progress always; votes, view change and
 * checkpoint only when nothing moved since the last retransmission (so a healthy cluster stays quiet).
 */
function retransmit(tx: Tx): void {
  const s = tx.state;
  const mark = `${s.lastExecuted}/${s.stable.seq}/${s.view}/${s.mode}`;
  const stuck = mark === s.progressMark;
  tx.set({ progressMark: mark });
  const recovering = s.recovery !== undefined && s.recovery.floor === undefined;
  // A fetch doubles as a status query: the replies say how far the others are (anti-entropy when stuck).
  if (s.lastExecuted < s.fetchTarget || recovering || stuck) sendFetch(tx);
  const primary = primaryOf(s, s.view);
  const self = s.config.self;
  // Requests the primary may never have received (clients submit to all, but links lose messages).
  if (s.mode === 'active' && canVote(s) && primary !== self) relayPending(tx, primary, s.config.retransmitIntervalMs);
  if (!stuck) return;
  if (s.mode === 'view-change') {
    if (s.ownViewChange) tx.send('all', s.ownViewChange);
    return;
  }
  if (!canVote(s)) return;
  for (const slot of sortedSlots(s)) {
    const acc = slot.accepted;
    if (acc?.view === s.view) {
      if (primary === self) tx.send('all', { kind: 'pre-prepare', seq: slot.seq, ...acc });
      else tx.send('all', { kind: 'prepare', view: s.view, seq: slot.seq, digest: acc.digest });
    }
    const prepared = slot.prepared;
    if (prepared?.view === s.view) {
      // Re-signed from the durable P entry (the signature is deterministic), so a restart loses no vote.
      const signature = tx.ctx.env.signCommit({ height: slot.seq, view: s.view, digest: prepared.digest });
      tx.send('all', { kind: 'commit', view: s.view, seq: slot.seq, digest: prepared.digest, signature });
    }
  }
  const ownLatest = Math.max(0, ...s.ownCheckpoints.keys());
  if (ownLatest > s.stable.seq && validatorsAt(s.epochs, ownLatest).includes(self)) {
    tx.send('all', { kind: 'checkpoint', seq: ownLatest, digest: s.ownCheckpoints.get(ownLatest) as Digest });
  }
}

/** Hands the primary the pending requests that have waited at least `ageMs`, up to what it can order at once. */
function relayPending(tx: Tx, primary: NodeId, ageMs: number): void {
  const s = tx.state;
  const limit = s.config.batchSizeMax * s.config.inFlightMax;
  const requests: ClientRequest[] = [];
  for (const p of s.pending.values()) {
    if (requests.length >= limit || tx.now - p.sinceMs < ageMs) break;
    requests.push(p.request);
  }
  if (requests.length > 0) tx.send(primary, { kind: 'request', requests });
}

// ---------------------------------------------------------------------------------------------------------
// Invariants, checked after every step (kept on in production: a validator that breaks one stops loudly)

function assertStep(before: ReplicaState, tx: Tx): void {
  const s = tx.state;
  const { checkpointInterval: K, windowSize: L } = s.config;
  assert.ok(s.lastExecuted >= before.lastExecuted, 'execution never goes back');
  assert.ok(s.stable.seq >= before.stable.seq && s.stable.seq % K === 0, 'the stable checkpoint only moves up');
  const epochChanged = currentEpoch(s).epoch !== currentEpoch(before).epoch;
  assert.ok(epochChanged || s.view >= before.view, 'views only move up within an epoch');
  let height = before.lastExecuted;
  for (const o of tx.outputs) {
    if (o.type === 'commit') assert.equal(o.block.height, ++height, 'commits are emitted in height order (S3)');
  }
  assert.equal(height, s.lastExecuted, 'every executed block was emitted once');
  assert.ok(s.slots.size <= L && s.pending.size <= s.config.pendingRequestsMax, 'bounded log and pool');
  for (const [seq, slot] of s.slots) {
    assert.ok(seq === slot.seq && seq > s.stable.seq && seq <= s.stable.seq + L, 'slots stay inside the window');
    if (slot.decided) assert.ok(slot.decided.certificate.signatures.length >= 1, 'a decision carries its certificate');
  }
  assert.ok(s.nextSeq > s.stable.seq, 'the primary never reuses a sequence number below the water mark');
}
