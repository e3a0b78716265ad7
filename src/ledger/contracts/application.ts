/**
 * The contracts as a {@link LedgerApplication}: every transaction passes the envelope checks (shape, chain,
 * member, signature), its kind's payload schema, the nonce-time window, replay refusal and its contract's
 * authority check; `finalizeBlock` then applies it on a write layer so a refusal changes nothing. The block's
 * writes, outcome codes, height and block time extend the state-root chain; `commit` makes the block's writes the
 * committed state, updates the query indexes and prunes expired dedup keys.
 *
 *   checkTx(tx) ── envelope · kind · payload · nonce window · dedup · authority (committed state, no writes)
 *   finalizeBlock ── for each tx: the same + contract transition ──► results, appHash, validatorUpdate (staged)
 *   commit ── staged → committed; indexes; prune dedup keys with expiry < block time
 */
import assert from 'node:assert/strict';
import type { KeyObject } from 'node:crypto';
import type { ErrorCode } from '../../errors/registry.ts';
import type {
  CheckedTx,
  FinalizeBlockRequest,
  FinalizeBlockResponse,
  LedgerApplication,
  TxEvent,
  TxOutcome,
} from '../abci.ts';
import { BLOCK_TXS_MAX } from '../block.ts';
import type { JsonValue } from '../canonical-json.ts';
import { toPublicKey } from '../signing.ts';
import type { SignedTransaction } from '../transaction.ts';
import type { Validator } from '../validator-set.ts';
import { nextAppHash, resultsDigest, writeSetDigest } from './app-hash.ts';
import { type AuthContext, ContractRefusal, type Handler, iso, type TxContext } from './context.ts';
import {
  BoundedLru,
  checkTxShape,
  digestsOfBody,
  SIGNATURE_CACHE_SIZE_DEFAULT,
  txDigests,
  verifyTxSignature,
} from './envelope.ts';
import { type Genesis, genesisHash, parseGenesis } from './genesis.ts';
import { HANDLERS } from './handlers.ts';
import { Indexes } from './indexes.ts';
import { runQuery } from './queries.ts';
import { compactDedupKey, DedupExpiry, NONCE_TIME_MS_MAX, nonceTimeMs } from './replay.ts';
import { isTxKind, PAYLOAD_SCHEMAS } from './schemas.ts';
import { makeSnapshot, readSnapshot } from './snapshot.ts';
import {
  CommittedState,
  dedupKey,
  MEMBERS_KEY,
  type MemberRecord,
  memberKey,
  type StateReader,
  tableOf,
  VALIDATORS_KEY,
  WriteLayer,
} from './state.ts';

/** Options of {@link createLedgerApplication} that do not affect consensus. */
export interface LedgerApplicationOptions {
  /** Verified transaction hashes remembered between checkTx and finalizeBlock (default 131,072). */
  signatureCacheSize?: number;
}

/** A refused transaction's outcome. */
type Refused = Extract<TxOutcome, { ok: false }>;

/** A refused or accepted transaction before the contract transition. */
type Admission =
  | { readonly ok: false; readonly outcome: Refused }
  | {
      readonly ok: true;
      readonly auth: AuthContext;
      readonly handler: Handler<unknown>;
      readonly payload: unknown;
      readonly contentHash: string;
      readonly nonceTime: number;
    };

interface Staged {
  readonly height: number;
  readonly blockTime: number;
  readonly appHash: string;
  readonly layer: WriteLayer;
}

function refused(code: ErrorCode, message: string): Admission {
  return { ok: false, outcome: { ok: false, code, message } };
}

/** The contracts application; see the module comment. */
class ContractsApplication implements LedgerApplication {
  readonly #genesis: Genesis;
  readonly #genesisHash: string;
  readonly #committed = new CommittedState();
  readonly #indexes = new Indexes();
  readonly #expiry = new DedupExpiry();
  readonly #verified: BoundedLru<string, string>;
  readonly #keys = new Map<string, KeyObject>();
  #height = 0;
  #appHash: string;
  #blockTime: number;
  #staged: Staged | undefined;
  #finalizedAny = false;

  constructor(genesis: Genesis, opts: LedgerApplicationOptions) {
    this.#genesis = genesis;
    this.#genesisHash = genesisHash(genesis);
    this.#appHash = this.#genesisHash;
    this.#blockTime = genesis.genesisTime;
    this.#verified = new BoundedLru(opts.signatureCacheSize ?? SIGNATURE_CACHE_SIZE_DEFAULT);
    const since = { height: 0, tx: 0, at: genesis.genesisTime };
    const records = this.#committed.records;
    for (const m of genesis.institutions) {
      const member: MemberRecord = { name: m.name, role: m.role, publicKey: m.publicKey, status: 'active', since };
      records.set(memberKey(m.name), member);
    }
    records.set(
      MEMBERS_KEY,
      genesis.institutions.map((m) => m.name),
    );
    records.set(VALIDATORS_KEY, genesis.validators.map((v) => ({ ...v })) as JsonValue);
  }

