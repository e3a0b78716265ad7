/**
 * A client of the validators' API: submits to every validator (a censoring primary is then replaced by a view
 * change, since backups time the request) and waits for a receipt that verifies offline against the set.
 */
import type https from 'node:https';
import { httpsRequestJson, mutualTlsAgent, type TlsMaterial } from '../../ca/index.ts';
import { type ErrorCode, MeridianError } from '../../errors/registry.ts';
import type { TxOutcome } from '../abci.ts';
import { canonicalBytes } from '../canonical-json.ts';
import { type Receipt, verifyReceipt } from '../receipt.ts';
import type { SignedTransaction } from '../transaction.ts';
import type { ValidatorSet } from '../validator-set.ts';
import { type LedgerConfig, validatorSetOf } from './config.ts';
import { type Admission, txHashOfBytes } from './validator.ts';

/** Default time {@link LedgerClient.submitAndWait} waits for a certified receipt. */
export const SUBMIT_WAIT_MS_DEFAULT = 10_000;
const POLL_MS = 50;
/** How long one receipt request asks a validator to wait for the transaction's certificate. */
const RECEIPT_WAIT_MS = 2_000;
/**
 * Connections a client keeps to one validator. Every batch of transactions awaited holds one for its receipt's
 * long poll, so the pool must exceed the batches a process awaits at once, or submissions queue behind the polls.
 */
const SOCKETS_PER_VALIDATOR_MAX = 128;

/** Most transactions submitted together (the validators' API takes up to 4,096 in one request). */
const COMMIT_BATCH_MAX = 512;
/** Longest pause before transactions every validator turned away as busy are submitted again. */
const RESUBMIT_BACKOFF_MS_MAX = 1_000;
/** The admission code of a validator too busy to take more (the transaction itself was not judged). */
const BUSY_CODE: ErrorCode = 'MER_LEDGER_BUSY';

/** A committed transaction: its verified receipt and what the contract made of it (null if not reported). */
export interface Committed {
  readonly txHash: string;
  readonly receipt: Receipt;
  readonly height: number;
  readonly outcome: TxOutcome | null;
}

/** A transaction the validators refused at admission: the refusal's code and message. */
export class TxRefused extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

interface Waiting {
  readonly tx: SignedTransaction;
  readonly txHash: string;
  readonly deadline: number;
  readonly resolve: (c: Committed) => void;
  readonly reject: (e: unknown) => void;
}

type CertifiedAnswer = { receipt: unknown; outcome: TxOutcome | null };

/** Result `i` of a validator's answer to a submission, if it has one. */
function admissionAt(answer: unknown, i: number): Admission | undefined {
  const results = (answer as { results?: unknown } | undefined)?.results;
  return Array.isArray(results) ? (results[i] as Admission | undefined) : undefined;
}

/** The API base URL of every validator. */
export function validatorUrls(config: LedgerConfig): { name: string; url: string }[] {
  return config.validators.map((v) => ({ name: v.name, url: `https://${v.host}:${v.apiPort}` }));
}

/** A client of every validator's API, over keep-alive mutual-TLS connections. */
export class LedgerClient {
  readonly #config: LedgerConfig;
  readonly #tls: TlsMaterial;
  /** Each validator's API base URL and keep-alive agent, by name. */
  readonly #endpoints = new Map<string, { url: string; agent: https.Agent }>();
  readonly #set: ValidatorSet;
  /** Which validator the next receipt wait asks first: waits are spread over the set. */
  #nextWaiter = 0;
  /** Transactions handed to {@link commit} since the last flush. */
  #queue: Waiting[] = [];

  constructor(opts: { config: LedgerConfig; tls: TlsMaterial }) {
    this.#config = opts.config;
    this.#tls = opts.tls;
    this.#set = validatorSetOf(opts.config);
    for (const { name, url } of validatorUrls(opts.config)) {
      this.#endpoints.set(name, { url, agent: mutualTlsAgent(opts.tls, { name }, SOCKETS_PER_VALIDATOR_MAX) });
    }
  }

