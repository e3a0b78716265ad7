/**
 * A client of the validators' API: submits to every validator (a censoring primary is then replaced by a view
 * change, since backups time the request) and waits for a receipt that verifies offline against the set.
 */
import https from 'node:https';
import { clientTlsOptions, httpsRequestJson, type TlsMaterial } from '../../ca/index.ts';
import { MeridianError } from '../../errors/registry.ts';
import { canonicalBytes } from '../canonical-json.ts';
import { type Receipt, verifyReceipt } from '../receipt.ts';
import type { SignedTransaction } from '../transaction.ts';
import { type LedgerConfig, validatorSetOf } from './config.ts';
import { txHashOfBytes } from './validator.ts';

/** Default time {@link LedgerClient.submitAndWait} waits for a certified receipt. */
export const SUBMIT_WAIT_MS_DEFAULT = 10_000;
const POLL_MS = 50;
/** How long one receipt request asks a validator to wait for the transaction's certificate. */
const RECEIPT_WAIT_MS = 2_000;

/** The API base URL of every validator. */
export function validatorUrls(config: LedgerConfig): { name: string; url: string }[] {
  return config.validators.map((v) => ({ name: v.name, url: `https://${v.host}:${v.apiPort}` }));
}

/** A client of every validator's API, over keep-alive mutual-TLS connections. */
export class LedgerClient {
  readonly #config: LedgerConfig;
  readonly #tls: TlsMaterial;
  readonly #agents = new Map<string, https.Agent>();

  constructor(opts: { config: LedgerConfig; tls: TlsMaterial }) {
    this.#config = opts.config;
    this.#tls = opts.tls;
    for (const v of opts.config.validators) {
      this.#agents.set(
        v.name,
        new https.Agent({ keepAlive: true, maxSockets: 4, ...clientTlsOptions(opts.tls, { name: v.name }) }),
      );
    }
  }

  /** POSTs `txs` to one validator; resolves with its admissions, rejects if it is unreachable. */
  async submitTo(name: string, txs: readonly SignedTransaction[], timeoutMs = 10_000): Promise<unknown> {
    const v = validatorUrls(this.#config).find((x) => x.name === name);
    if (!v) throw new MeridianError('MER_LEDGER_CONFIG', `no validator ${name}`);
    const res = await httpsRequestJson({
      url: `${v.url}/v1/txs`,
      method: 'POST',
      body: { txs },
      tls: this.#tls,
      expect: { name },
      timeoutMs,
      agent: this.#agents.get(name),
    });
    return res.body;
  }

  /** Submits to every validator at once; resolves when each answered or failed (failures are tolerated). */
  async submitAll(txs: readonly SignedTransaction[]): Promise<number> {
    const results = await Promise.allSettled(this.#config.validators.map((v) => this.submitTo(v.name, txs)));
    return results.filter((r) => r.status === 'fulfilled').length;
  }

  /** GETs a path from one validator. */
  async get(name: string, path: string, timeoutMs = 5_000): Promise<{ status: number; body: unknown }> {
    const v = validatorUrls(this.#config).find((x) => x.name === name);
    if (!v) throw new MeridianError('MER_LEDGER_CONFIG', `no validator ${name}`);
    return httpsRequestJson({
      url: `${v.url}${path}`,
      method: 'GET',
      tls: this.#tls,
      expect: { name },
      timeoutMs,
      agent: this.#agents.get(name),
    });
  }

  /** Sends `tx` to every validator and resolves with its receipt once committed and certified (verified here). */
  async submitAndWait(
    tx: SignedTransaction,
    opts: { timeoutMs?: number } = {},
  ): Promise<{ txHash: string; receipt: Receipt; height: number }> {
    const txHash = txHashOfBytes(canonicalBytes(tx));
    const deadline = Date.now() + (opts.timeoutMs ?? SUBMIT_WAIT_MS_DEFAULT);
    await this.submitAll([tx]);
    const set = validatorSetOf(this.#config);
    const validators = this.#config.validators;
    // Each validator in turn holds the request until the block is certified there (one request per wait, not a
    // poll every 50 ms); one that answers at once (down, or lagging) is left after a short pause.
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const v = validators[attempt % validators.length] as (typeof validators)[number];
      const waitMs = Math.max(0, Math.min(RECEIPT_WAIT_MS, deadline - Date.now()));
      const started = Date.now();
      const r = await this.get(v.name, `/v1/txs/${txHash}/receipt?waitMs=${waitMs}`, waitMs + 5_000).catch(
        () => undefined,
      );
      if (r?.status === 200) {
        const check = verifyReceipt(r.body as Receipt, [set]);
        if (check.ok) return { txHash, receipt: r.body as Receipt, height: check.height };
      }
      if ((attempt + 1) % validators.length === 0) await this.submitAll([tx]);
      if (Date.now() - started < POLL_MS) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new MeridianError('MER_LEDGER_TIMEOUT', `transaction ${txHash} was not committed within the time allowed`);
  }

  /** Closes the keep-alive connections. */
  close(): void {
    for (const a of this.#agents.values()) a.destroy();
  }
}
