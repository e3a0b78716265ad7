/**
 * The validator host: runs the pure PBFT replica with the real clock, disk and network. Per event-loop turn it
 * steps every queued input, executes decided batches in order on the LedgerApplication (finalizeBlock, commit),
 * appends the resulting blocks to the block store, records the replica's promises in the write-ahead log, makes
 * both durable with one fdatasync each (group commit), and only then sends what the steps produced. After
 * executing a block it signs the block header (`commit` purpose, view 0) and collects a quorum of such
 * attestations into the header's commit certificate (docs/decisions/0007-ledger-quorum-and-blocks.md).
 *
 * ```
 *  client API ─┐                   ┌─► WAL.record ─┐
 *  peers ──────┼─► inbox ─► step ──┼─► execute ─► block store ─┼─► fdatasync ─► send / attest
 *  timers ─────┘    (bounded)      └─► timers, refusals, evidence
 * ```
 */
import assert from 'node:assert/strict';
import { createHash, type KeyObject } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TlsMaterial } from '../../ca/index.ts';
import { MeridianError } from '../../errors/registry.ts';
import type { CheckedTx, LedgerApplication, TxOutcome } from '../abci.ts';
import {
  type BlockHeader,
  blockHeaderHash,
  makeCommitCertificate,
  signCommitVote,
  verifyCommitCertificate,
} from '../block.ts';
import { canonicalBytes, canonicalize } from '../canonical-json.ts';
import { certificateValid, quorumSize } from '../pbft/quorum.ts';
import { createReplica, primaryOf, type ReplicaState, replicaConfig, restoreReplica, step } from '../pbft/replica.ts';
import type { Batch, ClientRequest, CommittedBlock, Input, Output, ReplicaEnv } from '../pbft/types.ts';
import { REQUESTS_PER_MESSAGE_MAX } from '../pbft/validate.ts';
import { publicKeyHex, signForPurpose, toPublicKey, verifyForPurpose } from '../signing.ts';
import { parseCanonicalSignedTransaction, type SignedTransaction, verifyTransactionBytes } from '../transaction.ts';
import { type ResolvedValidatorSet, resolveValidatorSet, type ValidatorSet } from '../validator-set.ts';
import { BlockStore, txTreeOfHashes } from './block-store.ts';
import { decodeMessage, encodeMessage } from './codec.ts';
import { HOST_CONSENSUS_DEFAULTS, institutionKeysOf, type LedgerConfig, validatorSetOf } from './config.ts';
import { type PeerStatus, PeerTransport } from './transport.ts';
import { ReplicaWal } from './wal.ts';

/** The view every header attestation signs: attestations follow a final decision, one header per height. */
export const ATTESTATION_VIEW = 0;
/** Inputs waiting for the step loop; beyond it peers' messages are dropped and clients told to retry. */
export const INBOX_INPUTS_MAX = 50_000;
/** Inputs stepped per event-loop turn before the log is flushed and the outputs sent. */
export const INPUTS_PER_TURN_MAX = 2_000;

/** A transaction whose signature the host verified: its bytes, the parsed envelope, body bytes and signer key. */
interface VerifiedTx extends CheckedTx {
  readonly bytes: Buffer;
  readonly tx: SignedTransaction;
}

/** Transactions whose signature check is remembered, so each is verified once per validator. */
export const VERIFIED_TXS_MAX = 65_536;
/** Transactions verified between two turns of the event loop while admitting a client's submission. */
export const ADMISSION_SLICE = 32;
/** Client transactions waiting to be handed to the replica. */
export const CLIENT_QUEUE_MAX = 16_384;
/** Heights above the last stored block for which early attestations are kept. */
const EARLY_ATTESTATION_HEIGHTS_MAX = 256;
/** Certificates sent in one `certs` reply. */
const CERTS_PER_REPLY_MAX = 64;
/** How long a stored block may lack its certificate before peers are asked for it. */
const CERT_FETCH_AFTER_MS = 1_000;

const TX_HASH_PREFIX = Buffer.from('meridian/v1/hash/tx\n', 'utf8');
const BATCH_DIGEST_PREFIX = 'meridian/v1/pbft-batch\n';