  /** One request to validator `name` over its keep-alive connections; MER_LEDGER_CONFIG for an unknown name. */
  #call(
    name: string,
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    timeoutMs: number,
  ): Promise<{ status: number; body: unknown }> {
    const endpoint = this.#endpoints.get(name);
    if (!endpoint) return Promise.reject(new MeridianError('MER_LEDGER_CONFIG', `no validator ${name}`));
    return httpsRequestJson({
      url: `${endpoint.url}${path}`,
      method,
      ...(body === undefined ? {} : { body }),
      tls: this.#tls,
      expect: { name },
      timeoutMs,
      agent: endpoint.agent,
    });
  }

  /** POSTs `txs` to one validator; resolves with its admissions, rejects if it is unreachable. */
  async submitTo(name: string, txs: readonly SignedTransaction[], timeoutMs = 10_000): Promise<unknown> {
    return (await this.#call(name, 'POST', '/v1/txs', { txs }, timeoutMs)).body;
  }

  /** Submits to every validator at once; resolves when each answered or failed (failures are tolerated). */
  async submitAll(txs: readonly SignedTransaction[]): Promise<number> {
    return (await this.#submitEverywhere(txs)).filter((r) => r.status === 'fulfilled').length;
  }

  /** Every validator's answer to the submission of `txs`, in the configuration's order. */
  #submitEverywhere(txs: readonly SignedTransaction[]): Promise<PromiseSettledResult<unknown>[]> {
    return Promise.allSettled(this.#config.validators.map((v) => this.submitTo(v.name, txs)));
  }

  /** GETs a path from one validator. */
  async get(name: string, path: string, timeoutMs = 5_000): Promise<{ status: number; body: unknown }> {
    return this.#call(name, 'GET', path, undefined, timeoutMs);
  }

  /** Sends `tx` to every validator and resolves with its receipt once committed and certified (verified here). */
  async submitAndWait(
    tx: SignedTransaction,
    opts: { timeoutMs?: number } = {},
  ): Promise<{ txHash: string; receipt: Receipt; height: number }> {
    const { txHash, receipt, height } = await this.commit(tx, opts);
    return { txHash, receipt, height };
  }

  /**
   * Commits `tx`: resolves with its verified receipt and the contract's outcome once its block is certified, and
   * rejects with {@link TxRefused} when the validators refuse it at admission (a busy validator is asked again,
   * not taken as a refusal), or MER_LEDGER_TIMEOUT. Transactions committed at the same moment travel together:
   * one submission per validator and one receipt wait for the lot, instead of one each.
   */
  commit(tx: SignedTransaction, opts: { timeoutMs?: number } = {}): Promise<Committed> {
    const txHash = txHashOfBytes(canonicalBytes(tx));
    const deadline = Date.now() + (opts.timeoutMs ?? SUBMIT_WAIT_MS_DEFAULT);
    return new Promise<Committed>((resolve, reject) => {
      this.#queue.push({ tx, txHash, deadline, resolve, reject });
      if (this.#queue.length === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    while (this.#queue.length > 0) void this.#drive(this.#queue.splice(0, COMMIT_BATCH_MAX));
  }

  /** Submits one batch of waiting transactions and waits for their receipts until each is settled. */
  async #drive(batch: readonly Waiting[]): Promise<void> {
    const open = new Map<string, Waiting[]>();
    for (const w of batch) open.set(w.txHash, [...(open.get(w.txHash) ?? []), w]);
    const settle = (txHash: string, f: (w: Waiting) => void): void => {
      for (const w of open.get(txHash) ?? []) f(w);
      open.delete(txHash);
    };
    // Transactions no validator has admitted yet (every one busy or unreachable): submitted again with back-off.
    let unadmitted = new Set(open.keys());
    // A refusal counts on the first submission only: asked again later, a validator may refuse as a duplicate a
    // transaction that has meanwhile been committed.
    let firstSubmission = true;
    const submit = async (): Promise<void> => {
      const hashes = [...unadmitted].filter((h) => open.has(h));
      const txs = hashes.map((h) => (open.get(h) as Waiting[])[0]?.tx as SignedTransaction);
      const answers = await this.#submitEverywhere(txs);
      unadmitted = new Set();
      hashes.forEach((h, i) => {
        let admitted = false;
        let refusal: { code: string; message: string } | undefined;
        for (const a of answers) {
          const r = a.status === 'fulfilled' ? admissionAt(a.value, i) : undefined;
          if (r?.ok === true) admitted = true;
          else if (r !== undefined && r.ok === false && r.code !== BUSY_CODE) refusal ??= r;
        }
        if (admitted) return;
        if (refusal && firstSubmission) settle(h, (w) => w.reject(new TxRefused(refusal.code, refusal.message)));
        else unadmitted.add(h);
      });
      firstSubmission = false;
    };
    await submit();
    const validators = this.#config.validators;
    const first = this.#nextWaiter++;
    let backoffMs = POLL_MS;
    let lastSubmit = Date.now();
    for (let attempt = 0; open.size > 0; ) {
      const now = Date.now();
      for (const [h, ws] of open) {
        if (ws.every((w) => w.deadline <= now)) {
          const message = `transaction ${h} was not committed within the time allowed`;
          settle(h, (w) => w.reject(new MeridianError('MER_LEDGER_TIMEOUT', message)));
        }
      }
      if (open.size === 0) break;
      if (unadmitted.size > 0 && now - lastSubmit >= backoffMs) {
        await submit();
        lastSubmit = Date.now();
        backoffMs = Math.min(backoffMs * 2, RESUBMIT_BACKOFF_MS_MAX);
      }
      const latest = Math.max(...[...open.values()].flat().map((w) => w.deadline));
      const waitMs = Math.max(0, Math.min(unadmitted.size > 0 ? backoffMs : RECEIPT_WAIT_MS, latest - Date.now()));
      // One validator holds the request until some of the batch is certified there; one that gives nothing within
      // the wait (down, or lagging) is left for the next, and after a full round everything is submitted again.
      const v = validators[(first + attempt) % validators.length] as (typeof validators)[number];
      const started = Date.now();
      const found = await this.#receipts(v.name, [...open.keys()], waitMs);
      let progressed = false;
      for (const [h, { receipt, outcome }] of Object.entries(found)) {
        if (!open.has(h)) continue;
        const check = verifyReceipt(receipt, [this.#set]);
        if (!check.ok) continue;
        progressed = true;
        settle(h, (w) => w.resolve({ txHash: h, receipt: receipt as Receipt, height: check.height, outcome }));
      }
      if (progressed) continue;
      attempt++;
      if (attempt % validators.length === 0) {
        unadmitted = new Set(open.keys());
        await submit();
        lastSubmit = Date.now();
      }
      if (Date.now() - started < POLL_MS) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** The certified receipts (with outcomes) one validator holds among `txHashes`, waiting up to `waitMs` for one. */
  async #receipts(name: string, txHashes: string[], waitMs: number): Promise<Record<string, CertifiedAnswer>> {
    const res = await this.#call(name, 'POST', '/v1/receipts', { txHashes, waitMs }, waitMs + 5_000).catch(
      () => undefined,
    );
    const receipts = (res?.body as { receipts?: unknown } | undefined)?.receipts;
    if (res?.status !== 200 || typeof receipts !== 'object' || receipts === null) return {};
    return receipts as Record<string, CertifiedAnswer>;
  }

  /** Closes the keep-alive connections. */
  close(): void {
    for (const e of this.#endpoints.values()) e.agent.destroy();
  }
}
