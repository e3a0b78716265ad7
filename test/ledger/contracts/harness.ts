/** A consortium of test institutions around one contracts application: deterministic keys, nonces and blocks. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { FinalizeBlockResponse, LedgerApplication, TxOutcome } from '../../../src/ledger/abci.ts';
import {
  contractHash,
  createLedgerApplication,
  type GenesisInput,
  nonceWithTime,
  type PayloadOf,
  signContractTx,
  type TxKind,
} from '../../../src/ledger/contracts/index.ts';
import {
  publicKeyHex,
  type SignedTransaction,
  signTransaction,
  type TxBody,
  type TxUser,
} from '../../../src/ledger/index.ts';
import { CHAIN_ID, keyFor } from '../fixtures.ts';

/** The genesis time of every harness (ms). */
export const T0 = 1_750_000_000_000;

/** One day in ms. */
export const DAY_MS = 86_400_000;

/** The founding institutions: the hub and three hospitals. */
export const FOUNDERS = ['hospital-a', 'hospital-b', 'hospital-c', 'hub'] as const;

/** The signing key of an institution. */
export function institutionKey(name: string) {
  return keyFor(`institution:${name}`);
}

/** The genesis most tests use (4 members: quorum 3). */
export function testGenesis(extra: Partial<GenesisInput> = {}): GenesisInput {
  return {
    chainId: CHAIN_ID,
    genesisTime: T0,
    institutions: FOUNDERS.map((name) => ({
      name,
      role: name === 'hub' ? ('hub' as const) : ('hospital' as const),
      publicKey: publicKeyHex(institutionKey(name)),
    })),
    ...extra,
  };
}

/** A 64-hex hash derived from a label. */
export function h(label: string): string {
  return createHash('sha256').update(label).digest('hex');
}

/** A patient token derived from a label. */
export function token(label: string): string {
  return h(`token:${label}`).slice(0, 32);
}

/** Options of {@link Harness.tx}. */
export interface TxOpts {
  user?: TxUser;
  timeMs?: number;
  /** Random bytes label (distinct labels, distinct nonces); default a per-harness counter. */
  label?: string;
}

/** Users the tests act as. */
export const RESEARCHER: TxUser = { id: 'u-res-1', role: 'researcher' };
/** The ethics committee's user at the hub. */
export const ETHICS: TxUser = { id: 'u-eth-1', role: 'ethics' };
/** A clinician. */
export const CLINICIAN: TxUser = { id: 'u-doc-1', role: 'clinician' };

/** A test consortium: builds signed transactions and applies blocks. */
export class Harness {
  readonly app: LedgerApplication;
  height = 0;
  time = T0;
  #counter = 0;

  constructor(genesis: GenesisInput = testGenesis()) {
    this.app = createLedgerApplication(genesis);
  }

  /** A signed transaction of `kind` by `institution` (nonce time = the harness time). */
  tx<K extends TxKind>(institution: string, kind: K, payload: PayloadOf<K>, opts: TxOpts = {}): SignedTransaction {
    this.#counter += 1;
    const label = opts.label ?? `n${this.#counter}`;
    return signContractTx({
      chainId: CHAIN_ID,
      kind,
      institution,
      payload,
      ...(opts.user === undefined ? {} : { user: opts.user }),
      timeMs: opts.timeMs ?? this.time,
      random: createHash('sha256').update(label).digest().subarray(0, 10),
      privateKey: institutionKey(institution),
    });
  }

  /** A signed transaction whose payload is not checked by the client (to test the contracts' own refusals). */
  raw(institution: string, kind: string, payload: Record<string, unknown>, opts: TxOpts = {}): SignedTransaction {
    this.#counter += 1;
    const random = createHash('sha256')
      .update(opts.label ?? `raw${this.#counter}`)
      .digest()
      .subarray(0, 10);
    const body: TxBody = {
      chainId: CHAIN_ID,
      kind,
      institution,
      nonce: nonceWithTime(opts.timeMs ?? this.time, random),
      payload: payload as TxBody['payload'],
      ...(opts.user === undefined ? {} : { user: opts.user }),
    };
    return signTransaction(body, institutionKey(institution));
  }

  /** Finalizes and commits a block of `txs` at the harness time (advanced by `advanceMs` first). */
  block(txs: readonly SignedTransaction[], advanceMs = 1_000): FinalizeBlockResponse {
    this.time += advanceMs;
    this.height += 1;
    const res = this.app.finalizeBlock({ height: this.height, proposer: 'hub', proposerTime: this.time, txs });
    this.app.commit();
    return res;
  }

  /** Applies one transaction in its own block and returns its outcome. */
  apply(tx: SignedTransaction, advanceMs = 1_000): TxOutcome {
    const res = this.block([tx], advanceMs);
    return res.results[0] as TxOutcome;
  }

  /** Applies one transaction and asserts it was accepted. */
  ok(tx: SignedTransaction, advanceMs = 1_000): TxOutcome {
    const out = this.apply(tx, advanceMs);
    assert.ok(out.ok, `expected ok, got ${JSON.stringify(out)}`);
    return out;
  }

  /** Applies one transaction and asserts it was refused with `code` and a message matching `pattern`. */
  refused(tx: SignedTransaction, code: string, pattern?: RegExp, advanceMs = 1_000): void {
    const out = this.apply(tx, advanceMs);
    assert.equal(out.ok, false, `expected ${code}, got ok`);
    if (!out.ok) {
      assert.equal(out.code, code, out.message);
      if (pattern !== undefined) assert.match(out.message, pattern);
    }
  }

  /** Submits a request by the hub for hospitals `hospitals`, and optionally has everyone approve it. */
  request(
    id: string,
    opts: {
      hospitals?: string[];
      kinds?: string[];
      epsilonMicros?: number;
      approve?: boolean;
      periodStartMs?: number;
      periodEndMs?: number;
      projectId?: string;
      purpose?: string;
    } = {},
  ): void {
    const hospitals = opts.hospitals ?? ['hospital-a', 'hospital-b'];
    this.ok(
      this.tx(
        'hub',
        'request.submit',
        {
          requestId: id,
          projectId: opts.projectId ?? `proj-${id}`,
          purpose: opts.purpose ?? 'research',
          cohortHash: contractHash('cohort', { id }),
          analysisKinds: opts.kinds ?? ['count', 'glm'],
          hospitals,
          periodStart: new Date(opts.periodStartMs ?? T0).toISOString(),
          periodEnd: new Date(opts.periodEndMs ?? T0 + 90 * DAY_MS).toISOString(),
          epsilonMicros: opts.epsilonMicros ?? 2_000_000,
        },
        { user: RESEARCHER },
      ),
    );
    if (opts.approve === true) {
      this.ok(
        this.tx(
          'hub',
          'request.decide',
          { requestId: id, decision: 'approve', commentHash: h('ok') },
          { user: ETHICS },
        ),
      );
      for (const hospital of hospitals) {
        this.ok(this.tx(hospital, 'request.decide', { requestId: id, decision: 'approve', commentHash: h('ok') }));
      }
    }
  }

  /** Authorizes task `taskId` under request `requestId` for `hospitals`. */
  task(taskId: string, requestId: string, hospitals = ['hospital-a', 'hospital-b'], analysisKind = 'count'): TxOutcome {
    return this.apply(
      this.tx('hub', 'task.authorize', {
        taskId,
        requestId,
        taskHash: contractHash('task', { taskId }),
        analysisKind,
        hospitals,
      }),
    );
  }
}