  info(): { height: number; appHash: string } {
    return { height: this.#height, appHash: this.#appHash };
  }

  checkTx(tx: SignedTransaction, checked?: CheckedTx): TxOutcome {
    const a = this.#admit(tx, this.#committed, this.#blockTime, false, checked);
    return a.ok ? { ok: true } : a.outcome;
  }

  finalizeBlock(block: FinalizeBlockRequest): FinalizeBlockResponse {
    assert.equal(block.height, this.#height + 1, `finalizeBlock at height ${block.height} after ${this.#height}`);
    assert.ok(
      Number.isSafeInteger(block.proposerTime) && block.proposerTime >= 0 && block.proposerTime <= NONCE_TIME_MS_MAX,
      'proposerTime is ms since epoch, at most 2^48 - 1 (the latest time a nonce can state)',
    );
    assert.ok(block.txs.length <= BLOCK_TXS_MAX, `a block holds at most ${BLOCK_TXS_MAX} transactions`);
    this.#finalizedAny = true;
    // Block time never goes backwards, whatever a proposer states; every validator computes the same maximum.
    const blockTime = Math.max(this.#blockTime, block.proposerTime);
    const layer = new WriteLayer(this.#committed);
    const results: TxOutcome[] = [];
    let validatorUpdate: readonly Validator[] | undefined;
    block.txs.forEach((tx, index) => {
      const outcome = this.#deliver(tx, layer, { height: block.height, tx: index, at: blockTime }, (v) => {
        validatorUpdate = v;
      });
      results.push(outcome);
    });
    const appHash = nextAppHash({
      prev: this.#appHash,
      height: block.height,
      blockTime,
      writes: writeSetDigest(layer.writes),
      results: resultsDigest(results.map((r) => (r.ok ? 'ok' : r.code))),
    });
    this.#staged = { height: block.height, blockTime, appHash, layer };
    return { results, appHash, validatorUpdate };
  }

  commit(): { height: number; appHash: string } {
    const staged = this.#staged;
    assert.ok(staged !== undefined, 'commit without a finalized block');
    const records = this.#committed.records;
    for (const [key, value] of staged.layer.writes) {
      const isNew = !records.has(key);
      records.set(key, value);
      if (isNew) {
        this.#indexes.observeNew(key, value);
        if (tableOf(key) === 'dedup') this.#expiry.add(key, value as number);
      }
    }
    for (const key of this.#expiry.takeExpired(staged.blockTime)) records.delete(key);
    this.#height = staged.height;
    this.#appHash = staged.appHash;
    this.#blockTime = staged.blockTime;
    this.#staged = undefined;
    return { height: this.#height, appHash: this.#appHash };
  }

  query(path: string, params?: Readonly<Record<string, string>>): JsonValue {
    return runQuery(
      {
        state: this.#committed,
        indexes: this.#indexes,
        chainId: this.#genesis.chainId,
        height: this.#height,
        appHash: this.#appHash,
        blockTime: this.#blockTime,
      },
      path,
      params,
    );
  }

  exportState(): JsonValue {
    return makeSnapshot({
      genesisHash: this.#genesisHash,
      height: this.#height,
      blockTime: this.#blockTime,
      appHash: this.#appHash,
      records: this.#committed.records,
    });
  }

  restore(state: JsonValue): void {
    assert.ok(!this.#finalizedAny, 'restore comes before any block is finalized on this instance');
    const s = readSnapshot(state, this.#genesisHash);
    const records = this.#committed.records;
    records.clear();
    this.#expiry.clear();
    for (const [key, value] of s.records) {
      records.set(key, value);
      if (tableOf(key) === 'dedup') this.#expiry.add(key, value as number);
    }
    this.#indexes.rebuild(records);
    this.#height = s.height;
    this.#blockTime = s.blockTime;
    this.#appHash = s.appHash;
  }

  #keyOf(publicKeyHex: string): KeyObject {
    let key = this.#keys.get(publicKeyHex);
    if (key === undefined) {
      key = toPublicKey(publicKeyHex);
      this.#keys.set(publicKeyHex, key);
    }
    return key;
  }

  /** Everything but the transition: the checks checkTx and finalizeBlock share. */
  #admit(tx: unknown, state: StateReader, blockTime: number, inBlock: boolean, checked?: CheckedTx): Admission {
    // The host's checks (shape, size, canonical body bytes) stand in for the envelope's; its signature check only
    // counts below when it used the signer's registered key.
    const digests =
      checked === undefined ? txDigests(tx) : digestsOfBody((tx as SignedTransaction).signature, checked.bodyBytes);
    if (!('txHash' in digests)) return refused(digests.code, digests.message);
    const verifiedWith = this.#verified.get(digests.txHash) ?? checked?.verifiedWith;
    if (verifiedWith === undefined) {
      const bad = checkTxShape(tx);
      if (bad !== undefined) return refused(bad.code, bad.message);
    }
    const signed = tx as SignedTransaction;
    const body = signed.body;
    if (body.chainId !== this.#genesis.chainId) {
      return refused(
        'MER_LEDGER_WRONG_CHAIN',
        `chainId ${body.chainId} is not this ledger's (${this.#genesis.chainId})`,
      );
    }
    const member = state.get(memberKey(body.institution)) as MemberRecord | undefined;
    if (member === undefined) {
      return refused('MER_LEDGER_UNKNOWN_SIGNER', `institution ${body.institution} is not a member of the consortium`);
    }
    if (member.status !== 'active') {
      return refused('MER_CONTRACT_MEMBER_SUSPENDED', `institution ${body.institution} is suspended`);
    }
    if (verifiedWith !== member.publicKey) {
      if (!verifyTxSignature(signed, digests.bodyBytes, this.#keyOf(member.publicKey))) {
        return refused(
          'MER_LEDGER_BAD_SIGNATURE',
          `signature does not verify under ${body.institution}'s registered key`,
        );
      }
      this.#verified.set(digests.txHash, member.publicKey);
    } else if (checked !== undefined) {
      this.#verified.set(digests.txHash, member.publicKey);
    }
    const kind = body.kind;
    if (!isTxKind(kind)) return refused('MER_CONTRACT_UNKNOWN_KIND', `kind ${kind} is not a contract action`);
    const parsed = PAYLOAD_SCHEMAS[kind].safeParse(body.payload);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = ['payload', ...(issue?.path ?? [])].map(String).join('.');
      return refused('MER_CONTRACT_INVALID_PAYLOAD', `${kind}: ${path}: ${issue?.message ?? 'invalid'}`);
    }
    const nonceTime = nonceTimeMs(body.nonce);
    const { nonceWindowMs, nonceFutureMs } = this.#genesis.params;
    if (nonceTime < blockTime - nonceWindowMs) {
      return refused(
        'MER_LEDGER_NONCE_OUT_OF_WINDOW',
        `nonce time ${iso(nonceTime)} is more than ${nonceWindowMs} ms before the block time ${iso(blockTime)}`,
      );
    }
    // checkTx sees the last committed block time, which lags the clock on a quiet ledger: only blocks check ahead.
    if (inBlock && nonceTime > blockTime + nonceFutureMs) {
      return refused(
        'MER_LEDGER_NONCE_OUT_OF_WINDOW',
        `nonce time ${iso(nonceTime)} is more than ${nonceFutureMs} ms after the block time ${iso(blockTime)}`,
      );
    }
    if (state.get(dedupKey(compactDedupKey(digests.contentHash))) !== undefined) {
      return refused(
        'MER_LEDGER_DUPLICATE_TX',
        `${body.institution} already submitted this content (${digests.contentHash}); use a fresh nonce to repeat it`,
      );
    }
    const handler = HANDLERS[kind] as Handler<unknown>;
    const auth: AuthContext = { body, member };
    try {
      handler.authorize(auth, parsed.data);
    } catch (e) {
      if (e instanceof ContractRefusal) return refused(e.code, e.message);
      throw e;
    }
    return { ok: true, auth, handler, payload: parsed.data, contentHash: digests.contentHash, nonceTime };
  }

  /** Admits and applies one transaction of a block on its own write layer, merged only on success. */
  #deliver(
    tx: SignedTransaction,
    block: WriteLayer,
    stamp: TxContext['stamp'],
    setValidatorUpdate: (v: readonly Validator[]) => void,
  ): TxOutcome {
    const a = this.#admit(tx, block, stamp.at, true);
    if (!a.ok) return a.outcome;
    const layer = new WriteLayer(block);
    let pendingUpdate: readonly Validator[] | undefined;
    const ctx: TxContext = {
      ...a.auth,
      state: layer,
      contentHash: a.contentHash,
      stamp,
      params: this.#genesis.params,
      setValidatorUpdate: (v) => {
        pendingUpdate = v;
      },
    };
    let events: TxEvent[];
    try {
      events = a.handler.apply(ctx, a.payload);
    } catch (e) {
      if (e instanceof ContractRefusal) return { ok: false, code: e.code, message: e.message };
      throw e;
    }
    layer.put(dedupKey(compactDedupKey(a.contentHash)), a.nonceTime + this.#genesis.params.nonceWindowMs);
    layer.mergeInto(block);
    if (pendingUpdate !== undefined) setValidatorUpdate(pendingUpdate);
    return { ok: true, events };
  }
}

/** Creates the contracts application from a genesis document (validated: MER_LEDGER_MALFORMED_GENESIS). */
export function createLedgerApplication(genesis: unknown, opts: LedgerApplicationOptions = {}): LedgerApplication {
  return new ContractsApplication(parseGenesis(genesis), opts);
}
