/**
 * A deterministic discrete-event simulator for the PBFT replica: one seeded PRNG decides every loss,
 * duplication and delay, so `simulate(options)` is a pure function of its options and any failure replays
 * from its seed. It models a lossy, reordering network before GST and a healed one after, partitions
 * (including one-way links), crashes with restart from the persisted log or from a wiped disk, validator-set
 * changes, and Byzantine validators: an equivocating primary, one key on two machines (twins) and a
 * validator spamming view changes with huge view numbers. It checks SPEC.md S1–S3 on every commit and L1
 * at the end.
 */
import { createHash } from 'node:crypto';
import { createRng, type Rng } from './prng.ts';
import { certificateValid, faultsTolerated, validatorsAt } from './quorum.ts';
import {
  createReplica,
  type PersistedReplica,
  persistedOf,
  type ReplicaState,
  replicaConfig,
  restoreReplica,
  step,
  viewChangeMessage,
  wipedReplica,
} from './replica.ts';
import type {
  Batch,
  ClientRequest,
  CommittedBlock,
  CommitVote,
  Digest,
  Evidence,
  Input,
  Message,
  NodeId,
  Output,
  ReplicaConfig,
  ReplicaEnv,
} from './types.ts';

/** How a faulty validator misbehaves. */
export type Behavior = 'equivocating-primary' | 'twin' | 'view-change-spammer' | 'silent';

/** A scheduled failure of the network or of a node. */
export type Fault =
  | {
      readonly kind: 'crash';
      readonly node: NodeId;
      readonly atMs: number;
      readonly restartAtMs?: number;
      readonly wipe?: boolean;
    }
  | {
      readonly kind: 'partition';
      readonly groups: readonly (readonly NodeId[])[];
      readonly fromMs: number;
      readonly untilMs: number;
    }
  | {
      readonly kind: 'one-way';
      readonly node: NodeId;
      readonly direction: 'send-only' | 'receive-only';
      readonly fromMs: number;
      readonly untilMs: number;
    };

/** Loss, duplication and delay of every message on a link. */
export interface NetworkProfile {
  readonly lossRate: number;
  readonly duplicateRate: number;
  readonly delayMinMs: number;
  readonly delayMaxMs: number;
}

/** One message about to be put on the network (what a scenario's `drop` filter sees). */
export interface Delivery {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: Message;
  readonly atMs: number;
}

/** Everything a simulation depends on; the same options always give the same result. */
export interface SimulationOptions {
  readonly seed: number;
  /** Genesis validators: a count (named r0, r1, …) or names. */
  readonly validators: number | readonly NodeId[];
  /** Nodes that start as observers (for example validators added later by a reconfiguration). */
  readonly observers?: readonly NodeId[];
  readonly requestCount: number;
  readonly requestIntervalMs?: number;
  readonly requestStartMs?: number;
  /** Global stabilization time: from then on the network uses `afterGst` and no partition applies. */
  readonly gstMs?: number;
  readonly network?: Partial<NetworkProfile>;
  readonly afterGst?: Partial<NetworkProfile>;
  readonly durationMs?: number;
  readonly faults?: readonly Fault[];
  readonly byzantine?: Readonly<Record<NodeId, Behavior>>;
  readonly reconfigurations?: readonly { readonly atMs: number; readonly validators: readonly NodeId[] }[];
  /** A scenario's own rule for dropping messages (it must be a pure function). */
  readonly drop?: (delivery: Delivery) => boolean;
  readonly replica?: Partial<Omit<ReplicaConfig, 'self' | 'genesis'>>;
  /** Whether every submitted request must be committed everywhere by the end (SPEC.md L1). */
  readonly expectLiveness?: boolean;
  readonly clientRetryMs?: number;
  readonly spamIntervalMs?: number;
  readonly eventsMax?: number;
  /** Receives one line per delivered input and per output, to follow a replayed seed (not needed otherwise). */
  readonly trace?: (line: string) => void;
}

