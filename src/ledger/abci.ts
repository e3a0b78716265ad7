/**
 * The seam between consensus and the contracts, shaped like CometBFT's ABCI 2.0 (CheckTx, FinalizeBlock,
 * Commit, Info, Query) so that a consortium could run the same contracts under another BFT engine. The host
 * (src/ledger/host) orders transactions and calls these methods in block order on every validator; the
 * application (src/ledger/contracts) is deterministic: no clock, randomness or I/O — the block's proposer time
 * is the only time it sees, and its state root (`appHash`) goes into the block header, so any divergence
 * between validators shows in the very block where it happens.
 */
import type { JsonValue } from './canonical-json.ts';
import type { SignedTransaction } from './transaction.ts';
import type { Validator } from './validator-set.ts';

/** The outcome of one transaction: `ok`, or the stable `MER_*` code and a message saying why it was refused. */
export type TxOutcome =
  | { readonly ok: true; readonly events?: readonly TxEvent[] }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** Something a transaction did that indexers and the portal show (e.g. `request.approved`), with attributes. */
export interface TxEvent {
  readonly type: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** A block as the application sees it: its height, proposer, proposer time (ms since epoch) and transactions. */
export interface FinalizeBlockRequest {
  readonly height: number;
  readonly proposer: string;
  readonly proposerTime: number;
  readonly txs: readonly SignedTransaction[];
}

/** What applying a block did: one outcome per transaction, the new state root, and validator-set changes. */
export interface FinalizeBlockResponse {
  readonly results: readonly TxOutcome[];
  /** 64 hex: the state root after this block; goes into the header's `stateRoot`. */
  readonly appHash: string;
  /** The validator set ordered by this block (takes effect later, as the host schedules); undefined: no change. */
  readonly validatorUpdate: readonly Validator[] | undefined;
}

/**
 * What the host already established about a transaction it offers to `checkTx`: the body's canonical bytes (the
 * shape and size checked) and the key, as hex, its signature verified under. An application may skip redoing
 * these, but only trusts the signature when that key is the signer's registered one.
 */
export interface CheckedTx {
  readonly bodyBytes: Buffer;
  readonly verifiedWith: string;
}

/** The application behind the ledger; every method is deterministic given the same sequence of calls. */
export interface LedgerApplication {
  /** The last committed height and state root (0 and the genesis root before any block). */
  info(): { readonly height: number; readonly appHash: string };
  /** Cheap admission check against committed state (signature, shape, duplicates, authority); never mutates. */
  checkTx(tx: SignedTransaction, checked?: CheckedTx): TxOutcome;
  /** Applies a block's transactions in order on a staged copy of the state; refused transactions change nothing. */
  finalizeBlock(block: FinalizeBlockRequest): FinalizeBlockResponse;
  /** Makes the staged state of the last finalized block the committed state. */
  commit(): { readonly height: number; readonly appHash: string };
  /** Reads committed state: `path` names a view (e.g. `requests/<id>`), `params` narrow it. */
  query(path: string, params?: Readonly<Record<string, string>>): JsonValue;
  /** The committed state as canonical-JSON-able data, for snapshots; `restore` on a fresh app reverses it. */
  exportState(): JsonValue;
  /** Replaces the state with an exported one (before any block is finalized on this instance). */
  restore(state: JsonValue): void;
}
