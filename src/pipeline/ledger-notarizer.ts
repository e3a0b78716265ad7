/**
 * Notarization on the consortium ledger: each batch of landed ODS files becomes one `notarize.batch` contract
 * transaction signed with the node's institution key, submitted to every validator; the batch counts as
 * notarized only once its receipt is certified (and verified here) and the ledger accepted it. The local
 * notary log stays the node's index of entries, each record carrying the transaction's hash, height and receipt,
 * so every file has an offline-verifiable receipt of its own.
 *
 *   entries ─► batch root ─► signed tx ─► notary.pending.json (fsynced) ─► validators ─► certified receipt
 *            ─► notary.log record { batch, entries, ledger: { txHash, height, receipt } } ─► pending removed
 *
 * Nothing is half-done: if the ledger does not commit within `timeoutMs`, `notarize` rejects with
 * MER_PIPELINE_NOTARY_UNREACHABLE and the signed transaction stays in the pending file. The next `notarize`
 * first settles it — the same transaction is resubmitted (it may have committed after the deadline: it is then
 * recorded, never notarized twice), and if the ledger refused it as stale (nonce window) its entries join the
 * new batch — so the ledger and the local index never disagree and no entry of a failed load is lost.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { identityPaths, loadTlsMaterial, type TlsMaterial } from '../ca/index.ts';
import { isMeridianError, MeridianError } from '../errors/registry.ts';
import { signContractTx } from '../ledger/contracts/index.ts';
import { LedgerClient, type LedgerConfig, readLedgerConfig, validatorSetOf } from '../ledger/host/index.ts';
import {
  buildBatch,
  type Receipt,
  type SignedTransaction,
  SignedTransactionSchema,
  txHash as txHashOf,
  verifyReceipt,
} from '../ledger/index.ts';
import { fsyncPath, writeFileAtomic } from '../store/index.ts';
import {
  type EntryNotarization,
  LocalNotaryLog,
  type NotarizationEntry,
  NotarizationEntrySchema,
  type NotarizedBatch,
  type Notarizer,
} from './notary.ts';

/** How long a load waits for the ledger to commit its notarization before it fails (unless configured). */
export const NOTARY_LEDGER_TIMEOUT_MS_DEFAULT = 15_000;
/** Longest one HTTPS request to a validator may take (each is also cut to the time left). */
const REQUEST_TIMEOUT_MS_MAX = 2_000;
/** Pause between receipt polls. */
const POLL_INTERVAL_MS = 50;
/** The preferred validator is asked every poll; the others every this many polls (and after a failure). */
const POLL_OTHERS_EVERY = 10;
/** A transaction not yet committed is sent to every validator again after this long (a validator may have restarted). */
const RESUBMIT_INTERVAL_MS = 2_000;
/** The notarization type of a batch of landed ODS files, as the ledger indexes it. */
export const ODS_BATCH_TYPE = 'ods-file';
/** The file, next to the notary log, that holds a signed batch the ledger has not yet been seen to commit. */
export const PENDING_FILE = 'notary.pending.json';

const PendingSchema = z.strictObject({
  tx: SignedTransactionSchema,
  entries: z.array(NotarizationEntrySchema).min(1),
});
interface Pending {
  tx: SignedTransaction;
  entries: NotarizationEntry[];
}

/** The code with which a validator's admission or the contracts refuse a transaction whose nonce is too old. */
const STALE_CODE = 'MER_LEDGER_NONCE_OUT_OF_WINDOW';
/** Admission codes that do not mean the transaction cannot commit: a full pool, or its content already committed. */
const NOT_FINAL_CODES = new Set(['MER_LEDGER_TX_REFUSED', 'MER_LEDGER_BUSY', 'MER_LEDGER_DUPLICATE_TX']);

/** What {@link LedgerNotarizer} is built from. */
export interface LedgerNotarizerOptions {
  /** The node's local index of notarized entries (its notary log). */
  log: LocalNotaryLog;
  /** Where the signed batch waiting for the ledger is kept (see {@link PENDING_FILE}). */
  pendingFile: string;
  /** The ledger configuration the validators run (chain id, validators and their API addresses and keys). */
  config: LedgerConfig;
  /** The node's institution name (its CA identity), which signs the transactions. */
  institution: string;
  /** The institution's Ed25519 transaction-signing key. */
  signingKey: KeyObject;
  /** The institution's TLS material (mutual TLS to the validators' API). */
  tls: TlsMaterial;
  /** The validator asked first for receipts (usually the institution's own); default the first configured. */
  prefer?: string | undefined;
  /** Bound on one `notarize` waiting for the ledger (default {@link NOTARY_LEDGER_TIMEOUT_MS_DEFAULT}). */
  timeoutMs?: number | undefined;
  now: () => Date;
}