/** Options of {@link startValidator}. */
export interface ValidatorOptions {
  readonly config: LedgerConfig;
  /** This validator's identity (its name in the consortium CA and the config). */
  readonly name: string;
  readonly dataDir: string;
  readonly tls: TlsMaterial;
  /** The identity's Ed25519 signing key (identities/<name>/signing.key.pem). */
  readonly signingKey: KeyObject;
  /** Builds the deterministic application (the contracts); called once per start. */
  readonly createApplication: () => LedgerApplication;
  /** Where operational log lines go (one line each, no clinical data). */
  readonly log?: (line: string) => void;
  /** Interface to bind the peer listener to (default: the configured host). */
  readonly listenHost?: string;
}

/** Counters a validator exposes in its status. */
export interface ValidatorCounters {
  refused: Record<string, number>;
  evidence: number;
  committedTxs: number;
  walFlushes: number;
  verifiedTxs: number;
  droppedInputs: number;
}

/** What `GET /v1/status` answers. */
export interface ValidatorStatus {
  readonly name: string;
  readonly chainId: string;
  readonly height: number;
  readonly certifiedHeight: number;
  readonly view: number;
  readonly mode: string;
  readonly primary: string;
  readonly lag: number;
  readonly pending: number;
  readonly peers: readonly (PeerStatus & { readonly height: number })[];
  readonly counters: ValidatorCounters;
}

/** A transaction a client submits, checked. */
export type Admission =
  | { readonly ok: true; readonly txHash: string; readonly status: 'pending' | 'committed' }
  | { readonly ok: false; readonly txHash: string | undefined; readonly code: string; readonly message: string };

type HostMessage =
  | { kind: 'attest'; height: number; headerHash: string; signature: string }
  | { kind: 'certs'; items: { height: number; certificate: unknown }[] }
  | { kind: 'cert-fetch'; fromHeight: number; toHeight: number };

/** The sha-256 txHash (hex) of a transaction from its canonical bytes. */
export function txHashOfBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(TX_HASH_PREFIX).update(bytes).digest('hex');
}

/** The PBFT digest of a batch: height, proposer time and the request digests (txHashes bind the bytes). */
export function digestBatch(batch: Batch): string {
  const h = createHash('sha256').update(`${BATCH_DIGEST_PREFIX}${batch.height}\n${batch.proposerTimeMs}\n`);
  for (const r of batch.requests) h.update(`${r.digest}\n`);
  return h.digest('hex');
}

/** The header proposer for `height`: PBFT batches do not record their author, so the slot is assigned round robin. */
export function proposerOf(set: ValidatorSet, height: number): string {
  return (set.validators[(height - 1) % set.validators.length] as { name: string }).name;
}

/** A running validator (see the module comment). */
export class Validator {
  readonly name: string;
  readonly config: LedgerConfig;
  readonly validatorSet: ValidatorSet;
  readonly #set: ResolvedValidatorSet;
  readonly #opts: ValidatorOptions;
  readonly #blocks: BlockStore;
  readonly #wal: ReplicaWal;
  readonly #app: LedgerApplication;
  readonly #transport: PeerTransport;
  readonly #institutionKeys = new Map<string, { key: KeyObject; hex: string }>();
  readonly #validatorKeys = new Map<string, KeyObject>();
  readonly #verified = new Map<string, VerifiedTx>();
  #state: ReplicaState;
  #inbox: Input[] = [];
  #clientQueue: ClientRequest[] = [];
  #scheduled = false;
  /** The flush of the last turn while it runs: no other turn starts, and the files stay open, until it settles. */
  #flushing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #certTimer: NodeJS.Timeout | undefined;
  #halted: Error | undefined;
  #closed = false;
  readonly #attestations = new Map<number, Map<string, { headerHash: string; signature: string }>>();
  readonly #uncertifiedSinceMs = new Map<number, number>();
  readonly #peerHeights = new Map<string, number>();
  readonly #outcomes = new Map<string, TxOutcome>();
  readonly #toAttest: number[] = [];
  readonly #outgoing: { to: string | 'all'; payload: unknown }[] = [];
  readonly counters: ValidatorCounters = {
    refused: {},
    evidence: 0,
    committedTxs: 0,
    walFlushes: 0,
    verifiedTxs: 0,
    droppedInputs: 0,
  };

