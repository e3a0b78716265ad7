/**
 * Types of the PBFT consensus core: what a replica orders (batches of client requests), the messages replicas
 * exchange, the inputs a replica reacts to, the outputs it asks its host to perform, and its configuration.
 * The protocol and its invariants are described in SPEC.md next to this file.
 *
 * Consensus messages carry no signature: the mutual-TLS channel authenticates the sender (PBFT's MAC design),
 * so `from` on an input is trusted. Only commit votes are signed, because a commit certificate must convince
 * an offline verifier (receipts), not just the replicas.
 */

/** A validator's identity (the name in its consortium certificate). */
export type NodeId = string;
/** A hex digest produced by the injected `digestBatch`, or a client's transaction digest. */
export type Digest = string;
/** An opaque commit signature produced by the injected `signCommit`. */
export type Signature = string;

/** A client transaction: its digest and its bytes (canonical JSON for the ledger; opaque here). */
export interface ClientRequest {
  readonly digest: Digest;
  readonly bytes: Uint8Array;
}

/** What one sequence number orders: a batch of requests at a height, stamped by the proposing primary. */
export interface Batch {
  readonly height: number;
  readonly requests: readonly ClientRequest[];
  readonly proposerTimeMs: number;
}

/** The statement a commit signature covers. The view is part of it: see SPEC.md S4 for why it must be. */
export interface CommitVote {
  readonly height: number;
  readonly view: number;
  readonly digest: Digest;
}

/** One validator's signature in a commit certificate. */
export interface CommitSignature {
  readonly signer: NodeId;
  readonly signature: Signature;
}

/** A quorum of commit signatures from one view over one (height, digest). */
export interface CommitCertificate {
  readonly view: number;
  readonly signatures: readonly CommitSignature[];
}

/** A decided block: the batch, its digest and the certificate proving the decision. */
export interface CommittedBlock {
  readonly height: number;
  readonly digest: Digest;
  readonly batch: Batch;
  readonly certificate: CommitCertificate;
}

/** A checkpoint: a height that is a multiple of the checkpoint interval and the digest of its block. */
export interface Checkpoint {
  readonly seq: number;
  readonly digest: Digest;
}

/** A validator set and the first height it orders; epoch 0 starts at height 1 with the genesis set. */
export interface Epoch {
  readonly epoch: number;
  readonly fromHeight: number;
  readonly validators: readonly NodeId[];
}

/** Requests relayed between replicas (a backup hands its pending requests to the primary). */
export interface RequestMessage {
  readonly kind: 'request';
  readonly requests: readonly ClientRequest[];
}

/** The primary assigns a batch to a sequence number in its view. */
export interface PrePrepareMessage {
  readonly kind: 'pre-prepare';
  readonly view: number;
  readonly seq: number;
  readonly digest: Digest;
  readonly batch: Batch;
}

/** A backup accepted the pre-prepare (view, seq, digest). */
export interface PrepareMessage {
  readonly kind: 'prepare';
  readonly view: number;
  readonly seq: number;
  readonly digest: Digest;
}

/** A replica prepared (view, seq, digest); the signature covers the CommitVote. */
export interface CommitMessage {
  readonly kind: 'commit';
  readonly view: number;
  readonly seq: number;
  readonly digest: Digest;
  readonly signature: Signature;
}

/** A replica executed the block at a checkpoint height. */
export interface CheckpointMessage {
  readonly kind: 'checkpoint';
  readonly seq: number;
  readonly digest: Digest;
}

/** A P-set entry of a view change: the latest view in which the sender prepared a batch at seq. */
export interface PreparedEntry {
  readonly seq: number;
  readonly view: number;
  readonly digest: Digest;
  readonly batch: Batch;
}

/** A Q-set entry of a view change: the latest view in which the sender pre-prepared a digest at seq. */
export interface PrePreparedEntry {
  readonly seq: number;
  readonly view: number;
  readonly digest: Digest;
}

/** A replica asks to move to `view`, reporting its stable checkpoint, its checkpoints, P and Q. */
export interface ViewChangeMessage {
  readonly kind: 'view-change';
  readonly epoch: number;
  readonly view: number;
  readonly stableSeq: number;
  readonly checkpoints: readonly Checkpoint[];
  readonly prepared: readonly PreparedEntry[];
  readonly prePrepared: readonly PrePreparedEntry[];
}

/** Which view-change message of which sender a new view was computed from. */
export interface ViewChangeRef {
  readonly sender: NodeId;
  readonly fingerprint: string;
}

/** One re-proposed sequence number of a new view; an empty batch is PBFT's null request. */
export interface NewViewEntry {
  readonly seq: number;
  readonly digest: Digest;
  readonly batch: Batch;
}

/** The new primary installs `view`: the view changes it used, the checkpoint and the re-proposed batches. */
export interface NewViewMessage {
  readonly kind: 'new-view';
  readonly epoch: number;
  readonly view: number;
  readonly viewChanges: readonly ViewChangeRef[];
  readonly checkpoint: Checkpoint;
  readonly entries: readonly NewViewEntry[];
}

/** State transfer: a lagging replica asks for committed blocks in [fromHeight, toHeight]. */
export interface FetchMessage {
  readonly kind: 'fetch';
  readonly fromHeight: number;
  readonly toHeight: number;
}

/** State transfer reply (built by the host from its block store) with the sender's last executed height. */
export interface BlocksMessage {
  readonly kind: 'blocks';
  readonly blocks: readonly CommittedBlock[];
  readonly lastExecuted: number;
}

/** Every message replicas exchange. */
export type Message =
  | RequestMessage
  | PrePrepareMessage
  | PrepareMessage
  | CommitMessage
  | CheckpointMessage
  | ViewChangeMessage
  | NewViewMessage
  | FetchMessage
  | BlocksMessage;