/** A notarizer that commits each batch on the consortium ledger and indexes it in the local notary log. */
export class LedgerNotarizer implements Notarizer {
  readonly #o: LedgerNotarizerOptions;
  readonly #client: LedgerClient;
  readonly #order: string[];
  readonly #set: ReturnType<typeof validatorSetOf>;
  readonly #timeoutMs: number;
  /** SHA-256 of every file the notary log holds, read on first use and kept up to date by each append. */
  #notarized: Set<string> | undefined;

  constructor(opts: LedgerNotarizerOptions) {
    const names = opts.config.validators.map((v) => v.name);
    if (opts.prefer !== undefined && !names.includes(opts.prefer)) {
      throw new MeridianError(
        'MER_CONFIG_INVALID',
        `node.ledger.prefer = "${opts.prefer}" is not a validator of ledger ${opts.config.chainId} (validators: ${names.join(', ')})`,
        { key: 'node.ledger.prefer', value: opts.prefer },
      );
    }
    const institutions = new Set([...names, ...opts.config.institutions.map((i) => i.name)]);
    if (!institutions.has(opts.institution)) {
      throw new MeridianError(
        'MER_CONFIG_INVALID',
        `${opts.institution} is neither a validator nor an institution of ledger ${opts.config.chainId}; its transactions would be refused`,
        { key: 'pki.identity', value: opts.institution },
      );
    }
    this.#o = opts;
    this.#timeoutMs = opts.timeoutMs ?? NOTARY_LEDGER_TIMEOUT_MS_DEFAULT;
    this.#set = validatorSetOf(opts.config);
    this.#client = new LedgerClient({ config: opts.config, tls: opts.tls });
    const first = opts.prefer ?? (names[0] as string);
    this.#order = [first, ...names.filter((n) => n !== first)];
  }

  /**
   * Opens the notarizer of a node: its notary log and pending file under `dataDir`, the ledger configuration
   * file, and the institution's signing key and TLS material from the consortium CA directory.
   */
  static open(opts: {
    dataDir: string;
    ledgerConfigFile: string;
    caDir: string;
    institution: string;
    prefer?: string | undefined;
    timeoutMs?: number | undefined;
    now: () => Date;
  }): LedgerNotarizer {
    const config = readLedgerConfig(opts.ledgerConfigFile);
    let signingKey: KeyObject;
    try {
      signingKey = createPrivateKey(readFileSync(identityPaths(opts.caDir, opts.institution).signingKey, 'utf8'));
    } catch (e) {
      throw new MeridianError(
        'MER_CA_IDENTITY_UNKNOWN',
        `the signing key of ${opts.institution} cannot be read from ${opts.caDir}: ${(e as Error).message}`,
        { identity: opts.institution },
      );
    }
    return new LedgerNotarizer({
      log: LocalNotaryLog.open({ file: join(opts.dataDir, 'notary.log'), now: opts.now }),
      pendingFile: join(opts.dataDir, PENDING_FILE),
      config,
      institution: opts.institution,
      signingKey,
      tls: loadTlsMaterial({ dir: opts.caDir, name: opts.institution }),
      prefer: opts.prefer,
      timeoutMs: opts.timeoutMs,
      now: opts.now,
    });
  }

  /**
   * Settles a batch an earlier call left pending, then commits these entries on the ledger and records them
   * locally; rejects with MER_PIPELINE_NOTARY_UNREACHABLE after the time bound, MER_PIPELINE_NOTARY_REFUSED if
   * the ledger refuses the transaction.
   */
  async notarize(entries: readonly NotarizationEntry[]): Promise<NotarizedBatch> {
    const parsed = entries.map((e) => NotarizationEntrySchema.parse(e));
    const deadline = this.#o.now().getTime() + this.#timeoutMs;
    const settled = await this.#settlePending(deadline);
    const fresh = unique([...settled.carried, ...parsed]).filter((e) => !settled.recorded.has(entryKey(e)));
    if (fresh.length === 0) {
      assert(settled.batch !== undefined, 'notarize needs at least one entry');
      return settled.batch;
    }
    const tx = this.#sign(fresh);
    this.#writePending({ tx, entries: fresh });
    return this.#commitAndRecord({ tx, entries: fresh }, deadline);
  }