  private constructor(opts: ValidatorOptions, parts: { blocks: BlockStore; wal: ReplicaWal; state: ReplicaState }) {
    this.#opts = opts;
    this.name = opts.name;
    this.config = opts.config;
    this.validatorSet = validatorSetOf(opts.config);
    this.#set = resolveValidatorSet(this.validatorSet);
    this.#blocks = parts.blocks;
    this.#wal = parts.wal;
    this.#state = parts.state;
    for (const [name, raw] of institutionKeysOf(opts.config)) {
      const key = toPublicKey(raw);
      this.#institutionKeys.set(name, { key, hex: publicKeyHex(key) });
    }
    for (const v of opts.config.validators) this.#validatorKeys.set(v.name, toPublicKey(v.publicKey));
    this.#app = opts.createApplication();
    const self = opts.config.validators.find((v) => v.name === opts.name);
    assert.ok(self, 'the validator is in the config');
    this.#transport = new PeerTransport({
      self: opts.name,
      peers: opts.config.validators.map((v) => ({ name: v.name, host: v.host, port: v.p2pPort })),
      tls: opts.tls,
      onMessage: (from, payload) => this.#onPeer(from, payload),
      onRefused: (from, reason) => this.#refused(from, reason),
    });
  }

  /** Opens the data directory, replays the chain into a fresh application, and joins the consortium. */
  static async start(opts: ValidatorOptions): Promise<Validator> {
    if (!opts.config.validators.some((v) => v.name === opts.name)) {
      throw new MeridianError('MER_LEDGER_CONFIG', `${opts.name} is not a validator of ${opts.config.chainId}`);
    }
    mkdirSync(opts.dataDir, { recursive: true });
    const { store: blocks, repairedBytes: blockRepair } = BlockStore.open(opts.dataDir);
    const { wal, persisted, repairedBytes: walRepair } = ReplicaWal.open(join(opts.dataDir, 'replica.wal'));
    const c = opts.config.consensus;
    const rc = replicaConfig({
      self: opts.name,
      genesis: opts.config.validators.map((v) => v.name).sort(),
      ...HOST_CONSENSUS_DEFAULTS,
      ...Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)),
    });
    const state = persisted ? restoreReplica(rc, persisted) : createReplica(rc);
    if (state.lastExecuted > blocks.height) {
      throw new MeridianError(
        'MER_LEDGER_WAL_CORRUPT',
        `the replica log says height ${state.lastExecuted} executed but the block store ends at ${blocks.height}`,
      );
    }
    const v = new Validator(opts, { blocks, wal, state });
    if (blockRepair + walRepair > 0) v.#log(`repaired torn tail: blocks ${blockRepair} B, wal ${walRepair} B`);
    v.#replayChain();
    const self = opts.config.validators.find((x) => x.name === opts.name) as { host: string; p2pPort: number };
    await v.#transport.listen(opts.listenHost ?? self.host, self.p2pPort);
    for (let h = blocks.certifiedHeight + 1; h <= blocks.height; h++) v.#toAttest.push(h);
    v.#certTimer = setInterval(() => v.#certMaintenance(), CERT_FETCH_AFTER_MS);
    v.#enqueue({ type: 'tick' });
    v.#log(`validator ${opts.name} up at height ${blocks.height}, view ${state.view}`);
    return v;
  }

  #log(line: string): void {
    this.#opts.log?.(`[${this.name}] ${line}`);
  }

  // Re-executes every stored block on the fresh application and checks each state root.
  #replayChain(): void {
    for (let h = 1; h <= this.#blocks.height; h++) {
      const b = this.#blocks.block(h);
      assert.ok(b);
      const txs = b.txs.map((t) => JSON.parse(t) as SignedTransaction);
      const res = this.#app.finalizeBlock({
        height: h,
        proposer: b.header.proposer,
        proposerTime: b.header.proposerTime,
        txs,
      });
      this.#app.commit();
      if (res.appHash !== b.header.stateRoot) {
        throw new MeridianError(
          'MER_LEDGER_AUDIT_FAILED',
          `re-executing block ${h} gives state root ${res.appHash}, the stored header says ${b.header.stateRoot}`,
          { height: h },
        );
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Transactions

  /** Checks a transaction fully (shape, canonical bytes, chain, institution key, signature), once per validator. */
  /**
   * A transaction's verdict from its canonical bytes: shape, chain, signer and signature (cached by hash). `parsed`
   * is the value the bytes were serialized from, when the caller has it (a client's submission); bytes from a peer
   * are parsed here and must already be canonical. Each path serializes at most once.
   */
  #checkTx(bytes: Buffer, digest: string | undefined, parsed?: unknown): VerifiedTx | string {
    const hash = digest ?? txHashOfBytes(bytes);
    const hit = this.#verified.get(hash);
    if (hit) return hit.bytes.equals(bytes) ? hit : 'bad-digest';
    let checked: { tx: SignedTransaction; bodyBytes: Buffer };
    try {
      let value = parsed;
      if (value === undefined) {
        const text = bytes.toString('utf8');
        value = JSON.parse(text);
        if (canonicalize(value) !== text) return 'not-canonical';
      }
      checked = parseCanonicalSignedTransaction(value, bytes);
    } catch {
      return 'malformed';
    }
    const { tx, bodyBytes } = checked;
    if (digest !== undefined && txHashOfBytes(bytes) !== digest) return 'bad-digest';
    if (tx.body.chainId !== this.config.chainId) return 'wrong-chain';
    const signer = this.#institutionKeys.get(tx.body.institution);
    if (!signer) return 'unknown-institution';
    if (!verifyTransactionBytes(bodyBytes, tx.signature, signer.key)) return 'bad-signature';
    this.counters.verifiedTxs++;
    if (this.#verified.size >= VERIFIED_TXS_MAX) this.#verified.delete(this.#verified.keys().next().value as string);
    const verified: VerifiedTx = { bytes, tx, bodyBytes, verifiedWith: signer.hex };
    this.#verified.set(hash, verified);
    return verified;
  }

  /**
   * Admits signed transactions from a client: checked, offered to the application's checkTx, then ordered. A busy
   * validator turns the whole submission away before verifying anything; otherwise signatures are checked in
   * slices with the event loop free in between, so consensus messages are never stuck behind a large submission.
   */
  async submit(input: readonly unknown[]): Promise<Admission[]> {
    const out: Admission[] = [];
    for (let i = 0; i < input.length; i += ADMISSION_SLICE) {
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      for (const raw of input.slice(i, i + ADMISSION_SLICE)) {
        const busy = this.#busy();
        out.push(busy ? this.#refuseTx(undefined, 'MER_LEDGER_BUSY', busy) : this.#admit(raw));
      }
      this.#schedule();
    }
    return out;
  }

  // Why new transactions are turned away now, if they are: a full pool, or requests queueing for too long.
  #busy(): string | undefined {
    if (
      this.#clientQueue.length >= CLIENT_QUEUE_MAX ||
      this.#state.pending.size >= this.#state.config.pendingRequestsMax
    ) {
      return 'the validator is busy (request pool full); retry';
    }
    // Back-pressure by queueing delay: once the oldest waiting request has waited half the request timeout, new
    // ones are turned away, so a backlog can never grow until the timer fires and a view change cuts throughput.
    const oldest = this.#state.pending.values().next().value;
    if (oldest && Date.now() - oldest.sinceMs > this.#state.config.viewChangeTimeoutMs / 2) {
      return 'the validator is busy (requests are queueing); retry';
    }
    return undefined;
  }

  #admit(raw: unknown): Admission {
    let bytes: Buffer;
    try {
      bytes = canonicalBytes(raw);
    } catch (e) {
      return this.#refuseTx(undefined, 'MER_LEDGER_MALFORMED_TX', (e as Error).message);
    }
    const txHash = txHashOfBytes(bytes);
    if (this.#blocks.locate(txHash)) return { ok: true, txHash, status: 'committed' };
    const checked = this.#checkTx(bytes, txHash, raw);
    if (typeof checked === 'string') {
      const code =
        checked === 'bad-signature'
          ? 'MER_LEDGER_BAD_SIGNATURE'
          : checked === 'wrong-chain'
            ? 'MER_LEDGER_WRONG_CHAIN'
            : checked === 'unknown-institution'
              ? 'MER_LEDGER_UNKNOWN_SIGNER'
              : 'MER_LEDGER_MALFORMED_TX';
      return this.#refuseTx(txHash, code, `transaction refused: ${checked}`);
    }
    const verdict = this.#app.checkTx(checked.tx, checked);
    if (!verdict.ok) return this.#refuseTx(txHash, verdict.code, verdict.message);
    this.#clientQueue.push({ digest: txHash, bytes });
    return { ok: true, txHash, status: 'pending' };
  }

  #refuseTx(txHash: string | undefined, code: string, message: string): Admission {
    this.#refused('client', code);
    return { ok: false, txHash, code, message };
  }

  #refused(from: string, reason: string): void {
    const key = `${from === 'client' ? 'client' : 'peer'}:${reason}`;
    const n = (this.counters.refused[key] ?? 0) + 1;
    this.counters.refused[key] = n;
    if ((n & (n - 1)) === 0) this.#log(`refused from ${from}: ${reason} (${n} so far)`);
  }

  // ---------------------------------------------------------------------------------------------------------
  // The step loop

  #env: ReplicaEnv = {
    digestBatch,
    signCommit: (vote) =>
      signForPurpose({
        purpose: 'vote',
        payload: canonicalBytes({ height: vote.height, view: vote.view, digest: vote.digest }),
        privateKey: this.#opts.signingKey,
      }),
    verifyCommit: (signer, vote, signature) => {
      const publicKey = this.#validatorKeys.get(signer);
      if (!publicKey || typeof signature !== 'string') return false;
      return verifyForPurpose({
        purpose: 'vote',
        payload: canonicalBytes({ height: vote.height, view: vote.view, digest: vote.digest }),
        signature,
        publicKey,
      });
    },
    verifyBlock: (block, validators) =>
      certificateValid(block, validators, this.#env.verifyCommit) &&
      block.batch.requests.every((r) => this.#env.validRequest(r)),
    validRequest: (r) =>
      typeof this.#checkTx(Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength), r.digest) !== 'string',
    reconfigOf: () => undefined,
  };

  #enqueue(input: Input): void {
    if (this.#inbox.length >= INBOX_INPUTS_MAX) {
      this.counters.droppedInputs++;
      return;
    }
    this.#inbox.push(input);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing !== undefined || this.#closed || this.#halted) return;
    this.#scheduled = true;
    setImmediate(() => this.#turn());
  }

  #turn(): void {
    this.#scheduled = false;
    if (this.#closed || this.#halted) return;
    try {
      this.#runTurn();
    } catch (e) {
      this.#halt(e as Error);
    }
  }

  #halt(e: Error): void {
    this.#halted = e;
    this.#log(`HALTED: ${e instanceof MeridianError ? `${e.code} ` : ''}${e.message}`);
    process.exitCode = 70;
    void this.close();
  }

  #runTurn(): void {
    while (this.#clientQueue.length > 0 && this.#inbox.length < INBOX_INPUTS_MAX) {
      this.#inbox.push({ type: 'client', requests: this.#clientQueue.splice(0, REQUESTS_PER_MESSAGE_MAX) });
    }
    const inputs = this.#inbox.splice(0, INPUTS_PER_TURN_MAX);
    const before = { view: this.#state.view, mode: this.#state.mode };
    for (const input of inputs) {
      const { state, outputs } = step(this.#state, input, { nowMs: Date.now(), env: this.#env });
      this.#state = state;
      for (const o of outputs) this.#output(o);
    }
    if (this.#state.view !== before.view || this.#state.mode !== before.mode) {
      this.#log(
        `view ${before.view} ${before.mode} → view ${this.#state.view} ${this.#state.mode} (primary ${primaryOf(this.#state, this.#state.view)}, height ${this.#state.lastExecuted}, pending ${this.#state.pending.size})`,
      );
    }
    // Durability first: blocks (with the headers this validator is about to sign), then the replica's promises,
    // written and fdatasynced off the event loop (peers and clients are still heard meanwhile; no turn runs and
    // nothing this turn produced is sent until both are on disk).
    this.#wal.record(this.#state);
    if (!this.#blocks.dirty && !this.#wal.dirty) {
      this.#afterFlush();
      return;
    }
    this.counters.walFlushes++;
    this.#flushing = this.#blocks
      .flushAsync()
      .then(() => this.#wal.flushAsync())
      .then(
        () => {
          this.#flushing = undefined;
          if (this.#closed || this.#halted) return;
          try {
            this.#afterFlush();
          } catch (e) {
            this.#halt(e as Error);
          }
        },
        (e: unknown) => {
          this.#flushing = undefined;
          if (!this.#closed) this.#halt(e as Error);
        },
      );
  }

  // What a turn does once its records are durable: compaction, attestations, and every message it produced.
  #afterFlush(): void {
    this.#wal.compactIfDue(this.#state);
    for (const h of this.#toAttest.splice(0)) this.#attest(h);
    for (const { to, payload } of this.#outgoing.splice(0)) {
      if (to === 'all') this.#transport.sendAll(payload);
      else this.#transport.send(to, payload);
    }
    // Certificates stored between turns are flushed by the next one.
    if (this.#inbox.length > 0 || this.#clientQueue.length > 0 || this.#blocks.dirty) this.#schedule();
  }

  #output(o: Output): void {
    switch (o.type) {
      case 'send':
        this.#outgoing.push({ to: o.to, payload: { p: encodeMessage(o.message) } });
        return;
      case 'commit':
        this.#execute(o.block);
        return;
      case 'timer':
        this.#setTimer(o.atMs);
        return;
      case 'serve':
        this.#serve(o.to, o.fromHeight, o.toHeight);
        return;
      case 'evidence':
        this.counters.evidence++;
        this.#log(
          `evidence: ${o.evidence.kind} by ${o.evidence.offender} at view ${o.evidence.view} seq ${o.evidence.seq}`,
        );
        return;
      case 'refused':
        this.#refused(o.from, `${o.subject}:${o.reason}`);
        return;
    }
  }

  #setTimer(atMs: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#enqueue({ type: 'tick' }), Math.max(0, atMs - Date.now()));
  }

  #serve(to: string, fromHeight: number, toHeight: number): void {
    const blocks: CommittedBlock[] = [];
    const items: { height: number; certificate: unknown }[] = [];
    for (let h = fromHeight; h <= Math.min(toHeight, this.#blocks.height); h++) {
      const b = this.#blocks.committedBlock(h);
      if (!b) break;
      blocks.push(b);
      const cert = this.#blocks.certificate(h);
      if (cert) items.push({ height: h, certificate: cert });
    }
    this.#outgoing.push({
      to,
      payload: { p: encodeMessage({ kind: 'blocks', blocks, lastExecuted: this.#state.lastExecuted }) },
    });
    if (items.length > 0) this.#outgoing.push({ to, payload: { h: { kind: 'certs', items } } });
  }

  // Executes a decided block on the application and stores it; its header is signed after the flush.
  #execute(block: CommittedBlock): void {
    if (block.height <= this.#blocks.height) {
      assert.equal(this.#blocks.digest(block.height), block.digest, 'a decided block differs from the stored one (S1)');
      return;
    }
    assert.equal(block.height, this.#blocks.height + 1, 'blocks are stored in height order (S3)');
    const txs: SignedTransaction[] = [];
    const texts: string[] = [];
    const hashes: string[] = [];
    for (const r of block.batch.requests) {
      const bytes = Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength);
      const checked = this.#verified.get(r.digest)?.tx ?? (JSON.parse(bytes.toString('utf8')) as SignedTransaction);
      txs.push(checked);
      texts.push(bytes.toString('utf8'));
      hashes.push(r.digest);
    }
    const proposer = proposerOf(this.validatorSet, block.height);
    const res = this.#app.finalizeBlock({
      height: block.height,
      proposer,
      proposerTime: block.batch.proposerTimeMs,
      txs,
    });
    this.#app.commit();
    if (res.validatorUpdate !== undefined)
      this.#log(`block ${block.height} orders a validator-set change; not applied by this host yet`);
    const tree = txTreeOfHashes(hashes);
    const header: BlockHeader = {
      height: block.height,
      prevHash: this.#blocks.headerHash(block.height - 1) as string,
      txRoot: tree.root.toString('hex'),
      txCount: hashes.length,
      stateRoot: res.appHash,
      proposer,
      proposerTime: block.batch.proposerTimeMs,
      validatorSetHash: this.#set.hash,
      nextValidatorSetHash: this.#set.hash,
    };
    this.#blocks.append({ header, txs: texts, txHashes: hashes, digest: block.digest, decision: block.certificate });
    res.results.forEach((outcome, i) => {
      if (this.#outcomes.size >= VERIFIED_TXS_MAX) this.#outcomes.delete(this.#outcomes.keys().next().value as string);
      this.#outcomes.set(hashes[i] as string, outcome);
    });
    for (const h of hashes) this.#verified.delete(h);
    this.counters.committedTxs += hashes.length;
    this.#uncertifiedSinceMs.set(block.height, Date.now());
    this.#toAttest.push(block.height);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Header attestations and certificates

  #attest(height: number): void {
    const header = this.#blocks.header(height);
    if (!header || this.#blocks.certificate(height)) return;
    const headerHash = blockHeaderHash(header);
    const { signature } = signCommitVote({
      vote: { height, view: ATTESTATION_VIEW, digest: headerHash },
      signer: this.name,
      privateKey: this.#opts.signingKey,
    });
    this.#addAttestation(this.name, { height, headerHash, signature }, true);
    this.#transport.sendAll({ h: { kind: 'attest', height, headerHash, signature } });
  }

  #addAttestation(from: string, a: { height: number; headerHash: string; signature: string }, own = false): void {
    if (
      !Number.isSafeInteger(a.height) ||
      a.height < 1 ||
      typeof a.headerHash !== 'string' ||
      typeof a.signature !== 'string'
    ) {
      this.#refused(from, 'attest:malformed');
      return;
    }
    this.#peerHeights.set(from, Math.max(this.#peerHeights.get(from) ?? 0, a.height));
    if (a.height <= this.#blocks.height && this.#blocks.certificate(a.height)) return;
    if (a.height > this.#blocks.height + EARLY_ATTESTATION_HEIGHTS_MAX) return;
    let sigs = this.#attestations.get(a.height);
    if (!sigs) {
      sigs = new Map();
      this.#attestations.set(a.height, sigs);
    }
    if (sigs.has(from) && !own) return;
    sigs.set(from, { headerHash: a.headerHash, signature: a.signature });
    if (a.height <= this.#blocks.height) this.#tryCertify(a.height);
  }

  #tryCertify(height: number): void {
    const header = this.#blocks.header(height);
    const sigs = this.#attestations.get(height);
    if (!header || !sigs || this.#blocks.certificate(height)) return;
    const headerHash = blockHeaderHash(header);
    const good: { signer: string; signature: string }[] = [];
    for (const [signer, s] of sigs) {
      if (s.headerHash !== headerHash) {
        this.#log(
          `validator ${signer} attests header ${s.headerHash} at ${height}; ours is ${headerHash} (divergence)`,
        );
        this.#refused(signer, 'attest:other-header');
        sigs.delete(signer);
        continue;
      }
      good.push({ signer, signature: s.signature });
    }
    if (good.length < this.#set.quorum) return;
    const checked: { signer: string; signature: string }[] = [];
    const payload = canonicalBytes({ height, view: ATTESTATION_VIEW, digest: headerHash });
    for (const s of good) {
      const publicKey = this.#validatorKeys.get(s.signer);
      if (
        s.signer === this.name ||
        (publicKey && verifyForPurpose({ purpose: 'commit', payload, signature: s.signature, publicKey }))
      ) {
        checked.push(s);
      } else {
        this.#refused(s.signer, 'attest:bad-signature');
        sigs.delete(s.signer);
      }
      if (checked.length >= this.#set.quorum) break;
    }
    if (checked.length < this.#set.quorum) return;
    this.#blocks.certify(height, makeCommitCertificate(header, ATTESTATION_VIEW, checked));
    this.#attestations.delete(height);
    this.#uncertifiedSinceMs.delete(height);
    this.#schedule();
  }

  #onCerts(from: string, items: unknown): void {
    if (!Array.isArray(items) || items.length > CERTS_PER_REPLY_MAX) {
      this.#refused(from, 'certs:malformed');
      return;
    }
    for (const item of items as { height?: unknown; certificate?: unknown }[]) {
      const height = item?.height;
      if (typeof height !== 'number') continue;
      const header = this.#blocks.header(height);
      if (!header || this.#blocks.certificate(height)) continue;
      const v = verifyCommitCertificate(header, item.certificate as never, this.#set);
      if (!v.ok) {
        this.#refused(from, `certs:${v.code}`);
        continue;
      }
      this.#blocks.certify(height, item.certificate as never);
      this.#uncertifiedSinceMs.delete(height);
    }
    this.#schedule();
  }

  #certMaintenance(): void {
    if (this.#closed) return;
    const now = Date.now();
    const from = this.#blocks.certifiedHeight + 1;
    if (from > this.#blocks.height) return;
    const since = this.#uncertifiedSinceMs.get(from) ?? 0;
    if (now - since < CERT_FETCH_AFTER_MS) return;
    const toHeight = Math.min(this.#blocks.height, from + CERTS_PER_REPLY_MAX - 1);
    this.#transport.sendAll({ h: { kind: 'cert-fetch', fromHeight: from, toHeight } });
    for (let h = from; h <= toHeight; h++) this.#toAttest.push(h);
    this.#schedule();
  }

  #onPeer(from: string, payload: unknown): void {
    if (this.#closed || this.#halted) return;
    const p = payload as { p?: unknown; h?: HostMessage };
    if (p && typeof p === 'object' && 'p' in p) {
      let message: ReturnType<typeof decodeMessage>;
      try {
        message = decodeMessage(p.p);
      } catch {
        this.#refused(from, 'malformed');
        return;
      }
      if (message && (message as { kind?: unknown }).kind === 'blocks') {
        const last = (message as { lastExecuted?: unknown }).lastExecuted;
        if (typeof last === 'number') this.#peerHeights.set(from, Math.max(this.#peerHeights.get(from) ?? 0, last));
      }
      this.#enqueue({ type: 'message', from, message });
      return;
    }
    const h = p?.h;
    switch (h?.kind) {
      case 'attest':
        this.#addAttestation(from, h);
        return;
      case 'certs':
        this.#onCerts(from, h.items);
        return;
      case 'cert-fetch': {
        if (!Number.isSafeInteger(h.fromHeight) || !Number.isSafeInteger(h.toHeight)) return;
        const items: { height: number; certificate: unknown }[] = [];
        for (
          let x = Math.max(1, h.fromHeight);
          x <= Math.min(h.toHeight, h.fromHeight + CERTS_PER_REPLY_MAX - 1);
          x++
        ) {
          const cert = this.#blocks.certificate(x);
          if (cert) items.push({ height: x, certificate: cert });
        }
        if (items.length > 0) this.#transport.send(from, { h: { kind: 'certs', items } });
        return;
      }
      default:
        this.#refused(from, 'unknown-message');
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Reads

  /** The block store (read API: headers, blocks, receipts). */
  get blocks(): BlockStore {
    return this.#blocks;
  }

  /** A read view of the committed contract state (the application's `query`), with the height it reflects. */
  query(path: string, params: Readonly<Record<string, string>>): { height: number; value: unknown } {
    return { height: this.#blocks.height, value: this.#app.query(path, params) };
  }

  /** A transaction's status: committed (height, index, certified, outcome), pending, or unknown. */
  txStatus(txHash: string): Record<string, unknown> | undefined {
    const at = this.#blocks.locate(txHash);
    if (at) {
      return {
        status: 'committed',
        height: at.height,
        index: at.index,
        certified: this.#blocks.certificate(at.height) !== undefined,
        outcome: this.#outcomes.get(txHash),
      };
    }
    if (this.#state.pending.has(txHash) || this.#verified.has(txHash)) return { status: 'pending' };
    return undefined;
  }

  /** Height, view, lag and peers. */
  status(): ValidatorStatus {
    const peerHeights = [...this.#peerHeights.values()];
    const best = Math.max(this.#blocks.height, ...peerHeights);
    return {
      name: this.name,
      chainId: this.config.chainId,
      height: this.#blocks.height,
      certifiedHeight: this.#blocks.certifiedHeight,
      view: this.#state.view,
      mode: this.#state.mode,
      primary: primaryOf(this.#state, this.#state.view),
      lag: best - this.#blocks.height,
      pending: this.#state.pending.size,
      peers: this.#transport.status().map((s) => ({ ...s, height: this.#peerHeights.get(s.name) ?? 0 })),
      counters: this.counters,
    };
  }

  /** Why the validator stopped, if it did. */
  get halted(): Error | undefined {
    return this.#halted;
  }

  /** Stops: flushes nothing further, closes the network and files. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#certTimer) clearInterval(this.#certTimer);
    await this.#transport.close();
    await this.#flushing;
    this.#wal.close();
    this.#blocks.close();
  }
}

/** Quorum of a ledger certificate for n validators (the PBFT and ledger formulas agree; see ADR 0007). */
export function certificateQuorum(n: number): number {
  return quorumSize(n);
}
