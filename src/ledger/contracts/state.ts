/**
 * The contract state: one key-value map of canonical-JSON records, with write layers for a block and for one
 * transaction inside it, so a refused transaction changes nothing and a finalized block is only committed by
 * `commit`. Keys are `<table>/<id>`; records are plain data, replaced whole and never mutated in place.
 */
import type { JsonValue } from '../canonical-json.ts';
import type { Validator } from '../validator-set.ts';
import type { MemberRole, TxKind } from './schemas.ts';

/** Reads of the state, through any write layers. */
export interface StateReader {
  get(key: string): JsonValue | undefined;
}

/** The committed state: a plain map from key to record. */
export class CommittedState implements StateReader {
  readonly records = new Map<string, JsonValue>();

  /** The record at `key`, or undefined. */
  get(key: string): JsonValue | undefined {
    return this.records.get(key);
  }
}

/** Writes staged above a parent reader; merged down on success, dropped on refusal. */
export class WriteLayer implements StateReader {
  readonly writes = new Map<string, JsonValue>();
  readonly #parent: StateReader;

  constructor(parent: StateReader) {
    this.#parent = parent;
  }

  /** The record at `key` as this layer sees it. */
  get(key: string): JsonValue | undefined {
    const own = this.writes.get(key);
    return own !== undefined ? own : this.#parent.get(key);
  }

  /** Stages `record` at `key` (records are replaced whole; absent optional fields are left out, never undefined). */
  put(key: string, record: object | number | JsonValue): void {
    this.writes.set(key, record as JsonValue);
  }

  /** Moves this layer's writes into `target`, in write order. */
  mergeInto(target: WriteLayer): void {
    for (const [k, v] of this.writes) target.put(k, v);
  }
}

/** Key of a member record. */
export const memberKey = (name: string): string => `member/${name}`;
/** Key of a proposal record. */
export const proposalKey = (id: string): string => `proposal/${id}`;
/** Key of the sorted list of member names (the member directory). */
export const MEMBERS_KEY = 'members';
/** Key of the current validator set. */
export const VALIDATORS_KEY = 'validators';
/** Key of a notarization record. */
export const notaryKey = (root: string): string => `notary/${root}`;
/** Key of a data-use request record. */
export const requestKey = (id: string): string => `request/${id}`;
/** Key of a task record. */
export const taskKey = (id: string): string => `task/${id}`;
/** Key of a project's privacy budget. */
export const budgetKey = (project: string): string => `budget/${project}`;
/** Key of a patient token's consents. */
export const consentKey = (token: string): string => `consent/${token}`;
/** Key of an access record (the transaction's content hash makes it unique). */
export const accessKey = (contentHash: string): string => `access/${contentHash}`;
/** Key of a replay-protection entry. */
export const dedupKey = (compact: string): string => `dedup/${compact}`;

/** Where and when a record was written: block height, the transaction's index in it, and block time (ms). */
export type Stamp = { readonly height: number; readonly tx: number; readonly at: number };

/** A member institution. */
export type MemberRecord = {
  readonly name: string;
  readonly role: MemberRole;
  readonly publicKey: string;
  readonly status: 'active' | 'suspended';
  readonly since: Stamp;
  readonly suspended?: Stamp & { readonly reasonCode: string; readonly proposalId: string };
};

/** What a proposal would do once approved. */
export type ProposalAction =
  | { readonly kind: 'membership.add'; readonly name: string; readonly role: MemberRole; readonly publicKey: string }
  | { readonly kind: 'membership.suspend'; readonly name: string; readonly reasonCode: string }
  | { readonly kind: 'validators.update'; readonly validators: readonly Validator[] };

/** A membership or validator-set proposal with its approvals (institution names, sorted). */
export type ProposalRecord = {
  readonly id: string;
  readonly action: ProposalAction;
  readonly proposer: string;
  readonly proposed: Stamp;
  readonly expiresAt: number;
  readonly approvals: readonly string[];
  readonly status: 'open' | 'executed';
  readonly executed?: Stamp;
};

/** A notarized batch. */
export type NotaryRecord = {
  readonly root: string;
  readonly size: number;
  readonly institution: string;
  readonly type: string;
  readonly source: string;
  readonly location: string;
  readonly patientToken?: string;
  readonly statedAt: string;
  readonly recorded: Stamp;
  readonly contentHash: string;
};

/** One approver's decision on a request. */
export type DecisionRecord = {
  readonly decision: 'approve' | 'refuse';
  readonly commentHash: string;
  readonly institution: string;
  readonly user?: { readonly id: string; readonly role: string };
  readonly epsilonMicros?: number;
  readonly decided: Stamp;
};

/** A data-use request. `status` is as stored; views add the effective status (expiry is by block time). */
export type RequestRecord = {
  readonly requestId: string;
  readonly projectId: string;
  readonly purpose: string;
  readonly cohortHash: string;
  readonly analysisKinds: readonly string[];
  readonly hospitals: readonly string[];
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly epsilonMicros: number;
  readonly requester: { readonly id: string; readonly role: string };
  readonly submittedBy: string;
  readonly submitted: Stamp;
  readonly expiresAt: number;
  readonly requiredApprovers: readonly string[];
  readonly decisions: { readonly [approver: string]: DecisionRecord };
  readonly status: 'pending' | 'approved' | 'refused';
  readonly grantedEpsilonMicros?: number;
  readonly closed?: Stamp;
};

/** One hospital's execution receipt for a task. */
export type ReceiptRecord = {
  readonly resultHash: string;
  readonly status: 'succeeded' | 'failed';
  readonly recorded: Stamp;
};

/** An authorized task with its receipts, charges and release. */
export type TaskRecord = {
  readonly taskId: string;
  readonly requestId: string;
  readonly projectId: string;
  readonly taskHash: string;
  readonly analysisKind: string;
  readonly hospitals: readonly string[];
  readonly patientTokenCount: number;
  readonly authorizedBy: string;
  readonly authorized: Stamp;
  readonly receipts: { readonly [hospital: string]: ReceiptRecord };
  readonly epsilonChargedMicros: number;
  readonly release?: { readonly resultHash: string; readonly location?: string; readonly released: Stamp };
};

/** A project's privacy budget in micro-ε: granted by approvals, spent by charges. */
export type BudgetRecord = {
  readonly projectId: string;
  readonly totalMicros: number;
  readonly spentMicros: number;
  readonly grants: readonly { readonly requestId: string; readonly micros: number; readonly granted: Stamp }[];
};

/** A patient token's latest consent per purpose. */
export type ConsentRecord = {
  readonly patientToken: string;
  readonly purposes: {
    readonly [purpose: string]: {
      readonly status: 'granted' | 'withdrawn';
      readonly institution: string;
      readonly evidenceHash?: string;
      readonly set: Stamp;
    };
  };
};

/** A clinician's access to a patient's data. */
export type AccessRecord = {
  readonly patientToken: string;
  readonly hospital: string;
  readonly institution: string;
  readonly user: { readonly id: string; readonly role: string };
  readonly statedAt: string;
  readonly breakGlass: boolean;
  readonly reasonCode?: string;
  readonly recorded: Stamp;
  readonly contentHash: string;
};

/** The kind of record a key holds (its table), used by indexes and views. */
export function tableOf(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? key : key.slice(0, slash);
}

/** Kinds of proposals, for the compiler's exhaustiveness checks. */
export type ProposalKind = Extract<TxKind, ProposalAction['kind']>;