  /** The entry's proof in its batch and, for a batch the ledger committed, the entry's own receipt. */
  proofFor(sha256Hex: string): EntryNotarization | undefined {
    return this.#o.log.proofFor(sha256Hex);
  }

  /** Whether the notary log holds the file's entry (a file whose notarization failed is not, until it is settled). */
  isNotarized(sha256Hex: string): boolean {
    this.#notarized ??= new Set(this.#o.log.records().flatMap((r) => r.entries.map((e) => e.sha256)));
    return this.#notarized.has(sha256Hex);
  }

  /** Closes the keep-alive connections to the validators. */
  close(): void {
    this.#client.close();
  }

  #sign(entries: readonly NotarizationEntry[]): SignedTransaction {
    const { commitment } = buildBatch(entries);
    const sources = [...new Set(entries.map((e) => e.source))].sort();
    const source = sources.join(',');
    const at = this.#o.now();
    return signContractTx({
      chainId: this.#o.config.chainId,
      kind: 'notarize.batch',
      institution: this.#o.institution,
      timeMs: at.getTime(),
      payload: {
        batch: commitment,
        type: ODS_BATCH_TYPE,
        source: source.length <= 100 ? source : `${sources.length} sources`,
        location: `${this.#o.institution}:notary.log`,
        at: at.toISOString(),
      },
      privateKey: this.#o.signingKey,
    });
  }

  // Resolves the batch an earlier call left pending: recorded if the ledger committed it (now or before), its
  // entries carried into the next batch if the ledger refused it as stale; rejects if the ledger cannot say.
  async #settlePending(
    deadline: number,
  ): Promise<{ batch?: NotarizedBatch; recorded: Set<string>; carried: NotarizationEntry[] }> {
    const pending = this.#readPending();
    if (pending === undefined) return { recorded: new Set(), carried: [] };
    const root = (pending.tx.body.payload.batch as { root: string }).root;
    if (this.#o.log.records().some((r) => r.batch.root === root)) {
      this.#removePending();
      return { recorded: new Set(), carried: [] };
    }
    try {
      const batch = await this.#commitAndRecord(pending, deadline);
      return { batch, recorded: new Set(pending.entries.map(entryKey)), carried: [] };
    } catch (e) {
      if (!isMeridianError(e, 'MER_PIPELINE_NOTARY_REFUSED')) throw e;
      if (e.details?.ledgerCode === STALE_CODE) return { recorded: new Set(), carried: pending.entries };
      throw new MeridianError(
        'MER_PIPELINE_NOTARY_REFUSED',
        `${e.message}; it is the batch held in ${this.#o.pendingFile} since a failed load, and no notarization can pass it: fix the institution's ledger membership or key, or remove the file once the ledger shows batch ${root} is not needed`,
        { ...e.details, file: this.#o.pendingFile },
      );
    }
  }

  async #commitAndRecord(p: Pending, deadline: number): Promise<NotarizedBatch> {
    const committed = await this.#commit(p.tx, deadline);
    const batch = this.#o.log.append(p.entries, committed);
    for (const e of p.entries) this.#notarized?.add(e.sha256);
    this.#removePending();
    return batch;
  }

  // Submits to every validator and polls for a certified receipt (verified against the configured set) until the
  // deadline; then checks the ledger accepted the transaction (a block may carry a transaction it refused).
  async #commit(
    tx: SignedTransaction,
    deadline: number,
  ): Promise<{ txHash: string; height: number; receipt: Receipt }> {
    const hash = txHashOf(tx);
    const left = (): number => deadline - this.#o.now().getTime();
    let lastSubmit = Number.NEGATIVE_INFINITY;
    for (let round = 0; left() > 0; round++) {
      if (this.#o.now().getTime() - lastSubmit >= RESUBMIT_INTERVAL_MS) {
        lastSubmit = this.#o.now().getTime();
        this.#refusedByQuorum(hash, await this.#submit(tx, left()));
      }
      const asked = round % POLL_OTHERS_EVERY === 0 ? this.#order : this.#order.slice(0, 1);
      for (const name of asked) {
        if (left() <= 0) break;
        const found = await this.#receiptFrom(name, hash, left());
        if (found === 'missing') continue;
        await this.#checkOutcome(name, hash, left());
        return { txHash: hash, height: found.height, receipt: found.receipt };
      }
      await new Promise((r) => setTimeout(r, Math.min(POLL_INTERVAL_MS, Math.max(left(), 0))));
    }
    throw new MeridianError(
      'MER_PIPELINE_NOTARY_UNREACHABLE',
      `the consortium ledger ${this.#o.config.chainId} did not commit notarization ${hash} within ${this.#timeoutMs} ms (validators: ${this.#order.join(', ')}); the load stopped before mapping — run it again once the ledger is up`,
      { txHash: hash, timeoutMs: this.#timeoutMs },
    );
  }

  async #submit(
    tx: SignedTransaction,
    leftMs: number,
  ): Promise<{ name: string; ok: boolean; code?: string; message?: string }[]> {
    const timeoutMs = Math.max(1, Math.min(REQUEST_TIMEOUT_MS_MAX, leftMs));
    const answers = await Promise.allSettled(this.#order.map((name) => this.#client.submitTo(name, [tx], timeoutMs)));
    return answers.flatMap((a, i) => {
      if (a.status === 'rejected') return [];
      const admission = (a.value as { results?: { ok: boolean; code?: string; message?: string }[] }).results?.[0];
      return admission === undefined ? [] : [{ name: this.#order[i] as string, ...admission }];
    });
  }

  // Throws MER_PIPELINE_NOTARY_REFUSED when enough validators refused the transaction that it cannot commit.
  #refusedByQuorum(hash: string, admissions: { name: string; ok: boolean; code?: string; message?: string }[]): void {
    const refused = admissions.filter((a) => !a.ok && !NOT_FINAL_CODES.has(a.code ?? ''));
    const n = this.#o.config.validators.length;
    const f = Math.floor((n - 1) / 3);
    if (refused.length < admissions.length || refused.length < n - f) return;
    const first = refused[0] as { name: string; code?: string; message?: string };
    throw new MeridianError(
      'MER_PIPELINE_NOTARY_REFUSED',
      `validator ${first.name} refused notarization ${hash} from ${this.#o.institution}: ${first.code}: ${first.message}`,
      { txHash: hash, ledgerCode: first.code },
    );
  }

  async #receiptFrom(
    name: string,
    hash: string,
    leftMs: number,
  ): Promise<{ height: number; receipt: Receipt } | 'missing'> {
    const timeoutMs = Math.max(1, Math.min(REQUEST_TIMEOUT_MS_MAX, leftMs));
    const r = await this.#client.get(name, `/v1/txs/${hash}/receipt`, timeoutMs).catch(() => undefined);
    if (r?.status !== 200) return 'missing';
    const check = verifyReceipt(r.body, [this.#set]);
    return check.ok && check.txHash === hash ? { height: check.height, receipt: r.body as Receipt } : 'missing';
  }

  async #checkOutcome(name: string, hash: string, leftMs: number): Promise<void> {
    const timeoutMs = Math.max(1, Math.min(REQUEST_TIMEOUT_MS_MAX, leftMs));
    const r = await this.#client.get(name, `/v1/txs/${hash}`, timeoutMs).catch(() => undefined);
    const outcome = (r?.body as { outcome?: { ok: boolean; code?: string; message?: string } } | undefined)?.outcome;
    if (outcome === undefined || outcome.ok) return;
    throw new MeridianError(
      'MER_PIPELINE_NOTARY_REFUSED',
      `the ledger committed notarization ${hash} but refused it: ${outcome.code}: ${outcome.message}`,
      { txHash: hash, ledgerCode: outcome.code },
    );
  }

  #readPending(): Pending | undefined {
    if (!existsSync(this.#o.pendingFile)) return undefined;
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.#o.pendingFile, 'utf8'));
    } catch (e) {
      throw pendingCorrupt(this.#o.pendingFile, (e as Error).message);
    }
    const parsed = PendingSchema.safeParse(raw);
    if (!parsed.success) throw pendingCorrupt(this.#o.pendingFile, parsed.error.issues[0]?.message ?? 'invalid');
    return { tx: parsed.data.tx as SignedTransaction, entries: parsed.data.entries };
  }

  #writePending(p: Pending): void {
    writeFileAtomic(this.#o.pendingFile, `${JSON.stringify(p)}\n`, { mode: 0o600 });
  }

  #removePending(): void {
    rmSync(this.#o.pendingFile, { force: true });
    fsyncPath(dirname(this.#o.pendingFile));
  }
}

function pendingCorrupt(file: string, why: string): MeridianError {
  return new MeridianError(
    'MER_PIPELINE_NOTARY_CORRUPT',
    `the pending notarization ${file} is damaged (${why}); check the ledger for its batch before removing it`,
    { file },
  );
}

function entryKey(e: NotarizationEntry): string {
  return `${e.sha256}\n${e.source}\n${e.name}\n${e.version}`;
}

function unique(entries: readonly NotarizationEntry[]): NotarizationEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => {
    const k = entryKey(e);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