/** The discriminant of a message. */
export type MessageKind = Message['kind'];

/** A message received from an authenticated peer. */
export interface MessageInput {
  readonly type: 'message';
  readonly from: NodeId;
  readonly message: Message;
}

/** Requests submitted by clients (institutions submit to every validator). */
export interface ClientInput {
  readonly type: 'client';
  readonly requests: readonly ClientRequest[];
}

/** A timer the replica asked for has fired (the time itself is in the step context). */
export interface TickInput {
  readonly type: 'tick';
}

/** Everything a replica reacts to. */
export type Input = MessageInput | ClientInput | TickInput;

/** Why an input was refused; refusals are reported, never thrown. */
export type RefusalReason =
  | 'malformed'
  | 'oversized'
  | 'not-a-validator'
  | 'not-primary'
  | 'bad-digest'
  | 'bad-batch'
  | 'bad-request'
  | 'bad-signature'
  | 'bad-view-change'
  | 'bad-new-view'
  | 'bad-block'
  | 'pool-full';

/** The kinds of misbehaviour a replica can observe directly. */
export type EvidenceKind =
  | 'conflicting-pre-prepare'
  | 'conflicting-prepare'
  | 'conflicting-commit'
  | 'conflicting-checkpoint'
  | 'conflicting-view-change';

/**
 * Two conflicting statements by one identity. Commit evidence carries both signatures and convinces anyone
 * holding the offender's public key; the other kinds are observed on an authenticated channel only.
 */
export interface Evidence {
  readonly kind: EvidenceKind;
  readonly offender: NodeId;
  readonly view: number;
  readonly seq: number;
  readonly first: string;
  readonly second: string;
  readonly signatures?: readonly [Signature, Signature];
}

/** Send a message to one peer or to every other peer. */
export interface SendOutput {
  readonly type: 'send';
  readonly to: NodeId | 'all';
  readonly message: Message;
}

/** Append a decided block to the store; emitted in height order, each height once. */
export interface CommitOutput {
  readonly type: 'commit';
  readonly block: CommittedBlock;
}

/** Call `step` with a tick at (or after) this time. */
export interface TimerOutput {
  readonly type: 'timer';
  readonly atMs: number;
}

/** Answer a fetch: send `to` a blocks message with the stored blocks in [fromHeight, toHeight] (may be empty). */
export interface ServeOutput {
  readonly type: 'serve';
  readonly to: NodeId;
  readonly fromHeight: number;
  readonly toHeight: number;
}

/** Misbehaviour observed; the host records it (and may put it on the ledger). */
export interface EvidenceOutput {
  readonly type: 'evidence';
  readonly evidence: Evidence;
}

/** An input was refused, with the reason. */
export interface RefusedOutput {
  readonly type: 'refused';
  readonly from: NodeId | 'client';
  readonly subject: MessageKind | 'client-request' | 'unknown';
  readonly reason: RefusalReason;
}

/** Everything a step asks its host to do. */
export type Output = SendOutput | CommitOutput | TimerOutput | ServeOutput | EvidenceOutput | RefusedOutput;

/** The crypto and application seams a replica needs; all deterministic. */
export interface ReplicaEnv {
  /** Digest of a batch; it binds the height, the requests and the proposer time. */
  readonly digestBatch: (batch: Batch) => Digest;
  /** This replica's signature over a commit vote. */
  readonly signCommit: (vote: CommitVote) => Signature;
  /** Whether `signature` is `signer`'s signature over the vote. */
  readonly verifyCommit: (signer: NodeId, vote: CommitVote, signature: Signature) => boolean;
  /** Whether a block received by state transfer is valid for the validator set at its height. */
  readonly verifyBlock: (block: CommittedBlock, validators: readonly NodeId[]) => boolean;
  /** Whether a client request is well formed (for the ledger: a signed transaction whose digest matches). */
  readonly validRequest: (request: ClientRequest) => boolean;
  /** The new validator set a batch orders, if it carries a reconfiguration. */
  readonly reconfigOf: (batch: Batch) => readonly NodeId[] | undefined;
}

/** What a step may read besides the state and the input: the time and the seams. */
export interface StepContext {
  readonly nowMs: number;
  readonly env: ReplicaEnv;
}

/** The static configuration of one replica; every limit is named, with its unit last. */
export interface ReplicaConfig {
  readonly self: NodeId;
  readonly genesis: readonly NodeId[];
  /** K: a checkpoint every K heights. */
  readonly checkpointInterval: number;
  /** L: high water mark minus low water mark; a multiple of K. */
  readonly windowSize: number;
  /** Pipelining: at most this many proposed but unexecuted sequence numbers. */
  readonly inFlightMax: number;
  readonly batchSizeMax: number;
  readonly batchBytesMax: number;
  readonly requestBytesMax: number;
  readonly pendingRequestsMax: number;
  /** Executed request digests remembered to drop late re-submissions (the ledger's state refuses the rest). */
  readonly recentRequestsMax: number;
  /** Base view-change timeout; doubled on each consecutive view change (back-off). */
  readonly viewChangeTimeoutMs: number;
  /** Largest exponent of the back-off. */
  readonly viewChangeBackoffMax: number;
  /** Largest view increase a replica makes on others' request (guard against huge view numbers). */
  readonly viewJumpMax: number;
  readonly retransmitIntervalMs: number;
  /** Period of the status query (a fetch from the next height) every replica sends, so an idle laggard catches up. */
  readonly syncIntervalMs: number;
  readonly fetchBlocksMax: number;
  /** A validator-set change ordered at height h takes effect at the first checkpoint boundary after h + this. */
  readonly reconfigDistance: number;
  /** Evidence keys remembered for de-duplication. */
  readonly evidenceMax: number;
}
