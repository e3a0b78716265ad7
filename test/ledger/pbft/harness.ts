/**
 * A synchronous test cluster: replicas exchange messages through a FIFO queue that a test drains (optionally
 * dropping some), and the harness plays the host (block store, serve outputs, timers are explicit ticks).
 */
import {
  createReplica,
  type ReplicaState,
  replicaConfig,
  SIMULATION_REPLICA_DEFAULTS,
  simulationEnv,
  step,
} from '../../../src/ledger/pbft/index.ts';
import type {
  ClientRequest,
  CommittedBlock,
  Input,
  Message,
  NodeId,
  Output,
  ReplicaConfig,
} from '../../../src/ledger/pbft/types.ts';

/** A message waiting in the cluster's queue. */
export interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly message: Message;
}

/** Replicas r0…r(n−1) with the simulator's seams, driven by hand. */
export class Cluster {
  readonly ids: NodeId[];
  readonly states = new Map<NodeId, ReplicaState>();
  readonly stores = new Map<NodeId, CommittedBlock[]>();
  readonly outputs = new Map<NodeId, Output[]>();
  readonly queue: Envelope[] = [];
  now = 0;

  constructor(n: number, overrides: Partial<Omit<ReplicaConfig, 'self' | 'genesis'>> = {}) {
    this.ids = Array.from({ length: n }, (_, i) => `r${i}`);
    for (const id of this.ids) {
      const config = replicaConfig({ self: id, genesis: this.ids, ...SIMULATION_REPLICA_DEFAULTS, ...overrides });
      this.states.set(id, createReplica(config));
      this.stores.set(id, []);
      this.outputs.set(id, []);
    }
    for (const id of this.ids) this.input(id, { type: 'tick' });
  }

  state(id: NodeId): ReplicaState {
    return this.states.get(id) as ReplicaState;
  }

  /** Runs one step and routes its outputs; returns them. */
  input(id: NodeId, input: Input): readonly Output[] {
    const result = step(this.state(id), input, { nowMs: this.now, env: simulationEnv(id) });
    this.states.set(id, result.state);
    (this.outputs.get(id) as Output[]).push(...result.outputs);
    for (const o of result.outputs) {
      if (o.type === 'send') {
        for (const to of o.to === 'all' ? this.ids.filter((x) => x !== id) : [o.to]) {
          this.queue.push({ from: id, to, message: o.message });
        }
      } else if (o.type === 'commit') {
        (this.stores.get(id) as CommittedBlock[]).push(o.block);
      } else if (o.type === 'serve') {
        const store = this.stores.get(id) as CommittedBlock[];
        const blocks = o.fromHeight <= o.toHeight ? store.slice(o.fromHeight - 1, o.toHeight) : [];
        this.queue.push({ from: id, to: o.to, message: { kind: 'blocks', blocks, lastExecuted: store.length } });
      }
    }
    return result.outputs;
  }

  /** Hands requests to the given replicas (all by default), as clients do. */
  client(requests: readonly ClientRequest[], to: readonly NodeId[] = this.ids): void {
    for (const id of to) this.input(id, { type: 'client', requests });
  }

  /** Delivers queued messages in order until the queue is empty; `drop` discards some. Returns the count. */
  deliverAll(drop: (e: Envelope) => boolean = () => false, max = 100_000): number {
    let delivered = 0;
    while (this.queue.length > 0 && delivered < max) {
      const e = this.queue.shift() as Envelope;
      if (drop(e)) continue;
      this.input(e.to, { type: 'message', from: e.from, message: e.message });
      delivered++;
    }
    return delivered;
  }

  /** Advances the clock and ticks every replica. */
  tickAll(nowMs: number): void {
    this.now = nowMs;
    for (const id of this.ids) this.input(id, { type: 'tick' });
  }

  /** Digests of the blocks a replica committed, by height. */
  chain(id: NodeId): string[] {
    return (this.stores.get(id) as CommittedBlock[]).map((b) => b.digest);
  }

  /** Every output of one type a replica produced so far. */
  outputsOf<T extends Output['type']>(id: NodeId, type: T): Extract<Output, { type: T }>[] {
    return (this.outputs.get(id) as Output[]).filter((o): o is Extract<Output, { type: T }> => o.type === type);
  }

  /** Messages of one kind a replica sent so far. */
  sent<K extends Message['kind']>(id: NodeId, kind: K): Extract<Message, { kind: K }>[] {
    return this.outputsOf(id, 'send')
      .map((o) => o.message)
      .filter((m): m is Extract<Message, { kind: K }> => m.kind === kind);
  }
}