/** One block committed by one machine. */
export interface CommitRecord {
  readonly atMs: number;
  readonly machine: string;
  readonly height: number;
  readonly digest: Digest;
  /** The view of the block's commit certificate. */
  readonly view: number;
}

/** What happened, and every invariant violation found (empty when the run is correct). */
export interface SimulationResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly violations: readonly string[];
  readonly endMs: number;
  readonly events: number;
  /** Per machine, the digests of its committed blocks (index 0 is height 1). */
  readonly chains: ReadonlyMap<string, readonly Digest[]>;
  /** Every commit of every machine, in simulated time order. */
  readonly commits: readonly CommitRecord[];
  /** Per machine, how many distinct requests it committed. */
  readonly committedRequests: ReadonlyMap<string, number>;
  /** Per machine, its view at the end (undefined while crashed). */
  readonly views: ReadonlyMap<string, number | undefined>;
  /** Per machine, its replica state at the end (undefined while crashed). */
  readonly states: ReadonlyMap<string, ReplicaState | undefined>;
  /** Machines whose identity behaves correctly (the ones S1–S3 and L1 are checked on). */
  readonly honest: readonly string[];
  readonly evidence: readonly { readonly machine: string; readonly evidence: Evidence }[];
  /** Refused inputs by `subject:reason`. */
  readonly refusals: ReadonlyMap<string, number>;
  readonly duplicateCommits: number;
  readonly messages: { readonly sent: number; readonly delivered: number; readonly dropped: number };
  /** Highest view any honest machine reached. */
  readonly maxView: number;
}

/** Replica limits the simulator uses unless told otherwise: small, so checkpoints and GC happen often. */
export const SIMULATION_REPLICA_DEFAULTS = {
  checkpointInterval: 4,
  windowSize: 8,
  inFlightMax: 4,
  batchSizeMax: 8,
  viewChangeTimeoutMs: 400,
  viewJumpMax: 4,
  retransmitIntervalMs: 100,
  syncIntervalMs: 1_000,
  fetchBlocksMax: 16,
  reconfigDistance: 8,
} as const satisfies Partial<ReplicaConfig>;

const EVENTS_MAX_DEFAULT = 2_000_000;
const CLIENT_RESEND_MAX = 256;
const HUGE_VIEW = 1_000_000_000;

type SimEvent =
  | { readonly type: 'deliver'; readonly machine: Machine; readonly incarnation: number; readonly input: Input }
  | { readonly type: 'tick'; readonly machine: Machine; readonly incarnation: number }
  | { readonly type: 'crash'; readonly node: NodeId }
  | { readonly type: 'restart'; readonly node: NodeId; readonly wipe: boolean }
  | { readonly type: 'submit'; readonly requests: readonly ClientRequest[] }
  | { readonly type: 'client-retry' }
  | { readonly type: 'spam'; readonly machine: Machine };

interface Machine {
  readonly name: string;
  readonly id: NodeId;
  readonly config: ReplicaConfig;
  readonly env: ReplicaEnv;
  readonly behavior: Behavior | undefined;
  state: ReplicaState | undefined;
  persisted: PersistedReplica | undefined;
  store: CommittedBlock[];
  committed: Set<Digest>;
  incarnation: number;
}

/** Runs one simulation to its end and reports what happened. */
export function simulate(options: SimulationOptions): SimulationResult {
  return new Simulation(options).run();
}

/** A one-paragraph account of a result, with the seed, for test failure messages. */
export function describeResult(r: SimulationResult): string {
  const chains = [...r.chains].map(([m, c]) => `${m}:${c.length}`).join(' ');
  return [
    `seed=${r.seed} ok=${r.ok} endMs=${r.endMs} events=${r.events} maxView=${r.maxView}`,
    `heights ${chains}; requests ${[...r.committedRequests].map(([m, c]) => `${m}:${c}`).join(' ')}`,
    `evidence=${r.evidence.length} refused=${JSON.stringify([...r.refusals])} messages=${JSON.stringify(r.messages)}`,
    ...r.violations.map((v) => `VIOLATION ${v}`),
  ].join('\n');
}

/** The digest the simulated clients give a request: SHA-256 of its bytes. */
export function requestDigest(bytes: Uint8Array): Digest {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A simulated client request with `text` as its bytes. */
export function makeRequest(text: string): ClientRequest {
  const bytes = new TextEncoder().encode(text);
  return { digest: requestDigest(bytes), bytes };
}

/** The simulator's crypto and application seams for replica `self` (signatures are keyed strings). */
export function simulationEnv(self: NodeId): ReplicaEnv {
  const sign = (signer: NodeId, v: CommitVote) => `sig:${signer}:${v.height}:${v.view}:${v.digest.slice(0, 16)}`;
  const verifyCommit = (signer: NodeId, vote: CommitVote, signature: string) => signature === sign(signer, vote);
  return {
    digestBatch: batchDigest,
    signCommit: (vote) => sign(self, vote),
    verifyCommit,
    verifyBlock: (block, validators) => certificateValid(block, validators, verifyCommit),
    validRequest: (r) => {
      if (requestDigest(r.bytes) !== r.digest) return false;
      const text = new TextDecoder().decode(r.bytes);
      return text.startsWith('tx:') || text.startsWith('reconfig:');
    },
    reconfigOf: (batch) => {
      let validators: NodeId[] | undefined;
      for (const r of batch.requests) {
        const text = new TextDecoder().decode(r.bytes);
        if (text.startsWith('reconfig:')) validators = (text.split(':')[2] ?? '').split(',');
      }
      return validators;
    },
  };
}

function describeMessage(m: Message): string {
  const short = (d: string) => d.slice(0, 8);
  switch (m.kind) {
    case 'pre-prepare':
      return `pre-prepare v${m.view} n${m.seq} ${short(m.digest)} (${m.batch.requests.length} requests)`;
    case 'prepare':
    case 'commit':
      return `${m.kind} v${m.view} n${m.seq} ${short(m.digest)}`;
    case 'checkpoint':
      return `checkpoint n${m.seq} ${short(m.digest)}`;
    case 'view-change':
      return `view-change v${m.view} h${m.stableSeq} P[${m.prepared.map((p) => `${p.seq}:${p.view}:${short(p.digest)}`)}] Q[${m.prePrepared.map((q) => `${q.seq}:${q.view}:${short(q.digest)}`)}]`;
    case 'new-view':
      return `new-view v${m.view} cp${m.checkpoint.seq} from[${m.viewChanges.map((r) => r.sender)}] [${m.entries.map((e) => `${e.seq}:${short(e.digest)}`)}]`;
    case 'fetch':
      return `fetch ${m.fromHeight}..${m.toHeight}`;
    case 'blocks':
      return `blocks [${m.blocks.map((b) => b.height)}] last ${m.lastExecuted}`;
    case 'request':
      return `request x${m.requests.length}`;
  }
}

function describeInput(input: Input): string {
  if (input.type === 'message') return `${input.from}: ${describeMessage(input.message)}`;
  return input.type === 'client' ? `client x${input.requests.length}` : 'tick';
}

function describeOutput(o: Output): string {
  switch (o.type) {
    case 'send':
      return `${o.to}: ${describeMessage(o.message)}`;
    case 'commit':
      return `COMMIT n${o.block.height} ${o.block.digest.slice(0, 8)} cert v${o.block.certificate.view}`;
    case 'evidence':
      return `EVIDENCE ${o.evidence.kind} ${o.evidence.offender} v${o.evidence.view} n${o.evidence.seq}`;
    case 'refused':
      return `refused ${o.from} ${o.subject} ${o.reason}`;
    case 'serve':
      return `serve ${o.to} ${o.fromHeight}..${o.toHeight}`;
    case 'timer':
      return `timer ${o.atMs}`;
  }
}

function batchDigest(batch: Batch): Digest {
  const text = `${batch.height}|${batch.proposerTimeMs}|${batch.requests.map((r) => r.digest).join(',')}`;
  return createHash('sha256').update(text).digest('hex');
}

class EventQueue {
  readonly #heap: { atMs: number; order: number; event: SimEvent }[] = [];
  #order = 0;

  push(atMs: number, event: SimEvent): void {
    const h = this.#heap;
    h.push({ atMs, order: this.#order++, event });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  pop(): { atMs: number; event: SimEvent } | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined) return undefined;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#less(l, m)) m = l;
        if (r < h.length && this.#less(r, m)) m = r;
        if (m === i) break;
        this.#swap(i, m);
        i = m;
      }
    }
    return top;
  }

  #less(a: number, b: number): boolean {
    const x = this.#heap[a] as { atMs: number; order: number };
    const y = this.#heap[b] as { atMs: number; order: number };
    return x.atMs < y.atMs || (x.atMs === y.atMs && x.order < y.order);
  }

  #swap(a: number, b: number): void {
    const h = this.#heap;
    [h[a], h[b]] = [h[b] as (typeof h)[number], h[a] as (typeof h)[number]];
  }
}

class Simulation {
  readonly #o: SimulationOptions;
  readonly #rng: Rng;
  readonly #queue = new EventQueue();
  readonly #machines: Machine[] = [];
  readonly #genesis: readonly NodeId[];
  readonly #violations: string[] = [];
  readonly #evidence: { machine: string; evidence: Evidence }[] = [];
  readonly #commits: CommitRecord[] = [];
  readonly #decided = new Map<number, Digest>();
  readonly #submitted = new Map<Digest, ClientRequest>();
  readonly #pre: NetworkProfile;
  readonly #post: NetworkProfile;
  readonly #gstMs: number;
  readonly #lastFaultMs: number;
  readonly #totalRequests: number;
  #now = 0;
  #events = 0;
  readonly #refusals = new Map<string, number>();
  #duplicateCommits = 0;
  #sent = 0;
  #delivered = 0;
  #dropped = 0;
  #stopped = false;

  constructor(options: SimulationOptions) {
    this.#o = options;
    this.#rng = createRng(options.seed);
    this.#genesis =
      typeof options.validators === 'number'
        ? Array.from({ length: options.validators }, (_, i) => `r${i}`)
        : [...options.validators];
    this.#pre = { lossRate: 0, duplicateRate: 0, delayMinMs: 1, delayMaxMs: 20, ...options.network };
    this.#post = { lossRate: 0, duplicateRate: 0, delayMinMs: 1, delayMaxMs: 10, ...options.afterGst };
    this.#gstMs = options.gstMs ?? 0;
    this.#totalRequests = options.requestCount + (options.reconfigurations?.length ?? 0);
    let lastFault = this.#gstMs;
    for (const f of options.faults ?? []) {
      lastFault = Math.max(lastFault, f.kind === 'crash' ? (f.restartAtMs ?? f.atMs) : f.untilMs);
    }
    this.#lastFaultMs = lastFault;
    for (const id of [...this.#genesis, ...(options.observers ?? [])]) {
      const behavior = options.byzantine?.[id];
      this.#addMachine(id, id, behavior);
      if (behavior === 'twin') this.#addMachine(`${id}'`, id, behavior);
    }
  }

  #addMachine(name: string, id: NodeId, behavior: Behavior | undefined): void {
    const config = replicaConfig({
      self: id,
      genesis: this.#genesis,
      ...SIMULATION_REPLICA_DEFAULTS,
      ...this.#o.replica,
    });
    this.#machines.push({
      name,
      id,
      config,
      env: simulationEnv(id),
      behavior,
      state: createReplica(config),
      persisted: undefined,
      store: [],
      committed: new Set(),
      incarnation: 0,
    });
  }

  run(): SimulationResult {
    this.#schedule();
    const durationMs = this.#o.durationMs ?? 60_000;
    const eventsMax = this.#o.eventsMax ?? EVENTS_MAX_DEFAULT;
    while (!this.#stopped) {
      const next = this.#queue.pop();
      if (!next || next.atMs > durationMs) break;
      if (this.#events >= eventsMax) {
        this.#violations.push(`event budget of ${eventsMax} exhausted at ${this.#now} ms`);
        break;
      }
      this.#now = next.atMs;
      this.#events++;
      this.#handle(next.event);
      if (this.#now >= this.#lastFaultMs && this.#done()) break;
    }
    if ((this.#o.expectLiveness ?? true) && !this.#stopped && !this.#done()) {
      for (const m of this.#honestUp()) {
        const missing = this.#submitted.size - m.committed.size;
        if (missing > 0 || this.#submitted.size < this.#totalRequests) {
          this.#violations.push(`L1 ${m.name} committed ${m.committed.size} of ${this.#totalRequests} requests`);
        }
      }
    }
    return this.#result();
  }

  #schedule(): void {
    const interval = this.#o.requestIntervalMs ?? 20;
    const start = this.#o.requestStartMs ?? 10;
    for (let i = 0; i < this.#o.requestCount; i++) {
      this.#queue.push(start + i * interval, { type: 'submit', requests: [makeRequest(`tx:${i}`)] });
    }
    for (const [i, r] of (this.#o.reconfigurations ?? []).entries()) {
      const request = makeRequest(`reconfig:${i}:${r.validators.join(',')}`);
      this.#queue.push(r.atMs, { type: 'submit', requests: [request] });
    }
    for (const f of this.#o.faults ?? []) {
      if (f.kind !== 'crash') continue;
      this.#queue.push(f.atMs, { type: 'crash', node: f.node });
      if (f.restartAtMs !== undefined) {
        this.#queue.push(f.restartAtMs, { type: 'restart', node: f.node, wipe: f.wipe ?? false });
      }
    }
    this.#queue.push(this.#o.clientRetryMs ?? 1_000, { type: 'client-retry' });
    for (const m of this.#machines) {
      this.#queue.push(0, { type: 'tick', machine: m, incarnation: m.incarnation });
      if (m.behavior === 'view-change-spammer')
        this.#queue.push(this.#o.spamIntervalMs ?? 250, { type: 'spam', machine: m });
    }
  }

  #handle(e: SimEvent): void {
    switch (e.type) {
      case 'deliver':
      case 'tick': {
        if (e.machine.state === undefined || e.incarnation !== e.machine.incarnation) return;
        if (e.type === 'deliver' && e.input.type === 'message') this.#delivered++;
        this.#step(e.machine, e.type === 'deliver' ? e.input : { type: 'tick' });
        return;
      }
      case 'submit':
        for (const r of e.requests) this.#submitted.set(r.digest, r);
        this.#broadcastFromClient(e.requests);
        return;
      case 'client-retry': {
        const unacknowledged = [...this.#submitted.values()].filter((r) => !this.#acknowledged(r.digest));
        if (unacknowledged.length > 0) this.#broadcastFromClient(unacknowledged.slice(0, CLIENT_RESEND_MAX));
        this.#queue.push(this.#now + (this.#o.clientRetryMs ?? 1_000), { type: 'client-retry' });
        return;
      }
      case 'crash':
        for (const m of this.#machines) {
          if (m.id !== e.node || m.state === undefined) continue;
          m.persisted = persistedOf(m.state);
          m.state = undefined;
          m.incarnation++;
        }
        return;
      case 'restart':
        for (const m of this.#machines) {
          if (m.id !== e.node || m.state !== undefined) continue;
          m.incarnation++;
          if (e.wipe || m.persisted === undefined) {
            m.state = wipedReplica(m.config);
            m.store = [];
            m.committed = new Set();
          } else {
            m.state = restoreReplica(m.config, m.persisted);
          }
          this.#step(m, { type: 'tick' });
        }
        return;
      case 'spam': {
        const m = e.machine;
        if (m.state !== undefined) {
          const k = Math.floor(this.#now);
          this.#transmit(m, 'all', viewChangeMessage(m.state, HUGE_VIEW + k));
          this.#transmit(m, 'all', viewChangeMessage(m.state, m.state.view + 100 + k));
        }
        this.#queue.push(this.#now + (this.#o.spamIntervalMs ?? 250), { type: 'spam', machine: m });
        return;
      }
    }
  }

  #step(m: Machine, input: Input): void {
    const state = m.state as ReplicaState;
    const trace = this.#o.trace;
    if (trace && input.type !== 'tick') trace(`${this.#now} ${m.name} <- ${describeInput(input)}`);
    let result: ReturnType<typeof step>;
    try {
      result = step(state, input, { nowMs: this.#now, env: m.env });
    } catch (err) {
      this.#violations.push(`assertion in ${m.name} at ${this.#now} ms: ${(err as Error).message}`);
      this.#stopped = true;
      return;
    }
    m.state = result.state;
    if (trace) {
      for (const o of result.outputs) if (o.type !== 'timer') trace(`${this.#now} ${m.name} -> ${describeOutput(o)}`);
    }
    for (const o of result.outputs) {
      switch (o.type) {
        case 'send':
          this.#transmit(m, o.to, o.message);
          break;
        case 'commit':
          this.#commit(m, o.block);
          break;
        case 'timer':
          this.#queue.push(Math.max(o.atMs, this.#now), { type: 'tick', machine: m, incarnation: m.incarnation });
          break;
        case 'serve': {
          const to = Math.min(o.toHeight, m.store.length);
          const blocks = o.fromHeight <= to ? m.store.slice(o.fromHeight - 1, to) : [];
          this.#transmit(m, o.to, { kind: 'blocks', blocks, lastExecuted: m.store.length });
          break;
        }
        case 'evidence':
          this.#evidence.push({ machine: m.name, evidence: o.evidence });
          break;
        case 'refused': {
          const key = `${o.subject}:${o.reason}`;
          this.#refusals.set(key, (this.#refusals.get(key) ?? 0) + 1);
          break;
        }
      }
    }
  }

  #commit(m: Machine, block: CommittedBlock): void {
    if (block.height !== m.store.length + 1) {
      this.#violations.push(`S3 ${m.name} committed height ${block.height} after ${m.store.length}`);
    }
    m.store.push(block);
    const record = { atMs: this.#now, machine: m.name, height: block.height, digest: block.digest };
    this.#commits.push({ ...record, view: block.certificate.view });
    for (const r of block.batch.requests) {
      if (m.committed.has(r.digest)) this.#duplicateCommits++;
      m.committed.add(r.digest);
    }
    if (m.behavior !== undefined) return;
    const known = this.#decided.get(block.height);
    if (known !== undefined && known !== block.digest) {
      this.#violations.push(`S1 fork at height ${block.height}: ${m.name} committed ${block.digest.slice(0, 12)}`);
    }
    this.#decided.set(block.height, block.digest);
    for (const r of block.batch.requests) {
      if (!this.#submitted.has(r.digest)) this.#violations.push(`S2 ${m.name} committed an unsubmitted request`);
    }
    const validators = validatorsAt((m.state as ReplicaState).epochs, block.height);
    if (!certificateValid(block, validators, m.env.verifyCommit)) {
      this.#violations.push(`S2 ${m.name} committed height ${block.height} without a valid certificate`);
    }
  }

  /** Sends from a machine: the identity's behaviour may alter or drop it; the network decides the rest. */
  #transmit(from: Machine, to: NodeId | 'all', message: Message): void {
    if (from.behavior === 'silent') return;
    const recipients = this.#machines.filter((r) => r.id !== from.id && (to === 'all' || r.id === to));
    for (const [i, r] of recipients.entries()) {
      let msg = message;
      if (from.behavior === 'equivocating-primary' && message.kind === 'pre-prepare' && i > 0) {
        const batch = { ...message.batch, proposerTimeMs: message.batch.proposerTimeMs + i };
        msg = { ...message, batch, digest: batchDigest(batch) };
      }
      this.#send(from.id, r, msg);
    }
  }

  #send(fromId: NodeId, to: Machine, message: Message): void {
    this.#sent++;
    if (this.#blocked(fromId, to.id) || this.#o.drop?.({ from: fromId, to: to.id, message, atMs: this.#now })) {
      this.#dropped++;
      return;
    }
    const profile = this.#now < this.#gstMs ? this.#pre : this.#post;
    if (this.#rng.chance(profile.lossRate)) {
      this.#dropped++;
      return;
    }
    const copies = this.#rng.chance(profile.duplicateRate) ? 2 : 1;
    for (let c = 0; c < copies; c++) {
      const delay = this.#rng.int(profile.delayMinMs, profile.delayMaxMs);
      const input: Input = { type: 'message', from: fromId, message };
      this.#queue.push(this.#now + delay, { type: 'deliver', machine: to, incarnation: to.incarnation, input });
    }
  }

  #broadcastFromClient(requests: readonly ClientRequest[]): void {
    const profile = this.#now < this.#gstMs ? this.#pre : this.#post;
    for (const m of this.#machines) {
      if (m.state === undefined || this.#cannotReceive(m.id) || this.#rng.chance(profile.lossRate)) continue;
      const delay = this.#rng.int(profile.delayMinMs, profile.delayMaxMs);
      const input: Input = { type: 'client', requests };
      this.#queue.push(this.#now + delay, { type: 'deliver', machine: m, incarnation: m.incarnation, input });
    }
  }

  #blocked(from: NodeId, to: NodeId): boolean {
    for (const f of this.#o.faults ?? []) {
      if (f.kind === 'crash' || this.#now < f.fromMs || this.#now >= f.untilMs) continue;
      if (f.kind === 'one-way') {
        if (f.direction === 'send-only' && f.node === to) return true;
        if (f.direction === 'receive-only' && f.node === from) return true;
      } else {
        const a = f.groups.findIndex((g) => g.includes(from));
        const b = f.groups.findIndex((g) => g.includes(to));
        if (a !== -1 && b !== -1 && a !== b) return true;
      }
    }
    return false;
  }

  #cannotReceive(id: NodeId): boolean {
    return (this.#o.faults ?? []).some(
      (f) =>
        f.kind === 'one-way' &&
        f.direction === 'send-only' &&
        f.node === id &&
        this.#now >= f.fromMs &&
        this.#now < f.untilMs,
    );
  }

  /** A client considers a request done once f+1 honest machines committed it (f+1 matching replies). */
  #acknowledged(digest: Digest): boolean {
    const needed = faultsTolerated(this.#genesis.length) + 1;
    return this.#honestUp().filter((m) => m.committed.has(digest)).length >= needed;
  }

  #honestUp(): Machine[] {
    return this.#machines.filter((m) => m.behavior === undefined && m.state !== undefined);
  }

  #done(): boolean {
    if (this.#submitted.size < this.#totalRequests) return false;
    return this.#honestUp().every((m) => m.committed.size >= this.#submitted.size);
  }

  #result(): SimulationResult {
    const honest = this.#machines.filter((m) => m.behavior === undefined);
    return {
      seed: this.#o.seed,
      ok: this.#violations.length === 0,
      violations: this.#violations,
      endMs: this.#now,
      events: this.#events,
      chains: new Map(this.#machines.map((m) => [m.name, m.store.map((b) => b.digest)])),
      commits: this.#commits,
      committedRequests: new Map(this.#machines.map((m) => [m.name, m.committed.size])),
      views: new Map(this.#machines.map((m) => [m.name, m.state?.view])),
      states: new Map(this.#machines.map((m) => [m.name, m.state])),
      honest: honest.map((m) => m.name),
      evidence: this.#evidence,
      refusals: this.#refusals,
      duplicateCommits: this.#duplicateCommits,
      messages: { sent: this.#sent, delivered: this.#delivered, dropped: this.#dropped },
      maxView: Math.max(0, ...honest.map((m) => m.state?.view ?? 0)),
    };
  }
}
